/*
 * test_db.c — the SQLite store engine: URLs, migrations, the group-commit
 * writer, the read pool, statements, backup, close, and disk-full handling.
 *
 * Every test works on a real SQLite file in its own mkdtemp() directory,
 * removed afterwards. Tests that need several jobs in one group hold the
 * writer inside a "gate" job, queue the jobs (watching db_stats().queued),
 * then open the gate: the writer then takes the queued jobs as one group.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/limits.h"
#include "store/db.h"
#include "store/sql.h"
#include "store/store_search_queue.h"

/* ---- fixtures ------------------------------------------------------- */

struct fx {
	char dir[64];
	char path[128];   /* the database file */
	char url[160];
	struct db *db;
};

static void fx_path(const struct fx *f, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", f->dir, name);

	assert_true(n > 0 && (size_t)n < outlen);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	int n;

	assert_non_null(f);
	n = snprintf(f->dir, sizeof(f->dir), "/tmp/onramp-test-db-XXXXXX");
	assert_true(n > 0 && (size_t)n < sizeof(f->dir));
	assert_non_null(mkdtemp(f->dir));
	fx_path(f, "onramp.db", f->path, sizeof(f->path));
	n = snprintf(f->url, sizeof(f->url), "sqlite:%s", f->path);
	assert_true(n > 0 && (size_t)n < sizeof(f->url));
	err[0] = '\0';
	assert_int_equal(db_open(f->url, &f->db, err, sizeof(err)), 0);
	assert_non_null(f->db);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	DIR *d;
	struct dirent *e;
	char p[512];

	db_close(f->db);
	d = opendir(f->dir);
	if (d) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name) < (int)sizeof(p))
				unlink(p);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- jobs and helpers ---------------------------------------------- */

static int job_exec(struct db_conn *c, void *arg)
{
	return db_exec(c, arg);
}

static const char sql_create_t[] = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)";
static const char sql_insert_t[] = "INSERT INTO t (id, v) VALUES (?, ?)";
static const char sql_count_t[] = "SELECT count(*) FROM t";
static const char sql_has_t[] = "SELECT v FROM t WHERE id = ?";

static void create_t(struct db *db)
{
	assert_int_equal(db_write(db, job_exec, (void *)sql_create_t), DB_OK);
}

static int insert_row(struct db_conn *c, long long id, const char *v)
{
	struct db_stmt *s = db_prepare(c, sql_insert_t);
	int rc;

	if (!s)
		return DB_ERROR;
	rc = db_bind_int(s, 1, id);
	if (rc == DB_OK)
		rc = db_bind_text(s, 2, v);
	if (rc == DB_OK)
		rc = db_step(s);
	db_done(s);
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
}

struct ins {
	long long id;
	int fail_after;  /* return -1 after inserting */
	int result;
	int runs;        /* how many times the writer ran it */
};

static int job_insert(struct db_conn *c, void *arg)
{
	struct ins *a = arg;
	int rc = insert_row(c, a->id, "row");

	a->runs++;
	if (rc < 0)
		return rc;
	return a->fail_after ? -1 : 0;
}

static long long count_rows(struct db *db, const char *sql)
{
	struct db_conn *c = db_read_begin(db);
	struct db_stmt *s;
	long long n = -1;

	assert_non_null(c);
	s = db_prepare(c, sql);
	assert_non_null(s);
	if (db_step(s) == DB_ROW)
		n = db_col_int(s, 0);
	db_done(s);
	db_read_end(db, c);
	return n;
}

static int row_exists(struct db *db, long long id)
{
	struct db_conn *c = db_read_begin(db);
	struct db_stmt *s = db_prepare(c, sql_has_t);
	int rc;

	assert_non_null(s);
	assert_int_equal(db_bind_int(s, 1, id), DB_OK);
	rc = db_step(s);
	db_done(s);
	db_read_end(db, c);
	assert_true(rc == DB_ROW || rc == DB_DONE);
	return rc == DB_ROW;
}

/* "ok" from PRAGMA integrity_check on conn c. */
static void assert_integrity(struct db_conn *c)
{
	struct db_stmt *s = db_prepare(c, "PRAGMA integrity_check");

	assert_non_null(s);
	assert_int_equal(db_step(s), DB_ROW);
	assert_string_equal(db_col_text(s, 0), "ok");
	db_done(s);
}

static void db_integrity_ok(struct db *db)
{
	struct db_conn *c = db_read_begin(db);

	assert_integrity(c);
	db_read_end(db, c);
}

static struct db_stats stats_of(struct db *db)
{
	struct db_stats st;

