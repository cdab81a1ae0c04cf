/*
 * schema_races.h — the SQL text of migration 6 (races: divisions, offices,
 * elections, races, people's races of interest, ZIP centroids), for
 * schema.c. The text lives in schema_races.c.
 */
#ifndef ONRAMP_SCHEMA_RACES_H
#define ONRAMP_SCHEMA_RACES_H

/* Migration 6 for SQLite and for PostgreSQL 15. */
extern const char schema_v6_races_sqlite[];
extern const char schema_v6_races_postgres[];

#endif
