/*
 * db_engine.h — how the one database interface (db.h, sql.h) reaches the
 * engine behind it. Engine files and db.c only; area files never include it.
 *
 * Every handle the interface gives out (struct db, struct db_conn, struct
 * db_stmt) begins with the dialect of the engine that made it. Each engine
 * file defines its own structures with that header as their first member
 * (struct sq_conn { struct db_conn base; … }), so a pointer to the header
 * is a pointer to the engine's structure. db.c reads the dialect and calls
 * the engine's function of the same name: db_prepare() → db_sqlite_prepare()
 * or db_pg_prepare(). A switch, not a table of pointers: there are two
 * engines, and the compiler checks every call.
 *
 * The engine functions below have exactly the contracts documented for the
 * db_* function of the same suffix in db.h and sql.h.
 */
#ifndef ONRAMP_DB_ENGINE_H
#define ONRAMP_DB_ENGINE_H

#include <stddef.h>

#include "store/sql.h"

struct db {
	enum db_dialect     dialect;
	struct db_extension search;  /* db_search_extension */
};
struct db_conn { enum db_dialect dialect; };
struct db_stmt { enum db_dialect dialect; };

/* ---- SQLite (db_sqlite.c) ---- */

struct sq_db;
struct sq_conn;
struct sq_stmt;

/* Opens the SQLite file at path (created 0600 if missing) with up to pool
 * read connections. Returns 0 and *out, or -1 with a reason in err. */
int db_sqlite_open(const char *path, int pool, struct sq_db **out, char *err, size_t errlen);
void db_sqlite_close(struct sq_db *db);
struct sq_conn *db_sqlite_read_begin(struct sq_db *db);
void db_sqlite_read_end(struct sq_db *db, struct sq_conn *c);
int db_sqlite_write(struct sq_db *db, db_write_fn fn, void *arg, int rerunnable);
int db_sqlite_write_async(struct sq_db *db, db_write_fn fn, void *arg, int rerunnable,
                          db_done_fn done, void *done_arg);
void db_sqlite_stats(struct sq_db *db, struct db_stats *out);
void db_sqlite_pool_stats(struct sq_db *db, struct db_pool_stats *out);
int db_sqlite_backup(struct sq_db *db, const char *path, char *err, size_t errlen);
const char *db_sqlite_version(void);

struct sq_conn *db_sqlite_index_open(struct sq_db *db);
void db_sqlite_index_close(struct sq_conn *c);
struct sq_stmt *db_sqlite_prepare(struct sq_conn *c, const char *sql);
int  db_sqlite_bind_int(struct sq_stmt *s, int i, long long v);
int  db_sqlite_bind_text(struct sq_stmt *s, int i, const char *v);
int  db_sqlite_bind_blob(struct sq_stmt *s, int i, const void *p, size_t n);
int  db_sqlite_bind_null(struct sq_stmt *s, int i);
int  db_sqlite_step(struct sq_stmt *s);
long long   db_sqlite_col_int(struct sq_stmt *s, int i);
const char *db_sqlite_col_text(struct sq_stmt *s, int i);
const void *db_sqlite_col_blob(struct sq_stmt *s, int i, size_t *len);
int  db_sqlite_col_is_null(struct sq_stmt *s, int i);
void db_sqlite_done(struct sq_stmt *s);
int  db_sqlite_exec(struct sq_conn *c, const char *sql);
long long db_sqlite_changes(struct sq_conn *c);
int  db_sqlite_conn_in_txn(struct sq_conn *c);
int  db_sqlite_conn_last_error(struct sq_conn *c);
void db_sqlite_conn_reset_statements(struct sq_conn *c);
int  db_sqlite_conn_main_triggers(struct sq_conn *c, int on);
int  db_sqlite_conn_observe_rows(struct sq_conn *c, const struct db_row_observer *o);
int  db_sqlite_row_int(struct sq_conn *c, int col, long long *v);
int  db_sqlite_row_text(struct sq_conn *c, int col, const char **v);
int  db_sqlite_conn_defer_sync(struct sq_conn *c);
long long db_sqlite_last_insert_id(struct sq_conn *c);
int  db_sqlite_conn_sync(struct sq_conn *c);

/* ---- PostgreSQL (db_postgres.c) ---- */

struct pg_db;
struct pg_conn;
struct pg_stmt;

/* Connects to the postgres:// URL: one writer connection now, up to pool
 * read connections on demand. Returns 0 and *out, or -1 with a reason. */
int db_pg_open(const char *url, int pool, struct pg_db **out, char *err, size_t errlen);
void db_pg_close(struct pg_db *db);
struct pg_conn *db_pg_read_begin(struct pg_db *db);
void db_pg_read_end(struct pg_db *db, struct pg_conn *c);
int db_pg_write(struct pg_db *db, db_write_fn fn, void *arg, int rerunnable);
int db_pg_write_async(struct pg_db *db, db_write_fn fn, void *arg, int rerunnable,
                      db_done_fn done, void *done_arg);
void db_pg_stats(struct pg_db *db, struct db_stats *out);
void db_pg_pool_stats(struct pg_db *db, struct db_pool_stats *out);
int db_pg_ping(struct pg_db *db);

struct pg_stmt *db_pg_prepare(struct pg_conn *c, const char *sql);
int  db_pg_bind_int(struct pg_stmt *s, int i, long long v);
int  db_pg_bind_text(struct pg_stmt *s, int i, const char *v);
int  db_pg_bind_blob(struct pg_stmt *s, int i, const void *p, size_t n);
int  db_pg_bind_null(struct pg_stmt *s, int i);
int  db_pg_step(struct pg_stmt *s);
int  db_pg_step_deferred(struct pg_stmt *s);
long long   db_pg_col_int(struct pg_stmt *s, int i);
const char *db_pg_col_text(struct pg_stmt *s, int i);
const void *db_pg_col_blob(struct pg_stmt *s, int i, size_t *len);
int  db_pg_col_is_null(struct pg_stmt *s, int i);
void db_pg_done(struct pg_stmt *s);
int  db_pg_exec(struct pg_conn *c, const char *sql);
int  db_pg_exec_deferred(struct pg_conn *c, const char *sql);
long long db_pg_changes(struct pg_conn *c);
int  db_pg_conn_in_txn(struct pg_conn *c);
int  db_pg_conn_last_error(struct pg_conn *c);
void db_pg_conn_reset_statements(struct pg_conn *c);

#endif
