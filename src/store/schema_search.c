/*
 * schema_search.c — the search migrations. Migration 8: indexes the staff
 * people list needs at 1M people (measured by bench/people.sh). Migration
 * 9: the queue of people waiting for SQLite's search index
 * (store_search_queue.c).
 *
 * people_state_name (state, last_name, first_name) gives the list sorted
 * by state (state, then name) and one state's people sorted by name in
 * index order, so neither reads and sorts every matching person: at 1M
 * people "all, by state" went from ~140 ms (a scan of people_state plus a
 * sort of the names within each state) to an index walk that stops after
 * one page. SQLite appends the rowid (= id, the last sort key) to every
 * index entry; PostgreSQL finishes the order with an incremental sort of
 * the few rows that share a name.
 */
#include "store/sql.h"

const char schema_v8_search[] =  /* the same in both dialects */
	"CREATE INDEX people_state_name ON people(state, last_name, first_name);";

/* One row per person whose people_fts row is not yet current. PostgreSQL
 * writes its search rows in the changing transaction and never fills it;
 * it has the table too, so both engines list the same tables. No foreign
 * key: a queued person merged away is just dropped from the queue. */
const char schema_v9_search_queue_sqlite[] =
	"CREATE TABLE people_fts_pending (person_id INTEGER PRIMARY KEY);"
	/* people who were never indexed: none today, since every writer
	 * indexed at once, but a database is not assumed to be perfect */
	"INSERT INTO people_fts_pending (person_id)"
	" SELECT id FROM people WHERE id NOT IN (SELECT rowid FROM people_fts);";

const char schema_v9_search_queue_postgres[] =
	"CREATE TABLE people_fts_pending (person_id BIGINT PRIMARY KEY);";

/* Migration 12: the search index leaves the database for a file beside it
 * (DB_SEARCH_SUFFIX, kept by store_search_queue.c's indexer thread), so
 * the writer no longer pays for FTS5. What the writer keeps is a log: one
 * appended row per change to a person's name, contacts or ZIP, in the
 * change's transaction (a new person's row carries their search text, so
 * the indexer need not read them back); the indexer reads it in order and
 * remembers, in the index file, how far it got. The queue and the old index go; the
 * indexer builds the new index from every person at its first start.
 * PostgreSQL writes its search rows in the changing transaction, as
 * before; it has the log too, so both engines list the same tables. */
const char schema_v12_search_log_sqlite[] =
	"CREATE TABLE people_fts_log (seq INTEGER PRIMARY KEY, person_id INTEGER NOT NULL,"
	" name TEXT, contact TEXT, zip TEXT);"
	"DROP TABLE people_fts_pending;"
	"DROP TABLE people_fts;";

const char schema_v12_search_log_postgres[] =
	"CREATE TABLE people_fts_log (seq BIGSERIAL PRIMARY KEY, person_id BIGINT NOT NULL,"
	" name TEXT, contact TEXT, zip TEXT);"
	"DROP TABLE people_fts_pending;";
