/*
 * sql.h — the store layer's own interface to a database engine.
 *
 * Only files in src/store/ include this. Area files (store_people.c,
 * store_users.c, …) write constant SQL text with "?" parameters and run it
 * through these calls; the engine files (db_sqlite.c, later db_postgres.c)
 * implement them. Where the dialects differ, an area file picks the text by
 * db_conn_dialect(). No SQL text is ever built from input.
 *
 * Reads: db_read_begin() lends a pooled read connection to one thread;
 * db_read_end() gives it back. Writes: db_write() runs a callback on the one
 * writer connection inside a savepoint of a group transaction and returns
 * when that transaction is durably committed (see db.h).
 *
 * Statements are cached per connection, keyed by the SQL text's address, so
 * pass string literals. A statement from db_prepare() is reset and unbound;
 * finish with db_done() before preparing the same SQL again on the connection.
 */
#ifndef ONRAMP_SQL_H
#define ONRAMP_SQL_H

#include <stddef.h>

#include "store/db.h"

struct db_conn;
struct db_stmt;

enum db_rc {
	DB_OK         = 0,
	DB_ROW        = 100,  /* db_step: a row is ready */
	DB_DONE       = 101,  /* db_step: no more rows */
	DB_ERROR      = -1,   /* anything else (logged where it happened) */
	DB_CONSTRAINT = -2,   /* a UNIQUE/FOREIGN KEY/CHECK constraint failed */
	DB_FULL       = -3,   /* disk full or I/O error: the caller answers 503 */
	DB_RETRY      = -4,   /* a concurrent transaction got in the way (PostgreSQL:
	                       * serialization failure, deadlock; or a job's own
	                       * "claimed meanwhile by another node"): a top-level
	                       * job returning it is run again by the writer in a
	                       * fresh savepoint, up to LIMIT_DB_JOB_RETRIES times */
};

enum db_dialect { DB_DIALECT_SQLITE, DB_DIALECT_POSTGRES };

/* Lends a read connection (blocks while all LIMIT_DB_READ_CONNECTIONS are
 * out). Never NULL. Return it with db_read_end(). Read connections refuse
 * writes (SQLite: PRAGMA query_only); db_read_end() resets any statement
 * left running, so no caller holds an old snapshot. */
struct db_conn *db_read_begin(struct db *db);
void db_read_end(struct db *db, struct db_conn *c);

/* A unit of writing work. Returns >= 0 to keep its changes (the value is
 * passed back by db_write), < 0 to roll them back (its savepoint only). */
typedef int (*db_write_fn)(struct db_conn *c, void *arg);

/* Runs fn(c, arg) on the writer thread inside its own savepoint of a group
 * transaction; returns fn's value once the group is committed, fn's negative
 * value if fn failed, or DB_ERROR / DB_FULL if the commit failed (then none of
 * fn's changes exist). Blocks the calling thread, not the writer. */
int db_write(struct db *db, db_write_fn fn, void *arg);

/* As db_write, for a job that may run more than once for one call: only
 * its last run's changes and value count. Each run must set every output
 * it reports and change nothing outside the database. On SQLite a group
 * made only of such jobs shares its transaction without a savepoint per
 * job; if one of them fails, the group is rolled back and run again with a
 * savepoint each, so a failure still undoes its own job and no other. */
int db_write_rerunnable(struct db *db, db_write_fn fn, void *arg);

/* What an asynchronous write calls once its outcome is final: result is
 * what db_write would have returned. Called exactly once, on one of the
 * store's own threads (the writer's or the syncer's), after the group is
 * durable; it must be quick and must not write to the database itself (a
 * hand-off: wake a connection, post a semaphore). */
typedef void (*db_done_fn)(void *done_arg, int result);

/* As db_write (db_write_rerunnable if rerunnable), but returns at once: 0
 * once fn is queued — done(done_arg, result) follows — or < 0 if it could
 * not be (then done is never called). fn and arg must stay valid until
 * done is called. For callers that must not block their thread (the HTTP
 * layer's event loop). */
int db_write_async(struct db *db, db_write_fn fn, void *arg, int rerunnable, db_done_fn done,
                   void *done_arg);

/* Work a job may leave for the end of its group: fn(c, key) runs once per
 * distinct (fn, key), on the writer thread, after the group's last job and
 * before its COMMIT, outside every job's savepoint. It must be idempotent
 * and read what it needs from the database (a job that asked for it may
 * have been rolled back since). If it fails, the whole group fails as if
 * its COMMIT had. Called outside a writer job (a CLI connection, a test),
 * or when the group's list is full, fn runs at once. Returns fn's value or
 * DB_OK. Used where a per-job cost can be paid once per group: the search
 * index, whose FTS5 table writes its pending terms out at every savepoint
 * (see store_people_fts_insert). */
typedef int (*db_defer_fn)(struct db_conn *c, long long key);
int db_write_defer(struct db_conn *c, db_defer_fn fn, long long key);

/* Statement lifecycle: prepare (cached), bind (1-based), step, read columns
 * (0-based), done. db_prepare returns NULL on error (logged). */
