/*
 * qr_svg.c — libqrencode's matrix as an SVG path. See qr_svg.h.
 *
 * Each dark module becomes "M x y h1v1h-1z" in one path, so the element is
 * small and renders crisply at any size (shape-rendering="crispEdges").
 * Bit 0 of each of libqrencode's matrix bytes says whether the module is
 * dark.
 */
#include "web/qr_svg.h"

#include <string.h>

#include <qrencode.h>

#define QR_QUIET 4 /* modules of white margin around the code */

int web_qr_svg(buf *out, const char *text, const char *label)
{
	QRcode *qr;
	int x, y, size;

	if (text == NULL || *text == '\0')
		return -1;
	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL)
		return -1;
	size = qr->width + 2 * QR_QUIET;
	buf_printf(out, "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
	                " width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"",
	           size, size, size * 6, size * 6);
	buf_add_html(out, label, strlen(label));
	buf_adds(out, "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\""
	              " fill=\"#fff\"/><path fill=\"#000\" d=\"");
	for (y = 0; y < qr->width; y++)
		for (x = 0; x < qr->width; x++)
			if (qr->data[y * qr->width + x] & 1)
				buf_printf(out, "M%d %dh1v1h-1z", x + QR_QUIET, y + QR_QUIET);
	buf_adds(out, "\"/></svg>");
	QRcode_free(qr);
	return buf_failed(out) ? -1 : 0;
}
