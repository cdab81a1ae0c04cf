/*
 * db.c — the one database interface, dispatched to its engine.
 *
 * db_open() picks the engine by the URL's scheme (sqlite:PATH → db_sqlite.c,
 * postgres:// → db_postgres.c); every later call reads the dialect at the
 * head of the handle it is given (db_engine.h) and calls that engine's
 * function. Area files, the writer and the migrations see only sql.h, so
 * the same code runs on both engines.
 *
 * Threading: no state of its own; the engines' rules apply.
 */
#include "store/db_engine.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/limits.h"

#define SQ_DB(db)   ((struct sq_db *)(db))
#define PG_DB(db)   ((struct pg_db *)(db))
#define SQ_C(c)     ((struct sq_conn *)(c))
#define PG_C(c)     ((struct pg_conn *)(c))
#define SQ_S(s)     ((struct sq_stmt *)(s))
#define PG_S(s)     ((struct pg_stmt *)(s))
#define IS_PG(h)    ((h)->dialect == DB_DIALECT_POSTGRES)

static const char db_url_reason[] = "ONRAMP_DB must be sqlite:PATH or postgres://…";

static void db_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void db_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

static int db_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int db_url_is_pg(const char *url)
{
	return db_starts_with(url, "postgres://") || db_starts_with(url, "postgresql://");
}

int db_url_check(const char *url, char *err, size_t errlen)
{
	const char *path;

	if (!url || !*url) {
		db_err(err, errlen, "%s", db_url_reason);
		return -1;
	}
	if (db_starts_with(url, "sqlite:")) {
		path = url + strlen("sqlite:");
		if (!*path) {
			db_err(err, errlen, "sqlite: needs a file path (sqlite:PATH)");
			return -1;
		}
		if (strlen(path) >= PATH_MAX) {
			db_err(err, errlen, "the database path is longer than %d bytes", PATH_MAX - 1);
			return -1;
		}
		if (strcmp(path, ":memory:") == 0) {
			db_err(err, errlen, "sqlite::memory: cannot be shared by the writer and "
			       "the readers; use sqlite:PATH with a file");
			return -1;
		}
		return 0;
	}
	if (db_url_is_pg(url)) {
		if (strlen(url) >= 1024) {
			db_err(err, errlen, "the database URL is longer than 1023 bytes");
			return -1;
		}
		return 0;
	}
	db_err(err, errlen, "%s", db_url_reason);
	return -1;
}

int db_open_pool(const char *url, int pool, struct db **out, char *err, size_t errlen)
{
	struct sq_db *sq = NULL;
	struct pg_db *pg = NULL;

	*out = NULL;
	if (db_url_check(url, err, errlen) != 0)
		return -1;
	if (pool < 0 || pool > LIMIT_DB_POOL_MAX) {
		db_err(err, errlen, "the read pool must hold 1 to %d connections", LIMIT_DB_POOL_MAX);
		return -1;
	}
	if (db_url_is_pg(url)) {
		if (db_pg_open(url, pool, &pg, err, errlen) != 0)
			return -1;
		*out = (struct db *)pg;
		return 0;
	}
	if (db_sqlite_open(url + strlen("sqlite:"), pool, &sq, err, errlen) != 0)
		return -1;
	*out = (struct db *)sq;
	return 0;
}

int db_open(const char *url, struct db **out, char *err, size_t errlen)
{
	return db_open_pool(url, 0, out, err, errlen);
}

enum db_dialect db_dialect(struct db *db)
{
	return db->dialect;
}

struct db_extension *db_search_extension(struct db *db)
{
	return &db->search;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->search.close)
		db->search.close(db->search.state);
	if (IS_PG(db))
		db_pg_close(PG_DB(db));
	else
		db_sqlite_close(SQ_DB(db));
}

int db_backup(struct db *db, const char *path, char *err, size_t errlen)
{
	if (db && IS_PG(db)) {
		db_err(err, errlen, "onramp backup copies SQLite databases; back PostgreSQL up "
		       "with pg_dump or base backups (docs/DEPLOY.md)");
		return -1;
	}
	return db_sqlite_backup(SQ_DB(db), path, err, errlen);
}

const char *db_engine_version(void)
{
	return db_sqlite_version();
}

const char *db_engine_name(struct db *db)
{
	return db && IS_PG(db) ? "postgres" : "sqlite";
}

int db_is_shared(struct db *db)
{
	return db && IS_PG(db);
}

int db_ping(struct db *db)
{
	struct db_conn *c;
	struct db_stmt *s;
	int rc;

	if (!db)
		return -1;
	if (IS_PG(db))
		return db_pg_ping(PG_DB(db));
	c = db_read_begin(db);
	s = db_prepare(c, "SELECT 1");
	rc = s ? db_step(s) : DB_ERROR;
	db_done(s);
	db_read_end(db, c);
	return rc == DB_ROW ? 0 : -1;
}

