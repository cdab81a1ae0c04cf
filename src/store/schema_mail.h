/*
 * schema_mail.h — the SQL text of migration 5 (email and nominations), for
 * schema.c.
 */
#ifndef ONRAMP_SCHEMA_MAIL_H
#define ONRAMP_SCHEMA_MAIL_H

/* Migration 5 for SQLite and for PostgreSQL 15. */
extern const char schema_mail_sqlite[];
extern const char schema_mail_postgres[];

#endif
