/*
 * test_totp.c — RFC 6238 codes (the RFC's own SHA-1 vectors, cut to six
 * digits), the ±1 step window, a code usable once, code clean-up, base32,
 * the otpauth:// URI, sealing at rest, and the QR code's SVG.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "domain/totp.h"
#include "web/qr_svg.h"

/* RFC 6238 appendix B: the SHA-1 secret is the ASCII "12345678901234567890". */
static const unsigned char rfc_secret[TOTP_SECRET_BYTES] = "12345678901234567890";

static void test_rfc6238_vectors(void **state)
{
	static const struct { long long t; const char *code; } v[] = {
		{ 59, "287082" },          /* 94287082 */
		{ 1111111109, "081804" },  /* 07081804 */
		{ 1111111111, "050471" },  /* 14050471 */
		{ 1234567890, "005924" },  /* 89005924 */
		{ 2000000000, "279037" },  /* 69279037 */
		{ 20000000000LL, "353130" }, /* 65353130 */
	};
	char code[TOTP_DIGITS + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(totp_code_at(rfc_secret, v[i].t / TOTP_STEP_SECONDS, code), 0);
		assert_string_equal(code, v[i].code);
	}
	assert_int_equal(totp_code_at(rfc_secret, -1, code), -1);
}

static void test_window_and_once(void **state)
{
	long long now = 1234567890, cur = now / TOTP_STEP_SECONDS, step;
	char prev[8], here[8], next[8], far[8];

	(void)state;
	totp_code_at(rfc_secret, cur - 1, prev);
	totp_code_at(rfc_secret, cur, here);
	totp_code_at(rfc_secret, cur + 1, next);
	totp_code_at(rfc_secret, cur + 2, far);

	assert_int_equal(totp_verify(rfc_secret, here, now, 0, &step), 1);
	assert_int_equal(step, cur);
	assert_int_equal(totp_verify(rfc_secret, prev, now, 0, &step), 1);
	assert_int_equal(step, cur - 1);
	assert_int_equal(totp_verify(rfc_secret, next, now, 0, &step), 1);
	assert_int_equal(step, cur + 1);
	/* Two steps away is outside the window. */
	if (strcmp(far, here) != 0 && strcmp(far, prev) != 0 && strcmp(far, next) != 0)
		assert_int_equal(totp_verify(rfc_secret, far, now, 0, &step), 0);
	/* Used once: the same step, or an older one, is refused. */
	assert_int_equal(totp_verify(rfc_secret, here, now, cur, &step), 0);
	assert_int_equal(totp_verify(rfc_secret, prev, now, cur, &step), 0);
	assert_int_equal(totp_verify(rfc_secret, next, now, cur, &step), 1);
	assert_int_equal(totp_verify(rfc_secret, next, now, cur + 1, &step), 0);
	/* Malformed codes. */
	assert_int_equal(totp_verify(rfc_secret, "12345", now, 0, &step), 0);
	assert_int_equal(totp_verify(rfc_secret, "1234567", now, 0, &step), 0);
	assert_int_equal(totp_verify(rfc_secret, "12a456", now, 0, &step), 0);
	assert_int_equal(totp_verify(rfc_secret, NULL, now, 0, &step), 0);
}

static void test_code_clean(void **state)
{
	char out[TOTP_DIGITS + 1];

	(void)state;
	assert_int_equal(totp_code_clean("123 456", out), 0);
	assert_string_equal(out, "123456");
	assert_int_equal(totp_code_clean(" 12-34-56 ", out), 0);
	assert_string_equal(out, "123456");
	assert_int_equal(totp_code_clean("12345", out), -1);
	assert_int_equal(totp_code_clean("1234567", out), -1);
	assert_int_equal(totp_code_clean("12345x", out), -1);
	assert_int_equal(totp_code_clean("", out), -1);
	assert_int_equal(totp_code_clean(NULL, out), -1);
}

static void test_base32_and_uri(void **state)
{
	char b32[TOTP_BASE32_MAX];
	buf uri;

	(void)state;
	assert_int_equal(totp_base32(rfc_secret, b32), 0);
	assert_string_equal(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	buf_init(&uri, 1024);
	assert_int_equal(totp_uri(&uri, "Run for Something", "ana+1@example.org", rfc_secret), 0);
	assert_string_equal(buf_str(&uri),
	                    "otpauth://totp/Run%20for%20Something:ana%2B1@example.org"
	                    "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Run%20for%20Something"
	                    "&algorithm=SHA1&digits=6&period=30");
	buf_free(&uri);
}

static void test_seal_open(void **state)
{
	unsigned char key[32], other[32], sealed[TOTP_SEALED_BYTES], back[TOTP_SECRET_BYTES];
	unsigned char secret[TOTP_SECRET_BYTES], secret2[TOTP_SECRET_BYTES];

	(void)state;
	memset(key, 7, sizeof(key));
	memset(other, 8, sizeof(other));
	totp_secret_new(secret);
	totp_secret_new(secret2);
	assert_memory_not_equal(secret, secret2, TOTP_SECRET_BYTES);
	assert_int_equal(totp_seal(key, secret, sealed), 0);
	assert_null(memmem(sealed, sizeof(sealed), secret, TOTP_SECRET_BYTES));
	assert_int_equal(totp_open(key, sealed, sizeof(sealed), back), 0);
	assert_memory_equal(back, secret, TOTP_SECRET_BYTES);
	assert_int_equal(totp_open(other, sealed, sizeof(sealed), back), -1);
	assert_int_equal(totp_open(key, sealed, sizeof(sealed) - 1, back), -1);
	sealed[30] ^= 1;
	assert_int_equal(totp_open(key, sealed, sizeof(sealed), back), -1);
}

static void test_qr_svg(void **state)
{
	buf svg;
	const char *s;

	(void)state;
	buf_init(&svg, 256 * 1024);
	assert_int_equal(web_qr_svg(&svg, "otpauth://totp/X:a@example.org?secret=GEZDGNBV", "QR <code>"), 0);
	s = buf_str(&svg);
	assert_true(strncmp(s, "<svg class=\"qr\"", 15) == 0);
	assert_non_null(strstr(s, "aria-label=\"QR &lt;code&gt;\""));
	assert_non_null(strstr(s, "h1v1h-1z"));
	assert_null(strstr(s, "otpauth")); /* the text itself is not in the markup */
	assert_true(strlen(s) > 1000);
	buf_reset(&svg);
	assert_int_equal(web_qr_svg(&svg, "", "x"), -1);
	buf_free(&svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_window_and_once),
		cmocka_unit_test(test_code_clean),
		cmocka_unit_test(test_base32_and_uri),
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_qr_svg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
