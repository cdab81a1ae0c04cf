/*
 * utf8.c — strict UTF-8 validation. See utf8.h.
 *
 * The decoder follows the well-formed byte sequences table of the Unicode
 * Standard (ch. 3, table 3-7): the second byte's range depends on the lead
 * byte (E0 needs A0..BF, ED needs 80..9F, F0 needs 90..BF, F4 needs 80..8F),
 * which is exactly what rules out overlongs, surrogates and code points
 * above U+10FFFF without decoding first and checking after.
 *
 * Pure functions: no allocation, no state, thread-safe.
 */
#include "lib/utf8.h"

/* What a validator accepts besides well-formed encoding. */
enum utf8_policy {
	UTF8_ANY,   /* any scalar value except NUL */
	UTF8_TEXT,  /* no controls except tab, LF, CR */
	UTF8_LINE,  /* no controls at all, no line separators */
};

int utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c, lo = 0x80, hi = 0xBF;
	uint32_t v;
	int need, i;

	if (len == 0)
		return -1;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xC2)          /* stray continuation byte, or C0/C1 overlong lead */
		return -1;
	if (c < 0xE0) {
		need = 1;
		v = c & 0x1F;
	} else if (c < 0xF0) {
		need = 2;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;     /* below is an overlong 3-byte form */
		else if (c == 0xED)
			hi = 0x9F;     /* above is a surrogate */
	} else if (c < 0xF5) {
		need = 3;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;     /* below is an overlong 4-byte form */
		else if (c == 0xF4)
			hi = 0x8F;     /* above is past U+10FFFF */
	} else {
		return -1;             /* F5..FF never appear */
	}
	if (len < (size_t)need + 1)
		return -1;
	for (i = 1; i <= need; i++) {
		unsigned char b = s[i];
		if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
			return -1;
		v = (v << 6) | (uint32_t)(b & 0x3F);
	}
	*cp = v;
	return need + 1;
}

/* Returns 1 if code point cp is allowed under policy p. */
static int utf8_allowed(uint32_t cp, enum utf8_policy p)
{
	if (cp == 0)
		return 0;
	if (p == UTF8_ANY)
		return 1;
	if (cp < 0x20) {
		if (p == UTF8_TEXT && (cp == '\t' || cp == '\n' || cp == '\r'))
			return 1;
		return 0;
	}
	if (cp >= 0x7F && cp <= 0x9F)
		return 0;
	if (p == UTF8_LINE && (cp == 0x2028 || cp == 0x2029))
		return 0;
	return 1;
}

static int utf8_check(const char *s, size_t len, enum utf8_policy p)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;
	int n;

	if (s == NULL)
		return len == 0;
	while (i < len) {
		/* ASCII fast path: most of what people type. */
		if (u[i] >= 0x20 && u[i] < 0x7F) {
			i++;
			continue;
		}
		n = utf8_decode(u + i, len - i, &cp);
		if (n < 0 || !utf8_allowed(cp, p))
			return 0;
		i += (size_t)n;
	}
	return 1;
}

int utf8_valid(const char *s, size_t len)
{
	return utf8_check(s, len, UTF8_ANY);
}

int utf8_valid_line(const char *s, size_t len)
{
	return utf8_check(s, len, UTF8_LINE);
}

int utf8_valid_text(const char *s, size_t len)
{
	return utf8_check(s, len, UTF8_TEXT);
}

size_t utf8_length(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

size_t utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t n;

	if (max >= len)
		return len;
	n = max;
	/* Back up while the byte at n continues a code point begun before it. */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}
