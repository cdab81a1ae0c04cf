/*
 * mail.h — email: templates staff edit, rendering, the outbox as staff
 * see it, and unsubscribing.
 *
 * Templates (mail_templates, seeded by migration 5) have a subject and a
 * plain-text body, both Mustache rendered WITHOUT HTML escaping
 * (mustache_render_text), and a kind: "transactional" (mail the person
 * asked for — always sent) or "marketing" (only to people who consented to
 * email and never unsubscribed; checked when queued and again when sent).
 *
 * Every message to a person carries a signed unsubscribe link (no login:
 * the token is the address and a MAC of it under keys->mail) in the
 * List-Unsubscribe header with List-Unsubscribe-Post (RFC 8058); marketing
 * messages also get it as a footer under the body, so an edited template
 * can never lose it.
 *
 * Variables every template may use: first_name (the preferred name when
 * given), last_name, name, org_name, base_url, unsubscribe_url; plus the
 * ones the sender passed (see docs in README "Email"): nomination_invite has
 * nominee_name, nominator_name, reason, accept_url; call_follow_up and
 * task_reminder whatever the pipeline passes (volunteer_name, next_steps,
 * due_date; title, person_name, link).
 *
 * Threading: no state; any thread. json returned is the caller's to
 * json_decref(); char * returned are the caller's to free().
 */
#ifndef ONRAMP_MAIL_H
#define ONRAMP_MAIL_H

#include <stddef.h>

#include <jansson.h>

struct db;
struct db_conn;
struct keys;
struct staff_user;

/* What rendering needs to know about the installation. */
struct mail_settings {
	const struct keys *keys;
	const char        *base_url;   /* "https://example.org", no trailing slash */
	const char        *org_name;
};

/* Days after a signup of each welcome message (the series' codes are
 * welcome_day0, welcome_day2, welcome_day5). */
extern const int mail_welcome_days[3];

/* Queues the signup confirmation (transactional) for person_id to email
 * (the address they typed; NULL: their oldest), and when is_new the
 * welcome series (marketing, skipped without consent) starting at `at`.
 * Call inside the signup's write job. Returns 0 or < 0. */
int mail_queue_signup(struct db_conn *c, long long person_id, const char *email, int is_new,
                      long long at);
/* Queues only the welcome series (an accepted nomination). */
int mail_queue_welcome(struct db_conn *c, long long person_id, const char *email, long long at);

/* ---- unsubscribe links ---- */

/* Writes the unsubscribe token of email into out ("B64.B64", URL-safe).
 * Returns 0 or -1 (out too small). */
int mail_unsubscribe_token(const struct keys *keys, const char *email, char *out, size_t outlen);
/* Checks a token; on success writes its email into email and returns 0;
 * -1 for anything forged, truncated or malformed (compared in constant
 * time). */
int mail_unsubscribe_check(const struct keys *keys, const char *token, char *email,
                           size_t emaillen);
/* Unsubscribes email for good (method "link" or "one_click"): no more
 * marketing mail, queued marketing mail suppressed, consent withdrawn.
 * Returns 0 or -1. */
int mail_unsubscribe(struct db *db, const char *email, const char *method);

/* ---- rendering ---- */

/* Renders an outbox row (store_mail_load's shape) into a new subject and
 * body (the marketing footer added): the template as it is now (tmpl_*),
 * or the text kept when it was sent. Returns 0, or -1 with a reason in err
 * (the template is gone or no longer compiles). */
int mail_render_row(const struct mail_settings *s, json_t *row, char **subject, char **body,
                    char *err, size_t errlen);
/* The unsubscribe URL for an address, a new string; NULL on failure. */
char *mail_unsubscribe_url(const struct mail_settings *s, const char *email);

/* ---- templates (staff) ---- */

/* [{id, code, name, kind, subject, updated_at}] by name. Returns 0 or -1. */
int mail_templates_list(struct db *db, json_t **rows);
/* One template with its body. Returns 0, 1 if there is none, -1. */
int mail_template_get(struct db *db, long long id, json_t **row);
/* Checks and saves a template (audited as mail.template_update, before and
 * after). subject: one line, 1..LIMIT_MAIL_SUBJECT bytes; body:
 * 1..LIMIT_MAIL_BODY bytes of text; both must compile as Mustache; kind
 * "transactional" or "marketing". Returns 0, 1 if there is no such
 * template, 2 if refused (errors: {field: message}, a new object), -1. */
int mail_template_save(struct db *db, const struct staff_user *viewer, long long id,
                       const char *subject, const char *body, const char *kind,
                       json_t **errors);
/* Renders subject and body with sample values for the template code, as a
 * new {subject, body} (the footer added for marketing); or, when one does
 * not compile, {error}. Returns 0 or -1 (out of memory). */
int mail_template_preview(const struct mail_settings *s, const char *code, const char *subject,
                          const char *body, const char *kind, json_t **out);

/* ---- the outbox (staff) ---- */

/* One page of the outbox, newest first, status NULL for all: *rows as
 * store_mail_list, *total, *counts {queued, sent, failed, suppressed}.
 * Returns 0 or -1. */
int mail_outbox_list(struct db *db, const char *status, int page, int per_page, json_t **rows,
                     long long *total, json_t **counts);
/* One message: the row (store_mail_load) with "subject" and "body" set to
 * what was sent, or for an unsent one to what would be sent now
 * ("rendered": true), or "render_error". Returns 0, 1 if none, -1. */
int mail_outbox_get(struct db *db, const struct mail_settings *s, long long id, json_t **row);

#endif
