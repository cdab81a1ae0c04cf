/*
 * fuzz_ocd.c — libFuzzer target over Open Civic Data division ids
 * (src/domain/ocd.c).
 *
 * Beyond "no crash, no sanitizer report" it checks, and aborts when one
 * fails:
 *  - ocd_valid agrees with ocd_parse; a refusal always says why;
 *  - a valid id is valid UTF-8, at most OCD_ID_MAX bytes, starts with the
 *    prefix and country:xx, and its segments put it back together byte
 *    for byte (one spelling per id);
 *  - its parent is valid and one segment shorter, down to the country;
 *  - ocd_state gives a value that fits, nothing, or says it does not fit.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc … (fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/ocd.h"
#include "lib/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(int ok)
{
	if (!ok)
		abort();
}

static void fuzz_valid(const char *s)
{
	char rebuilt[OCD_ID_MAX + 1], cur[OCD_ID_MAX + 1], parent[OCD_ID_MAX + 1], st[8];
	struct ocd_id id;
	const char *why;
	size_t len = strlen(s), pos, k, n;
	int rc;

	fuzz_check(len <= OCD_ID_MAX && utf8_valid(s, len));
	fuzz_check(strncmp(s, OCD_PREFIX "country:", sizeof(OCD_PREFIX) + 7) == 0);
	fuzz_check(ocd_parse(s, &id, &why) == 0 && why == NULL);
	pos = 0;
	memcpy(rebuilt, OCD_PREFIX, sizeof(OCD_PREFIX) - 1);
	pos = sizeof(OCD_PREFIX) - 1;
	for (k = 0; k < id.n; k++) {
		const struct ocd_segment *g = &id.seg[k];

		fuzz_check(g->type_len > 0 && g->value_len > 0);
		if (k) {
			fuzz_check(pos < sizeof(rebuilt));
			rebuilt[pos++] = '/';
		}
		fuzz_check(pos + g->type_len + 1 + g->value_len < sizeof(rebuilt));
		memcpy(rebuilt + pos, s + g->type_off, g->type_len);
		pos += g->type_len;
		rebuilt[pos++] = ':';
		memcpy(rebuilt + pos, s + g->value_off, g->value_len);
		pos += g->value_len;
	}
	fuzz_check(pos == len && memcmp(rebuilt, s, len) == 0);
	rc = ocd_state(&id, st, sizeof(st));
	fuzz_check(rc == -1 || rc == 1 || (rc == 0 && st[0] == '\0'));
	if (rc == 1)
		fuzz_check(strlen(st) >= 1 && strlen(st) < sizeof(st));
	/* the parent chain */
	memcpy(cur, s, len + 1);
	n = id.n;
	while ((rc = ocd_parent(&id, parent, sizeof(parent))) == 1) {
		fuzz_check(strncmp(cur, parent, strlen(parent)) == 0);
		memcpy(cur, parent, strlen(parent) + 1);
		fuzz_check(ocd_parse(cur, &id, &why) == 0);
		fuzz_check(id.n == --n);
	}
	fuzz_check(rc == 0 && n == 1 && parent[0] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocd_id id;
	const char *why;
	char *s;
	int rc;

	if (size > OCD_ID_MAX * 2)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	why = NULL;
	rc = ocd_parse(s, &id, &why);
	fuzz_check(ocd_valid(s) == (rc == 0));
	if (rc == 0)
		fuzz_valid(s);
	else
		fuzz_check(rc == -1 && why != NULL && *why != '\0');
	free(s);
	return 0;
}
