/*
 * db_migrate.c — applies the schema migrations of schema.c.
 *
 * The table schema_migrations(version, name, applied_at) records each
 * applied migration. db_migrate() runs every pending entry of migrations[]
 * in order, each as its own db_write() job: the check "is it applied?", the
 * migration's SQL and the record of it commit together or not at all, and
 * because the writer's transaction takes the database's write lock at BEGIN,
 * two processes migrating at once cannot both apply the same version.
 *
 * Invariants: migrations[] versions are positive and strictly increasing; a
 * database recording a version newer than this program knows is refused
 * (an old binary must not write to a newer schema).
 *
 * Threading: none of its own; it goes through db_write() and the read pool.
 * Engine-neutral: only sql.h calls, SQL text picked by dialect.
 */
#include "store/sql.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "lib/log.h"

static const char sql_create_sqlite[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)";
static const char sql_create_postgres[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INTEGER PRIMARY KEY, name TEXT, applied_at BIGINT)";
static const char sql_table_sqlite[] =
	"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
static const char sql_table_postgres[] =
	"SELECT count(*) FROM information_schema.tables"
	" WHERE table_schema = current_schema() AND table_name = 'schema_migrations'";
static const char sql_max_version[] = "SELECT max(version) FROM schema_migrations";
static const char sql_has_version[] = "SELECT 1 FROM schema_migrations WHERE version = ?";
static const char sql_record[] =
	"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)";

struct migrate_apply {
	const struct migration *m;
	int                      failed_at;  /* 0, or which step failed (for the reason) */
};

/* Writes a one-line reason into err (a truncated reason is still one). */
static void migrate_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void migrate_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

/* The newest version migrations[] knows (0 when empty). */
static int migrate_last_version(void)
{
	return migrations_count ? migrations[migrations_count - 1].version : 0;
}

/* Checks the invariants of migrations[]; -1 with a reason if broken. */
static int migrate_check_list(char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < migrations_count; i++) {
		if (migrations[i].version <= 0 ||
		    (i > 0 && migrations[i].version <= migrations[i - 1].version)) {
			migrate_err(err, errlen, "migration list out of order at version %d",
			         migrations[i].version);
			return -1;
		}
	}
	return 0;
}

/* Job: creates schema_migrations if missing and returns the newest
 * recorded version (0 when none), or < 0. */
static int migrate_job_prepare(struct db_conn *c, void *arg)
{
	struct db_stmt *s;
	int rc;
	long long v = 0;

	(void)arg;
	rc = db_exec(c, db_conn_dialect(c) == DB_DIALECT_SQLITE ? sql_create_sqlite
	                                                        : sql_create_postgres);
	if (rc < 0)
		return rc;
	s = db_prepare(c, sql_max_version);
	if (!s)
		return DB_ERROR;
	rc = db_step(s);
	if (rc == DB_ROW && !db_col_is_null(s, 0))
		v = db_col_int(s, 0);
	db_done(s);
	if (rc != DB_ROW)
		return rc < 0 ? rc : DB_ERROR;
	if (v < 0 || v > 0x7fffffff)
		return DB_ERROR;
	return (int)v;
}

/* Job: applies one migration unless recorded. Returns 1 if applied, 0 if
 * it already was, < 0 on failure (the savepoint undoes any part of it). */
