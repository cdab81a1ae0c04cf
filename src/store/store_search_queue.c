/*
 * store_search_queue.c — keeps SQLite's people search index (people_fts)
 * current in bulk: a changed person is queued in the same transaction as
 * the change, and queued people are indexed many at a time.
 *
 * Why: FTS5 writes a new segment of its index (and merges older ones) at
 * every commit it takes part in. Indexing each group commit's few dozen
 * people cost a busy intake a quarter of its writer's time; the same rows
 * indexed thousands at a time cost a fraction of that per person (see
 * bench/README.md).
 *
 * How:
 * - store_search_queue_add(c, id), inside the writer job that changed
 *   person id, inserts id into people_fts_pending (a no-op if queued) — so
 *   the queue is exactly as durable as the change — and leaves
 *   store_search_queue_drain_due() for the end of the group.
 * - store_search_queue_drain_due() indexes the queue once it holds
 *   LIMIT_SEARCH_QUEUE_DRAIN_AT people: at most LIMIT_SEARCH_QUEUE_CHUNK
 *   people per commit, in one FTS5 segment.
 * - store_search_catch_up(db), called before a search reads people_fts,
 *   indexes whatever is queued (a chunk per writer job) so that a search
 *   always sees every committed change, whatever the queue held.
 * Indexing a person is store_people_fts_refresh(): it reads their current
 * name, contacts and ZIP, so indexing twice, or a person changed again
 * since they were queued, gives the same row; a person merged away or
 * deleted since is simply dropped from the queue (the merge removed their
 * row).
 *
 * PostgreSQL has no queue: its search rows (people_search, a GIN-indexed
 * tsvector) are written in the changing transaction, where they cost
 * little; store_search_queue_add() refreshes at once there.
 *
 * Threading: no state of its own; the queue is a table, so every process
 * sharing the database (the server, the CLI) sees and drains one queue.
 */
#include "store/store_search_queue.h"

#include <stdlib.h>

#include "lib/limits.h"
#include "store/sql.h"
#include "store/store_people.h"

static int store_search_queue_count(struct db_conn *c, long long *n)
{
	return db_step_int(db_prepare(c, "SELECT count(*) FROM people_fts_pending"), n);
}

/* Indexes up to max queued people (lowest ids first) and takes them off
 * the queue; *drained is how many. Runs on the writer's connection. */
static int store_search_queue_drain(struct db_conn *c, long long max, long long *drained)
{
	struct db_stmt *s;
	long long *ids, n = 0, i;
	int rc = DB_DONE;

	*drained = 0;
	ids = malloc((size_t)max * sizeof(*ids));
	if (ids == NULL)
		return DB_ERROR;
	s = db_prepare(c, "SELECT person_id FROM people_fts_pending ORDER BY person_id LIMIT ?");
	if (s == NULL || db_bind_int(s, 1, max) != DB_OK) {
		if (s)
			db_done(s);
		free(ids);
		return DB_ERROR;
	}
	while (n < max && (rc = db_step(s)) == DB_ROW)
		ids[n++] = db_col_int(s, 0);
	db_done(s);
	if (n < max && rc != DB_DONE) {
		free(ids);
		return rc < 0 ? rc : DB_ERROR;
	}
	for (i = 0; i < n; i++)
		if ((rc = store_people_fts_refresh(c, ids[i])) < 0) {
			free(ids);
			return rc;
		}
	/* the queue is only added to by writer jobs: nothing joined it below
	 * ids[n - 1] while this ran */
	rc = n > 0 ? db_exec_cached_int(c, "DELETE FROM people_fts_pending WHERE person_id <= ?",
	                                ids[n - 1]) : 0;
	free(ids);
	if (rc == 0)
		*drained = n;
	return rc;
}

/* db_write_defer work: the end of a group that queued someone. */
static int store_search_queue_drain_due(struct db_conn *c, long long key)
{
	long long n = 0, drained;
	int rc;

	(void)key;
	if ((rc = store_search_queue_count(c, &n)) < 0)
		return rc;
	if (n < LIMIT_SEARCH_QUEUE_DRAIN_AT)
		return 0;
	return store_search_queue_drain(c, LIMIT_SEARCH_QUEUE_CHUNK, &drained);
}

int store_search_queue_add(struct db_conn *c, long long id)
{
	int rc;

	if (db_conn_dialect(c) == DB_DIALECT_POSTGRES)
		return store_people_fts_refresh(c, id);
	rc = db_exec_cached_int(c, "INSERT OR IGNORE INTO people_fts_pending (person_id) VALUES (?)", id);
	if (rc < 0)
		return rc;
	return db_write_defer(c, store_search_queue_drain_due, 0);
}

/* Writer job: one chunk of the queue; arg is the long long it drained. */
static int store_search_catch_up_run(struct db_conn *c, void *arg)
{
	return store_search_queue_drain(c, LIMIT_SEARCH_QUEUE_CHUNK, arg);
}

int store_search_queued(struct db *db, long long *n)
{
	struct db_conn *c = db_read_begin(db);
	int rc;

	*n = 0;
	if (c == NULL)
		return DB_ERROR;
	rc = db_conn_dialect(c) == DB_DIALECT_POSTGRES ? 0 : store_search_queue_count(c, n);
	db_read_end(db, c);
	return rc < 0 ? rc : 0;
}

int store_search_catch_up(struct db *db)
{
	long long n, drained;
	int rc;

	if ((rc = store_search_queued(db, &n)) < 0)
		return rc;
	/* a chunk per job, so a long queue (after an import) does not hold one
	 * group's callers for all of it */
	while (n > 0) {
		drained = 0;
		if ((rc = db_write(db, store_search_catch_up_run, &drained)) < 0)
			return rc;
		n = drained == LIMIT_SEARCH_QUEUE_CHUNK ? 1 : 0;
	}
	return 0;
}
