/*
 * throttle.c — limits shared by every server process (see throttle.h).
 *
 * The key stored is hex(BLAKE2b(name ":" key, ip_hash key)), 32 bytes: the
 * same client under the same limit maps to the same row on every node,
 * and nothing in the table tells an address.
 *
 * Threading: no state of its own.
 */
#include "domain/throttle.h"

#include <string.h>
#include <time.h>

#include <sodium.h>

#include "domain/keys.h"
#include "lib/log.h"
#include "store/store_ratelimit.h"

unsigned throttle_hit_shared(void *ctx, const char *key, unsigned limit, unsigned window_seconds)
{
	const struct throttle_shared *t = ctx;
	crypto_generichash_state st;
	unsigned char h[32];
	char hex[2 * sizeof(h) + 1];
	unsigned wait = 0;

	if (!t || !t->db || !t->keys || !key)
		return 0;
	crypto_generichash_init(&st, t->keys->ip_hash, sizeof(t->keys->ip_hash), sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)t->name, strlen(t->name));
	crypto_generichash_update(&st, (const unsigned char *)":", 1);
	crypto_generichash_update(&st, (const unsigned char *)key, strlen(key));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	if (store_ratelimit_hit(t->db, hex, limit, window_seconds, (long long)time(NULL), &wait) < 0) {
		log_warn("throttle: %s: the shared counter is unavailable; allowing the hit", t->name);
		return 0;
	}
	return wait;
}
