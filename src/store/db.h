/*
 * db.h — the database handle, seen from outside the store layer.
 *
 * Only the store layer (src/store/) talks SQL or includes sqlite3.h; the
 * layers above hold a struct db * and call domain functions. The handle is
 * thread-safe: reads use a pool of read connections; all writes go to one
 * writer thread that commits them in groups (group commit: many requests
 * share one transaction and one fsync; each request's work runs in its own
 * savepoint so one failing request does not undo the others). A write
 * returns only after its group is durably committed.
 *
 * URLs: "sqlite:PATH" (WAL, busy timeout, foreign keys on, synchronous=FULL)
 * and, from the PostgreSQL issue on, "postgres://…".
 */
#ifndef ONRAMP_DB_H
#define ONRAMP_DB_H

#include <stddef.h>

struct db;

/* Checks a database URL's form without opening it. Returns 0, or -1 with a
 * one-line reason in err. */
int db_url_check(const char *url, char *err, size_t errlen);

/* Opens the database (creating an SQLite file if missing) and starts the
 * writer thread. Does not migrate. Returns 0 and *out, or -1 with a reason. */
int db_open(const char *url, struct db **out, char *err, size_t errlen);
/* Stops the writer (after committing what is queued) and closes everything.
 * Every read connection must be back and no db_write() may start once
 * db_close() has begun; writes already waiting complete normally. */
void db_close(struct db *db);

/* Applies pending migrations in order, each in its own transaction.
 * Sets *applied to how many ran. Returns 0 or -1 with a reason. */
int db_migrate(struct db *db, int *applied, char *err, size_t errlen);
/* Returns 1 if every migration is applied, 0 if not, -1 on error. */
int db_migrations_current(struct db *db);

/* Copies the live database to path with SQLite's online backup API, safe
 * while the server writes. Returns 0 or -1 with a reason. The copy is one
 * consistent snapshot, has mode 0600 and has passed PRAGMA integrity_check;
 * an existing path is refused ("PATH exists"), a failed copy removed. */
int db_backup(struct db *db, const char *path, char *err, size_t errlen);

/* The embedded SQLite library's version, for `onramp version`. */
const char *db_engine_version(void);

#endif
