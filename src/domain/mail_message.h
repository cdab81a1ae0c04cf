/*
 * mail_message.h — building one email as RFC 5322 text, ready for SMTP.
 *
 * The message is plain text in UTF-8: headers Date, From, To, Subject
 * (RFC 2047 encoded-words when not plain ASCII), Message-ID, MIME-Version,
 * Content-Type text/plain; charset=utf-8 and Content-Transfer-Encoding
 * quoted-printable (so no line is longer than 76 characters and any byte is
 * safe), plus List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) when an
 * unsubscribe URL is given. Every line ends in CRLF. Dot-stuffing is left
 * to the SMTP client (libcurl does it).
 *
 * Header injection is impossible by construction: a header value taken
 * from data that holds CR or LF (or is not valid UTF-8, or an address with
 * anything but plain printable ASCII and one @) is refused, never cleaned.
 * Pure functions, thread-safe.
 */
#ifndef ONRAMP_MAIL_MESSAGE_H
#define ONRAMP_MAIL_MESSAGE_H

#include <stddef.h>

#include "lib/buf.h"

struct mail_message {
	const char *from_name;       /* display name (UTF-8), or NULL/"" for none */
	const char *from_addr;       /* addr-spec, e.g. "no-reply@example.org" */
	const char *to_addr;         /* addr-spec */
	const char *subject;         /* UTF-8, one line */
	const char *body;            /* UTF-8 text; LF or CRLF line ends */
	const char *message_id;      /* "<…@…>" */
	long long   date;            /* seconds since the epoch */
	const char *unsubscribe_url; /* https?://… for List-Unsubscribe, or NULL */
};

/* Returns 1 if addr is an address we can put in a header and hand to SMTP:
 * 3..254 printable ASCII characters, exactly one @ with text on both sides,
 * no space, quote, comma, angle bracket, parenthesis, semicolon, colon,
 * backslash or square bracket. Else 0. */
int mail_address_ok(const char *addr);

/* Splits a From setting — "Name <addr>" or "addr" — into name (may come
 * out "") and addr. Returns 0, or -1 if it is malformed (CR/LF, no valid
 * address, too long for the buffers). */
int mail_from_parse(const char *from, char *name, size_t namelen, char *addr, size_t addrlen);

/* Writes a new unique Message-ID, "<hex random.at@domain of from_addr>",
 * into out. Returns 0 or -1 (out too small or no domain). */
int mail_message_id_new(const char *from_addr, char *out, size_t outlen);

/* Appends the whole message (headers, blank line, encoded body) to out.
 * Returns 0, or -1 if a header value is refused (see above), the body is
 * not valid UTF-8, or out overflowed. On -1 out may hold part of it. */
int mail_message_build(const struct mail_message *m, buf *out);

/* Appends s (UTF-8) as RFC 2047 encoded-words ("=?UTF-8?B?…?="), each at
 * most 75 characters, separated by CRLF SP, never splitting a character.
 * Exposed for tests. Returns 0 or -1. */
int mail_header_encode(buf *out, const char *s);

/* Appends s as quoted-printable (RFC 2045) with CRLF line ends and lines of
 * at most 76 characters. Exposed for tests. Returns 0 or -1. */
int mail_qp_encode(buf *out, const char *s, size_t len);

#endif
