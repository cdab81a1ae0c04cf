/*
 * normalize.c — canonical emails, phones and ZIP codes. See normalize.h.
 *
 * These forms are the keys of dedupe (person_emails.email and
 * person_phones.phone are primary keys), so two spellings of one address
 * must give the same bytes, and anything we cannot be sure of is refused
 * rather than guessed: a wrong canonical form would merge two people.
 *
 * Invariants: out is written only on success, always NUL-terminated, and
 * never longer than the limits in limits.h. Inputs longer than those limits
 * are refused before any work.
 *
 * Pure functions: no allocation, no state, thread-safe.
 */
#include "domain/normalize.h"

#include <string.h>

#include "lib/limits.h"
#include "lib/utf8.h"

#define EMAIL_LOCAL_MAX   64   /* RFC 5321 4.5.3.1.1 */
#define EMAIL_LABEL_MAX   63   /* RFC 1035 */
#define PHONE_DIGITS_MIN  8    /* shortest international number we accept */
#define PHONE_DIGITS_MAX  15   /* E.164 */
#define PHONE_OUT_MIN     17   /* '+', 15 digits, NUL */

static int normalize_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int normalize_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int normalize_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Sets *start and *len to s without leading and trailing ASCII whitespace.
 * Refuses (returns -1) input longer than max before trimming plus slack,
 * so a megabyte of spaces costs nothing. */
static int normalize_trim(const char *s, size_t max, const char **start, size_t *len)
{
	size_t n = strnlen(s, max + 64 + 1);

	if (n > max + 64)
		return -1;
	while (n > 0 && normalize_is_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && normalize_is_space((unsigned char)s[n - 1]))
		n--;
	*start = s;
	*len = n;
	return 0;
}

/* RFC 5322 "atext" in ASCII, the characters of a dot-atom local part. */
static int normalize_is_atext(unsigned char c)
{
	if (normalize_is_alpha(c) || normalize_is_digit(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Checks a lower-cased local part: dot-atom (no leading, trailing or
 * doubled dots), ASCII atext or UTF-8 letters (RFC 6531), no controls. */
static int normalize_email_local_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > EMAIL_LOCAL_MAX)
		return 0;
	if (s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (c < 0x80 && !normalize_is_atext(c)) {
			return 0;
		}
	}
	/* Non-ASCII bytes must form valid UTF-8 without controls. */
	return utf8_valid_line(s, len);
}

/* Checks a lower-cased domain: two or more labels of [a-z0-9-], each 1..63
 * long, not starting or ending with '-'; the top-level label is not all
 * digits (that would be an IP address, which needs brackets). */
static int normalize_email_domain_ok(const char *s, size_t len)
{
	size_t i, label_start = 0, labels = 0, tld_len;
	int tld_has_alpha = 0;

	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : '.';
		if (c == '.') {
			size_t ll = i - label_start;
			if (ll == 0 || ll > EMAIL_LABEL_MAX)
				return 0;
			if (s[label_start] == '-' || s[i - 1] == '-')
				return 0;
			labels++;
			if (i < len) {
				label_start = i + 1;
				tld_has_alpha = 0;
			}
		} else if (c >= 'a' && c <= 'z') {
			tld_has_alpha = 1;
		} else if (!normalize_is_digit(c) && c != '-') {
			return 0;
		}
	}
	tld_len = len - label_start;
	return labels >= 2 && tld_has_alpha && tld_len >= 2;
}

int normalize_email(const char *in, char *out, size_t outlen)
{
	char tmp[LIMIT_EMAIL + 1];
	const char *s, *at;
	size_t len, i, local_len;

	if (in == NULL || out == NULL)
		return -1;
	if (normalize_trim(in, LIMIT_EMAIL, &s, &len) < 0)
		return -1;
	if (len == 0 || len > LIMIT_EMAIL || len + 1 > outlen)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == 0x7F)
			return -1;  /* spaces and controls inside */
		tmp[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : (char)c;
	}
	tmp[len] = '\0';

	at = memchr(tmp, '@', len);
	if (at == NULL || memchr(at + 1, '@', len - (size_t)(at - tmp) - 1) != NULL)
		return -1;
	local_len = (size_t)(at - tmp);
	if (!normalize_email_local_ok(tmp, local_len))
		return -1;
	if (!normalize_email_domain_ok(at + 1, len - local_len - 1))
		return -1;
	memcpy(out, tmp, len + 1);
	return 0;
}

/* A North American (NANP) number's 10 digits: area code NXX and exchange
 * NXX where N is 2..9. Area codes N11 are service codes (411, 911) and the
 * exchanges N11 are reserved likewise, so neither can be a real number. */
static int normalize_nanp_ok(const char *d)
{
	if (d[0] < '2' || d[3] < '2')
		return 0;
	if (d[1] == '1' && d[2] == '1')
		return 0;
	if (d[4] == '1' && d[5] == '1')
		return 0;
	return 1;
}

/*
 * Accepted: digits separated by spaces, dots, dashes and parentheses, with
 * an optional leading '+'. Extensions ("x123", "ext. 4") are refused, not
 * dropped: a phone is a dedupe key, and cutting an extension would make two
 * people at one switchboard the same person. Letters (1-800-FLOWERS) are
 * refused too, as are other separators, since we cannot be sure of them.
 */
int normalize_phone(const char *in, char *out, size_t outlen)
{
	char digits[PHONE_DIGITS_MAX + 1];
	const char *s;
	size_t len, i, n = 0;
	int plus = 0;

	if (in == NULL || out == NULL || outlen < PHONE_OUT_MIN)
		return -1;
	if (normalize_trim(in, LIMIT_PHONE_INPUT, &s, &len) < 0)
		return -1;
	if (len == 0 || len > LIMIT_PHONE_INPUT)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (normalize_is_digit(c)) {
			if (n == PHONE_DIGITS_MAX)
				return -1;
			digits[n++] = (char)c;
		} else if (c == '+') {
			if (i != 0)
				return -1;  /* '+' only leads */
			plus = 1;
		} else if (c != ' ' && c != '.' && c != '-' && c != '(' && c != ')') {
			return -1;
		}
	}
	digits[n] = '\0';

	if (plus) {
		if (n < PHONE_DIGITS_MIN || digits[0] == '0')
			return -1;
		/* +1 is the NANP: the same rules as a US number apply. */
		if (digits[0] == '1' && (n != 11 || !normalize_nanp_ok(digits + 1)))
			return -1;
		out[0] = '+';
		memcpy(out + 1, digits, n + 1);
		return 0;
	}
	if (n == 11 && digits[0] == '1') {
		memmove(digits, digits + 1, 11);
		n = 10;
	}
	if (n != 10 || !normalize_nanp_ok(digits))
		return -1;
	out[0] = '+';
	out[1] = '1';
	memcpy(out + 2, digits, 11);
	return 0;
}

/* Accepts "12345", "12345-6789" and "123456789" (ZIP+4 without its dash);
 * keeps the first five digits. "00000" is no ZIP code. */
int normalize_zip(const char *in, char *out, size_t outlen)
{
	const char *s;
	size_t len, i;

	if (in == NULL || out == NULL || outlen < 6)
		return -1;
	if (normalize_trim(in, LIMIT_ZIP, &s, &len) < 0)
		return -1;
	if (len != 5 && len != 9 && len != 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (len == 10 && i == 5) {
			if (s[i] != '-')
				return -1;
		} else if (!normalize_is_digit((unsigned char)s[i])) {
			return -1;
		}
	}
	if (memcmp(s, "00000", 5) == 0)
		return -1;
	memcpy(out, s, 5);
	out[5] = '\0';
	return 0;
}
