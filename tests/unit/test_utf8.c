/*
 * test_utf8.c — the strict UTF-8 validator (src/lib/utf8.c).
 *
 * Table-driven: each case is a byte string with its expected verdict under
 * the three policies (any, paragraph text, one line). The invalid cases are
 * the classic attacks and mistakes: overlong forms (including the overlong
 * '/' and NUL used to slip past filters), surrogates, code points past
 * U+10FFFF, truncated sequences, stray continuation bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "lib/utf8.h"

struct utf8_case {
	const char *bytes;
	size_t      len;     /* 0: strlen(bytes) */
	int         any;     /* utf8_valid */
	int         text;    /* utf8_valid_text */
	int         line;    /* utf8_valid_line */
	const char *what;
};

static const struct utf8_case cases[] = {
	{ "", 0, 1, 1, 1, "empty" },
	{ "Maria Lopez", 0, 1, 1, 1, "ASCII" },
	{ "Jos\xC3\xA9", 0, 1, 1, 1, "2-byte e-acute" },
	{ "\xE2\x82\xAC 5", 0, 1, 1, 1, "3-byte euro" },
	{ "\xF0\x9F\x97\xB3\xEF\xB8\x8F", 0, 1, 1, 1, "4-byte emoji + variation selector" },
	{ "\xE4\xB8\xAD\xE6\x96\x87", 0, 1, 1, 1, "CJK" },
	{ "\xD0\x9C\xD0\xB0\xD1\x80\xD0\xB8\xD1\x8F", 0, 1, 1, 1, "Cyrillic" },
	{ "\xC2\x80", 0, 1, 0, 0, "U+0080 is a C1 control" },
	{ "\xC2\x9F", 0, 1, 0, 0, "U+009F is a C1 control" },
	{ "\xC2\xA0", 0, 1, 1, 1, "U+00A0 no-break space" },
	{ "\xED\x9F\xBF", 0, 1, 1, 1, "U+D7FF just below surrogates" },
	{ "\xEE\x80\x80", 0, 1, 1, 1, "U+E000 just above surrogates" },
	{ "\xEF\xBF\xBD", 0, 1, 1, 1, "U+FFFD replacement char" },
	{ "\xF0\x90\x80\x80", 0, 1, 1, 1, "U+10000 first 4-byte" },
	{ "\xF4\x8F\xBF\xBF", 0, 1, 1, 1, "U+10FFFF last scalar" },
	{ "\xE2\x80\xA8", 0, 1, 1, 0, "U+2028 line separator" },
	{ "line\nbreak", 0, 1, 1, 0, "LF" },
	{ "cr\r\nlf", 0, 1, 1, 0, "CRLF" },
	{ "tab\there", 0, 1, 1, 0, "tab" },
	{ "bell\x07", 0, 1, 0, 0, "BEL control" },
	{ "esc\x1b[31m", 0, 1, 0, 0, "ESC control" },
	{ "del\x7f", 0, 1, 0, 0, "DEL" },
	{ "nul\0after", 9, 0, 0, 0, "embedded NUL" },
	/* overlongs */
	{ "\xC0\xAF", 0, 0, 0, 0, "overlong '/' (2 bytes)" },
	{ "\xC0\x80", 0, 0, 0, 0, "overlong NUL (2 bytes)" },
	{ "\xC1\xBF", 0, 0, 0, 0, "overlong U+007F" },
	{ "\xE0\x80\xAF", 0, 0, 0, 0, "overlong '/' (3 bytes)" },
	{ "\xE0\x9F\xBF", 0, 0, 0, 0, "overlong U+07FF (3 bytes)" },
	{ "\xF0\x80\x80\xAF", 0, 0, 0, 0, "overlong '/' (4 bytes)" },
	{ "\xF0\x8F\xBF\xBF", 0, 0, 0, 0, "overlong U+FFFF (4 bytes)" },
	{ "\xF8\x88\x80\x80\x80", 0, 0, 0, 0, "5-byte form" },
	{ "\xFC\x84\x80\x80\x80\x80", 0, 0, 0, 0, "6-byte form" },
	/* surrogates */
	{ "\xED\xA0\x80", 0, 0, 0, 0, "U+D800 high surrogate" },
	{ "\xED\xAF\xBF", 0, 0, 0, 0, "U+DBFF" },
	{ "\xED\xB0\x80", 0, 0, 0, 0, "U+DC00 low surrogate" },
	{ "\xED\xBF\xBF", 0, 0, 0, 0, "U+DFFF" },
	{ "\xED\xA0\xBD\xED\xB8\x80", 0, 0, 0, 0, "CESU-8 surrogate pair" },
	/* beyond U+10FFFF */
	{ "\xF4\x90\x80\x80", 0, 0, 0, 0, "U+110000" },
	{ "\xF5\x80\x80\x80", 0, 0, 0, 0, "lead F5" },
	{ "\xF7\xBF\xBF\xBF", 0, 0, 0, 0, "U+1FFFFF" },
	{ "\xFF", 0, 0, 0, 0, "byte FF" },
	{ "\xFE", 0, 0, 0, 0, "byte FE" },
	/* truncated and stray */
	{ "\xC3", 0, 0, 0, 0, "truncated 2-byte" },
	{ "abc\xE2\x82", 0, 0, 0, 0, "truncated 3-byte at end" },
	{ "\xF0\x9F\x97", 0, 0, 0, 0, "truncated 4-byte" },
	{ "\xE2\x82 x", 0, 0, 0, 0, "3-byte cut by ASCII" },
	{ "\x80", 0, 0, 0, 0, "stray continuation" },
	{ "ok\xBFok", 0, 0, 0, 0, "stray continuation inside" },
	{ "\xC3\xA9\xA9", 0, 0, 0, 0, "extra continuation" },
	{ "Jos\xE9", 0, 0, 0, 0, "Latin-1 e-acute" },
};

