/*
 * store_copy.c — the SQL and the streaming of `onramp copy-data` (see
 * store_copy.h): schema checks against the table list of schema_tables.c,
 * the emptiness check, batched copying, identity sequences, search rows and
 * the final count comparison.
 *
 * Reads: the source is read on one borrowed read connection inside one read
 * transaction, so every table comes from the same snapshot and the final
 * counts are counted in it too. One statement per table walks its rows in
 * primary-key order; values are copied out of it into a batch (a statement's
 * text is only valid until its next step), and each batch is one db_write()
 * job on the target, so the target's writer does the writing and the
 * engine's usual error mapping applies. Nothing is ever logged or printed
 * from a row: errors name the table and the row's position only.
 *
 * Every statement is constant text: the table list's own (built at compile
 * time) or the catalog queries below, picked by dialect.
 *
 * Threading: no state of its own; one copy runs on its caller's thread
 * (plus the target's writer thread, through db_write).
 */
#include "store/store_copy.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/limits.h"
#include "store/schema_tables.h"
#include "store/sql.h"
#include "store/store_people.h"
#include "store/store_search_queue.h"

#define COPY_NAME_MAX      64   /* bytes of a table or column name */
#define COPY_COLUMNS_MAX   64   /* columns of one table (the PostgreSQL engine's parameter cap) */
#define COPY_SEARCH_BATCH  500  /* people whose search rows one job rebuilds */

/* ---- catalog queries, by dialect ---- */

static const char sql_tables_sqlite[] =
	"SELECT name FROM pragma_table_list"
	" WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name";
static const char sql_tables_postgres[] =
	"SELECT table_name FROM information_schema.tables"
	" WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name";
static const char sql_columns_sqlite[] =
	"SELECT name, type, 'NO' FROM pragma_table_info(?)";
static const char sql_columns_postgres[] =
	"SELECT column_name, data_type, is_identity FROM information_schema.columns"
	" WHERE table_schema = current_schema() AND table_name = ?";
static const char sql_refs_sqlite[] =
	"SELECT \"table\" FROM pragma_foreign_key_list(?)";
static const char sql_refs_postgres[] =
	"SELECT c.relname FROM pg_constraint k JOIN pg_class c ON c.oid = k.confrelid"
	" WHERE k.contype = 'f' AND k.conrelid = to_regclass(?)";

static const char sql_people_after[] = "SELECT id FROM people WHERE id > ? ORDER BY id LIMIT ?";
static const char sql_count_people[] = "SELECT count(*) FROM people";
static const char sql_count_search_sqlite[] = "SELECT count(*) FROM people_fts";
static const char sql_count_search_postgres[] = "SELECT count(*) FROM people_search";

static void copy_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void copy_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

static int copy_is_pg(struct db_conn *c)
{
	return db_conn_dialect(c) == DB_DIALECT_POSTGRES;
}

/* ---- the table list ---- */

/* The index of table name in schema_tables[], or -1. */
static long copy_find_table(const char *name)
{
	size_t i;

	for (i = 0; i < schema_tables_count; i++)
		if (strcmp(schema_tables[i].name, name) == 0)
			return (long)i;
	return -1;
}

static int copy_is_derived(const char *name)
{
	size_t i;

	for (i = 0; i < schema_tables_derived_count; i++)
		if (strcmp(schema_tables_derived[i], name) == 0)
			return 1;
	return 0;
}

/* The number of columns in t->columns ("a, b, c"). */
static int copy_ncols(const struct schema_table *t)
{
	const char *p;
	int n = 1;

	for (p = t->columns; *p; p++)
		if (*p == ',')
			n++;
	return n;
}

/* The position of column name in t->columns, or -1. */
static int copy_column_index(const struct schema_table *t, const char *name)
{
	const char *p = t->columns;
	size_t len = strlen(name), n;
	int i = 0;

	for (;;) {
		while (*p == ' ')
			p++;
		n = strcspn(p, ",");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == len && strncmp(p, name, len) == 0)
			return i;
		p += strcspn(p, ",");
		if (*p == '\0')
			return -1;
		p++;
		i++;
	}
}

/* The kind letter ('i', 't', 'b') of a declared SQLite type or a
 * PostgreSQL data_type, or '?' for anything else. */
