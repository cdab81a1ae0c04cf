/*
 * totp.c — RFC 6238 codes with liboath, and the secret sealed at rest.
 *
 * liboath computes the HOTP/TOTP value (oath_totp_generate); the window and
 * the "usable once" rule are ours, so they are explicit and tested: the
 * steps now-1, now, now+1 are tried oldest first and the first one that
 * matches and is newer than last_step wins. Codes are compared with
 * sodium_memcmp (constant time). Copies of the secret and of generated
 * codes are wiped.
 *
 * Threading: oath_init runs once (pthread_once); everything else is pure.
 */
#include "domain/totp.h"

#include <pthread.h>
#include <string.h>

#include <liboath/oath.h>
#include <sodium.h>

static pthread_once_t totp_once = PTHREAD_ONCE_INIT;
static int totp_ready;

static void totp_init_run(void)
{
	totp_ready = oath_init() == OATH_OK && sodium_init() >= 0;
}

static int totp_init(void)
{
	pthread_once(&totp_once, totp_init_run);
	return totp_ready ? 0 : -1;
}

void totp_secret_new(unsigned char secret[TOTP_SECRET_BYTES])
{
	randombytes_buf(secret, TOTP_SECRET_BYTES);
}

int totp_code_at(const unsigned char secret[TOTP_SECRET_BYTES], long long step,
                 char out[TOTP_DIGITS + 1])
{
	out[0] = '\0';
	if (totp_init() != 0 || step < 0 || step > (long long)(0x7fffffffffffffffLL / TOTP_STEP_SECONDS))
		return -1;
	if (oath_totp_generate((const char *)secret, TOTP_SECRET_BYTES,
	                       (time_t)(step * TOTP_STEP_SECONDS), TOTP_STEP_SECONDS, 0,
	                       TOTP_DIGITS, out) != OATH_OK) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int totp_code_clean(const char *code, char out[TOTP_DIGITS + 1])
{
	size_t n = 0;

	out[0] = '\0';
	if (code == NULL)
		return -1;
	for (; *code; code++) {
		if (*code == ' ' || *code == '-' || *code == '\t')
			continue;
		if (*code < '0' || *code > '9' || n == TOTP_DIGITS)
			return -1;
		out[n++] = *code;
	}
	out[n] = '\0';
	return n == TOTP_DIGITS ? 0 : -1;
}

int totp_verify(const unsigned char secret[TOTP_SECRET_BYTES], const char *code, long long now,
                long long last_step, long long *step_out)
{
	char expect[TOTP_DIGITS + 1];
	long long step, cur;
	size_t i;
	int ok = 0;

	*step_out = 0;
	if (code == NULL || strlen(code) != TOTP_DIGITS || now < TOTP_STEP_SECONDS)
		return 0;
	for (i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	cur = now / TOTP_STEP_SECONDS;
	for (step = cur - TOTP_WINDOW; step <= cur + TOTP_WINDOW && !ok; step++) {
		if (step <= last_step)
			continue; /* used already, or older than a code that was */
		if (totp_code_at(secret, step, expect) != 0)
			break;
		if (sodium_memcmp(expect, code, TOTP_DIGITS) == 0) {
			*step_out = step;
			ok = 1;
		}
	}
	sodium_memzero(expect, sizeof(expect));
	return ok;
}

int totp_base32(const unsigned char secret[TOTP_SECRET_BYTES], char out[TOTP_BASE32_MAX])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned int acc = 0;
	int bits = 0;
	size_t i, n = 0;

	for (i = 0; i < TOTP_SECRET_BYTES; i++) {
		acc = (acc << 8) | secret[i];
		bits += 8;
		while (bits >= 5) {
			out[n++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
		acc &= 0xff; /* only the low bits still pending matter */
	}
	if (bits > 0)
		out[n++] = alphabet[(acc << (5 - bits)) & 31];
	out[n] = '\0';
	return 0;
}

/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
static int totp_uri_add_encoded(buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
			buf_addc(out, (char)c);
		} else {
			buf_addc(out, '%');
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 15]);
		}
	}
	return buf_failed(out) ? -1 : 0;
}

int totp_uri(buf *out, const char *issuer, const char *account,
             const unsigned char secret[TOTP_SECRET_BYTES])
{
	char b32[TOTP_BASE32_MAX];

	totp_base32(secret, b32);
	buf_adds(out, "otpauth://totp/");
	totp_uri_add_encoded(out, issuer);
	buf_adds(out, ":");
	totp_uri_add_encoded(out, account);
	buf_adds(out, "?secret=");
	buf_adds(out, b32);
	buf_adds(out, "&issuer=");
	totp_uri_add_encoded(out, issuer);
	buf_printf(out, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS, TOTP_STEP_SECONDS);
	sodium_memzero(b32, sizeof(b32));
	return buf_failed(out) ? -1 : 0;
}

_Static_assert(TOTP_SEALED_BYTES == crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                    TOTP_SECRET_BYTES, "sealed TOTP secret layout");

int totp_seal(const unsigned char key[32], const unsigned char secret[TOTP_SECRET_BYTES],
              unsigned char out[TOTP_SEALED_BYTES])
{
	if (totp_init() != 0)
		return -1;
	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	return crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, secret, TOTP_SECRET_BYTES,
	                             out, key) == 0 ? 0 : -1;
}

int totp_open(const unsigned char key[32], const void *in, size_t inlen,
              unsigned char secret[TOTP_SECRET_BYTES])
{
	const unsigned char *p = in;

	if (totp_init() != 0 || p == NULL || inlen != TOTP_SEALED_BYTES)
		return -1;
	if (crypto_secretbox_open_easy(secret, p + crypto_secretbox_NONCEBYTES,
	                               inlen - crypto_secretbox_NONCEBYTES, p, key) != 0) {
		sodium_memzero(secret, TOTP_SECRET_BYTES);
		return -1;
	}
	return 0;
}
