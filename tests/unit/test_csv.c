/*
 * test_csv.c — the CSV reader (src/lib/csv.c) against RFC 4180 and the
 * files people actually export: quoted fields with commas, doubled quotes
 * and line breaks; CRLF and LF; a UTF-8 byte order mark (Excel's "CSV
 * UTF-8"); and bad rows, each refused with a reason and its line number
 * while the rows after it are still read.
 *
 * Each case is a whole file (fmemopen) and the records expected from it,
 * written as "field|field|…" with the record's first line number, or "!"
 * and the line for a refused record.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/csv.h"

struct want {
	long long   line;
	const char *fields;  /* "a|b|c", or "!" for a refused record */
};

struct csv_case {
	const char *name;
	const char *text;
	size_t      len;     /* 0: strlen(text) */
	struct want want[8]; /* ends with line 0 */
};

static const struct csv_case cases[] = {
	{ "plain LF", "code,name\nsb1,School Board\n", 0,
	  { { 1, "code|name" }, { 2, "sb1|School Board" }, { 0, NULL } } },
	{ "CRLF, no newline at the end", "a,b\r\nc,d", 0,
	  { { 1, "a|b" }, { 2, "c|d" }, { 0, NULL } } },
	{ "empty fields", ",,\nx,,y\n", 0,
	  { { 1, "||" }, { 2, "x||y" }, { 0, NULL } } },
	{ "quoted commas and quotes", "\"Richmond, VA\",\"say \"\"hi\"\"\",\"\"\n", 0,
	  { { 1, "Richmond, VA|say \"hi\"|" }, { 0, NULL } } },
	{ "a line break inside quotes", "id,notes\n1,\"first\nsecond\"\n2,after\n", 0,
	  { { 1, "id|notes" }, { 2, "1|first\nsecond" }, { 4, "2|after" }, { 0, NULL } } },
	{ "CRLF inside quotes is kept", "1,\"a\r\nb\"\r\n2,c\r\n", 0,
	  { { 1, "1|a\r\nb" }, { 3, "2|c" }, { 0, NULL } } },
	{ "UTF-8 byte order mark", "\xEF\xBB\xBFzip,lat\n23219,37.54\n", 0,
	  { { 1, "zip|lat" }, { 2, "23219|37.54" }, { 0, NULL } } },
	{ "UTF-8 text passes through", "Espa\xC3\xB1ola,Do\xC3\xB1" "a Ana\n", 0,
	  { { 1, "Espa\xC3\xB1ola|Do\xC3\xB1" "a Ana" }, { 0, NULL } } },
	{ "a blank line is one empty field", "a\n\nb\n", 0,
	  { { 1, "a" }, { 2, "" }, { 3, "b" }, { 0, NULL } } },
	{ "empty file", "", 0, { { 0, NULL } } },
	/* bad rows: refused, and reading goes on at the next line */
	{ "quote inside an unquoted field", "a,b\"c,d\nok,1\n", 0,
	  { { 1, "!" }, { 2, "ok|1" }, { 0, NULL } } },
	{ "text after a closing quote", "\"ab\"x,1\nok,2\n", 0,
	  { { 1, "!" }, { 2, "ok|2" }, { 0, NULL } } },
	{ "bare carriage return", "a\rb,c\nok,3\n", 0,
	  { { 1, "!" }, { 2, "ok|3" }, { 0, NULL } } },
	{ "unclosed quote at the end", "ok,4\n\"never closed,5\n", 0,
	  { { 1, "ok|4" }, { 2, "!" }, { 0, NULL } } },
	{ "broken byte order mark", "\xEF\xBBzip\nok,6\n", 0,
	  { { 1, "!" }, { 2, "ok|6" }, { 0, NULL } } },
	{ "a NUL byte would cut a field short", "a\0b,c\nok,7\n", 11,
	  { { 1, "!" }, { 2, "ok|7" }, { 0, NULL } } },
};

/* Joins the record's fields with '|' into out. */
static void joined(const struct csv_reader *r, char *out, size_t outlen)
{
	size_t i, pos = 0;

	out[0] = '\0';
	for (i = 0; i < r->nfields && pos < outlen; i++)
		pos += (size_t)snprintf(out + pos, outlen - pos, "%s%s", i ? "|" : "", r->fields[i]);
}

