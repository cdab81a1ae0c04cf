/*
 * people.c — the people core: signup with exact dedupe, search, the person
 * page, notes, duplicate flags and merges. See people.h.
 *
 * Exact dedupe: a signup's lookups (who owns this email? this phone?) and
 * its writes run in ONE writer job (store_people_write), and the store has
 * a single writer that runs jobs one at a time, so two signups of the same
 * person can never both see "nobody" and both insert; the unique keys on
 * person_emails and person_phones are the backstop. Every change a staff
 * member makes is written with its audit entry in the same job.
 *
 * Sensitive fields are exactly those whose person_fields[] row says
 * .sensitive (person_field_find): they are sealed (sealed.h, under
 * keys->demographics) before they reach the store — as the person's merged
 * demographics and as each submission's own sensitive answers — and opened
 * only for a viewer with PERM_DEMOGRAPHICS_READ. The audit log never holds
 * them: a person snapshot says "[encrypted]" in their place.
 *
 * Threading: no state of its own; every function may be called from any
 * thread. Job functions run on the store's writer thread and touch only
 * their job struct and the connection they are given.
 */
#include "domain/people.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/auth.h"
#include "domain/keys.h"
#include "domain/mail.h"
#include "domain/person.h"
#include "domain/pipeline.h"
#include "domain/roles.h"
#include "domain/sealed.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "store/store_audit.h"
#include "store/store_people.h"
#include "store/store_search_queue.h"

/* How many submissions, notes and flags the person page and the flag list
 * show (newest submissions and notes; oldest open flags first). */
#define PEOPLE_LIST_MAX LIMIT_PAGE_SIZE_MAX
/* What a person snapshot in the audit log shows instead of demographics. */
#define PEOPLE_ENCRYPTED_MARK "[encrypted]"
#define PEOPLE_DAY_SECONDS 86400LL
/* A job's own failure: any negative value rolls the job back; store
 * functions return their negative enum db_rc, passed on unchanged. */
#define PEOPLE_ERROR (-1)

/* ---- what a field is ---- */

static int people_field_sensitive(const char *name)
{
	const struct person_field *f = person_field_find(name);

	return f != NULL && f->sensitive;
}

/* Multi-choice answers stored in person_choices (sensitive ones are sealed
 * with the demographics instead). */
static int people_field_choices(const char *name)
{
	const struct person_field *f = person_field_find(name);

	return f != NULL && f->kind == PF_MULTI && !f->sensitive;
}

static int people_field_consent(const char *name)
{
	const struct person_field *f = person_field_find(name);

	return f != NULL && f->kind == PF_CONSENT;
}

/* A one-value field kept in a people column: not sensitive, not multi, not
 * a consent, and not email/phone (those have their own tables). */
static int people_field_column(const char *name)
{
	const struct person_field *f = person_field_find(name);

	if (f == NULL || f->sensitive)
		return 0;
	return f->kind != PF_MULTI && f->kind != PF_CONSENT && f->kind != PF_EMAIL &&
	       f->kind != PF_PHONE;
}

/* A consent is given by true, a nonzero integer or the string "1". */
static int people_consent_given(json_t *v)
{
	if (json_is_true(v))
		return 1;
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	if (json_is_string(v))
		return strcmp(json_string_value(v), "1") == 0;
	return 0;
}

/* An answer that says something: a non-empty string or a non-empty array. */
static int people_answered(json_t *v)
{
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_boolean(v) || json_is_number(v))
		return 1;
	return 0;
}

/* Splits in into a new object of its non-sensitive keys (*plain) and a new
 * object of its answered sensitive keys (*sensitive). Both are shallow
 * copies. Returns 0 or -1. */
static int people_split(json_t *in, json_t **plain, json_t **sensitive)
{
	const char *key;
	json_t *v;

	*plain = json_object();
	*sensitive = json_object();
	if (*plain == NULL || *sensitive == NULL)
		goto fail;
	json_object_foreach(in, key, v) {
		if (people_field_sensitive(key)) {
			if (people_answered(v) && json_object_set(*sensitive, key, v) < 0)
				goto fail;
		} else if (json_object_set(*plain, key, v) < 0) {
			goto fail;
		}
	}
	return 0;
fail:
	json_decref(*plain);
	json_decref(*sensitive);
	*plain = *sensitive = NULL;
	return -1;
}

/* Seals obj if it has any keys; *blob stays NULL for an empty object. */
static int people_seal(const struct keys *keys, json_t *obj, unsigned char **blob, size_t *len)
{
	*blob = NULL;
	*len = 0;
	if (json_object_size(obj) == 0)
		return 0;
	return sealed_encrypt_json(keys->demographics, obj, blob, len);
}

/* "First Last" of a row or person object, as a new json string. */
static json_t *people_display_name(json_t *row)
{
	const char *first = json_string_value(json_object_get(row, "first_name"));
	const char *last = json_string_value(json_object_get(row, "last_name"));
	buf b;
	json_t *j;

	buf_init(&b, 2 * LIMIT_NAME + 2);
	buf_adds(&b, first ? first : "");
	if (first && *first && last && *last)
		buf_addc(&b, ' ');
	buf_adds(&b, last ? last : "");
	j = buf_failed(&b) ? NULL : json_string(buf_str(&b));
	buf_free(&b);
	return j;
}

static long long people_now(void)
{
	return (long long)time(NULL);
}

/* ---- signup ---- */

