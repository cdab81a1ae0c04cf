/*
 * csv.h — reading CSV files (RFC 4180) one record at a time.
 *
 * Fields are separated by commas; a field may be quoted with double quotes,
 * holding commas, doubled quotes and line breaks; records end in LF or
 * CRLF. Every record is bounded (LIMIT_IMPORT_LINE bytes, LIMIT_IMPORT_FIELDS
 * fields): a longer one is an error for that record only, and reading goes
 * on at the next line. A UTF-8 byte order mark at the start is skipped. A
 * NUL byte, a quote inside an unquoted field or text after a closing quote
 * makes the record malformed.
 *
 * Threading: a reader belongs to one thread.
 */
#ifndef ONRAMP_CSV_H
#define ONRAMP_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "lib/limits.h"

struct csv_reader {
	FILE       *f;
	long long   line;       /* line number where the current record started (1-based) */
	long long   next_line;  /* line number of the next record */
	char        rec[LIMIT_IMPORT_LINE + 1];
	size_t      nfields;
	const char *fields[LIMIT_IMPORT_FIELDS];
};

/* Starts reading f (not closed by the reader). */
void csv_init(struct csv_reader *r, FILE *f);

/* Reads the next record into r->fields / r->nfields (pointers into r->rec,
 * valid until the next call). Returns 1 for a record, 0 at the end, -1 for
 * a record that is malformed or too long (*why says how; the record is
 * skipped), -2 on a read error. */
int csv_next(struct csv_reader *r, const char **why);

#endif
