/*
 * rawinsert.c — the storage ceiling for the intake benchmark: how many
 * leads per second SQLite itself takes when the rows of a lead are inserted
 * directly, many leads per transaction, with the settings onramp uses (WAL,
 * synchronous=FULL, foreign keys on) into a database made by `onramp
 * migrate` (so the same tables, indexes and counter triggers).
 *
 * A lead here is what a new person costs the intake path: a people row, an
 * email, a phone, one people_fts_log row (the search index's log, carrying
 * the new person's search text), the submission with its form link, the
 * pipeline entry and its stage event; every 4,096 leads the submissions
 * join their forms' lists (form_submissions) in one sorted statement, as
 * onramp's writer does (store_intake.c).
 * The compliance counters are written as onramp's writer writes them
 * (store_counters.c): the schema's per-row triggers off on this
 * connection, and each counter that changed upserted once per transaction.
 * No validation, no dedupe lookups, no HTTP: whatever onramp does above
 * this is its own cost.
 *
 * The search index is kept as onramp keeps it (store_search_queue.c): in
 * its own file beside the database (DB-search, attached as schema
 * "search": people_fts and search_state), written concurrently by an
 * indexer thread with its own connection, which reads the database and
 * writes only that file (WAL; synchronous=NORMAL, as onramp's index commits
 * between its sync points). It takes the log rows after its position, up
 * to 4,096 at a time (LIMIT_SEARCH_QUEUE_CHUNK), inserts the people new to
 * the index from the text their log rows carry (name "first last";
 * contact " email", then the phone's digits, the last ten of an 11-digit
 * number starting with 1, and the last seven; zip: the text
 * store_people_search_text() builds), and stores its new position in the
 * same transaction; back to back while there is
 * log to take, a 50 ms nap when there is none. The main thread trims the
 * log below the position the indexer reported, inside its own
 * transactions, once 4,096 more rows were indexed (one row stays, as in
 * onramp). The rate printed is the main thread's: leads committed per
 * second; the indexer runs on the other core, as onramp's does.
 *
 * Like the benchmark's leads, each goes to a random one of FORMS forms
 * (300), owned by 20 partners: the per-form index and counters see the same
 * spread as onramp's.
 *
 * The database must hold no people yet (onramp would rebuild the index
 * from them first); an index file left from an earlier run is emptied.
 *
 * Usage: rawinsert DB SECONDS [BATCH [FORMS]]   prints "rows N" and "seconds S"
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#define RAW_FORMS_MAX 4096
#define RAW_PARTNERS  20
/* onramp's LIMIT_SEARCH_QUEUE_CHUNK: the most log rows one index commit
 * takes, and how far the index gets ahead of the log's trim */
#define RAW_INDEX_CHUNK 4096
/* onramp's SEARCH_IDLE_MS: the indexer's nap when the log is done */
#define RAW_INDEX_IDLE_MS 50

static double raw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sqlite3_stmt *raw_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "rawinsert: %s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	return s;
}

static void raw_step(sqlite3 *db, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "rawinsert: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_reset(s);
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "rawinsert: %s: %s\n", sql, msg ? msg : "?");
		exit(1);
	}
}

/* ---- the search indexer (a second thread, as onramp's onramp-search) ---- */

/* The index file's tables, as store_search_queue.c creates them. */
static const char raw_search_schema[] =
	"CREATE VIRTUAL TABLE search.people_fts USING fts5("
	" name, contact, zip,"
	" tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');"
	"CREATE TABLE IF NOT EXISTS search.search_state ("
	" k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;";

/* The people named by the log rows ?1 < seq <= ?2 in id order, each once,
 * with the text store_people_fts_refresh() gives them (the phone tokens
 * from the E.164 text: its digits, the national ten of +1 numbers, the
 * local seven). */
#define RAW_LOGGED_PEOPLE \
	"(SELECT person_id FROM main.people_fts_log WHERE seq > ?1 AND seq <= ?2)"
