/*
 * schema_ratelimit.c — migration 7: hit counters that several server
 * processes share (store_ratelimit.c). One row per key (a hash, never an
 * address): its current window's start and the hits counted in it.
 */
#include "store/sql.h"

const char schema_v7_ratelimit_sqlite[] =
	"CREATE TABLE rate_limits ("
	" key TEXT PRIMARY KEY,"
	" window_start INTEGER NOT NULL,"
	" count INTEGER NOT NULL);"
	"CREATE INDEX rate_limits_window ON rate_limits(window_start);";

const char schema_v7_ratelimit_postgres[] =
	"CREATE TABLE rate_limits ("
	" key TEXT PRIMARY KEY,"
	" window_start BIGINT NOT NULL,"
	" count INTEGER NOT NULL);"
	"CREATE INDEX rate_limits_window ON rate_limits(window_start);";
