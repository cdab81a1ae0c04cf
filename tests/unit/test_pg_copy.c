/*
 * test_pg_copy.c — what copy-data relies on, on each engine: the table list
 * of src/store/schema_tables.c covers a freshly migrated schema exactly (and
 * the check catches a table or a column it does not cover), the emptiness
 * check, and the writer's engine-dependent group cap.
 *
 * The SQLite tests always run. With ONRAMP_TEST_PG set (tests/run.sh's
 * PostgreSQL pass) the same checks run on a fresh PostgreSQL database too,
 * created here through libpq and dropped afterwards; without it those tests
 * are not registered (nothing is reported as skipped-but-passed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "lib/limits.h"
#include "store/db.h"
#include "store/sql.h"
#include "store/store_copy.h"

/* ---- fixtures: a migrated database on either engine ------------------ */

struct fx {
	int        pg;
	char       dir[64];      /* SQLite: its directory */
	char       name[64];     /* PostgreSQL: the database's name */
	char       url[512];
	struct db *db;
};

static int pg_admin(const char *sql)
{
	char url[512];
	PGconn *pg;
	PGresult *res;
	int ok;

	if (snprintf(url, sizeof(url), "%s/postgres", getenv("ONRAMP_TEST_PG")) >= (int)sizeof(url))
		return -1;
	pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK) {
		print_message("# cannot connect to %s: %s", url, PQerrorMessage(pg));
		PQfinish(pg);
		return -1;
	}
	res = PQexec(pg, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		print_message("# %s: %s", sql, PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	return ok ? 0 : -1;
}

static void fx_open(struct fx *f)
{
	char err[256] = "";
	int applied = 0;

	assert_int_equal(db_open(f->url, &f->db, err, sizeof(err)), 0);
	if (db_migrate(f->db, &applied, err, sizeof(err)) != 0)
		print_message("# migrate: %s\n", err);
	assert_true(applied > 0);
}

static int fx_setup_sqlite(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/onramp-test-copy-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->url, sizeof(f->url), "sqlite:%s/onramp.db", f->dir);
	fx_open(f);
	*state = f;
	return 0;
}

