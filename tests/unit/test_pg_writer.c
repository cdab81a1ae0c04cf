/*
 * test_pg_writer.c — deferred statements (db_step_deferred, the writer's
 * deferred SAVEPOINT) keep a write job's contract on each engine: a job's
 * deferred writes are committed with it; a deferred write that fails fails
 * its own job — through the job's next statement that waits for an answer,
 * or through the writer's end of the job when it was the last — with the
 * failure's class, undoes only that job, and never reaches another job of
 * the same group.
 *
 * And a job that answers DB_RETRY (another transaction got in the way) is
 * undone and run again: at once when it is the first job of its
 * transaction; when jobs before it share the transaction, only after they
 * are committed (a rerun beside the locks they hold could meet the same
 * wait every time); and after LIMIT_DB_JOB_RETRIES reruns its caller hears
 * DB_RETRY, the other jobs of the group untouched.
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
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "lib/limits.h"
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

/* ---- DB_RETRY: a job another transaction got in the way of ---------- */

/* A job that holds the writer until the test opens the gate, so the jobs
 * queued meanwhile make its next group, in the order queued. */
struct gate {
	sem_t entered;
	sem_t open;
};

static int job_gate(struct db_conn *c, void *arg)
{
	struct gate *g = arg;

	(void)c;
	sem_post(&g->entered);
	while (sem_wait(&g->open) != 0)
		;
	return 0;
}

/* A job that inserts x, then answers DB_RETRY on its first `refuse` runs,
 * as when another transaction got in the way; on each run it first notes
 * how many rows a read connection sees committed. */
struct retrying {
	struct fx *f;
	int        x;
	int        refuse;
	int        runs;
	long long  seen[LIMIT_DB_JOB_RETRIES + 2];
	int        rc;      /* what the caller heard */
	sem_t      done;
};

static int job_retrying(struct db_conn *c, void *arg)
{
	struct retrying *r = arg;
	struct db_stmt *s;
	int rc;

	if (r->runs < (int)(sizeof(r->seen) / sizeof(r->seen[0])))
		r->seen[r->runs] = rows(r->f);
	r->runs++;
	s = db_prepare(c, "INSERT INTO pipe_t (x) VALUES (?)");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, r->x);
	rc = db_step(s);
	db_done(s);
	if (rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;
	return r->runs <= r->refuse ? DB_RETRY : 0;
}

static void retrying_done(void *arg, int result)
{
	struct retrying *r = arg;

	r->rc = result;
	sem_post(&r->done);
}

/* Runs n jobs as one group of the writer (queued behind a gate job): job i
 * inserts i + 1 and answers DB_RETRY on its first refuse[i] runs. Waits
 * for all of them, and returns how many transactions and reruns the
 * writer counted meanwhile (the gate's own transaction included). */
static void run_one_group(struct fx *f, struct retrying *jobs, const int *refuse, int n,
                          unsigned long long *groups, unsigned long long *retries)
{
	struct gate g;
	struct retrying gate_done;
	struct db_stats before, after;
	int i;

	memset(&gate_done, 0, sizeof(gate_done));
	assert_int_equal(sem_init(&g.entered, 0, 0), 0);
	assert_int_equal(sem_init(&g.open, 0, 0), 0);
	assert_int_equal(sem_init(&gate_done.done, 0, 0), 0);
	db_stats(f->db, &before);
	assert_int_equal(db_write_async(f->db, job_gate, &g, 0, retrying_done, &gate_done), 0);
	while (sem_wait(&g.entered) != 0)
		;
	memset(jobs, 0, (size_t)n * sizeof(*jobs));
	for (i = 0; i < n; i++) {
		jobs[i].f = f;
		jobs[i].x = i + 1;
		jobs[i].refuse = refuse[i];
		assert_int_equal(sem_init(&jobs[i].done, 0, 0), 0);
		assert_int_equal(db_write_async(f->db, job_retrying, &jobs[i], 0, retrying_done,
		                                &jobs[i]), 0);
	}
	sem_post(&g.open);
	while (sem_wait(&gate_done.done) != 0)
		;
	assert_int_equal(gate_done.rc, 0);
	for (i = 0; i < n; i++) {
		while (sem_wait(&jobs[i].done) != 0)
			;
		sem_destroy(&jobs[i].done);
	}
	db_stats(f->db, &after);
	*groups = after.groups - before.groups;
	*retries = after.retries - before.retries;
	sem_destroy(&g.entered);
	sem_destroy(&g.open);
	sem_destroy(&gate_done.done);
}

