/*
 * store_counters.h — the compliance counters on SQLite's writer: counted per
 * row, written once per group (store layer, called by db_writer.c only).
 *
 * Migration 3's triggers keep intake_counters equal to a recount: every
 * insert or delete of a person, email, phone, accepted submission, intake
 * link or rejected lead updates a counter row in the same statement. On the
 * writer, that is seven counter updates per new lead, most of them on the
 * same few rows, each a b-tree write. Here the writer connection turns the
 * main schema's triggers off and mirrors each of them with a TEMP trigger
 * that adds its delta to the counter's row of a TEMP table in memory (keyed
 * by counter, so it stays as small as the set of counters a group touches);
 * before the group's COMMIT those sums go into intake_counters, one upsert
 * per counter that changed. The triggers still fire on every path through
 * the writer, so no code can forget a count; a job rolled back to its
 * savepoint takes its deltas with it (the TEMP table is part of the same
 * transaction); and the counters equal a recount at every COMMIT, as before.
 * Every other connection (the sqlite3 shell, another process) runs the main
 * triggers as they are.
 *
 * The mirror is used only when the main schema's triggers are exactly the
 * ones it mirrors; otherwise (an older schema, or a migration that added a
 * trigger this file does not know) the main triggers stay on and count as
 * they always did. The check is redone whenever the schema changes.
 *
 * Threading: writer thread only; its state is per writer thread.
 * PostgreSQL: both calls do nothing (its triggers are per row on the
 * server, where one writer round trip costs more than they do).
 */
#ifndef ONRAMP_STORE_COUNTERS_H
#define ONRAMP_STORE_COUNTERS_H

struct db_conn;

/* Right after the group's BEGIN: sets the mirror up, or checks in two
 * PRAGMA reads that it still stands. Returns 0 or a negative enum db_rc. */
int store_counters_group_begin(struct db_conn *c);

/* Right before the group's COMMIT: adds the group's deltas to
 * intake_counters and empties the TEMP table. Returns 0 or < 0 (the group
 * then fails as if its COMMIT had). */
int store_counters_group_end(struct db_conn *c);

#endif
