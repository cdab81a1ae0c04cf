/*
 * db_writer.c — the group-commit writer: one thread, one connection.
 *
 * Every write in Onramp goes through db_write(), which queues a job here and
 * waits. The writer thread takes up to its group cap of queued jobs at a
 * time and runs them in one transaction:
 *
 *   BEGIN IMMEDIATE
 *     SAVEPOINT j; fn(c, arg); RELEASE j            (fn returned >= 0)
 *     SAVEPOINT j; fn(c, arg); ROLLBACK TO j; RELEASE j   (fn returned < 0)
 *     …
 *   COMMIT                                           (one fsync for all)
 *
 * then wakes the group's callers. On SQLite the fsync is not COMMIT's: the
 * connection commits with synchronous=NORMAL (the frames are written to the
 * WAL, still crash-safe) and hands the group's jobs to the syncer thread,
 * which fsyncs the WAL once for every group committed since its last fsync
 * and only then wakes their callers (db_conn_defer_sync, db_conn_sync). The
 * writer runs the next group meanwhile: the disk's flush no longer stalls
 * it. Other connections may read a group a moment before it is durable; no
 * caller hears of it before. On PostgreSQL the SAVEPOINT is not
 * waited for (db_exec_deferred): it is sent with the job's first statement
 * that needs an answer, and the job's deferred statements
 * (db_step_deferred) with its RELEASE — RELEASE and ROLLBACK TO always
 * wait, so a job's failure is known before the next job starts.
 * While one group commits, the next one
 * queues up, so under load many requests share each fsync; with one request
 * at a time a group is that one job and nothing waits for a timer.
 *
 * Shared groups: on SQLite a group made only of rerunnable jobs
 * (db_write_rerunnable) runs without the per-job savepoints:
 *
 *   BEGIN IMMEDIATE; fn1(c, arg1); fn2(c, arg2); …; COMMIT
 *
 * A savepoint costs SQLite a copy of every page the job touches that an
 * earlier job of the group had already changed (about 5 us of writer time
 * per intake lead). If a job fails there, nothing can undo it alone: the
 * writer rolls the whole group back and runs it again the careful way
 * above, every job in its own savepoint, so a failure still costs only the
 * failing job its changes. On PostgreSQL a deferred statement's failure is
 * reported later, perhaps to another job, so groups there always use
 * savepoints.
 *
 * The group cap depends on the engine: LIMIT_DB_GROUP_MAX on SQLite, where
 * a savepoint is cheap; LIMIT_DB_GROUP_MAX_PG on PostgreSQL, where each
 * job's savepoint that writes is a subtransaction, and a transaction with
 * more than 64 of them overflows the server's per-backend subtransaction
 * cache: every other session's snapshot check then has to read pg_subtrans,
 * which slows the whole server down, not just this group.
 *
 * Invariants:
 * - Only the writer thread touches the connection between start and stop.
 * - A job's result is final only once its group's COMMIT has returned and
 *   (SQLite) the syncer's fsync after it: a caller never hears "done" for
 *   changes that are not durable. If that fsync fails, the group's callers
 *   hear DB_ERROR and every later write is refused until a restart (after a
 *   failed fsync the kernel may have dropped the pages it could not write,
 *   so a later fsync that succeeds proves nothing). If BEGIN or
 *   COMMIT fails, or the engine drops the transaction by itself (SQLite may
 *   after SQLITE_FULL or an I/O error), every job whose changes were lost
 *   gets DB_FULL or DB_ERROR; jobs that had failed keep their own value.
 * - A top-level job that returns DB_RETRY (a concurrent transaction of
 *   another process got in the way: PostgreSQL's serialization failure or
 *   deadlock, or a row the job expected to claim was committed meanwhile by
 *   another node) is rolled back to its savepoint and run again, up to
 *   LIMIT_DB_JOB_RETRIES times; each run starts a new statement, so it sees
 *   what the other process committed (READ COMMITTED) and, for a signup,
 *   merges into the person that now exists. If jobs before it share its
 *   transaction, they are committed first and it opens the next one: the
 *   rows they locked may be what the other process waits for, and then a
 *   rerun beside them would deadlock again every time.
 * - A job submitted from the writer thread (a job calling db_write) runs at
 *   once in a nested savepoint of the running job instead of queueing behind
 *   itself.
 * - Work deferred by a job (db_write_defer) runs once per group after the
 *   last job and before COMMIT; if it fails, the group is rolled back and
 *   every job in it hears DB_ERROR or DB_FULL, as when COMMIT fails.
 * - A waiting caller's job lives on its stack (the caller blocks until it
 *   is done), so queueing allocates nothing; an asynchronous one
 *   (db_write_async) is allocated here, and freed after its callback.
 *
 * Threading: mu guards the queue, the counters and stopping; smu the
 * syncer's list of committed jobs (the writer appends, the syncer takes the
 * whole list). Each job has
 * its own semaphore: the writer posts it after the group's COMMIT, outside
 * mu, so a woken caller never contends for mu with the writer (or with the
 * rest of its group) and touches nothing of the writer once it wakes — only
 * its own job, on its own stack. Waking is each caller's only cost to the
 * writer: one futex wake. The engine is reached only through sql.h (db_exec and the
 * db_conn_* internals), so this file is the same for every engine.
 */
