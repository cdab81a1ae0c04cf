/*
 * nominations.c — public nominations, invitations and accepting them. See
 * nominations.h.
 *
 * Why the accept token is 256 random bits sent only in the invitation and
 * stored as a SHA-256 hash: the link alone proves it came from the email,
 * and reading the nominations table does not give anyone a working link.
 * Why accepting hooks into people_signup instead of a second path: the
 * nominee's answers must go through the same validation and dedupe as any
 * signup; the hook only decides which record they merge into.
 *
 * Threading: no state; job functions run on the writer thread.
 */
#include "domain/nominations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "domain/mail.h"
#include "domain/normalize.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "store/store_mail.h"
#include "store/store_nominations.h"
#include "store/store_people.h"
#include "store/store_search_queue.h"

#define NOM_TOKEN_BYTES 32
#define NOM_TOKEN_MAX 64     /* base64url of 32 bytes is 43 characters */
#define NOM_HASH_HEX (crypto_hash_sha256_BYTES * 2 + 1)
#define NOM_ERROR (-1)

/* ---- validation ---- */

static int nom_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The trimmed value of input[name] as a new json string ("" if absent). */
static json_t *nom_trimmed(json_t *input, const char *name)
{
	const char *v = json_string_value(json_object_get(input, name));
	size_t n;

	if (v == NULL)
		return json_string("");
	while (nom_is_space(*v))
		v++;
	n = strlen(v);
	while (n > 0 && nom_is_space(v[n - 1]))
		n--;
	return json_stringn(v, n);
}

static int nom_error(json_t *errors, const char *field, const char *msg)
{
	return json_object_set_new(errors, field, json_string(msg));
}

/* A required or optional one-line name. */
static int nom_check_name(json_t *out, json_t *errors, json_t *input, const char *field,
                          int required)
{
	json_t *v = nom_trimmed(input, field);
	size_t n;

	if (v == NULL)
		return -1;
	n = json_string_length(v);
	if (n == 0 && required) {
		json_decref(v);
		return nom_error(errors, field, "Enter a name.");
	}
	if (n > LIMIT_NAME || !utf8_valid_line(json_string_value(v), n)) {
		json_decref(v);
		return nom_error(errors, field, "Use at most 100 letters, on one line.");
	}
	return json_object_set_new(out, field, v);
}