struct db_conn *db_read_begin(struct db *db)
{
	if (IS_PG(db))
		return (struct db_conn *)db_pg_read_begin(PG_DB(db));
	return (struct db_conn *)db_sqlite_read_begin(SQ_DB(db));
}

void db_read_end(struct db *db, struct db_conn *c)
{
	if (!db || !c)
		return;
	if (IS_PG(db))
		db_pg_read_end(PG_DB(db), PG_C(c));
	else
		db_sqlite_read_end(SQ_DB(db), SQ_C(c));
}

static int db_write_as(struct db *db, db_write_fn fn, void *arg, int rerunnable)
{
	if (!db || !fn)
		return DB_ERROR;
	if (IS_PG(db))
		return db_pg_write(PG_DB(db), fn, arg, rerunnable);
	return db_sqlite_write(SQ_DB(db), fn, arg, rerunnable);
}

int db_write_async(struct db *db, db_write_fn fn, void *arg, int rerunnable, db_done_fn done,
                   void *done_arg)
{
	if (!db || !fn || !done)
		return DB_ERROR;
	if (IS_PG(db))
		return db_pg_write_async(PG_DB(db), fn, arg, rerunnable, done, done_arg);
	return db_sqlite_write_async(SQ_DB(db), fn, arg, rerunnable, done, done_arg);
}

int db_write(struct db *db, db_write_fn fn, void *arg)
{
	return db_write_as(db, fn, arg, 0);
}

int db_write_rerunnable(struct db *db, db_write_fn fn, void *arg)
{
	return db_write_as(db, fn, arg, 1);
}

void db_stats(struct db *db, struct db_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!db)
		return;
	if (IS_PG(db))
		db_pg_stats(PG_DB(db), out);
	else
		db_sqlite_stats(SQ_DB(db), out);
}

void db_pool_stats(struct db *db, struct db_pool_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!db)
		return;
	if (IS_PG(db))
		db_pg_pool_stats(PG_DB(db), out);
	else
		db_sqlite_pool_stats(SQ_DB(db), out);
}

/* ---- statements ---- */

struct db_stmt *db_prepare(struct db_conn *c, const char *sql)
{
	if (!c || !sql)
		return NULL;
	if (IS_PG(c))
		return (struct db_stmt *)db_pg_prepare(PG_C(c), sql);
	return (struct db_stmt *)db_sqlite_prepare(SQ_C(c), sql);
}

int db_bind_int(struct db_stmt *s, int i, long long v)
{
	if (!s)
		return DB_ERROR;
	return IS_PG(s) ? db_pg_bind_int(PG_S(s), i, v) : db_sqlite_bind_int(SQ_S(s), i, v);
}

int db_bind_text(struct db_stmt *s, int i, const char *v)
{
	if (!s)
		return DB_ERROR;
	return IS_PG(s) ? db_pg_bind_text(PG_S(s), i, v) : db_sqlite_bind_text(SQ_S(s), i, v);
}

int db_bind_blob(struct db_stmt *s, int i, const void *p, size_t n)
{
	if (!s)
		return DB_ERROR;
	return IS_PG(s) ? db_pg_bind_blob(PG_S(s), i, p, n) : db_sqlite_bind_blob(SQ_S(s), i, p, n);
}

int db_bind_null(struct db_stmt *s, int i)
{
	if (!s)
		return DB_ERROR;
	return IS_PG(s) ? db_pg_bind_null(PG_S(s), i) : db_sqlite_bind_null(SQ_S(s), i);
}

int db_step(struct db_stmt *s)
{
	if (!s)
		return DB_ERROR;
	return IS_PG(s) ? db_pg_step(PG_S(s)) : db_sqlite_step(SQ_S(s));
}

int db_step_deferred(struct db_stmt *s)
{
	if (!s)
		return DB_ERROR;
	return IS_PG(s) ? db_pg_step_deferred(PG_S(s)) : db_sqlite_step(SQ_S(s));
}

long long db_col_int(struct db_stmt *s, int i)
{
	if (!s)
		return 0;
	return IS_PG(s) ? db_pg_col_int(PG_S(s), i) : db_sqlite_col_int(SQ_S(s), i);
}

const char *db_col_text(struct db_stmt *s, int i)
{
	if (!s)
		return NULL;
	return IS_PG(s) ? db_pg_col_text(PG_S(s), i) : db_sqlite_col_text(SQ_S(s), i);
}

const void *db_col_blob(struct db_stmt *s, int i, size_t *len)
{
	if (!s) {
		if (len)
			*len = 0;
		return NULL;
	}
	return IS_PG(s) ? db_pg_col_blob(PG_S(s), i, len) : db_sqlite_col_blob(SQ_S(s), i, len);
}

int db_col_is_null(struct db_stmt *s, int i)
{
	if (!s)
		return 1;
	return IS_PG(s) ? db_pg_col_is_null(PG_S(s), i) : db_sqlite_col_is_null(SQ_S(s), i);
}

