/*
 * test_copy.c — `onramp copy-data`: an SQLite installation moved to
 * PostgreSQL and served from there.
 *
 * Always (both passes of tests/run.sh): the command's usage errors, its
 * refusal of a source that is not migrated, and that a password in the
 * target URL is never printed. With ONRAMP_TEST_PG (the PostgreSQL pass):
 * `onramp demo --people 300` into a new SQLite file, copy-data into a new
 * PostgreSQL database, then `onramp serve` on the copy with the same key
 * file: the people are all there, the demo admin signs in with the password
 * the demo printed, staff search finds a copied person, their sealed
 * answers still open, a new signup gets a fresh id, and a second copy into
 * the now non-empty database is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

struct src {
	char dir[H_PATH_MAX];
	char path[H_PATH_MAX];       /* dir/onramp.db */
	char url[H_PATH_MAX + 8];    /* sqlite:PATH */
	char env_db[H_PATH_MAX + 16];
	char env_key[H_PATH_MAX + 24];
	char key[H_PATH_MAX];
};

/* snprintf that must fit */
#define FIT(out, ...) assert_true(snprintf((out), sizeof(out), __VA_ARGS__) < (int)sizeof(out))

static void src_init(struct src *s)
{
	const char *tmp = getenv("TMPDIR");

	FIT(s->dir, "%s/onramp-copy-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(s->dir));
	FIT(s->path, "%s/onramp.db", s->dir);
	FIT(s->url, "sqlite:%s", s->path);
	FIT(s->key, "%s/onramp.key", s->dir);
	FIT(s->env_db, "ONRAMP_DB=%s", s->url);
	FIT(s->env_key, "ONRAMP_KEY_FILE=%s", s->key);
}

static void src_free(struct src *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *e;
	char p[H_PATH_MAX * 2];

	if (d) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			if (snprintf(p, sizeof(p), "%s/%s", s->dir, e->d_name) < (int)sizeof(p))
				unlink(p);
		}
		closedir(d);
	}
	rmdir(s->dir);
}

/* Runs onramp with the source's settings. */
static int src_cli(struct src *s, struct cli_result *r, const char *const *argv)
{
	const char *env[] = { s->env_db, s->env_key, NULL };

	return harness_cli(NULL, env, NULL, r, argv);
}

/* ---- always ---- */

static void test_usage_errors(void **state)
{
	struct cli_result *r = calloc(1, sizeof(*r));
	struct src s;

	(void)state;
	assert_non_null(r);
	src_init(&s);
	const char *help[] = { "copy-data", "--help", NULL };
	assert_int_equal(harness_cli(NULL, NULL, NULL, r, help), 0);
	assert_non_null(strstr(r->out, "--from"));
	assert_non_null(strstr(r->out, "same key file"));

	const char *none[] = { "copy-data", NULL };
	assert_int_equal(harness_cli(NULL, NULL, NULL, r, none), 2);
	assert_non_null(strstr(r->err, "needs --from"));

	/* a missing source file is refused, not created empty */
	const char *missing[] = { "copy-data", "--from", s.url, "--to", "postgres://u@127.0.0.1:1/x",
	                          NULL };
	assert_int_equal(harness_cli(NULL, NULL, NULL, r, missing), 2);
	assert_non_null(strstr(r->err, "not an existing database file"));
	assert_int_equal(access(s.path, F_OK), -1);

	const char *wrong_from[] = { "copy-data", "--from", "postgres://u@h/x", "--to",
	                             "postgres://u@h/y", NULL };
	assert_int_equal(harness_cli(NULL, NULL, NULL, r, wrong_from), 2);
	assert_non_null(strstr(r->err, "--from must be sqlite:FILE"));

	const char *wrong_to[] = { "copy-data", "--from", s.url, "--to", "sqlite:/tmp/x.db", NULL };
	assert_int_equal(harness_cli(NULL, NULL, NULL, r, wrong_to), 2);
	assert_non_null(strstr(r->err, "--to must be postgres://"));
	src_free(&s);
	free(r);
}

