/*
 * test_intake.c — the universal lead intake over HTTP, against the real
 * server: forms made with `onramp form add` and through /staff/forms,
 * POST /intake/KEY with JSON, urlencoded and multipart bodies, the field
 * mapping and custom fields, bad keys, the header secret and the HMAC
 * signature, Idempotency-Key retries, dedupe across formatting variants,
 * the email-vs-phone flag, many connections posting one person at once,
 * the exact counters against a recount after a burst, the deduplicated
 * CSV export, rejected leads fixed and replayed, the size and rate limits,
 * and a kill -9 in the middle of a burst after which every acknowledged
 * lead is present.
 *
 * Each test uses its own emails and phones; the counters are compared with
 * a recount of the whole database, so they hold whatever ran before.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "harness.h"

static struct server *srv;

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	srv = harness_start(NULL);
	return srv ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	int rc = harness_stop(srv);
	srv = NULL;
	return rc;
}

/* A form made with `onramp form add`: its /intake/KEY path and secret. */
struct made_form {
	char path[128];
	char secret[80];
	long long id;
};

/* Copies the value of "name: value" from CLI output into out. */
static int cli_value(const char *text, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	const char *p = text, *end;

	while (p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == ':' && p[n + 1] == ' ') {
			p += n + 2;
			end = strchr(p, '\n');
			n = end ? (size_t)(end - p) : strlen(p);
			if (n >= outlen)
				return -1;
			memcpy(out, p, n);
			out[n] = '\0';
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* Runs `onramp form add` with extra (NULL-terminated) arguments. */
static void form_make(struct made_form *mf, const char *name, ...)
{
	const char *argv[24] = { "form", "add", "--name", name };
	struct cli_result *r = calloc(1, sizeof(*r));
	char id[32];
	va_list ap;
	size_t n = 4;
	const char *a;

	assert_non_null(r);
	va_start(ap, name);
	while ((a = va_arg(ap, const char *)) != NULL && n < 22)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	if (harness_cli(srv, NULL, NULL, r, argv) != 0)
		fprintf(stderr, "# form add: %s %s\n", r->out, r->err);
	assert_int_equal(r->status, 0);
	memset(mf, 0, sizeof(*mf));
	assert_int_equal(cli_value(r->out, "path", mf->path, sizeof(mf->path)), 0);
	assert_int_equal(strncmp(mf->path, "/intake/", 8), 0);
	assert_int_equal(strlen(mf->path), 8 + 64);  /* 256 bits of key */
	assert_int_equal(cli_value(r->out, "id", id, sizeof(id)), 0);
	mf->id = strtoll(id, NULL, 10);
	(void)cli_value(r->out, "secret", mf->secret, sizeof(mf->secret));
	free(r);
}

static long post_json(struct client *c, const char *path, const char *json,
                      const char *const *headers)
{
	return client_post_headers(c, path, "application/json", json, strlen(json), headers);
}

/* The integer after "name": in a compact JSON answer, or -1. */
static long long json_int(const char *body, const char *name)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", name);
	p = strstr(body, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* The top-level integer name of a JSON answer, or -1. */
static long long json_top_int(const char *body, const char *name)
{
	json_error_t err;
	json_t *doc = json_loads(body, 0, &err);
	long long v = -1;

	if (json_is_integer(json_object_get(doc, name)))
		v = json_integer_value(json_object_get(doc, name));
	json_decref(doc);
	return v;
}

static long long count_where(const char *sql, const char *param)
{
	return harness_db_int(srv, sql, param);
}

/* ---- mapping, custom fields, body types ---- */

static void test_json_mapping_and_custom_fields(void **state)
{
	(void)state;
	struct made_form mf;
	struct client *c = client_new(srv);
	long long people = harness_count_people(srv), id;
	char text[512];

	form_make(&mf, "Partner JSON form", "--owner", "Allies United", "--map",
	          "First Name=first_name, Last Name=last_name, q3_email=email,"
	          " phone_number=phone, contact.zip=zip, contact.state=state", "--tags", "allies,spring",
	          NULL);
	post_json(c, mf.path,
	          "{\"First Name\":\"Marisol\",\"Last Name\":\"Quintero\","
	          "\"q3_email\":\"Marisol.Quintero@Example.org\",\"phone_number\":\"(510) 555-0171\","
	          "\"contact\":{\"zip\":\"94607\",\"state\":\"CA\"},"
	          "\"favorite_issue\":\"libraries\",\"utm\":{\"campaign\":\"spring\"}}", NULL);
	H_ASSERT_STATUS(c, 201);
	assert_string_equal(client_header(c, "Content-Type"), "application/json");
	assert_non_null(strstr(client_body(c), "\"status\":\"new\""));
	id = harness_person_by_email(srv, "marisol.quintero@example.org");
	assert_true(id > 0);
	assert_int_equal(json_int(client_body(c), "person_id"), id);
	assert_int_equal(harness_count_people(srv), people + 1);
	assert_int_equal(count_where("SELECT person_id FROM person_phones WHERE phone = ?1",
	                             "+15105550171"), id);
	/* unmapped fields are kept, as sent */
	assert_int_equal(harness_db_text(srv,
	                 "SELECT s.custom FROM submissions s"
	                 " JOIN person_emails e ON e.person_id = s.person_id"
	                 " WHERE s.form_id IS NOT NULL AND e.email = ?1", "marisol.quintero@example.org", text, sizeof(text)), 0);
	assert_non_null(strstr(text, "\"favorite_issue\":\"libraries\""));
	assert_non_null(strstr(text, "\"utm.campaign\":\"spring\""));
	/* kind, source (first tag) and partner */
	assert_int_equal(count_where("SELECT COUNT(*) FROM submissions WHERE kind = 'intake'"
	                             " AND source = 'allies' AND person_id IN"
	                             " (SELECT person_id FROM person_emails WHERE email = ?1)",
	                             "marisol.quintero@example.org"), 1);
	assert_int_equal(count_where("SELECT COUNT(*) FROM submissions WHERE form_id IS NOT NULL"
	                             " AND partner = ?1", "Allies United"), 1);
	client_free(c);
}

static void test_urlencoded_and_multipart(void **state)
{
	(void)state;
	struct made_form mf;
	struct client *c = client_new(srv);
	char text[256];
	static const char multipart[] =
		"--XyZ\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\nDeshawn\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"last_name\"\r\n\r\nPratt\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\ndeshawn.pratt@example.org\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"zip\"\r\n\r\n30303\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"state\"\r\n\r\nGA\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"office_interests\"\r\n\r\ncounty\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"office_interests\"\r\n\r\njudicial\r\n"
		"--XyZ--\r\n";

	form_make(&mf, "Own site form", "--map", "fname=first_name,lname=last_name", NULL);
	client_post_form(c, mf.path, "fname", "Ngozi", "lname", "Adeyemi", "email",
	                 "ngozi.adeyemi@example.org", "zip", "60614", "state", "IL",
	                 "office_interests", "school_board, city_council", "consent_email", "yes",
	                 "how_heard", "a friend", NULL);
	H_ASSERT_STATUS(c, 201);
	assert_true(harness_person_by_email(srv, "ngozi.adeyemi@example.org") > 0);
	assert_int_equal(count_where("SELECT COUNT(*) FROM person_choices WHERE field = 'office_interests'"
	                             " AND person_id IN (SELECT person_id FROM person_emails WHERE email = ?1)",
	                             "ngozi.adeyemi@example.org"), 2);
	assert_int_equal(count_where("SELECT consent_email FROM people WHERE id IN"
	                             " (SELECT person_id FROM person_emails WHERE email = ?1)",
	                             "ngozi.adeyemi@example.org"), 1);
	assert_int_equal(harness_db_text(srv, "SELECT s.custom FROM submissions s"
	                 " JOIN person_emails e ON e.person_id = s.person_id"
	                 " WHERE s.form_id IS NOT NULL AND e.email = ?1",
	                 "ngozi.adeyemi@example.org", text, sizeof(text)), 0);
	assert_non_null(strstr(text, "\"how_heard\":\"a friend\""));

	client_post_raw(c, mf.path, "multipart/form-data; boundary=XyZ", multipart,
	                sizeof(multipart) - 1);
	H_ASSERT_STATUS(c, 201);
	assert_int_equal(count_where("SELECT COUNT(*) FROM person_choices WHERE field = 'office_interests'"
	                             " AND person_id IN (SELECT person_id FROM person_emails WHERE email = ?1)",
	                             "deshawn.pratt@example.org"), 2);

	client_post_raw(c, mf.path, "text/plain", "hello", 5);
	H_ASSERT_STATUS(c, 415);
	client_free(c);
}

/* ---- authentication ---- */

static void test_bad_key(void **state)
{
	(void)state;
	struct made_form mf;
	struct client *c = client_new(srv);
	char path[160];
	long long subs = harness_count_submissions(srv);
	static const char lead[] = "{\"first_name\":\"Ida\",\"last_name\":\"Noakes\","
		"\"email\":\"ida.noakes@example.org\",\"zip\":\"02139\",\"state\":\"MA\"}";

	form_make(&mf, "Key test", NULL);
	/* one character changed */
	snprintf(path, sizeof(path), "%s", mf.path);
	path[10] = path[10] == 'a' ? 'b' : 'a';
	post_json(c, path, lead, NULL);
	H_ASSERT_STATUS(c, 401);
	post_json(c, "/intake/short", lead, NULL);
	H_ASSERT_STATUS(c, 401);
	post_json(c, "/intake/", lead, NULL);
	H_ASSERT_STATUS(c, 401);
	assert_int_equal(harness_count_submissions(srv), subs);
	/* the key itself works, once rotated the old one does not */
	post_json(c, mf.path, lead, NULL);
	H_ASSERT_STATUS(c, 201);
	{
		char id[32];
		const char *argv[] = { "form", "rotate-key", id, NULL };
		struct cli_result *r = calloc(1, sizeof(*r));
		char newpath[128];

		assert_non_null(r);
		snprintf(id, sizeof(id), "%lld", mf.id);
		assert_int_equal(harness_cli(srv, NULL, NULL, r, argv), 0);
		assert_int_equal(cli_value(r->out, "path", newpath, sizeof(newpath)), 0);
		free(r);
		post_json(c, newpath, lead, NULL);
		H_ASSERT_STATUS(c, 201);
		/* the server caches forms: a rotation made by another process
		 * takes effect within INTAKE_CACHE_SECONDS */
		sleep(6);
		post_json(c, mf.path, lead, NULL);
		H_ASSERT_STATUS(c, 401);
	}
	client_free(c);
}

static void hmac_hex(const char *secret, const char *body, char out[65])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, 65, mac, sizeof(mac));
}

static void test_hmac_and_header_secret(void **state)
{
	(void)state;
	struct made_form mh, ms;
	struct client *c = client_new(srv);
	char sig[65], hdr[128], shdr[128];
	static const char lead[] = "{\"first_name\":\"Tomasz\",\"last_name\":\"Wrobel\","
		"\"email\":\"tomasz.wrobel@example.org\",\"zip\":\"53202\",\"state\":\"WI\"}";
	static const char other[] = "{\"first_name\":\"Tomasz\",\"last_name\":\"Wrobel\","
		"\"email\":\"mallory@example.org\",\"zip\":\"53202\",\"state\":\"WI\"}";

	form_make(&mh, "Signed form", "--auth", "hmac", NULL);
	assert_int_equal(strlen(mh.secret), 64);
	hmac_hex(mh.secret, lead, sig);
	post_json(c, mh.path, lead, NULL);
	H_ASSERT_STATUS(c, 401);
	/* the signature of another body */
	snprintf(hdr, sizeof(hdr), "X-Onramp-Signature: sha256=%s", sig);
	const char *h1[] = { hdr, NULL };
	post_json(c, mh.path, other, h1);
	H_ASSERT_STATUS(c, 401);
	assert_int_equal(harness_person_by_email(srv, "mallory@example.org"), -1);
	post_json(c, mh.path, lead, h1);
	H_ASSERT_STATUS(c, 201);
	/* plain hex works too */
	snprintf(hdr, sizeof(hdr), "X-Onramp-Signature: %s", sig);
	post_json(c, mh.path, lead, h1);
	H_ASSERT_STATUS(c, 201);

	form_make(&ms, "Header form", "--auth", "header", NULL);
	post_json(c, ms.path, lead, NULL);
	H_ASSERT_STATUS(c, 401);
	snprintf(shdr, sizeof(shdr), "X-Onramp-Secret: %s", mh.secret);  /* another form's */
	const char *h2[] = { shdr, NULL };
	post_json(c, ms.path, lead, h2);
	H_ASSERT_STATUS(c, 401);
	snprintf(shdr, sizeof(shdr), "X-Onramp-Secret: %s", ms.secret);
	post_json(c, ms.path, lead, h2);
	H_ASSERT_STATUS(c, 201);
	client_free(c);
}

/* ---- idempotency, dedupe, flags ---- */

static void test_idempotent_retry(void **state)
{
	(void)state;
	struct made_form mf;
	struct client *c = client_new(srv);
	long long subs, person, sub;
	static const char lead[] = "{\"first_name\":\"Beatriz\",\"last_name\":\"Salgado\","
		"\"email\":\"beatriz.salgado@example.org\",\"zip\":\"78701\",\"state\":\"TX\"}";
	const char *h[] = { "Idempotency-Key: order-7781-attempt", NULL };

	form_make(&mf, "Retrying webhook", "--map", "delivery_id=idempotency_key", NULL);
	subs = harness_count_submissions(srv);
	post_json(c, mf.path, lead, h);
	H_ASSERT_STATUS(c, 201);
	person = json_int(client_body(c), "person_id");
	sub = json_int(client_body(c), "submission_id");
	assert_true(person > 0 && sub > 0);
	post_json(c, mf.path, lead, h);
	H_ASSERT_STATUS(c, 200);
	assert_non_null(strstr(client_body(c), "\"status\":\"duplicate\""));
	assert_int_equal(json_int(client_body(c), "person_id"), person);
	assert_int_equal(json_int(client_body(c), "submission_id"), sub);
	assert_int_equal(harness_count_submissions(srv), subs + 1);

	/* a mapped field as the key */
	post_json(c, mf.path, "{\"first_name\":\"Beatriz\",\"last_name\":\"Salgado\","
	          "\"email\":\"beatriz.salgado@example.org\",\"zip\":\"78701\",\"state\":\"TX\","
	          "\"delivery_id\":\"d-1\"}", NULL);
	H_ASSERT_STATUS(c, 201);
	post_json(c, mf.path, "{\"first_name\":\"Beatriz\",\"last_name\":\"Salgado\","
	          "\"email\":\"beatriz.salgado@example.org\",\"zip\":\"78701\",\"state\":\"TX\","
	          "\"delivery_id\":\"d-1\"}", NULL);
	H_ASSERT_STATUS(c, 200);
	assert_int_equal(harness_count_submissions(srv), subs + 2);
	/* the same key on another form is another lead */
	{
		struct made_form other;

		form_make(&other, "Other webhook", NULL);
		post_json(c, other.path, lead, h);
		H_ASSERT_STATUS(c, 201);
		assert_int_equal(harness_count_submissions(srv), subs + 3);
	}
	client_free(c);
}

static void test_dedupe_variants_and_flag(void **state)
{
	(void)state;
	struct made_form mf;
	struct client *c = client_new(srv);
	long long people = harness_count_people(srv), a, b, flags;

	form_make(&mf, "Variants form", NULL);
	post_json(c, mf.path, "{\"first_name\":\"Anneliese\",\"last_name\":\"Brandt\","
	          "\"email\":\"Anneliese.Brandt@Example.ORG\",\"phone\":\"(415) 555-0192\","
	          "\"zip\":\"94110\",\"state\":\"CA\"}", NULL);
	H_ASSERT_STATUS(c, 201);
	a = json_int(client_body(c), "person_id");
	/* the same email, other spelling */
	post_json(c, mf.path, "{\"first_name\":\"Anneliese\",\"last_name\":\"Brandt\","
	          "\"email\":\"  anneliese.brandt@example.org \",\"zip\":\"94110\",\"state\":\"CA\"}", NULL);
	H_ASSERT_STATUS(c, 201);
	assert_non_null(strstr(client_body(c), "\"status\":\"merged\""));
	assert_int_equal(json_int(client_body(c), "person_id"), a);
	/* the same phone, other format, new email: merged, email added */
	post_json(c, mf.path, "{\"first_name\":\"Anne\",\"last_name\":\"Brandt\","
	          "\"email\":\"abrandt@example.net\",\"phone\":\"+1 415 555 0192\","
	          "\"zip\":\"94110\",\"state\":\"CA\"}", NULL);
	H_ASSERT_STATUS(c, 201);
	assert_int_equal(json_int(client_body(c), "person_id"), a);
	post_json(c, mf.path, "{\"first_name\":\"Anne\",\"last_name\":\"Brandt\","
	          "\"email\":\"anne.b@example.com\",\"phone\":4155550192,"
	          "\"zip\":\"94110\",\"state\":\"CA\"}", NULL);
	H_ASSERT_STATUS(c, 201);
	assert_int_equal(json_int(client_body(c), "person_id"), a);
	assert_int_equal(harness_count_people(srv), people + 1);
	assert_int_equal(count_where("SELECT COUNT(*) FROM person_emails WHERE email IN"
	                             " ('anneliese.brandt@example.org', 'abrandt@example.net',"
	                             " 'anne.b@example.com') AND person_id IN (SELECT person_id FROM"
	                             " person_emails WHERE email = ?1)", "abrandt@example.net"), 3);

	/* another person, then one lead with a's email and b's phone: flagged */
	post_json(c, mf.path, "{\"first_name\":\"Rafael\",\"last_name\":\"Ito\","
	          "\"email\":\"rafael.ito@example.org\",\"phone\":\"415-555-0193\","
	          "\"zip\":\"94110\",\"state\":\"CA\"}", NULL);
	H_ASSERT_STATUS(c, 201);
	b = json_int(client_body(c), "person_id");
	assert_true(b != a);
	flags = count_where("SELECT COUNT(*) FROM duplicate_flags WHERE status = 'open'", NULL);
	post_json(c, mf.path, "{\"first_name\":\"Anneliese\",\"last_name\":\"Brandt\","
	          "\"email\":\"anneliese.brandt@example.org\",\"phone\":\"415.555.0193\","
	          "\"zip\":\"94110\",\"state\":\"CA\"}", NULL);
	H_ASSERT_STATUS(c, 201);
	assert_non_null(strstr(client_body(c), "\"status\":\"flagged\""));
	assert_int_equal(json_int(client_body(c), "person_id"), a);
	assert_int_equal(count_where("SELECT COUNT(*) FROM duplicate_flags WHERE status = 'open'", NULL),
	                 flags + 1);
	/* not merged: the phone still belongs to b */
	assert_int_equal(count_where("SELECT person_id FROM person_phones WHERE phone = ?1",
	                             "+14155550193"), b);
	client_free(c);
}

/* ---- concurrency ---- */

struct poster {
	pthread_t   thread;
	const char *path;
	int         index;
	int         count;        /* posts to make */
	int         same_person;  /* 1: everyone posts one person */
	volatile int *stop;       /* kill test: post until set */
	int         acked;        /* 2xx answers */
	char      (*acked_emails)[64];
};

static void *poster_run(void *arg)
{
	struct poster *p = arg;
	struct client *c = client_new(srv);
	char body[512], email[64];
	int i;

	for (i = 0; (p->stop ? !*p->stop : i < p->count); i++) {
		if (p->same_person)
			snprintf(email, sizeof(email), "%s", "same.person@example.org");
		else
			snprintf(email, sizeof(email), "burst.%d.%d@example.org", p->index, i);
		snprintf(body, sizeof(body),
		         "{\"first_name\":\"Pat\",\"last_name\":\"Burst%d\",\"email\":\"%s%s\","
		         "\"phone\":\"(206) 55%d-%04d\",\"zip\":\"98101\",\"state\":\"WA\"}",
		         p->index, (i % 3 == 2 && !p->same_person) ? "  " : "", email,
		         p->same_person ? 5 : 2 + p->index % 7,
		         p->same_person ? 142 : (p->index * 97 + i) % 10000);
		long st = client_post_headers(c, p->path, "application/json", body, strlen(body), NULL);
		if (st == 201 || st == 200) {
			if (p->acked_emails && p->acked < 4096)
				snprintf(p->acked_emails[p->acked], 64, "%s", email);
			p->acked++;
		}
	}
	client_free(c);
	return NULL;
}

#define MANY 24

static void test_concurrent_same_person(void **state)
{
	(void)state;
	struct made_form mf;
	struct poster p[MANY];
	long long people = harness_count_people(srv), subs = harness_count_submissions(srv);
	int i, acked = 0;

	form_make(&mf, "Concurrent form", NULL);
	memset(p, 0, sizeof(p));
	for (i = 0; i < MANY; i++) {
		p[i].path = mf.path;
		p[i].index = i;
		p[i].count = 4;
		p[i].same_person = 1;
		assert_int_equal(pthread_create(&p[i].thread, NULL, poster_run, &p[i]), 0);
	}
	for (i = 0; i < MANY; i++) {
		pthread_join(p[i].thread, NULL);
		acked += p[i].acked;
	}
	assert_int_equal(acked, MANY * 4);
	assert_int_equal(harness_count_people(srv), people + 1);
	assert_int_equal(harness_count_submissions(srv), subs + MANY * 4);
	assert_int_equal(count_where("SELECT COUNT(*) FROM person_emails WHERE email = ?1",
	                             "same.person@example.org"), 1);
}

/* The counters as JSON from the staff endpoint, compared with a recount
 * done by the server and with counts the test makes itself. */
static void test_counts_match_recount_after_burst(void **state)
{
	(void)state;
	struct made_form mf, mf2;
	struct poster p[8];
	struct client *staff = client_new(srv);
	const char *body;
	char n[32];
	int i;

	form_make(&mf, "Burst form A", "--owner", "Partner Burst", NULL);
	form_make(&mf2, "Burst form B", NULL);
	memset(p, 0, sizeof(p));
	for (i = 0; i < 8; i++) {
		p[i].path = i % 2 ? mf.path : mf2.path;
		p[i].index = 100 + i;
		p[i].count = 40;
		assert_int_equal(pthread_create(&p[i].thread, NULL, poster_run, &p[i]), 0);
	}
	for (i = 0; i < 8; i++)
		pthread_join(p[i].thread, NULL);

	/* signed out: no numbers */
	client_get(staff, "/staff/compliance.json");
	H_ASSERT_STATUS(staff, 303);
	assert_int_equal(client_login(staff, H_STAFF_EMAIL, H_STAFF_PASS), 303);
	client_get(staff, "/staff/compliance.json?recount=1");
	H_ASSERT_STATUS(staff, 200);
	body = client_body(staff);
	assert_non_null(strstr(body, "\"consistent\":true"));
	assert_int_equal(json_top_int(body, "people"), harness_count_people(srv));
	assert_int_equal(json_top_int(body, "emails"),
	                 count_where("SELECT COUNT(*) FROM person_emails", NULL));
	assert_int_equal(json_top_int(body, "phones"),
	                 count_where("SELECT COUNT(*) FROM person_phones", NULL));
	assert_int_equal(json_top_int(body, "leads"),
	                 count_where("SELECT COUNT(*) FROM submissions WHERE status = 'accepted'", NULL));
	assert_true(json_top_int(body, "leads_today") >= 320);
	snprintf(n, sizeof(n), "\"Partner Burst\":%d", 160);
	assert_non_null(strstr(body, n));

	client_get(staff, "/staff/compliance");
	H_ASSERT_STATUS(staff, 200);
	client_free(staff);
}

/* Every email and phone cell of the export, counted: none twice, and the
 * rows are exactly the people. */
static void test_export_has_no_duplicates(void **state)
{
	(void)state;
	struct client *staff = client_new(srv);
	struct client *vol = client_new(srv);
	char *copy, *line, *save, *cells[8], *p, *tok, *save2;
	size_t rows = 0, items = 0, i, j, n;
	char **seen;

	assert_int_equal(client_login(vol, H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS), 303);
	client_get(vol, "/staff/compliance/export.csv");
	H_ASSERT_STATUS(vol, 403);
	client_free(vol);

	assert_int_equal(client_login(staff, H_STAFF_EMAIL, H_STAFF_PASS), 303);
	client_get(staff, "/staff/compliance/export.csv");
	H_ASSERT_STATUS(staff, 200);
	assert_non_null(strstr(client_header(staff, "Content-Type"), "text/csv"));
	copy = strdup(client_body(staff));
	seen = calloc(200000, sizeof(*seen));
	assert_non_null(copy);
	assert_non_null(seen);
	for (line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		if (rows++ == 0)
			continue;  /* header */
		/* test data has no quoted cells with commas */
		for (n = 0, p = line; n < 8; n++) {
			cells[n] = p;
			p = strchr(p, ',');
			if (!p)
				break;
			*p++ = '\0';
		}
		assert_int_equal(n, 7);
		for (j = 3; j <= 4; j++) {
			for (tok = strtok_r(cells[j], ";", &save2); tok; tok = strtok_r(NULL, ";", &save2)) {
				for (i = 0; i < items; i++)
					assert_string_not_equal(seen[i], tok);
				assert_true(items < 200000);
				seen[items++] = tok;
			}
		}
	}
	assert_int_equal((long long)rows - 1, harness_count_people(srv));
	assert_int_equal((long long)items,
	                 count_where("SELECT COUNT(*) FROM person_emails", NULL) +
	                 count_where("SELECT COUNT(*) FROM person_phones", NULL));
	free(seen);
	free(copy);
	client_free(staff);
}

/* ---- rejected leads ---- */

static void test_rejected_then_replayed(void **state)
{
	(void)state;
	struct made_form mf;
	struct client *c = client_new(srv);
	struct client *staff = client_new(srv);
	char path[96], csrf[128];
	long long rid, subs = harness_count_submissions(srv), person;

	form_make(&mf, "Sloppy partner form", "--map", "mail=email", NULL);
	post_json(c, mf.path, "{\"first_name\":\"Oyelaran\",\"last_name\":\"Bello\","
	          "\"mail\":\"oyelaran.bello(at)example.org\",\"zip\":\"1234\",\"state\":\"NY\","
	          "\"extra\":\"kept\"}", NULL);
	H_ASSERT_STATUS(c, 400);
	assert_non_null(strstr(client_body(c), "\"field\":\"email\""));
	assert_non_null(strstr(client_body(c), "\"field\":\"zip\""));
	rid = json_int(client_body(c), "rejected_id");
	assert_true(rid > 0);
	assert_int_equal(harness_count_submissions(srv), subs);
	/* stored sealed: the typed email is not in the database files in clear */
	assert_int_equal(harness_db_rows_containing(srv, "SELECT input FROM rejected_leads",
	                                            "oyelaran.bello(at)"), 0);
	assert_int_equal(count_where("SELECT COUNT(*) FROM rejected_leads WHERE status = 'open'",
	                             NULL), 1);

	/* not JSON at all: still kept */
	post_json(c, mf.path, "first_name=Oops", NULL);
	H_ASSERT_STATUS(c, 400);
	assert_non_null(strstr(client_body(c), "\"field\":\"payload\""));
	assert_true(json_int(client_body(c), "rejected_id") > rid);

	assert_int_equal(client_login(staff, H_STAFF_EMAIL, H_STAFF_PASS), 303);
	snprintf(path, sizeof(path), "/staff/rejected/%lld", rid);
	client_get(staff, path);
	H_ASSERT_STATUS(staff, 200);
	assert_int_equal(csrf_from(client_body(staff), csrf, sizeof(csrf)), 0);
	assert_non_null(strstr(client_body(staff), "oyelaran.bello(at)example.org"));
	assert_non_null(strstr(client_body(staff), "kept"));
	/* still wrong: 422, nothing stored */
	snprintf(path, sizeof(path), "/staff/rejected/%lld/replay", rid);
	client_post_form(staff, path, "csrf", csrf, "first_name", "Oyelaran", "last_name", "Bello",
	                 "email", "oyelaran.bello@example.org", "zip", "1234", "state", "NY", NULL);
	H_ASSERT_STATUS(staff, 422);
	assert_int_equal(harness_count_submissions(srv), subs);
	client_post_form(staff, path, "csrf", csrf, "first_name", "Oyelaran", "last_name", "Bello",
	                 "email", "oyelaran.bello@example.org", "zip", "10027", "state", "NY", NULL);
	H_ASSERT_STATUS(staff, 303);
	person = harness_person_by_email(srv, "oyelaran.bello@example.org");
	assert_true(person > 0);
	snprintf(path, sizeof(path), "/staff/people/%lld", person);
	assert_string_equal(client_location_path(staff), path);
	assert_int_equal(harness_count_submissions(srv), subs + 1);
	/* the custom field came along; the lead is closed and the replay audited */
	assert_int_equal(count_where("SELECT COUNT(*) FROM submissions WHERE form_id IS NOT NULL"
	                             " AND custom LIKE ?1", "%\"extra\":\"kept\"%"), 1);
	assert_int_equal(count_where("SELECT COUNT(*) FROM rejected_leads WHERE status = 'replayed'"
	                             " AND person_id IS NOT NULL", NULL), 1);
	assert_int_equal(count_where("SELECT COUNT(*) FROM audit_log WHERE action = ?1",
	                             "rejected_lead.replay"), 1);
	snprintf(path, sizeof(path), "/staff/rejected/%lld/replay", rid);
	client_post_form(staff, path, "csrf", csrf, "email", "x@example.org", NULL);
	H_ASSERT_STATUS(staff, 404);
	client_free(c);
	client_free(staff);
}

/* ---- limits ---- */

static void test_size_and_rate_limits(void **state)
{
	(void)state;
	struct made_form mf;
	struct client *c = client_new(srv);
	char *big;
	size_t n = 70 * 1024;
	int i;
	static const char lead[] = "{\"first_name\":\"Rate\",\"last_name\":\"Limited\","
		"\"email\":\"rate.limited@example.org\",\"zip\":\"10001\",\"state\":\"NY\"}";

	form_make(&mf, "Slow form", "--rate", "3", NULL);
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	post_json(c, mf.path, big, NULL);
	H_ASSERT_STATUS(c, 413);
	free(big);
	for (i = 0; i < 3; i++) {
		post_json(c, mf.path, lead, NULL);
		H_ASSERT_STATUS(c, 201);
	}
	post_json(c, mf.path, lead, NULL);
	H_ASSERT_STATUS(c, 429);
	assert_non_null(client_header(c, "Retry-After"));
	assert_true(strtol(client_header(c, "Retry-After"), NULL, 10) >= 1);
	client_free(c);
}

/* ---- the staff UI ---- */

static void test_staff_forms_ui(void **state)
{
	(void)state;
	struct client *staff = client_new(srv);
	struct client *c = client_new(srv);
	struct client *vol = client_new(srv);
	char csrf[128], path[128], form_page[64];
	const char *p, *end;
	static const char lead[] = "{\"Vorname\":\"Lena\",\"Nachname\":\"Vogt\","
		"\"email\":\"lena.vogt@example.org\",\"zip\":\"97205\",\"state\":\"OR\"}";

	assert_int_equal(client_login(vol, H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS), 303);
	client_get(vol, "/staff/forms");
	H_ASSERT_STATUS(vol, 403);
	client_free(vol);

	assert_int_equal(client_login(staff, H_STAFF_EMAIL, H_STAFF_PASS), 303);
	client_get(staff, "/staff/forms");
	H_ASSERT_STATUS(staff, 200);
	assert_int_equal(csrf_from(client_body(staff), csrf, sizeof(csrf)), 0);
	/* a bad mapping: 422, typed text kept */
	client_post_form(staff, "/staff/forms", "csrf", csrf, "creating", "1", "name", "UI form",
	                 "mapping", "Vorname = favourite_colour", "auth", "key", NULL);
	H_ASSERT_STATUS(staff, 422);
	assert_non_null(strstr(client_body(staff), "Vorname &#61; favourite_colour"));
	client_post_form(staff, "/staff/forms", "csrf", csrf, "creating", "1", "name", "UI form",
	                 "owner", "Partner UI", "mapping", "Vorname = first_name\nNachname = last_name",
	                 "tags", "ui, test", "rate_per_minute", "100", "auth", "key", NULL);
	H_ASSERT_STATUS(staff, 201);
	p = strstr(client_body(staff), "/intake/");
	assert_non_null(p);
	end = p + 8;
	while ((*end >= '0' && *end <= '9') || (*end >= 'a' && *end <= 'f'))
		end++;
	assert_int_equal(end - p, 8 + 64);
	snprintf(path, sizeof(path), "%.*s", (int)(end - p), p);
	post_json(c, path, lead, NULL);
	H_ASSERT_STATUS(c, 201);
	assert_true(harness_person_by_email(srv, "lena.vogt@example.org") > 0);
	/* audited as done by the staff member (the CLI's forms have no user) */
	assert_int_equal(count_where("SELECT COUNT(*) FROM audit_log WHERE action = ?1"
	                             " AND user_id IS NOT NULL", "intake_form.create"), 1);

	/* the form's page shows the lead; deactivating refuses posts */
	p = strstr(client_body(staff), "/staff/forms/");
	assert_non_null(p);
	snprintf(form_page, sizeof(form_page), "%.*s", (int)strcspn(p, "\""), p);
	client_get(staff, form_page);
	H_ASSERT_STATUS(staff, 200);
	assert_non_null(strstr(client_body(staff), "Lena"));
	client_post_form(staff, form_page, "csrf", csrf, "name", "UI form", "owner", "Partner UI",
	                 "mapping", "Vorname = first_name\nNachname = last_name", "tags", "ui",
	                 "rate_per_minute", "100", "auth", "key", NULL);
	H_ASSERT_STATUS(staff, 303);
	post_json(c, path, lead, NULL);
	H_ASSERT_STATUS(c, 401);
	client_free(c);
	client_free(staff);
}

/* ---- durability ---- */

static void test_kill9_mid_burst_keeps_acknowledged(void **state)
{
	(void)state;
	struct made_form mf;
	static char acked[8][4096][64];
	struct poster p[8];
	volatile int stop = 0;
	int i, j, total = 0, missing = 0;

	form_make(&mf, "Durability form", NULL);
	memset(p, 0, sizeof(p));
	for (i = 0; i < 8; i++) {
		p[i].path = mf.path;
		p[i].index = 200 + i;
		p[i].stop = &stop;
		p[i].acked_emails = acked[i];
		assert_int_equal(pthread_create(&p[i].thread, NULL, poster_run, &p[i]), 0);
	}
	usleep(700 * 1000);
	assert_int_equal(kill(srv->pid, SIGKILL), 0);
	stop = 1;
	for (i = 0; i < 8; i++) {
		pthread_join(p[i].thread, NULL);
		total += p[i].acked;
	}
	assert_true(total > 0);
	for (i = 0; i < 8; i++)
		for (j = 0; j < p[i].acked && j < 4096; j++)
			if (harness_person_by_email(srv, acked[i][j]) <= 0)
				missing++;
	if (missing)
		fprintf(stderr, "# %d of %d acknowledged leads missing\n", missing, total);
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_mapping_and_custom_fields),
		cmocka_unit_test(test_urlencoded_and_multipart),
		cmocka_unit_test(test_bad_key),
		cmocka_unit_test(test_hmac_and_header_secret),
		cmocka_unit_test(test_idempotent_retry),
		cmocka_unit_test(test_dedupe_variants_and_flag),
		cmocka_unit_test(test_concurrent_same_person),
		cmocka_unit_test(test_counts_match_recount_after_burst),
		cmocka_unit_test(test_export_has_no_duplicates),
		cmocka_unit_test(test_rejected_then_replayed),
		cmocka_unit_test(test_size_and_rate_limits),
		cmocka_unit_test(test_staff_forms_ui),
	};
	const struct CMUnitTest durability[] = {
		cmocka_unit_test_setup_teardown(test_kill9_mid_burst_keeps_acknowledged, setup, NULL),
	};
	int failed;

	failed = cmocka_run_group_tests_name("intake", tests, setup, teardown);
	failed += cmocka_run_group_tests_name("intake_durability", durability, NULL, NULL);
	/* the killed server's directory */
	if (srv)
		(void)harness_stop(srv);
	return failed;
}