#include "store/sql.h"

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/limits.h"
#include "lib/log.h"
#include "store/store_counters.h"

struct db_job {
	db_write_fn     fn;
	void           *arg;
	int             result;    /* final when done is posted */
	int             rerunnable; /* db_write_rerunnable: fn may run again */
	sem_t           done;      /* posted by the writer once, after the commit */
	db_done_fn      notify;    /* db_write_async: called instead, then the job freed */
	void           *notify_arg;
	struct db_job  *next;
	/* When it was queued and when its group committed (writer_now_us):
	 * for the time counters of db_stats. */
	long long       queued_us, committed_us;
};

/* A monotonic clock in microseconds, for the writer's time counters. */
static long long writer_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Hands a finished job back: posts its waiting caller, or (asynchronous)
 * tells its callback and frees it. A job is its caller's again once
 * posted: nothing of it may be read after. */
static void writer_job_finish(struct db_job *job)
{
	if (job->notify) {
		job->notify(job->notify_arg, job->result);
		free(job);
		return;
	}
	sem_post(&job->done);
}

struct writer_deferred {
	db_defer_fn fn;
	long long   key;
};

struct db_writer {
	struct db_conn     *c;
	struct store_counters *counters; /* the compliance counts of the open group */
	unsigned long long  retries;  /* job reruns after DB_RETRY (under mu) */
	unsigned long long  shared;   /* groups committed without job savepoints (under mu) */
	unsigned long long  reruns;   /* such groups run again, one savepoint per job (under mu) */
	pthread_t           thread;
	pthread_mutex_t     mu;
	pthread_cond_t      wake;    /* the writer waits for jobs or stop */
	struct db_job      *head, *tail;
	size_t              queued;
	int                 writer_waiting; /* the writer sleeps on wake (under mu) */
	int                 stopping;
	unsigned long long  groups, jobs;
	unsigned long long  batches[DB_BATCH_BUCKETS];
	/* Time, in microseconds summed over jobs (under mu): in the queue,
	 * from their group's start to its commit, from the commit to the
	 * fsync that made it durable (the syncer's engines); and the
	 * syncer's fsyncs and their time. */
	unsigned long long  queue_us, run_us, sync_wait_us, fsyncs, fsync_us;
	/* Writer thread only. */
	int                 txn_broken;  /* a rollback failed: do not commit */
	size_t              group_max;   /* jobs per group: the engine's cap */
	struct db_job      *batch[LIMIT_DB_GROUP_MAX];
	/* Deferred work of the running transaction (db_write_defer). */
	struct writer_deferred deferred[LIMIT_DB_DEFERRED];
	size_t              ndeferred;
	/* The syncer (engines whose COMMIT does not wait for fsync: SQLite).
	 * smu guards the list of committed jobs waiting for the next fsync and
	 * sync_stopping; synced (under mu) counts groups made durable. */
	int                 sync_deferred;
	pthread_t           syncer;
	pthread_mutex_t     smu;
	pthread_cond_t      sync_wake;
	struct db_job      *sync_head, *sync_tail;
	unsigned long long  sync_groups;   /* groups in the list (under smu) */
	int                 sync_stopping;
	_Atomic int         sync_failed;   /* an fsync failed: refuse every write */
	unsigned long long  synced;
};

