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
 * and "postgres://…" or "postgresql://…" (libpq connection URIs: PostgreSQL
 * 15, READ COMMITTED, the same schema; several processes may share it).
 * Nothing above the store layer knows which engine it talks to.
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
/* Like db_open, with at most pool read connections (0 for the default,
 * LIMIT_DB_READ_CONNECTIONS; at most LIMIT_DB_POOL_MAX). */
int db_open_pool(const char *url, int pool, struct db **out, char *err, size_t errlen);
/* Stops the writer (after committing what is queued) and closes everything.
 * Every read connection must be back and no db_write() may start once
 * db_close() has begun; writes already waiting complete normally. */
void db_close(struct db *db);

/* Applies pending migrations in order, each in its own transaction.
 * Sets *applied to how many ran. Returns 0 or -1 with a reason. */
int db_migrate(struct db *db, int *applied, char *err, size_t errlen);
/* The same, stopping after version last: leaves a database at an older
 * version (to test a later migration on it). */
int db_migrate_upto(struct db *db, int last, int *applied, char *err, size_t errlen);
/* Returns 1 if every migration is applied, 0 if not, -1 on error. */
int db_migrations_current(struct db *db);

/* Copies the live database to path with SQLite's online backup API, safe
 * while the server writes. Returns 0 or -1 with a reason. The copy is one
 * consistent snapshot, has mode 0600 and has passed PRAGMA integrity_check;
 * an existing path is refused ("PATH exists"), a failed copy removed. */
int db_backup(struct db *db, const char *path, char *err, size_t errlen);

/* The embedded SQLite library's version, for `onramp version`. */
const char *db_engine_version(void);

#define DB_BATCH_BUCKETS 10  /* 1, 2, 4, … 512 jobs */

/* Counters of the group-commit writer, for tests and the health page. */
struct db_stats {
	unsigned long long groups;  /* transactions the writer committed */
	unsigned long long synced;  /* of those, the ones made durable (fsynced) */
	unsigned long long jobs;    /* db_write jobs the writer ran (committed or not) */
	unsigned long long queued;  /* jobs waiting for the writer right now */
	unsigned long long retries; /* jobs run again after DB_RETRY */
	unsigned long long shared;  /* committed groups whose jobs had no savepoint each
	                             * (SQLite, every job rerunnable) */
	unsigned long long reruns;  /* such groups rolled back for a failed job and run
	                             * again with a savepoint per job */
	/* Batches the writer took off its queue, by size: batches[i] counts
	 * those of at most 2^i jobs and more than 2^(i-1) (a histogram whose
	 * last bucket ends at LIMIT_DB_GROUP_MAX). */
	unsigned long long batches[DB_BATCH_BUCKETS];
	/* Where the jobs' time went, in microseconds summed over jobs: waiting
	 * in the writer's queue; from their group's start to its COMMIT
	 * (their own work, the group's other jobs, the commit); and from the
	 * COMMIT to the fsync that made it durable (SQLite, whose syncer
	 * fsyncs after COMMIT; on PostgreSQL the COMMIT waits for the disk
	 * itself and this stays 0). Divided by jobs: each part's mean. */
	unsigned long long queue_us, run_us, sync_wait_us;
	unsigned long long fsyncs;   /* the syncer's fsyncs (SQLite) */
	unsigned long long fsync_us; /* their time, summed */
};
/* Fills *out with a consistent snapshot of the counters. Thread-safe. */
void db_stats(struct db *db, struct db_stats *out);

/* The read pool's state, for /metrics. */
struct db_pool_stats {
	unsigned long long size;    /* most read connections (ONRAMP_DB_POOL) */
	unsigned long long open;    /* read connections open now */
	unsigned long long in_use;  /* of those, lent to a thread right now */
	unsigned long long waits;   /* borrowers that had to wait for one, ever */
};
/* Fills *out. Thread-safe. */
void db_pool_stats(struct db *db, struct db_pool_stats *out);

/* "sqlite" or "postgres": for logs, /metrics and the choice of where
 * limits that several processes must share are kept. */
const char *db_engine_name(struct db *db);
/* 1 if several processes may serve from this database at once (PostgreSQL),
 * so anything that must be exact across them has to live in it. */
int db_is_shared(struct db *db);
/* Checks that the database answers a trivial query now (a fresh round trip,
 * not a pooled connection's memory of one). Returns 0 or -1. */
int db_ping(struct db *db);

#endif