	db_stats(db, &st);
	return st;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Waits (up to 10 s) until n jobs are queued behind the writer. */
static void wait_queued(struct db *db, unsigned long long n)
{
	int i;

	for (i = 0; i < 10000; i++) {
		if (stats_of(db).queued == n)
			return;
		sleep_ms(1);
	}
	fail_msg("queue never reached %llu jobs", n);
}

/* A job that holds the writer until the test opens it. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int entered;
	int open;
};

static void gate_init(struct gate *g)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
}

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

static void gate_wait_entered(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	while (!g->entered)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* A thread that runs one db_write (db_write_rerunnable) and keeps its
 * result. */
struct writer_call {
	struct db *db;
	db_write_fn fn;
	void *arg;
	int rerunnable;
	int result;
	pthread_t t;
};

static void *writer_call_main(void *p)
{
	struct writer_call *w = p;

	w->result = w->rerunnable ? db_write_rerunnable(w->db, w->fn, w->arg)
	                          : db_write(w->db, w->fn, w->arg);
	return NULL;
}

static void writer_call_start_as(struct writer_call *w, struct db *db, db_write_fn fn, void *arg,
                                 int rerunnable)
{
	w->db = db;
	w->fn = fn;
	w->arg = arg;
	w->rerunnable = rerunnable;
	w->result = 12345;
	assert_int_equal(pthread_create(&w->t, NULL, writer_call_main, w), 0);
}

static void writer_call_start(struct writer_call *w, struct db *db, db_write_fn fn, void *arg)
{
	writer_call_start_as(w, db, fn, arg, 0);
}

static void writer_call_join(struct writer_call *w)
{
	assert_int_equal(pthread_join(w->t, NULL), 0);
}

/* ---- URLs ----------------------------------------------------------- */

static void test_url_check(void **state)
{
	char err[256];
	struct db *db = NULL;

	(void)state;
	err[0] = '\0';
	assert_int_equal(db_url_check("sqlite:/var/lib/onramp/onramp.db", err, sizeof(err)), 0);
	assert_int_equal(db_url_check("sqlite:onramp.db", err, sizeof(err)), 0);
	assert_int_equal(db_url_check("postgres://u@localhost/onramp", err, sizeof(err)), 0);
	assert_int_equal(db_url_check("postgresql://localhost/onramp", err, sizeof(err)), 0);

	err[0] = '\0';
	assert_int_equal(db_url_check("sqlite:", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "sqlite:PATH"));
	err[0] = '\0';
	assert_int_equal(db_url_check("sqlite::memory:", err, sizeof(err)), -1);
	assert_true(err[0] != '\0');

	err[0] = '\0';
	assert_int_equal(db_url_check("mysql://localhost/x", err, sizeof(err)), -1);
	assert_string_equal(err, "ONRAMP_DB must be sqlite:PATH or postgres://…");
	err[0] = '\0';
	assert_int_equal(db_url_check("", err, sizeof(err)), -1);
	assert_string_equal(err, "ONRAMP_DB must be sqlite:PATH or postgres://…");
	assert_int_equal(db_url_check(NULL, err, sizeof(err)), -1);
	assert_int_equal(db_url_check("SQLITE:/x", err, sizeof(err)), -1);

	/* a postgres URL nobody answers (port 1 on loopback) fails at open,
	 * with a reason and nothing half-open */
	err[0] = '\0';
	assert_int_equal(db_open("postgres://u@127.0.0.1:1/onramp?connect_timeout=2", &db, err,
	                         sizeof(err)), -1);
	assert_null(db);
	assert_string_equal(err, "cannot connect to the PostgreSQL database (see the log)");
	err[0] = '\0';
	assert_int_equal(db_open("nonsense", &db, err, sizeof(err)), -1);
	assert_null(db);
	assert_string_equal(err, "ONRAMP_DB must be sqlite:PATH or postgres://…");
	/* a directory that does not exist */
	err[0] = '\0';
	assert_int_equal(db_open("sqlite:/nonexistent-onramp-dir/x.db", &db, err, sizeof(err)), -1);
	assert_null(db);
	assert_non_null(strstr(err, "/nonexistent-onramp-dir/x.db"));
}

/* ---- open, migrate -------------------------------------------------- */

static void test_open_mode_and_pragmas(void **state)
{
	struct fx *f = *state;
	struct stat st;
	struct db_conn *c;
	struct db_stmt *s;
	char side[160];

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* SQLite's side files carry the same mode */
	create_t(f->db);
	assert_true(snprintf(side, sizeof(side), "%s-wal", f->path) < (int)sizeof(side));
	assert_int_equal(stat(side, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	c = db_read_begin(f->db);
	assert_int_equal(db_conn_dialect(c), DB_DIALECT_SQLITE);
	s = db_prepare(c, "PRAGMA journal_mode");
	assert_non_null(s);
	assert_int_equal(db_step(s), DB_ROW);
	assert_string_equal(db_col_text(s, 0), "wal");
	db_done(s);
	s = db_prepare(c, "PRAGMA foreign_keys");
	assert_int_equal(db_step(s), DB_ROW);
	assert_int_equal(db_col_int(s, 0), 1);
	db_done(s);
	s = db_prepare(c, "PRAGMA synchronous");
	assert_int_equal(db_step(s), DB_ROW);
	assert_int_equal(db_col_int(s, 0), 2);  /* FULL */
	db_done(s);
	s = db_prepare(c, "PRAGMA busy_timeout");
	assert_int_equal(db_step(s), DB_ROW);
	assert_int_equal(db_col_int(s, 0), LIMIT_DB_BUSY_TIMEOUT_MS);
	db_done(s);
	db_read_end(f->db, c);
}

static void test_migrate(void **state)
{
	static const char *const tables[] = {
		"users", "people", "person_emails", "person_phones", "person_choices",
		"submissions", "duplicate_flags", "notes", "sessions", "login_failures",
		"audit_log", "people_fts_log", "schema_migrations",
	};
	struct fx *f = *state;
	char err[256];
	int applied = -1;
	size_t i;
	struct db_conn *c;
	struct db_stmt *s;

	assert_int_equal(db_migrations_current(f->db), 0);
	err[0] = '\0';
	assert_int_equal(db_migrate(f->db, &applied, err, sizeof(err)), 0);
	assert_int_equal(applied, (int)migrations_count);
	assert_true(applied >= 1);
	assert_int_equal(db_migrations_current(f->db), 1);

	c = db_read_begin(f->db);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		s = db_prepare(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?");
		assert_non_null(s);
		assert_int_equal(db_bind_text(s, 1, tables[i]), DB_OK);
		assert_int_equal(db_step(s), DB_ROW);
		if (db_col_int(s, 0) != 1)
			fail_msg("table %s missing after migrate", tables[i]);
		db_done(s);
	}
	s = db_prepare(c, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
	assert_non_null(s);
	assert_int_equal(db_step(s), DB_ROW);
	assert_int_equal(db_col_int(s, 0), migrations[0].version);
	assert_string_equal(db_col_text(s, 1), migrations[0].name);
	assert_true(db_col_int(s, 2) >= db_now() - 60 && db_col_int(s, 2) <= db_now());
	db_done(s);
	/* migration 11: a signup's stage event (no from-stage) stays out of
	 * stage_events_from, and the funnel's median still walks it */
	s = db_prepare(c, "SELECT sql FROM sqlite_master WHERE name = 'stage_events_from'");
	assert_non_null(s);
	assert_int_equal(db_step(s), DB_ROW);
	assert_non_null(strstr(db_col_text(s, 0), "WHERE from_stage_id IS NOT NULL"));
	db_done(s);
	s = db_prepare(c, "EXPLAIN QUERY PLAN SELECT time_in_from FROM stage_events"
	                  " WHERE from_stage_id = 3 AND time_in_from IS NOT NULL"
	                  " ORDER BY time_in_from LIMIT 1");
	assert_non_null(s);
	assert_int_equal(db_step(s), DB_ROW);
	assert_non_null(strstr(db_col_text(s, 3), "USING COVERING INDEX stage_events_from"));
	db_done(s);
	assert_integrity(c);
	db_read_end(f->db, c);

	/* second run: nothing to do */
	applied = -1;
	assert_int_equal(db_migrate(f->db, &applied, err, sizeof(err)), 0);
	assert_int_equal(applied, 0);

	/* and after reopening */
	db_close(f->db);
	f->db = NULL;
	assert_int_equal(db_open(f->url, &f->db, err, sizeof(err)), 0);
	assert_int_equal(db_migrations_current(f->db), 1);
	applied = -1;
	assert_int_equal(db_migrate(f->db, &applied, err, sizeof(err)), 0);
	assert_int_equal(applied, 0);
}

static void test_migrate_refuses_newer_schema(void **state)
{
	struct fx *f = *state;
	char err[256];
	int applied = -1;

	assert_int_equal(db_migrate(f->db, &applied, err, sizeof(err)), 0);
	assert_int_equal(db_write(f->db, job_exec,
		(void *)"INSERT INTO schema_migrations (version, name, applied_at) VALUES (999999, 'future', 0)"),
		DB_OK);
	err[0] = '\0';
	assert_int_equal(db_migrate(f->db, &applied, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "newer"));
	/* every migration we know is still there */
	assert_int_equal(db_migrations_current(f->db), 1);
}

/* The search index lives beside the database (store_search_queue.c): the
 * writer logs changed people, the indexer indexes them into its own file,
 * and the staff search runs FTS5 queries on read connections, which refuse
 * writes (FTS5 must not need to write to answer). */
static void test_search_index_beside_database(void **state)
{
	struct fx *f = *state;
	char err[256];
	int applied = 0;
	long long n = -1;
	struct db_conn *c;
	struct db_stmt *s;

	assert_int_equal(db_migrate(f->db, &applied, err, sizeof(err)), 0);
	/* a new index file is built from every person (none yet) */
	assert_int_equal(store_search_catch_up(f->db), 0);
	assert_int_equal(db_write(f->db, job_exec, (void *)
		"INSERT INTO people (id, first_name, last_name, zip, created_at, updated_at) VALUES"
		" (1, 'Ada', 'Lovelace', '02139', 0, 0), (2, 'José', 'Núñez', '94110', 0, 0);"
		"INSERT INTO person_emails (email, person_id, created_at) VALUES"
		" ('ada@example.org', 1, 0), ('jose@example.org', 2, 0);"
		"INSERT INTO people_fts_log (person_id) VALUES (1), (2)"), DB_OK);
	assert_int_equal(store_search_queued(f->db, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_search_catch_up(f->db), 0);
	assert_int_equal(store_search_queued(f->db, &n), 0);
	assert_int_equal(n, 0);
	c = db_read_begin(f->db);
	s = db_prepare(c, "SELECT rowid FROM people_fts WHERE people_fts MATCH ? ORDER BY rank");
	assert_non_null(s);
	assert_int_equal(db_bind_text(s, 1, "lov*"), DB_OK);
	assert_int_equal(db_step(s), DB_ROW);
	assert_int_equal(db_col_int(s, 0), 1);
	assert_int_equal(db_step(s), DB_DONE);
	db_done(s);
	s = db_prepare(c, "SELECT rowid FROM people_fts WHERE people_fts MATCH ? ORDER BY rank");
	assert_int_equal(db_bind_text(s, 1, "nunez"), DB_OK);
	assert_int_equal(db_step(s), DB_ROW);
	assert_int_equal(db_col_int(s, 0), 2);
	db_done(s);
	/* the index is a file of its own, not in the database */
	s = db_prepare(c, "SELECT count(*) FROM main.sqlite_master WHERE name = 'people_fts'");
	assert_int_equal(db_step(s), DB_ROW);
	assert_int_equal(db_col_int(s, 0), 0);
	db_done(s);
	db_read_end(f->db, c);
	/* a removed person leaves the index once logged */
	assert_int_equal(db_write(f->db, job_exec, (void *)
		"DELETE FROM people WHERE id = 1; INSERT INTO people_fts_log (person_id) VALUES (1)"),
		DB_OK);
	assert_int_equal(store_search_catch_up(f->db), 0);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM people_fts"), 1);
	/* the indexer's connection may not write the database itself */
	c = db_index_open(f->db);
	assert_non_null(c);
	assert_null(db_prepare(c, "DELETE FROM people"));
	assert_int_equal(db_exec(c, "INSERT INTO search.search_state (k, v) VALUES ('probe', 1)"),
	                 DB_OK);
	db_index_close(c);
}

/* ---- statements ----------------------------------------------------- */

static const char sql_echo[] = "SELECT ?, typeof(?1)";

static void test_statements(void **state)
{
	struct fx *f = *state;
	struct db_conn *c = db_read_begin(f->db);
	struct db_stmt *s1, *s2;
	const unsigned char blob[] = { 0, 1, 2, 0, 255 };
	const void *p;
	size_t len = 99;

	s1 = db_prepare(c, sql_echo);
	assert_non_null(s1);
	assert_int_equal(db_bind_int(s1, 1, 1LL << 40), DB_OK);
	assert_int_equal(db_step(s1), DB_ROW);
	assert_int_equal(db_col_int(s1, 0), 1LL << 40);
	assert_string_equal(db_col_text(s1, 1), "integer");
	assert_int_equal(db_step(s1), DB_DONE);
	db_done(s1);

	/* cached by address: the same statement, reset and unbound */
	s2 = db_prepare(c, sql_echo);
	assert_ptr_equal(s1, s2);
	assert_int_equal(db_step(s2), DB_ROW);
	assert_true(db_col_is_null(s2, 0));
	assert_null(db_col_text(s2, 0));
	db_done(s2);

	/* prepared again without db_done: still reset and unbound */
	s1 = db_prepare(c, sql_echo);
	assert_int_equal(db_bind_text(s1, 1, "héllo"), DB_OK);
	assert_int_equal(db_step(s1), DB_ROW);
	s2 = db_prepare(c, sql_echo);
	assert_int_equal(db_step(s2), DB_ROW);
	assert_true(db_col_is_null(s2, 0));
	db_done(s2);

	s1 = db_prepare(c, sql_echo);
	assert_int_equal(db_bind_blob(s1, 1, blob, sizeof(blob)), DB_OK);
	assert_int_equal(db_step(s1), DB_ROW);
	p = db_col_blob(s1, 0, &len);
	assert_int_equal(len, sizeof(blob));
	assert_memory_equal(p, blob, sizeof(blob));
	db_done(s1);

	s1 = db_prepare(c, sql_echo);
	assert_int_equal(db_bind_text(s1, 1, NULL), DB_OK);
	assert_int_equal(db_step(s1), DB_ROW);
	assert_true(db_col_is_null(s1, 0));
	db_done(s1);
	s1 = db_prepare(c, sql_echo);
	assert_int_equal(db_bind_null(s1, 1), DB_OK);
	assert_int_equal(db_step(s1), DB_ROW);
	assert_string_equal(db_col_text(s1, 1), "null");
	db_done(s1);

	/* bad binds, bad SQL, several statements */
	s1 = db_prepare(c, sql_echo);
	assert_int_equal(db_bind_int(s1, 7, 1), DB_ERROR);
	db_done(s1);
	assert_null(db_prepare(c, "SELEC 1"));
	assert_null(db_prepare(c, "SELECT 1; SELECT 2"));
	assert_non_null(db_prepare(c, "SELECT 1; "));
	db_done(db_prepare(c, "SELECT 1; "));

	/* reader connections refuse writes: only the writer writes */
	assert_true(db_exec(c, "CREATE TABLE nope (x)") < 0);
	db_read_end(f->db, c);
	assert_true(db_now() >= (long long)time(NULL) - 1);
}

/* More distinct statements than the cache holds still work. */
static void test_statement_cache_overflow(void **state)
{
	struct fx *f = *state;
	struct db_conn *c = db_read_begin(f->db);
	static char sql[600][32];
	struct db_stmt *s;
	int i;

	for (i = 0; i < 600; i++) {
		assert_true(snprintf(sql[i], sizeof(sql[i]), "SELECT %d", i) < (int)sizeof(sql[i]));
		s = db_prepare(c, sql[i]);
		assert_non_null(s);
		assert_int_equal(db_step(s), DB_ROW);
		assert_int_equal(db_col_int(s, 0), i);
		db_done(s);
	}
	/* leave one uncached statement undone: close must free it */
	s = db_prepare(c, sql[599]);
	assert_non_null(s);
	assert_int_equal(db_step(s), DB_ROW);
	db_read_end(f->db, c);
}

/* ---- writes --------------------------------------------------------- */

struct hammer {
	struct db *db;
	int thread;
	int n;
	int failures;
};

static void *hammer_main(void *p)
{
	struct hammer *h = p;
	struct ins a;
	int i;

	for (i = 0; i < h->n; i++) {
		memset(&a, 0, sizeof(a));
		a.id = (long long)h->thread * 100000 + i + 1;
		if (db_write(h->db, job_insert, &a) != 0)
			h->failures++;
	}
	return NULL;
}

/* Runs threads hammers of n inserts each at once and waits for them;
 * every insert must succeed. */
static void hammer_run(struct db *db, int threads, int n)
{
	struct hammer h[8];
	pthread_t t[8];
	int i;

	assert_true(threads <= 8);
	for (i = 0; i < threads; i++) {
		h[i].db = db;
		h[i].thread = i;
		h[i].n = n;
		h[i].failures = 0;
		assert_int_equal(pthread_create(&t[i], NULL, hammer_main, &h[i]), 0);
	}
	for (i = 0; i < threads; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(h[i].failures, 0);
	}
}

/* db_write_async: returns at once; its callback comes once, from the
 * store's own thread, with the job's result, after the group is durable. */
struct async_call {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	int             calls;
	int             result;
	int             durable;  /* the group was synced when the callback came */
	struct db      *db;
};

static void async_done(void *arg, int result)
{
	struct async_call *a = arg;
	struct db_stats st;

	db_stats(a->db, &st);
	pthread_mutex_lock(&a->mu);
	a->calls++;
	a->result = result;
	a->durable = st.synced >= st.groups;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

/* Waits until a has been called calls times. */
static void async_wait(struct async_call *a, int calls)
{
	pthread_mutex_lock(&a->mu);
	while (a->calls < calls)
		pthread_cond_wait(&a->cv, &a->mu);
	pthread_mutex_unlock(&a->mu);
}

static int job_fail_with_7(struct db_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	return -7;
}

static void test_write_async(void **state)
{
	struct fx *f = *state;
	struct async_call a = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, NULL };
	char sql[64];

	a.db = f->db;
	create_t(f->db);
	snprintf(sql, sizeof(sql), "INSERT INTO t (id, v) VALUES (1, 'async')");
	assert_int_equal(db_write_async(f->db, job_exec, sql, 0, async_done, &a), 0);
	async_wait(&a, 1);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.result, DB_OK);
	assert_true(a.durable);
	assert_int_equal(count_rows(f->db, sql_count_t), 1);
	/* a failing job: its result, and nothing of it kept */
	assert_int_equal(db_write_async(f->db, job_fail_with_7, NULL, 1, async_done, &a), 0);
	async_wait(&a, 2);
	assert_int_equal(a.calls, 2);
	assert_int_equal(a.result, -7);
	assert_int_equal(count_rows(f->db, sql_count_t), 1);
}

static void test_group_commit(void **state)
{
	struct fx *f = *state;
	struct db_stats before, after;

	create_t(f->db);
	before = stats_of(f->db);
	hammer_run(f->db, 8, 500);
	after = stats_of(f->db);
	assert_int_equal(count_rows(f->db, sql_count_t), 4000);
	assert_int_equal(after.jobs - before.jobs, 4000);
	assert_int_equal(after.queued, 0);
	print_message("# group commit: 4000 writes in %llu commits\n",
	              after.groups - before.groups);
	assert_true(after.groups - before.groups >= 1);
	/* Commits are shared: eight writers, each waiting for its own write
	 * to be durable, give about two writes per commit on two cores. */
	assert_true(after.groups - before.groups < 3000);
}

/* Reads PRAGMA synchronous on the writer's own connection. */
static int job_writer_synchronous(struct db_conn *c, void *arg)
{
	return db_step_int(db_prepare(c, "PRAGMA synchronous"), arg) == 1 ? 0 : -1;
}

/* Copies the name of the thread running the job into arg (16 bytes). */
static int job_thread_name(struct db_conn *c, void *arg)
{
	(void)c;
	return pthread_getname_np(pthread_self(), arg, 16) == 0 ? 0 : -1;
}

/* 1 if a thread of this process is called name (/proc/self/task/N/comm). */
static int thread_named(const char *name)
{
	char path[300], comm[32];
	struct dirent *e;
	DIR *d = opendir("/proc/self/task");
	FILE *fp;
	int found = 0;

	assert_non_null(d);
	while (!found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		if (fgets(comm, sizeof(comm), fp)) {
			comm[strcspn(comm, "\n")] = '\0';
			found = strcmp(comm, name) == 0;
		}
		fclose(fp);
	}
	closedir(d);
	return found;
}

/* SQLite's writer commits with synchronous=NORMAL and fsyncs the WAL itself
 * (its syncer thread) before waking a group's callers: a db_write that
 * returned was made durable, so right after each one every committed group
 * is counted as synced — also while other threads keep writing. */
static void test_writer_syncs_before_answering(void **state)
{
	struct fx *f = *state;
	struct db_stats st;
	struct ins a;
	long long mode = -1;
	int i;

	create_t(f->db);
	assert_int_equal(db_write(f->db, job_writer_synchronous, &mode), 0);
	assert_int_equal(mode, 1);  /* NORMAL: the syncer does the fsync */
	{
		/* named, so top -H and bench/intake.sh can tell them apart */
		char name[16] = "";

		assert_int_equal(db_write(f->db, job_thread_name, name), 0);
		assert_string_equal(name, "onramp-writer");
		assert_true(thread_named("onramp-syncer"));
	}
	for (i = 0; i < 200; i++) {
		memset(&a, 0, sizeof(a));
		a.id = 900000 + i;
		assert_int_equal(db_write(f->db, job_insert, &a), 0);
		st = stats_of(f->db);
		assert_true(st.groups > 0);
		assert_int_equal(st.synced, st.groups);
	}
	hammer_run(f->db, 4, 300);
	st = stats_of(f->db);
	assert_int_equal(st.synced, st.groups);
	assert_int_equal(count_rows(f->db, sql_count_t), 200 + 4 * 300);
}

static void test_failed_job_rolls_back_only_itself(void **state)
{
	struct fx *f = *state;
	struct gate g;
	struct writer_call gw, w[3];
	struct ins a = { 1, 0, 0, 0 }, b = { 2, 1, 0, 0 }, cc = { 3, 0, 0, 0 };
	struct db_stats before, after;

	create_t(f->db);
	gate_init(&g);
	writer_call_start(&gw, f->db, job_gate, &g);
	gate_wait_entered(&g);
	before = stats_of(f->db);
	writer_call_start(&w[0], f->db, job_insert, &a);
	wait_queued(f->db, 1);
	writer_call_start(&w[1], f->db, job_insert, &b);
	wait_queued(f->db, 2);
	writer_call_start(&w[2], f->db, job_insert, &cc);
	wait_queued(f->db, 3);
	gate_open(&g);
	writer_call_join(&gw);
	writer_call_join(&w[0]);
	writer_call_join(&w[1]);
	writer_call_join(&w[2]);
	after = stats_of(f->db);

	assert_int_equal(gw.result, 0);
	assert_int_equal(w[0].result, 0);
	assert_int_equal(w[1].result, -1);
	assert_int_equal(w[2].result, 0);
	/* the gate's group, then one group for all three */
	assert_int_equal(after.groups - before.groups, 2);
	assert_true(row_exists(f->db, 1));
	assert_false(row_exists(f->db, 2));
	assert_true(row_exists(f->db, 3));
	assert_int_equal(count_rows(f->db, sql_count_t), 2);
}

/* Runs the three inserts as one group (queued behind a gate): each through
 * db_write_rerunnable if rerunnable[i]. Returns the stats' change. */
static struct db_stats group_of_three(struct db *db, struct ins *ins, const int *rerunnable,
                                      struct writer_call *w)
{
	struct gate g;
	struct writer_call gw;
	struct db_stats before, after, d;
	int i;

	gate_init(&g);
	writer_call_start(&gw, db, job_gate, &g);
	gate_wait_entered(&g);
	before = stats_of(db);
	for (i = 0; i < 3; i++) {
		writer_call_start_as(&w[i], db, job_insert, &ins[i], rerunnable[i]);
		wait_queued(db, (unsigned long long)i + 1);
	}
	gate_open(&g);
	writer_call_join(&gw);
	for (i = 0; i < 3; i++)
		writer_call_join(&w[i]);
	after = stats_of(db);
	assert_int_equal(gw.result, 0);
	memset(&d, 0, sizeof(d));
	d.groups = after.groups - before.groups;
	d.shared = after.shared - before.shared;
	d.reruns = after.reruns - before.reruns;
	return d;
}

/* Each of the three succeeded, ran once and left its row. */
static void assert_three_ran_once(struct db *db, const struct writer_call *w,
                                  const struct ins *ins)
{
	int i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(w[i].result, 0);
		assert_int_equal(ins[i].runs, 1);
		assert_true(row_exists(db, ins[i].id));
	}
}

/* Rerunnable jobs share their group's transaction with no savepoint each;
 * when one fails, the group is undone and run again with one savepoint
 * per job, so only the failed job's row is missing — as with db_write. */
static void test_rerunnable_jobs_share_a_group(void **state)
{
	static const int all[3] = { 1, 1, 1 }, mixed[3] = { 1, 0, 1 };
	struct fx *f = *state;
	struct writer_call w[3];
	struct ins ok[3] = { { 11, 0, 0, 0 }, { 12, 0, 0, 0 }, { 13, 0, 0, 0 } };
	struct ins bad[3] = { { 21, 0, 0, 0 }, { 22, 1, 0, 0 }, { 23, 0, 0, 0 } };
	struct ins mix[3] = { { 31, 0, 0, 0 }, { 32, 0, 0, 0 }, { 33, 0, 0, 0 } };
	struct db_stats d;

	create_t(f->db);
	/* all succeed: one shared group, each job run once */
	d = group_of_three(f->db, ok, all, w);
	assert_int_equal(d.groups, 2);  /* the gate's, then the three's */
	assert_int_equal(d.shared, 1);
	assert_int_equal(d.reruns, 0);
	assert_three_ran_once(f->db, w, ok);

	/* the middle one fails: run again the careful way */
	d = group_of_three(f->db, bad, all, w);
	assert_int_equal(d.groups, 2);
	assert_int_equal(d.shared, 0);
	assert_int_equal(d.reruns, 1);
	assert_int_equal(w[0].result, 0);
	assert_int_equal(w[1].result, -1);
	assert_int_equal(w[2].result, 0);
	assert_int_equal(bad[0].runs, 2);  /* shared, then in its savepoint */
	assert_int_equal(bad[1].runs, 2);  /* failed shared, failed again alone */
	assert_int_equal(bad[2].runs, 1);  /* never reached before the rerun */
	assert_true(row_exists(f->db, 21));
	assert_false(row_exists(f->db, 22));
	assert_true(row_exists(f->db, 23));

	/* one plain db_write in the group: savepoints for all, no rerun */
	d = group_of_three(f->db, mix, mixed, w);
	assert_int_equal(d.groups, 2);
	assert_int_equal(d.shared, 0);
	assert_int_equal(d.reruns, 0);
	assert_three_ran_once(f->db, w, mix);
	assert_int_equal(count_rows(f->db, sql_count_t), 8);
}

static void test_constraint(void **state)
{
	struct fx *f = *state;
	struct ins a = { 7, 0, 0, 0 };
	struct gate g;
	struct writer_call gw, w[3];
	struct ins x = { 8, 0, 0, 0 }, dup = { 7, 0, 0, 0 }, y = { 9, 0, 0, 0 };

	create_t(f->db);
	assert_int_equal(db_write(f->db, job_insert, &a), 0);
	assert_int_equal(db_write(f->db, job_insert, &a), DB_CONSTRAINT);

	/* a duplicate between two good jobs of one group */
	gate_init(&g);
	writer_call_start(&gw, f->db, job_gate, &g);
	gate_wait_entered(&g);
	writer_call_start(&w[0], f->db, job_insert, &x);
	wait_queued(f->db, 1);
	writer_call_start(&w[1], f->db, job_insert, &dup);
	wait_queued(f->db, 2);
	writer_call_start(&w[2], f->db, job_insert, &y);
	wait_queued(f->db, 3);
	gate_open(&g);
	writer_call_join(&gw);
	writer_call_join(&w[0]);
	writer_call_join(&w[1]);
	writer_call_join(&w[2]);
	assert_int_equal(w[0].result, 0);
	assert_int_equal(w[1].result, DB_CONSTRAINT);
	assert_int_equal(w[2].result, 0);
	assert_int_equal(count_rows(f->db, sql_count_t), 3);

	/* foreign keys are enforced */
	assert_int_equal(db_write(f->db, job_exec,
		(void *)"CREATE TABLE child (id INTEGER PRIMARY KEY, t_id INTEGER NOT NULL REFERENCES t(id))"),
		DB_OK);
	assert_int_equal(db_write(f->db, job_exec,
		(void *)"INSERT INTO child (id, t_id) VALUES (1, 424242)"), DB_CONSTRAINT);
	assert_int_equal(db_write(f->db, job_exec,
		(void *)"INSERT INTO child (id, t_id) VALUES (1, 7)"), DB_OK);
}

static void test_reads_see_committed_writes(void **state)
{
	struct fx *f = *state;
	struct db_conn *c;
	struct ins a;
	int i;

	create_t(f->db);
	/* a reader that was lent before the writes still sees them */
	c = db_read_begin(f->db);
	for (i = 1; i <= 5; i++) {
		a.id = i;
		a.fail_after = 0;
		assert_int_equal(db_write(f->db, job_insert, &a), 0);
		assert_true(row_exists(f->db, i));
	}
	{
		struct db_stmt *s = db_prepare(c, sql_count_t);

		assert_int_equal(db_step(s), DB_ROW);
		assert_int_equal(db_col_int(s, 0), 5);
		db_done(s);
	}
	db_read_end(f->db, c);
}

/* A statement left running on a returned reader is ended, so the next
 * borrower is not stuck on an old snapshot. */
static void test_read_end_resets_statements(void **state)
{
	struct fx *f = *state;
	struct db_conn *c;
	struct db_stmt *s;
	struct ins a = { 1, 0, 0, 0 };
	int i;

	create_t(f->db);
	assert_int_equal(db_write(f->db, job_insert, &a), 0);
	for (i = 0; i < LIMIT_DB_READ_CONNECTIONS + 1; i++) {
		c = db_read_begin(f->db);
		s = db_prepare(c, sql_count_t);
		assert_int_equal(db_step(s), DB_ROW);
		assert_true(db_col_int(s, 0) >= 1);
		/* no db_done: a caller bug the pool survives */
		db_read_end(f->db, c);
		a.id++;
		assert_int_equal(db_write(f->db, job_insert, &a), 0);
	}
	assert_int_equal(count_rows(f->db, sql_count_t), LIMIT_DB_READ_CONNECTIONS + 2);
}

struct nested {
	struct db *db;
	int inner_fail_rc;
	int inner_ok_rc;
};

static int job_inner_fail(struct db_conn *c, void *arg)
{
	(void)arg;
	if (insert_row(c, 2, "inner-fail") != 0)
		return DB_ERROR;
	return -1;
}

static int job_inner_ok(struct db_conn *c, void *arg)
{
	(void)arg;
	if (insert_row(c, 3, "inner-ok") != 0)
		return DB_ERROR;
	return 5;
}

static int job_outer(struct db_conn *c, void *arg)
{
	struct nested *n = arg;

	if (insert_row(c, 1, "outer") != 0)
		return DB_ERROR;
	n->inner_fail_rc = db_write(n->db, job_inner_fail, NULL);
	n->inner_ok_rc = db_write(n->db, job_inner_ok, NULL);
	return 0;
}

static void test_nested_write(void **state)
{
	struct fx *f = *state;
	struct nested n = { f->db, 0, 0 };

	create_t(f->db);
	assert_int_equal(db_write(f->db, job_outer, &n), 0);
	assert_int_equal(n.inner_fail_rc, -1);
	assert_int_equal(n.inner_ok_rc, 5);
	assert_true(row_exists(f->db, 1));
	assert_false(row_exists(f->db, 2));
	assert_true(row_exists(f->db, 3));
}

/* A job that ends the whole transaction (here by ROLLBACK; SQLite may do it
 * by itself after an I/O error) loses its group's earlier jobs: they must
 * not hear success, and the jobs after it still commit. */
static int job_rollback_everything(struct db_conn *c, void *arg)
{
	(void)arg;
	if (db_exec(c, "ROLLBACK") != DB_OK)
		return DB_ERROR;
	return 0;
}

static void test_lost_transaction(void **state)
{
	struct fx *f = *state;
	struct gate g;
	struct writer_call gw, w[3];
	struct ins a = { 1, 0, 0, 0 }, cc = { 3, 0, 0, 0 };

	create_t(f->db);
	gate_init(&g);
	writer_call_start(&gw, f->db, job_gate, &g);
	gate_wait_entered(&g);
	writer_call_start(&w[0], f->db, job_insert, &a);
	wait_queued(f->db, 1);
	writer_call_start(&w[1], f->db, job_rollback_everything, NULL);
	wait_queued(f->db, 2);
	writer_call_start(&w[2], f->db, job_insert, &cc);
	wait_queued(f->db, 3);
	gate_open(&g);
	writer_call_join(&gw);
	writer_call_join(&w[0]);
	writer_call_join(&w[1]);
	writer_call_join(&w[2]);
	assert_true(w[0].result < 0);
	assert_true(w[1].result < 0);
	assert_int_equal(w[2].result, 0);
	assert_false(row_exists(f->db, 1));
	assert_true(row_exists(f->db, 3));
	db_integrity_ok(f->db);
}

/* COMMIT itself can fail (here a deferred foreign key, checked only at
 * COMMIT): then no job of the group has its changes, every one hears an
 * error, and the writer goes on with the next group. */
static int job_deferred_orphan(struct db_conn *c, void *arg)
{
	(void)arg;
	if (db_exec(c, "PRAGMA defer_foreign_keys = ON") != DB_OK)
		return DB_ERROR;
	return db_exec(c, "INSERT INTO child (id, t_id) VALUES (1, 424242)");
}

static void test_commit_failure(void **state)
{
	struct fx *f = *state;
	struct gate g;
	struct writer_call gw, w[3];
	struct ins a = { 1, 0, 0, 0 }, cc = { 3, 0, 0, 0 }, later = { 4, 0, 0, 0 };
	struct db_stats before, after;

	create_t(f->db);
	assert_int_equal(db_write(f->db, job_exec,
		(void *)"CREATE TABLE child (id INTEGER PRIMARY KEY, t_id INTEGER NOT NULL REFERENCES t(id))"),
		DB_OK);
	gate_init(&g);
	writer_call_start(&gw, f->db, job_gate, &g);
	gate_wait_entered(&g);
	before = stats_of(f->db);
	writer_call_start(&w[0], f->db, job_insert, &a);
	wait_queued(f->db, 1);
	writer_call_start(&w[1], f->db, job_deferred_orphan, NULL);
	wait_queued(f->db, 2);
	writer_call_start(&w[2], f->db, job_insert, &cc);
	wait_queued(f->db, 3);
	gate_open(&g);
	writer_call_join(&gw);
	writer_call_join(&w[0]);
	writer_call_join(&w[1]);
	writer_call_join(&w[2]);
	after = stats_of(f->db);
	assert_int_equal(gw.result, 0);
	assert_int_equal(w[0].result, DB_ERROR);
	assert_int_equal(w[1].result, DB_ERROR);
	assert_int_equal(w[2].result, DB_ERROR);
	assert_int_equal(after.groups - before.groups, 1);  /* only the gate's */
	assert_int_equal(count_rows(f->db, sql_count_t), 0);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM child"), 0);
	assert_int_equal(db_write(f->db, job_insert, &later), 0);
	assert_true(row_exists(f->db, 4));
	db_integrity_ok(f->db);
}

/* ---- the read pool -------------------------------------------------- */

struct pool_probe {
	struct db *db;
	pthread_mutex_t *mu;
	int *now;
	int *max;
	int ok;
};

/* ---- deferred work (db_write_defer) ---- */

static const char sql_create_d[] = "CREATE TABLE d (k INTEGER PRIMARY KEY, seen INTEGER)";
static const char sql_defer_d[] = "INSERT INTO d (k, seen) SELECT ?, count(*) FROM t";
static const char sql_seen_d[] = "SELECT seen FROM d WHERE k = 7";

/* Records how many rows t has when it runs; a second run for one key
 * breaks d's primary key. Key 99 fails. */
static int defer_note(struct db_conn *c, long long key)
{
	struct db_stmt *s;
	int rc;

	if (key == 99)
		return DB_ERROR;
	s = db_prepare(c, sql_defer_d);
	if (!s)
		return DB_ERROR;
	rc = db_bind_int(s, 1, key);
	if (rc == DB_OK)
		rc = db_step(s);
	db_done(s);
	return rc == DB_DONE ? DB_OK : (rc < 0 ? rc : DB_ERROR);
}

struct defer_ins {
	struct ins ins;
	long long  key;
};

static int job_insert_defer(struct db_conn *c, void *arg)
{
	struct defer_ins *a = arg;
	int rc = insert_row(c, a->ins.id, "row");

	if (rc < 0 || (rc = db_write_defer(c, defer_note, a->key)) < 0)
		return rc;
	return a->ins.fail_after ? -1 : 0;
}

/* Deferred work runs once per key, after the group's last job (it sees
 * every kept row, none of a rolled-back job's), before the COMMIT; when it
 * fails, the whole group is lost. */
/* ---- the compliance counters on the writer (store_counters.c) ---- */

/* A person with one email and one phone, and an accepted submission; the
 * job fails afterwards when fail is set. */
struct lead_job {
	long long id;
	int       fail;
};

static int job_lead(struct db_conn *c, void *arg)
{
	static const char *const sql[] = {
		"INSERT INTO people (id, first_name, last_name, created_at, updated_at)"
		" VALUES (?1, 'A', 'B', 0, 0)",
		"INSERT INTO person_emails (email, person_id, created_at)"
		" VALUES ('p' || ?1 || '@example.org', ?1, 0)",
		"INSERT INTO person_phones (phone, person_id, created_at)"
		" VALUES ('+1206555' || printf('%04d', ?1), ?1, 0)",
		"INSERT INTO submissions (person_id, kind, status, payload, received_at)"
		" VALUES (?1, 'signup', 'accepted', '{}', 86400 * 3)",
	};
	struct lead_job *j = arg;
	struct db_stmt *st;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		st = db_prepare(c, sql[i]);
		if (st == NULL)
			return DB_ERROR;
		rc = db_bind_int(st, 1, j->id) == DB_OK ? db_step(st) : DB_ERROR;
		db_done(st);
		if (rc != DB_DONE)
			return rc < 0 ? rc : DB_ERROR;
	}
	return j->fail ? -1 : 0;
}

static int job_delete_person(struct db_conn *c, void *arg)
{
	struct db_stmt *st = db_prepare(c, "DELETE FROM people WHERE id = ?");
	int rc;

	if (st == NULL)
		return DB_ERROR;
	rc = db_bind_int(st, 1, *(long long *)arg) == DB_OK ? db_step(st) : DB_ERROR;
	db_done(st);
	return rc == DB_DONE ? 0 : DB_ERROR;
}

static int job_temp_triggers(struct db_conn *c, void *arg)
{
	struct db_stmt *st = db_prepare(c, "SELECT count(*) FROM temp.sqlite_master"
	                                   " WHERE type = 'trigger'");
	int rc;

	if (st == NULL)
		return DB_ERROR;
	rc = db_step(st);
	if (rc == DB_ROW)
		*(long long *)arg = db_col_int(st, 0);
	db_done(st);
	return rc == DB_ROW ? 0 : DB_ERROR;
}

/* Runs the SQL text arg and succeeds whether or not the statement did. */
static int job_exec_ignoring_failure(struct db_conn *c, void *arg)
{
	struct db_stmt *st = db_prepare(c, arg);

	if (st == NULL)
		return DB_ERROR;
	(void)db_step(st);
	db_done(st);
	return 0;
}

/* TEMP triggers on the writer's own connection. */
static long long writer_temp_triggers(struct db *db)
{
	long long n = -1;

	assert_int_equal(db_write(db, job_temp_triggers, &n), 0);
	return n;
}

/* The counters equal a recount of the tables they count. */
static void assert_counters_exact(struct db *db, long long people)
{
	assert_int_equal(count_rows(db, "SELECT value FROM intake_counters"
	                                " WHERE name = 'people' AND bucket = ''"), people);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM people"), people);
	assert_int_equal(count_rows(db, "SELECT value FROM intake_counters"
	                                " WHERE name = 'emails' AND bucket = ''"),
	                 count_rows(db, "SELECT count(*) FROM person_emails"));
	assert_int_equal(count_rows(db, "SELECT value FROM intake_counters"
	                                " WHERE name = 'phones' AND bucket = ''"),
	                 count_rows(db, "SELECT count(*) FROM person_phones"));
	assert_int_equal(count_rows(db, "SELECT value FROM intake_counters"
	                                " WHERE name = 'leads' AND bucket = ''"),
	                 count_rows(db, "SELECT count(*) FROM submissions WHERE status = 'accepted'"));
	assert_int_equal(count_rows(db, "SELECT value FROM intake_counters"
	                                " WHERE name = 'leads_day' AND bucket = '3'"),
	                 count_rows(db, "SELECT count(*) FROM submissions WHERE status = 'accepted'"));
}

static void test_counters_per_group(void **state)
{
	struct fx *f = *state;
	char err[256];
	int applied = 0;
	struct gate g;
	struct writer_call gw, w[4];
	struct lead_job jobs[4] = { { 1, 0 }, { 2, 1 }, { 3, 0 }, { 4, 0 } };
	struct lead_job again = { 5, 0 };
	long long gone = 3;
	size_t i;

	assert_int_equal(db_migrate(f->db, &applied, err, sizeof(err)), 0);
	/* one group of four: the failing job's rows and counts both go */
	gate_init(&g);
	writer_call_start(&gw, f->db, job_gate, &g);
	gate_wait_entered(&g);
	for (i = 0; i < 4; i++) {
		writer_call_start(&w[i], f->db, job_lead, &jobs[i]);
		wait_queued(f->db, i + 1);
	}
	gate_open(&g);
	writer_call_join(&gw);
	for (i = 0; i < 4; i++)
		writer_call_join(&w[i]);
	assert_int_equal(w[1].result, -1);
	assert_int_equal(w[0].result + w[2].result + w[3].result, 0);
	assert_counters_exact(f->db, 3);
	/* the writer counts in memory (no TEMP triggers) and, since nothing
	 * was counted twice above, not through the schema's triggers as well */
	assert_int_equal(writer_temp_triggers(f->db), 0);
	/* a statement that fails after inserting a row: SQLite undoes the row,
	 * the counts forget it, and the job goes on */
	assert_int_equal(db_write(f->db, job_exec_ignoring_failure,
	                          "INSERT INTO person_emails (email, person_id, created_at)"
	                          " VALUES ('extra@example.org', 1, 0), ('p1@example.org', 1, 0)"), 0);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM person_emails"
	                                   " WHERE email = 'extra@example.org'"), 0);
	assert_counters_exact(f->db, 3);
	/* one group touching 37 forms and 7 partners: the flush writes them
	 * 16, 4 and 1 at a time, and every bucket equals a recount */
	assert_int_equal(db_write(f->db, job_exec, (void *)
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 37)"
		" INSERT INTO intake_forms (id, name, key_hash, key_hint, created_at, updated_at)"
		" SELECT i, 'f' || i, 'h' || i, 'k', 0, 0 FROM n;"
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 111)"
		" INSERT INTO submissions (kind, status, payload, received_at, form_id, partner)"
		" SELECT 'intake', 'accepted', '{}', 86400 * 3, 1 + i % 37, 'P' || (i % 7) FROM n"), 0);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM intake_counters c"
	                                   " WHERE c.name = 'form_leads' AND c.value ="
	                                   " (SELECT count(*) FROM submissions s"
	                                   "  WHERE CAST(s.form_id AS TEXT) = c.bucket)"), 37);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM intake_counters c"
	                                   " WHERE c.name = 'partner_leads' AND c.value ="
	                                   " (SELECT count(*) FROM submissions s"
	                                   "  WHERE s.partner = c.bucket)"), 7);
	assert_counters_exact(f->db, 3);
	/* deletes count down (the person's email and phone by cascade), later
	 * groups go on counting */
	assert_int_equal(db_write(f->db, job_delete_person, &gone), 0);
	assert_int_equal(db_write(f->db, job_lead, &again), 0);
	assert_counters_exact(f->db, 3);
	/* a later migration's change to the schema: the mirror is built again */
	assert_int_equal(db_write(f->db, job_exec, "CREATE TABLE later (x INTEGER)"), 0);
	again.id = 6;
	assert_int_equal(db_write(f->db, job_lead, &again), 0);
	assert_counters_exact(f->db, 4);
}

