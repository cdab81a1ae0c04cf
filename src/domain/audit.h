/*
 * audit.h — the audit log of staff writes: who, when, what, before and after.
 *
 * Entries are written by the domain functions in the same transaction as the
 * change they describe, so a change and its entry commit together or not at
 * all. Each entry carries the hash of the previous one (hash chain) so an
 * edited or deleted entry can be detected.
 */
#ifndef ONRAMP_AUDIT_H
#define ONRAMP_AUDIT_H

#include <jansson.h>

struct db;

/* Lists entries newest first: array of {id, at, user_email, action, entity,
 * entity_id, before, after}; page is 1-based. Returns 0 or -1. */
int audit_list(struct db *db, int page, int per_page, json_t **rows, long long *total);

/* Recomputes the whole hash chain (`onramp audit verify`). Returns 0 when
 * intact (*entries: how many), 1 when an entry was edited, inserted or
 * deleted (*first_bad: the id of the first entry that does not check out),
 * -1 on a database error. */
int audit_verify(struct db *db, long long *entries, long long *first_bad);

#endif