_Static_assert(LIMIT_DB_GROUP_MAX_PG <= LIMIT_DB_GROUP_MAX,
               "the writer's batch array holds the larger cap");

/* The SQL of one level of savepoint: top-level jobs use "j", jobs nested
 * inside a running job use "n" (distinct names keep logs readable; SQLite
 * would also resolve equal names to the innermost). */
struct writer_savepoint {
	const char *begin;
	const char *release;
	const char *rollback_to;
};

static const struct writer_savepoint writer_sp_job = {
	"SAVEPOINT j", "RELEASE SAVEPOINT j", "ROLLBACK TO SAVEPOINT j",
};
static const struct writer_savepoint writer_sp_nested = {
	"SAVEPOINT n", "RELEASE SAVEPOINT n", "ROLLBACK TO SAVEPOINT n",
};

/* Set on the writer thread to its writer, so a nested db_write is seen. */
static _Thread_local struct db_writer *writer_current;

static const char *writer_begin_sql(struct db_conn *c)
{
	/* IMMEDIATE takes SQLite's write lock at once, so a second process
	 * (the CLI) waits on the busy timeout at BEGIN rather than failing
	 * with SQLITE_BUSY halfway through a group. */
	return db_conn_dialect(c) == DB_DIALECT_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN";
}

/* Runs one of the writer's own constant statements on its hot path (BEGIN,
 * SAVEPOINT, RELEASE, COMMIT). On SQLite it goes through the statement
 * cache: sqlite3_exec would parse and plan it again for every job. Returns
 * DB_OK or < 0, as db_exec. */
static int writer_exec(struct db_conn *c, const char *sql)
{
	if (db_conn_dialect(c) != DB_DIALECT_SQLITE)
		return db_exec(c, sql);
	return db_exec_cached(c, sql);
}

/* Runs fn in a savepoint on c. Returns fn's value if its changes were kept,
 * else the negative reason. Sets w->txn_broken when fn's changes could not
 * be undone (the transaction must then not commit). */
static int writer_run_job(struct db_writer *w, const struct writer_savepoint *sp,
                          db_write_fn fn, void *arg, int top_level)
{
	struct db_conn *c = w->c;
	size_t mark = store_counters_mark(w->counters);
	int rc, r;

	/* SQLite: through the statement cache (writer_exec). PostgreSQL:
	 * deferred, so the SAVEPOINT travels with the job's first statement
	 * that waits for an answer, or with its RELEASE. */
	if (db_conn_dialect(c) == DB_DIALECT_SQLITE)
		rc = writer_exec(c, sp->begin);
	else
		rc = db_exec_deferred(c, sp->begin);
	if (rc < 0)
		return rc;
	rc = fn(c, arg);
	/* A statement left running would hold the savepoint open (RELEASE
	 * fails with "statements in progress"); a nested job must not touch
	 * the statements its outer job may still be stepping. */
	if (top_level)
		db_conn_reset_statements(c);
	if (!db_conn_in_txn(c))
		return rc < 0 ? rc : DB_ERROR;  /* the group loop fails the rest */
	if (rc >= 0) {
		r = writer_exec(c, sp->release);
		if (r == DB_OK)
			return rc;
		rc = r;
		if (!db_conn_in_txn(c))
			return rc;
	}
	if (db_exec(c, sp->rollback_to) != DB_OK || db_exec(c, sp->release) != DB_OK) {
		log_error("store: could not undo a failed write; its group is rolled back");
		w->txn_broken = 1;
	}
	store_counters_undo(w->counters, mark);  /* the job's counts went with its rows */
	return rc;
}

/* Runs the deferred work of the open transaction, in the order it was
 * asked for, and empties the list. Returns DB_OK or the first failure. */
static int writer_run_deferred(struct db_writer *w)
{
	size_t i, n = w->ndeferred;
	int rc = DB_OK;

	w->ndeferred = 0;
	for (i = 0; i < n && rc >= 0; i++)
		rc = w->deferred[i].fn(w->c, w->deferred[i].key);
	db_conn_reset_statements(w->c);
	return rc < 0 ? rc : DB_OK;
}

