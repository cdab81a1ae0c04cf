/*
 * keys.h — the installation's secret keys.
 *
 * One 32-byte master key, read from a file (ONRAMP_KEY_FILE; created with
 * mode 0600 on first run for the embedded default). Purpose keys are derived
 * from it with libsodium's crypto_kdf, so one file backs every use:
 * demographics encryption at rest, CSRF tokens, hashing of IP addresses, TOTP secrets at rest.
 * The keys live in sodium_malloc'd memory, wiped at exit.
 */
#ifndef ONRAMP_KEYS_H
#define ONRAMP_KEYS_H

#include <stddef.h>

struct keys {
	unsigned char demographics[32]; /* crypto_secretbox key */
	unsigned char csrf[32];         /* crypto_auth key */
	unsigned char ip_hash[32];      /* crypto_generichash key */
	unsigned char totp[32];         /* crypto_secretbox key of TOTP secrets at rest */
	unsigned char mail[32];         /* crypto_auth key of unsubscribe links */
};

/* Loads the master key from path, creating it (0600) when create is set and
 * it does not exist. Returns a sodium_malloc'd struct (free with keys_free),
 * or NULL with a one-line reason in err. */
struct keys *keys_load(const char *path, int create, char *err, size_t errlen);
void keys_free(struct keys *k);

#endif
