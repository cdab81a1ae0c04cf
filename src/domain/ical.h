/*
 * ical.h — an iCalendar (RFC 5545) writer for all-day events: the filing
 * deadlines and election days feeds.
 *
 * Output follows the RFC where calendar apps are strict: every line ends in
 * CRLF; a content line longer than 75 octets is folded (CRLF and one space)
 * without splitting a UTF-8 character; TEXT values escape backslash,
 * semicolon, comma and newlines; every VEVENT has UID and DTSTAMP; all-day
 * events are DTSTART;VALUE=DATE with DTEND the day after.
 *
 * Threading: pure functions over the caller's buf.
 */
#ifndef ONRAMP_ICAL_H
#define ONRAMP_ICAL_H

#include "lib/buf.h"

#define ICAL_LINE_OCTETS 75

struct ical_event {
	const char *uid;          /* globally unique and stable across feeds */
	long long   day;          /* any second of the event's day, UTC */
	const char *summary;
	const char *description;  /* NULL for none */
	const char *location;     /* NULL for none */
	const char *url;          /* NULL for none (a URI: not escaped) */
};

/* Appends one content line "name:value" (value already in its final form),
 * folded and ended with CRLF. Returns 0 or -1 (b's sticky error). */
int ical_line(buf *b, const char *name, const char *value);
/* Appends value as an escaped TEXT value of property name, folded. */
int ical_text(buf *b, const char *name, const char *value);

/* Starts a calendar: BEGIN:VCALENDAR, VERSION, PRODID, CALSCALE, METHOD and
 * X-WR-CALNAME name. */
int ical_begin(buf *b, const char *prodid, const char *name);
/* Appends one all-day VEVENT stamped at dtstamp (seconds since the epoch). */
int ical_event(buf *b, const struct ical_event *e, long long dtstamp);
/* Ends the calendar. */
int ical_end(buf *b);

#endif