static char copy_kind_of(const char *type)
{
	if (!type)
		return '?';
	if (strcasecmp(type, "integer") == 0 || strcasecmp(type, "bigint") == 0 ||
	    strcasecmp(type, "smallint") == 0)
		return 'i';
	if (strcasecmp(type, "text") == 0)
		return 't';
	if (strcasecmp(type, "blob") == 0 || strcasecmp(type, "bytea") == 0)
		return 'b';
	return '?';
}

/* Copies a catalog name into out; -1 if it is missing or too long. */
static int copy_name(const char *v, char out[COPY_NAME_MAX])
{
	size_t n = v ? strlen(v) : 0;

	if (n == 0 || n >= COPY_NAME_MAX)
		return -1;
	memcpy(out, v, n + 1);
	return 0;
}

/* ---- schema check ---- */

/* Every base table of the database is listed or derived; marks listed ones
 * in seen[]. */
static int copy_check_tables(struct db_conn *c, unsigned char *seen, char *err, size_t errlen)
{
	struct db_stmt *s;
	char name[COPY_NAME_MAX];
	long i;
	int rc;

	s = db_prepare(c, copy_is_pg(c) ? sql_tables_postgres : sql_tables_sqlite);
	if (!s) {
		copy_err(err, errlen, "cannot list the database's tables (see the log)");
		return -1;
	}
	while ((rc = db_step(s)) == DB_ROW) {
		if (copy_name(db_col_text(s, 0), name) < 0)
			continue;  /* not one of ours: no migration makes such names */
		if (copy_is_derived(name))
			continue;
		i = copy_find_table(name);
		if (i < 0) {
			db_done(s);
			copy_err(err, errlen, "table %s is in the database but not in the copy list "
			         "(src/store/schema_tables.c)", name);
			return -1;
		}
		seen[i] = 1;
	}
	db_done(s);
	if (rc != DB_DONE) {
		copy_err(err, errlen, "cannot list the database's tables (see the log)");
		return -1;
	}
	return 0;
}

/* Table t has exactly the listed columns, of the listed kinds, and (on
 * PostgreSQL) an identity id exactly when the list resets one. */
static int copy_check_columns(struct db_conn *c, const struct schema_table *t,
                              char *err, size_t errlen)
{
	unsigned char found[COPY_COLUMNS_MAX] = { 0 };
	struct db_stmt *s;
	char name[COPY_NAME_MAX];
	const char *type, *ident, *q;
	int n = copy_ncols(t), params = 0, idx, rc, k, identity = 0;

	for (q = t->sql_insert; *q; q++)
		params += *q == '?';
	if (n > COPY_COLUMNS_MAX || (size_t)n != strlen(t->types) || params != n) {
		copy_err(err, errlen, "the copy list's entry for %s is inconsistent: %d columns, "
		         "%zu kinds, %d parameters", t->name, n, strlen(t->types), params);
		return -1;
	}
	s = db_prepare(c, copy_is_pg(c) ? sql_columns_postgres : sql_columns_sqlite);
	if (!s || db_bind_text(s, 1, t->name) != DB_OK) {
		db_done(s);
		copy_err(err, errlen, "cannot read the columns of %s (see the log)", t->name);
		return -1;
	}
	while ((rc = db_step(s)) == DB_ROW) {
		if (copy_name(db_col_text(s, 0), name) < 0) {
			db_done(s);
			copy_err(err, errlen, "table %s has a column with an unusable name", t->name);
			return -1;
		}
		type = db_col_text(s, 1);
		ident = db_col_text(s, 2);
		idx = copy_column_index(t, name);
		if (idx < 0) {
			db_done(s);
			copy_err(err, errlen, "column %s.%s is in the database but not in the copy list "
			         "(src/store/schema_tables.c)", t->name, name);
			return -1;
		}
		if (copy_kind_of(type) != t->types[idx]) {
			db_done(s);
			copy_err(err, errlen, "column %s.%s is %s in the database but '%c' in the copy list",
			         t->name, name, type ? type : "untyped", t->types[idx]);
			return -1;
		}
		if (ident && strcmp(ident, "YES") == 0) {
			if (strcmp(name, "id") != 0 || !t->sql_identity) {
				db_done(s);
				copy_err(err, errlen, "column %s.%s is an identity column that the copy list "
				         "does not reset (use COPY_TABLE_ID)", t->name, name);
				return -1;
			}
			identity = 1;
		}
		found[idx] = 1;
	}
	db_done(s);
	if (rc != DB_DONE) {
		copy_err(err, errlen, "cannot read the columns of %s (see the log)", t->name);
		return -1;
	}
	for (k = 0; k < n; k++) {
		if (!found[k]) {
			copy_err(err, errlen, "the copy list names column %d of %s (\"%s\"), which the "
			         "database lacks", k + 1, t->name, t->columns);
			return -1;
		}
	}
	if (copy_is_pg(c) && t->sql_identity && !identity) {
		copy_err(err, errlen, "%s.id is not an identity column, but the copy list resets one",
		         t->name);
		return -1;
	}
	return 0;
}