static void test_unmigrated_source_refused(void **state)
{
	struct cli_result *r = calloc(1, sizeof(*r));
	struct src s;
	FILE *f;

	(void)state;
	assert_non_null(r);
	src_init(&s);
	f = fopen(s.path, "w");  /* an empty file: a valid, empty SQLite database */
	assert_non_null(f);
	fclose(f);
	const char *argv[] = { "copy-data", "--from", s.url, "--to", "postgres://u@127.0.0.1:1/x",
	                       NULL };
	assert_int_equal(harness_cli(NULL, NULL, NULL, r, argv), 1);
	assert_non_null(strstr(r->err, "run `onramp migrate` on it first"));
	src_free(&s);
	free(r);
}

static void test_password_never_printed(void **state)
{
	struct cli_result *r = calloc(1, sizeof(*r));
	struct src s;

	(void)state;
	assert_non_null(r);
	src_init(&s);
	const char *migrate[] = { "migrate", NULL };
	assert_int_equal(src_cli(&s, r, migrate), 0);
	/* nothing listens on port 1: the connection fails and is reported */
	const char *argv[] = { "copy-data", "--from", s.url, "--to",
	                       "postgres://onramp:Sup3rSecretPw@127.0.0.1:1/x?password=Other5ecret",
	                       NULL };
	assert_int_equal(harness_cli(NULL, NULL, NULL, r, argv), 1);
	assert_non_null(strstr(r->err, "postgres://onramp:***@127.0.0.1:1/x?password=***"));
	assert_null(strstr(r->err, "Sup3rSecretPw"));
	assert_null(strstr(r->out, "Sup3rSecretPw"));
	assert_null(strstr(r->err, "Other5ecret"));
	assert_null(strstr(r->out, "Other5ecret"));

	/* the same for serve and migrate, which print ONRAMP_DB on failure */
	const char *env[] = { "ONRAMP_DB=postgres://onramp:Sup3rSecretPw@127.0.0.1:1/x", s.env_key,
	                      NULL };
	const char *mig[] = { "migrate", NULL };
	assert_int_equal(harness_cli(NULL, env, NULL, r, mig), 1);
	assert_non_null(strstr(r->err, "onramp:***@"));
	assert_null(strstr(r->err, "Sup3rSecretPw"));
	const char *serve[] = { "serve", "--listen", "127.0.0.1:0", NULL };
	assert_int_equal(harness_cli(NULL, env, NULL, r, serve), 1);
	assert_non_null(strstr(r->err, "onramp:***@"));
	assert_null(strstr(r->err, "Sup3rSecretPw"));
	assert_null(strstr(r->out, "Sup3rSecretPw"));
	src_free(&s);
	free(r);
}

/* ---- PostgreSQL ---- */