struct db_stmt *db_prepare(struct db_conn *c, const char *sql);
int  db_bind_int(struct db_stmt *s, int i, long long v);
int  db_bind_text(struct db_stmt *s, int i, const char *v);        /* NULL binds NULL */
int  db_bind_blob(struct db_stmt *s, int i, const void *p, size_t n); /* NULL binds NULL */
int  db_bind_null(struct db_stmt *s, int i);
int  db_step(struct db_stmt *s);                 /* DB_ROW, DB_DONE, or < 0 */
/* For a statement that returns no rows, inside a write job, when the job
 * needs nothing from it but "done or failed" (not its db_changes()): the
 * engine may send it without waiting for its answer (PostgreSQL: libpq's
 * pipeline mode; SQLite runs it at once). Returns DB_DONE or < 0; a
 * failure may instead be returned by the job's next db_step() or by the
 * writer's end of the job, never by another job's call. Finish with
 * db_done() as usual; the bound values are already copied. */
int  db_step_deferred(struct db_stmt *s);
long long   db_col_int(struct db_stmt *s, int i);
const char *db_col_text(struct db_stmt *s, int i); /* NULL for SQL NULL; valid until next step/done */
const void *db_col_blob(struct db_stmt *s, int i, size_t *len);
int  db_col_is_null(struct db_stmt *s, int i);
void db_done(struct db_stmt *s);                 /* reset and clear bindings */
/* Steps s (prepared and bound; NULL is a failed db_prepare) for one integer
 * in column 0 — a count, a RETURNING id, a PRAGMA — and finishes it with
 * db_done. Returns 1 and *out, 0 if there was no row, or < 0. */
int  db_step_int(struct db_stmt *s, long long *out);
/* Steps s (prepared and bound; NULL is a failed db_prepare), a statement
 * that returns no rows, and finishes it with db_done. Returns 0 or < 0. */
int  db_run(struct db_stmt *s);

/* Runs constant SQL without parameters or rows (schema). Returns DB_OK or < 0. */
int db_exec(struct db_conn *c, const char *sql);
/* Rows changed by the last INSERT/UPDATE/DELETE on c. */
long long db_changes(struct db_conn *c);
/* SQLite: the rowid of the last row an INSERT on c added (not counting
 * rows added by triggers). 0 on PostgreSQL, where an insert that needs its
 * id says RETURNING. A hot insert uses this on SQLite because RETURNING
 * makes SQLite collect the statement's output (and open a statement
 * journal inside a savepoint) before the first row comes back. */
long long db_last_insert_id(struct db_conn *c);
enum db_dialect db_conn_dialect(struct db_conn *c);

/* Current time in whole seconds since the epoch (UTC); every stored
 * timestamp is this, as an INTEGER/BIGINT column. */
long long db_now(void);

/* db_stats() and db_pool_stats() are in db.h. */

/*
 * Engine internals — called only by the engine files (db_sqlite.c,
 * db_writer.c, db_migrate.c, later db_postgres.c), never by area files.
 */

/* db_exec for one statement whose failure the caller may learn from the
 * next call on c that waits for an answer (the writer's SAVEPOINT). */
int db_exec_deferred(struct db_conn *c, const char *sql);
/* 1 if c is inside an open transaction, 0 if it is in autocommit mode (for
 * instance because the engine rolled a transaction back by itself after
 * SQLITE_FULL or an I/O error). */
int db_conn_in_txn(struct db_conn *c);
/* The enum db_rc of the most recent failure on c (DB_OK if none yet). */
int db_conn_last_error(struct db_conn *c);
/* Runs one constant statement without parameters through c's statement
 * cache, for statements on a hot path that db_exec would parse and plan
 * again each time (the writer's BEGIN/SAVEPOINT/COMMIT, the counters'
 * per-group flush). Returns DB_OK (done, or a row ignored) or < 0. */
int db_exec_cached(struct db_conn *c, const char *sql);
/* The same for a constant statement with one integer parameter (?1 = v)
 * and no rows: an INSERT, UPDATE or DELETE keyed by an id. Returns DB_OK
 * or < 0. */
int db_exec_cached_int(struct db_conn *c, const char *sql, long long v);
/* Resets every statement of c still running (a caller forgot db_done), so
 * no read snapshot or write stays open; logs each one. */
void db_conn_reset_statements(struct db_conn *c);
/* SQLite: turns the triggers of the main schema on (1) or off (0) for c
 * alone; TEMP triggers always fire (store_counters.c). Cached statements
 * are prepared again. Returns DB_OK, or DB_ERROR on PostgreSQL. */
int db_conn_main_triggers(struct db_conn *c, int on);
/* The engine of db. */
enum db_dialect db_dialect(struct db *db);
/* A slot in db for state an area file keeps per database (the search
 * indexer, store_search_queue.c): NULL until set. db_close calls
 * close(state) first, while the writer still runs. The caller guards
 * setting it. */
