/*
 * smtp.h — sending one message through an SMTP server (libcurl).
 *
 * smtp:// (optionally upgraded with STARTTLS) or smtps:// (TLS from the
 * first byte); optional AUTH with a user and password; certificates are
 * verified. The message must already be complete RFC 5322 text with CRLF
 * line ends (domain/mail_message.h); libcurl does the SMTP dot-stuffing.
 *
 * Threading: smtp_global_init() once, before any other thread exists;
 * then smtp_send() may run on any thread (each call has its own handle).
 */
#ifndef ONRAMP_SMTP_H
#define ONRAMP_SMTP_H

#include <stddef.h>

enum smtp_tls {
	SMTP_TLS_REQUIRED = 0,  /* smtp://: STARTTLS or fail (the default) */
	SMTP_TLS_TRY,           /* smtp://: STARTTLS when offered, else plain text */
	SMTP_TLS_NONE,          /* smtp://: never (a relay on loopback) */
};

struct smtp_options {
	const char   *url;       /* smtp://host[:port] or smtps://host[:port] */
	const char   *user;      /* NULL or "" for no AUTH */
	const char   *password;
	enum smtp_tls tls;
	long          timeout_seconds;
};

enum smtp_result {
	SMTP_OK        = 0,
	SMTP_TEMPORARY = -1,  /* try again later: no connection, 4xx, timeout */
	SMTP_PERMANENT = -2,  /* the server refused for good (5xx) */
};

/* Initializes libcurl. Returns 0 or -1. */
int smtp_global_init(void);

/* Sends msg (len bytes) from envelope sender from to recipient to (bare
 * addresses). Returns an enum smtp_result; on failure err holds a one-line
 * reason (the server's code or curl's message). */
int smtp_send(const struct smtp_options *o, const char *from, const char *to, const char *msg,
              size_t len, char *err, size_t errlen);

#endif
