/*
 * throttle.h — per-key limits that hold across every server process.
 *
 * With one process (SQLite) a limit's counts live in its memory
 * (http/ratelimit.c). With several processes on one PostgreSQL database a
 * client could spread its requests over the nodes, so the counts move into
 * the database: `onramp serve` hands each such limit to throttle_hit_shared
 * through ratelimit_share(), and the pages that count hits do not change.
 *
 * Keys (client addresses) are hashed with the installation's ip_hash key
 * before they reach the database, under the limit's name, so no address is
 * stored and two limits never share a counter.
 *
 * Threading: any thread.
 */
#ifndef ONRAMP_THROTTLE_H
#define ONRAMP_THROTTLE_H

struct db;
struct keys;

/* What throttle_hit_shared needs; lives as long as the server. */
struct throttle_shared {
	struct db         *db;
	const struct keys *keys;
	const char        *name;  /* e.g. "signup": the limit's own namespace */
};

/* A ratelimit_shared_fn (http/ratelimit.h) with ctx a struct
 * throttle_shared: counts one hit of key in the database. Returns 0 if
 * allowed, else the seconds until the key may try again. When the database
 * cannot be reached it allows the hit (logged): a limit is a brake on
 * floods, and refusing every signup during an outage would lose them. */
unsigned throttle_hit_shared(void *ctx, const char *key, unsigned limit, unsigned window_seconds);

#endif
