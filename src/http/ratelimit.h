/*
 * ratelimit.h — fixed-window request counters per key (e.g. client IP).
 *
 * In process memory, guarded by a mutex; a bounded table (oldest windows
 * are evicted). Used for the public forms' per-IP limits. (Limits that must
 * hold across several server processes live in the database instead.)
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

#endif
