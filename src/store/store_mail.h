/*
 * store_mail.h — the mail outbox (store layer).
 *
 * Mail is written to the outbox in the same db_write job as the change that
 * causes it (a signup, a nomination, a logged call), so the two commit
 * together: no mail for a change that rolled back, no change without its
 * mail. A background worker (domain/mail_worker.c) sends due rows through
 * SMTP with retries; without SMTP configured rows stay in the outbox, where
 * staff read them.
 */
#ifndef ONRAMP_STORE_MAIL_H
#define ONRAMP_STORE_MAIL_H

#include <jansson.h>

struct db_conn;

/* Queues the template template_code (e.g. "signup_confirmation",
 * "nomination_invite", "call_follow_up", "task_reminder") for a person
 * (person_id > 0) or a staff user (user_id > 0), rendered at send time with
 * vars (borrowed; may be NULL), not before send_after (seconds since the
 * epoch; 0 = now). Call it inside a db_write job. Marketing templates are
 * skipped (returns 0, nothing queued) for a person who has not consented to
 * email or has unsubscribed. Returns 0 or a negative enum db_rc. */
int store_mail_enqueue(struct db_conn *c, const char *template_code, long long person_id,
                       long long user_id, json_t *vars, long long send_after);

#endif
