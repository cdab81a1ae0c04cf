/*
 * store_counters.c — the compliance counters on SQLite's writer, counted
 * in memory from the preupdate hook and written once per group. See
 * store_counters.h for the why; the rules below are the triggers of
 * migrations 3 and 13 (schema_intake.c): the same rows, conditions and
 * buckets. A schema before migration 13 lacks the columns they read, so
 * its own triggers count.
 *
 * The log is append-only within a group (so a savepoint's rollback is a
 * truncation); entries name their counter and keep their bucket text, with
 * its NUL, in one byte pool. At the group's end the entries are summed per counter in
 * a small hash table and each non-zero sum is upserted.
 *
 * State: which schema the counting was set up for, as the main schema
 * cookie (PRAGMA schema_version): a migration changes it, and so does a
 * rolled-back group that had changed the schema, so either way the next
 * group sets it up again.
 */
#include "store/store_counters.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "store/sql.h"

/* The main schema's triggers that this file counts for (migration 3). */
static const char *const counters_known[] = {
	"intake_count_emails_del",   "intake_count_emails_ins",
	"intake_count_form_del",     "intake_count_form_ins",
	"intake_count_leads_del",    "intake_count_leads_ins",
	"intake_count_people_del",   "intake_count_people_ins",
	"intake_count_phones_del",   "intake_count_phones_ins",
	"intake_count_rejected_ins",
};
#define COUNTERS_KNOWN (sizeof(counters_known) / sizeof(counters_known[0]))

enum counter {
	CN_PEOPLE, CN_EMAILS, CN_PHONES, CN_LEADS, CN_LEADS_DAY, CN_FORM_LEADS, CN_PARTNER_LEADS,
	CN_FORM_REJECTED, CN_COUNT
};

/* The counters' names in intake_counters. */
static const char *const counter_names[CN_COUNT] = {
	"people", "emails", "phones", "leads", "leads_day", "form_leads", "partner_leads",
	"form_rejected",
};

/* The columns the rules read, found by name when counting is set up. */
enum counter_col { COL_SUB_STATUS, COL_SUB_RECEIVED, COL_LINK_FORM, COL_LINK_PARTNER,
                   COL_REJECTED_FORM, COL_COUNT };

static const struct { const char *table, *column; } counter_cols[COL_COUNT] = {
	{ "submissions", "status" },
	{ "submissions", "received_at" },
	{ "submissions", "form_id" },
	{ "submissions", "partner" },
	{ "rejected_leads", "form_id" },
};

/* The longest bucket text kept (a partner is a form's owner, at most 200
 * characters of UTF-8). A longer one fails the group rather than count
 * under a cut name. */
#define COUNTERS_BUCKET_MAX 1024

struct counter_delta {
	enum counter name;
	size_t       bucket;     /* offset in pool */
	size_t       bucket_len;
	long long    delta;
};

struct store_counters {
	int       built;        /* main_cookie is that of a finished set-up */
	int       counting;     /* main triggers off, the observer counting */
	int       failed;       /* a change could not be logged: fail the group */
	long long main_cookie;
	int       col[COL_COUNT];
	struct db_row_observer observer;
	/* the group's log */
	struct counter_delta *log;
	size_t    n, cap;
	char     *pool;
	size_t    pool_len, pool_cap;
	/* the sums at the group's end: slots of log indexes + 1 (0 = empty) */
	size_t   *slots;
	long long *sums;
	size_t    nslots;
};

/* ---- the log ---- */

/* Appends one delta. Sets sc->failed when it cannot. */
static void counters_log(struct store_counters *sc, enum counter name, const char *bucket,
                         size_t len, long long delta)
{
	struct counter_delta *e;
	size_t cap;
	void *p;

	if (len > COUNTERS_BUCKET_MAX) {
		log_error("store: a counter bucket of %zu bytes is over %d", len, COUNTERS_BUCKET_MAX);
		sc->failed = 1;
		return;
	}
	if (sc->n == sc->cap) {
		cap = sc->cap ? sc->cap * 2 : 256;
		if ((p = realloc(sc->log, cap * sizeof(*sc->log))) == NULL) {
			sc->failed = 1;
			return;
		}
		sc->log = p;
		sc->cap = cap;
	}
	if (sc->pool_cap - sc->pool_len < len + 1) {
		cap = sc->pool_cap ? sc->pool_cap : 4096;
		while (cap - sc->pool_len < len + 1)
			cap *= 2;
		if ((p = realloc(sc->pool, cap)) == NULL) {
			sc->failed = 1;
			return;
		}
		sc->pool = p;
		sc->pool_cap = cap;
	}
	e = &sc->log[sc->n++];
	e->name = name;
	e->bucket = sc->pool_len;
	e->bucket_len = len;
	e->delta = delta;
	if (len)
		memcpy(sc->pool + sc->pool_len, bucket, len);
	sc->pool[sc->pool_len + len] = '\0';  /* each bucket is bound as a C string */
	sc->pool_len += len + 1;
}