struct people_signup_job {
	const struct keys         *keys;
	json_t                    *person;  /* normalized; borrowed */
	const char                *email;
	const char                *phone;   /* NULL when none */
	const struct signup_meta  *meta;
	const struct signup_hook  *hook;    /* NULL for none */
	const char                *kind;
	long long                  received_at;
	struct store_submission    sub;     /* prepared outside the job */
	/* Prepared outside the job too, so the writer thread (which every
	 * signup waits for) does only what needs the database: */
	json_t                    *plain;   /* person's non-sensitive answers */
	json_t                    *sens;    /* person's answered sensitive ones */
	json_t                    *new_row; /* the people row if they are new */
	unsigned char             *new_demo; /* sens sealed, if they are new */
	size_t                     new_demolen;
	struct store_search_text   new_text; /* their search text, if they are new */
	char                      *payload; /* sub.payload's text */
	unsigned char             *sealed;  /* sub.sensitive's bytes */
	struct signup_result       result;
	/* people_signup_start: told once the write's outcome is final */
	people_signup_done_fn      done;
	void                      *done_arg;
	int                        rc;      /* the write's result */
};

/* Adds every code of person's non-sensitive multi-choice answers to id. */
static int people_add_choices(struct db_conn *c, long long id, json_t *person)
{
	const char *key;
	json_t *v, *code;
	size_t i;
	int rc;

	json_object_foreach(person, key, v) {
		if (!people_field_choices(key) || !json_is_array(v))
			continue;
		json_array_foreach(v, i, code) {
			if (!json_is_string(code) || json_string_length(code) == 0)
				continue;
			if ((rc = store_people_choice_add(c, id, key, json_string_value(code))) < 0)
				return rc;
		}
	}
	return 0;
}

/* Merges person's column answers into row: a non-empty answer replaces
 * what was there (the newer answer wins), a given consent stays given. */
static int people_merge_answers(json_t *row, json_t *person)
{
	const char *key;
	json_t *v;

	json_object_foreach(person, key, v) {
		if (people_field_consent(key)) {
			if (people_consent_given(v) && json_object_set_new(row, key, json_true()) < 0)
				return -1;
		} else if (people_field_column(key) && json_is_string(v) && json_string_length(v) > 0) {
			if (json_object_set(row, key, v) < 0)
				return -1;
		}
	}
	return 0;
}

/* Sets row[key] to value when row has no non-empty string there. */
static int people_fill(json_t *row, const char *key, const char *value)
{
	const char *have = json_string_value(json_object_get(row, key));

	if (value == NULL || *value == '\0' || (have && *have))
		return 0;
	return json_object_set_new(row, key, json_string(value));
}

/* Seals the person's sensitive answers merged over the sealed ones in
 * old (may be NULL): new answered values win. Sets *blob (NULL if there is
 * nothing to seal) — or, when old cannot be opened (another key), leaves
 * *keep_old set so the caller keeps the old blob untouched: the new
 * answers are still in the submission's own sealed copy. */
static int people_demographics_merge(const struct keys *keys, const unsigned char *old,
                                     size_t oldlen, json_t *fresh, unsigned char **blob,
                                     size_t *bloblen, int *keep_old)
{
	json_t *merged = NULL;
	int rc = -1;

	*blob = NULL;
	*bloblen = 0;
	*keep_old = 0;
	if (old && oldlen) {
		if (sealed_decrypt_json(keys->demographics, old, oldlen, &merged) < 0) {
			log_warn("people: stored demographics do not open with the current key;"
			         " keeping them unchanged");
			*keep_old = 1;
			return 0;
		}
	} else {
		merged = json_object();
		if (merged == NULL)
			return -1;
	}
	if (json_object_update(merged, fresh) < 0)
		goto fail;
	rc = people_seal(keys, merged, blob, bloblen);
fail:
	json_decref(merged);
	return rc;
}

/* Creates a new person from the submission. */
/* Builds, outside the writer, what creating the person would store: the
 * row and the sealed demographics (job->new_row, job->new_demo). */
static int people_signup_prepare_new(struct people_signup_job *job)
{
	json_t *row = json_object();

	if (row == NULL || people_merge_answers(row, job->plain) < 0 ||
	    people_fill(row, "source", job->meta->source) < 0 ||
	    people_fill(row, "ref_code", job->meta->ref) < 0 ||
	    json_object_set_new(row, "created_at", json_integer(job->received_at)) < 0 ||
	    json_object_set_new(row, "updated_at", json_integer(job->received_at)) < 0) {
		json_decref(row);
		return -1;
	}
	job->new_row = row;
	if (store_people_search_text(row, job->email, job->phone, &job->new_text) < 0)
		return -1;
	return people_seal(job->keys, job->sens, &job->new_demo, &job->new_demolen);
}

/* Creates a new person from the submission (the row prepared by
 * people_signup_prepare_new; never changed here, so a rerun of the job
 * stores the same). */
static int people_signup_create(struct db_conn *c, struct people_signup_job *job, long long *id)
{
	json_t *row = job->new_row;
	int rc;

	if ((rc = store_people_insert(c, row, job->new_demo, job->new_demolen, id)) < 0)
		return rc;
	/* Nobody owned them a moment ago in this same job, so both are ours —
	 * unless another server process committed one meanwhile: then run
	 * again, find that person and merge. */
	rc = store_people_email_add(c, *id, job->email, job->received_at);
	if (rc > 0 && job->phone)
		rc = store_people_phone_add(c, *id, job->phone, job->received_at);
	if (rc <= 0)
		return rc < 0 ? rc : STORE_PEOPLE_RETRY;
	if ((rc = people_add_choices(c, *id, job->plain)) < 0)
		return rc;
	/* A new person has no search row yet: one insert, nothing read back. */
	return store_people_fts_insert(c, *id, &job->new_text);
}

