/*
 * ratelimit.h — fixed-window request counters per key (e.g. client IP).
 *
 * In process memory, guarded by a mutex; a bounded table (oldest windows
 * are evicted). Used for the public forms' per-IP limits. Limits that must
 * hold across several server processes are counted in the database
 * instead, behind the same calls (ratelimit_share).
 */
#ifndef ONRAMP_RATELIMIT_H
#define ONRAMP_RATELIMIT_H

struct ratelimit;

/* Allows limit hits per key in each window of window_seconds. NULL on OOM. */
struct ratelimit *ratelimit_new(unsigned limit, unsigned window_seconds);
void ratelimit_free(struct ratelimit *rl);
/* Counts one hit. Returns 0 if allowed, or the seconds until the key may
 * try again (>= 1) if over the limit. */
unsigned ratelimit_hit(struct ratelimit *rl, const char *key);
/* As ratelimit_hit, with this key's own limit instead of the table's (one
 * table for many keys with different limits: the intake forms). */
unsigned ratelimit_hit_limit(struct ratelimit *rl, const char *key, unsigned limit);

/* Where a limit's counts live when several server processes must share them
 * (PostgreSQL: domain/throttle.c keeps them in the database). fn counts one
 * hit of key against limit in the current window of window_seconds and
 * returns what ratelimit_hit returns; ctx is passed through. */
typedef unsigned (*ratelimit_shared_fn)(void *ctx, const char *key, unsigned limit,
                                        unsigned window_seconds);
/* From now on rl's hits go to fn instead of this process's table. Call
 * before the server starts (not synchronized with hits). ctx must outlive
 * rl. Callers of ratelimit_hit do not change. */
void ratelimit_share(struct ratelimit *rl, ratelimit_shared_fn fn, void *ctx);

#endif