/* Every table that t (at position i) references comes before it. */
static int copy_check_refs(struct db_conn *c, size_t i, char *err, size_t errlen)
{
	const struct schema_table *t = &schema_tables[i];
	struct db_stmt *s;
	char name[COPY_NAME_MAX];
	long j;
	int rc;

	s = db_prepare(c, copy_is_pg(c) ? sql_refs_postgres : sql_refs_sqlite);
	if (!s || db_bind_text(s, 1, t->name) != DB_OK) {
		db_done(s);
		copy_err(err, errlen, "cannot read the foreign keys of %s (see the log)", t->name);
		return -1;
	}
	while ((rc = db_step(s)) == DB_ROW) {
		if (copy_name(db_col_text(s, 0), name) < 0 || strcmp(name, t->name) == 0)
			continue;
		j = copy_find_table(name);
		if (j < 0 || (size_t)j > i) {
			db_done(s);
			copy_err(err, errlen, "%s references %s, which %s", t->name, name,
			         j < 0 ? "is not in the copy list" : "comes after it in the copy list");
			return -1;
		}
	}
	db_done(s);
	if (rc != DB_DONE) {
		copy_err(err, errlen, "cannot read the foreign keys of %s (see the log)", t->name);
		return -1;
	}
	return 0;
}

int store_copy_check_schema(struct db *db, char *err, size_t errlen)
{
	struct db_conn *c;
	unsigned char *seen;
	size_t i;
	int rc = -1;

	seen = calloc(schema_tables_count, 1);
	if (!seen) {
		copy_err(err, errlen, "out of memory");
		return -1;
	}
	c = db_read_begin(db);
	if (copy_check_tables(c, seen, err, errlen) < 0)
		goto done;
	for (i = 0; i < schema_tables_count; i++) {
		if (!seen[i]) {
			copy_err(err, errlen, "the copy list names table %s, which the database lacks "
			         "(is it migrated?)", schema_tables[i].name);
			goto done;
		}
		if (copy_check_columns(c, &schema_tables[i], err, errlen) < 0 ||
		    copy_check_refs(c, i, err, errlen) < 0)
			goto done;
	}
	rc = 0;
done:
	db_read_end(db, c);
	free(seen);
	return rc;
}

int store_copy_check_empty(struct db *db, char *err, size_t errlen)
{
	struct db_conn *c = db_read_begin(db);
	struct db_stmt *s;
	size_t i;
	int rc = 0;

	for (i = 0; i < schema_tables_count && rc == 0; i++) {
		const struct schema_table *t = &schema_tables[i];
		int st;

		if (t->kind != SCHEMA_COPY_EMPTY)
			continue;
		s = db_prepare(c, t->sql_any);
		st = s ? db_step(s) : DB_ERROR;
		db_done(s);
		if (st == DB_ROW) {
			copy_err(err, errlen, "the target already holds data (table %s has rows); "
			         "copy into a new, empty database", t->name);
			rc = 1;
		} else if (st != DB_DONE) {
			copy_err(err, errlen, "cannot read table %s of the target (see the log)", t->name);
			rc = -1;
		}
	}
	db_read_end(db, c);
	return rc;
}

/* ---- copying rows ---- */

struct copy_value {
	long long      i;
	unsigned char *p;     /* text (NUL-terminated) or bytes, malloc'd */
	size_t         n;
	int            null;
};