/* The columns the search index reads (with the emails and phones). */
static const char *const people_indexed_cols[] = {
	"first_name", "last_name", "preferred_name", "zip",
};

/* A new object holding row's indexed columns (references, not copies:
 * merging replaces values, it never changes one in place). */
static json_t *people_indexed_snapshot(json_t *row)
{
	json_t *snap = json_object(), *v;
	size_t i;

	for (i = 0; snap && i < sizeof(people_indexed_cols) / sizeof(people_indexed_cols[0]); i++)
		if ((v = json_object_get(row, people_indexed_cols[i])) != NULL &&
		    json_object_set(snap, people_indexed_cols[i], v) < 0) {
			json_decref(snap);
			return NULL;
		}
	return snap;
}

/* 1 if row's indexed columns still equal the snapshot. */
static int people_indexed_same(json_t *snap, json_t *row)
{
	json_t *now = people_indexed_snapshot(row);
	int same = snap && now && json_equal(snap, now);

	json_decref(now);
	return same;
}

/* Merges the submission into person id (who owns its email, its phone or
 * both): newer answers, the unowned identifier, choices, consents and
 * demographics. */
static int people_signup_merge(struct db_conn *c, struct people_signup_job *job, long long id)
{
	json_t *row = NULL, *indexed = NULL;
	unsigned char *old = NULL, *demo = NULL;
	size_t oldlen = 0, demolen = 0;
	int rc, keep_old = 0, added;
	long long updated;

	rc = store_people_load(c, id, &row, &old, &oldlen);
	if (rc <= 0) {
		/* it owned an identifier a moment ago: merged away meanwhile */
		rc = rc < 0 ? rc : STORE_PEOPLE_RETRY;
		goto fail;
	}
	rc = PEOPLE_ERROR;
	if ((indexed = people_indexed_snapshot(row)) == NULL)
		goto fail;
	if (people_merge_answers(row, job->plain) < 0)
		goto fail;
	if (people_fill(row, "source", job->meta->source) < 0 ||
	    people_fill(row, "ref_code", job->meta->ref) < 0)
		goto fail;
	updated = json_integer_value(json_object_get(row, "updated_at"));
	if (job->received_at > updated &&
	    json_object_set_new(row, "updated_at", json_integer(job->received_at)) < 0)
		goto fail;
	if (json_object_size(job->sens) > 0) {
		if (people_demographics_merge(job->keys, old, oldlen, job->sens, &demo, &demolen,
		                              &keep_old) < 0)
			goto fail;
	} else {
		keep_old = 1;
	}
	if ((rc = store_people_update(c, id, row, keep_old ? old : demo,
	                              keep_old ? oldlen : demolen)) < 0)
		goto fail;
	/* Only one of the two can be new (the other is how we found them);
	 * a 0 means it is already theirs. */
	if ((rc = store_people_email_add(c, id, job->email, job->received_at)) < 0)
		goto fail;
	added = rc > 0;
	if (job->phone && (rc = store_people_phone_add(c, id, job->phone, job->received_at)) < 0)
		goto fail;
	added |= job->phone && rc > 0;
	if ((rc = people_add_choices(c, id, job->plain)) < 0)
		goto fail;
	/* The search row changes only with a new contact, a name or the ZIP:
	 * a repeat that adds nothing costs the index nothing. */
	rc = added || !people_indexed_same(indexed, row) ? store_search_queue_add(c, id) : 0;
fail:
	json_decref(indexed);
	free(old);
	free(demo);
	json_decref(row);
	return rc;
}

static int people_signup_run(struct db_conn *c, void *arg)
{
	struct people_signup_job *job = arg;
	long long by_email = 0, by_phone = 0, flag_id = 0, id = 0;
	int has_email, has_phone = 0, rc;
	char reason[96];

	memset(&job->result, 0, sizeof(job->result));  /* a rerun starts afresh */
	if (job->hook && job->hook->before) {
		rc = job->hook->before(c, job->hook->arg, &job->result);
		if (rc != 0) {
			job->result.replayed = rc > 0;
			return rc < 0 ? rc : 0;
		}
	}
	if ((rc = store_people_find_by_email(c, job->email, &by_email)) < 0)
		return rc;
	has_email = rc;
	if (job->phone) {
		if ((rc = store_people_find_by_phone(c, job->phone, &by_phone)) < 0)
			return rc;
		has_phone = rc;
	}

	if (!has_email && !has_phone) {
		if ((rc = people_signup_create(c, job, &id)) < 0)
			return rc;
		job->result.outcome = SIGNUP_NEW;
	} else if (has_email && has_phone && by_email != by_phone) {
		/* Two people: change neither; staff decide. */
		id = by_email;
		job->result.outcome = SIGNUP_FLAGGED;
	} else {
		id = has_email ? by_email : by_phone;
		if ((rc = people_signup_merge(c, job, id)) < 0)
			return rc;
		job->result.outcome = SIGNUP_MERGED;
	}
	/* The pipeline (h-pipeline): a person who asked to run enters the call
	 * queue and is assigned now, in this job (a no-op if already in it). A
	 * nomination waits until the nominee signs up themselves. */
	if (job->result.outcome != SIGNUP_FLAGGED &&
	    !(job->sub.kind && strcmp(job->sub.kind, "nomination") == 0) &&
	    (rc = pipeline_signup_enter(c, id, json_string_value(json_object_get(job->person, "state")),
	                                job->received_at)) < 0)
		return rc;

	job->sub.person_id = id;
	if ((rc = store_submission_insert(c, &job->sub, &job->result.submission_id)) < 0)
		return rc;
	job->result.person_id = id;

	if (job->result.outcome == SIGNUP_FLAGGED) {
		/* One open flag per pair is enough for staff to act on. */
		if ((rc = store_flag_open_between(c, by_email, by_phone)) < 0)
			return rc;
		if (rc == 0) {
			if (snprintf(reason, sizeof(reason), "email matches #%lld, phone matches #%lld",
			             by_email, by_phone) >= (int)sizeof(reason))
				return PEOPLE_ERROR;
			rc = store_flag_insert(c, by_email, by_phone, job->result.submission_id, reason,
			                       job->received_at, &flag_id);
			if (rc < 0)
				return rc;
		}
	}
	/* Mail (h-mail): every signup's confirmation, and the welcome series
	 * for a new person, committed with the signup itself. */
	if (job->meta->send_mail &&
	    (rc = mail_queue_signup(c, id, job->email, job->result.outcome == SIGNUP_NEW,
	                            job->received_at)) < 0)
		return rc;
	if (job->hook && job->hook->after &&
	    (rc = job->hook->after(c, job->hook->arg, &job->result)) < 0)
		return rc;
	return 0;
}

