/*
 * fuzz_cookies.c — libFuzzer target for the CSRF cookie and token checks
 * (http/csrf.c), the values every form POST's fate depends on.
 *
 * Input: a cookie value, a newline, a form token (each cut at a NUL, as a
 * C string from the parsers would be). Besides memory errors, the target
 * checks what csrf.h promises: a cookie either derives a token or is
 * refused; a derived token verifies against its cookie and is 43
 * characters of base64url; any other token is refused; a refused cookie
 * verifies nothing; a fresh cookie always derives a token. (The Cookie
 * header itself is split by libmicrohttpd: fuzz_http covers it.)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "http/csrf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_is_b64url(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	char derived[CSRF_TOKEN_LEN], fresh[CSRF_TOKEN_LEN];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t clen = nl ? (size_t)(nl - data) : size;
	size_t tlen = nl ? size - clen - 1 : 0;
	char *cookie = malloc(clen + 1), *token = malloc(tlen + 1);

	if (!cookie || !token)
		abort();
	if (sodium_init() < 0)
		abort();
	memcpy(cookie, data, clen);
	cookie[clen] = '\0';
	if (tlen)
		memcpy(token, nl + 1, tlen);
	token[tlen] = '\0';

	if (csrf_token(key, cookie, derived) == 0) {
		if (strlen(derived) != 43 || !fuzz_is_b64url(derived))
			abort();
		if (csrf_verify(key, cookie, derived) != 1)
			abort();
		if (csrf_verify(key, cookie, token) != (strcmp(token, derived) == 0))
			abort();
	} else {
		if (csrf_verify(key, cookie, token) != 0)
			abort();
	}
	csrf_new_cookie(fresh);
	if (csrf_token(key, fresh, derived) != 0 || csrf_verify(key, fresh, derived) != 1)
		abort();
	free(cookie);
	free(token);
	return 0;
}
