/*
 * store_counters.h — the compliance counters on SQLite's writer: counted
 * per row in memory, written once per group (store layer, called by
 * db_writer.c only).
 *
 * Migration 3's triggers keep intake_counters equal to a recount: every
 * insert or delete of a person, email, phone, accepted submission, intake
 * link or rejected lead updates a counter row in the same statement. On the
 * writer, that is seven counter updates per new lead, most of them on the
 * same few rows, and each trigger also makes SQLite open a statement
 * journal for the insert that fired it. Here the writer connection turns
 * the main schema's triggers off and counts the same rows in C instead:
 * SQLite's preupdate hook (db_conn_observe_rows) reports every row change
 * on the connection — any statement, cascades included — and each change
 * the triggers would count adds its delta to an in-memory log. Before the
 * group's COMMIT the log is summed per counter and written, one upsert per
 * counter that changed. So no code path can forget a count, and the
 * counters equal a recount at every COMMIT, as before.
 *
 * The log follows the transaction: a statement that fails forgets its
 * deltas (db_step), a job rolled back to its savepoint forgets its own
 * (store_counters_mark / store_counters_undo around it, db_writer.c), a
 * group rolled back forgets them all.
 *
 * Used only when the main schema's triggers are exactly the ones counted
 * here; otherwise (an older schema, or a migration that added a trigger
 * this file does not know) the main triggers stay on and count as they
 * always did. The check is redone whenever the schema changes. Every other
 * connection (the sqlite3 shell, another process) runs the main triggers.
 *
 * Threading: one struct per writer, used by its writer thread only.
 * PostgreSQL: every call does nothing (its triggers are per row on the
 * server, where one writer round trip costs more than they do).
 */
#ifndef ONRAMP_STORE_COUNTERS_H
#define ONRAMP_STORE_COUNTERS_H

#include <stddef.h>

struct db_conn;
struct store_counters;

/* A new, empty state for one writer. NULL when out of memory. */
struct store_counters *store_counters_new(void);
/* Frees it (the writer's connection must no longer report to it). */
void store_counters_free(struct store_counters *sc);

/* Right after the group's BEGIN: sets the counting up, or checks in one
 * PRAGMA read that it still stands. Returns 0 or a negative enum db_rc. */
int store_counters_group_begin(struct store_counters *sc, struct db_conn *c);

/* Right before the group's COMMIT: adds the group's deltas to
 * intake_counters and empties the log. Returns 0 or < 0 (the group then
 * fails as if its COMMIT had). */
int store_counters_group_end(struct store_counters *sc, struct db_conn *c);

/* How much the log holds now; undo(mark) drops what was logged since (a
 * job's savepoint rolled back). undo(0) empties it (a group rolled back). */
size_t store_counters_mark(const struct store_counters *sc);
void   store_counters_undo(struct store_counters *sc, size_t mark);

#endif