/* Prepares a submission row outside the writer: the answers minus the
 * sensitive ones as JSON text, and the sensitive ones sealed. The caller
 * frees *payload and *sealed (free()). */
static int people_submission_prepare(const struct keys *keys, json_t *raw,
                                     const struct signup_meta *meta, struct store_submission *sub,
                                     char **payload, unsigned char **sealed)
{
	json_t *plain = NULL, *sens = NULL;
	size_t sealed_len = 0;
	int rc = -1;

	*payload = NULL;
	*sealed = NULL;
	memset(sub, 0, sizeof(*sub));
	if (!json_is_object(raw) || people_split(raw, &plain, &sens) < 0)
		goto fail;
	*payload = json_dumps(plain, JSON_COMPACT | JSON_SORT_KEYS);
	if (*payload == NULL)
		goto fail;
	if (people_seal(keys, sens, sealed, &sealed_len) < 0)
		goto fail;
	sub->kind = meta->kind && *meta->kind ? meta->kind : "signup";
	sub->status = "accepted";
	sub->source = meta->source && *meta->source ? meta->source : NULL;
	sub->ref_code = meta->ref && *meta->ref ? meta->ref : NULL;
	sub->payload = *payload;
	sub->sensitive = *sealed;
	sub->sensitive_len = sealed_len;
	sub->ip_hash = meta->ip_hash;
	sub->received_at = meta->received_at > 0 ? meta->received_at : people_now();
	sub->form_id = meta->form_id;
	sub->partner = meta->partner;
	sub->custom = meta->custom;
	sub->tags = meta->tags;
	rc = 0;
fail:
	json_decref(plain);
	json_decref(sens);
	return rc;
}

/* Prepares job (zeroed) on the calling thread: everything of the signup
 * that needs no database, so the writer does only what does. 0 or -1
 * (logged; people_signup_job_clear frees what was made). */
static int people_signup_job_init(struct people_signup_job *job, const struct keys *keys,
                                  json_t *person, json_t *raw, const struct signup_meta *meta)
{
	const char *phone;

	if (keys == NULL || meta == NULL) {
		log_error("people_signup: no keys or no meta");
		return -1;
	}
	job->email = json_string_value(json_object_get(person, "email"));
	if (!json_is_object(person) || job->email == NULL || *job->email == '\0' ||
	    !json_is_string(json_object_get(person, "first_name")) ||
	    !json_is_string(json_object_get(person, "last_name"))) {
		log_error("people_signup: not a validated person");
		return -1;
	}
	phone = json_string_value(json_object_get(person, "phone"));
	job->phone = phone && *phone ? phone : NULL;
	job->keys = keys;
	job->person = person;
	job->meta = meta;
	job->hook = meta->hook;
	if (people_submission_prepare(keys, raw ? raw : person, meta, &job->sub, &job->payload,
	                              &job->sealed) < 0) {
		log_error("people_signup: could not prepare the submission");
		return -1;
	}
	job->received_at = job->sub.received_at;
	if (people_split(person, &job->plain, &job->sens) < 0 || people_signup_prepare_new(job) < 0) {
		log_error("people_signup: could not prepare the person");
		return -1;
	}
	return 0;
}

static void people_signup_job_clear(struct people_signup_job *job)
{
	json_decref(job->plain);
	json_decref(job->sens);
	json_decref(job->new_row);
	free(job->new_demo);
	store_people_search_text_free(&job->new_text);
	free(job->payload);
	free(job->sealed);
}

/* The signup's answer from the write's result rc. 0 or -1 (logged). */
static int people_signup_outcome(const struct people_signup_job *job, int rc,
                                 struct signup_result *out)
{
	if (rc < 0) {
		log_error("people_signup: database error %d", rc);
		return -1;
	}
	*out = job->result;
	return 0;
}

int people_signup(struct db *db, const struct keys *keys, json_t *person, json_t *raw,
                  const struct signup_meta *meta, struct signup_result *out)
{
	struct people_signup_job job;
	int rc = -1;

	memset(&job, 0, sizeof(job));
	memset(out, 0, sizeof(*out));
	if (people_signup_job_init(&job, keys, person, raw, meta) == 0)
		/* rerunnable: a run sets every output afresh and writes only rows */
		rc = people_signup_outcome(&job, store_people_write_rerunnable(db, people_signup_run,
		                                                               &job), out);
	people_signup_job_clear(&job);
	return rc;
}

/* The writer's word on an asynchronous signup: kept, then passed on. */
static void people_signup_written(void *arg, int result)
{
	struct people_signup_job *job = arg;

	job->rc = result;
	job->done(job->done_arg);  /* the job is its caller's from here */
}