/* Copies the value after "Password:" in the demo's output into out. */
static int demo_password(const char *out_text, char *out, size_t outlen)
{
	const char *p = strstr(out_text, "Password:");
	size_t n;

	if (!p)
		return -1;
	p += strlen("Password:");
	while (*p == ' ')
		p++;
	n = strcspn(p, " \n");
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static void test_copy_and_serve(void **state)
{
	struct cli_result *r = calloc(1, sizeof(*r));
	struct server *srv, node;
	struct harness_opts opts;
	struct client *c;
	struct form f;
	struct src s;
	char name[64], url[H_PATH_MAX], password[64], last[128], path[96], idtxt[32];
	long long people, max_id, sealed_id, audit, flags, choices;
	buf q;

	(void)state;
	assert_non_null(r);
	src_init(&s);
	const char *demo[] = { "demo", "--people", "300", NULL };
	assert_int_equal(src_cli(&s, r, demo), 0);
	assert_int_equal(demo_password(r->out, password, sizeof(password)), 0);
	people = harness_db_file_int(s.path, "SELECT count(*) FROM people", NULL);
	max_id = harness_db_file_int(s.path, "SELECT max(id) FROM people", NULL);
	sealed_id = harness_db_file_int(s.path,
		"SELECT max(id) FROM people WHERE demographics IS NOT NULL", NULL);
	audit = harness_db_file_int(s.path, "SELECT count(*) FROM audit_log", NULL);
	flags = harness_db_file_int(s.path, "SELECT count(*) FROM duplicate_flags", NULL);
	choices = harness_db_file_int(s.path, "SELECT count(*) FROM person_choices", NULL);
	assert_true(people > 200);
	assert_true(sealed_id > 0);
	assert_int_equal(harness_pg_create(name, sizeof(name), url, sizeof(url)), 0);

	const char *copy[] = { "copy-data", "--from", s.url, "--to", url, NULL };
	if (harness_cli(NULL, NULL, NULL, r, copy) != 0)
		fail_msg("copy-data exited %d: %s%s", r->status, r->out, r->err);
	assert_non_null(strstr(r->out, "every table's row count matches"));
	assert_non_null(strstr(r->out, "intake_counters"));

	/* serve the copy: the same key file; the accounts came with the data */
	memset(&node, 0, sizeof(node));
	FIT(node.pg_db, "%s", name);
	FIT(node.db_url, "%s", url);
	FIT(node.key_path, "%s", s.key);
	memset(&opts, 0, sizeof(opts));
	opts.same_db = &node;
	srv = harness_start(&opts);
	assert_non_null(srv);
	assert_int_equal(harness_count_people(srv), people);
	assert_int_equal(harness_db_int(srv, "SELECT max(id) FROM people", NULL), max_id);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM audit_log", NULL), audit);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM duplicate_flags", NULL), flags);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM person_choices", NULL), choices);
	assert_int_equal(harness_db_int(srv, "SELECT value FROM intake_counters"
	                                     " WHERE name = 'people' AND bucket = ''", NULL), people);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM people_search", NULL), people);

	/* the demo admin signs in with the password the demo printed */
	c = client_new(srv);
	assert_int_equal(client_login(c, "admin@example.org", password), 303);

	/* staff search finds a copied person by name (rebuilt search rows) */
	FIT(idtxt, "%lld", max_id);
	assert_int_equal(harness_db_text(srv, "SELECT last_name FROM people WHERE id = CAST(?1 AS BIGINT)",
	                                 idtxt, last, sizeof(last)), 0);
	assert_true(harness_db_file_int(s.path, "SELECT count(*) FROM people WHERE id = ?1 AND"
	                                " last_name = (SELECT last_name FROM people WHERE id = ?1)",
	                                idtxt) == 1);
	form_init(&f);
	form_add(&f, "q", last);
	buf_init(&q, 4096);
	buf_adds(&q, "/staff/people?");
	form_encode(&f, &q);
	form_free(&f);
	assert_int_equal(client_get(c, buf_str(&q)), 200);
	buf_free(&q);
	FIT(path, "/staff/people/%lld\"", max_id);
	if (strstr(client_body(c), path) == NULL)
		fail_msg("searching \"%s\" does not find person %lld on the copy", last, max_id);

	/* sealed answers open with the same key */
	FIT(path, "/staff/people/%lld", sealed_id);
	assert_int_equal(client_get(c, path), 200);
	assert_non_null(strstr(client_body(c), "id=\"h-demo\""));
	client_free(c);

	/* a new signup gets a fresh id past the copied ones */
	c = client_new(srv);
	assert_non_null(client_csrf(c));
	char token[256];
	assert_int_equal(csrf_from(client_body(c), token, sizeof(token)), 0);
	long st = client_post_form(c, "/signup", "csrf", token, "first_name", "Copy",
	                           "last_name", "Afterwards", "email", "copy.afterwards@example.org",
	                           "state", "OR", "zip", "97204", "website", "", (char *)NULL);
	if (st != 303)
		fail_msg("signup on the copy answered %ld: %.400s", st, client_body(c));
	client_free(c);
	assert_int_equal(harness_count_people(srv), people + 1);
	assert_true(harness_person_by_email(srv, "copy.afterwards@example.org") > max_id);

	/* a second copy into the now non-empty database is refused */
	assert_int_equal(harness_cli(NULL, NULL, NULL, r, copy), 1);
	assert_non_null(strstr(r->err, "already holds data"));
	assert_int_equal(harness_count_people(srv), people + 1);

	assert_int_equal(harness_stop(srv), 0);
	assert_int_equal(harness_pg_drop(name), 0);
	src_free(&s);
	free(r);
}

int main(void)
{
	const struct CMUnitTest always[] = {
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_unmigrated_source_refused),
		cmocka_unit_test(test_password_never_printed),
	};
	const struct CMUnitTest with_pg[] = {
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_unmigrated_source_refused),
		cmocka_unit_test(test_password_never_printed),
		cmocka_unit_test(test_copy_and_serve),
	};

	if (harness_pg() != NULL)
		return cmocka_run_group_tests_name("copy-data (postgres)", with_pg, NULL, NULL);
	return cmocka_run_group_tests_name("copy-data", always, NULL, NULL);
}
