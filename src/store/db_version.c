/*
 * db_version.c — the version of the SQLite library linked in, so layers
 * above the store can report it without calling SQLite themselves.
 */
#include "store/db.h"

#include <sqlite3.h>

const char *db_engine_version(void)
{
	return sqlite3_libversion();
}