static const char raw_index_delete_sql[] =
	"DELETE FROM search.people_fts WHERE rowid IN " RAW_LOGGED_PEOPLE
	" AND rowid <= (SELECT coalesce(max(rowid), 0) FROM search.people_fts)";
/* Every benchmark lead is a new person whose log row carries their text. */
static const char raw_index_insert_sql[] =
	"INSERT INTO search.people_fts (rowid, name, contact, zip)"
	" SELECT person_id, name, contact, zip FROM main.people_fts_log"
	" WHERE seq > ?1 AND seq <= ?2 ORDER BY person_id";

struct raw_indexer {
	sqlite3         *db;        /* the indexer's connection: reads DB, writes DB-search */
	sqlite3_stmt    *last, *del, *ins, *pos;
	long long        position;  /* the last log seq indexed (the thread's own) */
	pthread_mutex_t  mu;        /* the three below */
	pthread_cond_t   cv;        /* wakes the thread to stop */
	int              stopping;
	int              failed;
	long long        reported;  /* position as committed, for the trim */
	pthread_t        thread;
};

/* Opens the indexer's connection as onramp's db_index_open does, with the
 * index file attached as "search", emptied, at the log's end. Exits on
 * failure. */
static void raw_indexer_open(struct raw_indexer *ix, const char *path)
{
	char search[4096];
	sqlite3_stmt *s;

	if (snprintf(search, sizeof(search), "%s-search", path) >= (int)sizeof(search)) {
		fprintf(stderr, "rawinsert: the path is too long\n");
		exit(1);
	}
	if (sqlite3_open(path, &ix->db) != SQLITE_OK) {
		fprintf(stderr, "rawinsert: cannot open %s\n", path);
		exit(1);
	}
	sqlite3_busy_timeout(ix->db, 5000);
	raw_exec(ix->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
	s = raw_prepare(ix->db, "ATTACH DATABASE ? AS search");
	sqlite3_bind_text(s, 1, search, -1, SQLITE_TRANSIENT);
	raw_step(ix->db, s);
	sqlite3_finalize(s);
	raw_exec(ix->db, "PRAGMA search.journal_mode=WAL; PRAGMA search.synchronous=NORMAL;"
	                 " PRAGMA search.cache_size=-32768;");
	s = raw_prepare(ix->db, "SELECT count(*) FROM main.people");
	if (sqlite3_step(s) != SQLITE_ROW || sqlite3_column_int64(s, 0) != 0) {
		fprintf(stderr, "rawinsert: %s already holds people (use a database fresh from"
		                " `onramp migrate`)\n", path);
		exit(1);
	}
	sqlite3_finalize(s);
	/* a new index: empty, version 1, its position the log's end */
	raw_exec(ix->db, "BEGIN; DROP TABLE IF EXISTS search.people_fts;");
	raw_exec(ix->db, raw_search_schema);
	raw_exec(ix->db, "DELETE FROM search.search_state;"
	                 " INSERT INTO search.search_state (k, v) VALUES ('version', 1);"
	                 " INSERT INTO search.search_state (k, v) SELECT 'position',"
	                 "  coalesce(max(seq), 0) FROM main.people_fts_log; COMMIT;");
	s = raw_prepare(ix->db, "SELECT v FROM search.search_state WHERE k = 'position'");
	if (sqlite3_step(s) != SQLITE_ROW) {
		fprintf(stderr, "rawinsert: %s\n", sqlite3_errmsg(ix->db));
		exit(1);
	}
	ix->position = ix->reported = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	ix->last = raw_prepare(ix->db, "SELECT max(seq) FROM (SELECT seq FROM main.people_fts_log"
	                               " WHERE seq > ? ORDER BY seq LIMIT ?)");
	ix->del = raw_prepare(ix->db, raw_index_delete_sql);
	ix->ins = raw_prepare(ix->db, raw_index_insert_sql);
	ix->pos = raw_prepare(ix->db, "INSERT INTO search.search_state (k, v) VALUES ('position', ?)"
	                              " ON CONFLICT (k) DO UPDATE SET v = excluded.v");
}

/* Steps s to the end; SQLITE_DONE or the error. Resets s either way. */
static int raw_try_step(sqlite3_stmt *s)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	sqlite3_reset(s);
	return rc;
}