int db_write_defer(struct db_conn *c, db_defer_fn fn, long long key)
{
	struct db_writer *w = writer_current;
	size_t i;

	if (w == NULL || w->c != c || w->ndeferred == LIMIT_DB_DEFERRED)
		return fn(c, key);
	for (i = 0; i < w->ndeferred; i++)
		if (w->deferred[i].fn == fn && w->deferred[i].key == key)
			return DB_OK;
	w->deferred[w->ndeferred].fn = fn;
	w->deferred[w->ndeferred].key = key;
	w->ndeferred++;
	return DB_OK;
}

/* 1 if jobs[0..n) may share their transaction without a savepoint each:
 * every one rerunnable, on SQLite, where a statement's failure is known
 * when it returns, so it is the failing job's own (PostgreSQL's deferred
 * statements report theirs later, possibly to the next job). */
static int writer_may_share(struct db_conn *c, struct db_job **jobs, size_t n)
{
	size_t k;

	if (db_conn_dialect(c) != DB_DIALECT_SQLITE)
		return 0;
	for (k = 0; k < n; k++)
		if (!jobs[k]->rerunnable)
			return 0;
	return 1;
}

/* Runs jobs[0..n) one after another in the open transaction, without
 * savepoints. Returns 0 if every one succeeded (its result set), or -1 at
 * the first failure: nothing undoes that job alone, so the caller rolls
 * the transaction back and runs them all again the careful way. */
static int writer_run_shared(struct db_writer *w, struct db_job **jobs, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		jobs[k]->result = jobs[k]->fn(w->c, jobs[k]->arg);
		db_conn_reset_statements(w->c);
		if (jobs[k]->result < 0 || w->txn_broken || !db_conn_in_txn(w->c))
			return -1;
	}
	return 0;
}

/* Rolls the open transaction back (if the engine has not already) and
 * forgets its compliance counts. */
static void writer_rollback(struct db_writer *w)
{
	if (db_conn_in_txn(w->c))
		(void)db_exec(w->c, "ROLLBACK");
	store_counters_undo(w->counters, 0);
}

/* What running one batch did, added to the writer's counters under mu. */
struct writer_tally {
	unsigned long long groups;   /* transactions committed */
	unsigned long long shared;   /* of those, without job savepoints */
	unsigned long long reruns;   /* shared runs undone and run again */
	unsigned long long retries;  /* job reruns after DB_RETRY */
};

/* Runs jobs[0..n) in as few transactions as possible (one unless the engine
 * drops one) and stores each job's result. Counts what it did in *t.
 * Writer thread only. */
static void writer_run_group(struct db_writer *w, struct db_job **jobs, size_t n,
                             struct writer_tally *t)
{
	struct db_conn *c = w->c;
	size_t i = 0, start, k;
	int rc, lost, share = writer_may_share(c, jobs, n), shared;

	while (i < n) {
		start = i;
		shared = 0;
		w->txn_broken = 0;
		w->ndeferred = 0;
		rc = writer_exec(c, writer_begin_sql(c));
		if (rc >= 0)
			rc = store_counters_group_begin(w->counters, c);
		if (rc < 0) {
			rc = rc == DB_FULL ? DB_FULL : DB_ERROR;
			writer_rollback(w);
			for (k = start; k < n; k++)
				jobs[k]->result = rc;
			return;
		}
		lost = 0;
		if (share) {
			if (writer_run_shared(w, jobs + start, n - start) == 0) {
				i = n;
				shared = 1;
			} else {
				/* the failed job's changes are mixed with the
				 * others': undo them all, then run every job again
				 * in its own savepoint (they are rerunnable) */
				writer_rollback(w);
				share = 0;
				t->reruns++;
				continue;
			}
		}
		while (i < n && !lost) {
			int tries = 0, split = 0;

			for (;;) {
				jobs[i]->result = writer_run_job(w, &writer_sp_job, jobs[i]->fn,
				                                 jobs[i]->arg, 1);
				if (jobs[i]->result != DB_RETRY || w->txn_broken ||
				    !db_conn_in_txn(c) || tries == LIMIT_DB_JOB_RETRIES)
					break;
				t->retries++;
				if (i > start) {
					/* the jobs before it hold their locks until
					 * COMMIT, and the other transaction may be
					 * waiting for one of them: run again here, this
					 * job would meet the same wait (a deadlock each
					 * time). Commit them; it starts the next
					 * transaction. */
					split = 1;
					break;
				}
				tries++;
			}
			if (split)
				break;
			i++;
			if (w->txn_broken || !db_conn_in_txn(c))
				lost = 1;
		}
		if (lost) {
			/* Everything since BEGIN is gone (or must go): the jobs
			 * that succeeded learn their changes do not exist. The
			 * jobs after this one start a new transaction. */
			rc = db_conn_last_error(c) == DB_FULL ? DB_FULL : DB_ERROR;
			writer_rollback(w);
			for (k = start; k < i; k++)
				if (jobs[k]->result >= 0)
					jobs[k]->result = rc;
			log_error("store: a write transaction was rolled back; %zu job(s) lost",
			          i - start);
			continue;
		}
		rc = writer_run_deferred(w);
		if (rc >= 0)
			rc = store_counters_group_end(w->counters, c);
		if (rc >= 0)
			rc = writer_exec(c, "COMMIT");
		if (rc < 0) {
			/* e.g. a deferred foreign key: not the other jobs'
			 * constraint, so they hear a plain error */
			rc = rc == DB_FULL ? DB_FULL : DB_ERROR;
			log_error("store: COMMIT (or the group's deferred work) failed;"
			          " %zu job(s) lost", i - start);
			writer_rollback(w);
			for (k = start; k < i; k++)
				if (jobs[k]->result >= 0)
					jobs[k]->result = rc;
			continue;
		}
		t->groups++;
		t->shared += (unsigned long long)shared;
	}
}