void db_done(struct db_stmt *s)
{
	if (!s)
		return;
	if (IS_PG(s))
		db_pg_done(PG_S(s));
	else
		db_sqlite_done(SQ_S(s));
}

int db_exec(struct db_conn *c, const char *sql)
{
	if (!c || !sql)
		return DB_ERROR;
	return IS_PG(c) ? db_pg_exec(PG_C(c), sql) : db_sqlite_exec(SQ_C(c), sql);
}

int db_exec_deferred(struct db_conn *c, const char *sql)
{
	if (!c || !sql)
		return DB_ERROR;
	return IS_PG(c) ? db_pg_exec_deferred(PG_C(c), sql) : db_sqlite_exec(SQ_C(c), sql);
}

long long db_changes(struct db_conn *c)
{
	if (!c)
		return 0;
	return IS_PG(c) ? db_pg_changes(PG_C(c)) : db_sqlite_changes(SQ_C(c));
}

enum db_dialect db_conn_dialect(struct db_conn *c)
{
	return c ? c->dialect : DB_DIALECT_SQLITE;
}

int db_conn_in_txn(struct db_conn *c)
{
	if (!c)
		return 0;
	return IS_PG(c) ? db_pg_conn_in_txn(PG_C(c)) : db_sqlite_conn_in_txn(SQ_C(c));
}

int db_conn_last_error(struct db_conn *c)
{
	if (!c)
		return DB_ERROR;
	return IS_PG(c) ? db_pg_conn_last_error(PG_C(c)) : db_sqlite_conn_last_error(SQ_C(c));
}

void db_conn_reset_statements(struct db_conn *c)
{
	if (!c)
		return;
	if (IS_PG(c))
		db_pg_conn_reset_statements(PG_C(c));
	else
		db_sqlite_conn_reset_statements(SQ_C(c));
}

int db_step_int(struct db_stmt *s, long long *out)
{
	int rc;

	if (s == NULL)
		return DB_ERROR;
	rc = db_step(s);
	if (rc == DB_ROW)
		*out = db_col_int(s, 0);
	db_done(s);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : rc < 0 ? rc : DB_ERROR;
}

int db_run(struct db_stmt *s)
{
	int rc;

	if (s == NULL)
		return DB_ERROR;
	rc = db_step(s);
	db_done(s);
	return rc == DB_DONE ? 0 : rc < 0 ? rc : DB_ERROR;
}

int db_exec_cached(struct db_conn *c, const char *sql)
{
	struct db_stmt *s = db_prepare(c, sql);
	int rc;

	if (s == NULL)
		return DB_ERROR;
	rc = db_step(s);
	db_done(s);
	return rc == DB_DONE || rc == DB_ROW ? DB_OK : rc;
}

int db_exec_cached_int(struct db_conn *c, const char *sql, long long v)
{
	struct db_stmt *s = db_prepare(c, sql);
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, v) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	db_done(s);
	return rc == DB_DONE ? DB_OK : rc < 0 ? rc : DB_ERROR;
}

int db_conn_main_triggers(struct db_conn *c, int on)
{
	if (!c || IS_PG(c))
		return DB_ERROR;
	return db_sqlite_conn_main_triggers(SQ_C(c), on);
}

struct db_conn *db_index_open(struct db *db)
{
	if (!db || IS_PG(db))
		return NULL;
	return (struct db_conn *)db_sqlite_index_open(SQ_DB(db));
}

void db_index_close(struct db_conn *c)
{
	if (c && !IS_PG(c))
		db_sqlite_index_close(SQ_C(c));
}

int db_conn_observe_rows(struct db_conn *c, const struct db_row_observer *o)
{
	if (!c || IS_PG(c))
		return DB_ERROR;
	return db_sqlite_conn_observe_rows(SQ_C(c), o);
}

int db_row_int(struct db_conn *c, int col, long long *v)
{
	return c && !IS_PG(c) ? db_sqlite_row_int(SQ_C(c), col, v) : -1;
}

int db_row_text(struct db_conn *c, int col, const char **v)
{
	return c && !IS_PG(c) ? db_sqlite_row_text(SQ_C(c), col, v) : -1;
}

int db_conn_defer_sync(struct db_conn *c)
{
	if (!c)
		return DB_ERROR;
	return IS_PG(c) ? 0 : db_sqlite_conn_defer_sync(SQ_C(c));
}

long long db_last_insert_id(struct db_conn *c)
{
	return c && !IS_PG(c) ? db_sqlite_last_insert_id(SQ_C(c)) : 0;
}

int db_conn_sync(struct db_conn *c)
{
	if (!c)
		return DB_ERROR;
	return IS_PG(c) ? DB_OK : db_sqlite_conn_sync(SQ_C(c));
}

long long db_now(void)
{
	return (long long)time(NULL);
}