/* A trigger the mirror does not know: the schema's triggers count as they
 * are (and nothing is counted twice). */
static void test_counters_unknown_trigger(void **state)
{
	struct fx *f = *state;
	char err[256];
	int applied = 0;
	struct lead_job one = { 1, 0 }, two = { 2, 0 };

	assert_int_equal(db_migrate(f->db, &applied, err, sizeof(err)), 0);
	assert_int_equal(db_write(f->db, job_lead, &one), 0);
	assert_counters_exact(f->db, 1);
	assert_int_equal(db_write(f->db, job_exec,
	                          "CREATE TRIGGER later_trigger AFTER INSERT ON people BEGIN"
	                          " UPDATE people SET source = 'seen' WHERE id = NEW.id; END"), 0);
	assert_int_equal(db_write(f->db, job_lead, &two), 0);
	assert_counters_exact(f->db, 2);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM people WHERE source = 'seen'"), 1);
	assert_int_equal(writer_temp_triggers(f->db), 0);
}

/* Migration 15 rebuilds the email and phone keys as WITHOUT ROWID tables:
 * on a database at version 14 with people in it, every key survives, the
 * keys stay unique and deleted with their person, and the counters equal
 * a recount before and after. */
static void test_migration_15_key_tables(void **state)
{
	struct fx *f = *state;
	struct lead_job leads[3] = { { 1, 0 }, { 2, 0 }, { 3, 0 } }, later = { 4, 0 };
	long long gone = 2;
	char err[256];
	int applied = 0;
	size_t i;

	assert_int_equal(db_migrate_upto(f->db, 14, &applied, err, sizeof(err)), 0);
	assert_int_equal(applied, 14);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM sqlite_master WHERE name IN"
	                                   " ('person_emails', 'person_phones')"
	                                   " AND sql LIKE '%WITHOUT ROWID%'"), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(db_write(f->db, job_lead, &leads[i]), 0);
	assert_counters_exact(f->db, 3);

	assert_int_equal(db_migrate(f->db, &applied, err, sizeof(err)), 0);
	assert_int_equal(applied, (int)migrations_count - 14);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM sqlite_master WHERE name IN"
	                                   " ('person_emails', 'person_phones')"
	                                   " AND sql LIKE '%WITHOUT ROWID%'"), 2);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM person_emails"
	                                   " WHERE email = 'p' || person_id || '@example.org'"), 3);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM person_phones"
	                                   " WHERE phone = '+1206555' || printf('%04d', person_id)"), 3);
	assert_counters_exact(f->db, 3);
	/* the indexes and triggers came back with the tables */
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM sqlite_master WHERE name IN"
	                                   " ('person_emails_person', 'person_phones_person',"
	                                   "  'intake_count_emails_ins', 'intake_count_emails_del',"
	                                   "  'intake_count_phones_ins', 'intake_count_phones_del')"), 6);
	/* a key is still unique */
	assert_true(db_write(f->db, job_exec, (void *)"INSERT INTO person_emails"
	                     " (email, person_id, created_at) VALUES ('p1@example.org', 3, 0)") < 0);
	assert_true(db_write(f->db, job_exec, (void *)"INSERT INTO person_phones"
	                     " (phone, person_id, created_at) VALUES ('+12065550001', 3, 0)") < 0);
	/* and counted as it comes and goes (a person's keys go with them) */
	assert_int_equal(db_write(f->db, job_lead, &later), 0);
	assert_int_equal(db_write(f->db, job_delete_person, &gone), 0);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM person_emails WHERE person_id = 2"),
	                 0);
	assert_counters_exact(f->db, 3);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM pragma_integrity_check"
	                                   " WHERE integrity_check <> 'ok'"), 0);
}