/* One transaction of the index file: the next chunk of the log, indexed,
 * and the new position. Returns how many log rows it took (0: none), or
 * -1 (printed). */
static long long raw_index_chunk(struct raw_indexer *ix)
{
	long long last, n;
	int rc;

	if (sqlite3_exec(ix->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(ix->last, 1, ix->position);
	sqlite3_bind_int64(ix->last, 2, RAW_INDEX_CHUNK);
	rc = sqlite3_step(ix->last);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(ix->last);
		goto fail;
	}
	if (sqlite3_column_type(ix->last, 0) == SQLITE_NULL) {
		sqlite3_reset(ix->last);
		return sqlite3_exec(ix->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	}
	last = sqlite3_column_int64(ix->last, 0);
	sqlite3_reset(ix->last);
	sqlite3_bind_int64(ix->del, 1, ix->position);
	sqlite3_bind_int64(ix->del, 2, last);
	sqlite3_bind_int64(ix->ins, 1, ix->position);
	sqlite3_bind_int64(ix->ins, 2, last);
	sqlite3_bind_int64(ix->pos, 1, last);
	if (raw_try_step(ix->del) != SQLITE_DONE || raw_try_step(ix->ins) != SQLITE_DONE ||
	    raw_try_step(ix->pos) != SQLITE_DONE ||
	    sqlite3_exec(ix->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	n = last - ix->position;  /* seq has no gaps: the writer appends, only trims below */
	ix->position = last;
	return n;
fail:
	fprintf(stderr, "rawinsert: indexer: %s\n", sqlite3_errmsg(ix->db));
	if (!sqlite3_get_autocommit(ix->db))
		(void)sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* The indexer's thread: chunks back to back while the log has rows past
 * the position, a nap when it has none, as store_search_queue.c's
 * search_thread_main. */
static void *raw_indexer_main(void *p)
{
	struct raw_indexer *ix = p;
	struct timespec until;
	long long n;

	(void)pthread_setname_np(pthread_self(), "raw-search");
	pthread_mutex_lock(&ix->mu);
	while (!ix->stopping) {
		pthread_mutex_unlock(&ix->mu);
		n = raw_index_chunk(ix);
		pthread_mutex_lock(&ix->mu);
		if (n < 0) {
			ix->failed = 1;
			break;
		}
		ix->reported = ix->position;
		if (n > 0 || ix->stopping)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += RAW_INDEX_IDLE_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&ix->cv, &ix->mu, &until);
	}
	pthread_mutex_unlock(&ix->mu);
	return NULL;
}

static void raw_indexer_start(struct raw_indexer *ix)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&ix->mu, NULL) != 0 || pthread_cond_init(&ix->cv, &ca) != 0 ||
	    pthread_create(&ix->thread, NULL, raw_indexer_main, ix) != 0) {
		fprintf(stderr, "rawinsert: cannot start the indexer's thread\n");
		exit(1);
	}
	pthread_condattr_destroy(&ca);
}

/* Stops the thread (after the chunk it is on) and closes its connection.
 * Returns 0, or -1 if it had failed. */
static int raw_indexer_stop(struct raw_indexer *ix)
{
	int failed;

	pthread_mutex_lock(&ix->mu);
	ix->stopping = 1;
	pthread_cond_signal(&ix->cv);
	pthread_mutex_unlock(&ix->mu);
	pthread_join(ix->thread, NULL);
	failed = ix->failed;
	sqlite3_finalize(ix->last);
	sqlite3_finalize(ix->del);
	sqlite3_finalize(ix->ins);
	sqlite3_finalize(ix->pos);
	sqlite3_close(ix->db);
	pthread_cond_destroy(&ix->cv);
	pthread_mutex_destroy(&ix->mu);
	return failed ? -1 : 0;
}

/* The position the indexer last committed; exits if it failed. */
static long long raw_indexer_position(struct raw_indexer *ix)
{
	long long pos;
	int failed;

	pthread_mutex_lock(&ix->mu);
	pos = ix->reported;
	failed = ix->failed;
	pthread_mutex_unlock(&ix->mu);
	if (failed)
		exit(1);
	return pos;
}

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *person, *email, *phone, *sub, *list, *listed_upto, *count, *entry, *event;
	sqlite3_stmt *logrow, *trim;
	static struct raw_indexer ix;
	double start, seconds, elapsed;
	long long rows = 0, id, batch = 256, i, stage, indexed, trimmed = 0, listed = 0;
	static long long form_ids[RAW_FORMS_MAX], form_count[RAW_FORMS_MAX];
	long long partner_count[RAW_PARTNERS], nforms = 300, f;
	char partner[32];
	char text[128], tel[32], contact[256];
	char *end;

	if (argc < 3) {
		fprintf(stderr, "usage: rawinsert DB SECONDS [BATCH]\n");
		return 2;
	}
	seconds = strtod(argv[2], &end);
	if (argc > 3)
		batch = strtoll(argv[3], &end, 10);
	if (argc > 4)
		nforms = strtoll(argv[4], &end, 10);
	if (batch < 1 || nforms < 1 || nforms > RAW_FORMS_MAX) {
		fprintf(stderr, "rawinsert: BATCH >= 1 and 1 <= FORMS <= %d\n", RAW_FORMS_MAX);
		return 2;
	}
	if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
		fprintf(stderr, "rawinsert: cannot open %s\n", argv[1]);
		return 1;
	}
	sqlite3_busy_timeout(db, 5000);
	raw_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)NULL) != SQLITE_OK) {
		fprintf(stderr, "rawinsert: cannot turn triggers off\n");
		return 1;
	}
	{
		sqlite3_stmt *form = raw_prepare(db, "INSERT INTO intake_forms (name, owner, key_hash,"
		                                     " key_hint, created_at, updated_at)"
		                                     " VALUES (?, ?, ?, 'raw', 0, 0)");

		for (f = 0; f < nforms; f++) {
			snprintf(text, sizeof(text), "raw %lld", f);
			snprintf(partner, sizeof(partner), "Partner %lld", f % RAW_PARTNERS);
			sqlite3_bind_text(form, 1, text, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(form, 2, partner, -1, SQLITE_TRANSIENT);
			snprintf(text, sizeof(text), "raw-bench-%lld", f);
			sqlite3_bind_text(form, 3, text, -1, SQLITE_TRANSIENT);
			raw_step(db, form);
			form_ids[f] = sqlite3_last_insert_rowid(db);
		}
		sqlite3_finalize(form);
	}
	srand(7919);
	/* ids from sqlite3_last_insert_rowid, as onramp reads them on SQLite
	 * (RETURNING costs SQLite a statement journal) */
	person = raw_prepare(db, "INSERT INTO people (first_name, last_name, state, zip, source,"
	                         " consent_email, consent_sms, consent_share, created_at, updated_at)"
	                         " VALUES ('Bench', ?, 'CA', '94612', 'bench', 0, 0, 0, ?, ?)");
	email = raw_prepare(db, "INSERT INTO person_emails (email, person_id, created_at) VALUES (?, ?, ?)");
	phone = raw_prepare(db, "INSERT INTO person_phones (phone, person_id, created_at) VALUES (?, ?, ?)");
	sub = raw_prepare(db, "INSERT INTO submissions (person_id, kind, status, source, payload,"
	                      " received_at, form_id, partner, custom) VALUES (?, 'intake', 'accepted',"
	                      " 'bench', ?, ?, ?, ?, '{\"utm_source\":\"bench\"}')");
	list = raw_prepare(db, "INSERT OR IGNORE INTO form_submissions (form_id, submission_id)"
	                       " SELECT form_id, id FROM submissions WHERE id > ?1"
	                       " AND form_id IS NOT NULL ORDER BY form_id, id");
	listed_upto = raw_prepare(db, "UPDATE intake_index_state SET v = (SELECT max(id) FROM"
	                              " submissions) WHERE k = 'form_submissions_upto'"
	                              " RETURNING v");
	count = raw_prepare(db, "INSERT INTO intake_counters (name, bucket, value) VALUES (?, ?, ?)"
	                        " ON CONFLICT (name, bucket) DO UPDATE SET value = value + excluded.value");
	entry = raw_prepare(db, "INSERT INTO person_pipeline (person_id, stage_id, stage_since,"
	                        " max_position, signup_month, entered_at) VALUES (?, ?, ?, 1, '2026-12', ?)");
	event = raw_prepare(db, "INSERT INTO stage_events (person_id, from_stage_id, to_stage_id, at,"
	                        " reason) VALUES (?, NULL, ?, ?, 'signup')");
	logrow = raw_prepare(db, "INSERT INTO people_fts_log (person_id, name, contact, zip)"
	                         " VALUES (?, 'Bench Lead', ?, '94612')");
	trim = raw_prepare(db, "DELETE FROM people_fts_log WHERE seq < ?");
	{
		sqlite3_stmt *first = raw_prepare(db, "SELECT id FROM pipeline_stages WHERE active = 1"
		                                      " ORDER BY position, id LIMIT 1");

		if (sqlite3_step(first) != SQLITE_ROW) {
			fprintf(stderr, "rawinsert: no pipeline stage\n");
			return 1;
		}
		stage = sqlite3_column_int64(first, 0);
		sqlite3_finalize(first);
	}
	raw_indexer_open(&ix, argv[1]);
	raw_indexer_start(&ix);
	start = raw_now();
	while (raw_now() - start < seconds) {
		raw_exec(db, "BEGIN IMMEDIATE");
		/* the log below what the indexer committed, once it is a chunk
		 * behind (the row at the position stays), as onramp's writer */
		indexed = raw_indexer_position(&ix);
		if (indexed - trimmed >= RAW_INDEX_CHUNK) {
			sqlite3_bind_int64(trim, 1, indexed);
			raw_step(db, trim);
			trimmed = indexed;
		}
		/* the submissions join their forms' lists 4,096 at a time */
		if (rows - listed >= 4096) {
			sqlite3_bind_int64(list, 1, listed);
			raw_step(db, list);
			if (sqlite3_step(listed_upto) == SQLITE_ROW)
				listed = sqlite3_column_int64(listed_upto, 0);
			sqlite3_reset(listed_upto);
		}
		memset(form_count, 0, sizeof(form_count));
		memset(partner_count, 0, sizeof(partner_count));
		for (i = 0; i < batch; i++, rows++) {
			long long at = (long long)time(NULL);

			snprintf(text, sizeof(text), "raw-%lld@example.org", rows);
			snprintf(tel, sizeof(tel), "+1206%03lld%04lld", 200 + (rows / 10000) % 800, rows % 10000);
			sqlite3_bind_text(person, 1, "Lead", -1, SQLITE_STATIC);
			sqlite3_bind_int64(person, 2, at);
			sqlite3_bind_int64(person, 3, at);
			if (sqlite3_step(person) != SQLITE_DONE) {
				fprintf(stderr, "rawinsert: %s\n", sqlite3_errmsg(db));
				return 1;
			}
			id = sqlite3_last_insert_rowid(db);
			sqlite3_reset(person);
			sqlite3_bind_text(email, 1, text, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(email, 2, id);
			sqlite3_bind_int64(email, 3, at);
			raw_step(db, email);
			sqlite3_bind_text(phone, 1, tel, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(phone, 2, id);
			sqlite3_bind_int64(phone, 3, at);
			raw_step(db, phone);
			snprintf(contact, sizeof(contact), " %s %s %s %s", text, tel + 1, tel + 2,
			         tel + strlen(tel) - 7);
			sqlite3_bind_int64(logrow, 1, id);
			sqlite3_bind_text(logrow, 2, contact, -1, SQLITE_TRANSIENT);
			raw_step(db, logrow);
			f = rand() % nforms;
			form_count[f]++;
			partner_count[f % RAW_PARTNERS]++;
			snprintf(partner, sizeof(partner), "Partner %lld", f % RAW_PARTNERS);
			sqlite3_bind_int64(sub, 1, id);
			sqlite3_bind_text(sub, 2, "{\"email\":\"x\",\"first_name\":\"Bench\"}", -1, SQLITE_STATIC);
			sqlite3_bind_int64(sub, 3, at);
			sqlite3_bind_int64(sub, 4, form_ids[f]);
			sqlite3_bind_text(sub, 5, partner, -1, SQLITE_TRANSIENT);
			raw_step(db, sub);
			sqlite3_bind_int64(entry, 1, id);
			sqlite3_bind_int64(entry, 2, stage);
			sqlite3_bind_int64(entry, 3, at);
			sqlite3_bind_int64(entry, 4, at);
			raw_step(db, entry);
			sqlite3_bind_int64(event, 1, id);
			sqlite3_bind_int64(event, 2, stage);
			sqlite3_bind_int64(event, 3, at);
			raw_step(db, event);
		}
		{
			/* the batch's counters, one upsert for each that changed, as
			 * onramp's writer */
			static const char *const names[] = { "people", "emails", "phones", "leads",
			                                     "leads_day" };
			char day[24], bucket[32];
			size_t k;

			snprintf(day, sizeof(day), "%lld", (long long)time(NULL) / 86400);
			for (k = 0; k < 5; k++) {
				sqlite3_bind_text(count, 1, names[k], -1, SQLITE_STATIC);
				sqlite3_bind_text(count, 2, k == 4 ? day : "", -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(count, 3, batch);
				raw_step(db, count);
			}
			for (f = 0; f < nforms; f++) {
				if (form_count[f] == 0)
					continue;
				snprintf(bucket, sizeof(bucket), "%lld", form_ids[f]);
				sqlite3_bind_text(count, 1, "form_leads", -1, SQLITE_STATIC);
				sqlite3_bind_text(count, 2, bucket, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(count, 3, form_count[f]);
				raw_step(db, count);
			}
			for (f = 0; f < RAW_PARTNERS; f++) {
				if (partner_count[f] == 0)
					continue;
				snprintf(bucket, sizeof(bucket), "Partner %lld", f);
				sqlite3_bind_text(count, 1, "partner_leads", -1, SQLITE_STATIC);
				sqlite3_bind_text(count, 2, bucket, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(count, 3, partner_count[f]);
				raw_step(db, count);
			}
		}
		raw_exec(db, "COMMIT");
	}
	elapsed = raw_now() - start;
	if (raw_indexer_stop(&ix) < 0)
		return 1;
	printf("rows %lld\nseconds %.3f\n", rows, elapsed);
	sqlite3_finalize(person);
	sqlite3_finalize(email);
	sqlite3_finalize(phone);
	sqlite3_finalize(sub);
	sqlite3_finalize(list);
	sqlite3_finalize(listed_upto);
	sqlite3_finalize(count);
	sqlite3_finalize(entry);
	sqlite3_finalize(event);
	sqlite3_finalize(logrow);
	sqlite3_finalize(trim);
	sqlite3_close(db);
	return 0;
}
