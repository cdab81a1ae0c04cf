/*
 * qr_svg.h — a QR code as an inline SVG element, drawn by the server.
 *
 * The two-factor enrollment page shows the otpauth:// URI as a QR code.
 * The Content-Security-Policy forbids inline script, so the code is not
 * drawn in the browser: libqrencode makes the matrix and this file writes it
 * as one <svg> with a single <path> (one unit square per dark module, a
 * four-module quiet zone). The markup holds no text from the input, only
 * numbers, so it is safe to insert unescaped ({{{qr_svg}}}).
 *
 * Threading: reentrant (libqrencode is, for QRcode_encodeString).
 */
#ifndef ONRAMP_QR_SVG_H
#define ONRAMP_QR_SVG_H

#include "lib/buf.h"

/* Appends an <svg> of text (error correction level M, 8-bit mode) with the
 * accessible name label (escaped). Returns 0, or -1 if the text does not
 * fit a QR code or memory runs out. */
int web_qr_svg(buf *out, const char *text, const char *label);

#endif
