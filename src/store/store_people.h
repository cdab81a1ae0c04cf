/*
 * store_people.h — people, their emails, phones, choices, submissions,
 * duplicate flags, notes and the search index (store layer; all of their SQL
 * lives in store_people.c).
 *
 * The domain (domain/people.c) decides everything — who is the same person,
 * which answer wins, who may see what — and runs its rules inside one
 * writer job (store_people_write), calling the row-level functions below on
 * the job's connection. So a signup's lookups and writes, or a merge and its
 * audit entry, are one unit that commits together or not at all. Reads
 * borrow a pooled connection (store_people_read_begin/_end).
 *
 * Values cross this boundary as they are stored: normalized text, E.164
 * phones, sealed (already encrypted) demographics as opaque bytes, times as
 * seconds since the epoch. Nothing here encrypts, decrypts or validates.
 *
 * Return values: 0 on success (or 1/0 for found/not found where noted), or
 * a negative enum db_rc (store/sql.h): DB_CONSTRAINT, DB_FULL, DB_ERROR.
 * json objects returned through out-pointers are new references the caller
 * json_decref()s. Threading: no state of its own; any thread may call.
 */
#ifndef ONRAMP_STORE_PEOPLE_H
#define ONRAMP_STORE_PEOPLE_H

#include <stddef.h>

#include <jansson.h>

struct db;
struct db_conn;

/* ---- units of work ---- */

/* A writer job: as db_write_fn in store/sql.h (>= 0 keeps its changes,
 * < 0 rolls back its own savepoint). */
typedef int (*store_people_job_fn)(struct db_conn *c, void *arg);

/* A job returns this when a row it relied on changed under it because
 * another server process committed meanwhile (an email it was about to
 * claim is now someone's; a person it found was merged away): the writer
 * then runs the job again in a fresh savepoint, where it sees that commit.
 * Equal to DB_RETRY (store/sql.h, which only the store includes). */
#define STORE_PEOPLE_RETRY (-4)

/* Runs fn(c, arg) on the writer connection and returns once it is durably
 * committed: fn's value, or a negative enum db_rc (then nothing fn wrote
 * exists). Never call from inside another job. */
int store_people_write(struct db *db, store_people_job_fn fn, void *arg);
/* The same for a job that may run more than once (db_write_rerunnable):
 * each run sets every output afresh and writes nothing but rows. */
int store_people_write_rerunnable(struct db *db, store_people_job_fn fn, void *arg);
/* As store_people_write_rerunnable without waiting (db_write_async): 0
 * once queued, then done(done_arg, result) on a store thread; < 0 if it
 * could not be queued (done is never called then). */
int store_people_write_async(struct db *db, store_people_job_fn fn, void *arg,
                             void (*done)(void *done_arg, int result), void *done_arg);
/* Lends a read connection (never NULL); give it back with _read_end. */
struct db_conn *store_people_read_begin(struct db *db);
void store_people_read_end(struct db *db, struct db_conn *c);

/* ---- people rows ----
 *
 * A row is a json object keyed by column: the text columns first_name,
 * last_name, preferred_name, address1, address2, city, state, zip,
 * birth_date, age_range, issues, why_run, source, ref_code (strings; an
 * absent or empty one is stored as NULL), consent_email, consent_sms,
 * consent_share (true/false), created_at and updated_at (integers). Other
 * keys are ignored. Demographics travel separately, as sealed bytes. */

/* Finds the person owning a normalized email / an E.164 phone. Returns 1
 * and sets *person_id, 0 if nobody owns it, or < 0. */
int store_people_find_by_email(struct db_conn *c, const char *email, long long *person_id);
int store_people_find_by_phone(struct db_conn *c, const char *phone, long long *person_id);

/* Inserts a person (demo may be NULL for none). Sets *id. */
int store_people_insert(struct db_conn *c, json_t *row, const void *demo, size_t demolen,
                        long long *id);
/* Overwrites every column of person id with row and demo. */
int store_people_update(struct db_conn *c, long long id, json_t *row, const void *demo,
                        size_t demolen);
