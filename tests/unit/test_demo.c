/*
 * test_demo.c — the demo dataset (src/domain/demo.c) through the real
 * signup path into a real SQLite database.
 *
 * Each load gets a fresh database file (and key file) in its own mkdtemp()
 * directory, removed afterwards. 300 planned signups make about 283 new
 * people, 15 repeats that dedupe merges and 2 email/phone conflicts that
 * raise duplicate flags; the same seed must give the same result.
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
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "domain/demo.h"
#include "domain/keys.h"
#include "domain/people.h"
#include "store/db.h"

struct demo_fx {
	char         dir[64];
	struct db   *db;
	struct keys *keys;
};

static void fx_open(struct demo_fx *f)
{
	char path[160], url[200], err[256];
	int applied = 0;

	memset(f, 0, sizeof *f);
	assert_true(snprintf(f->dir, sizeof f->dir, "/tmp/onramp-test-demo-XXXXXX") <
	            (int)sizeof f->dir);
	assert_non_null(mkdtemp(f->dir));
	assert_true(snprintf(url, sizeof url, "sqlite:%s/onramp.db", f->dir) < (int)sizeof url);
	err[0] = '\0';
	if (db_open(url, &f->db, err, sizeof err) != 0)
		fail_msg("db_open: %s", err);
	if (db_migrate(f->db, &applied, err, sizeof err) != 0)
		fail_msg("db_migrate: %s", err);
	assert_true(snprintf(path, sizeof path, "%s/onramp.key", f->dir) < (int)sizeof path);
	f->keys = keys_load(path, 1, err, sizeof err);
	if (f->keys == NULL)
		fail_msg("keys_load: %s", err);
}

static void fx_close(struct demo_fx *f)
{
	DIR *d;
	struct dirent *e;
	char p[512];

	db_close(f->db);
	keys_free(f->keys);
	d = opendir(f->dir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name) < (int)sizeof p)
				unlink(p);
		}
		closedir(d);
	}
	rmdir(f->dir);
}

struct demo_counts {
	long long people;
	size_t    flags;
	long long searched;
};

/* Loads n demo signups with seed into a fresh database and counts. */
static void load_and_count(int n, unsigned seed, struct demo_counts *out)
{
	struct demo_fx f;
	struct people_query q;
	json_t *counts = NULL, *rows = NULL;
	char err[256] = "";

	fx_open(&f);
	if (demo_load(f.db, f.keys, n, seed, err, sizeof err) != 0)
		fail_msg("demo_load: %s", err);
	assert_int_equal(people_counts(f.db, &counts), 0);
	out->people = json_integer_value(json_object_get(counts, "people"));
	json_decref(counts);
	assert_int_equal(people_flags_open(f.db, &rows), 0);
	out->flags = json_array_size(rows);
	json_decref(rows);
	/* The list sees the same people, and the demo's cities are real. */
	memset(&q, 0, sizeof q);
	q.state = "TX";
	q.page = 1;
	q.per_page = 10;
	rows = NULL;
	assert_int_equal(people_search(f.db, &q, &rows, &out->searched), 0);
	assert_true(json_array_size(rows) <= 10);
	json_decref(rows);
	fx_close(&f);
}

static void test_demo_load_300(void **state)
{
	struct demo_counts a, b;

	(void)state;
	load_and_count(300, 42, &a);
	assert_in_range(a.people, 250, 300);
	assert_true(a.people < 300);   /* repeats were merged, not added */
	assert_true(a.flags >= 1);
	assert_true(a.searched > 0 && a.searched < a.people);

	/* Deterministic: the same seed, the same outcome. */
	load_and_count(300, 42, &b);
	assert_int_equal(a.people, b.people);
	assert_int_equal(a.flags, b.flags);
	assert_int_equal(a.searched, b.searched);
}

static void test_demo_small_and_bad(void **state)
{
	struct demo_fx f;
	json_t *counts = NULL;
	char err[256] = "";

	(void)state;
	fx_open(&f);
	assert_int_equal(demo_load(f.db, f.keys, 0, 1, err, sizeof err), 0);
	assert_int_equal(demo_load(f.db, f.keys, -1, 1, err, sizeof err), -1);
	assert_true(err[0] != '\0');
	/* Few signups: all new people (no room for repeats). */
	assert_int_equal(demo_load(f.db, f.keys, 5, 7, err, sizeof err), 0);
	assert_int_equal(people_counts(f.db, &counts), 0);
	assert_int_equal(json_integer_value(json_object_get(counts, "people")), 5);
	json_decref(counts);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_load_300),
		cmocka_unit_test(test_demo_small_and_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
