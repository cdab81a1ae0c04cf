/*
 * mail.c — templates, rendering, unsubscribe links and the outbox for
 * staff. See mail.h.
 *
 * Unsubscribe tokens: "b64url(email).b64url(MAC)" where MAC is
 * crypto_auth (HMAC-SHA-512-256) under keys->mail of a fixed prefix and the
 * address. Signing the address rather than a person id keeps a link working
 * after its person was merged into another, and lets the unsubscribe hold
 * for the address itself (mail_unsubscribes), whoever owns it later.
 *
 * Threading: no state of its own; every function may run on any thread.
 */
#include "domain/mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "domain/auth.h"
#include "domain/keys.h"
#include "domain/normalize.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/mustache.h"
#include "lib/utf8.h"
#include "store/store_audit.h"
#include "store/store_mail.h"

#define MAIL_DAY_SECONDS 86400LL
#define MAIL_MAC_PREFIX "onramp-unsubscribe:"
#define MAIL_B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define MAIL_TOKEN_MAX 512
#define MAIL_ERROR (-1)

const int mail_welcome_days[3] = { 0, 2, 5 };
static const char *const mail_welcome_codes[3] = { "welcome_day0", "welcome_day2",
                                                   "welcome_day5" };

/* ---- queueing from signups ---- */

/* {"to_addr": email}, or NULL for none (a new object). */
static json_t *mail_to(const char *email)
{
	return email && *email ? json_pack("{s:s}", "to_addr", email) : NULL;
}

int mail_queue_welcome(struct db_conn *c, long long person_id, const char *email, long long at)
{
	json_t *vars = mail_to(email);
	size_t i;
	int rc = 0;

	for (i = 0; i < 3 && rc >= 0; i++)
		rc = store_mail_enqueue(c, mail_welcome_codes[i], person_id, 0, vars,
		                        at + mail_welcome_days[i] * MAIL_DAY_SECONDS);
	json_decref(vars);
	return rc;
}

int mail_queue_signup(struct db_conn *c, long long person_id, const char *email, int is_new,
                      long long at)
{
	/* the confirmation, then for a new person the welcome series: one
	 * call, so PostgreSQL queues them in one statement */
	const char *codes[4] = { "signup_confirmation" };
	long long when[4] = { at };
	json_t *vars = mail_to(email);
	size_t i, n = 1;
	int rc;

	for (i = 0; is_new && i < 3; i++, n++) {
		codes[n] = mail_welcome_codes[i];
		when[n] = at + mail_welcome_days[i] * MAIL_DAY_SECONDS;
	}
	rc = store_mail_enqueue_each(c, codes, when, n, person_id, vars);
	json_decref(vars);
	return rc;
}

/* ---- unsubscribe links ---- */

static void mail_mac(const struct keys *keys, const char *email,
                     unsigned char mac[crypto_auth_hmacsha512256_BYTES])
{
	crypto_auth_hmacsha512256_state st;

	crypto_auth_hmacsha512256_init(&st, keys->mail, sizeof(keys->mail));
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)MAIL_MAC_PREFIX,
	                                 strlen(MAIL_MAC_PREFIX));
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)email, strlen(email));
	crypto_auth_hmacsha512256_final(&st, mac);
}

int mail_unsubscribe_token(const struct keys *keys, const char *email, char *out, size_t outlen)
{
	unsigned char mac[crypto_auth_hmacsha512256_BYTES];
	size_t elen = strlen(email), need;

	need = sodium_base64_ENCODED_LEN(elen, MAIL_B64) +
	       sodium_base64_ENCODED_LEN(sizeof(mac), MAIL_B64);
	if (elen == 0 || elen > LIMIT_EMAIL || need > outlen)
		return -1;
	mail_mac(keys, email, mac);
	sodium_bin2base64(out, outlen, (const unsigned char *)email, elen, MAIL_B64);
	elen = strlen(out);
	out[elen] = '.';
	sodium_bin2base64(out + elen + 1, outlen - elen - 1, mac, sizeof(mac), MAIL_B64);
	return 0;
}