static void test_deferred_work(void **state)
{
	struct fx *f = *state;
	struct gate g;
	struct writer_call gw, w[3];
	struct defer_ins a = { { 1, 0, 0, 0 }, 7 }, b = { { 2, 1, 0, 0 }, 7 }, cc = { { 3, 0, 0, 0 }, 7 };
	struct defer_ins bad = { { 4, 0, 0, 0 }, 99 };

	create_t(f->db);
	assert_int_equal(db_write(f->db, job_exec, (void *)sql_create_d), DB_OK);
	gate_init(&g);
	writer_call_start(&gw, f->db, job_gate, &g);
	gate_wait_entered(&g);
	writer_call_start(&w[0], f->db, job_insert_defer, &a);
	wait_queued(f->db, 1);
	writer_call_start(&w[1], f->db, job_insert_defer, &b);
	wait_queued(f->db, 2);
	writer_call_start(&w[2], f->db, job_insert_defer, &cc);
	wait_queued(f->db, 3);
	gate_open(&g);
	writer_call_join(&gw);
	writer_call_join(&w[0]);
	writer_call_join(&w[1]);
	writer_call_join(&w[2]);
	assert_int_equal(w[0].result, 0);
	assert_int_equal(w[1].result, -1);
	assert_int_equal(w[2].result, 0);
	assert_int_equal(count_rows(f->db, sql_seen_d), 2);

	assert_true(db_write(f->db, job_insert_defer, &bad) < 0);
	assert_false(row_exists(f->db, 4));
	assert_int_equal(count_rows(f->db, sql_count_t), 2);
}

