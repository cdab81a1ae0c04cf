/*
 * store_ratelimit.c — the SQL of the shared hit counters (see
 * store_ratelimit.h).
 *
 * One statement per hit: an upsert that starts a new window, counts a hit
 * in the current one, or leaves a full window untouched, and returns the
 * row as it now is. Both engines run the same text (ON CONFLICT … DO UPDATE
 * … RETURNING). Rows of windows that ended long ago are removed now and
 * then by the same job, so the table holds about one row per recent key.
 *
 * Threading: no state of its own.
 */
#include "store/store_ratelimit.h"

#include <string.h>

#include "store/sql.h"

#define RATELIMIT_KEY_MAX    200
#define RATELIMIT_SWEEP_EVERY 1024  /* hits between sweeps of old rows (per process) */
#define RATELIMIT_KEEP_SECONDS (24 * 60 * 60)

struct ratelimit_job {
	const char *key;
	long long   window_start;
	long long   limit;
	int         sweep;
	long long   count;   /* out: hits in the window, this one included if allowed */
};

static int store_ratelimit_run(struct db_conn *c, void *arg)
{
	struct ratelimit_job *job = arg;
	struct db_stmt *s;
	int rc;

	s = db_prepare(c,
		"INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)"
		" ON CONFLICT (key) DO UPDATE SET"
		" count = CASE WHEN rate_limits.window_start = ?2"
		"  THEN rate_limits.count + (CASE WHEN rate_limits.count <= ?3 THEN 1 ELSE 0 END)"
		"  ELSE 1 END,"
		" window_start = ?2"
		" RETURNING count");
	if (!s)
		return DB_ERROR;
	if (db_bind_text(s, 1, job->key) != DB_OK || db_bind_int(s, 2, job->window_start) != DB_OK ||
	    db_bind_int(s, 3, job->limit) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		job->count = db_col_int(s, 0);
	db_done(s);
	if (rc != DB_ROW)
		return rc < 0 ? rc : DB_ERROR;
	if (!job->sweep)
		return 0;
	s = db_prepare(c, "DELETE FROM rate_limits WHERE window_start < ?");
	if (!s)
		return DB_ERROR;
	if (db_bind_int(s, 1, job->window_start - RATELIMIT_KEEP_SECONDS) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	db_done(s);
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
}

int store_ratelimit_hit(struct db *db, const char *key, unsigned limit, unsigned window_seconds,
                        long long now, unsigned *retry_after)
{
	static _Atomic unsigned long hits;
	struct ratelimit_job job;
	int rc;

	*retry_after = 0;
	if (!key || strlen(key) > RATELIMIT_KEY_MAX || window_seconds == 0)
		return DB_ERROR;
	memset(&job, 0, sizeof(job));
	job.key = key;
	job.window_start = now - now % (long long)window_seconds;
	job.limit = limit;
	job.sweep = ++hits % RATELIMIT_SWEEP_EVERY == 0;
	/* The count rises to limit + 1 at most: hits 1..limit are allowed,
	 * and a window at limit + 1 refuses every further hit (not counted,
	 * so the number stays bounded). */
	rc = db_write(db, store_ratelimit_run, &job);
	if (rc < 0)
		return rc;
	if (job.count > (long long)limit) {
		*retry_after = (unsigned)(job.window_start + window_seconds - now);
		if (*retry_after == 0)
			*retry_after = 1;
	}
	return 0;
}
