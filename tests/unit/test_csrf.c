/*
 * test_csrf.c — CSRF cookies and tokens: a token verifies for its own
 * cookie and key only; tampered, truncated, padded, non-canonical and
 * malformed inputs are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <sodium.h>

#include "http/csrf.h"

static unsigned char key[32];

static void test_cookie_shape(void **state)
{
	char a[CSRF_TOKEN_LEN], b[CSRF_TOKEN_LEN];
	size_t i;

	(void)state;
	csrf_new_cookie(a);
	csrf_new_cookie(b);
	assert_int_equal(strlen(a), 43);
	assert_string_not_equal(a, b);
	for (i = 0; i < 43; i++)
		assert_true(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", a[i]) != NULL);
}

static void test_token_verifies(void **state)
{
	char cookie[CSRF_TOKEN_LEN], token[CSRF_TOKEN_LEN], again[CSRF_TOKEN_LEN];

	(void)state;
	csrf_new_cookie(cookie);
	assert_int_equal(csrf_token(key, cookie, token), 0);
	assert_int_equal(strlen(token), 43);
	assert_int_equal(csrf_verify(key, cookie, token), 1);
	/* deterministic: the same cookie and key give the same token */
	assert_int_equal(csrf_token(key, cookie, again), 0);
	assert_string_equal(token, again);
}

static void test_token_is_the_hmac(void **state)
{
	/* token = base64url(HMAC-SHA256(key, "csrf:" cookie)), computed independently */
	const char *cookie = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	unsigned char msg[64], mac[crypto_auth_hmacsha256_BYTES];
	char want[CSRF_TOKEN_LEN], token[CSRF_TOKEN_LEN];

	(void)state;
	memcpy(msg, "csrf:", 5);
	memcpy(msg + 5, cookie, 43);
	crypto_auth_hmacsha256(mac, msg, 48, key);
	sodium_bin2base64(want, sizeof(want), mac, sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	assert_int_equal(csrf_token(key, cookie, token), 0);
	assert_string_equal(token, want);
}

static void test_other_cookie_or_key_fails(void **state)
{
	char c1[CSRF_TOKEN_LEN], c2[CSRF_TOKEN_LEN], token[CSRF_TOKEN_LEN];
	unsigned char other_key[32];

	(void)state;
	csrf_new_cookie(c1);
	csrf_new_cookie(c2);
	assert_int_equal(csrf_token(key, c1, token), 0);
	assert_int_equal(csrf_verify(key, c2, token), 0);
	memcpy(other_key, key, sizeof(key));
	other_key[0] ^= 1;
	assert_int_equal(csrf_verify(other_key, c1, token), 0);
}

static void test_tampered_token_fails(void **state)
{
	char cookie[CSRF_TOKEN_LEN], token[CSRF_TOKEN_LEN], bad[CSRF_TOKEN_LEN + 8];
	size_t i;

	(void)state;
	csrf_new_cookie(cookie);
	assert_int_equal(csrf_token(key, cookie, token), 0);
	for (i = 0; i < 43; i++) {
		memcpy(bad, token, CSRF_TOKEN_LEN);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(csrf_verify(key, cookie, bad), 0);
	}
	/* truncated, extended, empty */
	memcpy(bad, token, CSRF_TOKEN_LEN);
	bad[42] = '\0';
	assert_int_equal(csrf_verify(key, cookie, bad), 0);
	memcpy(bad, token, 43);
	memcpy(bad + 43, "A", 2);
	assert_int_equal(csrf_verify(key, cookie, bad), 0);
	assert_int_equal(csrf_verify(key, cookie, ""), 0);
	assert_int_equal(csrf_verify(key, cookie, NULL), 0);
}

static void test_malformed_cookie(void **state)
{
	char token[CSRF_TOKEN_LEN], good[CSRF_TOKEN_LEN], bad[CSRF_TOKEN_LEN + 8];
	const char *cases[] = {
		"",
		"short",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",     /* 42 */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 44 */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",    /* padded */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",    /* not url-safe */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",    /* non-canonical last char */
		"AAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(csrf_token(key, cases[i], token), -1);
		assert_string_equal(token, "");
		assert_int_equal(csrf_verify(key, cases[i], "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
	}
	assert_int_equal(csrf_token(key, NULL, token), -1);
	/* a canonical cookie works, with its last character's spare bits zero */
	assert_int_equal(csrf_token(key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE", token), 0);
	/* a real cookie with garbage after it is refused */
	csrf_new_cookie(good);
	memcpy(bad, good, 43);
	memcpy(bad + 43, "x", 2);
	assert_int_equal(csrf_token(key, bad, token), -1);
	assert_int_equal(csrf_token(key, good, token), 0);
	assert_int_equal(csrf_verify(key, bad, token), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_shape),
		cmocka_unit_test(test_token_verifies),
		cmocka_unit_test(test_token_is_the_hmac),
		cmocka_unit_test(test_other_cookie_or_key_fails),
		cmocka_unit_test(test_tampered_token_fails),
		cmocka_unit_test(test_malformed_cookie),
	};

	if (sodium_init() < 0)
		return 1;
	randombytes_buf(key, sizeof(key));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
