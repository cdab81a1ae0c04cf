/*
 * test_keys.c — the key file and the purpose keys (domain/keys.c).
 *
 * Each test works in its own mkdtemp() directory, removed afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "domain/keys.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/onramp-keys-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/onramp.key", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Writes n bytes of value v to path with the given mode. */
static void write_file(const char *path, size_t n, unsigned char v, mode_t mode)
{
	unsigned char data[64];
	int fd;

	assert_true(n <= sizeof(data));
	memset(data, v, sizeof(data));
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0); /* whatever the umask */
	close(fd);
}

static void test_create_makes_private_32_byte_file(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	struct stat st;
	struct keys *k = keys_load(f->path, 1, err, sizeof(err));

	assert_non_null(k);
	assert_string_equal(err, "");
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	keys_free(k);
}

static void test_reload_gives_same_subkeys(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct keys *a = keys_load(f->path, 1, err, sizeof(err));
	struct keys *b;

	assert_non_null(a);
	b = keys_load(f->path, 0, err, sizeof(err));
	assert_non_null(b);
	assert_memory_equal(a->demographics, b->demographics, 32);
	assert_memory_equal(a->csrf, b->csrf, 32);
	assert_memory_equal(a->ip_hash, b->ip_hash, 32);
	keys_free(a);
	keys_free(b);
}

static void test_new_files_have_different_keys(void **state)
{
	struct fixture *f = *state;
	char err[256];
	unsigned char first[32];
	struct keys *k = keys_load(f->path, 1, err, sizeof(err));

	assert_non_null(k);
	memcpy(first, k->demographics, 32);
	keys_free(k);
	assert_int_equal(unlink(f->path), 0);
	k = keys_load(f->path, 1, err, sizeof(err));
	assert_non_null(k);
	assert_memory_not_equal(first, k->demographics, 32);
	keys_free(k);
}

static void test_purposes_get_different_subkeys(void **state)
{
	struct fixture *f = *state;
	char err[256];
	static const unsigned char zero[32];
	struct keys *k = keys_load(f->path, 1, err, sizeof(err));

	assert_non_null(k);
	assert_memory_not_equal(k->demographics, k->csrf, 32);
	assert_memory_not_equal(k->demographics, k->ip_hash, 32);
	assert_memory_not_equal(k->csrf, k->ip_hash, 32);
	assert_memory_not_equal(k->demographics, zero, 32);
	keys_free(k);
}

static void test_derivation_is_fixed(void **state)
{
	struct fixture *f = *state;
	char err[256];
	unsigned char master[32], want[32];
	struct keys *k;

	/* A known master key gives the documented derivation (context
	 * "onramp__", ids 1, 2, 3): stored ciphertexts depend on it. */
	write_file(f->path, 32, 0x42, 0600);
	k = keys_load(f->path, 0, err, sizeof(err));
	assert_non_null(k);
	memset(master, 0x42, sizeof(master));
	assert_int_equal(crypto_kdf_derive_from_key(want, 32, 1, "onramp__", master), 0);
	assert_memory_equal(k->demographics, want, 32);
	assert_int_equal(crypto_kdf_derive_from_key(want, 32, 2, "onramp__", master), 0);
	assert_memory_equal(k->csrf, want, 32);
	assert_int_equal(crypto_kdf_derive_from_key(want, 32, 3, "onramp__", master), 0);
	assert_memory_equal(k->ip_hash, want, 32);
	keys_free(k);
}

static void test_readable_by_others_is_refused(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";

	write_file(f->path, 32, 7, 0644);
	assert_null(keys_load(f->path, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "readable by others"));
	assert_non_null(strstr(err, "chmod 600"));

	err[0] = '\0';
	assert_int_equal(chmod(f->path, 0640), 0);
	assert_null(keys_load(f->path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "readable by others"));

	/* Once fixed, it loads. */
	assert_int_equal(chmod(f->path, 0600), 0);
	struct keys *k = keys_load(f->path, 0, err, sizeof(err));
	assert_non_null(k);
	keys_free(k);
}

static void test_wrong_size_is_refused(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";

	write_file(f->path, 31, 7, 0600);
	assert_null(keys_load(f->path, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "32 bytes"));

	err[0] = '\0';
	write_file(f->path, 33, 7, 0600);
	assert_null(keys_load(f->path, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "32 bytes"));

	err[0] = '\0';
	write_file(f->path, 0, 7, 0600);
	assert_null(keys_load(f->path, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "32 bytes"));
}

static void test_missing_without_create_is_refused(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	struct stat st;

	assert_null(keys_load(f->path, 0, err, sizeof(err)));
	assert_true(strlen(err) > 0);
	assert_int_equal(stat(f->path, &st), -1); /* nothing was created */
}

static void test_unusable_paths_are_refused(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", path[192];

	snprintf(path, sizeof(path), "%s/no/such/dir/key", f->dir);
	assert_null(keys_load(path, 1, err, sizeof(err)));
	assert_true(strlen(err) > 0);

	err[0] = '\0';
	assert_null(keys_load(f->dir, 0, err, sizeof(err))); /* a directory */
	assert_true(strlen(err) > 0);

	err[0] = '\0';
	assert_null(keys_load("", 1, err, sizeof(err)));
	assert_true(strlen(err) > 0);
	keys_free(NULL); /* allowed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_makes_private_32_byte_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_gives_same_subkeys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_files_have_different_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purposes_get_different_subkeys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_derivation_is_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readable_by_others_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_size_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_without_create_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unusable_paths_are_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