/* Logs delta under name, with an integer's decimal text as the bucket. */
static void counters_log_int(struct store_counters *sc, enum counter name, long long v,
                             long long delta)
{
	char text[24];
	int n = snprintf(text, sizeof(text), "%lld", v);

	counters_log(sc, name, text, (size_t)n, delta);
}

size_t store_counters_mark(const struct store_counters *sc)
{
	return sc ? sc->n : 0;
}

void store_counters_undo(struct store_counters *sc, size_t mark)
{
	if (sc == NULL || mark >= sc->n)
		return;
	sc->n = mark;
	sc->pool_len = mark ? sc->log[mark].bucket : 0;
	if (mark == 0)
		sc->failed = 0;
}

static size_t counters_mark_cb(void *arg)
{
	return store_counters_mark(arg);
}

static void counters_undo_cb(void *arg, size_t mark)
{
	store_counters_undo(arg, mark);
}

/* ---- the rules: migration 3's triggers ---- */

/* Reads column which of the reported row, failing the group if it can't. */
static int counters_col_int(struct store_counters *sc, struct db_conn *c, enum counter_col which,
                            long long *v)
{
	if (db_row_int(c, sc->col[which], v) == 0)
		return 0;
	sc->failed = 1;
	return -1;
}

static const char *counters_col_text(struct store_counters *sc, struct db_conn *c,
                                     enum counter_col which)
{
	const char *v = NULL;

	if (db_row_text(c, sc->col[which], &v) == 0 && v != NULL)
		return v;
	sc->failed = 1;
	return NULL;
}

static void counters_change(void *arg, struct db_conn *c, enum db_row_op op, const char *table)
{
	struct store_counters *sc = arg;
	long long d = op == DB_ROW_INSERT ? 1 : -1, v;
	const char *text;

	if (op == DB_ROW_UPDATE)
		return;  /* the triggers count inserts and deletes */
	if (strcmp(table, "people") == 0) {
		counters_log(sc, CN_PEOPLE, "", 0, d);
	} else if (strcmp(table, "person_emails") == 0) {
		counters_log(sc, CN_EMAILS, "", 0, d);
	} else if (strcmp(table, "person_phones") == 0) {
		counters_log(sc, CN_PHONES, "", 0, d);
	} else if (strcmp(table, "submissions") == 0) {
		/* intake_count_leads_*: WHEN status = 'accepted' */
		if ((text = counters_col_text(sc, c, COL_SUB_STATUS)) == NULL)
			return;
		if (strcmp(text, "accepted") == 0) {
			if (counters_col_int(sc, c, COL_SUB_RECEIVED, &v) < 0)
				return;
			counters_log(sc, CN_LEADS, "", 0, d);
			counters_log_int(sc, CN_LEADS_DAY, v / 86400, d);
		}
		/* intake_count_form_*: WHEN form_id IS NOT NULL (an intake lead,
		 * whose partner is then set too) */
		if (db_row_text(c, sc->col[COL_LINK_PARTNER], &text) < 0) {
			sc->failed = 1;
			return;
		}
		if (text == NULL)
			return;
		if (counters_col_int(sc, c, COL_LINK_FORM, &v) < 0)
			return;
		counters_log_int(sc, CN_FORM_LEADS, v, d);
		counters_log(sc, CN_PARTNER_LEADS, text, strlen(text), d);
	} else if (strcmp(table, "rejected_leads") == 0 && op == DB_ROW_INSERT) {
		if (counters_col_int(sc, c, COL_REJECTED_FORM, &v) < 0)
			return;
		counters_log_int(sc, CN_FORM_REJECTED, v, d);
	}
}

/* ---- set-up ---- */

struct store_counters *store_counters_new(void)
{
	struct store_counters *sc = calloc(1, sizeof(*sc));

	if (sc == NULL)
		return NULL;
	sc->observer.change = counters_change;
	sc->observer.mark = counters_mark_cb;
	sc->observer.undo = counters_undo_cb;
	sc->observer.arg = sc;
	return sc;
}

void store_counters_free(struct store_counters *sc)
{
	if (sc == NULL)
		return;
	free(sc->log);
	free(sc->pool);
	free(sc->slots);
	free(sc->sums);
	free(sc);
}