/* Loads person id: *row as described above plus "id" (absent NULL columns
 * left out), *demo a malloc'd copy of the sealed demographics (the caller
 * free()s it; NULL with *demolen 0 if none). Returns 1, 0 if there is no
 * such person, or < 0. demo may be NULL when the caller does not need it. */
int store_people_load(struct db_conn *c, long long id, json_t **row, unsigned char **demo,
                      size_t *demolen);

/* Gives email / phone to person id unless someone already owns it.
 * Returns 1 if added, 0 if it was already owned (by anyone), or < 0. */
int store_people_email_add(struct db_conn *c, long long id, const char *email, long long at);
int store_people_phone_add(struct db_conn *c, long long id, const char *phone, long long at);
/* Adds one multi-choice answer (field, code); a repeat is a no-op. */
int store_people_choice_add(struct db_conn *c, long long id, const char *field, const char *code);

/* Sets into["emails"] and into["phones"] to arrays of person id's emails
 * and phones, oldest first. */
int store_people_contacts(struct db_conn *c, long long id, json_t *into);
/* Sets into[field] to an array of codes for each multi-choice field person
 * id has answers for (office_interests, help_wanted, …), sorted. */
int store_people_choices(struct db_conn *c, long long id, json_t *into);

/* Rewrites person id's row of the search index from their current name,
 * emails, phones and ZIP (on SQLite, removes it if they are gone). Not for
 * writer jobs: they call store_search_queue_add, which is this on
 * PostgreSQL and, on SQLite, a log row for the indexer, which calls this
 * on its own connection. */
int store_people_fts_refresh(struct db_conn *c, long long id);
/* A person's search text (name, contact and ZIP, as people_fts and
 * people_search hold them), built from a new row and the one email and
 * phone (or NULL) they are created with — outside the writer, so the
 * signup's job only stores it. Free with store_people_search_text_free. */
struct store_search_text {
	char *name;
	char *contact;
	char *zip;
};
int store_people_search_text(json_t *row, const char *email, const char *phone,
                             struct store_search_text *t);
void store_people_search_text_free(struct store_search_text *t);
/* Writes the search row of a person just inserted (who has no row yet)
 * from t: PostgreSQL its people_search row; SQLite a log row that carries
 * t, for the indexer (store_search_queue.c). */
int store_people_fts_insert(struct db_conn *c, long long id, const struct store_search_text *t);

/* Moves everything of person drop to person keep: emails, phones, choices
 * (union), submissions, notes and flags; open flags between the two are
 * closed as 'merged' (resolved_by = by, 0 for none, at time at). Then
 * deletes drop and its search row (SQLite: logs drop for the indexer).
 * keep's own row is not touched. */
int store_people_absorb(struct db_conn *c, long long keep, long long drop, long long by,
                        long long at);

/* ---- submissions ---- */

struct store_submission {
	long long   id;           /* set by the store (insert ignores it) */
	long long   person_id;    /* 0 for none (a held submission) */
	const char *kind;         /* signup, intake, nomination */
	const char *status;       /* accepted, held */
	const char *hold_reason;  /* NULL unless held */
	const char *source;
	const char *ref_code;
	const char *payload;      /* JSON text of the answers minus the sensitive ones */
	const void *sensitive;    /* sealed sensitive answers, or NULL */
	size_t      sensitive_len;
	const char *ip_hash;
	long long   received_at;
	/* an intake lead's (0 / NULL otherwise): its form, the form's owner,
	 * the unmapped fields and the form's tags (JSON texts) */
	long long   form_id;
	const char *partner;
	const char *custom;
	const char *tags;
};

/* Inserts s (s->id ignored). Sets *id. */
int store_submission_insert(struct db_conn *c, const struct store_submission *s, long long *id);

/* Called once per row; the pointers in s are valid only during the call.
 * Returning < 0 stops the walk and becomes the walk's result. */
typedef int (*store_submission_fn)(const struct store_submission *s, void *arg);
/* Walks person_id's newest limit submissions, newest first. */
int store_submissions_each(struct db_conn *c, long long person_id, int limit,
                           store_submission_fn fn, void *arg);

