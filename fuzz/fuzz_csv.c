/*
 * fuzz_csv.c — libFuzzer target over the CSV reader (src/lib/csv.c) and
 * the iCalendar TEXT writer (src/domain/ical.c), the two places where
 * imported or stored text is taken apart and put together again.
 *
 * CSV: the input is a whole file (fmemopen). Checks: every call returns
 * 1, 0, -1 (with a reason) or -2; line numbers never go backwards; a
 * record has 1..LIMIT_IMPORT_FIELDS fields, each inside the record buffer;
 * the reader always reaches the end (no endless loop: the number of
 * records is at most the number of bytes plus one).
 *
 * iCal: each field read is written as a TEXT property; the output must be
 * CRLF lines of at most 75 octets, each valid UTF-8 when the field was.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc … (fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/ical.h"
#include "lib/buf.h"
#include "lib/csv.h"
#include "lib/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(int ok)
{
	if (!ok)
		abort();
}

static void fuzz_ical(const char *field)
{
	size_t pos = 0, n, len = strlen(field);
	const char *crlf;
	int utf8 = utf8_valid(field, len);
	buf b;

	buf_init(&b, 1 << 20);
	if (ical_text(&b, "DESCRIPTION", field) == 0) {
		const char *out = buf_str(&b);

		while (pos < b.len) {
			crlf = strstr(out + pos, "\r\n");
			fuzz_check(crlf != NULL);
			n = (size_t)(crlf - (out + pos));
			fuzz_check(n <= ICAL_LINE_OCTETS);
			fuzz_check(memchr(out + pos, '\n', n) == NULL);
			fuzz_check(memchr(out + pos, '\r', n) == NULL);
			if (utf8)
				fuzz_check(utf8_valid(out + pos, n));
			pos += n + 2;
		}
	}
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct csv_reader r;
	long long last = 0, records = 0;
	const char *why;
	size_t i;
	FILE *f;
	int rc;

	if (size == 0 || size > 256 * 1024)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	csv_init(&r, f);
	while ((rc = csv_next(&r, &why)) != 0) {
		fuzz_check(rc == 1 || rc == -1);
		fuzz_check(r.line >= last && r.line >= 1);
		last = r.line;
		fuzz_check(++records <= (long long)size + 1);
		if (rc == -1) {
			fuzz_check(why != NULL && *why != '\0');
			continue;
		}
		fuzz_check(why == NULL);
		fuzz_check(r.nfields >= 1 && r.nfields <= LIMIT_IMPORT_FIELDS);
		for (i = 0; i < r.nfields; i++) {
			fuzz_check(r.fields[i] >= r.rec && r.fields[i] <= r.rec + LIMIT_IMPORT_LINE);
			fuzz_check(strlen(r.fields[i]) <= LIMIT_IMPORT_LINE);
			if (i < 4)
				fuzz_ical(r.fields[i]);
		}
	}
	fclose(f);
	return 0;
}