int mail_unsubscribe_check(const struct keys *keys, const char *token, char *email,
                           size_t emaillen)
{
	unsigned char mac[crypto_auth_hmacsha512256_BYTES], want[crypto_auth_hmacsha512256_BYTES];
	const char *dot;
	size_t n = 0, maclen = 0;

	if (token == NULL || strlen(token) > MAIL_TOKEN_MAX || emaillen < 2)
		return -1;
	dot = strchr(token, '.');
	if (dot == NULL || dot == token)
		return -1;
	if (sodium_base642bin((unsigned char *)email, emaillen - 1, token, (size_t)(dot - token),
	                      NULL, &n, NULL, MAIL_B64) != 0 || n == 0)
		return -1;
	email[n] = '\0';
	if (strlen(email) != n || n > LIMIT_EMAIL)
		return -1;  /* a NUL inside */
	if (sodium_base642bin(mac, sizeof(mac), dot + 1, strlen(dot + 1), NULL, &maclen, NULL,
	                      MAIL_B64) != 0 || maclen != sizeof(mac))
		return -1;
	mail_mac(keys, email, want);
	if (sodium_memcmp(mac, want, sizeof(mac)) != 0)
		return -1;
	return 0;
}

char *mail_unsubscribe_url(const struct mail_settings *s, const char *email)
{
	char token[MAIL_TOKEN_MAX + 1];
	buf b;

	if (mail_unsubscribe_token(s->keys, email, token, sizeof(token)) < 0)
		return NULL;
	buf_init(&b, LIMIT_URL_MAX);
	buf_adds(&b, s->base_url);
	buf_adds(&b, "/unsubscribe?t=");
	buf_adds(&b, token);
	return buf_take(&b);
}

struct mail_unsubscribe_job {
	const char *email;
	const char *method;
	long long   person_id;
};

static int mail_unsubscribe_run(struct db_conn *c, void *arg)
{
	struct mail_unsubscribe_job *job = arg;

	return store_mail_unsubscribe(c, job->email, job->method, (long long)time(NULL),
	                              &job->person_id);
}

int mail_unsubscribe(struct db *db, const char *email, const char *method)
{
	struct mail_unsubscribe_job job = { email, method, 0 };
	int rc = store_mail_write(db, mail_unsubscribe_run, &job);

	if (rc < 0) {
		log_error("mail_unsubscribe: database error %d", rc);
		return -1;
	}
	log_info("mail: unsubscribed (person %lld, %s, %s)", job.person_id, method,
	         rc == 1 ? "new" : "again");
	return 0;
}

/* ---- rendering ---- */

/* Renders Mustache text src with vars into a new string. */
static char *mail_render_text(const char *src, json_t *vars, char *err, size_t errlen)
{
	struct mustache_tmpl *t;
	char cerr[200];
	buf b;

	t = mustache_compile(src, strlen(src), cerr, sizeof(cerr));
	if (t == NULL) {
		snprintf(err, errlen, "the template does not compile: %s", cerr);
		return NULL;
	}
	buf_init(&b, LIMIT_MAIL_MESSAGE_MAX);
	if (mustache_render_text(t, vars, &b) < 0) {
		snprintf(err, errlen, "the template could not be rendered (too long or too deep)");
		buf_free(&b);
		mustache_free(t);
		return NULL;
	}
	mustache_free(t);
	return buf_take(&b);
}

/* For each integer variable NAME_at (seconds since the epoch, as the
 * pipeline passes due_at, follow_up_at), adds NAME_at_date "YYYY-MM-DD"
 * (UTC) for templates to show. Returns 0 or -1. */
