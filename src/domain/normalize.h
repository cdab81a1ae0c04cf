/*
 * normalize.h — the canonical forms that make dedupe exact.
 *
 * Emails: trimmed and lower-cased (whole address; no provider-specific
 * rules like Gmail dots, since those would merge different people).
 * Phones: E.164. US numbers in any common format ("(555) 234-5678",
 * "555.234.5678", "+1 555 234 5678", "1-555-234-5678") become +1XXXXXXXXXX;
 * an international number must start with + and have 8..15 digits.
 * Pure functions: no allocation, thread-safe.
 */
#ifndef ONRAMP_NORMALIZE_H
#define ONRAMP_NORMALIZE_H

#include <stddef.h>

/* Writes the normalized email into out (outlen >= LIMIT_EMAIL + 1).
 * Returns 0, or -1 if it is not a plausible address (one @, a dot in the
 * domain, no spaces or control characters, within LIMIT_EMAIL). */
int normalize_email(const char *in, char *out, size_t outlen);

/* Writes the E.164 form into out (outlen >= 17). Returns 0, or -1 if the
 * input is not a phone number we can be sure of. */
int normalize_phone(const char *in, char *out, size_t outlen);

/* Writes a 5-digit ZIP (ZIP+4 is cut to 5) into out (outlen >= 6).
 * Returns 0, or -1. */
int normalize_zip(const char *in, char *out, size_t outlen);

#endif
