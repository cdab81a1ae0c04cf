/*
 * store_counters.c — the compliance counters on SQLite's writer, summed per
 * group. See store_counters.h for the why; the triggers mirrored here are
 * migration 3's (schema_intake.c), one TEMP trigger for each, with the same
 * WHEN conditions and buckets.
 *
 * State: which schema the mirror was built for, as the main and temp
 * schema cookies (PRAGMA schema_version). A migration changes the main one;
 * a rolled-back group that had built the mirror brings the temp one back to
 * what it was before, so either way the next group builds it again.
 */
#include "store/store_counters.h"

#include <string.h>

#include "lib/log.h"
#include "store/sql.h"

/* The main schema's triggers that the mirror replaces (migration 3). */
static const char *const counters_known[] = {
	"intake_count_emails_del",   "intake_count_emails_ins",
	"intake_count_form_del",     "intake_count_form_ins",
	"intake_count_leads_del",    "intake_count_leads_ins",
	"intake_count_people_del",   "intake_count_people_ins",
	"intake_count_phones_del",   "intake_count_phones_ins",
	"intake_count_rejected_ins",
};
#define COUNTERS_KNOWN (sizeof(counters_known) / sizeof(counters_known[0]))

static const char counters_drop_sql[] =
	"DROP TRIGGER IF EXISTS temp.onramp_count_people_ins;"
	"DROP TRIGGER IF EXISTS temp.onramp_count_people_del;"
	"DROP TRIGGER IF EXISTS temp.onramp_count_emails_ins;"
	"DROP TRIGGER IF EXISTS temp.onramp_count_emails_del;"
	"DROP TRIGGER IF EXISTS temp.onramp_count_phones_ins;"
	"DROP TRIGGER IF EXISTS temp.onramp_count_phones_del;"
	"DROP TRIGGER IF EXISTS temp.onramp_count_leads_ins;"
	"DROP TRIGGER IF EXISTS temp.onramp_count_leads_del;"
	"DROP TRIGGER IF EXISTS temp.onramp_count_form_ins;"
	"DROP TRIGGER IF EXISTS temp.onramp_count_form_del;"
	"DROP TRIGGER IF EXISTS temp.onramp_count_rejected_ins;"
	"DROP TABLE IF EXISTS temp.onramp_count_delta;";

/* Ends each mirror trigger: adds the row's delta to its counter's. */
#define COUNTERS_ADD \
	" ON CONFLICT (name, bucket) DO UPDATE SET delta = delta + excluded.delta; END;"

static const char counters_mirror_sql[] =
	"CREATE TEMP TABLE onramp_count_delta ("
	" name TEXT NOT NULL, bucket TEXT NOT NULL, delta INTEGER NOT NULL,"
	" PRIMARY KEY (name, bucket)) WITHOUT ROWID;"
	"CREATE TEMP TRIGGER onramp_count_people_ins AFTER INSERT ON main.people BEGIN"
	" INSERT INTO onramp_count_delta VALUES ('people', '', 1)"
	COUNTERS_ADD
	"CREATE TEMP TRIGGER onramp_count_people_del AFTER DELETE ON main.people BEGIN"
	" INSERT INTO onramp_count_delta VALUES ('people', '', -1)"
	COUNTERS_ADD
	"CREATE TEMP TRIGGER onramp_count_emails_ins AFTER INSERT ON main.person_emails BEGIN"
	" INSERT INTO onramp_count_delta VALUES ('emails', '', 1)"
	COUNTERS_ADD
	"CREATE TEMP TRIGGER onramp_count_emails_del AFTER DELETE ON main.person_emails BEGIN"
	" INSERT INTO onramp_count_delta VALUES ('emails', '', -1)"
	COUNTERS_ADD
	"CREATE TEMP TRIGGER onramp_count_phones_ins AFTER INSERT ON main.person_phones BEGIN"
	" INSERT INTO onramp_count_delta VALUES ('phones', '', 1)"
	COUNTERS_ADD
	"CREATE TEMP TRIGGER onramp_count_phones_del AFTER DELETE ON main.person_phones BEGIN"
	" INSERT INTO onramp_count_delta VALUES ('phones', '', -1)"
	COUNTERS_ADD
	"CREATE TEMP TRIGGER onramp_count_leads_ins AFTER INSERT ON main.submissions"
	" WHEN NEW.status = 'accepted' BEGIN"
	" INSERT INTO onramp_count_delta VALUES ('leads', '', 1),"
	" ('leads_day', CAST(NEW.received_at / 86400 AS TEXT), 1)"
	COUNTERS_ADD
	"CREATE TEMP TRIGGER onramp_count_leads_del AFTER DELETE ON main.submissions"
	" WHEN OLD.status = 'accepted' BEGIN"
	" INSERT INTO onramp_count_delta VALUES ('leads', '', -1),"
	" ('leads_day', CAST(OLD.received_at / 86400 AS TEXT), -1)"
	COUNTERS_ADD
	"CREATE TEMP TRIGGER onramp_count_form_ins AFTER INSERT ON main.intake_submissions BEGIN"
	" INSERT INTO onramp_count_delta VALUES ('form_leads', CAST(NEW.form_id AS TEXT), 1),"
	" ('partner_leads', NEW.partner, 1)"
	COUNTERS_ADD
	"CREATE TEMP TRIGGER onramp_count_form_del AFTER DELETE ON main.intake_submissions BEGIN"
	" INSERT INTO onramp_count_delta VALUES ('form_leads', CAST(OLD.form_id AS TEXT), -1),"
	" ('partner_leads', OLD.partner, -1)"
	COUNTERS_ADD
	"CREATE TEMP TRIGGER onramp_count_rejected_ins AFTER INSERT ON main.rejected_leads BEGIN"
	" INSERT INTO onramp_count_delta VALUES ('form_rejected', CAST(NEW.form_id AS TEXT), 1)"
	COUNTERS_ADD;

