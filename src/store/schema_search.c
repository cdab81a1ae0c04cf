/*
 * schema_search.c — migration 8: indexes the staff people list needs at
 * 1M people (measured by bench/people.sh).
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

const char schema_v8_search_sqlite[] =
	"CREATE INDEX people_state_name ON people(state, last_name, first_name);";

const char schema_v8_search_postgres[] =
	"CREATE INDEX people_state_name ON people(state, last_name, first_name);";