static void run_case(const struct csv_case *c)
{
	struct csv_reader *r = malloc(sizeof(*r));
	size_t len = c->len ? c->len : strlen(c->text), k = 0;
	char got[256];
	const char *why;
	FILE *f;
	int rc;

	assert_non_null(r);
	/* fmemopen of a zero-length buffer is refused by some libcs: use /dev/null */
	f = len ? fmemopen((void *)c->text, len, "r") : fopen("/dev/null", "r");
	assert_non_null(f);
	csv_init(r, f);
	while ((rc = csv_next(r, &why)) != 0) {
		if (c->want[k].line == 0 || rc == -2) {
			fprintf(stderr, "# %s: unexpected record %zu (rc %d)\n", c->name, k, rc);
			fail();
		}
		if (r->line != c->want[k].line)
			fprintf(stderr, "# %s: record %zu on line %lld, expected %lld\n", c->name, k,
			        r->line, c->want[k].line);
		assert_int_equal(r->line, c->want[k].line);
		if (strcmp(c->want[k].fields, "!") == 0) {
			if (rc != -1)
				fprintf(stderr, "# %s: record %zu was accepted\n", c->name, k);
			assert_int_equal(rc, -1);
			assert_non_null(why);
		} else {
			assert_int_equal(rc, 1);
			assert_null(why);
			joined(r, got, sizeof(got));
			if (strcmp(got, c->want[k].fields) != 0)
				fprintf(stderr, "# %s: record %zu is \"%s\"\n", c->name, k, got);
			assert_string_equal(got, c->want[k].fields);
		}
		k++;
	}
	assert_int_equal(c->want[k].line, 0);
	fclose(f);
	free(r);
}

static void test_csv_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* Build a file in memory: fields and lines at and over the limits. */
static void test_csv_limits(void **state)
{
	size_t cap = LIMIT_IMPORT_LINE * 3, pos = 0, i;
	char *text = malloc(cap);
	struct csv_reader *r = malloc(sizeof(*r));
	const char *why;
	FILE *f;

	(void)state;
	assert_non_null(text);
	assert_non_null(r);
	/* line 1: LIMIT_IMPORT_FIELDS fields (the most) */
	for (i = 0; i < LIMIT_IMPORT_FIELDS; i++)
		pos += (size_t)snprintf(text + pos, cap - pos, "%s%zu", i ? "," : "", i);
	text[pos++] = '\n';
	/* line 2: one field too many */
	for (i = 0; i <= LIMIT_IMPORT_FIELDS; i++)
		pos += (size_t)snprintf(text + pos, cap - pos, "%s%zu", i ? "," : "", i);
	text[pos++] = '\n';
	/* line 3: a row over LIMIT_IMPORT_LINE bytes */
	memset(text + pos, 'y', LIMIT_IMPORT_LINE + 10);
	pos += LIMIT_IMPORT_LINE + 10;
	text[pos++] = '\n';
	/* line 4: fine again */
	pos += (size_t)snprintf(text + pos, cap - pos, "last,row\n");

	f = fmemopen(text, pos, "r");
	assert_non_null(f);
	csv_init(r, f);
	assert_int_equal(csv_next(r, &why), 1);
	assert_int_equal(r->nfields, LIMIT_IMPORT_FIELDS);
	assert_string_equal(r->fields[LIMIT_IMPORT_FIELDS - 1], "31");
	assert_int_equal(csv_next(r, &why), -1);
	assert_int_equal(r->line, 2);
	assert_non_null(strstr(why, "fields"));
	assert_int_equal(csv_next(r, &why), -1);
	assert_int_equal(r->line, 3);
	assert_non_null(strstr(why, "long"));
	assert_int_equal(csv_next(r, &why), 1);
	assert_int_equal(r->line, 4);
	assert_string_equal(r->fields[0], "last");
	assert_string_equal(r->fields[1], "row");
	assert_int_equal(csv_next(r, &why), 0);
	fclose(f);
	free(r);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_cases),
		cmocka_unit_test(test_csv_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
