/*
 * ical.c — the iCalendar writer (see ical.h).
 *
 * Lines are built whole in a small stack buffer-free way: the escaped value
 * is appended into a temporary buf, then copied out in chunks of at most 75
 * octets (74 after the first, which starts with the folding space), each
 * chunk ending on a UTF-8 character boundary.
 */
#include "domain/ical.h"

#include <string.h>
#include <time.h>

#include "lib/limits.h"

/* Appends line (len bytes) folded at ICAL_LINE_OCTETS, then CRLF. */
static int ical_fold(buf *b, const char *line, size_t len)
{
	size_t pos = 0, room = ICAL_LINE_OCTETS, n;

	while (len - pos > room) {
		n = room;
		/* back off to the start of a UTF-8 character */
		while (n > 0 && ((unsigned char)line[pos + n] & 0xC0) == 0x80)
			n--;
		if (n == 0)
			n = room;
		buf_add(b, line + pos, n);
		buf_add(b, "\r\n ", 3);
		pos += n;
		room = ICAL_LINE_OCTETS - 1;
	}
	buf_add(b, line + pos, len - pos);
	return buf_add(b, "\r\n", 2);
}

int ical_line(buf *b, const char *name, const char *value)
{
	buf line;
	int rc;

	buf_init(&line, LIMIT_ICAL_LINE);
	buf_adds(&line, name);
	buf_addc(&line, ':');
	buf_adds(&line, value);
	if (buf_failed(&line)) {
		buf_free(&line);
		b->failed = 1;
		return -1;
	}
	rc = ical_fold(b, buf_str(&line), line.len);
	buf_free(&line);
	return rc;
}

int ical_text(buf *b, const char *name, const char *value)
{
	buf line;
	const char *p;
	int rc;

	buf_init(&line, LIMIT_ICAL_LINE);
	buf_adds(&line, name);
	buf_addc(&line, ':');
	for (p = value ? value : ""; *p; p++) {
		switch (*p) {
		case '\\': buf_add(&line, "\\\\", 2); break;
		case ';':  buf_add(&line, "\\;", 2); break;
		case ',':  buf_add(&line, "\\,", 2); break;
		case '\n': buf_add(&line, "\\n", 2); break;
		case '\r': break;  /* a CRLF becomes one \n */
		default:
			/* other control characters are not allowed in TEXT */
			if ((unsigned char)*p < 0x20 && *p != '\t')
				buf_addc(&line, ' ');
			else
				buf_addc(&line, *p);
		}
	}
	if (buf_failed(&line)) {
		buf_free(&line);
		b->failed = 1;
		return -1;
	}
	rc = ical_fold(b, buf_str(&line), line.len);
	buf_free(&line);
	return rc;
}

int ical_begin(buf *b, const char *prodid, const char *name)
{
	ical_line(b, "BEGIN", "VCALENDAR");
	ical_line(b, "VERSION", "2.0");
	ical_text(b, "PRODID", prodid);
	ical_line(b, "CALSCALE", "GREGORIAN");
	ical_line(b, "METHOD", "PUBLISH");
	return ical_text(b, "X-WR-CALNAME", name);
}

/* Formats t (UTC) with fmt into out. */
static void ical_time(char *out, size_t outlen, const char *fmt, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(out, outlen, fmt, &tm) == 0)
		out[0] = '\0';
}

int ical_event(buf *b, const struct ical_event *e, long long dtstamp)
{
	char start[16], end[16], stamp[24];

	ical_time(start, sizeof(start), "%Y%m%d", e->day);
	ical_time(end, sizeof(end), "%Y%m%d", e->day + 86400);
	ical_time(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", dtstamp);
	ical_line(b, "BEGIN", "VEVENT");
	ical_text(b, "UID", e->uid);
	ical_line(b, "DTSTAMP", stamp);
	ical_line(b, "DTSTART;VALUE=DATE", start);
	ical_line(b, "DTEND;VALUE=DATE", end);
	ical_text(b, "SUMMARY", e->summary);
	if (e->description && *e->description)
		ical_text(b, "DESCRIPTION", e->description);
	if (e->location && *e->location)
		ical_text(b, "LOCATION", e->location);
	if (e->url && *e->url)
		ical_line(b, "URL", e->url);
	ical_line(b, "TRANSP", "TRANSPARENT");
	return ical_line(b, "END", "VEVENT");
}

int ical_end(buf *b)
{
	return ical_line(b, "END", "VCALENDAR");
}
