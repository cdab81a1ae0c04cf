/*
 * test_ical.c — the iCalendar writer (src/domain/ical.c) against the rules
 * of RFC 5545 that calendar apps enforce:
 *  - 3.1: content lines end in CRLF; a line longer than 75 octets is folded
 *    by CRLF and one space; folding must not split a UTF-8 character;
 *  - 3.3.11: TEXT escapes backslash, semicolon and comma, and a newline is
 *    written \n;
 *  - 3.6.1: every VEVENT has UID and DTSTAMP; an all-day event is
 *    DTSTART;VALUE=DATE with DTEND the next day.
 * Each output is checked physically (line lengths, CRLF, UTF-8 of each
 * physical line) and then unfolded and compared with what was meant.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/ical.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/utf8.h"

/* Checks the physical form of out: every line ends in CRLF, has at most 75
 * octets, is valid UTF-8 on its own, has no bare CR or LF, and a
 * continuation starts with one space. Returns the number of lines. */
static size_t check_physical(const char *out, size_t len)
{
	size_t pos = 0, lines = 0, n;
	const char *crlf;

	while (pos < len) {
		crlf = strstr(out + pos, "\r\n");
		assert_non_null(crlf);
		n = (size_t)(crlf - (out + pos));
		if (n > ICAL_LINE_OCTETS)
			fprintf(stderr, "# line of %zu octets: %.*s\n", n, (int)n, out + pos);
		assert_true(n <= ICAL_LINE_OCTETS);
		assert_null(memchr(out + pos, '\r', n));
		assert_null(memchr(out + pos, '\n', n));
		/* a physical line that is a continuation holds the rest of a
		 * character only if the fold split it: it must not */
		assert_true(utf8_valid(out + pos, n));
		pos += n + 2;
		lines++;
	}
	assert_int_equal(pos, len);
	return lines;
}

/* Unfolds out (CRLF + space joins) into a malloc'd string with "\n" between
 * logical lines. */
static char *unfold(const char *out, size_t len)
{
	char *u = malloc(len + 1);
	size_t i, k = 0;

	assert_non_null(u);
	for (i = 0; i < len; i++) {
		if (out[i] == '\r' && i + 1 < len && out[i + 1] == '\n') {
			if (i + 2 < len && out[i + 2] == ' ') {
				i += 2;  /* the fold and its space vanish */
				continue;
			}
			u[k++] = '\n';
			i++;
			continue;
		}
		u[k++] = out[i];
	}
	u[k] = '\0';
	return u;
}

static void test_ical_short_line(void **state)
{
	buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(ical_line(&b, "VERSION", "2.0"), 0);
	assert_string_equal(buf_str(&b), "VERSION:2.0\r\n");
	buf_free(&b);
}

static void test_ical_fold_ascii(void **state)
{
	char value[300];
	char *u;
	buf b;

	(void)state;
	memset(value, 'x', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	buf_init(&b, 1 << 16);
	ical_line(&b, "SUMMARY", value);
	assert_false(buf_failed(&b));
	/* 8 + 299 = 307 octets: 75, then 74 per continuation */
	assert_int_equal(check_physical(buf_str(&b), b.len), 5);
	assert_int_equal(memcmp(buf_str(&b) + 75, "\r\n x", 4), 0);
	u = unfold(buf_str(&b), b.len);
	assert_int_equal(strncmp(u, "SUMMARY:", 8), 0);
	assert_int_equal(strncmp(u + 8, value, 299), 0);
	assert_string_equal(u + 8 + 299, "\n");
	free(u);
	/* exactly 75 octets: no fold; 76: one */
	buf_reset(&b);
	value[75 - 8] = '\0';
	ical_line(&b, "SUMMARY", value);
	assert_int_equal(check_physical(buf_str(&b), b.len), 1);
	buf_reset(&b);
	value[75 - 8] = 'x';
	value[76 - 8] = '\0';
	ical_line(&b, "SUMMARY", value);
	assert_int_equal(check_physical(buf_str(&b), b.len), 2);
	buf_free(&b);
}

/* Multi-byte characters placed at every offset around the fold. */
static void test_ical_fold_utf8(void **state)
{
	static const char *const chars[] = {
		"\xC3\xB1",             /* ñ, 2 octets */
		"\xE2\x82\xAC",         /* €, 3 octets */
		"\xF0\x9F\x97\xB3",     /* 🗳, 4 octets */
	};
	char value[400], *u, want[420];
	size_t c, lead, pos;
	buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	for (c = 0; c < 3; c++) {
		for (lead = 0; lead < 8; lead++) {
			/* "SUMMARY:" + lead ASCII + characters, so one straddles 75 */
			pos = 0;
			memset(value, 'a', 60 + lead);
			pos = 60 + lead;
			while (pos + 4 < 300) {
				memcpy(value + pos, chars[c], strlen(chars[c]));
				pos += strlen(chars[c]);
			}
			value[pos] = '\0';
			buf_reset(&b);
			ical_text(&b, "SUMMARY", value);
			assert_false(buf_failed(&b));
			check_physical(buf_str(&b), b.len);
			u = unfold(buf_str(&b), b.len);
			snprintf(want, sizeof(want), "SUMMARY:%s\n", value);
			assert_string_equal(u, want);
			free(u);
		}
	}
	buf_free(&b);
}

static void test_ical_escape(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "plain" },
		{ "a,b", "a\\,b" },
		{ "a;b", "a\\;b" },
		{ "back\\slash", "back\\\\slash" },
		{ "line\nbreak", "line\\nbreak" },
		{ "crlf\r\nbreak", "crlf\\nbreak" },
		{ "\\n is not a newline", "\\\\n is not a newline" },
		{ "tab\tkept", "tab\tkept" },
		{ "bell\x07gone", "bell gone" },
		{ "Filing closes: Richmond, VA; School Board \\ District 3",
		  "Filing closes: Richmond\\, VA\\; School Board \\\\ District 3" },
		{ "", "" },
	};
	char want[200], *u;
	size_t i;
	buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		assert_int_equal(ical_text(&b, "DESCRIPTION", cases[i].in), 0);
		check_physical(buf_str(&b), b.len);
		u = unfold(buf_str(&b), b.len);
		snprintf(want, sizeof(want), "DESCRIPTION:%s\n", cases[i].want);
		assert_string_equal(u, want);
		free(u);
	}
	buf_reset(&b);
	assert_int_equal(ical_text(&b, "DESCRIPTION", NULL), 0);
	assert_string_equal(buf_str(&b), "DESCRIPTION:\r\n");
	buf_free(&b);
}

