/*
 * store_search_queue.c — SQLite's people search index (FTS5, people_fts):
 * kept in its own file beside the database by an indexer with its own
 * thread and connection, fed by a log the writer appends to.
 *
 * Why: indexing in the writer's transactions cost the intake a quarter of
 * its one writer thread (FTS5 tokenizes, writes index segments at every
 * commit it joins, and merges them), and SQLite lets one connection at a
 * time write a database file. In a file of its own the index has its own
 * write lock: the indexer writes it while the writer writes the database,
 * each on its own core.
 *
 * How:
 * - store_search_queue_add(c, id), inside the writer job that changed
 *   person id, appends (seq, id) to people_fts_log: the change and its log
 *   row commit together, so the log is exactly as durable as the change.
 * - The indexer's connection (db_index_open) reads the database and
 *   writes only the index file, attached as schema "search" (readers
 *   attach it too, so queries name people_fts unqualified). It takes log
 *   rows in order, a chunk at a time, re-indexes each person named (their
 *   current name, contacts and ZIP, or no row once they are gone; a new
 *   person's row carries their text, which is indexed as it is), and in
 *   the same transaction of the index file records the last seq done
 *   (search_state 'position'), so a position on disk is never ahead of the
 *   index. Those commits do not wait for the disk (lost in a crash, they
 *   are done again from the log); every LIMIT_SEARCH_QUEUE_CHUNK rows one
 *   synchronous commit makes them all durable, and only then does the
 *   writer trim the log below the position (one row stays, so seq never
 *   restarts).
 * - A new index file (or one of another version, or one whose position is
 *   past the log's end — a database restored from a backup beside an
 *   index of its later self) is rebuilt: emptied, its position set to the
 *   log's end as of that moment, every person indexed in id order, a chunk
 *   per transaction ('rebuild_next' remembers where), then the log from
 *   that position on. A person changed meanwhile is indexed twice, which
 *   gives the same row.
 * - store_search_catch_up(db), before a search reads people_fts, indexes
 *   the log up to its end as of the call, so a search sees every committed
 *   change; the background thread (store_search_start) keeps that short.
 *
 * PostgreSQL has no indexer: its search rows (people_search, a GIN-indexed
 * tsvector) are written in the changing transaction, where they cost
 * little; store_search_queue_add() refreshes at once there.
 *
 * Threading: one indexer per struct db (kept in db's search slot, freed by
 * db_close); its mutex guards its connection and state, so the thread and
 * the searches' catch-ups take turns, a chunk at a time. The log trim is a
 * db_write from whichever of them indexed (the writer never waits for the
 * indexer, so that cannot deadlock).
 */
#include "store/store_search_queue.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/limits.h"
#include "lib/log.h"
#include "store/sql.h"
#include "store/store_people.h"

/* The index file's layout; another value means: rebuild. */
#define SEARCH_INDEX_VERSION 1
/* The background thread's nap once it has caught up with the log. */
#define SEARCH_IDLE_MS 250
/* Its nap after a failure (the disk is full, say), before trying again. */
#define SEARCH_RETRY_MS 1000
/* Its niceness: it yields to the threads a request waits for. */
#define SEARCH_NICE 10

static const char search_schema_sql[] =
	"CREATE VIRTUAL TABLE IF NOT EXISTS search.people_fts USING fts5("
	" name, contact, zip,"
	" tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');"
	"CREATE TABLE IF NOT EXISTS search.search_state ("
	" k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;";

struct search_indexer {
	struct db       *db;
	pthread_mutex_t  mu;           /* everything below */
	pthread_cond_t   cv;           /* wakes the thread to stop */
	pthread_t        thread;
	int              thread_on;
	int              stopping;
	struct db_conn  *c;            /* db_index_open, opened at first use */
	int              ready;        /* the index file was checked */
	long long        position;     /* the last log seq indexed */
	long long        rebuild_next; /* the next person id of a rebuild, or -1 */
	long long        trimmed;      /* the log was trimmed below this */
	long long        indexed_max;  /* no id above this has a row in the index */
	int              failing;      /* the last step failed (logged once) */
};

/* Creating a db's indexer: once, whoever asks first. */
static pthread_mutex_t search_create_mu = PTHREAD_MUTEX_INITIALIZER;

static long long search_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the index file's state ---- */