static int fx_setup_pg(void **state)
{
	static unsigned serial;
	struct fx *f = calloc(1, sizeof(*f));
	char sql[128];

	assert_non_null(f);
	f->pg = 1;
	snprintf(f->name, sizeof(f->name), "onramp_copy_%ld_%u", (long)getpid(), ++serial);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", f->name);
	assert_int_equal(pg_admin(sql), 0);
	snprintf(f->url, sizeof(f->url), "%s/%s", getenv("ONRAMP_TEST_PG"), f->name);
	fx_open(f);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char p[256], sql[128];
	DIR *d;
	struct dirent *e;

	db_close(f->db);
	if (f->pg) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->name);
		(void)pg_admin(sql);
	} else if ((d = opendir(f->dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			if (snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name) < (int)sizeof(p))
				unlink(p);
		}
		closedir(d);
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

static int job_exec(struct db_conn *c, void *arg)
{
	return db_exec(c, arg);
}

/* ---- the table list against the schema ------------------------------- */

static void test_schema_is_covered(void **state)
{
	struct fx *f = *state;
	char err[512] = "";

	if (store_copy_check_schema(f->db, err, sizeof(err)) != 0)
		print_message("# %s\n", err);
	assert_int_equal(store_copy_check_schema(f->db, err, sizeof(err)), 0);
}

static void test_uncovered_table_fails(void **state)
{
	struct fx *f = *state;
	char err[512] = "";

	assert_int_equal(db_write(f->db, job_exec,
	                          (void *)"CREATE TABLE extra_things (id INTEGER PRIMARY KEY, v TEXT)"),
	                 DB_OK);
	assert_int_equal(store_copy_check_schema(f->db, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "extra_things"));
	assert_non_null(strstr(err, "not in the copy list"));
}

static void test_uncovered_column_fails(void **state)
{
	struct fx *f = *state;
	char err[512] = "";

	assert_int_equal(db_write(f->db, job_exec, (void *)"ALTER TABLE notes ADD COLUMN mood TEXT"),
	                 DB_OK);
	assert_int_equal(store_copy_check_schema(f->db, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "notes.mood"));
}

static void test_missing_table_fails(void **state)
{
	struct fx *f = *state;
	char err[512] = "";

	assert_int_equal(db_write(f->db, job_exec, (void *)"DROP TABLE race_deadline_tasks"), DB_OK);
	assert_int_equal(store_copy_check_schema(f->db, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "race_deadline_tasks"));
}

static void test_empty_check(void **state)
{
	struct fx *f = *state;
	char err[512] = "";

	/* the rows the migrations seed (stages, templates, counters) are not data */
	assert_int_equal(store_copy_check_empty(f->db, err, sizeof(err)), 0);
	assert_int_equal(db_write(f->db, job_exec,
	                          (void *)"INSERT INTO tags (id, name, created_at) VALUES (7, 'x', 1)"),
	                 DB_OK);
	assert_int_equal(store_copy_check_empty(f->db, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "tags"));
}

/* ---- the writer's group cap ------------------------------------------ */

static void test_group_cap_by_engine(void **state)
{
	(void)state;
	assert_int_equal(db_writer_group_max(DB_DIALECT_SQLITE), LIMIT_DB_GROUP_MAX);
	assert_int_equal(db_writer_group_max(DB_DIALECT_POSTGRES), LIMIT_DB_GROUP_MAX_PG);
	assert_true(LIMIT_DB_GROUP_MAX_PG <= 64);
}

struct gate {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	int             entered, open;
};

static int job_gate(struct db_conn *c, void *arg)
{
	struct gate *g = arg;

	(void)c;
	pthread_mutex_lock(&g->mu);
	g->entered = 1;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	return 0;
}

#define CAP_JOBS 150

struct cap_call {
	struct db *db;
	long long  id;
	int        result;
	pthread_t  t;
};

static int job_insert_cap(struct db_conn *c, void *arg)
{
	struct cap_call *k = arg;
	struct db_stmt *s = db_prepare(c, "INSERT INTO cap_rows (id) VALUES (?)");
	int rc;

	if (!s)
		return DB_ERROR;
	rc = db_bind_int(s, 1, k->id);
	if (rc == DB_OK)
		rc = db_step(s);
	db_done(s);
	return rc == DB_DONE ? 0 : DB_ERROR;
}

static void *cap_main(void *p)
{
	struct cap_call *k = p;

	k->result = db_write(k->db, job_insert_cap, k);
	return NULL;
}

static void *gate_main(void *p)
{
	void **a = p;

	(void)db_write(a[0], job_gate, a[1]);
	return NULL;
}

/* Holds the writer in a gate job while CAP_JOBS writing jobs queue, then
 * lets them through: the writer splits them into groups of at most the
 * engine's cap, each job in its own savepoint. */
static void test_group_cap_observed(void **state)
{
	struct fx *f = *state;
	struct cap_call *calls = calloc(CAP_JOBS, sizeof(*calls));
	struct db_stats before, after;
	struct gate g;
	pthread_t gt;
	void *ga[2];
	size_t cap = db_writer_group_max(f->pg ? DB_DIALECT_POSTGRES : DB_DIALECT_SQLITE);
	int i, k, waited = 0;
	unsigned long long over = 0;

	assert_non_null(calls);
	assert_int_equal(db_write(f->db, job_exec,
	                          (void *)"CREATE TABLE cap_rows (id BIGINT PRIMARY KEY)"), DB_OK);
	memset(&g, 0, sizeof(g));
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.cv, NULL);
	ga[0] = f->db;
	ga[1] = &g;
	assert_int_equal(pthread_create(&gt, NULL, gate_main, ga), 0);
	pthread_mutex_lock(&g.mu);
	while (!g.entered)
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);

	db_stats(f->db, &before);
	for (i = 0; i < CAP_JOBS; i++) {
		calls[i].db = f->db;
		calls[i].id = i + 1;
		assert_int_equal(pthread_create(&calls[i].t, NULL, cap_main, &calls[i]), 0);
	}
	for (;;) {
		struct db_stats now;
		struct timespec ms = { 0, 1000000 };

		db_stats(f->db, &now);
		if (now.queued >= CAP_JOBS)
			break;
		assert_true(++waited < 30000);
		nanosleep(&ms, NULL);
	}
	pthread_mutex_lock(&g.mu);
	g.open = 1;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	assert_int_equal(pthread_join(gt, NULL), 0);
	for (i = 0; i < CAP_JOBS; i++) {
		assert_int_equal(pthread_join(calls[i].t, NULL), 0);
		assert_int_equal(calls[i].result, 0);
	}
	db_stats(f->db, &after);
	/* buckets above the cap's (bucket k holds batches of 2^(k-1)+1 .. 2^k) */
	for (k = 0; k < DB_BATCH_BUCKETS; k++)
		if (((size_t)1 << k) > cap && (k == 0 || ((size_t)1 << (k - 1)) >= cap))
			over += after.batches[k] - before.batches[k];
	print_message("# %s: %d queued writes ran in %llu groups (cap %zu)\n",
	              f->pg ? "postgres" : "sqlite", CAP_JOBS, after.groups - before.groups, cap);
	assert_int_equal(over, 0);
	if (cap < CAP_JOBS) {
		/* PostgreSQL: ceil(150 / 64) = 3 groups after the gate's own */
		assert_true(after.groups - before.groups >= (CAP_JOBS + cap - 1) / cap);
	} else {
		/* SQLite: the whole queue in one group (plus the gate's) */
		assert_true(after.groups - before.groups <= 2);
	}
	pthread_cond_destroy(&g.cv);
	pthread_mutex_destroy(&g.mu);
	free(calls);
}

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = {
		cmocka_unit_test(test_group_cap_by_engine),
		cmocka_unit_test_setup_teardown(test_schema_is_covered, fx_setup_sqlite, fx_teardown),
		cmocka_unit_test_setup_teardown(test_uncovered_table_fails, fx_setup_sqlite, fx_teardown),
		cmocka_unit_test_setup_teardown(test_uncovered_column_fails, fx_setup_sqlite, fx_teardown),
		cmocka_unit_test_setup_teardown(test_missing_table_fails, fx_setup_sqlite, fx_teardown),
		cmocka_unit_test_setup_teardown(test_empty_check, fx_setup_sqlite, fx_teardown),
		cmocka_unit_test_setup_teardown(test_group_cap_observed, fx_setup_sqlite, fx_teardown),
	};
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test_setup_teardown(test_schema_is_covered, fx_setup_pg, fx_teardown),
		cmocka_unit_test_setup_teardown(test_uncovered_table_fails, fx_setup_pg, fx_teardown),
		cmocka_unit_test_setup_teardown(test_uncovered_column_fails, fx_setup_pg, fx_teardown),
		cmocka_unit_test_setup_teardown(test_missing_table_fails, fx_setup_pg, fx_teardown),
		cmocka_unit_test_setup_teardown(test_empty_check, fx_setup_pg, fx_teardown),
		cmocka_unit_test_setup_teardown(test_group_cap_observed, fx_setup_pg, fx_teardown),
	};
	const char *pg = getenv("ONRAMP_TEST_PG");

	if (pg && *pg)
		return cmocka_run_group_tests_name("postgres", pg_tests, NULL, NULL);
	return cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
}
