/*
 * schema_intake.h — the SQL text of migration 3 (intake), for schema.c.
 *
 * The text lives in schema_intake.c so the intake tables, their counters
 * and the triggers that keep the counters exact are read in one place.
 */
#ifndef ONRAMP_SCHEMA_INTAKE_H
#define ONRAMP_SCHEMA_INTAKE_H

/* Migration 3 for SQLite and for PostgreSQL 15. */
extern const char schema_intake_sqlite[];
extern const char schema_intake_postgres[];

#endif