struct copy_batch {
	const struct schema_table *t;
	int                 ncols;
	struct copy_value  *v;           /* LIMIT_COPY_BATCH_ROWS * ncols */
	size_t              rows;
	size_t              bytes;
	int                 clear_first; /* SCHEMA_COPY_REPLACE: empty the target's table first */
	long long           done_rows;   /* rows of the table written before this batch */
	long long           failed_row;  /* out: 1-based row of the table that failed, or 0 */
};

static void copy_batch_clear(struct copy_batch *b)
{
	size_t k;

	for (k = 0; k < b->rows * (size_t)b->ncols; k++) {
		free(b->v[k].p);
		b->v[k].p = NULL;
	}
	b->rows = 0;
	b->bytes = 0;
}

/* Copies the current row of s into the batch. Returns 0 or -1 (memory). */
static int copy_batch_add(struct copy_batch *b, struct db_stmt *s)
{
	struct copy_value *row = &b->v[b->rows * (size_t)b->ncols];
	const void *p;
	size_t n;
	int k;

	b->rows++;  /* first, so copy_batch_clear frees a half-copied row */
	for (k = 0; k < b->ncols; k++) {
		struct copy_value *v = &row[k];

		memset(v, 0, sizeof(*v));
		if (db_col_is_null(s, k)) {
			v->null = 1;
			continue;
		}
		if (b->t->types[k] == 'i') {
			v->i = db_col_int(s, k);
			continue;
		}
		if (b->t->types[k] == 't') {
			p = db_col_text(s, k);
			n = p ? strlen(p) : 0;
		} else {
			p = db_col_blob(s, k, &n);
		}
		v->p = malloc(n + 1);
		if (!v->p)
			return -1;
		if (n)
			memcpy(v->p, p, n);
		v->p[n] = '\0';
		v->n = n;
		b->bytes += n;
	}
	return 0;
}

/* Job: empties the table first if asked, then inserts the batch's rows. */
static int copy_job_insert(struct db_conn *c, void *arg)
{
	struct copy_batch *b = arg;
	const struct schema_table *t = b->t;
	struct db_stmt *s;
	size_t r;
	int k, rc;

	if (b->clear_first && (rc = db_exec(c, t->sql_clear)) < 0)
		return rc;
	for (r = 0; r < b->rows; r++) {
		const struct copy_value *row = &b->v[r * (size_t)b->ncols];

		s = db_prepare(c, t->sql_insert);
		if (!s) {
			b->failed_row = b->done_rows + (long long)r + 1;
			return DB_ERROR;
		}
		rc = DB_OK;
		for (k = 0; k < b->ncols && rc == DB_OK; k++) {
			if (row[k].null)
				rc = db_bind_null(s, k + 1);
			else if (t->types[k] == 'i')
				rc = db_bind_int(s, k + 1, row[k].i);
			else if (t->types[k] == 't')
				rc = db_bind_text(s, k + 1, (const char *)row[k].p);
			else
				rc = db_bind_blob(s, k + 1, row[k].p, row[k].n);
		}
		if (rc == DB_OK)
			rc = db_step(s);
		db_done(s);
		if (rc != DB_DONE) {
			b->failed_row = b->done_rows + (long long)r + 1;
			return rc < 0 ? rc : DB_ERROR;
		}
	}
	return 0;
}

/* Writes the batch to the target as one job and empties it. */
static int copy_batch_flush(struct db *to, struct copy_batch *b, char *err, size_t errlen)
{
	int rc;

	b->failed_row = 0;
	rc = db_write(to, copy_job_insert, b);
	if (rc < 0) {
		if (b->failed_row == 0)
			copy_err(err, errlen, "%s: writing to the target failed%s", b->t->name,
			         rc == DB_FULL ? ": its disk is full" : " (see the log)");
		else if (rc == DB_CONSTRAINT)
			copy_err(err, errlen, "%s: row %lld breaks a constraint of the target "
			         "(see the log)", b->t->name, b->failed_row);
		else
			copy_err(err, errlen, "%s: writing row %lld failed%s", b->t->name,
			         b->failed_row, rc == DB_FULL ? ": the target's disk is full"
			                                      : " (see the log)");
		copy_batch_clear(b);
		return -1;
	}
	b->done_rows += (long long)b->rows;
	b->clear_first = 0;
	copy_batch_clear(b);
	return 0;
}

/* Streams table t from src (inside the source's read transaction) to the
 * target. Sets *rows to the rows copied. */