/* Reads one integer (a PRAGMA, a count) into *v. */
static int counters_int(struct db_conn *c, const char *sql, long long *v)
{
	int rc = db_step_int(db_prepare(c, sql), v);

	return rc == 1 ? 0 : rc < 0 ? rc : DB_ERROR;
}

/* 1 if the main schema has intake_counters and exactly the known triggers. */
static int counters_schema_known(struct db_conn *c)
{
	struct db_stmt *s;
	const char *name;
	size_t n = 0, i;
	int rc, known = 1;
	long long tables = 0;

	if ((rc = counters_int(c, "SELECT count(*) FROM main.sqlite_master"
	                          " WHERE type = 'table' AND name = 'intake_counters'", &tables)) < 0)
		return rc;
	if (tables != 1)
		return 0;
	s = db_prepare(c, "SELECT name FROM main.sqlite_master WHERE type = 'trigger' ORDER BY name");
	if (s == NULL)
		return DB_ERROR;
	while ((rc = db_step(s)) == DB_ROW) {
		name = db_col_text(s, 0);
		for (i = 0; i < COUNTERS_KNOWN && name && strcmp(name, counters_known[i]) != 0; i++)
			;
		if (i == COUNTERS_KNOWN) {
			log_warn("store: trigger %s is not one the writer's counters know;"
			         " the schema's triggers count row by row", name ? name : "?");
			known = 0;
		}
		n++;
	}
	db_done(s);
	if (rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;
	return known && n == COUNTERS_KNOWN;
}

/* Finds every column the rules read. 1 if all are there, 0 if one is
 * missing, or < 0. */
static int counters_find_columns(struct store_counters *sc, struct db_conn *c)
{
	struct db_stmt *s;
	long long cid;
	size_t i;
	int rc;

	for (i = 0; i < COL_COUNT; i++) {
		s = db_prepare(c, "SELECT cid FROM pragma_table_info(?) WHERE name = ?");
		if (s == NULL || db_bind_text(s, 1, counter_cols[i].table) != DB_OK ||
		    db_bind_text(s, 2, counter_cols[i].column) != DB_OK) {
			if (s)
				db_done(s);
			return DB_ERROR;
		}
		if ((rc = db_step_int(s, &cid)) <= 0)
			return rc;
		sc->col[i] = (int)cid;
	}
	return 1;
}

/* Sets the counting up (or turns the main triggers back on) for the
 * schema as it is now, inside the group's transaction. */
static int counters_build(struct store_counters *sc, struct db_conn *c, long long main_cookie)
{
	int rc, known;

	if ((known = counters_schema_known(c)) < 0)
		return known;
	if (known && (known = counters_find_columns(sc, c)) < 0)
		return known;
	if ((rc = db_conn_observe_rows(c, known ? &sc->observer : NULL)) < 0 ||
	    (rc = db_conn_main_triggers(c, !known)) < 0)
		return rc;
	sc->counting = known;
	sc->main_cookie = main_cookie;
	sc->built = 1;
	return 0;
}

int store_counters_group_begin(struct store_counters *sc, struct db_conn *c)
{
	long long main_cookie = 0;
	int rc;

	if (sc == NULL || db_conn_dialect(c) != DB_DIALECT_SQLITE)
		return 0;
	store_counters_undo(sc, 0);
	sc->failed = 0;
	if ((rc = counters_int(c, "PRAGMA main.schema_version", &main_cookie)) < 0)
		return rc;
	if (sc->built && main_cookie == sc->main_cookie)
		return 0;
	sc->built = 0;
	return counters_build(sc, c, main_cookie);
}

/* ---- the group's end ---- */

static uint64_t counters_hash(const struct store_counters *sc, const struct counter_delta *e)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)e->name;
	size_t i;

	for (i = 0; i < e->bucket_len; i++)
		h = (h ^ (unsigned char)sc->pool[e->bucket + i]) * 1099511628211ULL;
	return h;
}

static int counters_same(const struct store_counters *sc, const struct counter_delta *a,
                         const struct counter_delta *b)
{
	return a->name == b->name && a->bucket_len == b->bucket_len &&
	       memcmp(sc->pool + a->bucket, sc->pool + b->bucket, a->bucket_len) == 0;
}

/* Sums the log per counter into sc->slots/sc->sums. Returns how many
 * slots it used (a power of two), or 0 when out of memory. */
