/*
 * csv.c — the CSV reader (see csv.h). A small state machine over getc():
 * outside quotes, inside quotes, just after a quote inside quotes.
 */
#include "lib/csv.h"

#include <string.h>

void csv_init(struct csv_reader *r, FILE *f)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->next_line = 1;
}

/* Skips to the end of the current line after an error. */
static void csv_skip_line(struct csv_reader *r)
{
	int ch;

	while ((ch = getc(r->f)) != EOF && ch != '\n')
		;
	r->next_line++;
}

int csv_next(struct csv_reader *r, const char **why)
{
	size_t len = 0;
	int ch, quoted = 0, after_quote = 0, any = 0, field_quoted = 0;

	*why = NULL;
	r->nfields = 0;
	r->line = r->next_line;
	if (r->line == 1) {
		/* a byte order mark */
		ch = getc(r->f);
		if (ch == 0xEF) {
			if (getc(r->f) != 0xBB || getc(r->f) != 0xBF) {
				*why = "the file starts with a broken byte order mark";
				csv_skip_line(r);
				return -1;
			}
		} else if (ch != EOF) {
			ungetc(ch, r->f);
		}
	}
	r->fields[r->nfields++] = r->rec;
	for (;;) {
		ch = getc(r->f);
		if (ch == EOF) {
			if (ferror(r->f))
				return -2;
			if (quoted && !after_quote) {
				*why = "a quoted field is not closed";
				return -1;
			}
			if (!any)
				return 0;
			r->next_line++;
			break;
		}
		any = 1;
		if (quoted && !after_quote) {
			if (ch == '"') {
				after_quote = 1;
				continue;
			}
			if (ch == '\n')
				r->next_line++;
		} else {
			if (after_quote) {
				after_quote = 0;
				if (ch == '"')         /* a doubled quote */
					goto store;
				quoted = 0;
				/* a closing quote ends the field: only a comma or the
				 * end of the record may follow ("ab"x is malformed) */
				if (ch != ',' && ch != '\n' && ch != '\r') {
					*why = "text after the closing quote of a field";
					csv_skip_line(r);
					return -1;
				}
			}
			if (ch == '\n') {
				r->next_line++;
				break;
			}
			if (ch == '\r') {
				int nx = getc(r->f);

				if (nx == '\n') {
					r->next_line++;
					break;
				}
				if (nx != EOF)
					ungetc(nx, r->f);
				*why = "a bare carriage return";
				csv_skip_line(r);
				return -1;
			}
			if (ch == ',') {
				if (len >= LIMIT_IMPORT_LINE || r->nfields >= LIMIT_IMPORT_FIELDS) {
					*why = "the row has too many fields";
					csv_skip_line(r);
					return -1;
				}
				r->rec[len++] = '\0';
				r->fields[r->nfields++] = r->rec + len;
				field_quoted = 0;
				continue;
			}
			if (ch == '"') {
				if (r->fields[r->nfields - 1] != r->rec + len || field_quoted) {
					*why = "a quote in the middle of an unquoted field";
					csv_skip_line(r);
					return -1;
				}
				quoted = 1;
				field_quoted = 1;
				continue;
			}
		}
store:
		if (ch == '\0') {
			/* it would cut the field short without a word: refuse it */
			*why = "the row holds a NUL byte";
			csv_skip_line(r);
			return -1;
		}
		if (len >= LIMIT_IMPORT_LINE) {
			*why = "the row is too long";
			if (ch != '\n')
				csv_skip_line(r);
			return -1;
		}
		r->rec[len++] = (char)ch;
	}
	r->rec[len] = '\0';
	return 1;
}