static int copy_table(struct db_conn *src, struct db *to, const struct schema_table *t,
                      long long *rows, char *err, size_t errlen)
{
	struct copy_batch b;
	struct db_stmt *s;
	int rc, status = -1;

	memset(&b, 0, sizeof(b));
	b.t = t;
	b.ncols = copy_ncols(t);
	b.clear_first = t->kind == SCHEMA_COPY_REPLACE;
	b.v = calloc((size_t)LIMIT_COPY_BATCH_ROWS * (size_t)b.ncols, sizeof(*b.v));
	if (!b.v) {
		copy_err(err, errlen, "out of memory");
		return -1;
	}
	s = db_prepare(src, t->sql_select);
	if (!s) {
		copy_err(err, errlen, "%s: cannot read the source (see the log)", t->name);
		goto done;
	}
	while ((rc = db_step(s)) == DB_ROW) {
		if (copy_batch_add(&b, s) < 0) {
			copy_err(err, errlen, "out of memory");
			copy_batch_clear(&b);
			db_done(s);
			goto done;
		}
		if ((b.rows == LIMIT_COPY_BATCH_ROWS || b.bytes >= LIMIT_COPY_BATCH_BYTES) &&
		    copy_batch_flush(to, &b, err, errlen) < 0) {
			db_done(s);
			goto done;
		}
	}
	db_done(s);
	if (rc != DB_DONE) {
		copy_batch_clear(&b);
		copy_err(err, errlen, "%s: reading the source failed (see the log)", t->name);
		goto done;
	}
	if ((b.rows > 0 || b.clear_first) && copy_batch_flush(to, &b, err, errlen) < 0)
		goto done;
	*rows = b.done_rows;
	status = 0;
done:
	free(b.v);
	return status;
}

/* Job: moves every identity sequence past its table's largest id. */
static int copy_job_identities(struct db_conn *c, void *arg)
{
	const char **failed = arg;
	struct db_stmt *s;
	size_t i;
	int rc;

	if (!copy_is_pg(c))
		return 0;  /* SQLite's ids continue from the largest by themselves */
	for (i = 0; i < schema_tables_count; i++) {
		if (!schema_tables[i].sql_identity)
			continue;
		s = db_prepare(c, schema_tables[i].sql_identity);
		rc = s ? db_step(s) : DB_ERROR;
		db_done(s);
		if (rc != DB_ROW) {
			*failed = schema_tables[i].name;
			return rc < 0 ? rc : DB_ERROR;
		}
	}
	return 0;
}

struct copy_search {
	long long ids[COPY_SEARCH_BATCH];
	size_t    n;
};

/* Job: rebuilds the search rows of a batch of people. */
static int copy_job_search(struct db_conn *c, void *arg)
{
	struct copy_search *cs = arg;
	size_t i;
	int rc;

	for (i = 0; i < cs->n; i++)
		if ((rc = store_people_fts_refresh(c, cs->ids[i])) < 0)
			return rc;
	return 0;
}

/* Rebuilds the target's search rows from its people, emails and phones:
 * PostgreSQL's people_search in batches of COPY_SEARCH_BATCH people;
 * SQLite's index file is built by its indexer (a new file is built from
 * every person), here and now. */