static int migrate_job_apply(struct db_conn *c, void *arg)
{
	struct migrate_apply *a = arg;
	const char *text;
	struct db_stmt *s;
	int rc;

	s = db_prepare(c, sql_has_version);
	if (!s)
		return DB_ERROR;
	rc = db_bind_int(s, 1, a->m->version);
	if (rc == DB_OK)
		rc = db_step(s);
	db_done(s);
	if (rc == DB_ROW)
		return 0;
	if (rc != DB_DONE) {
		a->failed_at = 1;
		return rc < 0 ? rc : DB_ERROR;
	}

	text = db_conn_dialect(c) == DB_DIALECT_SQLITE ? a->m->sqlite : a->m->postgres;
	if (!text) {
		a->failed_at = 2;
		return DB_ERROR;
	}
	rc = db_exec(c, text);
	if (rc < 0) {
		a->failed_at = 3;
		return rc;
	}

	s = db_prepare(c, sql_record);
	if (!s)
		return DB_ERROR;
	rc = db_bind_int(s, 1, a->m->version);
	if (rc == DB_OK)
		rc = db_bind_text(s, 2, a->m->name);
	if (rc == DB_OK)
		rc = db_bind_int(s, 3, db_now());
	if (rc == DB_OK)
		rc = db_step(s);
	db_done(s);
	if (rc != DB_DONE) {
		a->failed_at = 4;
		return rc < 0 ? rc : DB_ERROR;
	}
	return 1;
}

int db_migrate(struct db *db, int *applied, char *err, size_t errlen)
{
	return db_migrate_upto(db, INT_MAX, applied, err, errlen);
}

int db_migrate_upto(struct db *db, int last, int *applied, char *err, size_t errlen)
{
	static const char *const step_name[] = {
		"", "reading schema_migrations", "no SQL for this database",
		"running its SQL", "recording it",
	};
	struct migrate_apply a;
	size_t i;
	int rc, newest, count = 0;

	if (applied)
		*applied = 0;
	if (!db) {
		migrate_err(err, errlen, "no database");
		return -1;
	}
	if (migrate_check_list(err, errlen) != 0)
		return -1;
	newest = db_write(db, migrate_job_prepare, NULL);
	if (newest < 0) {
		migrate_err(err, errlen, "cannot create schema_migrations%s",
		         newest == DB_FULL ? ": disk full or I/O error" : " (see the log)");
		return -1;
	}
	if (newest > migrate_last_version()) {
		migrate_err(err, errlen, "the database is at schema version %d, newer than this "
		         "program's %d; run a newer Onramp", newest, migrate_last_version());
		return -1;
	}
	for (i = 0; i < migrations_count && migrations[i].version <= last; i++) {
		a.m = &migrations[i];
		a.failed_at = 0;
		rc = db_write(db, migrate_job_apply, &a);
		if (rc < 0) {
			migrate_err(err, errlen, "migration %d (%s) failed%s%s%s", a.m->version,
			         a.m->name ? a.m->name : "",
			         a.failed_at ? ": " : "",
			         a.failed_at ? step_name[a.failed_at] : "",
			         rc == DB_FULL ? " (disk full or I/O error)" : " (see the log)");
			if (applied)
				*applied = count;
			return -1;
		}
		if (rc == 1) {
			log_info("store: applied migration %d (%s)", a.m->version,
			         a.m->name ? a.m->name : "");
			count++;
		}
	}
	if (applied)
		*applied = count;
	return 0;
}

int db_migrations_current(struct db *db)
{
	struct db_conn *c;
	struct db_stmt *s;
	size_t i;
	int rc, result = 1;

	if (!db)
		return -1;
	c = db_read_begin(db);
	s = db_prepare(c, db_conn_dialect(c) == DB_DIALECT_SQLITE ? sql_table_sqlite
	                                                          : sql_table_postgres);
	if (!s) {
		result = -1;
		goto done;
	}
	rc = db_step(s);
	if (rc != DB_ROW) {
		db_done(s);
		result = -1;
		goto done;
	}
	if (db_col_int(s, 0) == 0)
		result = migrations_count == 0;
	db_done(s);
	if (result != 1)
		goto done;

	for (i = 0; i < migrations_count; i++) {
		s = db_prepare(c, sql_has_version);
		if (!s) {
			result = -1;
			goto done;
		}
		rc = db_bind_int(s, 1, migrations[i].version);
		if (rc == DB_OK)
			rc = db_step(s);
		db_done(s);
		if (rc == DB_DONE) {
			result = 0;
			goto done;
		}
		if (rc != DB_ROW) {
			result = -1;
			goto done;
		}
	}
done:
	db_read_end(db, c);
	return result;
}
