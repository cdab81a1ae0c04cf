/*
 * rawinsert.c — the storage ceiling for the intake benchmark: how many
 * leads per second SQLite itself takes when the rows of a lead are inserted
 * directly, many leads per transaction, with the settings onramp uses (WAL,
 * synchronous=FULL, foreign keys on) into a database made by `onramp
 * migrate` (so the same tables, indexes, search index and counter
 * triggers).
 *
 * A lead here is what a new person costs the intake path: a people row, an
 * email, a phone, the submission and its intake link, the pipeline entry
 * and its stage event, and the search index's queue row. The search index
 * itself (people_fts) is written as onramp writes it
 * (store_search_queue.c): once 1,024 people are queued, the transaction
 * that got there indexes them all and empties the queue. The compliance
 * counters are written as onramp's writer writes them (store_counters.c):
 * the schema's per-row triggers off on this connection, and each counter
 * that changed upserted once per transaction. No validation, no dedupe
 * lookups, no HTTP: whatever onramp does above this is its own cost.
 *
 * Like the benchmark's leads, each goes to a random one of FORMS forms
 * (300), owned by 20 partners: the per-form index and counters see the same
 * spread as onramp's.
 *
 * Usage: rawinsert DB SECONDS [BATCH [FORMS]]   prints "rows N" and "seconds S"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RAW_FORMS_MAX 4096
#define RAW_PARTNERS  20

#include <sqlite3.h>

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

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *person, *email, *phone, *fts, *sub, *link, *count, *entry, *event, *queue, *dequeue;
	double start, seconds;
	long long rows = 0, id, sub_id, batch = 256, i, stage, indexed = 0, queued = 0, first_id = 0;
	static long long form_ids[RAW_FORMS_MAX], form_count[RAW_FORMS_MAX];
	long long partner_count[RAW_PARTNERS], nforms = 300, f;
	char partner[32];
	char text[128], tel[32];
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
	fts = raw_prepare(db, "INSERT INTO people_fts (rowid, name, contact, zip) VALUES (?, ?, ?, '94612')");
	sub = raw_prepare(db, "INSERT INTO submissions (person_id, kind, status, source, payload,"
	                      " received_at) VALUES (?, 'intake', 'accepted', 'bench', ?, ?)");
	link = raw_prepare(db, "INSERT INTO intake_submissions (submission_id, form_id, partner,"
	                       " custom, received_at) VALUES (?, ?, ?,"
	                       " '{\"utm_source\":\"bench\"}', ?)");
	count = raw_prepare(db, "INSERT INTO intake_counters (name, bucket, value) VALUES (?, ?, ?)"
	                        " ON CONFLICT (name, bucket) DO UPDATE SET value = value + excluded.value");
	entry = raw_prepare(db, "INSERT INTO person_pipeline (person_id, stage_id, stage_since,"
	                        " max_position, signup_month, entered_at) VALUES (?, ?, ?, 1, '2026-12', ?)");
	event = raw_prepare(db, "INSERT INTO stage_events (person_id, from_stage_id, to_stage_id, at,"
	                        " reason) VALUES (?, NULL, ?, ?, 'signup')");
	queue = raw_prepare(db, "INSERT OR IGNORE INTO people_fts_pending (person_id) VALUES (?)");
	dequeue = raw_prepare(db, "DELETE FROM people_fts_pending WHERE person_id <= ?");
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
	start = raw_now();
	while (raw_now() - start < seconds) {
		raw_exec(db, "BEGIN IMMEDIATE");
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
			if (rows == 0)
				first_id = id;
			sqlite3_reset(person);
			sqlite3_bind_text(email, 1, text, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(email, 2, id);
			sqlite3_bind_int64(email, 3, at);
			raw_step(db, email);
			sqlite3_bind_text(phone, 1, tel, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(phone, 2, id);
			sqlite3_bind_int64(phone, 3, at);
			raw_step(db, phone);
			sqlite3_bind_int64(queue, 1, id);
			raw_step(db, queue);
			queued++;
			sqlite3_bind_int64(sub, 1, id);
			sqlite3_bind_text(sub, 2, "{\"email\":\"x\",\"first_name\":\"Bench\"}", -1, SQLITE_STATIC);
			sqlite3_bind_int64(sub, 3, at);
			if (sqlite3_step(sub) != SQLITE_DONE) {
				fprintf(stderr, "rawinsert: %s\n", sqlite3_errmsg(db));
				return 1;
			}
			sub_id = sqlite3_last_insert_rowid(db);
			sqlite3_reset(sub);
			sqlite3_bind_int64(link, 1, sub_id);
			f = rand() % nforms;
			form_count[f]++;
			partner_count[f % RAW_PARTNERS]++;
			snprintf(partner, sizeof(partner), "Partner %lld", f % RAW_PARTNERS);
			sqlite3_bind_int64(link, 2, form_ids[f]);
			sqlite3_bind_text(link, 3, partner, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(link, 4, at);
			raw_step(db, link);
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
		if (queued >= 1024) {
			/* the queued people's search rows, in this transaction */
			for (; indexed < rows; indexed++) {
				snprintf(text, sizeof(text), "raw-%lld@example.org", indexed);
				sqlite3_bind_int64(fts, 1, first_id + indexed);
				sqlite3_bind_text(fts, 2, "Bench Lead", -1, SQLITE_STATIC);
				sqlite3_bind_text(fts, 3, text, -1, SQLITE_TRANSIENT);
				raw_step(db, fts);
			}
			sqlite3_bind_int64(dequeue, 1, first_id + rows - 1);
			raw_step(db, dequeue);
			queued = 0;
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
	printf("rows %lld\nseconds %.3f\n", rows, raw_now() - start);
	sqlite3_finalize(person);
	sqlite3_finalize(email);
	sqlite3_finalize(phone);
	sqlite3_finalize(fts);
	sqlite3_finalize(sub);
	sqlite3_finalize(link);
	sqlite3_finalize(count);
	sqlite3_finalize(entry);
	sqlite3_finalize(event);
	sqlite3_finalize(queue);
	sqlite3_finalize(dequeue);
	sqlite3_close(db);
	return 0;
}
