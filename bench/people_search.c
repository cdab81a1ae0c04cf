/*
 * people_search.c — the staff people list at scale, below HTTP: times
 * people_search() (src/domain/people.c, the function GET /staff/people
 * calls) on the database bench/people.sh generated, and beside it the
 * reference — a raw FTS5 prefix MATCH on the same people_fts table through
 * the SQLite C API, with nothing of onramp in between. On SQLite the index
 * lives in its own file beside the database (DB_PATH-search); the raw
 * connection attaches it as schema "search", as onramp's readers do, and
 * names people_fts unqualified, as onramp's queries do.
 *
 * Each case is one kind of search the page offers; its values rotate
 * through a small list (several states, name prefixes, emails …) so no
 * single cached answer is timed. A case runs `rounds` times after two
 * warm-up calls, or until BENCH_CASE_SECONDS (3 s) have passed, whichever
 * comes first (at least 5 timed calls): a slow case is reported, not waited
 * out. One thread, one call at a time.
 *
 * The emails and phones searched for are read from the data first (raw
 * SQL: benchmark code may query SQLite directly; the product may not).
 *
 * Usage: people_search DB_PATH [ROUNDS]
 * Output, one line per case:
 *   case NAME p50_us N p99_us N calls N matches N rows N
 * and for the reference:
 *   raw NAME p50_us N p99_us N calls N matches N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "domain/people.h"
#include "lib/log.h"
#include "store/db.h"

#define BENCH_CASE_SECONDS 3.0
#define BENCH_MIN_CALLS 5
#define BENCH_MAX_VALUES 8
#define BENCH_MAX_CALLS 100000

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The value at fraction p of the sorted samples (nearest rank). */
static double bench_pct(const double *v, int n, double p)
{
	int i = (int)((n - 1) * p + 0.5);

	return v[i < n ? i : n - 1];
}

/* One kind of search: which field of people_query the rotating value goes
 * to, plus fixed filters. */
struct bench_case {
	const char *name;
	const char *field;    /* "q", "state", "office", or NULL (no rotating value) */
	const char *values[BENCH_MAX_VALUES];
	const char *state, *office, *sort;
	int         dated;    /* 1: from/to a 30-day window */
	int         page;
};

static char bench_from[16], bench_to[16];
static char bench_emails[4][128], bench_phones[4][32];

/* Reads the email and phone of four people spread over the table (the
 * first with a phone at or after 1/5, 2/5, 3/5 and 4/5 of the ids), so the
 * exact-email and phone cases search for real people. */
