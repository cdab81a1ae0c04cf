/*
 * schema_tables.h — every table of the schema, in foreign-key order, with
 * what `onramp copy-data` needs to move it between engines (store layer
 * only; the list is in schema_tables.c, next to the migrations).
 *
 * Invariants, checked against a live database by store_copy_check_schema()
 * (and so by tests/unit/test_pg_copy.c on both engines): every table a
 * migration creates is listed here or in schema_tables_derived[]; each entry
 * names exactly the table's columns with their kind; a table comes after
 * every table its foreign keys reference. A migration that adds a table or
 * a column therefore fails the suite until it is listed here.
 */
#ifndef ONRAMP_SCHEMA_TABLES_H
#define ONRAMP_SCHEMA_TABLES_H

#include <stddef.h>

enum schema_copy_kind {
	/* Rows only the application writes: a fresh target holds none, and
	 * copy-data refuses a target that does. */
	SCHEMA_COPY_EMPTY,
	/* Rows the migrations seed (stages, templates) or triggers keep
	 * (intake_counters): the target's own rows give way to the source's. */
	SCHEMA_COPY_REPLACE,
};

struct schema_table {
	const char *name;
	enum schema_copy_kind kind;
	/* One letter per column, in the order of columns: 'i' integer
	 * (INTEGER/BIGINT), 't' text, 'b' bytes (BLOB/BYTEA). */
	const char *types;
	const char *columns;      /* "a, b, c": exactly the table's columns */
	const char *sql_select;   /* every row, in primary-key order */
	const char *sql_insert;   /* one row, the columns as parameters 1..n */
	const char *sql_count;    /* SELECT count(*) */
	const char *sql_any;      /* a row if the table has any */
	const char *sql_clear;    /* DELETE every row */
	/* PostgreSQL: moves the identity sequence of id past the largest id
	 * (one row back); NULL for tables without an identity column. */
	const char *sql_identity;
};

/* The tables, parents before children. */
extern const struct schema_table schema_tables[];
extern const size_t schema_tables_count;

/* Tables that are not data: schema_migrations (each engine records its own
 * migrations), the PostgreSQL search rows (people_search, rebuilt from
 * people by the copy) and the search index's log (people_fts_log: a SQLite
 * target's index is built from every person when it is first opened).
 * SQLite's people_fts lives in its own file beside the database. */
extern const char *const schema_tables_derived[];
extern const size_t schema_tables_derived_count;

#endif
