/*
 * keys.c — loading (or creating) the master key and deriving purpose keys.
 *
 * The key file holds exactly 32 raw bytes. It is refused when the group or
 * others have any access to it, or when it is not exactly 32 bytes, so a
 * truncated or world-readable key never silently backs the installation.
 * Purpose keys come from crypto_kdf_derive_from_key with the context
 * "onramp__" and fixed ids (1 demographics, 2 csrf, 3 ip_hash, 4 totp,
 * 5 mail); the ids
 * never change, or stored ciphertexts would become unreadable.
 *
 * Invariants: the master key lives only on this file's stack frames and is
 * wiped with sodium_memzero before returning; the derived keys live in
 * sodium_malloc'd memory (guard pages, locked, wiped by sodium_free) that is
 * made read-only once filled.
 * Threading: keys_load runs once at start-up; the struct it returns is
 * read-only and may be shared by every thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "domain/keys.h"

#define KEYS_CONTEXT "onramp__"

enum keys_subkey_id {
	KEYS_ID_DEMOGRAPHICS = 1,
	KEYS_ID_CSRF         = 2,
	KEYS_ID_IP_HASH      = 3,
	KEYS_ID_TOTP         = 4,  /* appended: ids are never renumbered */
	KEYS_ID_MAIL         = 5,  /* appended: unsubscribe links */
};

static void keys_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void keys_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	/* A truncated message is still NUL-terminated and still says why. */
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Reads exactly n bytes, retrying short reads and EINTR. Returns 0 or -1
 * (errno set, or 0 when the file ended early). */
static int keys_read_full(int fd, unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int keys_write_full(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Creates path with a fresh random key. Returns 1 on success, 0 if the file
 * appeared meanwhile (another process created it: read that one instead),
 * -1 on error with err set. */
static int keys_create_file(const char *path, unsigned char master[crypto_kdf_KEYBYTES],
                            char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		keys_set_err(err, errlen, "cannot create key file %s: %s", path, strerror(errno));
		return -1;
	}
	crypto_kdf_keygen(master);
	if (keys_write_full(fd, master, crypto_kdf_KEYBYTES) != 0 || fsync(fd) != 0) {
		keys_set_err(err, errlen, "cannot write key file %s: %s", path, strerror(errno));
		(void)close(fd);
		(void)unlink(path);
		sodium_memzero(master, crypto_kdf_KEYBYTES);
		return -1;
	}
	if (close(fd) != 0) {
		keys_set_err(err, errlen, "cannot write key file %s: %s", path, strerror(errno));
		(void)unlink(path);
		sodium_memzero(master, crypto_kdf_KEYBYTES);
		return -1;
	}
	return 1;
}

/* Reads the master key from an existing file. Returns 0, -1 with err set,
 * or -2 when the file does not exist (err set too). */
static int keys_read_file(const char *path, unsigned char master[crypto_kdf_KEYBYTES],
                          char *err, size_t errlen)
{
	struct stat st;
	unsigned char extra;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int missing = (errno == ENOENT);
		keys_set_err(err, errlen, "cannot open key file %s: %s", path, strerror(errno));
		return missing ? -2 : -1;
	}
	if (fstat(fd, &st) != 0) {
		keys_set_err(err, errlen, "cannot stat key file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		keys_set_err(err, errlen, "key file %s is not a regular file", path);
		goto fail;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		keys_set_err(err, errlen, "%s is readable by others; chmod 600 it", path);
		goto fail;
	}
	if (st.st_size != crypto_kdf_KEYBYTES) {
		keys_set_err(err, errlen, "key file %s must hold exactly 32 bytes", path);
		goto fail;
	}
	if (keys_read_full(fd, master, crypto_kdf_KEYBYTES) != 0) {
		keys_set_err(err, errlen, "cannot read key file %s: %s", path,
		             errno != 0 ? strerror(errno) : "must hold exactly 32 bytes");
		goto fail;
	}
	/* The size was checked, but the file may have grown since fstat. */
	do
		r = read(fd, &extra, 1);
	while (r < 0 && errno == EINTR);
	if (r != 0) {
		keys_set_err(err, errlen, "key file %s must hold exactly 32 bytes", path);
		goto fail;
	}
	(void)close(fd);
	return 0;
fail:
	(void)close(fd);
	sodium_memzero(master, crypto_kdf_KEYBYTES);
	return -1;
}

struct keys *keys_load(const char *path, int create, char *err, size_t errlen)
{
	unsigned char master[crypto_kdf_KEYBYTES];
	struct keys *k = NULL;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || path[0] == '\0') {
		keys_set_err(err, errlen, "no key file given");
		return NULL;
	}
	if (sodium_init() < 0) {
		keys_set_err(err, errlen, "libsodium failed to initialise");
		return NULL;
	}

	rc = keys_read_file(path, master, err, errlen);
	if (rc == -2 && create) {
		rc = keys_create_file(path, master, err, errlen);
		if (rc == 0) /* lost a creation race: use the winner's key */
			rc = keys_read_file(path, master, err, errlen);
		else if (rc == 1)
			rc = 0;
	}
	if (rc != 0)
		goto fail;

	k = sodium_malloc(sizeof(*k));
	if (k == NULL) {
		keys_set_err(err, errlen, "out of memory for keys");
		goto fail;
	}
	if (crypto_kdf_derive_from_key(k->demographics, sizeof(k->demographics),
	                               KEYS_ID_DEMOGRAPHICS, KEYS_CONTEXT, master) != 0 ||
	    crypto_kdf_derive_from_key(k->csrf, sizeof(k->csrf),
	                               KEYS_ID_CSRF, KEYS_CONTEXT, master) != 0 ||
	    crypto_kdf_derive_from_key(k->ip_hash, sizeof(k->ip_hash),
	                               KEYS_ID_IP_HASH, KEYS_CONTEXT, master) != 0 ||
	    crypto_kdf_derive_from_key(k->totp, sizeof(k->totp),
	                               KEYS_ID_TOTP, KEYS_CONTEXT, master) != 0 ||
	    crypto_kdf_derive_from_key(k->mail, sizeof(k->mail),
	                               KEYS_ID_MAIL, KEYS_CONTEXT, master) != 0) {
		keys_set_err(err, errlen, "key derivation failed");
		goto fail;
	}
	sodium_memzero(master, sizeof(master));
	/* Nothing writes the keys after this; a stray write now faults. */
	(void)sodium_mprotect_readonly(k);
	if (err != NULL && errlen > 0)
		err[0] = '\0'; /* a "missing" note from before the file was created */
	return k;
fail:
	sodium_memzero(master, sizeof(master));
	if (k != NULL)
		sodium_free(k);
	return NULL;
}

void keys_free(struct keys *k)
{
	if (k == NULL)
		return;
	(void)sodium_mprotect_readwrite(k);
	sodium_free(k); /* wipes before releasing */
}