int people_signup_start(struct db *db, const struct keys *keys, json_t *person, json_t *raw,
                        const struct signup_meta *meta, people_signup_done_fn done,
                        void *done_arg, struct people_signup_job **out)
{
	struct people_signup_job *job = calloc(1, sizeof(*job));

	*out = NULL;
	if (job == NULL)
		return -1;
	job->done = done;
	job->done_arg = done_arg;
	if (people_signup_job_init(job, keys, person, raw, meta) < 0 ||
	    store_people_write_async(db, people_signup_run, job, people_signup_written, job) < 0) {
		people_signup_job_clear(job);
		free(job);
		return -1;
	}
	*out = job;
	return 0;
}

int people_signup_finish(struct people_signup_job *job, struct signup_result *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = people_signup_outcome(job, job->rc, out);
	people_signup_job_clear(job);
	free(job);
	return rc;
}

/* ---- held submissions ---- */

struct people_hold_job {
	struct store_submission sub;
	long long               id;
};

static int people_hold_run(struct db_conn *c, void *arg)
{
	struct people_hold_job *job = arg;

	return store_submission_insert(c, &job->sub, &job->id);
}

int people_hold(struct db *db, const struct keys *keys, json_t *raw, const struct signup_meta *meta,
                const char *reason)
{
	struct people_hold_job job;
	char *payload = NULL;
	unsigned char *sealed = NULL;
	int rc = -1;

	memset(&job, 0, sizeof(job));
	if (keys == NULL || meta == NULL) {
		log_error("people_hold: no keys or no meta");
		return -1;
	}
	if (people_submission_prepare(keys, raw, meta, &job.sub, &payload, &sealed) < 0) {
		log_error("people_hold: could not prepare the submission");
		goto fail;
	}
	job.sub.person_id = 0;
	job.sub.status = "held";
	job.sub.hold_reason = reason && *reason ? reason : "held";
	rc = store_people_write(db, people_hold_run, &job);
	if (rc < 0) {
		log_error("people_hold: database error %d", rc);
		rc = -1;
		goto fail;
	}
	rc = 0;
fail:
	free(payload);
	free(sealed);
	return rc;
}

/* ---- search ---- */

static int people_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Returns s without surrounding whitespace as [*start, *start + *len). */
static void people_trim(const char *s, const char **start, size_t *len)
{
	const char *end = s + strlen(s);

	while (s < end && people_is_space(*s))
		s++;
	while (end > s && people_is_space(end[-1]))
		end--;
	*start = s;
	*len = (size_t)(end - s);
}

/* NULL for a filter value that is NULL or blank. */
static const char *people_opt(const char *v)
{
	const char *start;
	size_t len;

	if (v == NULL)
		return NULL;
	people_trim(v, &start, &len);
	return len ? v : NULL;
}

/* Parses YYYY-MM-DD (a real calendar day) to its UTC midnight. Returns 0
 * or -1. */
static int people_parse_day(const char *s, long long *out)
{
	struct tm tm, back;
	time_t t;
	int i, y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL)
		return -1;
	/* timegm() rolls 2023-02-30 over to March (in tm too): refuse what did
	 * not round-trip to the digits given. */
	if (back.tm_year != y - 1900 || back.tm_mon != m - 1 || back.tm_mday != d)
		return -1;
	*out = (long long)t;
	return 0;
}

/* A query that is a phone number: digits and phone punctuation only, at
 * least 7 digits. Writes the digits into out. */
static int people_query_phone(const char *q, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (q[i] >= '0' && q[i] <= '9') {
			if (n + 1 >= outlen)
				return 0;
			out[n++] = q[i];
		} else if (!strchr(" ()-.+", q[i])) {
			return 0;
		}
	}
	out[n] = '\0';
	return n >= 7;
}

/* A query that is an email address: one word with an @. Writes it
 * lower-cased (the stored form) into out. */
static int people_query_email(const char *q, size_t len, char *out, size_t outlen)
{
	size_t i;

	if (len == 0 || len >= outlen || memchr(q, '@', len) == NULL)
		return 0;
	for (i = 0; i < len; i++) {
		if (people_is_space(q[i]))
			return 0;
		out[i] = (q[i] >= 'A' && q[i] <= 'Z') ? (char)(q[i] - 'A' + 'a') : q[i];
	}
	out[len] = '\0';
	return 1;
}

