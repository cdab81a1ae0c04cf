/*
 * intake.h — the universal lead intake: a registry of forms and one
 * endpoint that turns any form's post into a lead.
 *
 * A form has a name, an owner ("" for the organization, else the partner
 * organization), a key (the capability in its URL, /intake/KEY: 256 random
 * bits, stored only as a hash, rotatable), an authentication mode — "key"
 * (the URL alone), "header" (plus X-Onramp-Secret: the form's secret) or
 * "hmac" (plus X-Onramp-Signature: hex HMAC-SHA256 of the raw body under
 * the secret) —, a field mapping, default tags, a per-minute rate and
 * whether it is active.
 *
 * The mapping: a post is first flattened to names and values (nested JSON
 * objects give dotted names, "person.email"; array items their index,
 * "emails.0.address"); each name mapped to a person field (person.h) — or
 * named exactly like one — feeds that field; the special target
 * "idempotency_key" carries a retry key; every other name is kept as a
 * custom field of the submission, never dropped.
 *
 * Every lead goes through person_validate() and people_signup() — the same
 * normalization and exact dedupe as the public signup — with kind "intake",
 * and its form link, custom fields and idempotency row are written in the
 * signup's own writer job (a signup_hook), so all commit together. A lead
 * that fails validation is stored sealed in rejected_leads, with its
 * errors, for staff to fix and replay.
 *
 * Returned json objects are new references the caller json_decref()s.
 * Threading: every function may be called from any thread; the forms cache
 * locks internally.
 */
#ifndef ONRAMP_INTAKE_H
#define ONRAMP_INTAKE_H

#include <stddef.h>

#include <jansson.h>

struct db;
struct keys;
struct staff_user;

/* Text of a form key or a secret: 64 lowercase hex digits and a NUL. */
#define INTAKE_TOKEN_TEXT 65

/* A form's settings as staff give them. */
struct intake_form_spec {
	const char *name;            /* 1..LIMIT_SHORT_TEXT bytes */
	const char *owner;           /* "" or NULL for the organization */
	const char *auth;            /* "key", "header", "hmac" */
	json_t     *mapping;         /* {payload name: person field or "idempotency_key"} (borrowed) */
	json_t     *tags;            /* [strings] (borrowed; NULL for none) */
	long long   rate_per_minute; /* 1..LIMIT_INTAKE_RATE_MAX */
	int         active;
};

/* Checks a spec: returns 0, or -1 with a plain reason in err. */
int intake_spec_check(const struct intake_form_spec *spec, char *err, size_t errlen);

/* Parses mapping text, one "payload name = person field" per line (or ","
 * separated), into a new object. Returns 0 and *mapping, or -1 with a
 * reason in err. */
int intake_mapping_parse(const char *text, json_t **mapping, char *err, size_t errlen);
/* The mapping as text for editing ("name = field" lines), malloc'd; the
 * caller free()s it. NULL when out of memory. */
char *intake_mapping_text(json_t *mapping);

/* Creates a form (audited; viewer NULL for the command line). Sets *id and
 * key (the only time the key is shown in clear) and, when the form's auth
 * is header or hmac, secret (else secret is ""). Returns 0, or -1 with a
 * reason in err. */
int intake_form_create(struct db *db, const struct keys *keys, const struct staff_user *viewer,
                       const struct intake_form_spec *spec, long long *id,
                       char key[INTAKE_TOKEN_TEXT], char secret[INTAKE_TOKEN_TEXT],
                       char *err, size_t errlen);
/* Changes form id's settings (audited). new_secret set (or the auth moving
 * from "key" to another mode) makes a fresh secret, written to secret;
 * else secret is "". Returns 0, 1 if there is no such form, -1 (err). */
int intake_form_update(struct db *db, const struct keys *keys, const struct staff_user *viewer,
                       long long id, const struct intake_form_spec *spec, int new_secret,
                       char secret[INTAKE_TOKEN_TEXT], char *err, size_t errlen);
/* Replaces form id's key (audited); the old key stops working at once in
 * this process (within INTAKE_CACHE_SECONDS on other nodes). Returns 0, 1
 * if there is no such form, -1. */
int intake_form_rotate_key(struct db *db, const struct staff_user *viewer, long long id,
                           char key[INTAKE_TOKEN_TEXT]);
/* Loads form id: {id, name, owner, key_hint, auth, mapping: {…},
 * mapping_text, tags: […], rate_per_minute, active, created_at,
 * updated_at}. Returns 0, 1 if none, -1. */
int intake_form_get(struct db *db, long long id, json_t **form);
/* Every form with its counts: [{…as above…, leads, rejected}]. */
int intake_forms_list(struct db *db, json_t **forms);
/* The newest limit leads of form id (see store_intake_recent). */
int intake_form_recent(struct db *db, long long id, int limit, json_t **rows);

/* ---- the endpoint ---- */

/* How long a looked-up form is trusted before it is read again (a change
 * made on another node takes effect within this). */
#define INTAKE_CACHE_SECONDS 5

/* A form as the endpoint sees it (a snapshot from the cache). */
struct intake_form;

/* Finds the active form whose key is key. Returns 0 and *form (release
 * with intake_form_release), 1 when no active form has this key, -1 on a
 * database error. */
int intake_form_lookup(struct db *db, const struct keys *keys, const char *key,
                       struct intake_form **form);
