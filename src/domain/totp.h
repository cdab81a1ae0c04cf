/*
 * totp.h — time-based one-time passwords (RFC 6238) for staff sign-in.
 *
 * The parameters every authenticator app understands: HMAC-SHA1, 6 digits,
 * 30-second steps from the Unix epoch, a secret of 20 random bytes (RFC 4226
 * recommends 160 bits). A code is accepted for the current step and one step
 * either side (clock drift), and only for a step newer than the last one
 * accepted for the account: a code is usable once.
 *
 * At rest the secret is sealed (crypto_secretbox, nonce || box) under the
 * installation's "totp" purpose key (domain/keys.h), so a copy of the
 * database alone does not give anyone a second factor.
 *
 * Threading: pure functions of their arguments (liboath is initialised
 * once, under pthread_once); safe from any thread.
 */
#ifndef ONRAMP_TOTP_H
#define ONRAMP_TOTP_H

#include <stddef.h>

#include "lib/buf.h"

#define TOTP_SECRET_BYTES  20
#define TOTP_DIGITS        6
#define TOTP_STEP_SECONDS  30
#define TOTP_WINDOW        1   /* steps accepted either side of now */
/* The sealed secret: 24-byte nonce, 16-byte authenticator, the secret. */
#define TOTP_SEALED_BYTES  (24 + 16 + TOTP_SECRET_BYTES)
/* Base32 of the secret (32 characters, no padding for 20 bytes) and NUL. */
#define TOTP_BASE32_MAX    40

/* Fills secret with fresh random bytes. */
void totp_secret_new(unsigned char secret[TOTP_SECRET_BYTES]);

/* The 6-digit code of time step step (seconds / 30) into out. Returns 0 or -1. */
int totp_code_at(const unsigned char secret[TOTP_SECRET_BYTES], long long step,
                 char out[TOTP_DIGITS + 1]);

/* Checks code (exactly 6 ASCII digits; spaces are not accepted here: the
 * caller strips them) against the steps of now-1..now+1 newer than
 * last_step. Returns 1 and *step_out (the step to remember) when it
 * matches, 0 when it does not (wrong, malformed, or already used). */
int totp_verify(const unsigned char secret[TOTP_SECRET_BYTES], const char *code, long long now,
                long long last_step, long long *step_out);

/* Copies code into out without spaces or dashes ("123 456" → "123456").
 * Returns 0, or -1 when what remains is not exactly 6 digits. */
int totp_code_clean(const char *code, char out[TOTP_DIGITS + 1]);

/* The secret in RFC 4648 base32, upper case, no padding. Returns 0 or -1. */
int totp_base32(const unsigned char secret[TOTP_SECRET_BYTES], char out[TOTP_BASE32_MAX]);

/* Appends the otpauth://totp/ISSUER:ACCOUNT?… URI (Key URI Format) with
 * issuer and account percent-encoded. Returns 0 or -1 (buf's sticky error). */
int totp_uri(buf *out, const char *issuer, const char *account,
             const unsigned char secret[TOTP_SECRET_BYTES]);

/* Seals secret under key into out. Returns 0 or -1. */
int totp_seal(const unsigned char key[32], const unsigned char secret[TOTP_SECRET_BYTES],
              unsigned char out[TOTP_SEALED_BYTES]);
/* Opens a sealed secret. Returns 0, or -1 if in is not exactly
 * TOTP_SEALED_BYTES, was altered, or was sealed under another key. */
int totp_open(const unsigned char key[32], const void *in, size_t inlen,
              unsigned char secret[TOTP_SECRET_BYTES]);

#endif