/* Hands a run group's jobs (committed or not) to the syncer, which posts
 * them after its next fsync. Writer thread. */
static void writer_hand_to_syncer(struct db_writer *w, struct db_job **jobs, size_t n,
                                  unsigned long long groups)
{
	size_t k;

	for (k = 0; k + 1 < n; k++)
		jobs[k]->next = jobs[k + 1];
	jobs[n - 1]->next = NULL;
	pthread_mutex_lock(&w->smu);
	if (w->sync_tail)
		w->sync_tail->next = jobs[0];
	else
		w->sync_head = jobs[0];
	w->sync_tail = jobs[n - 1];
	w->sync_groups += groups;
	pthread_cond_signal(&w->sync_wake);
	pthread_mutex_unlock(&w->smu);
}

/* The syncer thread: one fsync for every group committed since the last,
 * then the callers of all of them are woken. The writer meanwhile runs the
 * next group, so the disk's flush overlaps the next group's work instead of
 * stalling it. */
static void *writer_syncer_main(void *p)
{
	struct db_writer *w = p;
	struct db_job *list, *job, *next;
	unsigned long long groups, wait;
	long long t0, t1;
	int rc;

	(void)pthread_setname_np(pthread_self(), "onramp-syncer");  /* for top -H and the bench */
	pthread_mutex_lock(&w->smu);
	for (;;) {
		while (!w->sync_head && !w->sync_stopping)
			pthread_cond_wait(&w->sync_wake, &w->smu);
		if (!w->sync_head)
			break;  /* stopping, and everything handed over is synced */
		list = w->sync_head;
		groups = w->sync_groups;
		w->sync_head = w->sync_tail = NULL;
		w->sync_groups = 0;
		pthread_mutex_unlock(&w->smu);

		/* Every job in list was committed (its frames written) before
		 * it was handed over: this fsync covers them all. */
		t0 = writer_now_us();
		rc = db_conn_sync(w->c);
		t1 = writer_now_us();
		for (wait = 0, job = list; job; job = job->next)
			wait += (unsigned long long)(t1 - job->committed_us);
		if (rc < 0 && !w->sync_failed) {
			log_error("store: the database could not be synced to disk; every write"
			          " fails from now on (restart the server once the disk is fixed)");
			w->sync_failed = 1;
		}
		pthread_mutex_lock(&w->mu);
		if (rc >= 0)
			w->synced += groups;
		w->fsyncs++;
		w->fsync_us += (unsigned long long)(t1 - t0);
		w->sync_wait_us += wait;
		pthread_mutex_unlock(&w->mu);
		for (job = list; job; job = next) {
			/* A job is its caller's again once posted: read it first. */
			next = job->next;
			if (rc < 0 && job->result >= 0)
				job->result = DB_ERROR;  /* committed, but not known durable */
			writer_job_finish(job);
		}
		pthread_mutex_lock(&w->smu);
	}
	pthread_mutex_unlock(&w->smu);
	return NULL;
}

