/*
 * csrf.c — CSRF cookie values and the form tokens derived from them.
 *
 * The cookie is 32 random bytes in unpadded base64url (43 characters). The
 * token is base64url(HMAC-SHA256(key, "csrf:" cookie)): without the server
 * key nobody can compute the token for a cookie, and another site can
 * neither read the visitor's cookie nor set one we accept with a token it
 * knows. A cookie is accepted only in its canonical form (exactly the text
 * csrf_new_cookie would produce for its bytes), so one value has one token.
 * Tokens are compared with sodium_memcmp (constant time) after the length
 * check; the expected token is wiped afterwards.
 *
 * libsodium must be initialised (sodium_init) before use, as main does.
 * Thread-safe: no state.
 */
#include "http/csrf.h"

#include <string.h>

#include <sodium.h>

#define CSRF_RAW_BYTES 32
/* unpadded base64 of 32 bytes: ceil(32 * 4 / 3) */
#define CSRF_B64_LEN   43
#define CSRF_PREFIX    "csrf:"

_Static_assert(CSRF_B64_LEN + 1 <= CSRF_TOKEN_LEN, "a cookie and a token fit CSRF_TOKEN_LEN");
_Static_assert(crypto_auth_hmacsha256_BYTES == CSRF_RAW_BYTES, "HMAC-SHA256 is 32 bytes");

void csrf_new_cookie(char out[CSRF_TOKEN_LEN])
{
	unsigned char raw[CSRF_RAW_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, CSRF_TOKEN_LEN, raw, sizeof(raw),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

/* Returns 1 if cookie is a canonical 43-character base64url value of 32 bytes. */
static int csrf_cookie_is_valid(const char *cookie)
{
	unsigned char raw[CSRF_RAW_BYTES];
	char again[CSRF_TOKEN_LEN];
	const char *end = NULL;
	size_t raw_len = 0;
	int ok = 0;

	if (!cookie || strnlen(cookie, CSRF_B64_LEN + 1) != CSRF_B64_LEN)
		return 0;
	if (sodium_base642bin(raw, sizeof(raw), cookie, CSRF_B64_LEN, NULL, &raw_len, &end,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		goto done;
	if (raw_len != sizeof(raw) || end != cookie + CSRF_B64_LEN)
		goto done;
	/* Unused low bits of the last character must be zero (one text per value). */
	sodium_bin2base64(again, sizeof(again), raw, sizeof(raw),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	ok = memcmp(again, cookie, CSRF_B64_LEN) == 0;
done:
	sodium_memzero(raw, sizeof(raw));
	return ok;
}

int csrf_token(const unsigned char key[32], const char *cookie, char out[CSRF_TOKEN_LEN])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	out[0] = '\0';
	if (!csrf_cookie_is_valid(cookie))
		return -1;
	crypto_auth_hmacsha256_init(&st, key, 32);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)CSRF_PREFIX, strlen(CSRF_PREFIX));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)cookie, CSRF_B64_LEN);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(out, CSRF_TOKEN_LEN, mac, sizeof(mac),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(mac, sizeof(mac));
	return 0;
}

int csrf_verify(const unsigned char key[32], const char *cookie, const char *token)
{
	char expected[CSRF_TOKEN_LEN];
	int ok = 0;

	if (!token || strnlen(token, CSRF_B64_LEN + 1) != CSRF_B64_LEN)
		return 0;
	if (csrf_token(key, cookie, expected) != 0)
		goto done;
	ok = sodium_memcmp(expected, token, CSRF_B64_LEN) == 0;
done:
	sodium_memzero(expected, sizeof(expected));
	return ok;
}