int people_search(struct db *db, const struct people_query *q, json_t **rows, long long *total)
{
	struct store_people_filter f;
	struct db_conn *c;
	char email[LIMIT_EMAIL + 1], digits[LIMIT_PHONE_INPUT + 1], text[LIMIT_SHORT_TEXT + 1];
	const char *qs;
	size_t qlen;
	long long day;
	int per_page, page, rc;

	*rows = NULL;
	*total = 0;
	memset(&f, 0, sizeof(f));
	f.from = LLONG_MIN;
	f.to = LLONG_MAX;

	per_page = q->per_page;
	if (per_page < 1)
		per_page = LIMIT_PAGE_SIZE_DEFAULT;
	if (per_page > LIMIT_PAGE_SIZE_MAX)
		per_page = LIMIT_PAGE_SIZE_MAX;
	page = q->page < 1 ? 1 : q->page;
	f.limit = per_page;
	f.offset = (long long)(page - 1) * per_page;

	f.sort = STORE_PEOPLE_SORT_NEWEST;
	if (q->sort && strcmp(q->sort, "oldest") == 0)
		f.sort = STORE_PEOPLE_SORT_OLDEST;
	else if (q->sort && strcmp(q->sort, "name") == 0)
		f.sort = STORE_PEOPLE_SORT_NAME;
	else if (q->sort && strcmp(q->sort, "state") == 0)
		f.sort = STORE_PEOPLE_SORT_STATE;

	f.state = people_opt(q->state);
	f.source = people_opt(q->source);
	f.office = people_opt(q->office);
	f.help = people_opt(q->help);
	/* A date that is not a real YYYY-MM-DD does not filter (the form
	 * shows it back; it never errors the list). "to" includes its day. */
	if (people_opt(q->from) && people_parse_day(q->from, &day) == 0)
		f.from = day;
	if (people_opt(q->to) && people_parse_day(q->to, &day) == 0)
		f.to = day + PEOPLE_DAY_SECONDS;

	if (q->q) {
		people_trim(q->q, &qs, &qlen);
		if (qlen > LIMIT_SHORT_TEXT) {
			/* Longer than anything a name, email, phone or ZIP can be. */
			*rows = json_array();
			return *rows ? 0 : -1;
		}
		if (qlen == 0) {
			/* no text filter */
		} else if (people_query_email(qs, qlen, email, sizeof(email))) {
			f.email = email;
		} else if (people_query_phone(qs, qlen, digits, sizeof(digits))) {
			f.phone_digits = digits;
		} else {
			memcpy(text, qs, qlen);
			text[qlen] = '\0';
			f.text = text;
		}
	}

	/* A text or phone search reads the search index: on SQLite, index the
	 * people still queued for it first, so it finds every committed change. */
	if ((f.text || f.phone_digits) && store_search_catch_up(db) < 0) {
		log_error("people_search: cannot bring the search index up to date");
		return -1;
	}
	c = store_people_read_begin(db);
	rc = store_people_search(c, &f, rows, total);
	store_people_read_end(db, c);
	if (rc < 0) {
		log_error("people_search: database error %d", rc);
		return -1;
	}
	return 0;
}

/* ---- the person page ---- */

struct people_get_ctx {
	const struct keys *keys;
	int                demographics;  /* the viewer may read them */
	json_t            *list;
};

/* Adds one submission to the page: its answers, with its sealed answers
 * opened and merged in only for a viewer who may see them. */
static int people_get_submission(const struct store_submission *s, void *arg)
{
	struct people_get_ctx *ctx = arg;
	json_t *item = NULL, *answers = NULL, *sens = NULL;
	int rc;

	answers = s->payload ? json_loads(s->payload, 0, NULL) : NULL;
	if (!json_is_object(answers)) {
		json_decref(answers);
		answers = json_object();
		if (answers == NULL)
			return -1;
	}
	if (ctx->demographics && s->sensitive && s->sensitive_len) {
		if (sealed_decrypt_json(ctx->keys->demographics, s->sensitive, s->sensitive_len,
		                        &sens) == 0) {
			rc = json_object_update(answers, sens);
			json_decref(sens);
			if (rc < 0) {
				json_decref(answers);
				return -1;
			}
		} else {
			log_warn("people_get: submission %lld: sensitive answers do not open", s->id);
		}
	}
	item = json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s?, s:I}",
	                 "id", (json_int_t)s->id,
	                 "kind", s->kind ? s->kind : "",
	                 "status", s->status ? s->status : "",
	                 "hold_reason", s->hold_reason,
	                 "source", s->source,
	                 "ref_code", s->ref_code,
	                 "received_at", (json_int_t)s->received_at);
	if (item == NULL || json_array_append_new(ctx->list, item) < 0) {
		json_decref(answers);
		return -1;
	}
	return json_object_set_new(item, "answers", answers) == 0 ? 0 : -1;
}

int people_get(struct db *db, const struct keys *keys, const struct staff_user *viewer,
               long long id, json_t **person)
{
	struct people_get_ctx ctx;
	struct db_conn *c;
	json_t *row = NULL, *list = NULL, *demo_obj = NULL;
	unsigned char *demo = NULL;
	size_t demolen = 0;
	int may_see = keys != NULL && viewer != NULL &&
	              (viewer->perms & PERM_DEMOGRAPHICS_READ) != 0;
	int rc;

	*person = NULL;
	c = store_people_read_begin(db);
	rc = store_people_load(c, id, &row, may_see ? &demo : NULL, &demolen);
	if (rc <= 0)
		goto done;
	rc = PEOPLE_ERROR;
	if (json_object_set_new(row, "name", people_display_name(row)) < 0 ||
	    store_people_contacts(c, id, row) < 0 || store_people_choices(c, id, row) < 0)
		goto done;

	if (may_see) {
		if (demo && sealed_decrypt_json(keys->demographics, demo, demolen, &demo_obj) < 0) {
			log_warn("people_get: person %lld: demographics do not open", id);
			demo_obj = NULL;
		}
		if (demo_obj == NULL)
			demo_obj = json_object();
		if (demo_obj == NULL || json_object_set_new(row, "demographics", demo_obj) < 0)
			goto done;
	}

	list = json_array();
	if (list == NULL || json_object_set(row, "submissions", list) < 0)
		goto done;
	ctx.keys = keys;
	ctx.demographics = may_see;
	ctx.list = list;
	if (store_submissions_each(c, id, PEOPLE_LIST_MAX, people_get_submission, &ctx) < 0)
		goto done;
	json_decref(list);
	list = NULL;

	if (store_notes_list(c, id, PEOPLE_LIST_MAX, &list) < 0 ||
	    json_object_set_new(row, "notes", list) < 0)
		goto done;
	list = NULL;
	if (store_flags_open_for_person(c, id, PEOPLE_LIST_MAX, &list) < 0 ||
	    json_object_set_new(row, "flags", list) < 0)
		goto done;
	list = NULL;
	rc = 1;
done:
	store_people_read_end(db, c);
	free(demo);
	json_decref(list);
	if (rc == 1) {
		*person = row;
		return 0;
	}
	json_decref(row);
	if (rc == 0)
		return 1;
	log_error("people_get: database error %d", rc);
	return -1;
}

