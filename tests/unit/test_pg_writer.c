/*
 * test_pg_writer.c — deferred statements (db_step_deferred, the writer's
 * deferred SAVEPOINT) keep a write job's contract on each engine: a job's
 * deferred writes are committed with it; a deferred write that fails fails
 * its own job — through the job's next statement that waits for an answer,
 * or through the writer's end of the job when it was the last — with the
 * failure's class, undoes only that job, and never reaches another job of
 * the same group.
 *
 * The SQLite tests always run (there a deferred statement runs at once).
 * With ONRAMP_TEST_PG set (tests/run.sh's PostgreSQL pass) the same tests
 * run on a fresh PostgreSQL database, where the statements really travel in
 * libpq's pipeline mode; without it those tests are not registered.
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
#include <unistd.h>

#include <libpq-fe.h>

#include "store/db.h"
#include "store/sql.h"

struct fx {
	int        pg;
	char       dir[64];
	char       name[64];
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

static int job_exec(struct db_conn *c, void *arg)
{
	return db_exec(c, arg);
}

static void fx_open(struct fx *f)
{
	char err[256] = "";

	assert_int_equal(db_open(f->url, &f->db, err, sizeof(err)), 0);
	assert_int_equal(db_write(f->db, job_exec,
	                          (void *)"CREATE TABLE pipe_t (x INTEGER PRIMARY KEY)"), DB_OK);
}

static int fx_setup_sqlite(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/onramp-test-writer-XXXXXX");
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
	snprintf(f->name, sizeof(f->name), "onramp_writer_%ld_%u", (long)getpid(), ++serial);
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

/* A job: inserts xs[0..n) deferred, then (if count) counts the rows with a
 * statement that waits. Returns the count (or 0), or the first failure. */
struct inserts {
	const int *xs;
	int        n;
	int        count;
};

static int job_inserts(struct db_conn *c, void *arg)
{
	struct inserts *in = arg;
	struct db_stmt *s;
	int i, rc;

	for (i = 0; i < in->n; i++) {
		s = db_prepare(c, "INSERT INTO pipe_t (x) VALUES (?)");
		if (s == NULL)
			return DB_ERROR;
		db_bind_int(s, 1, in->xs[i]);
		rc = db_step_deferred(s);
		db_done(s);
		if (rc != DB_DONE)
			return rc < 0 ? rc : DB_ERROR;
	}
	if (!in->count)
		return 0;
	s = db_prepare(c, "SELECT COUNT(*) FROM pipe_t");
	if (s == NULL)
		return DB_ERROR;
	rc = db_step(s);
	if (rc == DB_ROW)
		rc = (int)db_col_int(s, 0);
	db_done(s);
	return rc;
}

static long long rows(struct fx *f)
{
	struct db_conn *c = db_read_begin(f->db);
	struct db_stmt *s = db_prepare(c, "SELECT COUNT(*) FROM pipe_t");
	long long n = -1;

	if (s && db_step(s) == DB_ROW)
		n = db_col_int(s, 0);
	db_done(s);
	db_read_end(f->db, c);
	return n;
}

static void test_deferred_writes_commit(void **state)
{
	struct fx *f = *state;
	static const int xs[] = { 1, 2, 3 };
	struct inserts in = { xs, 3, 1 };
	struct inserts last = { xs, 0, 0 };
	static const int ys[] = { 4 };

	/* the count that follows them sees them: same transaction, in order */
	assert_int_equal(db_write(f->db, job_inserts, &in), 3);
	assert_int_equal(rows(f), 3);
	/* a job whose last statement is deferred is still committed */
	last.xs = ys;
	last.n = 1;
	assert_int_equal(db_write(f->db, job_inserts, &last), 0);
	assert_int_equal(rows(f), 4);
}

