/*
 * test_people_search.c — the staff people search's two ways of answering a
 * text search (store_people.c): sorting the FTS matches (few matches) and
 * walking the sort order's index while keeping the matches (more than
 * LIMIT_SEARCH_SORT_ROWS), plus one-letter terms and the state-and-name
 * index of migration 8.
 *
 * A database of 2,600 people — 2,500 named Maxwell (a text search for "ma"
 * walks an index) and 100 named Zed (a search for "zed" sorts) — whose
 * signup times (two people to each, so the id decides ties) and last
 * names are shuffled against their ids: a wrong order cannot pass by
 * accident. Every answer is checked against the same filters and order
 * computed here in C. No ANALYZE: the planner sees what it sees in
 * production.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "lib/limits.h"
#include "store/db.h"
#include "store/sql.h"
#include "store/store_people.h"
#include "store/store_search_queue.h"

#define NPEOPLE 2600
#define NMAX 2500          /* people 1..NMAX are Maxwell, the rest Zed */
#define T0 1600000000LL

_Static_assert(NMAX > LIMIT_SEARCH_SORT_ROWS, "the Maxwells must take the index walk");
_Static_assert(NPEOPLE - NMAX <= LIMIT_SEARCH_SORT_ROWS, "the Zeds must be sorted");

struct fixture {
	char       dir[64];
	char       path[128];
	struct db *db;
};

struct person {
	long long   id, created;
	char        last[8];
	const char *first, *state;
	int         judicial;
};

static struct person people[NPEOPLE + 1];

static void people_fill(void)
{
	static const char *const states[] = { "CA", "NY", "TX" };
	long long i;

	for (i = 1; i <= NPEOPLE; i++) {
		people[i].id = i;
		people[i].created = T0 + ((i * 7919) % (NPEOPLE / 2)) * 60;  /* pairs share a time */
		snprintf(people[i].last, sizeof(people[i].last), "L%04lld", (i * 37) % NPEOPLE);
		people[i].first = i <= NMAX ? "Maxwell" : "Zed";
		people[i].state = states[i % 3];
		people[i].judicial = i % 4 == 0;
	}
}

/* The same people through SQL: rows, one email each, each logged for the
 * search index (the first search indexes them as the writer's changes
 * are), and a judicial office interest for every fourth. */