static void test_ical_calendar(void **state)
{
	struct ical_event e = {
		.uid = "filing-closes-va-2027@example.org",
		.day = 1803686400LL + 3600,  /* 2027-02-27 01:00 UTC */
		.summary = "Filing closes: Virginia, general election",
		.description = "Last day to file.\nWhere: the general registrar; bring ID",
		.location = "Richmond, VA",
		.url = "https://example.org/races?zip=23219",
	};
	char *u;
	buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	ical_begin(&b, "-//Onramp//Race finder//EN", "Deadlines (VA)");
	ical_event(&b, &e, 1800000000LL);
	assert_int_equal(ical_end(&b), 0);
	check_physical(buf_str(&b), b.len);
	u = unfold(buf_str(&b), b.len);
	assert_string_equal(u,
		"BEGIN:VCALENDAR\n"
		"VERSION:2.0\n"
		"PRODID:-//Onramp//Race finder//EN\n"
		"CALSCALE:GREGORIAN\n"
		"METHOD:PUBLISH\n"
		"X-WR-CALNAME:Deadlines (VA)\n"
		"BEGIN:VEVENT\n"
		"UID:filing-closes-va-2027@example.org\n"
		"DTSTAMP:20270115T080000Z\n"
		"DTSTART;VALUE=DATE:20270227\n"
		"DTEND;VALUE=DATE:20270228\n"
		"SUMMARY:Filing closes: Virginia\\, general election\n"
		"DESCRIPTION:Last day to file.\\nWhere: the general registrar\\; bring ID\n"
		"LOCATION:Richmond\\, VA\n"
		"URL:https://example.org/races?zip=23219\n"
		"TRANSP:TRANSPARENT\n"
		"END:VEVENT\n"
		"END:VCALENDAR\n");
	free(u);
	/* no description, location or URL: those lines are left out */
	buf_reset(&b);
	e.description = NULL;
	e.location = "";
	e.url = NULL;
	e.day = 1830211200LL;  /* 2027-12-31: DTEND crosses the year */
	ical_event(&b, &e, 1800000000LL);
	u = unfold(buf_str(&b), b.len);
	assert_null(strstr(u, "DESCRIPTION"));
	assert_null(strstr(u, "LOCATION"));
	assert_null(strstr(u, "URL"));
	assert_non_null(strstr(u, "DTSTART;VALUE=DATE:20271231\nDTEND;VALUE=DATE:20280101\n"));
	free(u);
	buf_free(&b);
}

/* A value over the line limit fails through the sticky flag, never writes
 * half a line. */
static void test_ical_too_long(void **state)
{
	char *big = malloc(LIMIT_ICAL_LINE + 10);
	buf b;

	(void)state;
	assert_non_null(big);
	memset(big, 'z', LIMIT_ICAL_LINE + 9);
	big[LIMIT_ICAL_LINE + 9] = '\0';
	buf_init(&b, 1 << 16);
	assert_int_equal(ical_text(&b, "SUMMARY", big), -1);
	assert_true(buf_failed(&b));
	assert_int_equal(b.len, 0);
	buf_free(&b);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ical_short_line),
		cmocka_unit_test(test_ical_fold_ascii),
		cmocka_unit_test(test_ical_fold_utf8),
		cmocka_unit_test(test_ical_escape),
		cmocka_unit_test(test_ical_calendar),
		cmocka_unit_test(test_ical_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