static int search_state_get(struct db_conn *c, const char *k, long long *v)
{
	struct db_stmt *s = db_prepare(c, "SELECT v FROM search.search_state WHERE k = ?");

	if (s == NULL || db_bind_text(s, 1, k) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return db_step_int(s, v);
}

static int search_state_set(struct db_conn *c, const char *k, long long v)
{
	struct db_stmt *s = db_prepare(c, "INSERT INTO search.search_state (k, v) VALUES (?, ?)"
	                                  " ON CONFLICT (k) DO UPDATE SET v = excluded.v");

	if (s == NULL || db_bind_text(s, 1, k) != DB_OK || db_bind_int(s, 2, v) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return db_run(s);
}

/* The log's last seq (0 when empty). */
static int search_log_end(struct db_conn *c, long long *end)
{
	int rc = db_step_int(db_prepare(c, "SELECT coalesce(max(seq), 0) FROM main.people_fts_log"),
	                     end);

	return rc == 1 ? 0 : rc < 0 ? rc : DB_ERROR;
}

/* Runs fn in one transaction of the index connection (reading the
 * database's latest snapshot, writing the index file). */
static int search_txn(struct search_indexer *ix, int (*fn)(struct search_indexer *, long long *),
                      long long *out)
{
	int rc;

	if ((rc = db_exec(ix->c, "BEGIN")) < 0)
		return rc;
	rc = fn(ix, out);
	db_conn_reset_statements(ix->c);
	if (rc >= 0 && (rc = db_exec(ix->c, "COMMIT")) >= 0)
		return rc;
	if (db_conn_in_txn(ix->c))
		(void)db_exec(ix->c, "ROLLBACK");
	return rc;
}

/* Empties the index and starts a rebuild from the log's end as of now. */
static int search_rebuild_start(struct search_indexer *ix, long long *unused)
{
	long long end = 0;
	int rc;

	(void)unused;
	if ((rc = search_log_end(ix->c, &end)) < 0 ||
	    (rc = db_exec(ix->c, "DROP TABLE IF EXISTS search.people_fts")) < 0 ||
	    (rc = db_exec(ix->c, search_schema_sql)) < 0 ||
	    (rc = search_state_set(ix->c, "version", SEARCH_INDEX_VERSION)) < 0 ||
	    (rc = search_state_set(ix->c, "position", end)) < 0 ||
	    (rc = search_state_set(ix->c, "rebuild_next", 0)) < 0)
		return rc;
	ix->position = end;
	ix->rebuild_next = 0;
	ix->trimmed = 0;
	ix->indexed_max = 0;
	return 0;
}

/* Reads the index file's state, and starts a rebuild when the file is new,
 * of another version, or ahead of the log. */
static int search_setup(struct search_indexer *ix)
{
	long long version = 0, position = 0, next = -1, end = 0;
	int rc, has_version, has_position, has_next;

	if ((ix->c = ix->c ? ix->c : db_index_open(ix->db)) == NULL)
		return DB_ERROR;
	if ((rc = db_exec(ix->c, search_schema_sql)) < 0 ||
	    (has_version = search_state_get(ix->c, "version", &version)) < 0 ||
	    (has_position = search_state_get(ix->c, "position", &position)) < 0 ||
	    (has_next = search_state_get(ix->c, "rebuild_next", &next)) < 0 ||
	    (rc = search_log_end(ix->c, &end)) < 0)
		return rc < 0 ? rc : DB_ERROR;
	if (!has_version || version != SEARCH_INDEX_VERSION || !has_position || position > end) {
		if (has_version)
			log_info("store: rebuilding the search index (%s)",
			         version != SEARCH_INDEX_VERSION ? "another version"
			                                         : "it is ahead of this database");
		if ((rc = search_txn(ix, search_rebuild_start, NULL)) < 0)
			return rc;
	} else {
		ix->position = position;
		ix->rebuild_next = has_next ? next : -1;
		ix->trimmed = 0;
		rc = db_step_int(db_prepare(ix->c, "SELECT coalesce(max(rowid), 0) FROM search.people_fts"),
		                 &ix->indexed_max);
		if (rc < 0)
			return rc;
	}
	ix->ready = 1;
	return 0;
}

/* ---- indexing a chunk ---- */

/* One chunk of a rebuild: the next people in id order. *n: how many. */
static int search_rebuild_chunk(struct search_indexer *ix, long long *n)
{
	struct db_stmt *s;
	long long *ids, k = 0, i;
	int rc;

	*n = 0;
	if ((ids = malloc(LIMIT_SEARCH_QUEUE_CHUNK * sizeof(*ids))) == NULL)
		return DB_ERROR;
	s = db_prepare(ix->c, "SELECT id FROM main.people WHERE id >= ? ORDER BY id LIMIT ?");
	if (s == NULL || db_bind_int(s, 1, ix->rebuild_next) != DB_OK ||
	    db_bind_int(s, 2, LIMIT_SEARCH_QUEUE_CHUNK) != DB_OK) {
		db_done(s);
		free(ids);
		return DB_ERROR;
	}
	while ((rc = db_step(s)) == DB_ROW)
		ids[k++] = db_col_int(s, 0);
	db_done(s);
	for (i = 0; rc == DB_DONE && i < k; i++)
		if (store_people_fts_refresh(ix->c, ids[i]) < 0)
			rc = DB_ERROR;
	if (rc == DB_DONE && k > 0 && ids[k - 1] > ix->indexed_max)
		ix->indexed_max = ids[k - 1];
	if (rc == DB_DONE)
		rc = k == LIMIT_SEARCH_QUEUE_CHUNK
		     ? search_state_set(ix->c, "rebuild_next", ids[k - 1] + 1)
		     : db_exec(ix->c, "DELETE FROM search.search_state WHERE k = 'rebuild_next'");
	if (rc >= 0)
		ix->rebuild_next = k == LIMIT_SEARCH_QUEUE_CHUNK ? ids[k - 1] + 1 : -1;
	free(ids);
	if (rc < 0)
		return rc;
	*n = k;
	return 0;
}

/* One log row, its text copied out of the statement. */
struct search_entry {
	long long seq;
	long long id;
	char     *text[3];  /* name, contact, zip: a new person's, else NULL */
};

static int search_cmp_entry(const void *a, const void *b)
{
	const struct search_entry *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Indexes a new person from the text their log row carries: no row to
 * remove, nothing to read back. */
static int search_insert_text(struct search_indexer *ix, const struct search_entry *e)
{
	struct db_stmt *s = db_prepare(ix->c, "INSERT INTO search.people_fts (rowid, name, contact,"
	                                      " zip) VALUES (?, ?, ?, ?)");

	if (s == NULL || db_bind_int(s, 1, e->id) != DB_OK || db_bind_text(s, 2, e->text[0]) != DB_OK ||
	    db_bind_text(s, 3, e->text[1]) != DB_OK || db_bind_text(s, 4, e->text[2]) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return db_run(s);
}

/* One chunk of the log: the people named after the position, each once,
 * in id order. A person whose only rows in the chunk carry their text and
 * who is past every id the index holds is new to it: indexed from that
 * text. Anyone else is indexed from the database as it is now. *n: how
 * many log rows. */
static int search_log_chunk(struct search_indexer *ix, long long *n)
{
	struct search_entry *e;
	struct db_stmt *s;
	long long k = 0, i, g, last = ix->position;
	int rc, col, fresh;
	const char *v;

	*n = 0;
	if ((e = calloc(LIMIT_SEARCH_QUEUE_CHUNK, sizeof(*e))) == NULL)
		return DB_ERROR;
	s = db_prepare(ix->c, "SELECT seq, person_id, name, contact, zip FROM main.people_fts_log"
	                      " WHERE seq > ? ORDER BY seq LIMIT ?");
	if (s == NULL || db_bind_int(s, 1, ix->position) != DB_OK ||
	    db_bind_int(s, 2, LIMIT_SEARCH_QUEUE_CHUNK) != DB_OK) {
		db_done(s);
		free(e);
		return DB_ERROR;
	}
	while ((rc = db_step(s)) == DB_ROW) {
		last = e[k].seq = db_col_int(s, 0);
		e[k].id = db_col_int(s, 1);
		for (col = 0; col < 3 && !db_col_is_null(s, 2); col++)
			if ((v = db_col_text(s, 2 + col)) == NULL || (e[k].text[col] = strdup(v)) == NULL)
				rc = DB_ERROR;
		k++;
		if (rc == DB_ERROR)
			break;
	}
	db_done(s);
	qsort(e, (size_t)k, sizeof(*e), search_cmp_entry);
	for (i = 0; rc == DB_DONE && i < k; i = g) {
		fresh = e[i].id > ix->indexed_max;
		for (g = i; g < k && e[g].id == e[i].id; g++)
			fresh = fresh && e[g].text[0] != NULL;
		if (fresh ? search_insert_text(ix, &e[g - 1]) < 0
		          : store_people_fts_refresh(ix->c, e[i].id) < 0)
			rc = DB_ERROR;
		else if (e[i].id > ix->indexed_max)
			ix->indexed_max = e[i].id;
	}
	if (rc == DB_DONE && k > 0)
		rc = search_state_set(ix->c, "position", last);
	for (i = 0; i < k; i++)
		for (col = 0; col < 3; col++)
			free(e[i].text[col]);
	free(e);
	if (rc < 0)
		return rc;
	if (k > 0)
		ix->position = last;
	*n = k;
	return 0;
}

/* Makes every index commit so far durable (one synchronous commit: the
 * index file's WAL is fsynced), before the log below the position may go.
 * The index's other commits need not wait for the disk: lost in a crash,
 * they are redone from the log. */
static int search_position_again(struct search_indexer *ix, long long *unused)
{
	(void)unused;
	return search_state_set(ix->c, "position", ix->position);
}

static int search_sync_point(struct search_indexer *ix)
{
	int rc;

	/* (the safety level cannot change inside a transaction) */
	if ((rc = db_exec(ix->c, "PRAGMA search.synchronous=FULL")) < 0)
		return rc;
	rc = search_txn(ix, search_position_again, NULL);
	if (db_exec(ix->c, "PRAGMA search.synchronous=NORMAL") < 0 && rc >= 0)
		rc = DB_ERROR;
	return rc;
}

/* Writer job: drops the log rows the index no longer needs (one stays:
 * the log's end must never go back, or seq would start again). */
static int search_trim_run(struct db_conn *c, void *arg)
{
	return db_exec_cached_int(c, "DELETE FROM people_fts_log WHERE seq < ?", *(long long *)arg);
}

/* Indexes one chunk (of the rebuild, else of the log). Returns how many
 * people or log rows it took (0: nothing pending), or < 0. Lock held. */
static int search_step(struct search_indexer *ix)
{
	long long n = 0, upto;
	int rc, rebuilding;

	if (!ix->ready && (rc = search_setup(ix)) < 0)
		return rc;
	rebuilding = ix->rebuild_next >= 0;
	if ((rc = search_txn(ix, rebuilding ? search_rebuild_chunk : search_log_chunk, &n)) < 0) {
		/* the transaction's changes are gone: read the state again */
		ix->ready = 0;
		return rc;
	}
	if (rebuilding) {
		if (ix->rebuild_next < 0)
			log_info("store: the search index is built");
		return (int)n + 1;  /* a rebuild's chunk always moves it on */
	}
	if (ix->position - ix->trimmed >= LIMIT_SEARCH_QUEUE_CHUNK) {
		upto = ix->position;
		if (search_sync_point(ix) >= 0 && db_write(ix->db, search_trim_run, &upto) == 0)
			ix->trimmed = upto;
	}
	return (int)n;
}

/* ---- the indexer's life ---- */

static void search_free(void *p)
{
	struct search_indexer *ix = p;

	if (ix == NULL)
		return;
	if (ix->thread_on) {
		pthread_mutex_lock(&ix->mu);
		ix->stopping = 1;
		pthread_cond_signal(&ix->cv);
		pthread_mutex_unlock(&ix->mu);
		pthread_join(ix->thread, NULL);
	}
	db_index_close(ix->c);
	pthread_cond_destroy(&ix->cv);
	pthread_mutex_destroy(&ix->mu);
	free(ix);
}

/* db's indexer, made at first use. NULL on PostgreSQL or out of memory. */
static struct search_indexer *search_get(struct db *db)
{
	struct db_extension *ext;
	struct search_indexer *ix;
	pthread_condattr_t ca;

	if (db == NULL || db_dialect(db) != DB_DIALECT_SQLITE)
		return NULL;
	ext = db_search_extension(db);
	pthread_mutex_lock(&search_create_mu);
	if ((ix = ext->state) == NULL && (ix = calloc(1, sizeof(*ix))) != NULL) {
		ix->db = db;
		ix->rebuild_next = -1;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		if (pthread_mutex_init(&ix->mu, NULL) != 0 || pthread_cond_init(&ix->cv, &ca) != 0) {
			free(ix);
			ix = NULL;
		} else {
			ext->state = ix;
			ext->close = search_free;
		}
		pthread_condattr_destroy(&ca);
	}
	pthread_mutex_unlock(&search_create_mu);
	return ix;
}

/* Waits ms on the indexer's condition (lock held); 1 if asked to stop. */
static int search_nap(struct search_indexer *ix, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (!ix->stopping)
		(void)pthread_cond_timedwait(&ix->cv, &ix->mu, &until);
	return ix->stopping;
}

static void *search_thread_main(void *p)
{
	struct search_indexer *ix = p;
	int n;

	(void)pthread_setname_np(pthread_self(), "onramp-search");  /* for top -H and the bench */
	/* Background work: under load the writer and the HTTP threads come
	 * first (a search still catches up on its own thread). */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), SEARCH_NICE);
	pthread_mutex_lock(&ix->mu);
	while (!ix->stopping) {
		n = search_step(ix);
		if (n < 0 && !ix->failing)
			log_error("store: the search index could not be updated; retrying");
		ix->failing = n < 0;
		if (n >= LIMIT_SEARCH_QUEUE_CHUNK) {
			/* more waits: go on, letting a waiting catch-up in between */
			pthread_mutex_unlock(&ix->mu);
			pthread_mutex_lock(&ix->mu);
			continue;
		}
		/* caught up: nap while the log grows, so the next commit takes
		 * a large chunk (FTS5's cost is partly per commit: a segment
		 * written, merges) */
		(void)search_nap(ix, n < 0 ? SEARCH_RETRY_MS : SEARCH_IDLE_MS);
	}
	pthread_mutex_unlock(&ix->mu);
	return NULL;
}

int store_search_start(struct db *db)
{
	struct search_indexer *ix;
	int rc = 0;

	if (db == NULL || db_dialect(db) != DB_DIALECT_SQLITE)
		return 0;
	if ((ix = search_get(db)) == NULL)
		return -1;
	pthread_mutex_lock(&ix->mu);
	if (!ix->thread_on) {
		rc = pthread_create(&ix->thread, NULL, search_thread_main, ix) == 0 ? 0 : -1;
		ix->thread_on = rc == 0;
	}
	pthread_mutex_unlock(&ix->mu);
	if (rc < 0)
		log_error("store: cannot start the search indexer's thread");
	return rc;
}

/* ---- the writer's side and the searches' ---- */

int store_search_queue_add(struct db_conn *c, long long id)
{
	if (db_conn_dialect(c) == DB_DIALECT_POSTGRES)
		return store_people_fts_refresh(c, id);
	return db_exec_cached_int(c, "INSERT INTO people_fts_log (person_id) VALUES (?)", id);
}

int store_search_queued(struct db *db, long long *n)
{
	struct search_indexer *ix = search_get(db);
	long long end = 0;
	int rc;

	*n = 0;
	if (ix == NULL)
		return db != NULL && db_dialect(db) == DB_DIALECT_SQLITE ? DB_ERROR : 0;
	pthread_mutex_lock(&ix->mu);
	rc = ix->ready ? 0 : search_setup(ix);
	if (rc >= 0 && (rc = search_log_end(ix->c, &end)) >= 0)
		*n = end - ix->position;
	pthread_mutex_unlock(&ix->mu);
	return rc < 0 ? rc : 0;
}

int store_search_catch_up(struct db *db)
{
	struct search_indexer *ix = search_get(db);
	long long end = 0, deadline = search_now_ms() + LIMIT_SEARCH_CATCH_UP_MS;
	int rc = 0;

	if (ix == NULL)
		return db != NULL && db_dialect(db) == DB_DIALECT_SQLITE ? DB_ERROR : 0;
	pthread_mutex_lock(&ix->mu);
	if (!ix->ready)
		rc = search_setup(ix);
	if (rc >= 0)
		rc = search_log_end(ix->c, &end);
	while (rc >= 0 && (ix->rebuild_next >= 0 || ix->position < end)) {
		if (search_now_ms() > deadline) {
			log_warn("store: the search index is still being brought up to date;"
			         " this search may miss recent changes");
			break;
		}
		if ((rc = search_step(ix)) == 0)
			break;  /* nothing more to take */
	}
	pthread_mutex_unlock(&ix->mu);
	return rc < 0 ? rc : 0;
}