/* ---- notes ---- */

/* Adds a note by author_id (0 for the system). Sets *id. */
int store_note_insert(struct db_conn *c, long long person_id, long long author_id,
                      const char *body, long long at, long long *id);
/* Sets *rows to person_id's newest limit notes, newest first:
 * [{id, body, author_email (null if none), created_at}]. */
int store_notes_list(struct db_conn *c, long long person_id, int limit, json_t **rows);

/* ---- duplicate flags ---- */

/* Opens a flag for the pair (submission_id 0 for none). Sets *id. */
int store_flag_insert(struct db_conn *c, long long person_a, long long person_b,
                      long long submission_id, const char *reason, long long at, long long *id);
/* Returns 1 if an open flag exists between a and b (either order), 0, or < 0. */
int store_flag_open_between(struct db_conn *c, long long a, long long b);
/* Loads flag id: {id, person_a, person_b, reason, status, created_at}.
 * Returns 1, 0 if there is none, or < 0. */
int store_flag_load(struct db_conn *c, long long id, json_t **row);
/* Closes flag id if it is open: status (dismissed, merged), resolved_by
 * (0 for none), resolved_at. Returns 1 if it was open, 0 if not, or < 0. */
int store_flag_resolve(struct db_conn *c, long long id, const char *status, long long by,
                       long long at);
/* Sets *rows to the oldest limit open flags: [{id, person_a, person_b,
 * name_a, name_b, reason, created_at}]. */
int store_flags_open_list(struct db_conn *c, int limit, json_t **rows);
/* Sets *rows to the open flags involving person_id, oldest first:
 * [{id, other_id, other_name, reason, created_at}]. */
int store_flags_open_for_person(struct db_conn *c, long long person_id, int limit,
                                json_t **rows);

/* ---- search and counts ---- */

enum store_people_sort {
	STORE_PEOPLE_SORT_NEWEST = 0,
	STORE_PEOPLE_SORT_OLDEST,
	STORE_PEOPLE_SORT_NAME,   /* last name, first name */
	STORE_PEOPLE_SORT_STATE,  /* state, then name */
	STORE_PEOPLE_SORT_COUNT
};

/* What to look for; NULL fields do not filter. At most one of text,
 * phone_digits and email is set (text wins, then phone_digits). */
struct store_people_filter {
	const char *text;          /* free-text terms: each a prefix match on name, contact or ZIP;
	                            * a term whose last word is one character is left out, and
	                            * with no term left nothing matches */
	const char *phone_digits;  /* 7+ digits: a prefix of a phone number's digits */
	const char *email;         /* exact, normalized */
	const char *state;
	const char *source;
	const char *office;        /* an office_interests code */
	const char *help;          /* a help_wanted code */
	long long   from;          /* created_at >= from (LLONG_MIN for no bound) */
	long long   to;            /* created_at <  to   (LLONG_MAX for no bound) */
	enum store_people_sort sort;
	long long   limit;         /* rows per page, >= 1 */
	long long   offset;        /* rows skipped, >= 0 */
};

/* Sets *rows to one page of matches — [{id, first_name, last_name,
 * preferred_name, name, email, phone, city, state, zip, created_at,
 * office_interests: [codes]}] (email/phone the person's first) — and
 * *total to the number of matches. Text terms are quoted before they reach
 * the search engine, so no input is ever read as query syntax. */
int store_people_search(struct db_conn *c, const struct store_people_filter *f, json_t **rows,
                        long long *total);

/* Sets *plan to the engine's query plan of the statements f would run
 * (an array of strings: the page query's steps, then the count's; a
 * subquery's steps indented two spaces per level), for tests and for
 * explaining a slow search. SQLite only. */
int store_people_search_plan(struct db_conn *c, const struct store_people_filter *f,
                             json_t **plan);

/* Counts people, submissions of kind 'signup' received at or after since,
 * and open duplicate flags. */
int store_people_counts(struct db_conn *c, long long since, long long *people,
                        long long *signups, long long *open_flags);

#endif
