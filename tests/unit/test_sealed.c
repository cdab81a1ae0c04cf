/*
 * test_sealed.c — sealing JSON objects at rest (domain/sealed.c): a round
 * trip gives the object back, and an altered blob, a truncated blob or the
 * wrong key is refused rather than returned.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "domain/sealed.h"

static unsigned char key_a[SEALED_KEY_BYTES];
static unsigned char key_b[SEALED_KEY_BYTES];

static int setup_keys(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(key_a, sizeof(key_a));
	randombytes_buf(key_b, sizeof(key_b));
	return 0;
}

static json_t *sample_object(void)
{
	return json_pack("{s:s, s:s, s:[s,s], s:s}", "gender", "woman", "pronouns", "she/her",
	                 "race_ethnicity", "black", "latino", "veteran", "no");
}

static void test_round_trip(void **state)
{
	json_t *in = sample_object(), *back = NULL;
	unsigned char *blob = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(sealed_encrypt_json(key_a, in, &blob, &len), 0);
	assert_non_null(blob);
	assert_true(len > SEALED_NONCE_BYTES + SEALED_MAC_BYTES);
	/* No plain text in the sealed bytes. */
	assert_null(memmem(blob, len, "woman", 5));
	assert_null(memmem(blob, len, "gender", 6));
	assert_int_equal(sealed_decrypt_json(key_a, blob, len, &back), 0);
	assert_true(json_equal(in, back));
	free(blob);
	json_decref(back);
	json_decref(in);
}

static void test_fresh_nonce_each_time(void **state)
{
	json_t *in = sample_object();
	unsigned char *b1 = NULL, *b2 = NULL;
	size_t l1 = 0, l2 = 0;

	(void)state;
	assert_int_equal(sealed_encrypt_json(key_a, in, &b1, &l1), 0);
	assert_int_equal(sealed_encrypt_json(key_a, in, &b2, &l2), 0);
	assert_int_equal(l1, l2);
	assert_true(memcmp(b1, b2, SEALED_NONCE_BYTES) != 0);
	assert_true(memcmp(b1, b2, l1) != 0);
	free(b1);
	free(b2);
	json_decref(in);
}

static void test_empty_object(void **state)
{
	json_t *in = json_object(), *back = NULL;
	unsigned char *blob = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(sealed_encrypt_json(key_a, in, &blob, &len), 0);
	assert_int_equal(sealed_decrypt_json(key_a, blob, len, &back), 0);
	assert_true(json_is_object(back));
	assert_int_equal(json_object_size(back), 0);
	free(blob);
	json_decref(back);
	json_decref(in);
}

static void test_tamper_fails(void **state)
{
	json_t *in = sample_object(), *back = NULL;
	unsigned char *blob = NULL;
	size_t len = 0, i;

	(void)state;
	assert_int_equal(sealed_encrypt_json(key_a, in, &blob, &len), 0);
	/* Flipping any single byte — nonce, MAC or ciphertext — is detected. */
	for (i = 0; i < len; i++) {
		blob[i] ^= 0x01;
		back = (json_t *)1;
		assert_int_equal(sealed_decrypt_json(key_a, blob, len, &back), -1);
		assert_null(back);
		blob[i] ^= 0x01;
	}
	/* Truncated blobs too. */
	assert_int_equal(sealed_decrypt_json(key_a, blob, len - 1, &back), -1);
	assert_int_equal(sealed_decrypt_json(key_a, blob, SEALED_NONCE_BYTES + SEALED_MAC_BYTES - 1, &back), -1);
	assert_int_equal(sealed_decrypt_json(key_a, blob, 0, &back), -1);
	assert_int_equal(sealed_decrypt_json(key_a, NULL, len, &back), -1);
	/* And the untouched blob still opens. */
	assert_int_equal(sealed_decrypt_json(key_a, blob, len, &back), 0);
	json_decref(back);
	free(blob);
	json_decref(in);
}

static void test_wrong_key_fails(void **state)
{
	json_t *in = sample_object(), *back = NULL;
	unsigned char *blob = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(sealed_encrypt_json(key_a, in, &blob, &len), 0);
	assert_int_equal(sealed_decrypt_json(key_b, blob, len, &back), -1);
	assert_null(back);
	free(blob);
	json_decref(in);
}

static void test_only_objects(void **state)
{
	json_t *arr = json_pack("[s]", "x");
	unsigned char *blob = (unsigned char *)1;
	size_t len = 1;

	(void)state;
	assert_int_equal(sealed_encrypt_json(key_a, arr, &blob, &len), -1);
	assert_null(blob);
	assert_int_equal(len, 0);
	assert_int_equal(sealed_encrypt_json(key_a, NULL, &blob, &len), -1);
	json_decref(arr);
}

/* A valid box whose plain text is not a JSON object is refused on opening. */
static void test_box_of_non_object_fails(void **state)
{
	const char *plain = "[1,2,3]";
	size_t plen = strlen(plain);
	unsigned char blob[SEALED_NONCE_BYTES + SEALED_MAC_BYTES + 16];
	json_t *back = NULL;

	(void)state;
	randombytes_buf(blob, SEALED_NONCE_BYTES);
	assert_int_equal(crypto_secretbox_easy(blob + SEALED_NONCE_BYTES, (const unsigned char *)plain,
	                                       plen, blob, key_a), 0);
	assert_int_equal(sealed_decrypt_json(key_a, blob, SEALED_NONCE_BYTES + SEALED_MAC_BYTES + plen,
	                                     &back), -1);
	assert_null(back);
}

static void test_too_large_refused(void **state)
{
	size_t n = SEALED_PLAINTEXT_MAX + 1;
	char *big = malloc(n + 1);
	json_t *obj;
	unsigned char *blob = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	obj = json_pack("{s:s}", "k", big);
	assert_non_null(obj);
	assert_int_equal(sealed_encrypt_json(key_a, obj, &blob, &len), -1);
	assert_null(blob);
	json_decref(obj);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_fresh_nonce_each_time),
		cmocka_unit_test(test_empty_object),
		cmocka_unit_test(test_tamper_fails),
		cmocka_unit_test(test_wrong_key_fails),
		cmocka_unit_test(test_only_objects),
		cmocka_unit_test(test_box_of_non_object_fails),
		cmocka_unit_test(test_too_large_refused),
	};
	return cmocka_run_group_tests(tests, setup_keys, NULL);
}
