/*
 * store_ratelimit.h — fixed-window hit counters kept in the database, for
 * limits that several server processes must share (store layer; the SQL is
 * in store_ratelimit.c, the table in schema_ratelimit.c).
 *
 * One row per key: the start of its current window and the hits counted in
 * it. Windows are aligned to multiples of their length (so every process
 * computes the same window for the same moment), and a hit is one upsert,
 * so concurrent hits from any number of processes count exactly: the row
 * lock serializes them.
 *
 * Threading: any thread; each call is one writer job.
 */
#ifndef ONRAMP_STORE_RATELIMIT_H
#define ONRAMP_STORE_RATELIMIT_H

struct db;

/* Counts one hit of key (at most 200 bytes; callers pass a hash, never an
 * address) against limit hits per window of window_seconds, at time now.
 * Refused hits are not counted beyond the first. Sets *retry_after to 0 if the hit is
 * allowed, else the seconds (>= 1) until the window ends. Returns 0, or a
 * negative enum db_rc (the caller decides whether to fail open). */
int store_ratelimit_hit(struct db *db, const char *key, unsigned limit, unsigned window_seconds,
                        long long now, unsigned *retry_after);

#endif