void intake_form_release(struct intake_form *form);
/* The form's id and per-minute rate, for the caller's rate limit. */
long long intake_form_id(const struct intake_form *form);
long long intake_form_rate(const struct intake_form *form);

/* Checks the form's extra authentication: secret_header (X-Onramp-Secret)
 * or signature (X-Onramp-Signature: hex, optionally "sha256=" first) of
 * body. Either may be NULL. Returns 1 if the post is authentic, 0 if not. */
int intake_form_authentic(const struct intake_form *form, const char *secret_header,
                          const char *signature, const void *body, size_t body_len);

/* Turns a post into the input person_validate() takes (*input), the custom
 * fields (*custom, {} when none) and the idempotency key from a mapped
 * field (*idem_key, a pointer into *custom or *input's strings… copied:
 * malloc'd, free(); NULL when none). payload is the body as JSON (an
 * object) or the form fields as an object of strings (repeated names as
 * arrays). Returns 0, or -1 when the payload is not usable (with a reason
 * in err: too deep, too many fields, not an object). */
int intake_map(json_t *mapping, json_t *payload, json_t **input, json_t **custom,
               char **idem_key, char *err, size_t errlen);

enum intake_outcome {
	INTAKE_NEW = 0,      /* a new person */
	INTAKE_MERGED,       /* merged into the person owning the email/phone */
	INTAKE_FLAGGED,      /* email and phone of two people: attached and flagged */
	INTAKE_REPLAYED,     /* the idempotency key was seen: the first answer */
	INTAKE_REJECTED,     /* validation failed: stored in rejected_leads */
};

struct intake_result {
	enum intake_outcome outcome;
	long long           person_id;      /* 0 when rejected */
	long long           submission_id;  /* 0 when rejected */
	long long           rejected_id;    /* when rejected */
	json_t             *errors;         /* when rejected: {field: message}; caller decrefs */
};

/* Accepts one post for form: maps it, validates it, and stores it durably
 * (committed before this returns) through the signup's dedupe, or as a
 * rejected lead. idem_key (the Idempotency-Key header, or NULL) wins over
 * a mapped one. ip_hash may be NULL. Returns 0 (see out->outcome) or -1
 * on a database error or an unusable payload (nothing stored then). */
int intake_accept(struct db *db, const struct keys *keys, const struct intake_form *form,
                  json_t *payload, const char *idem_key, const char *ip_hash,
                  struct intake_result *out);

/* intake_accept without waiting for the database (the HTTP event loop):
 * maps and validates on the calling thread, then queues the write.
 * Returns 0 when answered at once (*out: a payload or Idempotency-Key that
 * cannot be used), 1 when queued — done(done_arg) follows once, on a
 * store thread, when the outcome is final; then intake_accept_finish — or
 * -1 (nothing queued). form, payload, idem_key and ip_hash must stay valid
 * until intake_accept_finish. */
struct intake_pending;
typedef void (*intake_done_fn)(void *done_arg);
int intake_accept_start(struct db *db, const struct keys *keys, const struct intake_form *form,
                        json_t *payload, const char *idem_key, const char *ip_hash,
                        intake_done_fn done, void *done_arg, struct intake_pending **pending,
                        struct intake_result *out);
/* The outcome of a queued post, as intake_accept's (0 and *out, or -1).
 * Frees pending. */
int intake_accept_finish(struct intake_pending *pending, struct intake_result *out);

/* ---- rejected leads ---- */

/* The newest open rejected leads of form_id (0: of every form), as
 * [{id, form_id, errors: {…}, received_at}]. */
int intake_rejected_list(struct db *db, long long form_id, int limit, json_t **rows);
/* Opens rejected lead id: {id, form_id, status, received_at, person_id?,
 * errors: {…}, input: {…the mapped answers…}, custom: {…}}. Sensitive
 * answers are left out of input unless with_sensitive. Returns 0, 1 if
 * none, -1. */
int intake_rejected_get(struct db *db, const struct keys *keys, long long id,
                        int with_sensitive, json_t **lead);
/* Replays rejected lead id with fixes (an object of field: value replacing
 * the stored answers) through the same path as a post. On success marks
 * it replayed (audited) and fills out as intake_accept (never REJECTED);
 * when the fixed lead is still invalid returns 2 with out->errors set.
 * Returns 0, 1 if no such open lead, 2, or -1. */
int intake_rejected_replay(struct db *db, const struct keys *keys,
                           const struct staff_user *viewer, long long id, json_t *fixes,
                           struct intake_result *out);

/* ---- compliance counts ---- */

/* The counters, exact at the moment of the read: {people, emails, phones,
 * leads, leads_today, days: {YYYY-MM-DD: n} (the last 30), forms:
 * [{id, name, owner, leads, rejected}], partners: {owner: leads}}
 * ("" is shown as the organization's own). With recount set, the same
 * numbers computed by scanning every table are added as "recount" and
 * "consistent": true/false. */
int intake_counts(struct db *db, int recount, json_t **counts);

/* Called per person of the deduplicated export (see store_intake.h). */
typedef int (*intake_export_fn)(long long id, const char *first_name, const char *last_name,
                                const char *emails, const char *phones, const char *state,
                                const char *zip, long long created_at, void *arg);
/* Walks every person once, by id, with all their emails and phones. */
int intake_export_each(struct db *db, intake_export_fn fn, void *arg);

#endif
