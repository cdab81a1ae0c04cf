/*
 * ratelimit.c — fixed-window hit counters per key, in a bounded table.
 *
 * The table is RL_SLOTS slots of {key hash, window start, count}, open
 * addressing with a probe run of RL_PROBE slots from the key's home slot.
 * Keys are hashed with crypto_shorthash (SipHash) under a random key made
 * per table, so nobody outside can aim many keys at one slot run. A key is
 * looked up over its whole probe run; a new key takes an empty or expired
 * slot of the run, and when every slot of the run holds a live window, the
 * one whose window started first is evicted: it is the counter closest to
 * being reset anyway. The table never grows, so memory is fixed at creation
 * whatever the traffic. Two keys whose 64-bit hashes collide share a
 * counter (rare enough to ignore: it can only make a limit stricter).
 *
 * A window starts at a key's first hit and lasts window_seconds on the
 * monotonic clock (milliseconds), so changes to the wall clock do not
 * reset or stretch limits.
 *
 * A shared table (ratelimit_share) hands every hit to its function instead:
 * on PostgreSQL the counts of all server processes live in the database.
 *
 * Threading: one mutex guards the table; every call is short.
 */
#include "http/ratelimit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#define RL_SLOTS 4096           /* a power of two */
#define RL_PROBE 32             /* slots examined per key */

struct rl_slot {
	uint64_t hash;
	uint64_t window_start_ms;
	unsigned count;             /* 0: the slot is empty */
};

struct ratelimit {
	pthread_mutex_t lock;
	unsigned        limit;
	uint64_t        window_ms;
	unsigned char   hash_key[crypto_shorthash_KEYBYTES];
	unsigned        window_seconds;
	ratelimit_shared_fn shared;  /* set: counts live elsewhere (ratelimit_share) */
	void           *shared_ctx;
	struct rl_slot  slots[RL_SLOTS];
};

static uint64_t ratelimit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct ratelimit *ratelimit_new(unsigned limit, unsigned window_seconds)
{
	struct ratelimit *rl;

	if (window_seconds == 0 || sodium_init() < 0)
		return NULL;
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return NULL;
	if (pthread_mutex_init(&rl->lock, NULL) != 0) {
		free(rl);
		return NULL;
	}
	rl->limit = limit;
	rl->window_ms = (uint64_t)window_seconds * 1000u;
	rl->window_seconds = window_seconds;
	crypto_shorthash_keygen(rl->hash_key);
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	sodium_memzero(rl->hash_key, sizeof(rl->hash_key));
	free(rl);
}

/* Finds key's slot, or claims one for it (empty, expired or oldest). Lock held. */
static struct rl_slot *ratelimit_slot(struct ratelimit *rl, uint64_t hash, uint64_t now)
{
	struct rl_slot *s, *free_slot = NULL, *oldest = NULL;
	size_t i, home = (size_t)(hash & (RL_SLOTS - 1));

	for (i = 0; i < RL_PROBE; i++) {
		s = &rl->slots[(home + i) & (RL_SLOTS - 1)];
		if (s->count && s->hash == hash)
			return s;
		if (!s->count || now - s->window_start_ms >= rl->window_ms) {
			if (!free_slot)
				free_slot = s;
		} else if (!oldest || s->window_start_ms < oldest->window_start_ms) {
			oldest = s;
		}
	}
	s = free_slot ? free_slot : oldest;
	s->hash = hash;
	s->window_start_ms = now;
	s->count = 0;
	return s;
}

unsigned ratelimit_hit(struct ratelimit *rl, const char *key)
{
	return ratelimit_hit_limit(rl, key, rl->limit);
}

void ratelimit_share(struct ratelimit *rl, ratelimit_shared_fn fn, void *ctx)
{
	if (!rl)
		return;
	rl->shared = fn;
	rl->shared_ctx = ctx;
}

unsigned ratelimit_hit_limit(struct ratelimit *rl, const char *key, unsigned limit)
{
	unsigned char h[crypto_shorthash_BYTES];
	struct rl_slot *s;
	uint64_t hash, now, left_ms;
	unsigned wait = 0;

	if (rl->shared)
		return rl->shared(rl->shared_ctx, key, limit, rl->window_seconds);
	crypto_shorthash(h, (const unsigned char *)key, strlen(key), rl->hash_key);
	memcpy(&hash, h, sizeof(hash));

	pthread_mutex_lock(&rl->lock);
	now = ratelimit_now_ms();
	s = ratelimit_slot(rl, hash, now);
	if (now - s->window_start_ms >= rl->window_ms) {
		s->window_start_ms = now;
		s->count = 0;
	}
	if (s->count < limit) {
		s->count++;
	} else {
		/* Refused hits are not counted: the window does not slide. The slot
		 * is kept non-empty even when limit is 0. */
		if (s->count == 0)
			s->count = 1;
		left_ms = s->window_start_ms + rl->window_ms - now;
		wait = (unsigned)((left_ms + 999) / 1000);
		if (wait == 0)
			wait = 1;
	}
	pthread_mutex_unlock(&rl->lock);
	return wait;
}