int nomination_validate(json_t *input, json_t **out, json_t **errors)
{
	char email[LIMIT_EMAIL + 1], phone[24];
	const char *v, *nominator_email = NULL;
	json_t *o, *e, *t;
	int rc = 0, have_contact = 0;

	*out = NULL;
	*errors = NULL;
	o = json_object();
	e = json_object();
	if (o == NULL || e == NULL)
		goto oom;
	rc |= nom_check_name(o, e, input, "nominator_first_name", 1);
	rc |= nom_check_name(o, e, input, "nominator_last_name", 1);
	rc |= nom_check_name(o, e, input, "nominee_first_name", 1);
	rc |= nom_check_name(o, e, input, "nominee_last_name", 1);

	v = json_string_value(json_object_get(input, "nominator_email"));
	if (v == NULL || *v == '\0')
		rc |= nom_error(e, "nominator_email", "Enter your email address.");
	else if (normalize_email(v, email, sizeof(email)) < 0)
		rc |= nom_error(e, "nominator_email", "Enter an email address like name@example.com.");
	else {
		rc |= json_object_set_new(o, "nominator_email", json_string(email));
		nominator_email = json_string_value(json_object_get(o, "nominator_email"));
	}

	v = json_string_value(json_object_get(input, "nominee_email"));
	if (v && *v) {
		if (normalize_email(v, email, sizeof(email)) < 0)
			rc |= nom_error(e, "nominee_email", "Enter an email address like name@example.com.");
		else if (nominator_email && strcmp(email, nominator_email) == 0)
			rc |= nom_error(e, "nominee_email", "This is your own address. To sign up yourself, use the signup form.");
		else {
			rc |= json_object_set_new(o, "nominee_email", json_string(email));
			have_contact = 1;
		}
	}
	v = json_string_value(json_object_get(input, "nominee_phone"));
	if (v && *v) {
		if (strlen(v) > LIMIT_PHONE_INPUT || normalize_phone(v, phone, sizeof(phone)) < 0)
			rc |= nom_error(e, "nominee_phone", "Enter a phone number like (555) 234-5678.");
		else {
			rc |= json_object_set_new(o, "nominee_phone", json_string(phone));
			have_contact = 1;
		}
	}
	if (!have_contact && !json_object_get(e, "nominee_email") && !json_object_get(e, "nominee_phone"))
		rc |= nom_error(e, "nominee_email", "Enter their email address or phone number.");

	t = nom_trimmed(input, "reason");
	if (t == NULL)
		goto oom;
	if (json_string_length(t) > LIMIT_LONG_TEXT ||
	    !utf8_valid_text(json_string_value(t), json_string_length(t))) {
		json_decref(t);
		rc |= nom_error(e, "reason", "Keep it under 5000 characters.");
	} else {
		rc |= json_object_set_new(o, "reason", t);
	}
	v = json_string_value(json_object_get(input, "consent_email"));
	rc |= json_object_set_new(o, "consent_email", json_boolean(v && strcmp(v, "1") == 0));
	if (rc)
		goto oom;
	if (json_object_size(e) > 0) {
		json_decref(o);
		*errors = e;
		return -1;
	}
	json_decref(e);
	*out = o;
	return 0;
oom:
	json_decref(o);
	json_decref(e);
	return -1;
}

/* ---- tokens ---- */

static void nom_token_hash(const char *token, char hex[NOM_HASH_HEX])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(hex, NOM_HASH_HEX, h, sizeof(h));
}