static void *writer_main(void *p)
{
	struct db_writer *w = p;
	struct writer_tally t;
	size_t n, k;
	struct db_job *job;
	long long start, end;
	unsigned long long queue_us;

	(void)pthread_setname_np(pthread_self(), "onramp-writer");  /* for top -H and the bench */
	writer_current = w;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->head && !w->stopping) {
			w->writer_waiting = 1;
			pthread_cond_wait(&w->wake, &w->mu);
			w->writer_waiting = 0;
		}
		if (!w->head)
			break;  /* stopping, and the queue is drained */
		for (n = 0; n < w->group_max && w->head; n++) {
			job = w->head;
			w->head = job->next;
			w->batch[n] = job;
		}
		if (!w->head)
			w->tail = NULL;
		w->queued -= n;
		pthread_mutex_unlock(&w->mu);

		start = writer_now_us();
		for (queue_us = 0, k = 0; k < n; k++)
			queue_us += (unsigned long long)(start - w->batch[k]->queued_us);
		memset(&t, 0, sizeof(t));
		if (w->sync_failed) {
			for (k = 0; k < n; k++)
				w->batch[k]->result = DB_ERROR;
		} else {
			writer_run_group(w, w->batch, n, &t);
		}
		end = writer_now_us();
		for (k = 0; k < n; k++)
			w->batch[k]->committed_us = end;

		pthread_mutex_lock(&w->mu);
		w->queue_us += queue_us;
		w->run_us += (unsigned long long)(end - start) * n;
		w->groups += t.groups;
		if (!w->sync_deferred)
			w->synced += t.groups;  /* COMMIT was the fsync */
		w->jobs += n;
		w->retries += t.retries;
		w->shared += t.shared;
		w->reruns += t.reruns;
		for (k = 0; k + 1 < DB_BATCH_BUCKETS && ((size_t)1 << k) < n; k++)
			;
		w->batches[k]++;
		pthread_mutex_unlock(&w->mu);
		if (w->sync_deferred) {
			writer_hand_to_syncer(w, w->batch, n, t.groups);
		} else {
			/* A job is its caller's again once posted: read nothing
			 * of it after. */
			for (k = 0; k < n; k++)
				writer_job_finish(w->batch[k]);
		}
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	writer_current = NULL;
	return NULL;
}

/* Stops the syncer once it has synced and posted everything handed to it. */
static void writer_stop_syncer(struct db_writer *w)
{
	int rc;

	if (!w->sync_deferred)
		return;
	pthread_mutex_lock(&w->smu);
	w->sync_stopping = 1;
	pthread_cond_signal(&w->sync_wake);
	pthread_mutex_unlock(&w->smu);
	rc = pthread_join(w->syncer, NULL);
	if (rc != 0)
		log_error("store: joining the syncer thread: %s", strerror(rc));
}

size_t db_writer_group_max(enum db_dialect dialect)
{
	return dialect == DB_DIALECT_POSTGRES ? LIMIT_DB_GROUP_MAX_PG : LIMIT_DB_GROUP_MAX;
}

int db_writer_start(struct db_conn *c, struct db_writer **out)
{
	struct db_writer *w;
	sigset_t all, old;
	int rc, src;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w) {
		log_error("store: out of memory starting the writer");
		return -1;
	}
	w->c = c;
	w->group_max = db_writer_group_max(db_conn_dialect(c));
	if ((w->counters = store_counters_new()) == NULL)
		goto fail_mem;
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		goto fail_mem;
	if (pthread_cond_init(&w->wake, NULL) != 0)
		goto fail_mu;
	if (pthread_mutex_init(&w->smu, NULL) != 0)
		goto fail_wake;
	if (pthread_cond_init(&w->sync_wake, NULL) != 0)
		goto fail_smu;
	rc = db_conn_defer_sync(c);
	if (rc < 0) {
		log_error("store: cannot set up the writer's syncing");
		goto fail_sync_wake;
	}
	w->sync_deferred = rc;
	/* Signals go to the main thread, never to the writer mid-commit. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	src = w->sync_deferred ? pthread_create(&w->syncer, NULL, writer_syncer_main, w) : 0;
	rc = src == 0 ? pthread_create(&w->thread, NULL, writer_main, w) : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (src != 0) {
		log_error("store: cannot start the syncer thread: %s", strerror(src));
		goto fail_sync_wake;
	}
	if (rc != 0) {
		log_error("store: cannot start the writer thread: %s", strerror(rc));
		writer_stop_syncer(w);
		goto fail_sync_wake;
	}
	*out = w;
	return 0;

fail_sync_wake:
	pthread_cond_destroy(&w->sync_wake);
fail_smu:
	pthread_mutex_destroy(&w->smu);
fail_wake:
	pthread_cond_destroy(&w->wake);
fail_mu:
	pthread_mutex_destroy(&w->mu);
fail_mem:
	store_counters_free(w->counters);
	free(w);
	return -1;
}

/* Appends job to the queue and wakes the writer if it sleeps. 0, or -1
 * (logged) when the writer is stopping. */