static void test_utf8_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct utf8_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->bytes);
		int any = utf8_valid(c->bytes, len);
		int text = utf8_valid_text(c->bytes, len);
		int line = utf8_valid_line(c->bytes, len);
		if (any != c->any || text != c->text || line != c->line)
			fail_msg("case %zu (%s): got any=%d text=%d line=%d, want %d %d %d", i, c->what,
			         any, text, line, c->any, c->text, c->line);
	}
}

static void test_utf8_length_is_bounded(void **state)
{
	/* A valid sequence followed by bytes past len must not be read. */
	const char s[] = "\xC3\xA9";

	(void)state;
	assert_false(utf8_valid(s, 1));     /* lead byte alone */
	assert_true(utf8_valid(s, 2));
	assert_true(utf8_valid(NULL, 0));
	assert_false(utf8_valid(NULL, 1));
}

static void test_utf8_decode(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(utf8_decode((const unsigned char *)"A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_decode((const unsigned char *)"\xC3\xA9", 2, &cp), 2);
	assert_int_equal(cp, 0xE9);
	assert_int_equal(utf8_decode((const unsigned char *)"\xE2\x82\xAC", 3, &cp), 3);
	assert_int_equal(cp, 0x20AC);
	assert_int_equal(utf8_decode((const unsigned char *)"\xF4\x8F\xBF\xBF", 4, &cp), 4);
	assert_int_equal(cp, 0x10FFFF);
	assert_int_equal(utf8_decode((const unsigned char *)"\xF4\x8F\xBF", 3, &cp), -1);
	assert_int_equal(utf8_decode((const unsigned char *)"", 0, &cp), -1);
}

static void test_utf8_every_two_byte_lead(void **state)
{
	/* Exhaustive over 2-byte sequences: valid exactly when the lead is
	 * C2..DF and the second byte 80..BF. */
	unsigned a, b;
	char s[2];

	(void)state;
	for (a = 0x80; a <= 0xFF; a++) {
		for (b = 0; b <= 0xFF; b++) {
			int want = a >= 0xC2 && a <= 0xDF && b >= 0x80 && b <= 0xBF;
			s[0] = (char)a;
			s[1] = (char)b;
			if (utf8_valid(s, 2) != want)
				fail_msg("%02x %02x: got %d", a, b, !want);
		}
	}
}

static void test_utf8_length_and_prefix(void **state)
{
	const char *s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x97\xB3z";   /* a é € 🗳 z */
	size_t len = strlen(s);

	(void)state;
	assert_int_equal(utf8_length(s, len), 5);
	assert_int_equal(utf8_prefix(s, len, 100), len);
	assert_int_equal(utf8_prefix(s, len, 1), 1);
	assert_int_equal(utf8_prefix(s, len, 2), 1);   /* would split é */
	assert_int_equal(utf8_prefix(s, len, 3), 3);
	assert_int_equal(utf8_prefix(s, len, 5), 3);   /* would split € */
	assert_int_equal(utf8_prefix(s, len, 9), 6);   /* would split the ballot box */
	assert_int_equal(utf8_prefix(s, len, 10), 10);
	assert_int_equal(utf8_prefix(s, len, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_table),
		cmocka_unit_test(test_utf8_length_is_bounded),
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_utf8_every_two_byte_lead),
		cmocka_unit_test(test_utf8_length_and_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