/* ---- audited staff changes ---- */

static long long people_viewer_id(const struct staff_user *viewer)
{
	return viewer ? viewer->id : 0;
}

/* A person as the audit log shows them: row, emails, phones, choices, and
 * "[encrypted]" where demographics exist. Never decrypted values. */
static json_t *people_snapshot(struct db_conn *c, long long id, json_t *row, int has_demo)
{
	json_t *snap = json_deep_copy(row);

	if (snap == NULL)
		return NULL;
	if (store_people_contacts(c, id, snap) < 0 || store_people_choices(c, id, snap) < 0 ||
	    (has_demo && json_object_set_new(snap, "demographics",
	                                     json_string(PEOPLE_ENCRYPTED_MARK)) < 0)) {
		json_decref(snap);
		return NULL;
	}
	return snap;
}

struct people_note_job {
	long long   user_id;
	long long   person_id;
	const char *text;
	long long   note_id;
};

static int people_note_run(struct db_conn *c, void *arg)
{
	struct people_note_job *job = arg;
	json_t *row = NULL, *after = NULL;
	long long now = people_now();
	int rc;

	rc = store_people_load(c, job->person_id, &row, NULL, NULL);
	if (rc <= 0)
		return rc < 0 ? rc : 1;
	json_decref(row);
	if ((rc = store_note_insert(c, job->person_id, job->user_id, job->text, now,
	                            &job->note_id)) < 0)
		return rc;
	after = json_pack("{s:I, s:s}", "note_id", (json_int_t)job->note_id, "body", job->text);
	if (after == NULL)
		return PEOPLE_ERROR;
	rc = store_audit_append(c, job->user_id, "person.note_add", "person", job->person_id,
	                        NULL, after);
	json_decref(after);
	return rc < 0 ? rc : 0;
}

int people_note_add(struct db *db, const struct staff_user *viewer, long long person_id,
                    const char *text)
{
	struct people_note_job job;
	const char *start;
	size_t len;
	char *body;
	int rc;

	if (text == NULL)
		return -1;
	people_trim(text, &start, &len);
	if (len == 0 || len > LIMIT_LONG_TEXT || !utf8_valid_text(start, len)) {
		log_warn("people_note_add: refused an empty, overlong or malformed note");
		return -1;
	}
	body = strndup(start, len);
	if (body == NULL)
		return -1;
	memset(&job, 0, sizeof(job));
	job.user_id = people_viewer_id(viewer);
	job.person_id = person_id;
	job.text = body;
	rc = store_people_write(db, people_note_run, &job);
	free(body);
	if (rc < 0) {
		log_error("people_note_add: database error %d", rc);
		return -1;
	}
	return rc == 1 ? 1 : 0;
}

struct people_merge_job {
	const struct keys *keys;  /* NULL: merge demographics as whole blobs */
	long long          user_id;
	long long          keep;
	long long          drop;
};

/* keep's demographics merged with drop's (keep's values win), sealed into
 * *blob; or, without keys or when one does not open, one of the blobs
 * unchanged (keep's if it has one). *blob is malloc'd or NULL. */
static int people_merge_demographics(const struct keys *keys, unsigned char *kd, size_t kdlen,
                                     unsigned char *dd, size_t ddlen, unsigned char **blob,
                                     size_t *bloblen)
{
	json_t *ko = NULL, *dobj = NULL;
	const unsigned char *pick;
	size_t picklen;
	int rc = -1;

	*blob = NULL;
	*bloblen = 0;
	if (keys && kd && dd && sealed_decrypt_json(keys->demographics, kd, kdlen, &ko) == 0 &&
	    sealed_decrypt_json(keys->demographics, dd, ddlen, &dobj) == 0) {
		if (json_object_update(dobj, ko) == 0)
			rc = people_seal(keys, dobj, blob, bloblen);
		json_decref(ko);
		json_decref(dobj);
		return rc;
	}
	json_decref(ko);
	json_decref(dobj);
	pick = kd ? kd : dd;
	picklen = kd ? kdlen : ddlen;
	if (pick == NULL)
		return 0;
	*blob = malloc(picklen);
	if (*blob == NULL)
		return -1;
	memcpy(*blob, pick, picklen);
	*bloblen = picklen;
	return 0;
}

