/*
 * utf8.h — a strict UTF-8 validator (RFC 3629) and its small helpers.
 *
 * Strict means: no overlong forms (C0 80, E0 80 80 …), no UTF-16
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated or
 * stray continuation bytes. On top of the encoding, Onramp refuses NUL
 * everywhere (every string becomes a C string somewhere) and, through the
 * _line/_text variants, control characters in one-line and paragraph
 * fields. The http layer runs utf8_valid() on every parameter; the domain
 * layer uses the stricter variants per field kind.
 *
 * Pure functions: no allocation, thread-safe.
 */
#ifndef ONRAMP_UTF8_H
#define ONRAMP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one code point from s (len > 0 bytes available). Returns the
 * number of bytes it uses (1..4) and sets *cp, or -1 if s does not start
 * with a well-formed, non-overlong, non-surrogate scalar value <= U+10FFFF. */
int utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* Returns 1 if s[0..len) is well-formed UTF-8 with no NUL byte, else 0.
 * Control characters are allowed (a paragraph has line breaks). */
int utf8_valid(const char *s, size_t len);

/* As utf8_valid(), and also refuses every control character (U+0001..U+001F,
 * U+007F..U+009F, including tab and line breaks) and the Unicode line and
 * paragraph separators (U+2028, U+2029): for one-line fields. */
int utf8_valid_line(const char *s, size_t len);

/* As utf8_valid_line(), but allows tab, line feed and carriage return:
 * for paragraph fields. */
int utf8_valid_text(const char *s, size_t len);

/* Returns the number of code points in s[0..len), which must be valid
 * (as utf8_valid() says); on invalid input the count is of bytes that
 * start a code point and is only an estimate. */
size_t utf8_length(const char *s, size_t len);

/* Returns the largest n <= max such that s[0..n) ends on a code point
 * boundary of s[0..len) (for cutting a valid string without splitting a
 * character). */
size_t utf8_prefix(const char *s, size_t len, size_t max);

#endif
