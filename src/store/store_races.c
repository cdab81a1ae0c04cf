/*
 * store_races.c — all SQL for divisions, offices, elections, races,
 * people's races of interest, deadline reminders and ZIP centroids.
 *
 * Invariants: constant SQL text with "?" parameters, the subset both
 * SQLite and PostgreSQL 15 accept; every statement is finished with
 * db_done() on every path. Upserts key on the import codes (offices,
 * elections), the OCD id (divisions) and (office, election) for races, so
 * importing a file twice changes nothing the second time.
 *
 * Threading: no state of its own.
 */
#include "store/store_races.h"

#include <string.h>

#include "store/sql.h"

/* How a column becomes a json value in a row. */
enum col_kind { COL_INT, COL_TEXT, COL_BOOL };
struct col {
	const char   *name;
	enum col_kind kind;
};

static int races_err(int rc)
{
	return rc < 0 ? rc : DB_ERROR;
}

/* Steps s (no rows expected) and finishes it. */
static int races_run(struct db_stmt *s)
{
	int rc = db_step(s);

	db_done(s);
	return rc == DB_DONE ? 0 : races_err(rc);
}

/* Makes a json object of the current row of s from cols (column i is
 * cols[i]). NULL out of memory. */
static json_t *races_row(struct db_stmt *s, const struct col *cols, size_t n)
{
	json_t *row = json_object(), *v;
	size_t i;

	if (!row)
		return NULL;
	for (i = 0; i < n; i++) {
		if (cols[i].kind == COL_INT)
			v = json_integer(db_col_int(s, (int)i));
		else if (cols[i].kind == COL_BOOL)
			v = json_boolean(db_col_int(s, (int)i) != 0);
		else if (db_col_is_null(s, (int)i))
			v = json_null();
		else
			v = json_string(db_col_text(s, (int)i));
		if (!v || json_object_set_new(row, cols[i].name, v) < 0) {
			json_decref(row);
			return NULL;
		}
	}
	return row;
}

/* Steps s to the end, appending a row per result to arr, then finishes s. */
static int races_collect(struct db_stmt *s, const struct col *cols, size_t n, json_t *arr)
{
	json_t *row;
	int rc;

	while ((rc = db_step(s)) == DB_ROW) {
		row = races_row(s, cols, n);
		if (!row || json_array_append_new(arr, row) < 0) {
			db_done(s);
			return DB_ERROR;
		}
	}
	db_done(s);
	return rc == DB_DONE ? 0 : races_err(rc);
}

/* As races_collect into a new array at *rows. */
static int races_collect_new(struct db_stmt *s, const struct col *cols, size_t n, json_t **rows)
{
	json_t *arr = json_array();
	int rc;

	*rows = NULL;
	if (!arr) {
		db_done(s);
		return DB_ERROR;
	}
	rc = races_collect(s, cols, n, arr);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*rows = arr;
	return 0;
}

/* Binds text, or NULL for NULL or "". */
static int races_bind_opt(struct db_stmt *s, int i, const char *v)
{
	return db_bind_text(s, i, v && *v ? v : NULL);
}

int store_races_write(struct db *db, store_races_job_fn fn, void *arg)
{
	return db_write(db, fn, arg);
}

struct db_conn *store_races_read_begin(struct db *db)
{
	return db_read_begin(db);
}

void store_races_read_end(struct db *db, struct db_conn *c)
{
	db_read_end(db, c);
}

/* ---- divisions ---- */

int store_division_upsert(struct db_conn *c, const char *id, const char *name, const char *type,
                          const char *parent, const char *state, long long at)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO divisions (id, name, type, parent_id, state, updated_at)"
		" VALUES (?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type,"
		" parent_id = excluded.parent_id, state = excluded.state,"
		" updated_at = excluded.updated_at");
	int bad = 0;

	if (!s)
		return DB_ERROR;
	bad |= db_bind_text(s, 1, id) != DB_OK;
	bad |= db_bind_text(s, 2, name) != DB_OK;
	bad |= db_bind_text(s, 3, type) != DB_OK;
	bad |= races_bind_opt(s, 4, parent) != DB_OK;
	bad |= races_bind_opt(s, 5, state) != DB_OK;
	bad |= db_bind_int(s, 6, at) != DB_OK;
	if (bad) {
		db_done(s);
		return DB_ERROR;
	}
	return races_run(s);
}