static void test_deferred_failure_reported_by_next_statement(void **state)
{
	struct fx *f = *state;
	static const int xs[] = { 7, 8, 7, 9 };
	static const int ys[] = { 8 };
	struct inserts in = { xs, 4, 1 };
	struct inserts again = { ys, 1, 1 };

	assert_int_equal(db_write(f->db, job_inserts, &in), DB_CONSTRAINT);
	assert_int_equal(rows(f), 0);  /* the whole job undone, 8 included */
	/* the count was first prepared behind the failure (PostgreSQL: its
	 * Parse was aborted with it): it is prepared again and works */
	assert_int_equal(db_write(f->db, job_inserts, &again), 1);
}

static void test_deferred_failure_reported_at_job_end(void **state)
{
	struct fx *f = *state;
	static const int xs[] = { 5, 5 };
	static const int ys[] = { 6 };
	struct inserts in = { xs, 2, 0 };
	struct inserts ok = { ys, 1, 1 };

	assert_int_equal(db_write(f->db, job_inserts, &in), DB_CONSTRAINT);
	assert_int_equal(rows(f), 0);
	/* the connection and the writer are fine afterwards */
	assert_int_equal(db_write(f->db, job_inserts, &ok), 1);
	assert_int_equal(rows(f), 1);
}

/* ---- one failing job among concurrent ones (one group) --------------- */

#define GROUP_JOBS 16

struct worker {
	struct fx     *f;
	int            xs[2];
	struct inserts in;
	int            rc;
	pthread_t      t;
};

static void *worker_main(void *p)
{
	struct worker *w = p;

	w->rc = db_write(w->f->db, job_inserts, &w->in);
	return NULL;
}

static void test_deferred_failure_stays_in_its_job(void **state)
{
	struct fx *f = *state;
	struct worker w[GROUP_JOBS];
	int i, failed = 0;

	for (i = 0; i < GROUP_JOBS; i++) {
		w[i].f = f;
		w[i].xs[0] = 100 + i;
		/* job 5 inserts its own value twice: only it may fail */
		w[i].xs[1] = i == 5 ? 100 + i : 200 + i;
		w[i].in.xs = w[i].xs;
		w[i].in.n = 2;
		w[i].in.count = i % 2;
		assert_int_equal(pthread_create(&w[i].t, NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < GROUP_JOBS; i++) {
		pthread_join(w[i].t, NULL);
		if (i == 5) {
			assert_int_equal(w[i].rc, DB_CONSTRAINT);
			failed++;
		} else {
			assert_true(w[i].rc >= 0);
		}
	}
	assert_int_equal(failed, 1);
	assert_int_equal(rows(f), 2 * (GROUP_JOBS - 1));
}

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = {
		cmocka_unit_test_setup_teardown(test_deferred_writes_commit, fx_setup_sqlite,
		                                fx_teardown),
		cmocka_unit_test_setup_teardown(test_deferred_failure_reported_by_next_statement,
		                                fx_setup_sqlite, fx_teardown),
		cmocka_unit_test_setup_teardown(test_deferred_failure_reported_at_job_end,
		                                fx_setup_sqlite, fx_teardown),
		cmocka_unit_test_setup_teardown(test_deferred_failure_stays_in_its_job,
		                                fx_setup_sqlite, fx_teardown),
	};
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test_setup_teardown(test_deferred_writes_commit, fx_setup_pg, fx_teardown),
		cmocka_unit_test_setup_teardown(test_deferred_failure_reported_by_next_statement,
		                                fx_setup_pg, fx_teardown),
		cmocka_unit_test_setup_teardown(test_deferred_failure_reported_at_job_end,
		                                fx_setup_pg, fx_teardown),
		cmocka_unit_test_setup_teardown(test_deferred_failure_stays_in_its_job,
		                                fx_setup_pg, fx_teardown),
	};
	int rc = cmocka_run_group_tests_name("writer, sqlite", sqlite_tests, NULL, NULL);

	if (getenv("ONRAMP_TEST_PG") && *getenv("ONRAMP_TEST_PG"))
		rc |= cmocka_run_group_tests_name("writer, postgres", pg_tests, NULL, NULL);
	return rc;
}