static int load_run(struct db_conn *c, void *arg)
{
	static const char *const sql[] = {
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2600)"
		" INSERT INTO people (id, first_name, last_name, state, zip, created_at, updated_at)"
		" SELECT i, CASE WHEN i <= 2500 THEN 'Maxwell' ELSE 'Zed' END,"
		" 'L' || substr('000' || ((i * 37) % 2600), -4, 4),"
		" CASE i % 3 WHEN 0 THEN 'CA' WHEN 1 THEN 'NY' ELSE 'TX' END, '10001',"
		" 1600000000 + ((i * 7919) % 1300) * 60, 1600000000 FROM n",
		"INSERT INTO person_emails (email, person_id, created_at)"
		" SELECT 'p' || id || '@example.org', id, created_at FROM people",
		"INSERT INTO person_choices (person_id, field, code)"
		" SELECT id, 'office_interests', 'judicial' FROM people WHERE id % 4 = 0",
		"INSERT INTO people_fts_log (person_id) SELECT id FROM people",
	};
	struct db_stmt *s;
	size_t i;
	int rc;

	(void)arg;
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		s = db_prepare(c, sql[i]);
		if (s == NULL)
			return -1;
		rc = db_step(s);
		db_done(s);
		if (rc != DB_DONE)
			return -1;
	}
	return 0;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256];
	int applied = 0;

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/onramp-psearch-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "sqlite:%s/t.db", fx->dir);
	if (db_open(fx->path, &fx->db, err, sizeof(err)) < 0 ||
	    db_migrate(fx->db, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	people_fill();
	if (db_write(fx->db, load_run, NULL) < 0 || store_search_catch_up(fx->db) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char p[160];
	size_t i;

	db_close(fx->db);
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s/t.db%s", fx->dir, suffixes[i]);
		unlink(p);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* ---- the expected answer, computed here ---- */

static enum store_people_sort cmp_sort;

static int cmp_people(const void *pa, const void *pb)
{
	const struct person *a = *(const struct person *const *)pa;
	const struct person *b = *(const struct person *const *)pb;
	int c;

	switch (cmp_sort) {
	case STORE_PEOPLE_SORT_NEWEST:
		if (a->created != b->created)
			return a->created > b->created ? -1 : 1;
		return a->id > b->id ? -1 : a->id < b->id;
	case STORE_PEOPLE_SORT_OLDEST:
		if (a->created != b->created)
			return a->created < b->created ? -1 : 1;
		return a->id < b->id ? -1 : a->id > b->id;
	case STORE_PEOPLE_SORT_STATE:
		if ((c = strcmp(a->state, b->state)) != 0)
			return c;
		/* fall through */
	default:
		if ((c = strcmp(a->last, b->last)) != 0)
			return c;
		if ((c = strcmp(a->first, b->first)) != 0)
			return c;
		return a->id < b->id ? -1 : a->id > b->id;
	}
}

/* Who matches f, with first the first name matched by text's prefix. */
static int expect(const struct store_people_filter *f, const char *first,
                  const struct person **out)
{
	int i, n = 0;

	for (i = 1; i <= NPEOPLE; i++) {
		const struct person *p = &people[i];

		if (first && strcmp(p->first, first) != 0)
			continue;
		if (f->state && strcmp(p->state, f->state) != 0)
			continue;
		if (p->created < f->from || p->created >= f->to)
			continue;
		if (f->office && !p->judicial)
			continue;
		out[n++] = p;
	}
	cmp_sort = f->sort;
	qsort(out, (size_t)n, sizeof(out[0]), cmp_people);
	return n;
}

/* Runs f and checks its page and total against the computation above. */
static void check(struct fixture *fx, const struct store_people_filter *f, const char *first)
{
	static const struct person *want[NPEOPLE];
	struct db_conn *c = db_read_begin(fx->db);
	json_t *rows = NULL;
	long long total = -1, i, n;
	int rc;

	rc = store_people_search(c, f, &rows, &total);
	db_read_end(fx->db, c);
	assert_int_equal(rc, 0);
	n = expect(f, first, want);
	if (total != n)
		print_error("text %s state %s sort %d: total %lld, want %lld\n", f->text,
		            f->state ? f->state : "-", (int)f->sort, total, n);
	assert_int_equal(total, n);
	n = n - f->offset < f->limit ? n - f->offset : f->limit;
	if (n < 0)
		n = 0;
	assert_int_equal((long long)json_array_size(rows), n);
	for (i = 0; i < n; i++) {
		json_t *row = json_array_get(rows, (size_t)i);

		assert_int_equal(json_integer_value(json_object_get(row, "id")), want[f->offset + i]->id);
		assert_string_equal(json_string_value(json_object_get(row, "email")) + 1 +
		                    strspn(json_string_value(json_object_get(row, "email")) + 1,
		                           "0123456789"), "@example.org");
	}
	json_decref(rows);
}

static void filter_reset(struct store_people_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->from = LLONG_MIN;
	f->to = LLONG_MAX;
	f->limit = 50;
}

/* Both strategies, every order, with each other filter and a later page. */
static void test_walk_and_sort_agree(void **state)
{
	struct fixture *fx = *state;
	static const struct { const char *text, *first; } texts[] = {
		{ "ma", "Maxwell" }, { "MAXW", "Maxwell" }, { "zed", "Zed" }, { "ze", "Zed" },
	};
	struct store_people_filter f;
	size_t t;
	int sort, variant;

	for (t = 0; t < sizeof(texts) / sizeof(texts[0]); t++)
		for (sort = 0; sort < STORE_PEOPLE_SORT_COUNT; sort++)
			for (variant = 0; variant < 6; variant++) {
				filter_reset(&f);
				f.text = texts[t].text;
				f.sort = (enum store_people_sort)sort;
				if (variant == 1)
					f.state = "CA";
				if (variant == 2) {
					f.state = "NY";
					f.from = T0 + 300 * 60;
					f.to = T0 + 950 * 60;
				}
				if (variant == 3) {
					f.from = T0 + 50 * 60;
					f.to = T0 + 1200 * 60;
				}
				if (variant == 4)
					f.office = "judicial";
				if (variant == 5)
					f.offset = 100;
				check(fx, &f, texts[t].first);
			}
}

/* The plans: many matches walk the order's index, few are sorted. */
static void assert_plan_has(struct fixture *fx, const struct store_people_filter *f,
                            const char *want)
{
	struct db_conn *c = db_read_begin(fx->db);
	json_t *plan = NULL, *step;
	char *all;
	size_t i;
	int found = 0;

	assert_int_equal(store_people_search_plan(c, f, &plan), 0);
	db_read_end(fx->db, c);
	json_array_foreach(plan, i, step)
		if (strstr(json_string_value(step), want))
			found = 1;
	if (!found) {
		all = json_dumps(plan, 0);
		print_error("plan lacks \"%s\": %s\n", want, all);
		free(all);
	}
	json_decref(plan);
	assert_true(found);
}

static void test_plans(void **state)
{
	struct fixture *fx = *state;
	struct store_people_filter f;

	filter_reset(&f);
	f.text = "ma";
	assert_plan_has(fx, &f, "SCAN p USING COVERING INDEX people_created");
	assert_plan_has(fx, &f, "LIST SUBQUERY");
	f.sort = STORE_PEOPLE_SORT_NAME;
	assert_plan_has(fx, &f, "people_name");
	f.state = "CA";
	assert_plan_has(fx, &f, "people_state_name (state=?)");
	filter_reset(&f);
	f.text = "zed";
	assert_plan_has(fx, &f, "VIRTUAL TABLE INDEX");
	/* migration 8: every person by state, and one state by name, in
	 * index order; a state's newest still on people_state */
	filter_reset(&f);
	f.sort = STORE_PEOPLE_SORT_STATE;
	assert_plan_has(fx, &f, "SCAN p USING COVERING INDEX people_state_name");
	f.state = "TX";
	f.sort = STORE_PEOPLE_SORT_NAME;
	assert_plan_has(fx, &f, "people_state_name (state=?)");
	f.sort = STORE_PEOPLE_SORT_NEWEST;
	assert_plan_has(fx, &f, "people_state (state=?)");
}

/* The state and name orders without text, on the new index. */
static void test_state_orders(void **state)
{
	struct fixture *fx = *state;
	struct store_people_filter f;
	int sort;

	for (sort = 0; sort < STORE_PEOPLE_SORT_COUNT; sort++) {
		filter_reset(&f);
		f.sort = (enum store_people_sort)sort;
		check(fx, &f, NULL);
		f.state = "NY";
		check(fx, &f, NULL);
		f.offset = 1000;
		check(fx, &f, NULL);
	}
}

/* A term whose last word is one letter is left out; none left, nobody. */
static void test_one_letter_terms(void **state)
{
	struct fixture *fx = *state;
	struct store_people_filter f;
	struct db_conn *c;
	json_t *rows = NULL;
	long long total = -1;
	static const char *const nothing[] = { "m", "z", " m  ", "\xc3\xa9", "o-m" };
	size_t i;

	for (i = 0; i < sizeof(nothing) / sizeof(nothing[0]); i++) {
		filter_reset(&f);
		f.text = nothing[i];
		c = db_read_begin(fx->db);
		assert_int_equal(store_people_search(c, &f, &rows, &total), 0);
		db_read_end(fx->db, c);
		assert_int_equal(total, 0);
		assert_int_equal(json_array_size(rows), 0);
		json_decref(rows);
	}
	filter_reset(&f);
	f.text = "zed m";       /* the same as "zed" */
	check(fx, &f, "Zed");
	f.text = "m. zed x";
	check(fx, &f, "Zed");
	f.text = "maxwell Z";
	f.sort = STORE_PEOPLE_SORT_NAME;
	check(fx, &f, "Maxwell");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_walk_and_sort_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_letter_terms, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
