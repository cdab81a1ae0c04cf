/*
 * store_mail.h — the mail outbox (store layer).
 *
 * Mail is written to the outbox in the same db_write job as the change that
 * causes it (a signup, a nomination, a logged call), so the two commit
 * together: no mail for a change that rolled back, no change without its
 * mail. A background worker (domain/mail_worker.c) sends due rows through
 * SMTP with retries; without SMTP configured rows stay in the outbox, where
 * staff read them.
 *
 * Besides the outbox this area holds the editable templates
 * (mail_templates, seeded with the defaults by migration 5) and the
 * unsubscribed addresses. Sending is claimed row by row with a lease
 * (store_mail_claim), so several server processes on one PostgreSQL
 * database never send a row twice. All SQL lives in store_mail.c.
 *
 * Return values: 0 (or 1/0 for found/not found where noted) or a negative
 * enum db_rc (store/sql.h). json objects returned through out-pointers are
 * new references the caller json_decref()s.
 * Threading: no state of its own; any thread may call.
 */
#ifndef ONRAMP_STORE_MAIL_H
#define ONRAMP_STORE_MAIL_H

#include <jansson.h>

struct db;
struct db_conn;

/* Queues the template template_code (e.g. "signup_confirmation",
 * "nomination_invite", "call_follow_up", "task_reminder") for a person
 * (person_id > 0) or a staff user (user_id > 0), rendered at send time with
 * vars (borrowed; may be NULL), not before send_after (seconds since the
 * epoch; 0 = now). Call it inside a db_write job. Marketing templates are
 * skipped (returns 0, nothing queued) for a person who has not consented to
 * email or has unsubscribed. Returns 0 or a negative enum db_rc.
 * A person's message goes to their oldest email, or to vars' "to_addr"
 * when that is one of their emails. */
int store_mail_enqueue(struct db_conn *c, const char *template_code, long long person_id,
                       long long user_id, json_t *vars, long long send_after);
/* store_mail_enqueue for person_id (> 0) with each of codes[0..n) in turn,
 * codes[i] not before send_after[i]; n at most STORE_MAIL_SERIES_MAX, each
 * code made of [a-z0-9_] only. On PostgreSQL one statement for all (a
 * signup's confirmation and welcome series: one round trip, not four).
 * Returns 0 or a negative enum db_rc. */
#define STORE_MAIL_SERIES_MAX 8
int store_mail_enqueue_each(struct db_conn *c, const char *const *codes,
                            const long long *send_after, size_t n, long long person_id,
                            json_t *vars);

/* ---- units of work ---- */

/* A writer job, as db_write_fn in store/sql.h. */
typedef int (*store_mail_job_fn)(struct db_conn *c, void *arg);
/* Runs fn(c, arg) on the writer connection; returns once committed: fn's
 * value, or a negative enum db_rc (then nothing fn wrote exists). */
int store_mail_write(struct db *db, store_mail_job_fn fn, void *arg);
/* Lends a read connection (never NULL); give it back with _read_end. */
struct db_conn *store_mail_read_begin(struct db *db);
void store_mail_read_end(struct db *db, struct db_conn *c);

/* ---- templates ---- */

/* Sets *rows to every template, by name: [{id, code, name, kind, subject,
 * updated_at}]. */
int store_mail_templates_list(struct db_conn *c, json_t **rows);
/* Loads one template by id (id > 0) or else by code: {id, code, name, kind,
 * subject, body, updated_at, updated_by_email (absent if none)}. Returns 1,
 * 0 if there is none, or < 0. */
int store_mail_template_load(struct db_conn *c, long long id, const char *code, json_t **row);
/* Overwrites template id's subject, body and kind ("transactional" or
 * "marketing"). Returns 1, 0 if there is no such template, or < 0. */
int store_mail_template_update(struct db_conn *c, long long id, const char *subject,
                               const char *body, const char *kind, long long by, long long at);

/* ---- the outbox ---- */

/* Writes into ids (room for max) the queued rows due at now whose lease is
 * free, oldest due first; sets *n. A read: claim each before sending. */
int store_mail_due(struct db_conn *c, long long now, long long *ids, int max, int *n);
/* Takes row id for sending until lease_until, counting one attempt, if it
 * is still queued, due and not leased by another sender at now. Call in a
 * db_write job. Returns 1 if this caller now holds it, 0 if not, or < 0. */
int store_mail_claim(struct db_conn *c, long long id, long long now, long long lease_until);
/* Loads outbox row id with what sending and showing it needs: {id,
 * template_code, kind, person_id, user_id, to_addr, vars (object), status,
 * send_after, attempts, last_error, subject, body, message_id, created_at,
 * sent_at, tmpl_subject, tmpl_body (the template now; absent if it is
 * gone), first_name, last_name, preferred_name (the person's, if any),
 * consent_email (bool: the person consents; false without a person),
 * unsubscribed (bool: to_addr or one of the person's emails is
 * unsubscribed)}; absent NULL columns are left out. Returns 1, 0, or < 0. */
int store_mail_load(struct db_conn *c, long long id, json_t **row);

enum store_mail_outcome {
	STORE_MAIL_SENT = 0,    /* delivered to the SMTP server: subject, body, message_id kept */
	STORE_MAIL_RETRY,       /* back to queued, due again at next_at, error kept */
	STORE_MAIL_FAILED,      /* given up: error kept */
	STORE_MAIL_SUPPRESSED,  /* must not be sent (unsubscribed, no consent): error = why */
};
/* Records what became of claimed row id at time at and frees its lease.
 * subject, body and message_id are used for STORE_MAIL_SENT (NULL keeps
 * the column); error for the others. Returns 0 or < 0. */
int store_mail_finish(struct db_conn *c, long long id, enum store_mail_outcome outcome,
                      const char *subject, const char *body, const char *message_id,
                      const char *error, long long next_at, long long at);

/* Sets *rows to one page of the outbox, newest first, filtered by status
 * (NULL for all): [{id, template_code, kind, to_addr, status, send_after,
 * attempts, created_at, sent_at, last_error}], and *total to the count. */
int store_mail_list(struct db_conn *c, const char *status, int limit, long long offset,
                    json_t **rows, long long *total);
/* Sets *counts to {queued, sent, failed, suppressed}. */
int store_mail_counts(struct db_conn *c, json_t **counts);

/* ---- unsubscribes ---- */

/* Unsubscribes a normalized email for good (method "link" or "one_click"):
 * records it, withdraws its owner's email consent and suppresses every
 * queued marketing message to it or its owner. Sets *person_id to the
 * owner (0 for none). Returns 1 if it was new, 0 if it already was
 * unsubscribed, or < 0. Call in a db_write job. */
int store_mail_unsubscribe(struct db_conn *c, const char *email, const char *method,
                           long long at, long long *person_id);
/* Returns 1 if email is unsubscribed, 0 if not, or < 0. */
int store_mail_unsubscribed(struct db_conn *c, const char *email);

#endif