static void *pool_probe_main(void *p)
{
	struct pool_probe *pp = p;
	struct db_conn *c;
	struct db_stmt *s;
	int i;

	for (i = 0; i < 5; i++) {
		c = db_read_begin(pp->db);
		pthread_mutex_lock(pp->mu);
		(*pp->now)++;
		if (*pp->now > *pp->max)
			*pp->max = *pp->now;
		pthread_mutex_unlock(pp->mu);
		s = db_prepare(c, "SELECT 41 + 1");
		if (s && db_step(s) == DB_ROW && db_col_int(s, 0) == 42)
			pp->ok++;
		db_done(s);
		sleep_ms(5);
		pthread_mutex_lock(pp->mu);
		(*pp->now)--;
		pthread_mutex_unlock(pp->mu);
		db_read_end(pp->db, c);
	}
	return NULL;
}

static void test_read_pool_limit(void **state)
{
	struct fx *f = *state;
	enum { N = 3 * LIMIT_DB_READ_CONNECTIONS };
	struct pool_probe pp[N];
	pthread_t t[N];
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int now = 0, max = 0, i;

	for (i = 0; i < N; i++) {
		pp[i].db = f->db;
		pp[i].mu = &mu;
		pp[i].now = &now;
		pp[i].max = &max;
		pp[i].ok = 0;
		assert_int_equal(pthread_create(&t[i], NULL, pool_probe_main, &pp[i]), 0);
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(pp[i].ok, 5);
	}
	assert_true(max >= 1);
	assert_true(max <= LIMIT_DB_READ_CONNECTIONS);
}