int store_division_set_boundary(struct db_conn *c, const char *id, const void *wkb, size_t len,
                                long long at)
{
	struct db_stmt *s = db_prepare(c,
		"UPDATE divisions SET boundary = ?, updated_at = ? WHERE id = ?");
	int rc;

	if (!s)
		return DB_ERROR;
	if (db_bind_blob(s, 1, wkb, len) != DB_OK || db_bind_int(s, 2, at) != DB_OK ||
	    db_bind_text(s, 3, id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = races_run(s);
	if (rc < 0)
		return rc;
	return db_changes(c) > 0 ? 1 : 0;
}

int store_division_load(struct db_conn *c, const char *id, json_t **row)
{
	static const struct col cols[] = {
		{ "id", COL_TEXT }, { "name", COL_TEXT }, { "type", COL_TEXT },
		{ "parent_id", COL_TEXT }, { "state", COL_TEXT },
	};
	struct db_stmt *s = db_prepare(c,
		"SELECT id, name, type, parent_id, state FROM divisions WHERE id = ?");
	int rc;

	*row = NULL;
	if (!s)
		return DB_ERROR;
	if (db_bind_text(s, 1, id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		*row = races_row(s, cols, sizeof(cols) / sizeof(cols[0]));
	db_done(s);
	if (rc == DB_ROW)
		return *row ? 1 : DB_ERROR;
	return rc == DB_DONE ? 0 : races_err(rc);
}

int store_boundaries_bump(struct db_conn *c)
{
	struct db_stmt *s = db_prepare(c,
		"UPDATE races_meta SET value = value + 1 WHERE key = 'boundaries_version'");

	return s ? races_run(s) : DB_ERROR;
}

int store_boundaries_version(struct db_conn *c, long long *version)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT value FROM races_meta WHERE key = 'boundaries_version'");
	int rc;

	*version = 0;
	if (!s)
		return DB_ERROR;
	rc = db_step(s);
	if (rc == DB_ROW)
		*version = db_col_int(s, 0);
	db_done(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : races_err(rc);
}

int store_boundaries_each(struct db_conn *c, const char *state, const char *type,
                          store_boundary_fn fn, void *arg)
{
	struct db_stmt *s;
	const void *wkb;
	size_t len;
	int rc, cb = 0;

	if (state)
		s = db_prepare(c,
			"SELECT id, name, type, boundary FROM divisions"
			" WHERE boundary IS NOT NULL AND state = ? AND (CAST(? AS TEXT) IS NULL OR type = ?)"
			" ORDER BY id");
	else
		s = db_prepare(c,
			"SELECT id, name, type, boundary FROM divisions"
			" WHERE boundary IS NOT NULL ORDER BY id");
	if (!s)
		return DB_ERROR;
	if (state && (db_bind_text(s, 1, state) != DB_OK || db_bind_text(s, 2, type) != DB_OK ||
	              db_bind_text(s, 3, type) != DB_OK)) {
		db_done(s);
		return DB_ERROR;
	}
	while ((rc = db_step(s)) == DB_ROW) {
		wkb = db_col_blob(s, 3, &len);
		cb = fn(db_col_text(s, 0), db_col_text(s, 1), db_col_text(s, 2), wkb, len, arg);
		if (cb < 0)
			break;
	}
	db_done(s);
	if (cb < 0)
		return cb;
	return rc == DB_DONE ? 0 : races_err(rc);
}

/* ---- offices, elections, races ---- */

int store_office_upsert(struct db_conn *c, const struct store_office *o, long long at)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO offices (code, name, level, division_id, seats, term_years, salary,"
		" partisan, min_age, residency, filing_requirements, updated_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,"
		" division_id = excluded.division_id, seats = excluded.seats,"
		" term_years = excluded.term_years, salary = excluded.salary,"
		" partisan = excluded.partisan, min_age = excluded.min_age,"
		" residency = excluded.residency, filing_requirements = excluded.filing_requirements,"
		" updated_at = excluded.updated_at");
	int bad = 0;

	if (!s)
		return DB_ERROR;
	bad |= db_bind_text(s, 1, o->code) != DB_OK;
	bad |= db_bind_text(s, 2, o->name) != DB_OK;
	bad |= db_bind_text(s, 3, o->level) != DB_OK;
	bad |= db_bind_text(s, 4, o->division_id) != DB_OK;
	bad |= db_bind_int(s, 5, o->seats) != DB_OK;
	bad |= db_bind_int(s, 6, o->term_years) != DB_OK;
	bad |= races_bind_opt(s, 7, o->salary) != DB_OK;
	bad |= db_bind_int(s, 8, o->partisan ? 1 : 0) != DB_OK;
	bad |= db_bind_int(s, 9, o->min_age) != DB_OK;
	bad |= races_bind_opt(s, 10, o->residency) != DB_OK;
	bad |= races_bind_opt(s, 11, o->filing_requirements) != DB_OK;
	bad |= db_bind_int(s, 12, at) != DB_OK;
	if (bad) {
		db_done(s);
		return DB_ERROR;
	}
	return races_run(s);
}

int store_election_upsert(struct db_conn *c, const struct store_election *e, long long at)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO elections (code, state, name, kind, election_day, filing_opens,"
		" filing_closes, filing_where, filing_how, updated_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (code) DO UPDATE SET state = excluded.state, name = excluded.name,"
		" kind = excluded.kind, election_day = excluded.election_day,"
		" filing_opens = excluded.filing_opens, filing_closes = excluded.filing_closes,"
		" filing_where = excluded.filing_where, filing_how = excluded.filing_how,"
		" updated_at = excluded.updated_at");
	int bad = 0;

	if (!s)
		return DB_ERROR;
	bad |= db_bind_text(s, 1, e->code) != DB_OK;
	bad |= db_bind_text(s, 2, e->state) != DB_OK;
	bad |= db_bind_text(s, 3, e->name) != DB_OK;
	bad |= db_bind_text(s, 4, e->kind) != DB_OK;
	bad |= db_bind_int(s, 5, e->election_day) != DB_OK;
	bad |= db_bind_int(s, 6, e->filing_opens) != DB_OK;
	bad |= db_bind_int(s, 7, e->filing_closes) != DB_OK;
	bad |= races_bind_opt(s, 8, e->filing_where) != DB_OK;
	bad |= races_bind_opt(s, 9, e->filing_how) != DB_OK;
	bad |= db_bind_int(s, 10, at) != DB_OK;
	if (bad) {
		db_done(s);
		return DB_ERROR;
	}
	return races_run(s);
}

int store_race_upsert(struct db_conn *c, const struct store_race *r, long long at)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO races (office_id, election_id, incumbent, candidates, candidate_count,"
		" uncontested_last, updated_at)"
		" SELECT o.id, e.id, ?, ?, ?, ?, ? FROM offices o, elections e"
		" WHERE o.code = ? AND e.code = ?"
		" ON CONFLICT (office_id, election_id) DO UPDATE SET incumbent = excluded.incumbent,"
		" candidates = excluded.candidates, candidate_count = excluded.candidate_count,"
		" uncontested_last = excluded.uncontested_last, updated_at = excluded.updated_at");
	int bad = 0, rc;

	if (!s)
		return DB_ERROR;
	bad |= races_bind_opt(s, 1, r->incumbent) != DB_OK;
	bad |= races_bind_opt(s, 2, r->candidates) != DB_OK;
	bad |= db_bind_int(s, 3, r->candidate_count) != DB_OK;
	bad |= db_bind_int(s, 4, r->uncontested_last ? 1 : 0) != DB_OK;
	bad |= db_bind_int(s, 5, at) != DB_OK;
	bad |= db_bind_text(s, 6, r->office_code) != DB_OK;
	bad |= db_bind_text(s, 7, r->election_code) != DB_OK;
	if (bad) {
		db_done(s);
		return DB_ERROR;
	}
	rc = races_run(s);
	if (rc < 0)
		return rc;
	return db_changes(c) > 0 ? 1 : 0;
}

/* The race row's columns (see store_races.h) and the SELECT that gives
 * them; each query appends its own FROM tail. */
static const struct col race_cols[] = {
	{ "id", COL_INT }, { "office", COL_TEXT }, { "level", COL_TEXT },
	{ "division_id", COL_TEXT }, { "division", COL_TEXT }, { "seats", COL_INT },
	{ "term_years", COL_INT }, { "salary", COL_TEXT }, { "partisan", COL_BOOL },
	{ "min_age", COL_INT }, { "residency", COL_TEXT }, { "filing_requirements", COL_TEXT },
	{ "election", COL_TEXT }, { "kind", COL_TEXT }, { "state", COL_TEXT },
	{ "election_day", COL_INT }, { "filing_opens", COL_INT }, { "filing_closes", COL_INT },
	{ "filing_where", COL_TEXT }, { "filing_how", COL_TEXT }, { "incumbent", COL_TEXT },
	{ "candidates", COL_TEXT }, { "candidate_count", COL_INT },
	{ "uncontested_last", COL_BOOL }, { "bench", COL_INT }, { "interested", COL_INT },
	{ "target", COL_BOOL }, { "added_at", COL_INT },
};
#define RACE_NCOLS 26 /* without target and added_at */

#define RACE_SELECT                                                                        \
	"SELECT r.id, o.name, o.level, o.division_id, d.name, o.seats, o.term_years,"         \
	" o.salary, o.partisan, o.min_age, o.residency, o.filing_requirements, e.name,"       \
	" e.kind, e.state, e.election_day, e.filing_opens, e.filing_closes, e.filing_where,"  \
	" e.filing_how, r.incumbent, r.candidates, r.candidate_count, r.uncontested_last,"    \
	" (SELECT count(*) FROM person_races pb WHERE pb.race_id = r.id AND pb.target = 1),"  \
	" (SELECT count(*) FROM person_races pi WHERE pi.race_id = r.id)"
#define RACE_FROM                                                                          \
	" FROM races r JOIN offices o ON o.id = r.office_id"                                  \
	" JOIN elections e ON e.id = r.election_id JOIN divisions d ON d.id = o.division_id"

int store_races_in_division(struct db_conn *c, const char *division_id, long long since,
                            json_t *rows)
{
	struct db_stmt *s = db_prepare(c, RACE_SELECT RACE_FROM
		" WHERE o.division_id = ? AND e.filing_closes >= ?"
		" ORDER BY e.filing_closes, o.name, r.id");

	if (!s)
		return DB_ERROR;
	if (db_bind_text(s, 1, division_id) != DB_OK || db_bind_int(s, 2, since) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return races_collect(s, race_cols, RACE_NCOLS, rows);
}

int store_race_load(struct db_conn *c, long long id, json_t **row)
{
	struct db_stmt *s = db_prepare(c, RACE_SELECT RACE_FROM " WHERE r.id = ?");
	int rc;

	*row = NULL;
	if (!s)
		return DB_ERROR;
	if (db_bind_int(s, 1, id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		*row = races_row(s, race_cols, RACE_NCOLS);
	db_done(s);
	if (rc == DB_ROW)
		return *row ? 1 : DB_ERROR;
	return rc == DB_DONE ? 0 : races_err(rc);
}

int store_races_upcoming(struct db_conn *c, const char *state, long long since, int limit,
                         json_t **rows)
{
	struct db_stmt *s = db_prepare(c, RACE_SELECT RACE_FROM
		" WHERE (CAST(? AS TEXT) IS NULL OR e.state = ?) AND e.election_day >= ?"
		" ORDER BY e.filing_closes, o.name, r.id LIMIT ?");
	int bad = 0;

	*rows = NULL;
	if (!s)
		return DB_ERROR;
	bad |= db_bind_text(s, 1, state) != DB_OK;
	bad |= db_bind_text(s, 2, state) != DB_OK;
	bad |= db_bind_int(s, 3, since) != DB_OK;
	bad |= db_bind_int(s, 4, limit) != DB_OK;
	if (bad) {
		db_done(s);
		return DB_ERROR;
	}
	return races_collect_new(s, race_cols, RACE_NCOLS, rows);
}

int store_elections_upcoming(struct db_conn *c, const char *state, long long since, int limit,
                             json_t **rows)
{
	static const struct col cols[] = {
		{ "id", COL_INT }, { "code", COL_TEXT }, { "state", COL_TEXT }, { "name", COL_TEXT },
		{ "kind", COL_TEXT }, { "election_day", COL_INT }, { "filing_opens", COL_INT },
		{ "filing_closes", COL_INT }, { "filing_where", COL_TEXT }, { "filing_how", COL_TEXT },
	};
	struct db_stmt *s = db_prepare(c,
		"SELECT id, code, state, name, kind, election_day, filing_opens, filing_closes,"
		" filing_where, filing_how FROM elections"
		" WHERE (CAST(? AS TEXT) IS NULL OR state = ?) AND election_day >= ?"
		" ORDER BY election_day, code LIMIT ?");
	int bad = 0;

	*rows = NULL;
	if (!s)
		return DB_ERROR;
	bad |= db_bind_text(s, 1, state) != DB_OK;
	bad |= db_bind_text(s, 2, state) != DB_OK;
	bad |= db_bind_int(s, 3, since) != DB_OK;
	bad |= db_bind_int(s, 4, limit) != DB_OK;
	if (bad) {
		db_done(s);
		return DB_ERROR;
	}
	return races_collect_new(s, cols, sizeof(cols) / sizeof(cols[0]), rows);
}

/* ---- people and races ---- */

int store_person_race_add(struct db_conn *c, long long person_id, long long race_id,
                          const char *source, long long at)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO person_races (person_id, race_id, target, source, created_at)"
		" VALUES (?, ?, 0, ?, ?) ON CONFLICT (person_id, race_id) DO NOTHING");
	int rc;

	if (!s)
		return DB_ERROR;
	if (db_bind_int(s, 1, person_id) != DB_OK || db_bind_int(s, 2, race_id) != DB_OK ||
	    db_bind_text(s, 3, source) != DB_OK || db_bind_int(s, 4, at) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = races_run(s);
	if (rc < 0)
		return rc;
	return db_changes(c) > 0 ? 1 : 0;
}

int store_person_race_target(struct db_conn *c, long long person_id, long long race_id,
                             long long at)
{
	struct db_stmt *s;
	int rc;

	rc = store_person_race_add(c, person_id, race_id, "staff", at);
	if (rc < 0)
		return rc;
	s = db_prepare(c, "UPDATE person_races SET target = 0"
	                  " WHERE person_id = ? AND target = 1 AND race_id <> ?");
	if (!s)
		return DB_ERROR;
	if (db_bind_int(s, 1, person_id) != DB_OK || db_bind_int(s, 2, race_id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = races_run(s);
	if (rc < 0)
		return rc;
	s = db_prepare(c, "UPDATE person_races SET target = 1"
	                  " WHERE person_id = ? AND race_id = ? AND target = 0");
	if (!s)
		return DB_ERROR;
	if (db_bind_int(s, 1, person_id) != DB_OK || db_bind_int(s, 2, race_id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = races_run(s);
	if (rc < 0)
		return rc;
	return db_changes(c) > 0 ? 1 : 0;
}

int store_person_races(struct db_conn *c, long long person_id, json_t **rows)
{
	struct db_stmt *s = db_prepare(c, RACE_SELECT ", pr.target, pr.created_at" RACE_FROM
		" JOIN person_races pr ON pr.race_id = r.id WHERE pr.person_id = ?"
		" ORDER BY pr.target DESC, e.filing_closes, r.id");

	*rows = NULL;
	if (!s)
		return DB_ERROR;
	if (db_bind_int(s, 1, person_id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return races_collect_new(s, race_cols, sizeof(race_cols) / sizeof(race_cols[0]), rows);
}

int store_deadline_task_claim(struct db_conn *c, long long person_id, long long race_id,
                              long long days_before, long long at)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO race_deadline_tasks (person_id, race_id, days_before, created_at)"
		" VALUES (?, ?, ?, ?) ON CONFLICT (person_id, race_id, days_before) DO NOTHING");
	int rc;

	if (!s)
		return DB_ERROR;
	if (db_bind_int(s, 1, person_id) != DB_OK || db_bind_int(s, 2, race_id) != DB_OK ||
	    db_bind_int(s, 3, days_before) != DB_OK || db_bind_int(s, 4, at) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = races_run(s);
	if (rc < 0)
		return rc;
	return db_changes(c) > 0 ? 1 : 0;
}

int store_deadline_task_set(struct db_conn *c, long long person_id, long long race_id,
                            long long days_before, long long task_id)
{
	struct db_stmt *s = db_prepare(c,
		"UPDATE race_deadline_tasks SET task_id = ?"
		" WHERE person_id = ? AND race_id = ? AND days_before = ?");
	int bad = 0;

	if (!s)
		return DB_ERROR;
	bad |= (task_id > 0 ? db_bind_int(s, 1, task_id) : db_bind_null(s, 1)) != DB_OK;
	bad |= db_bind_int(s, 2, person_id) != DB_OK;
	bad |= db_bind_int(s, 3, race_id) != DB_OK;
	bad |= db_bind_int(s, 4, days_before) != DB_OK;
	if (bad) {
		db_done(s);
		return DB_ERROR;
	}
	return races_run(s);
}

int store_deadline_task_count(struct db_conn *c, long long person_id, long long race_id,
                              long long *n)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT count(*) FROM race_deadline_tasks WHERE person_id = ? AND race_id = ?");
	int rc;

	*n = 0;
	if (!s)
		return DB_ERROR;
	if (db_bind_int(s, 1, person_id) != DB_OK || db_bind_int(s, 2, race_id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		*n = db_col_int(s, 0);
	db_done(s);
	return rc == DB_ROW ? 0 : races_err(rc);
}

/* ---- where people live ---- */

int store_zip_upsert(struct db_conn *c, const char *zip, long long lat_e6, long long lon_e6,
                     const char *state, long long at)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO zip_centroids (zip, lat_e6, lon_e6, state, updated_at)"
		" VALUES (?, ?, ?, ?, ?)"
		" ON CONFLICT (zip) DO UPDATE SET lat_e6 = excluded.lat_e6, lon_e6 = excluded.lon_e6,"
		" state = excluded.state, updated_at = excluded.updated_at");
	int bad = 0;

	if (!s)
		return DB_ERROR;
	bad |= db_bind_text(s, 1, zip) != DB_OK;
	bad |= db_bind_int(s, 2, lat_e6) != DB_OK;
	bad |= db_bind_int(s, 3, lon_e6) != DB_OK;
	bad |= races_bind_opt(s, 4, state) != DB_OK;
	bad |= db_bind_int(s, 5, at) != DB_OK;
	if (bad) {
		db_done(s);
		return DB_ERROR;
	}
	return races_run(s);
}

int store_zip_find(struct db_conn *c, const char *zip, long long *lat_e6, long long *lon_e6)
{
	struct db_stmt *s = db_prepare(c, "SELECT lat_e6, lon_e6 FROM zip_centroids WHERE zip = ?");
	int rc;

	if (!s)
		return DB_ERROR;
	if (db_bind_text(s, 1, zip) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW) {
		*lat_e6 = db_col_int(s, 0);
		*lon_e6 = db_col_int(s, 1);
	}
	db_done(s);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : races_err(rc);
}

int store_zip_people(struct db_conn *c, json_t **rows)
{
	static const struct col cols[] = {
		{ "zip", COL_TEXT }, { "lat_e6", COL_INT }, { "lon_e6", COL_INT }, { "people", COL_INT },
	};
	struct db_stmt *s = db_prepare(c,
		"SELECT z.zip, z.lat_e6, z.lon_e6, count(*) FROM people p"
		" JOIN zip_centroids z ON z.zip = p.zip GROUP BY z.zip, z.lat_e6, z.lon_e6"
		" ORDER BY z.zip");

	*rows = NULL;
	if (!s)
		return DB_ERROR;
	return races_collect_new(s, cols, sizeof(cols) / sizeof(cols[0]), rows);
}

int store_people_in_zip(struct db_conn *c, const char *zip, int limit, json_t **rows)
{
	static const struct col cols[] = {
		{ "id", COL_INT }, { "name", COL_TEXT }, { "state", COL_TEXT }, { "zip", COL_TEXT },
		{ "target", COL_TEXT },
	};
	struct db_stmt *s = db_prepare(c,
		"SELECT p.id, COALESCE(p.preferred_name, p.first_name) || ' ' || p.last_name,"
		" p.state, p.zip,"
		" (SELECT o.name FROM person_races pr JOIN races r ON r.id = pr.race_id"
		"  JOIN offices o ON o.id = r.office_id WHERE pr.person_id = p.id AND pr.target = 1)"
		" FROM people p WHERE p.zip = ? ORDER BY p.created_at DESC, p.id DESC LIMIT ?");

	*rows = NULL;
	if (!s)
		return DB_ERROR;
	if (db_bind_text(s, 1, zip) != DB_OK || db_bind_int(s, 2, limit) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return races_collect_new(s, cols, sizeof(cols) / sizeof(cols[0]), rows);
}