static int writer_enqueue(struct db_writer *w, struct db_job *job)
{
	job->queued_us = writer_now_us();  /* outside mu: every caller queues under it */
	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		log_error("store: write refused: the database is closing");
		return -1;
	}
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	w->queued++;
	/* While the writer runs a group it does not sleep: no wake needed. */
	if (w->writer_waiting)
		pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int db_writer_submit(struct db_writer *w, db_write_fn fn, void *arg, int rerunnable)
{
	struct db_job job;

	if (!w || !fn)
		return DB_ERROR;
	if (writer_current == w)
		return writer_run_job(w, &writer_sp_nested, fn, arg, 0);

	memset(&job, 0, sizeof(job));
	job.fn = fn;
	job.arg = arg;
	job.rerunnable = rerunnable;
	if (sem_init(&job.done, 0, 0) != 0) {
		log_error("store: cannot queue a write: no semaphore");
		return DB_ERROR;
	}
	if (writer_enqueue(w, &job) < 0) {
		sem_destroy(&job.done);
		return DB_ERROR;
	}
	/* The writer drains its queue before it stops, so this always returns. */
	while (sem_wait(&job.done) != 0)
		;  /* EINTR */
	sem_destroy(&job.done);
	return job.result;
}

int db_writer_submit_async(struct db_writer *w, db_write_fn fn, void *arg, int rerunnable,
                           db_done_fn done, void *done_arg)
{
	struct db_job *job;

	if (!w || !fn || !done)
		return DB_ERROR;
	if (writer_current == w) {
		/* a job submitting another: it runs now, nested, as db_write's would */
		done(done_arg, writer_run_job(w, &writer_sp_nested, fn, arg, 0));
		return 0;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		log_error("store: cannot queue a write: out of memory");
		return DB_ERROR;
	}
	job->fn = fn;
	job->arg = arg;
	job->rerunnable = rerunnable;
	job->notify = done;
	job->notify_arg = done_arg;
	if (writer_enqueue(w, job) < 0) {
		free(job);
		return DB_ERROR;
	}
	return 0;
}

void db_writer_stop(struct db_writer *w)
{
	int rc;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);

	rc = pthread_join(w->thread, NULL);
	if (rc != 0)
		log_error("store: joining the writer thread: %s", strerror(rc));
	/* The writer handed its last group over before it ended. */
	writer_stop_syncer(w);

	/* Every job is done and posted; a woken caller touches only its own
	 * job, so the writer can go. */
	pthread_cond_destroy(&w->sync_wake);
	pthread_mutex_destroy(&w->smu);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->mu);
	(void)db_conn_observe_rows(w->c, NULL);
	store_counters_free(w->counters);
	free(w);
}

void db_writer_stats(struct db_writer *w, struct db_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	out->groups = w->groups;
	out->synced = w->synced;
	out->jobs = w->jobs;
	out->queued = w->queued;
	out->retries = w->retries;
	out->shared = w->shared;
	out->reruns = w->reruns;
	memcpy(out->batches, w->batches, sizeof(out->batches));
	out->queue_us = w->queue_us;
	out->run_us = w->run_us;
	out->sync_wait_us = w->sync_wait_us;
	out->fsyncs = w->fsyncs;
	out->fsync_us = w->fsync_us;
	pthread_mutex_unlock(&w->mu);
}