/* ---- backup --------------------------------------------------------- */

struct churn {
	struct db *db;
	int thread;
	volatile int *stop;
	pthread_mutex_t *mu;
	int written;
	int failures;
};

static void *churn_main(void *p)
{
	struct churn *ch = p;
	struct ins a;
	int stop;

	for (;;) {
		pthread_mutex_lock(ch->mu);
		stop = *ch->stop;
		pthread_mutex_unlock(ch->mu);
		if (stop)
			break;
		memset(&a, 0, sizeof(a));
		a.id = (long long)ch->thread * 10000000 + ch->written + 1;
		if (db_write(ch->db, job_insert, &a) == 0)
			ch->written++;
		else
			ch->failures++;
	}
	return NULL;
}

static void test_backup_while_writing(void **state)
{
	struct fx *f = *state;
	struct churn ch[4];
	pthread_t t[4];
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	volatile int stop = 0;
	char bpath[160], burl[192], err[256];
	long long before, in_copy, total;
	struct db *copy = NULL;
	struct stat st;
	int i, n;

	create_t(f->db);
	for (i = 0; i < 4; i++) {
		ch[i] = (struct churn){ f->db, i, &stop, &mu, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, churn_main, &ch[i]), 0);
	}
	while (count_rows(f->db, sql_count_t) < 200)
		sleep_ms(2);
	before = count_rows(f->db, sql_count_t);

	fx_path(f, "backup.db", bpath, sizeof(bpath));
	err[0] = '\0';
	if (db_backup(f->db, bpath, err, sizeof(err)) != 0)
		fail_msg("backup failed: %s", err);

	sleep_ms(20);  /* writes go on after the backup too */
	pthread_mutex_lock(&mu);
	stop = 1;
	pthread_mutex_unlock(&mu);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(ch[i].failures, 0);
	}
	total = count_rows(f->db, sql_count_t);

	assert_int_equal(stat(bpath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	n = snprintf(burl, sizeof(burl), "sqlite:%s", bpath);
	assert_true(n > 0 && (size_t)n < sizeof(burl));
	assert_int_equal(db_open(burl, &copy, err, sizeof(err)), 0);
	db_integrity_ok(copy);
	in_copy = count_rows(copy, sql_count_t);
	print_message("# backup: %lld rows before, %lld in the copy, %lld at the end\n",
	              before, in_copy, total);
	assert_true(in_copy >= before);
	assert_true(in_copy <= total);
	db_close(copy);
}

static void test_backup_refuses_existing_file(void **state)
{
	struct fx *f = *state;
	char bpath[160], err[256], want[200];
	FILE *fp;
	char buf[16];
	int n;

	fx_path(f, "exists.db", bpath, sizeof(bpath));
	fp = fopen(bpath, "w");
	assert_non_null(fp);
	fputs("keep me", fp);
	fclose(fp);
	err[0] = '\0';
	assert_int_equal(db_backup(f->db, bpath, err, sizeof(err)), -1);
	n = snprintf(want, sizeof(want), "%s exists", bpath);
	assert_true(n > 0 && (size_t)n < sizeof(want));
	assert_string_equal(err, want);
	/* untouched */
	fp = fopen(bpath, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "keep me");

	/* a directory that does not exist: refused, nothing left behind */
	err[0] = '\0';
	assert_int_equal(db_backup(f->db, "/nonexistent-onramp-dir/b.db", err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
}

/* ---- close ---------------------------------------------------------- */

struct opener {
	struct gate *g;
	long delay_ms;
};

static void *opener_main(void *p)
{
	struct opener *o = p;

	sleep_ms(o->delay_ms);
	gate_open(o->g);
	return NULL;
}

static void test_close_completes_queued(void **state)
{
	struct fx *f = *state;
	enum { N = 20 };
	struct gate g;
	struct writer_call gw, w[N];
	struct ins a[N];
	struct opener o;
	pthread_t ot;
	char err[256];
	int i;

	create_t(f->db);
	gate_init(&g);
	writer_call_start(&gw, f->db, job_gate, &g);
	gate_wait_entered(&g);
	for (i = 0; i < N; i++) {
		a[i] = (struct ins){ i + 1, 0, 0, 0 };
		writer_call_start(&w[i], f->db, job_insert, &a[i]);
	}
	wait_queued(f->db, N);

	/* close while the writer is busy and N jobs wait */
	o.g = &g;
	o.delay_ms = 100;
	assert_int_equal(pthread_create(&ot, NULL, opener_main, &o), 0);
	db_close(f->db);
	f->db = NULL;
	assert_int_equal(pthread_join(ot, NULL), 0);
	writer_call_join(&gw);
	assert_int_equal(gw.result, 0);
	for (i = 0; i < N; i++) {
		writer_call_join(&w[i]);
		assert_int_equal(w[i].result, 0);
	}

	assert_int_equal(db_open(f->url, &f->db, err, sizeof(err)), 0);
	assert_int_equal(count_rows(f->db, sql_count_t), N);
	db_integrity_ok(f->db);
}

/* ---- disk full ------------------------------------------------------ */

/*
 * Test-only path: "disk full" is simulated with PRAGMA max_page_count on the
 * writer connection, set from inside a db_write job (so it runs on the
 * writer's own connection, the only one that writes). max_page_count cannot
 * go below the file's current size, so "= 1" caps the file where it is;
 * any write needing a new page then fails with SQLITE_FULL, exactly as a
 * full disk would make it fail. The job resets the cap afterwards.
 */
static const char sql_big[] = "INSERT INTO t (id, v) VALUES (?, ?)";

static int job_insert_big(struct db_conn *c, void *arg)
{
	const size_t size = *(const size_t *)arg;
	char *v = malloc(size + 1);
	struct db_stmt *s;
	int rc;

	if (!v)
		return DB_ERROR;
	memset(v, 'x', size);
	v[size] = '\0';
	s = db_prepare(c, sql_big);
	rc = s ? db_bind_int(s, 1, 1000 + (long long)size) : DB_ERROR;
	if (rc == DB_OK)
		rc = db_bind_text(s, 2, v);
	if (rc == DB_OK)
		rc = db_step(s);
	db_done(s);
	free(v);
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
}

static void test_disk_full(void **state)
{
	struct fx *f = *state;
	size_t free_size = 32 * 1024, big = 512 * 1024;
	struct ins small = { 1, 0, 0, 0 }, after = { 2, 0, 0, 0 };

	create_t(f->db);
	/* leave some free pages in the file, so a small write fits later */
	assert_int_equal(db_write(f->db, job_insert_big, &free_size), 0);
	assert_int_equal(db_write(f->db, job_exec, (void *)"DELETE FROM t"), DB_OK);

	assert_int_equal(db_write(f->db, job_exec, (void *)"PRAGMA max_page_count = 1"), DB_OK);
	assert_int_equal(db_write(f->db, job_insert_big, &big), DB_FULL);
	db_integrity_ok(f->db);
	assert_int_equal(count_rows(f->db, sql_count_t), 0);
	/* a write that fits still succeeds while the "disk" is full */
	assert_int_equal(db_write(f->db, job_insert, &small), 0);
	assert_true(row_exists(f->db, 1));

	/* a full disk in the middle of a group: SQLite drops the whole
	 * transaction, so the good job before it hears DB_FULL too (its
	 * changes are gone) and the job after it commits in a new one */
	{
		struct gate g;
		struct writer_call gw, w[3];
		struct ins a = { 10, 0, 0, 0 }, cc = { 11, 0, 0, 0 };

		gate_init(&g);
		writer_call_start(&gw, f->db, job_gate, &g);
		gate_wait_entered(&g);
		writer_call_start(&w[0], f->db, job_insert, &a);
		wait_queued(f->db, 1);
		writer_call_start(&w[1], f->db, job_insert_big, &big);
		wait_queued(f->db, 2);
		writer_call_start(&w[2], f->db, job_insert, &cc);
		wait_queued(f->db, 3);
		gate_open(&g);
		writer_call_join(&gw);
		writer_call_join(&w[0]);
		writer_call_join(&w[1]);
		writer_call_join(&w[2]);
		assert_int_equal(w[1].result, DB_FULL);
		assert_true(w[0].result == 0 || w[0].result == DB_FULL);
		assert_int_equal(row_exists(f->db, 10), w[0].result == 0);
		assert_int_equal(w[2].result, 0);
		assert_true(row_exists(f->db, 11));
		assert_int_equal(db_write(f->db, job_exec, (void *)"DELETE FROM t WHERE id >= 10"),
		                 DB_OK);
		db_integrity_ok(f->db);
	}

	assert_int_equal(db_write(f->db, job_exec,
		(void *)"PRAGMA max_page_count = 2147483646"), DB_OK);
	assert_int_equal(db_write(f->db, job_insert_big, &big), 0);
	assert_int_equal(db_write(f->db, job_insert, &after), 0);
	assert_int_equal(count_rows(f->db, sql_count_t), 3);
	db_integrity_ok(f->db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_check),
		cmocka_unit_test_setup_teardown(test_open_mode_and_pragmas, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_migrate, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_refuses_newer_schema, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_search_index_beside_database, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_statements, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_statement_cache_overflow, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_group_commit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_async, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_writer_syncs_before_answering, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_failed_job_rolls_back_only_itself, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rerunnable_jobs_share_a_group, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_constraint, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reads_see_committed_writes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_read_end_resets_statements, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_nested_write, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_lost_transaction, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_commit_failure, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_deferred_work, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_counters_per_group, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_counters_unknown_trigger, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_migration_15_key_tables, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_read_pool_limit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_backup_while_writing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_backup_refuses_existing_file, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_close_completes_queued, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