static int mail_add_dates(json_t *v)
{
	const char *key;
	json_t *val, *dates = json_object();
	char name[96], day[16];
	struct tm tm;
	time_t t;
	size_t n;
	int rc = 0;

	if (dates == NULL)
		return -1;
	json_object_foreach(v, key, val) {
		n = strlen(key);
		if (!json_is_integer(val) || n < 3 || strcmp(key + n - 3, "_at") != 0 ||
		    n + 6 > sizeof(name))
			continue;
		t = (time_t)json_integer_value(val);
		if (gmtime_r(&t, &tm) == NULL || strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
			continue;
		snprintf(name, sizeof(name), "%s_date", key);
		rc |= json_object_set_new(dates, name, json_string(day));
	}
	rc |= json_object_update_missing(v, dates);
	json_decref(dates);
	return rc ? -1 : 0;
}

/* The variables of one message: the sender's, then the recipient's and the
 * installation's where the sender did not set them. A new object. */
static json_t *mail_vars(const struct mail_settings *s, json_t *row)
{
	json_t *v = json_deep_copy(json_object_get(row, "vars"));
	const char *first = json_string_value(json_object_get(row, "first_name"));
	const char *pref = json_string_value(json_object_get(row, "preferred_name"));
	const char *last = json_string_value(json_object_get(row, "last_name"));
	const char *to = json_string_value(json_object_get(row, "to_addr"));
	char *url;
	buf name;
	int rc = 0;

	if (!json_is_object(v)) {
		json_decref(v);
		v = json_object();
	}
	if (v == NULL)
		return NULL;
	if (pref && *pref)
		first = pref;
	buf_init(&name, 2 * LIMIT_NAME + 2);
	buf_adds(&name, first ? first : "");
	if (first && *first && last && *last)
		buf_addc(&name, ' ');
	buf_adds(&name, last ? last : "");
	if (!json_object_get(v, "first_name"))
		rc |= json_object_set_new(v, "first_name", json_string(first ? first : "there"));
	if (!json_object_get(v, "last_name") && last)
		rc |= json_object_set_new(v, "last_name", json_string(last));
	if (!json_object_get(v, "name") && !buf_failed(&name))
		rc |= json_object_set_new(v, "name", json_string(buf_str(&name)));
	buf_free(&name);
	rc |= mail_add_dates(v);
	rc |= json_object_set_new(v, "org_name", json_string(s->org_name ? s->org_name : "Onramp"));
	rc |= json_object_set_new(v, "base_url", json_string(s->base_url ? s->base_url : ""));
	if (to && json_integer_value(json_object_get(row, "person_id")) > 0 &&
	    (url = mail_unsubscribe_url(s, to)) != NULL) {
		rc |= json_object_set_new(v, "unsubscribe_url", json_string(url));
		free(url);
	}
	if (rc) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* Appends the marketing footer (the unsubscribe link) to body. A new
 * string; body is freed. */
static char *mail_add_footer(const struct mail_settings *s, char *body, const char *url)
{
	buf b;
	size_t n = strlen(body);

	buf_init(&b, LIMIT_MAIL_MESSAGE_MAX);
	buf_add(&b, body, n);
	if (n > 0 && body[n - 1] != '\n')
		buf_addc(&b, '\n');
	buf_printf(&b, "\n-- \nYou get these messages because you signed up with %s.\n"
	               "Unsubscribe: %s\n", s->org_name ? s->org_name : "Onramp", url ? url : "");
	free(body);
	return buf_take(&b);
}

/* Renders subject and body sources with vars; the footer for marketing. */
static int mail_render_parts(const struct mail_settings *s, const char *subject_src,
                             const char *body_src, int marketing, json_t *vars, char **subject,
                             char **body, char *err, size_t errlen)
{
	const char *url = json_string_value(json_object_get(vars, "unsubscribe_url"));

	*subject = *body = NULL;
	*subject = mail_render_text(subject_src, vars, err, errlen);
	if (*subject == NULL)
		return -1;
	*body = mail_render_text(body_src, vars, err, errlen);
	if (*body == NULL)
		goto fail;
	if (marketing && (*body = mail_add_footer(s, *body, url)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return 0;
fail:
	free(*subject);
	free(*body);
	*subject = *body = NULL;
	return -1;
}

int mail_render_row(const struct mail_settings *s, json_t *row, char **subject, char **body,
                    char *err, size_t errlen)
{
	const char *subj = json_string_value(json_object_get(row, "tmpl_subject"));
	const char *text = json_string_value(json_object_get(row, "tmpl_body"));
	const char *kind = json_string_value(json_object_get(row, "kind"));
	json_t *vars;
	int rc;

	*subject = *body = NULL;
	if (subj == NULL || text == NULL) {
		const char *code = json_string_value(json_object_get(row, "template_code"));

		snprintf(err, errlen, "the template '%s' no longer exists", code ? code : "?");
		return -1;
	}
	vars = mail_vars(s, row);
	if (vars == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = mail_render_parts(s, subj, text, kind && strcmp(kind, "marketing") == 0, vars, subject,
	                       body, err, errlen);
	json_decref(vars);
	return rc;
}

/* ---- templates (staff) ---- */

int mail_templates_list(struct db *db, json_t **rows)
{
	struct db_conn *c = store_mail_read_begin(db);
	int rc = store_mail_templates_list(c, rows);

	store_mail_read_end(db, c);
	if (rc < 0) {
		log_error("mail_templates_list: database error %d", rc);
		return -1;
	}
	return 0;
}

int mail_template_get(struct db *db, long long id, json_t **row)
{
	struct db_conn *c = store_mail_read_begin(db);
	int rc = store_mail_template_load(c, id, NULL, row);

	store_mail_read_end(db, c);
	if (rc < 0) {
		log_error("mail_template_get: database error %d", rc);
		return -1;
	}
	return rc == 1 ? 0 : 1;
}

/* Checks one Mustache source; sets errors[field] when it is refused. */
static int mail_check_source(json_t *errors, const char *field, const char *src, size_t max,
                             int one_line)
{
	struct mustache_tmpl *t;
	char cerr[200], msg[260];
	size_t n = src ? strlen(src) : 0;

	if (n == 0)
		return json_object_set_new(errors, field, json_string("Enter some text."));
	if (n > max) {
		snprintf(msg, sizeof(msg), "Keep it under %zu characters.", max);
		return json_object_set_new(errors, field, json_string(msg));
	}
	if (one_line ? !utf8_valid_line(src, n) : !utf8_valid_text(src, n))
		return json_object_set_new(errors, field,
		                           json_string(one_line ? "Use one line, without line breaks."
		                                                : "Remove the unusual characters."));
	t = mustache_compile(src, n, cerr, sizeof(cerr));
	if (t == NULL) {
		snprintf(msg, sizeof(msg), "The {{tags}} are not right: %s", cerr);
		return json_object_set_new(errors, field, json_string(msg));
	}
	mustache_free(t);
	return 0;
}

struct mail_template_job {
	long long   user_id;
	long long   id;
	const char *subject;
	const char *body;
	const char *kind;
};

static int mail_template_run(struct db_conn *c, void *arg)
{
	struct mail_template_job *job = arg;
	json_t *before = NULL, *after = NULL;
	int rc;

	rc = store_mail_template_load(c, job->id, NULL, &before);
	if (rc <= 0)
		return rc < 0 ? rc : 1;
	json_object_del(before, "updated_by_email");
	rc = store_mail_template_update(c, job->id, job->subject, job->body, job->kind, job->user_id,
	                                (long long)time(NULL));
	if (rc <= 0) {
		json_decref(before);
		return rc < 0 ? rc : 1;
	}
	after = json_pack("{s:s, s:s, s:s}", "subject", job->subject, "body", job->body, "kind",
	                  job->kind);
	rc = after ? store_audit_append(c, job->user_id, "mail.template_update", "mail_template",
	                                job->id, before, after)
	           : MAIL_ERROR;
	json_decref(before);
	json_decref(after);
	return rc < 0 ? rc : 0;
}

int mail_template_save(struct db *db, const struct staff_user *viewer, long long id,
                       const char *subject, const char *body, const char *kind,
                       json_t **errors)
{
	struct mail_template_job job;
	int rc = 0;

	*errors = json_object();
	if (*errors == NULL)
		return -1;
	rc |= mail_check_source(*errors, "subject", subject, LIMIT_MAIL_SUBJECT, 1);
	rc |= mail_check_source(*errors, "body", body, LIMIT_MAIL_BODY, 0);
	if (kind == NULL || (strcmp(kind, "transactional") != 0 && strcmp(kind, "marketing") != 0))
		rc |= json_object_set_new(*errors, "kind",
		                          json_string("Choose transactional or marketing."));
	if (rc) {
		json_decref(*errors);
		*errors = NULL;
		return -1;
	}
	if (json_object_size(*errors) > 0)
		return 2;
	json_decref(*errors);
	*errors = NULL;
	memset(&job, 0, sizeof(job));
	job.user_id = viewer ? viewer->id : 0;
	job.id = id;
	job.subject = subject;
	job.body = body;
	job.kind = kind;
	rc = store_mail_write(db, mail_template_run, &job);
	if (rc < 0) {
		log_error("mail_template_save: database error %d", rc);
		return -1;
	}
	return rc == 1 ? 1 : 0;
}

int mail_template_preview(const struct mail_settings *s, const char *code, const char *subject,
                          const char *body, const char *kind, json_t **out)
{
	json_t *row, *vars;
	char *subj = NULL, *text = NULL, err[300];
	int rc;

	(void)code;
	*out = NULL;
	vars = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	                 "nominee_name", "Alex Rivera", "nominator_name", "Jordan Lee",
	                 "reason", "Alex organized the library petition.",
	                 "accept_url", "", "volunteer_name", "Sam",
	                 "next_steps", "Look at the school board race in your district.",
	                 "office", "School board", "title", "Call Alex Rivera back",
	                 "person_name", "Alex Rivera", "link", "");
	if (vars) {
		json_object_set_new(vars, "due_at", json_integer(1900000000));
		json_object_set_new(vars, "follow_up_at", json_integer(1900000000));
		json_object_set_new(vars, "close_date", json_string("2030-06-01"));
	}
	row = json_pack("{s:o?, s:s, s:s, s:s, s:I}", "vars", vars, "first_name", "Alex",
	                "last_name", "Rivera", "to_addr", "alex@example.org", "person_id",
	                (json_int_t)1);
	if (row == NULL)
		return -1;
	/* links in the preview point at this installation */
	json_object_set_new(json_object_get(row, "vars"), "accept_url",
	                    json_sprintf("%s/signup?nomination=EXAMPLE", s->base_url));
	json_object_set_new(json_object_get(row, "vars"), "link",
	                    json_sprintf("%s/staff", s->base_url));
	vars = mail_vars(s, row);
	json_decref(row);
	if (vars == NULL)
		return -1;
	rc = mail_render_parts(s, subject ? subject : "", body ? body : "",
	                       kind && strcmp(kind, "marketing") == 0, vars, &subj, &text, err,
	                       sizeof(err));
	json_decref(vars);
	if (rc < 0)
		*out = json_pack("{s:s}", "error", err);
	else
		*out = json_pack("{s:s, s:s}", "subject", subj, "body", text);
	free(subj);
	free(text);
	return *out ? 0 : -1;
}

/* ---- the outbox (staff) ---- */

int mail_outbox_list(struct db *db, const char *status, int page, int per_page, json_t **rows,
                     long long *total, json_t **counts)
{
	struct db_conn *c;
	int rc;

	*rows = *counts = NULL;
	if (per_page < 1 || per_page > LIMIT_PAGE_SIZE_MAX)
		per_page = LIMIT_PAGE_SIZE_DEFAULT;
	if (page < 1)
		page = 1;
	c = store_mail_read_begin(db);
	rc = store_mail_list(c, status, per_page, (long long)(page - 1) * per_page, rows, total);
	if (rc == 0)
		rc = store_mail_counts(c, counts);
	store_mail_read_end(db, c);
	if (rc < 0) {
		json_decref(*rows);
		*rows = NULL;
		log_error("mail_outbox_list: database error %d", rc);
		return -1;
	}
	return 0;
}

int mail_outbox_get(struct db *db, const struct mail_settings *s, long long id, json_t **row)
{
	struct db_conn *c = store_mail_read_begin(db);
	char *subject = NULL, *body = NULL, err[300];
	int rc = store_mail_load(c, id, row);

	store_mail_read_end(db, c);
	if (rc < 0) {
		log_error("mail_outbox_get: database error %d", rc);
		return -1;
	}
	if (rc == 0)
		return 1;
	if (json_is_string(json_object_get(*row, "body")))
		return 0;  /* sent: show what was sent */
	if (mail_render_row(s, *row, &subject, &body, err, sizeof(err)) < 0) {
		json_object_set_new(*row, "render_error", json_string(err));
		return 0;
	}
	json_object_set_new(*row, "subject", json_string(subject));
	json_object_set_new(*row, "body", json_string(body));
	json_object_set_new(*row, "rendered", json_true());
	free(subject);
	free(body);
	return 0;
}
