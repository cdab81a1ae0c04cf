/*
 * sealed.h — JSON objects sealed at rest with a secret key.
 *
 * Self-identified demographics never reach the database in plain text: the
 * domain serializes them to compact JSON and seals them with libsodium's
 * crypto_secretbox (XSalsa20-Poly1305) under keys->demographics. The stored
 * form is nonce || box: SEALED_NONCE_BYTES of random nonce followed by the
 * ciphertext and its SEALED_MAC_BYTES authenticator, so a changed byte, a
 * truncated blob or the wrong key is detected on opening, never returned as
 * garbage.
 *
 * Plain-text copies made on the way are wiped with sodium_memzero.
 * Threading: pure functions of their arguments; safe from any thread.
 */
#ifndef ONRAMP_SEALED_H
#define ONRAMP_SEALED_H

#include <stddef.h>

#include <jansson.h>

#include "lib/limits.h"

#define SEALED_KEY_BYTES   32  /* crypto_secretbox_KEYBYTES */
#define SEALED_NONCE_BYTES 24  /* crypto_secretbox_NONCEBYTES */
#define SEALED_MAC_BYTES   16  /* crypto_secretbox_MACBYTES */
/* Largest JSON text sealed or opened: nothing sealed comes from more than
 * one request body. */
#define SEALED_PLAINTEXT_MAX LIMIT_HTTP_BODY_MAX

/* Seals obj (a JSON object) under key. On success returns 0 and sets *out to
 * a malloc'd nonce || box (the caller free()s it) of *outlen bytes. Returns
 * -1 if obj is not an object, its JSON is larger than SEALED_PLAINTEXT_MAX,
 * or memory or the random source fails. */
int sealed_encrypt_json(const unsigned char key[SEALED_KEY_BYTES], json_t *obj,
                        unsigned char **out, size_t *outlen);

/* Opens in[0..inlen) sealed under key. On success returns 0 and sets *out to
 * a new JSON object (the caller json_decref()s it). Returns -1 if the blob
 * is too short or too long, was altered, was sealed under another key, or
 * does not hold a JSON object. */
int sealed_decrypt_json(const unsigned char key[SEALED_KEY_BYTES], const void *in, size_t inlen,
                        json_t **out);

#endif