static int people_merge_run(struct db_conn *c, void *arg)
{
	static const char *const fill_cols[] = {
		"first_name", "last_name", "preferred_name", "address1", "address2", "city", "state",
		"zip", "birth_date", "age_range", "issues", "why_run", "source", "ref_code",
	};
	static const char *const consents[] = { "consent_email", "consent_sms", "consent_share" };
	struct people_merge_job *job = arg;
	json_t *krow = NULL, *drow = NULL, *before = NULL, *after = NULL, *snap;
	unsigned char *kd = NULL, *dd = NULL, *demo = NULL;
	size_t kdlen = 0, ddlen = 0, demolen = 0, i;
	long long now = people_now(), kc, dc;
	int rc;

	rc = store_people_load(c, job->keep, &krow, &kd, &kdlen);
	if (rc <= 0)
		goto done;
	rc = store_people_load(c, job->drop, &drow, &dd, &ddlen);
	if (rc <= 0)
		goto done;
	rc = PEOPLE_ERROR;
	before = json_object();
	if (before == NULL)
		goto done;
	if ((snap = people_snapshot(c, job->keep, krow, kd != NULL)) == NULL ||
	    json_object_set_new(before, "keep", snap) < 0)
		goto done;
	if ((snap = people_snapshot(c, job->drop, drow, dd != NULL)) == NULL ||
	    json_object_set_new(before, "drop", snap) < 0)
		goto done;

	for (i = 0; i < sizeof(fill_cols) / sizeof(fill_cols[0]); i++)
		if (people_fill(krow, fill_cols[i],
		                json_string_value(json_object_get(drow, fill_cols[i]))) < 0)
			goto done;
	for (i = 0; i < sizeof(consents) / sizeof(consents[0]); i++)
		if (json_is_true(json_object_get(drow, consents[i])) &&
		    json_object_set_new(krow, consents[i], json_true()) < 0)
			goto done;
	/* They signed up when their first record did. */
	kc = json_integer_value(json_object_get(krow, "created_at"));
	dc = json_integer_value(json_object_get(drow, "created_at"));
	if (json_object_set_new(krow, "created_at", json_integer(dc < kc ? dc : kc)) < 0 ||
	    json_object_set_new(krow, "updated_at", json_integer(now)) < 0)
		goto done;
	if (people_merge_demographics(job->keys, kd, kdlen, dd, ddlen, &demo, &demolen) < 0)
		goto done;

	if ((rc = store_people_absorb(c, job->keep, job->drop, job->user_id, now)) < 0 ||
	    (rc = store_people_update(c, job->keep, krow, demo, demolen)) < 0 ||
	    (rc = store_search_queue_add(c, job->keep)) < 0)
		goto done;
	rc = PEOPLE_ERROR;
	after = json_object();
	if (after == NULL)
		goto done;
	if ((snap = people_snapshot(c, job->keep, krow, demo != NULL)) == NULL ||
	    json_object_set_new(after, "keep", snap) < 0)
		goto done;
	rc = store_audit_append(c, job->user_id, "person.merge", "person", job->keep, before, after);
	if (rc >= 0)
		rc = 1;
done:
	free(kd);
	free(dd);
	free(demo);
	json_decref(krow);
	json_decref(drow);
	json_decref(before);
	json_decref(after);
	/* 1 → merged (0 to the caller), 0 → one is missing (1 to the caller). */
	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : 1;
}

int people_merge(struct db *db, const struct keys *keys, const struct staff_user *viewer,
                 long long keep, long long drop)
{
	struct people_merge_job job;
	int rc;

	if (keep == drop || keep <= 0 || drop <= 0)
		return 1;
	memset(&job, 0, sizeof(job));
	job.keys = keys;
	job.user_id = people_viewer_id(viewer);
	job.keep = keep;
	job.drop = drop;
	rc = store_people_write(db, people_merge_run, &job);
	if (rc < 0) {
		log_error("people_merge: database error %d", rc);
		return -1;
	}
	return rc == 1 ? 1 : 0;
}

struct people_dismiss_job {
	long long user_id;
	long long flag_id;
};

static int people_dismiss_run(struct db_conn *c, void *arg)
{
	struct people_dismiss_job *job = arg;
	json_t *flag = NULL, *after = NULL;
	const char *status;
	int rc;

	rc = store_flag_load(c, job->flag_id, &flag);
	if (rc <= 0)
		return rc < 0 ? rc : 1;
	status = json_string_value(json_object_get(flag, "status"));
	if (status == NULL || strcmp(status, "open") != 0) {
		json_decref(flag);
		return 1;
	}
	rc = store_flag_resolve(c, job->flag_id, "dismissed", job->user_id, people_now());
	if (rc <= 0) {
		json_decref(flag);
		return rc < 0 ? rc : 1;
	}
	after = json_pack("{s:s}", "status", "dismissed");
	rc = after ? store_audit_append(c, job->user_id, "flag.dismiss", "duplicate_flag",
	                                job->flag_id, flag, after) : PEOPLE_ERROR;
	json_decref(flag);
	json_decref(after);
	return rc < 0 ? rc : 0;
}

int people_flag_dismiss(struct db *db, const struct staff_user *viewer, long long flag_id)
{
	struct people_dismiss_job job;
	int rc;

	job.user_id = people_viewer_id(viewer);
	job.flag_id = flag_id;
	rc = store_people_write(db, people_dismiss_run, &job);
	if (rc < 0) {
		log_error("people_flag_dismiss: database error %d", rc);
		return -1;
	}
	return rc == 1 ? 1 : 0;
}

/* ---- lists and counts ---- */

int people_flags_open(struct db *db, json_t **rows)
{
	struct db_conn *c = store_people_read_begin(db);
	int rc = store_flags_open_list(c, PEOPLE_LIST_MAX, rows);

	store_people_read_end(db, c);
	if (rc < 0) {
		log_error("people_flags_open: database error %d", rc);
		return -1;
	}
	return 0;
}

int people_counts(struct db *db, json_t **counts)
{
	struct db_conn *c;
	long long now = people_now(), people = 0, signups = 0, flags = 0;
	int rc;

	*counts = NULL;
	c = store_people_read_begin(db);
	rc = store_people_counts(c, now - now % PEOPLE_DAY_SECONDS, &people, &signups, &flags);
	store_people_read_end(db, c);
	if (rc < 0) {
		log_error("people_counts: database error %d", rc);
		return -1;
	}
	*counts = json_pack("{s:I, s:I, s:I}", "people", (json_int_t)people,
	                    "signups_today", (json_int_t)signups, "open_flags", (json_int_t)flags);
	return *counts ? 0 : -1;
}
