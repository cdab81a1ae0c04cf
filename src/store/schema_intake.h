/*
 * schema_intake.h — the SQL text of migrations 3, 13 and 15 (intake), for schema.c.
 *
 * The text lives in schema_intake.c so the intake tables, their counters
 * and the triggers that keep the counters exact are read in one place.
 */
#ifndef ONRAMP_SCHEMA_INTAKE_H
#define ONRAMP_SCHEMA_INTAKE_H

/* Migration 3 for SQLite and for PostgreSQL 15. */
extern const char schema_intake_sqlite[];
extern const char schema_intake_postgres[];
/* Migration 13: the form link folded into the submission. */
extern const char schema_v13_intake_fold_sqlite[];
extern const char schema_v13_intake_fold_postgres[];
/* Migration 15: the email and phone keys without a rowid (SQLite). */
extern const char schema_v15_key_tables_sqlite[];
extern const char schema_v15_key_tables_postgres[];

#endif
