/*
 * store_audit.h — appending to and reading the audit log (store layer).
 *
 * store_audit_append() must be called on the writer connection inside the
 * same db_write() job as the change it records, so both commit together.
 * Each entry's hash = SHA-256 over (prev_hash, at, user_id, action, entity,
 * entity_id, before, after), prev_hash being the newest entry's hash or 64
 * zeros for the first — a hash chain that `onramp audit verify` checks.
 */
#ifndef ONRAMP_STORE_AUDIT_H
#define ONRAMP_STORE_AUDIT_H

#include <jansson.h>

struct db;
struct db_conn;

/* user_id 0 means the system/CLI. before/after may be NULL (borrowed).
 * Returns 0 or a negative enum db_rc. */
int store_audit_append(struct db_conn *c, long long user_id, const char *action,
                       const char *entity, long long entity_id,
                       json_t *before, json_t *after);

/* Newest first; rows as in audit.h. Returns 0 or a negative enum db_rc. */
int store_audit_list(struct db_conn *c, int page, int per_page, json_t **rows, long long *total);

/* As store_audit_list, on a read connection it borrows from db's pool and
 * gives back (for the domain, which holds a struct db, not a connection). */
int store_audit_page(struct db *db, int page, int per_page, json_t **rows, long long *total);

/* Recomputes the chain from the first entry (a read; any connection).
 * Returns 0 if every entry's prev_hash is the previous entry's hash and its
 * hash matches its contents; 1 with *first_bad set to the id of the first
 * entry that does not; or a negative enum db_rc. (Removing the newest
 * entries leaves a valid shorter chain: compare the count to a copy.) */
int store_audit_verify(struct db_conn *c, long long *first_bad);

/* As store_audit_verify, on a read connection borrowed from db's pool (for
 * the domain), in one pass: *entries is the number of entries that checked
 * out (all of them when the chain is intact). */
int store_audit_verify_db(struct db *db, long long *first_bad, long long *entries);

#endif
