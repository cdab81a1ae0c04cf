/*
 * store_intake.h — intake forms, their submissions' links, idempotency keys,
 * rejected leads and the compliance counters (store layer; all of their SQL
 * lives in store_intake.c).
 *
 * The domain (domain/intake.c) decides everything; the writes of one lead
 * run inside people_signup's own writer job (through its signup_hook), so a
 * lead, its form link, its idempotency row and the counters (kept by the
 * triggers of migration 3) commit together or not at all.
 *
 * A form row, as json: {id, name, owner, key_hint, auth, mapping (JSON
 * text), tags (JSON text), rate_per_minute, active (bool), created_at,
 * updated_at}. Its secret travels separately, sealed, as opaque bytes.
 *
 * Return values: 0 on success (or 1/0 for found/not found where noted), or
 * a negative enum db_rc (store/sql.h). json objects returned through
 * out-pointers are new references the caller json_decref()s.
 * Threading: no state of its own; any thread may call.
 */
#ifndef ONRAMP_STORE_INTAKE_H
#define ONRAMP_STORE_INTAKE_H

#include <stddef.h>

#include <jansson.h>

struct db;
struct db_conn;

/* A writer job (as db_write_fn). */
typedef int (*store_intake_job_fn)(struct db_conn *c, void *arg);
/* Runs fn on the writer and returns once it is durably committed (as
 * store_people_write). */
int store_intake_write(struct db *db, store_intake_job_fn fn, void *arg);
/* The same without waiting (db_write_async): 0 once queued, then
 * done(done_arg, result) on a store thread; < 0 if not queued. */
int store_intake_write_async(struct db *db, store_intake_job_fn fn, void *arg,
                             void (*done)(void *done_arg, int result), void *done_arg);
/* Lends a read connection (never NULL); give it back with _read_end. */
struct db_conn *store_intake_read_begin(struct db *db);
void store_intake_read_end(struct db *db, struct db_conn *c);

/* ---- forms ---- */

struct store_intake_form {
	const char *name;
	const char *owner;       /* "" for the organization itself */
	const char *auth;        /* key, header, hmac */
	const void *secret;      /* sealed, or NULL */
	size_t      secret_len;
	const char *mapping;     /* JSON text */
	const char *tags;        /* JSON text */
	long long   rate_per_minute;
	int         active;
};

/* Inserts a form with its key hash and hint at time at. Sets *id. */
int store_intake_form_insert(struct db_conn *c, const struct store_intake_form *f,
                             const char *key_hash, const char *key_hint, long long at,
                             long long *id);
/* Overwrites form id's settings (not its key). Returns 1, 0 if none, < 0. */
int store_intake_form_update(struct db_conn *c, long long id, const struct store_intake_form *f,
                             long long at);
/* Replaces form id's key. Returns 1, 0 if there is no such form, < 0. */
int store_intake_form_set_key(struct db_conn *c, long long id, const char *key_hash,
                              const char *key_hint, long long at);
/* Loads a form by id, or by the hash of its key. *row as above; *secret a
 * malloc'd copy of the sealed secret (free(); NULL when none; secret may be
 * NULL when not wanted). Returns 1, 0 if none, < 0. */
int store_intake_form_load(struct db_conn *c, long long id, json_t **row,
                           unsigned char **secret, size_t *secret_len);
int store_intake_form_by_key(struct db_conn *c, const char *key_hash, json_t **row,
                             unsigned char **secret, size_t *secret_len);
/* Sets *rows to every form (by name), each with leads and rejected (the
 * counters of that form). */
int store_intake_forms_list(struct db_conn *c, json_t **rows);

/* ---- a lead's own rows ---- */

/* Inside the job that stored submission_id (with its form link): puts it
 * on form_id's list of submissions — on SQLite in bulk at the end of a
 * group once enough wait (store_intake_recent reads the rest straight from
 * the submissions), on PostgreSQL at once. 0 or < 0. */
int store_intake_form_list_add(struct db_conn *c, long long form_id, long long submission_id);
/* Finds (form_id, key). Returns 1 and the first answer's ids, 0, or < 0. */
int store_intake_idem_find(struct db_conn *c, long long form_id, const char *key,
                           long long *person_id, long long *submission_id);
/* Records (form_id, key) → the answer. */
int store_intake_idem_insert(struct db_conn *c, long long form_id, const char *key,
                             long long person_id, long long submission_id, long long at);
/* Sets *rows to form_id's newest limit leads: [{submission_id, person_id,
 * name, received_at, custom (JSON text or absent)}]. */
int store_intake_recent(struct db_conn *c, long long form_id, int limit, json_t **rows);

/* ---- rejected leads ---- */

/* Stores a rejected lead: input sealed, errors JSON text. Sets *id. */
int store_intake_rejected_insert(struct db_conn *c, long long form_id, const void *input,
                                 size_t input_len, const char *errors, long long at,
                                 long long *id);
/* Sets *rows to form_id's newest limit open rejected leads (form_id 0: of
 * every form): [{id, form_id, errors (JSON text), received_at}]. */
int store_intake_rejected_list(struct db_conn *c, long long form_id, int limit, json_t **rows);
/* Loads rejected lead id: *row {id, form_id, errors, status, received_at,
 * person_id (absent when NULL)}, *input a malloc'd copy of the sealed input
 * (free()). Returns 1, 0 if none, < 0. */
int store_intake_rejected_load(struct db_conn *c, long long id, json_t **row,
                               unsigned char **input, size_t *input_len);
/* Marks rejected lead id replayed into person_id by user by (0: none).
 * Returns 1 if it was open, 0 if not, < 0. */
int store_intake_rejected_resolve(struct db_conn *c, long long id, long long person_id,
                                  long long by, long long at);

/* ---- counts ---- */

/* Sets *rows to every counter: [{name, bucket, value}]. */
int store_intake_counters(struct db_conn *c, json_t **rows);
/* Recomputes the same counters by scanning the tables (slow; for checks):
 * the same shape as store_intake_counters, zero rows left out. */
int store_intake_recount(struct db_conn *c, json_t **rows);

/* Called once per person of the deduplicated export; the strings are valid
 * only during the call. emails and phones are ";"-separated, sorted. A
 * value < 0 stops the walk and becomes its result. */
typedef int (*store_intake_export_fn)(long long id, const char *first_name,
                                      const char *last_name, const char *emails,
                                      const char *phones, const char *state, const char *zip,
                                      long long created_at, void *arg);
/* Walks every person, by id. */
int store_intake_export_each(struct db_conn *c, store_intake_export_fn fn, void *arg);

#endif
