/*
 * schema_pipeline.h — the SQL text of migration 4 (the recruitment
 * pipeline), for schema.c. The text lives in schema_pipeline.c.
 */
#ifndef ONRAMP_SCHEMA_PIPELINE_H
#define ONRAMP_SCHEMA_PIPELINE_H

/* Migration 4 for SQLite and for PostgreSQL 15. */
extern const char schema_v4_pipeline_sqlite[];
extern const char schema_v4_pipeline_postgres[];

#endif