static int copy_rebuild_search(struct db *to, char *err, size_t errlen)
{
	struct copy_search *cs;
	struct db_conn *c;
	struct db_stmt *s;
	long long after = 0;
	int rc, status = -1;

	if (db_dialect(to) == DB_DIALECT_SQLITE) {
		if (store_search_catch_up(to) < 0) {
			copy_err(err, errlen, "search rows: building the index failed (see the log)");
			return -1;
		}
		return 0;
	}

	cs = malloc(sizeof(*cs));
	if (!cs) {
		copy_err(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		cs->n = 0;
		c = db_read_begin(to);
		s = db_prepare(c, sql_people_after);
		rc = s && db_bind_int(s, 1, after) == DB_OK &&
		     db_bind_int(s, 2, COPY_SEARCH_BATCH) == DB_OK ? DB_OK : DB_ERROR;
		while (rc == DB_OK && cs->n < COPY_SEARCH_BATCH && (rc = db_step(s)) == DB_ROW) {
			cs->ids[cs->n++] = db_col_int(s, 0);
			rc = DB_OK;
		}
		db_done(s);
		db_read_end(to, c);
		if (rc != DB_DONE && !(rc == DB_OK && cs->n == COPY_SEARCH_BATCH)) {
			copy_err(err, errlen, "search rows: cannot read the target's people (see the log)");
			goto done;
		}
		if (cs->n == 0)
			break;
		rc = db_write(to, copy_job_search, cs);
		if (rc < 0) {
			copy_err(err, errlen, "search rows: rebuilding failed (see the log)");
			goto done;
		}
		after = cs->ids[cs->n - 1];
	}
	status = 0;
done:
	free(cs);
	return status;
}

/* count(*) by sql on c into *n. */
static int copy_count(struct db_conn *c, const char *sql, long long *n)
{
	struct db_stmt *s = db_prepare(c, sql);
	int rc = s ? db_step(s) : DB_ERROR;

	*n = rc == DB_ROW ? db_col_int(s, 0) : -1;
	db_done(s);
	return rc == DB_ROW ? 0 : -1;
}

/* Compares every table's count in the source snapshot with the target's,
 * and the target's search rows with its people. */
static int copy_verify(struct db_conn *src, struct db *to, char *err, size_t errlen)
{
	struct db_conn *c = db_read_begin(to);
	long long a, b;
	size_t i;
	int status = -1;

	for (i = 0; i < schema_tables_count; i++) {
		const struct schema_table *t = &schema_tables[i];

		if (copy_count(src, t->sql_count, &a) < 0 || copy_count(c, t->sql_count, &b) < 0) {
			copy_err(err, errlen, "%s: cannot count its rows (see the log)", t->name);
			goto done;
		}
		if (a != b) {
			copy_err(err, errlen, "%s: %lld rows in the source, %lld in the target",
			         t->name, a, b);
			goto done;
		}
	}
	if (copy_count(c, sql_count_people, &a) < 0 ||
	    copy_count(c, copy_is_pg(c) ? sql_count_search_postgres : sql_count_search_sqlite, &b) < 0) {
		copy_err(err, errlen, "cannot count the target's search rows (see the log)");
		goto done;
	}
	if (a != b) {
		copy_err(err, errlen, "%s: %lld search rows for %lld people",
		         copy_is_pg(c) ? "people_search" : "people_fts", b, a);
		goto done;
	}
	status = 0;
done:
	db_read_end(to, c);
	return status;
}

int store_copy_run(struct db *from, struct db *to, store_copy_progress_fn progress, void *arg,
                   char *err, size_t errlen)
{
	struct db_conn *src;
	const char *failed = NULL;
	long long rows;
	size_t i;
	int rc, status = -1;

	if (!from || !to || from == to) {
		copy_err(err, errlen, "copying needs two different databases");
		return -1;
	}
	if (store_copy_check_schema(from, err, errlen) < 0 ||
	    store_copy_check_schema(to, err, errlen) < 0)
		return -1;
	rc = store_copy_check_empty(to, err, errlen);
	if (rc != 0)
		return -1;

	src = db_read_begin(from);
	/* one snapshot for every table and for the counts at the end */
	if (db_exec(src, copy_is_pg(src) ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	                                 : "BEGIN") != DB_OK) {
		copy_err(err, errlen, "cannot start reading the source (see the log)");
		db_read_end(from, src);
		return -1;
	}
	for (i = 0; i < schema_tables_count; i++) {
		rows = 0;
		if (copy_table(src, to, &schema_tables[i], &rows, err, errlen) < 0)
			goto done;
		if (progress)
			progress(arg, schema_tables[i].name, rows);
	}
	rc = db_write(to, copy_job_identities, &failed);
	if (rc < 0) {
		copy_err(err, errlen, "%s: cannot move its id sequence past the copied ids (see the log)",
		         failed ? failed : "?");
		goto done;
	}
	if (copy_rebuild_search(to, err, errlen) < 0 || copy_verify(src, to, err, errlen) < 0)
		goto done;
	status = 0;
done:
	if (db_exec(src, status == 0 ? "COMMIT" : "ROLLBACK") != DB_OK && status == 0) {
		copy_err(err, errlen, "cannot finish reading the source (see the log)");
		status = -1;
	}
	db_read_end(from, src);
	return status;
}