struct db_extension {
	void  *state;
	void (*close)(void *state);
};
struct db_extension *db_search_extension(struct db *db);
/* SQLite: a connection of the search indexer's own (store_search_queue.c):
 * the database, with the search index beside it attached as schema
 * "search" (where people_fts lives); writes to the main schema are refused.
 * NULL on failure (logged) or on PostgreSQL. Closed with db_index_close. */
struct db_conn *db_index_open(struct db *db);
void db_index_close(struct db_conn *c);
/* SQLite: a callback told of every row change on one connection, before
 * the change (SQLite's preupdate hook): store_counters.c counts with it.
 * change() may read the row with db_row_int/db_row_text, nothing else.
 * mark() says how much change() has recorded and undo(mark) forgets what
 * it recorded since: a statement that fails midway is undone by SQLite
 * (its statement journal), so db_step undoes its recorded changes too. A
 * savepoint rolled back or a transaction's rollback is the caller's to
 * undo (the writer does it for its job savepoints and groups). */
enum db_row_op { DB_ROW_INSERT, DB_ROW_DELETE, DB_ROW_UPDATE };
struct db_row_observer {
	void   (*change)(void *arg, struct db_conn *c, enum db_row_op op, const char *table);
	size_t (*mark)(void *arg);
	void   (*undo)(void *arg, size_t mark);
	void    *arg;
};
/* o (which must outlive its use) sees every change of a row of the main
 * schema on c from now on; NULL stops it. DB_OK, or DB_ERROR on PostgreSQL. */
int db_conn_observe_rows(struct db_conn *c, const struct db_row_observer *o);
/* Inside change(): column col (0-based, in table order) of the row as it
 * will be (insert, update) or as it was (delete). 0 and the value (text
 * NULL for SQL NULL), or -1. */
int db_row_int(struct db_conn *c, int col, long long *v);
int db_row_text(struct db_conn *c, int col, const char **v);
/* Durability apart from COMMIT, for the writer (db_writer.c). SQLite: c's
 * COMMITs stop waiting for fsync (synchronous=NORMAL, still crash-safe),
 * and db_conn_sync(c) makes everything committed so far durable — it
 * touches no SQLite state, so another thread may call it while the writer
 * runs the next group. Returns 1 if so, 0 if the engine's COMMIT is
 * durable by itself (PostgreSQL), or < 0. */
int db_conn_defer_sync(struct db_conn *c);
/* fdatasync of c's WAL (DB_OK at once where COMMIT is durable). One thread
 * only. Returns DB_OK or DB_ERROR. */
int db_conn_sync(struct db_conn *c);

/* The group-commit writer (db_writer.c). It owns c from start to stop:
 * every use of c happens on its thread. */
struct db_writer;
/* Starts the writer thread on c. Returns 0 and *out, or -1 (logged). */
int db_writer_start(struct db_conn *c, struct db_writer **out);
/* Queues fn and waits for its group to commit; the contract of db_write()
 * (of db_write_rerunnable() if rerunnable). Called from the writer thread
 * itself (a job writing through db_write), it runs fn at once in a nested
 * savepoint of the running job. */
int db_writer_submit(struct db_writer *w, db_write_fn fn, void *arg, int rerunnable);
/* Queues fn without waiting (db_write_async's contract). */
int db_writer_submit_async(struct db_writer *w, db_write_fn fn, void *arg, int rerunnable,
                           db_done_fn done, void *done_arg);
/* Refuses new jobs, runs and commits every queued one, joins the thread and
 * frees w (a caller woken from db_writer_submit() touches only its own job).
 * c stays open (the caller closes it). */
void db_writer_stop(struct db_writer *w);
void db_writer_stats(struct db_writer *w, struct db_stats *out);
/* The most jobs the writer runs in one group on an engine of this dialect
 * (LIMIT_DB_GROUP_MAX or LIMIT_DB_GROUP_MAX_PG; see db_writer.c). */
size_t db_writer_group_max(enum db_dialect dialect);

/* The migrations, in order (schema.c). Each is one or more statements of
 * constant SQL for the dialect; applied in one transaction each and recorded
 * in schema_migrations(version). */
struct migration {
	int         version;
	const char *name;
	const char *sqlite;
	const char *postgres;
};
extern const struct migration migrations[];
extern const size_t migrations_count;

/* Migration 7, shared rate limits (schema_ratelimit.c): rate_limits. */
extern const char schema_v7_ratelimit_sqlite[];
extern const char schema_v7_ratelimit_postgres[];
/* Migration 8, the people list at scale (schema_search.c): people_state_name. */
extern const char schema_v8_search[];
extern const char schema_v9_search_queue_sqlite[];
extern const char schema_v9_search_queue_postgres[];
extern const char schema_v10_first_stage[];
extern const char schema_v11_stage_events_from[];
extern const char schema_v12_search_log_sqlite[];
extern const char schema_v12_search_log_postgres[];
/* Migration 14, volunteers' queue sizes (schema_pipeline.c). */
extern const char schema_v14_volunteer_load_sqlite[];
extern const char schema_v14_volunteer_load_postgres[];
/* Migration 2, security (schema_security.c): TOTP columns, login_pending. */
extern const char schema_v2_security_sqlite[];
extern const char schema_v2_security_postgres[];

#endif