static void test_retry_first_job_runs_again_at_once(void **state)
{
	struct fx *f = *state;
	static const int refuse[] = { 1, 0 };
	struct retrying j[2];
	unsigned long long groups, retries;

	run_one_group(f, j, refuse, 2, &groups, &retries);
	assert_int_equal(j[0].rc, 0);
	assert_int_equal(j[1].rc, 0);
	/* undone and run again in the same transaction: its first insert did
	 * not stay (the second would have been refused by the key) */
	assert_int_equal(j[0].runs, 2);
	assert_int_equal(j[0].seen[1], 0);
	assert_int_equal(j[1].runs, 1);
	assert_int_equal(j[1].seen[0], 0);  /* after it, in the same transaction */
	assert_int_equal(retries, 1);
	assert_int_equal(groups, 2);        /* the gate's, then both jobs' */
	assert_int_equal(rows(f), 2);
}

static void test_retry_commits_the_jobs_before_it(void **state)
{
	struct fx *f = *state;
	static const int refuse[] = { 0, 1, 0 };
	struct retrying j[3];
	unsigned long long groups, retries;

	run_one_group(f, j, refuse, 3, &groups, &retries);
	assert_int_equal(j[0].rc, 0);
	assert_int_equal(j[1].rc, 0);
	assert_int_equal(j[2].rc, 0);
	/* its first run shared the transaction of job 0, not yet committed;
	 * its second run came after job 0's COMMIT, in a new transaction */
	assert_int_equal(j[1].runs, 2);
	assert_int_equal(j[1].seen[0], 0);
	assert_int_equal(j[1].seen[1], 1);
	/* job 2 ran once, beside it in that new transaction */
	assert_int_equal(j[2].runs, 1);
	assert_int_equal(j[2].seen[0], 1);
	assert_int_equal(retries, 1);
	assert_int_equal(groups, 3);        /* the gate's, job 0's, jobs 1 and 2's */
	assert_int_equal(rows(f), 3);
}

static void test_retry_gives_up_after_the_limit(void **state)
{
	struct fx *f = *state;
	static const int refuse[] = { 0, LIMIT_DB_JOB_RETRIES + 100, 0 };
	struct retrying j[3];
	unsigned long long groups, retries;

	run_one_group(f, j, refuse, 3, &groups, &retries);
	assert_int_equal(j[0].rc, 0);
	assert_int_equal(j[1].rc, DB_RETRY);
	assert_int_equal(j[2].rc, 0);
	/* one run beside job 0, then its own transaction: a first run and
	 * LIMIT_DB_JOB_RETRIES reruns there; none of its inserts stayed */
	assert_int_equal(j[1].runs, LIMIT_DB_JOB_RETRIES + 2);
	assert_int_equal(retries, LIMIT_DB_JOB_RETRIES + 1);
	assert_int_equal(groups, 3);
	assert_int_equal(rows(f), 2);
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
		cmocka_unit_test_setup_teardown(test_retry_first_job_runs_again_at_once,
		                                fx_setup_sqlite, fx_teardown),
		cmocka_unit_test_setup_teardown(test_retry_commits_the_jobs_before_it,
		                                fx_setup_sqlite, fx_teardown),
		cmocka_unit_test_setup_teardown(test_retry_gives_up_after_the_limit,
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
		cmocka_unit_test_setup_teardown(test_retry_first_job_runs_again_at_once,
		                                fx_setup_pg, fx_teardown),
		cmocka_unit_test_setup_teardown(test_retry_commits_the_jobs_before_it,
		                                fx_setup_pg, fx_teardown),
		cmocka_unit_test_setup_teardown(test_retry_gives_up_after_the_limit,
		                                fx_setup_pg, fx_teardown),
	};
	int rc = cmocka_run_group_tests_name("writer, sqlite", sqlite_tests, NULL, NULL);

	if (getenv("ONRAMP_TEST_PG") && *getenv("ONRAMP_TEST_PG"))
		rc |= cmocka_run_group_tests_name("writer, postgres", pg_tests, NULL, NULL);
	return rc;
}