static int bench_pick_contacts(sqlite3 *raw)
{
	sqlite3_stmt *s = NULL;
	const char *e, *p;
	long long max = 0;
	int i, rc;

	if (sqlite3_prepare_v2(raw, "SELECT max(id) FROM people", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		max = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(raw,
		"SELECT e.email, h.phone FROM person_phones h"
		" JOIN person_emails e ON e.person_id = h.person_id"
		" WHERE h.person_id >= ? ORDER BY h.person_id LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; i < 4; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, max * (i + 1) / 5);
		rc = sqlite3_step(s);
		e = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
		p = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 1) : NULL;
		if (e == NULL || p == NULL || strlen(p) != 12) {
			fprintf(stderr, "people_search: no person with an email and a US phone\n");
			sqlite3_finalize(s);
			return -1;
		}
		snprintf(bench_emails[i], sizeof(bench_emails[i]), "%s", e);
		/* "+1AAANNNNNNN" typed as "(AAA) NNN-NNNN", as staff would */
		snprintf(bench_phones[i], sizeof(bench_phones[i]), "(%.3s) %.3s-%.4s", p + 2, p + 5, p + 8);
	}
	sqlite3_finalize(s);
	return 0;
}

/* Attaches the search index beside path (path-search) as schema "search",
 * read-only like the connection. Returns 0 or -1 (the error in raw). */
static int bench_attach_search(sqlite3 *raw, const char *path)
{
	sqlite3_stmt *s = NULL;
	char search[4096];
	int rc;

	if (snprintf(search, sizeof(search), "%s-search", path) >= (int)sizeof(search))
		return -1;
	if (sqlite3_prepare_v2(raw, "ATTACH DATABASE ? AS search", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, search, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Runs one case; prints its line. Returns 0 or -1. */
static int bench_run_case(struct db *db, const struct bench_case *bc, int rounds)
{
	static double samples[BENCH_MAX_CALLS];
	struct people_query q;
	json_t *rows = NULL;
	long long total = 0, total0 = -1;
	size_t nrows = 0;
	double t0, t1, start;
	int nvalues = 0, i, n = 0;

	while (nvalues < BENCH_MAX_VALUES && bc->values[nvalues])
		nvalues++;
	if (rounds > BENCH_MAX_CALLS)
		rounds = BENCH_MAX_CALLS;
	start = bench_now();
	for (i = -2; i < rounds; i++) {
		memset(&q, 0, sizeof(q));
		q.sort = bc->sort;
		q.state = bc->state;
		q.office = bc->office;
		q.page = bc->page;
		q.per_page = 50;
		if (bc->dated) {
			q.from = bench_from;
			q.to = bench_to;
		}
		if (bc->field && nvalues) {
			const char *v = bc->values[(i + 2) % nvalues];

			if (strcmp(bc->field, "q") == 0)
				q.q = v;
			else if (strcmp(bc->field, "state") == 0)
				q.state = v;
			else if (strcmp(bc->field, "office") == 0)
				q.office = v;
		}
		t0 = bench_now();
		if (people_search(db, &q, &rows, &total) < 0) {
			fprintf(stderr, "people_search: case %s failed\n", bc->name);
			return -1;
		}
		t1 = bench_now();
		if (i == -2) {
			total0 = total;
			nrows = json_array_size(rows);
		}
		json_decref(rows);
		rows = NULL;
		if (i >= 0)
			samples[n++] = t1 - t0;
		if (n >= BENCH_MIN_CALLS && t1 - start > BENCH_CASE_SECONDS)
			break;
	}
	qsort(samples, (size_t)n, sizeof(samples[0]), bench_cmp);
	printf("case %s p50_us %.0f p99_us %.0f calls %d matches %lld rows %zu\n", bc->name,
	       bench_pct(samples, n, 0.50) * 1e6, bench_pct(samples, n, 0.99) * 1e6, n, total0, nrows);
	return 0;
}

/* The reference: an FTS5 prefix MATCH on the name column, the first 50
 * rowids (one page) and, separately, the count of all matches (what the
 * page's "N people" costs the engine). */
static int bench_run_raw(sqlite3 *raw, const char *name, const char *sql, int rounds)
{
	static const char *const terms[] = {
		"name : \"ma\"*", "name : \"jo\"*", "name : \"gar\"*", "name : \"ch\"*",
		"name : \"smi\"*", "name : \"le\"*", "name : \"rob\"*", "name : \"ng\"*",
	};
	static double samples[BENCH_MAX_CALLS];
	sqlite3_stmt *s = NULL;
	long long matches = -1, got;
	double t0, t1, start;
	int i, n = 0, rc;

	if (sqlite3_prepare_v2(raw, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "people_search: %s: %s\n", sql, sqlite3_errmsg(raw));
		return -1;
	}
	if (rounds > BENCH_MAX_CALLS)
		rounds = BENCH_MAX_CALLS;
	start = bench_now();
	for (i = -2; i < rounds; i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, terms[(i + 2) % 8], -1, SQLITE_STATIC);
		got = 0;
		t0 = bench_now();
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			got = sqlite3_column_count(s) == 1 && strstr(sql, "count(") ? sqlite3_column_int64(s, 0)
			                                                             : got + 1;
		t1 = bench_now();
		if (rc != SQLITE_DONE) {
			fprintf(stderr, "people_search: %s: %s\n", sql, sqlite3_errmsg(raw));
			sqlite3_finalize(s);
			return -1;
		}
		if (i == -2)
			matches = got;
		if (i >= 0)
			samples[n++] = t1 - t0;
		if (n >= BENCH_MIN_CALLS && t1 - start > BENCH_CASE_SECONDS)
			break;
	}
	sqlite3_finalize(s);
	qsort(samples, (size_t)n, sizeof(samples[0]), bench_cmp);
	printf("raw %s p50_us %.0f p99_us %.0f calls %d matches %lld\n", name,
	       bench_pct(samples, n, 0.50) * 1e6, bench_pct(samples, n, 0.99) * 1e6, n, matches);
	return 0;
}

int main(int argc, char **argv)
{
	struct db *db = NULL;
	sqlite3 *raw = NULL;
	char url[4096], err[256];
	time_t from_t;
	struct tm tm;
	int rounds, rc = 1;
	size_t i;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: people_search DB_PATH [ROUNDS]\n");
		return 2;
	}
	rounds = argc == 3 ? (int)strtol(argv[2], NULL, 10) : 200;
	if (rounds < BENCH_MIN_CALLS)
		rounds = BENCH_MIN_CALLS;
	log_set_level(LOG_WARN);

	if (sqlite3_open_v2(argv[1], &raw, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    bench_attach_search(raw, argv[1]) < 0) {
		fprintf(stderr, "people_search: %s: %s\n", argv[1], sqlite3_errmsg(raw));
		goto done;
	}
	if (bench_pick_contacts(raw) < 0)
		goto done;
	/* a 30-day window a year before now, inside the three years of data */
	from_t = time(NULL) - 400 * 86400;
	gmtime_r(&from_t, &tm);
	strftime(bench_from, sizeof(bench_from), "%Y-%m-%d", &tm);
	from_t += 29 * 86400;
	gmtime_r(&from_t, &tm);
	strftime(bench_to, sizeof(bench_to), "%Y-%m-%d", &tm);

	if (snprintf(url, sizeof(url), "sqlite:%s", argv[1]) >= (int)sizeof(url) ||
	    db_open(url, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "people_search: %s\n", err);
		goto done;
	}

	{
		const struct bench_case cases[] = {
			{ "all_newest", NULL, { NULL }, NULL, NULL, NULL, 0, 1 },
			{ "all_newest_page100", NULL, { NULL }, NULL, NULL, NULL, 0, 100 },
			{ "all_by_name", NULL, { NULL }, NULL, NULL, "name", 0, 1 },
			{ "all_by_state", NULL, { NULL }, NULL, NULL, "state", 0, 1 },
			{ "state", "state", { "CA", "NY", "WY", "TX", "VT", "OH", NULL }, NULL, NULL, NULL, 0, 1 },
			{ "state_by_name", "state", { "CA", "NY", "WY", "TX", NULL }, NULL, NULL, "name", 0, 1 },
			{ "office", "office", { "judicial", "school_board", "county", "election_admin", NULL },
			  NULL, NULL, NULL, 0, 1 },
			{ "date_range", NULL, { NULL }, NULL, NULL, NULL, 1, 1 },
			{ "date_range_by_name", NULL, { NULL }, NULL, NULL, "name", 1, 1 },
			{ "name_prefix", "q", { "ma", "jo", "gar", "chr", "smi", "le", "rob", "ng" },
			  NULL, NULL, NULL, 0, 1 },
			{ "full_name", "q", { "maria garcia", "john smith", "wei chen", "ana lopez", NULL },
			  NULL, NULL, NULL, 0, 1 },
			{ "one_letter", "q", { "m", "j", "s", "a", NULL }, NULL, NULL, NULL, 0, 1 },
			{ "email", "q", { bench_emails[0], bench_emails[1], bench_emails[2], bench_emails[3],
			  NULL }, NULL, NULL, NULL, 0, 1 },
			{ "phone", "q", { bench_phones[0], bench_phones[1], bench_phones[2], bench_phones[3],
			  NULL }, NULL, NULL, NULL, 0, 1 },
			{ "zip", "q", { "10001", "60610", "94605", "82003", NULL }, NULL, NULL, NULL, 0, 1 },
			{ "combined", "q", { "ma", "jo", "le", "ch", NULL }, "CA", "school_board", "name", 1, 1 },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (bench_run_case(db, &cases[i], rounds) < 0)
				goto done;
	}
	if (bench_run_raw(raw, "fts5_prefix_page",
	                  "SELECT rowid FROM people_fts WHERE people_fts MATCH ? LIMIT 50", rounds) < 0 ||
	    bench_run_raw(raw, "fts5_prefix_count",
	                  "SELECT count(*) FROM people_fts WHERE people_fts MATCH ?", rounds) < 0)
		goto done;
	rc = 0;
done:
	if (db)
		db_close(db);
	sqlite3_close(raw);
	return rc;
}
