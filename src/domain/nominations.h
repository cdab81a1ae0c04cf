/*
 * nominations.h — "nominate someone to run": the public nomination, the
 * nominee's invitation and accepting it.
 *
 * A nomination stores, in one write job: the nominator as a person (found
 * by email, or created; their email consent as they chose — a consent
 * given stays given), the nominee as a "nominated by …" person record
 * (found by email or phone, or created with source "nomination" and
 * ref_code "person:NOMINATOR_ID": the nominator is the referrer) holding
 * only a 'nomination' submission — so not counted as a signup —, the
 * nomination row (the accept token only as a SHA-256 hash), and the
 * invitation email (unless the address unsubscribed).
 *
 * Accepting: the invitation links to /signup?nomination=TOKEN, which shows
 * the signup form prefilled from the nominee record. Its submission runs
 * the normal people_signup with a hook (nomination_accept_prepare) that,
 * in the same job, claims the nomination once, gives the typed email to the
 * nominee record when nobody owns it (so the dedupe merges the signup into
 * that record), and afterwards folds the record into whoever the signup
 * landed in, records who accepted, and queues the welcome series. The
 * 'signup' submission makes it a counted signup from then on.
 *
 * Threading: no state of its own. json returned is the caller's.
 */
#ifndef ONRAMP_NOMINATIONS_H
#define ONRAMP_NOMINATIONS_H

#include <stddef.h>

#include <jansson.h>

#include "domain/people.h"

struct db;
struct keys;

/* Checks the public form's answers (strings as posted): nominator_first_name,
 * nominator_last_name, nominator_email, consent_email ("1" or ""),
 * nominee_first_name, nominee_last_name, nominee_email and/or nominee_phone
 * (at least one), reason (optional paragraph). Sets *out to the normalized
 * answers, or *errors to {field: message}. Returns 0, or -1 (errors, or out
 * of memory with *errors NULL). */
int nomination_validate(json_t *input, json_t **out, json_t **errors);

struct nomination_result {
	long long nomination_id;
	long long nominee_id;
	long long nominator_id;
	int       invited;      /* an invitation was queued */
};

/* Stores a validated nomination (see above). accept_base is the URL the
 * token is appended to ("https://…/signup?nomination="); raw is what was
 * typed (kept as the nominee's submission). Returns 0 or -1. */
int nomination_submit(struct db *db, json_t *clean, json_t *raw, const char *accept_base,
                      const char *ip_hash, struct nomination_result *out);

/* The signup form's prefill for an open nomination's token: a new object
 * {first_name, last_name, email, phone} from the nominee record (absent
 * when unknown). Returns 0, 1 if the token names no open nomination, -1. */
int nomination_prefill(struct db *db, const char *token, json_t **values);

/* Accepting a nomination as part of a signup. */
struct nomination_accept {
	struct signup_hook hook;        /* meta.hook = &acc.hook */
	long long          nomination_id;
	long long          nominee_id;
	const char        *email;       /* the signup's normalized email (borrowed) */
	int                claimed;     /* set by the hook: this signup accepted it */
};

/* Fills acc for token (an open nomination) and the signup's validated
 * person; then pass &acc->hook in signup_meta.hook. Returns 0, 1 if the
 * token names no open nomination (sign up normally), -1. */
int nomination_accept_prepare(struct db *db, const char *token, json_t *person,
                              struct nomination_accept *acc);

/* The nominations naming person_id (for the person page): [{id,
 * nominator_name, nominator_person_id, reason, status, created_at,
 * accepted_at}]. Returns 0 or -1. */
int nominations_for_person(struct db *db, long long person_id, json_t **rows);

#endif
