/*
 * mail_worker.h — the background sender of the mail outbox.
 *
 * One thread per server process (started by `onramp serve` when
 * ONRAMP_SMTP_URL is set). Each pass reads the due rows, claims each with a
 * lease (store_mail_claim: several processes on one PostgreSQL database
 * never send a row twice), checks again that a marketing message may still
 * go (consent, unsubscribes), renders it, builds the RFC 5322 message and
 * hands it to the SMTP server. A temporary failure is retried after
 * retry_seconds, doubled each attempt (at most LIMIT_MAIL_RETRY_MAX_SECONDS)
 * until LIMIT_MAIL_ATTEMPTS, then the row is 'failed'; a permanent refusal
 * (5xx) fails it at once.
 */
#ifndef ONRAMP_MAIL_WORKER_H
#define ONRAMP_MAIL_WORKER_H

#include "domain/mail.h"
#include "lib/smtp.h"

struct db;
struct mail_worker;

struct mail_worker_options {
	struct db            *db;
	struct mail_settings  settings;
	struct smtp_options   smtp;          /* strings borrowed: must outlive the worker */
	const char           *from;          /* ONRAMP_MAIL_FROM: "Name <addr>" or "addr" */
	int                   retry_seconds; /* first retry delay */
};

/* The delay before attempt number attempts + 1, after attempts failed ones
 * (1, 2, …): retry_seconds * 2^(attempts-1), capped. */
long long mail_worker_backoff(int retry_seconds, int attempts);

/* Sends what is due now, once, on the calling thread. Sets *sent to the
 * number of messages handed to the SMTP server (may be NULL). Returns the
 * number of rows handled (sent, retried, failed or suppressed), or -1 on
 * a database error. */
int mail_worker_pass(const struct mail_worker_options *o, int *sent);

/* Starts the thread (calls smtp_global_init first: call before other
 * threads use libcurl). o is copied (its strings are borrowed). Returns 0
 * and *out, or -1 with a reason in err. */
int mail_worker_start(const struct mail_worker_options *o, struct mail_worker **out, char *err,
                      size_t errlen);
/* Stops the thread after the message it is sending, joins it, frees w.
 * NULL is a no-op. */
void mail_worker_stop(struct mail_worker *w);

#endif