/* The deltas are summed per counter as they are recorded (the TEMP table
 * is keyed by counter), so the flush is one upsert per changed counter, no
 * sort. "WHERE true" keeps SQLite's parser from reading ON CONFLICT as a
 * join's ON. */
static const char counters_flush_sql[] =
	"INSERT INTO main.intake_counters (name, bucket, value)"
	" SELECT name, bucket, delta FROM temp.onramp_count_delta WHERE true"
	" ON CONFLICT (name, bucket) DO UPDATE SET value = value + excluded.value";

struct counters_state {
	int       built;       /* the cookies below are those of a built check */
	int       mirrored;    /* main triggers off, the TEMP mirror counting */
	long long main_cookie;
	long long temp_cookie;
};

/* One writer thread per database, one state per writer thread. */
static _Thread_local struct counters_state counters;

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
			log_warn("store: trigger %s is not one the writer's counters mirror;"
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

/* Builds the mirror (or turns the main triggers back on) for the schema
 * as it is now, inside the group's transaction. */
static int counters_build(struct db_conn *c, long long main_cookie)
{
	int rc, known;

	if ((rc = db_exec(c, counters_drop_sql)) < 0)
		return rc;
	if ((known = counters_schema_known(c)) < 0)
		return known;
	if (known && (rc = db_exec(c, counters_mirror_sql)) < 0)
		return rc;
	if ((rc = db_conn_main_triggers(c, !known)) < 0)
		return rc;
	counters.mirrored = known;
	counters.main_cookie = main_cookie;
	if ((rc = counters_int(c, "PRAGMA temp.schema_version", &counters.temp_cookie)) < 0)
		return rc;
	counters.built = 1;
	return 0;
}

int store_counters_group_begin(struct db_conn *c)
{
	long long main_cookie = 0, temp_cookie = 0;
	int rc;

	if (db_conn_dialect(c) != DB_DIALECT_SQLITE)
		return 0;
	if ((rc = counters_int(c, "PRAGMA main.schema_version", &main_cookie)) < 0 ||
	    (rc = counters_int(c, "PRAGMA temp.schema_version", &temp_cookie)) < 0)
		return rc;
	if (counters.built && main_cookie == counters.main_cookie &&
	    temp_cookie == counters.temp_cookie)
		return 0;
	counters.built = 0;
	return counters_build(c, main_cookie);
}

int store_counters_group_end(struct db_conn *c)
{
	int rc;

	if (db_conn_dialect(c) != DB_DIALECT_SQLITE || !counters.built || !counters.mirrored)
		return 0;
	/* Both run once per group: through the statement cache. */
	if ((rc = db_exec_cached(c, counters_flush_sql)) < 0)
		return rc;
	return db_exec_cached(c, "DELETE FROM temp.onramp_count_delta");
}
