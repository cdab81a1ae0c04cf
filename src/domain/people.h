/*
 * people.h — the people core: signup with exact dedupe, search, the person
 * page, notes, duplicate flags and merges.
 *
 * Dedupe (people.c): a person is unique by each of their emails and each of
 * their phones (unique indexes in the store). A submission whose email or
 * phone matches one person merges into that person; every submission is kept
 * in the person's history. When the email matches one person and the phone
 * another, nothing is merged: the submission is attached to the email's
 * person and the pair is flagged for staff review.
 *
 * Demographics (sensitive fields) are encrypted with keys->demographics
 * before they reach the store and decrypted only for viewers with
 * PERM_DEMOGRAPHICS_READ.
 *
 * Every function that takes a viewer writes an audit entry for each change.
 * Returned json objects are new references the caller json_decref()s.
 */
#ifndef ONRAMP_PEOPLE_H
#define ONRAMP_PEOPLE_H

#include <jansson.h>

struct db;
struct keys;
struct staff_user;

struct db_conn;
struct signup_result;

/* Extra work of a caller that must commit with the signup itself, run on
 * the writer connection inside the signup's own job (e.g. intake: the
 * idempotency row, the form link and the custom fields), given as
 * signup_meta.hook. Either function may be NULL. */
struct signup_hook {
	/* Runs first. Returns 1 when nothing must be stored because the
	 * answer is already known (a retried post: *out is filled), 0 to go
	 * on, or < 0 to fail the signup. */
	int  (*before)(struct db_conn *c, void *arg, struct signup_result *out);
	/* Runs once the person and the submission are written; < 0 undoes
	 * the whole signup. */
	int  (*after)(struct db_conn *c, void *arg, const struct signup_result *r);
	void  *arg;
};

struct signup_meta {
	const char *source;     /* ?source= (may be NULL) */
	const char *ref;        /* ?ref= referral code (may be NULL) */
	const char *kind;       /* "signup", "intake" (later "nomination") */
	const char *ip_hash;    /* keyed hash of the client IP, or NULL */
	long long   received_at; /* seconds since the epoch; 0 means now (demo data sets a past time) */
	const struct signup_hook *hook; /* NULL for none */
	int         send_mail;  /* queue the confirmation (+ welcome series when new): public forms */
	/* intake: the submission's form, partner, custom fields and tags (JSON
	 * texts), stored with it; 0 / NULL for other submissions */
	long long   form_id;
	const char *partner;
	const char *custom;
	const char *tags;
};

enum signup_outcome {
	SIGNUP_NEW = 0,      /* a new person was created */
	SIGNUP_MERGED,       /* matched one person by email and/or phone */
	SIGNUP_FLAGGED,      /* email and phone matched two people: attached + flagged */
};

struct signup_result {
	long long           person_id;
	long long           submission_id;
	enum signup_outcome outcome;
	int                 replayed;  /* 1: hook->before answered; nothing was stored */
};

/* Stores one validated submission (person_validate()'s output) durably
 * (it is committed before this returns) and dedupes it. raw is what was
 * typed (kept in the submission history; its sensitive fields are stored
 * encrypted). Returns 0, or -1 on a database error (nothing half-written). */
int people_signup(struct db *db, const struct keys *keys, json_t *person, json_t *raw,
                  const struct signup_meta *meta, struct signup_result *out);

/* people_signup without waiting for the database (for the HTTP event
 * loop): prepares on the calling thread and queues the write. Returns 0
 * with *job set — done(done_arg) follows once, on a store thread, when the
 * outcome is final; then people_signup_finish gives it and frees job — or
 * -1 when nothing was queued (done is never called). person, raw and meta
 * (with its hook) must stay valid until people_signup_finish. */
struct people_signup_job;
typedef void (*people_signup_done_fn)(void *done_arg);
int people_signup_start(struct db *db, const struct keys *keys, json_t *person, json_t *raw,
                        const struct signup_meta *meta, people_signup_done_fn done,
                        void *done_arg, struct people_signup_job **job);
/* The outcome of a started signup, as people_signup's (0 and *out, or -1
 * on a database error, nothing half-written). Frees job. */
int people_signup_finish(struct people_signup_job *job, struct signup_result *out);

struct people_query {
	const char *q;            /* free text: name, email, phone or ZIP; NULL for all */
	const char *state;        /* two-letter code or NULL */
	const char *office;       /* office interest code or NULL */
	const char *help;         /* help wanted code or NULL */
	const char *source;       /* exact source or NULL */
	const char *from;         /* signup date >= YYYY-MM-DD, or NULL */
	const char *to;           /* signup date <= YYYY-MM-DD, or NULL */
	const char *sort;         /* "newest" (default), "oldest", "name", "state" */
	int         page;         /* 1-based */
	int         per_page;     /* 1..LIMIT_PAGE_SIZE_MAX */
};

/* Lists matching people: sets *rows to an array of {id, name, email, phone,
 * city, state, zip, created_at, office_interests} and *total to the match
 * count. Returns 0 or -1. */
int people_search(struct db *db, const struct people_query *q, json_t **rows, long long *total);

/* Loads one person with everything about them: fields, emails, phones,
 * submissions (newest first), notes, open duplicate flags; demographics only
 * if the viewer may read them. Returns 0, 1 if there is no such person, -1.
 * Shape: {id, name ("First Last"), the stored fields (first_name … why_run,
 * source, ref_code; absent when empty), consent_email/sms/share (bool),
 * created_at, updated_at, emails: [..], phones: [..], office_interests: [..]
 * and help_wanted: [..] (when answered), submissions: [{id, kind, status,
 * hold_reason, source, ref_code, received_at, answers: {…}}] (newest
 * LIMIT_PAGE_SIZE_MAX), notes: [{id, body, author_email, created_at}]
 * (newest first), flags: [{id, other_id, other_name, reason, created_at}],
 * and, only with PERM_DEMOGRAPHICS_READ, demographics: {gender, …} — the
 * submissions' answers then include their sensitive answers too. */
int people_get(struct db *db, const struct keys *keys, const struct staff_user *viewer,
               long long id, json_t **person);

/* Adds a staff note (audited). Returns 0, 1 if no such person, -1. */
int people_note_add(struct db *db, const struct staff_user *viewer, long long person_id,
                    const char *text);

/* Merges person drop into person keep: emails, phones, submissions, notes
 * and flags move to keep, missing fields are filled from drop, drop is
 * deleted, open flags between them are closed (audited, with before/after).
 * Demographics merge value by value (decrypted with keys->demographics;
 * keep's answers win; sealed again); with keys NULL, keep's sealed set is
 * kept whole, or drop's when keep has none.
 * Returns 0, 1 if either does not exist or they are the same, -1. */
int people_merge(struct db *db, const struct keys *keys, const struct staff_user *viewer,
                 long long keep, long long drop);

/* Lists open duplicate flags with both people's names: array of
 * {id, person_a, person_b, name_a, name_b, reason, created_at}. */
int people_flags_open(struct db *db, json_t **rows);

/* Closes a flag without merging (audited). Returns 0, 1 if none, -1. */
int people_flag_dismiss(struct db *db, const struct staff_user *viewer, long long flag_id);

/* Stores a submission that must not reach a person (e.g. a filled honeypot)
 * with status "held", so nothing typed is lost. Returns 0 or -1. */
int people_hold(struct db *db, const struct keys *keys, json_t *raw, const struct signup_meta *meta,
                const char *reason);

/* Headline counts for the staff home: {people, signups_today, open_flags}. */
int people_counts(struct db *db, json_t **counts);

#endif