static size_t counters_sum(struct store_counters *sc)
{
	size_t need = 16, i, k;
	void *p;

	while (need < sc->n * 2)
		need *= 2;
	if (need > sc->nslots) {
		if ((p = realloc(sc->slots, need * sizeof(*sc->slots))) == NULL)
			return 0;
		sc->slots = p;
		if ((p = realloc(sc->sums, need * sizeof(*sc->sums))) == NULL)
			return 0;
		sc->sums = p;
		sc->nslots = need;
	}
	memset(sc->slots, 0, need * sizeof(*sc->slots));
	for (i = 0; i < sc->n; i++) {
		k = (size_t)counters_hash(sc, &sc->log[i]) & (need - 1);
		while (sc->slots[k] && !counters_same(sc, &sc->log[sc->slots[k] - 1], &sc->log[i]))
			k = (k + 1) & (need - 1);
		if (sc->slots[k] == 0) {
			sc->slots[k] = i + 1;
			sc->sums[k] = 0;
		}
		sc->sums[k] += sc->log[i].delta;
	}
	return need;
}

/* The flush, a few counters per statement (each statement costs SQLite
 * more than a row): 16, 4 and 1 rows of (name, bucket, delta). */
#define COUNTERS_ROW   "(?, ?, ?)"
#define COUNTERS_ROW4  COUNTERS_ROW ", " COUNTERS_ROW ", " COUNTERS_ROW ", " COUNTERS_ROW
#define COUNTERS_ROW16 COUNTERS_ROW4 ", " COUNTERS_ROW4 ", " COUNTERS_ROW4 ", " COUNTERS_ROW4
#define COUNTERS_UPSERT(rows) \
	"INSERT INTO main.intake_counters (name, bucket, value) VALUES " rows \
	" ON CONFLICT (name, bucket) DO UPDATE SET value = value + excluded.value"

static const struct {
	size_t      rows;
	const char *sql;
} counters_upserts[] = {
	{ 16, COUNTERS_UPSERT(COUNTERS_ROW16) },
	{ 4, COUNTERS_UPSERT(COUNTERS_ROW4) },
	{ 1, COUNTERS_UPSERT(COUNTERS_ROW) },
};

/* Upserts rows counters (their log entries' names and buckets, with
 * sums) in one statement of the size listed above. */
static int counters_write_rows(struct store_counters *sc, struct db_conn *c, const char *sql,
                               const size_t *slots, size_t rows)
{
	const struct counter_delta *e;
	struct db_stmt *s = db_prepare(c, sql);
	size_t r;

	if (s == NULL)
		return DB_ERROR;
	for (r = 0; r < rows; r++) {
		e = &sc->log[sc->slots[slots[r]] - 1];
		if (db_bind_text(s, (int)(3 * r + 1), counter_names[e->name]) != DB_OK ||
		    db_bind_text(s, (int)(3 * r + 2), sc->pool + e->bucket) != DB_OK ||
		    db_bind_int(s, (int)(3 * r + 3), sc->sums[slots[r]]) != DB_OK) {
			db_done(s);
			return DB_ERROR;
		}
	}
	return db_run(s);
}

/* Adds each counter's sum to its row of intake_counters. */
static int counters_write(struct store_counters *sc, struct db_conn *c, size_t nslots)
{
	size_t pending[16], n = 0, k, u, done;
	int rc;

	for (k = 0; k <= nslots; k++) {
		if (k < nslots && (sc->slots[k] == 0 || sc->sums[k] == 0))
			continue;
		if (k < nslots)
			pending[n++] = k;
		if (n < 16 && k < nslots)
			continue;
		/* n counters wait (16, or the last few): the largest statements
		 * that fit them */
		for (done = 0, u = 0; done < n; ) {
			while (counters_upserts[u].rows > n - done)
				u++;
			if ((rc = counters_write_rows(sc, c, counters_upserts[u].sql, pending + done,
			                              counters_upserts[u].rows)) < 0)
				return rc;
			done += counters_upserts[u].rows;
		}
		n = 0;
	}
	return 0;
}

int store_counters_group_end(struct store_counters *sc, struct db_conn *c)
{
	size_t nslots;
	int rc;

	if (sc == NULL || db_conn_dialect(c) != DB_DIALECT_SQLITE || !sc->built || !sc->counting)
		return 0;
	if (sc->failed) {
		log_error("store: the group's counter changes could not be recorded");
		return DB_ERROR;
	}
	if (sc->n == 0)
		return 0;
	if ((nslots = counters_sum(sc)) == 0) {
		log_error("store: out of memory summing the group's counters");
		return DB_ERROR;
	}
	rc = counters_write(sc, c, nslots);
	store_counters_undo(sc, 0);
	return rc < 0 ? rc : 0;
}
