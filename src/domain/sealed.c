/*
 * sealed.c — crypto_secretbox of JSON objects. See sealed.h.
 *
 * Invariants: the nonce is fresh random bytes for every seal (24 bytes is
 * large enough that random nonces never collide in practice), and the
 * serialized plain text exists only in buffers this file wipes before
 * freeing them. Opening verifies the authenticator before anything is
 * parsed. Threading: no shared state; sodium_init() is thread-safe.
 */
#include "domain/sealed.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/log.h"

_Static_assert(SEALED_KEY_BYTES == crypto_secretbox_KEYBYTES, "secretbox key size");
_Static_assert(SEALED_NONCE_BYTES == crypto_secretbox_NONCEBYTES, "secretbox nonce size");
_Static_assert(SEALED_MAC_BYTES == crypto_secretbox_MACBYTES, "secretbox MAC size");

int sealed_encrypt_json(const unsigned char key[SEALED_KEY_BYTES], json_t *obj,
                        unsigned char **out, size_t *outlen)
{
	char *plain = NULL;
	size_t plainlen = 0;
	unsigned char *blob = NULL;
	size_t bloblen;

	*out = NULL;
	*outlen = 0;
	if (!json_is_object(obj) || sodium_init() < 0)
		goto fail;
	plain = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	if (plain == NULL)
		goto fail;
	plainlen = strlen(plain);
	if (plainlen > SEALED_PLAINTEXT_MAX)
		goto fail;
	bloblen = SEALED_NONCE_BYTES + SEALED_MAC_BYTES + plainlen;
	blob = malloc(bloblen);
	if (blob == NULL)
		goto fail;
	randombytes_buf(blob, SEALED_NONCE_BYTES);
	if (crypto_secretbox_easy(blob + SEALED_NONCE_BYTES, (const unsigned char *)plain,
	                          plainlen, blob, key) != 0)
		goto fail;
	sodium_memzero(plain, plainlen);
	free(plain);
	*out = blob;
	*outlen = bloblen;
	return 0;
fail:
	if (plain) {
		sodium_memzero(plain, plainlen);
		free(plain);
	}
	free(blob);
	return -1;
}

int sealed_decrypt_json(const unsigned char key[SEALED_KEY_BYTES], const void *in, size_t inlen,
                        json_t **out)
{
	const unsigned char *blob = in;
	unsigned char *plain = NULL;
	size_t plainlen = 0;
	json_t *obj = NULL;
	json_error_t jerr;

	*out = NULL;
	if (in == NULL || inlen < SEALED_NONCE_BYTES + SEALED_MAC_BYTES ||
	    inlen - SEALED_NONCE_BYTES - SEALED_MAC_BYTES > SEALED_PLAINTEXT_MAX)
		goto fail;
	plainlen = inlen - SEALED_NONCE_BYTES - SEALED_MAC_BYTES;
	/* One spare byte so an empty plain text still has a valid pointer. */
	plain = malloc(plainlen + 1);
	if (plain == NULL)
		goto fail;
	if (crypto_secretbox_open_easy(plain, blob + SEALED_NONCE_BYTES,
	                               inlen - SEALED_NONCE_BYTES, blob, key) != 0)
		goto fail;
	obj = json_loadb((const char *)plain, plainlen, JSON_REJECT_DUPLICATES, &jerr);
	sodium_memzero(&jerr, sizeof(jerr)); /* its text may quote the plain text */
	if (!json_is_object(obj))
		goto fail;
	sodium_memzero(plain, plainlen);
	free(plain);
	*out = obj;
	return 0;
fail:
	if (plain) {
		sodium_memzero(plain, plainlen + 1);
		free(plain);
	}
	json_decref(obj);
	return -1;
}