/* A token we could have made: base64url characters, the right length. */
static int nom_token_ok(const char *token)
{
	size_t i, n;

	if (token == NULL)
		return 0;
	n = strlen(token);
	if (n < 40 || n > NOM_TOKEN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = token[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

/* ---- submitting ---- */

struct nom_submit_job {
	json_t                  *clean;
	const char              *token_hash;
	const char              *accept_url;
	struct store_submission  sub;
	long long                now;
	struct nomination_result result;
};

static const char *nom_get(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v && *v ? v : NULL;
}

/* Finds or creates the nominator; records their email consent. */
static int nom_nominator(struct db_conn *c, struct nom_submit_job *job, long long *id)
{
	const char *email = nom_get(job->clean, "nominator_email");
	int consent = json_is_true(json_object_get(job->clean, "consent_email"));
	unsigned char *demo = NULL;
	size_t demolen = 0;
	json_t *row = NULL;
	int rc;

	if ((rc = store_people_find_by_email(c, email, id)) < 0)
		return rc;
	if (rc == 1) {
		if (!consent)
			return 0;
		rc = store_people_load(c, *id, &row, &demo, &demolen);
		if (rc <= 0)
			return rc < 0 ? rc : NOM_ERROR;
		if (json_is_true(json_object_get(row, "consent_email"))) {
			rc = 0;
		} else if (json_object_set_new(row, "consent_email", json_true()) < 0 ||
		           json_object_set_new(row, "updated_at", json_integer(job->now)) < 0) {
			rc = NOM_ERROR;
		} else {
			rc = store_people_update(c, *id, row, demo, demolen);
		}
		free(demo);
		json_decref(row);
		return rc;
	}
	row = json_pack("{s:s, s:s, s:b, s:s, s:I, s:I}",
	                "first_name", nom_get(job->clean, "nominator_first_name"),
	                "last_name", nom_get(job->clean, "nominator_last_name"),
	                "consent_email", consent, "source", "nomination",
	                "created_at", (json_int_t)job->now, "updated_at", (json_int_t)job->now);
	if (row == NULL)
		return NOM_ERROR;
	rc = store_people_insert(c, row, NULL, 0, id);
	json_decref(row);
	if (rc < 0)
		return rc;
	if ((rc = store_people_email_add(c, *id, email, job->now)) <= 0)
		return rc < 0 ? rc : NOM_ERROR;
	return store_search_queue_add(c, *id);
}

/* Finds the nominee by email or phone, or creates the "nominated by"
 * record. */
static int nom_nominee(struct db_conn *c, struct nom_submit_job *job, long long nominator,
                       long long *id)
{
	const char *email = nom_get(job->clean, "nominee_email");
	const char *phone = nom_get(job->clean, "nominee_phone");
	char ref[48];
	json_t *row;
	int rc = 0;

	if (email && (rc = store_people_find_by_email(c, email, id)) != 0)
		return rc < 0 ? rc : 0;
	if (phone && (rc = store_people_find_by_phone(c, phone, id)) != 0)
		return rc < 0 ? rc : 0;
	snprintf(ref, sizeof(ref), "person:%lld", nominator);
	row = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}",
	                "first_name", nom_get(job->clean, "nominee_first_name"),
	                "last_name", nom_get(job->clean, "nominee_last_name"),
	                "source", "nomination", "ref_code", ref,
	                "created_at", (json_int_t)job->now, "updated_at", (json_int_t)job->now);
	if (row == NULL)
		return NOM_ERROR;
	rc = store_people_insert(c, row, NULL, 0, id);
	json_decref(row);
	if (rc < 0)
		return rc;
	if (email && (rc = store_people_email_add(c, *id, email, job->now)) < 0)
		return rc;
	if (phone && (rc = store_people_phone_add(c, *id, phone, job->now)) < 0)
		return rc;
	return store_search_queue_add(c, *id);
}

static int nom_submit_run(struct db_conn *c, void *arg)
{
	struct nom_submit_job *job = arg;
	struct store_nomination n;
	const char *email = nom_get(job->clean, "nominee_email");
	long long nominator = 0, nominee = 0;
	json_t *vars;
	buf name;
	int rc;

	if ((rc = nom_nominator(c, job, &nominator)) < 0)
		return rc;
	if ((rc = nom_nominee(c, job, nominator, &nominee)) < 0)
		return rc;
	job->sub.person_id = nominee;
	if ((rc = store_submission_insert(c, &job->sub, &job->sub.id)) < 0)
		return rc;

	buf_init(&name, 2 * LIMIT_NAME + 2);
	buf_printf(&name, "%s %s", nom_get(job->clean, "nominator_first_name"),
	           nom_get(job->clean, "nominator_last_name"));
	memset(&n, 0, sizeof(n));
	n.token_hash = job->token_hash;
	n.nominee_person_id = nominee;
	n.nominator_person_id = nominator;
	n.nominator_name = buf_str(&name);
	n.nominee_name = nom_get(job->clean, "nominee_first_name");
	n.reason = nom_get(job->clean, "reason");
	n.created_at = job->now;
	rc = buf_failed(&name) ? NOM_ERROR : store_nomination_insert(c, &n, &job->result.nomination_id);
	if (rc < 0) {
		buf_free(&name);
		return rc;
	}
	job->result.nominee_id = nominee;
	job->result.nominator_id = nominator;

	/* The invitation: only to an address typed for them that never
	 * unsubscribed (a nomination must not become a way around that). */
	if (email && (rc = store_mail_unsubscribed(c, email)) == 0) {
		vars = json_pack("{s:s, s:s, s:s, s:s?}", "nominee_name",
		                 nom_get(job->clean, "nominee_first_name"), "nominator_name",
		                 buf_str(&name), "accept_url", job->accept_url, "reason",
		                 nom_get(job->clean, "reason"));
		rc = vars ? store_mail_enqueue(c, "nomination_invite", nominee, 0, vars, job->now)
		          : NOM_ERROR;
		json_decref(vars);
		job->result.invited = rc == 0;
	}
	buf_free(&name);
	return rc < 0 ? rc : 0;
}

int nomination_submit(struct db *db, json_t *clean, json_t *raw, const char *accept_base,
                      const char *ip_hash, struct nomination_result *out)
{
	unsigned char rnd[NOM_TOKEN_BYTES];
	char token[NOM_TOKEN_MAX + 1], hash[NOM_HASH_HEX];
	struct nom_submit_job job;
	char *payload = NULL;
	buf url;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&job, 0, sizeof(job));
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2base64(token, sizeof(token), rnd, sizeof(rnd),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(rnd, sizeof(rnd));
	nom_token_hash(token, hash);
	buf_init(&url, LIMIT_URL_MAX);
	buf_adds(&url, accept_base);
	buf_adds(&url, token);
	payload = json_dumps(raw ? raw : clean, JSON_COMPACT | JSON_SORT_KEYS);
	if (buf_failed(&url) || payload == NULL)
		goto done;
	job.clean = clean;
	job.token_hash = hash;
	job.accept_url = buf_str(&url);
	job.now = (long long)time(NULL);
	job.sub.kind = "nomination";
	job.sub.status = "accepted";
	job.sub.source = "nomination";
	job.sub.payload = payload;
	job.sub.ip_hash = ip_hash;
	job.sub.received_at = job.now;
	rc = store_mail_write(db, nom_submit_run, &job);
	if (rc < 0) {
		log_error("nomination_submit: database error %d", rc);
		rc = -1;
		goto done;
	}
	*out = job.result;
	rc = 0;
	log_info("nomination %lld: nominee %lld, nominator %lld%s", out->nomination_id,
	         out->nominee_id, out->nominator_id, out->invited ? ", invited" : "");
done:
	sodium_memzero(token, sizeof(token));
	free(payload);
	buf_free(&url);
	return rc;
}

/* ---- accepting ---- */

/* Loads the open nomination of token on c: 1 and *row, 0 if none open. */
static int nom_find_open(struct db_conn *c, const char *token, json_t **row)
{
	char hash[NOM_HASH_HEX];
	const char *status;
	int rc;

	*row = NULL;
	if (!nom_token_ok(token))
		return 0;
	nom_token_hash(token, hash);
	rc = store_nomination_find(c, hash, row);
	if (rc <= 0)
		return rc;
	status = json_string_value(json_object_get(*row, "status"));
	if (status == NULL || strcmp(status, "invited") != 0) {
		json_decref(*row);
		*row = NULL;
		return 0;
	}
	return 1;
}

int nomination_prefill(struct db *db, const char *token, json_t **values)
{
	struct db_conn *c = store_mail_read_begin(db);
	json_t *nom = NULL, *person = NULL, *v = NULL, *list;
	long long nominee;
	int rc;

	*values = NULL;
	rc = nom_find_open(c, token, &nom);
	if (rc <= 0)
		goto done;
	nominee = json_integer_value(json_object_get(nom, "nominee_person_id"));
	v = json_object();
	if (v == NULL) {
		rc = NOM_ERROR;
		goto done;
	}
	if (nominee > 0 && (rc = store_people_load(c, nominee, &person, NULL, NULL)) == 1) {
		json_object_set(v, "first_name", json_object_get(person, "first_name"));
		json_object_set(v, "last_name", json_object_get(person, "last_name"));
		if (store_people_contacts(c, nominee, person) == 0) {
			list = json_object_get(person, "emails");
			if (json_array_size(list) > 0)
				json_object_set(v, "email", json_array_get(list, 0));
			list = json_object_get(person, "phones");
			if (json_array_size(list) > 0)
				json_object_set(v, "phone", json_array_get(list, 0));
		}
	}
	if (rc < 0)
		goto done;
	*values = v;
	v = NULL;
	rc = 1;
done:
	store_mail_read_end(db, c);
	json_decref(nom);
	json_decref(person);
	json_decref(v);
	if (rc < 0) {
		log_error("nomination_prefill: database error %d", rc);
		return -1;
	}
	return rc == 1 ? 0 : 1;
}

static int nom_accept_before(struct db_conn *c, void *arg, struct signup_result *out)
{
	struct nomination_accept *acc = arg;
	long long owner = 0, now = (long long)time(NULL);
	json_t *row = NULL;
	int rc;

	(void)out;
	rc = store_nomination_accept(c, acc->nomination_id, acc->nominee_id, now);
	if (rc <= 0)
		return rc;  /* accepted meanwhile: an ordinary signup */
	acc->claimed = 1;
	rc = store_people_load(c, acc->nominee_id, &row, NULL, NULL);
	json_decref(row);
	if (rc <= 0) {
		acc->nominee_id = 0;  /* the record was merged or deleted by staff */
		return rc;
	}
	/* Give the typed email to the nominee record when nobody owns it, so
	 * the dedupe merges this signup into it. */
	if ((rc = store_people_find_by_email(c, acc->email, &owner)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = store_people_email_add(c, acc->nominee_id, acc->email, now)) < 0)
		return rc;
	return store_search_queue_add(c, acc->nominee_id);
}

static int nom_accept_after(struct db_conn *c, void *arg, const struct signup_result *r)
{
	struct nomination_accept *acc = arg;
	long long now = (long long)time(NULL);
	int rc;

	if (!acc->claimed)
		return 0;
	if (acc->nominee_id > 0 && r->person_id != acc->nominee_id) {
		/* The signup landed in someone already known: fold the
		 * "nominated by" record into them. */
		if ((rc = store_nomination_repoint(c, acc->nominee_id, r->person_id)) < 0 ||
		    (rc = store_people_absorb(c, r->person_id, acc->nominee_id, 0, now)) < 0 ||
		    (rc = store_search_queue_add(c, r->person_id)) < 0)
			return rc;
	}
	if ((rc = store_nomination_set_person(c, acc->nomination_id, r->person_id)) < 0)
		return rc;
	/* The nominee's first real signup: welcome them like any new person. */
	if (acc->nominee_id > 0 && r->person_id == acc->nominee_id)
		return mail_queue_welcome(c, r->person_id, acc->email, now);
	return 0;
}

int nomination_accept_prepare(struct db *db, const char *token, json_t *person,
                              struct nomination_accept *acc)
{
	struct db_conn *c;
	json_t *nom = NULL;
	int rc;

	memset(acc, 0, sizeof(*acc));
	acc->email = json_string_value(json_object_get(person, "email"));
	if (acc->email == NULL)
		return 1;
	c = store_mail_read_begin(db);
	rc = nom_find_open(c, token, &nom);
	store_mail_read_end(db, c);
	if (rc < 0) {
		log_error("nomination_accept_prepare: database error %d", rc);
		return -1;
	}
	if (rc == 0)
		return 1;
	acc->nomination_id = json_integer_value(json_object_get(nom, "id"));
	acc->nominee_id = json_integer_value(json_object_get(nom, "nominee_person_id"));
	json_decref(nom);
	acc->hook.before = nom_accept_before;
	acc->hook.after = nom_accept_after;
	acc->hook.arg = acc;
	return 0;
}

int nominations_for_person(struct db *db, long long person_id, json_t **rows)
{
	struct db_conn *c = store_mail_read_begin(db);
	int rc = store_nominations_for_person(c, person_id, rows);

	store_mail_read_end(db, c);
	if (rc < 0) {
		log_error("nominations_for_person: database error %d", rc);
		return -1;
	}
	return 0;
}
