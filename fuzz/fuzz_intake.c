/*
 * fuzz_intake.c — libFuzzer target over the intake's mapping of a post:
 * intake_mapping_parse() / intake_mapping_text() on the mapping text and
 * intake_map() / person_validate() on the payload.
 *
 * Input layout: everything up to the first '\n' is a form's mapping text
 * (',' separated "payload name = person field"); the rest is the posted
 * body, parsed as JSON (a body that is not JSON is posted as one text field
 * "raw_body", as the endpoint does).
 *
 * Beyond "no crash, no sanitizer report, no leak" it checks, and aborts
 * when one fails:
 *  - a parsed mapping has at most LIMIT_INTAKE_MAPPING entries, each a
 *    string naming a person field or "idempotency_key", and its text form
 *    parses back to the same mapping (for names without ',', '=' or
 *    surrounding spaces);
 *  - intake_map either fails with a reason or gives an input whose keys are
 *    all person fields and a custom object; a given idempotency key is a
 *    non-empty string;
 *  - person_validate on that input sets exactly one of out/errors.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc … (fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "domain/intake.h"
#include "domain/person.h"
#include "lib/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_INPUT_MAX (LIMIT_INTAKE_BODY_MAX + 4096)

static void fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* 1 if a mapping name survives the text form unchanged. */
static int fuzz_simple_name(const char *k)
{
	size_t n = strlen(k);

	return n > 0 && strpbrk(k, ",=\n\r") == NULL && k[0] != ' ' && k[0] != '\t' &&
	       k[n - 1] != ' ' && k[n - 1] != '\t';
}

static void fuzz_mapping(json_t *mapping)
{
	const char *key;
	json_t *v, *again = NULL;
	char err[200], *text;
	int simple = 1;

	fuzz_check(json_object_size(mapping) <= LIMIT_INTAKE_MAPPING);
	json_object_foreach(mapping, key, v) {
		fuzz_check(json_is_string(v));
		fuzz_check(strcmp(json_string_value(v), "idempotency_key") == 0 ||
		           person_field_find(json_string_value(v)) != NULL);
		simple &= fuzz_simple_name(key);
	}
	text = intake_mapping_text(mapping);
	fuzz_check(text != NULL);
	if (simple) {
		fuzz_check(intake_mapping_parse(text, &again, err, sizeof(err)) == 0);
		fuzz_check(json_equal(mapping, again));
		json_decref(again);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *nl, err[200];
	json_t *mapping = NULL, *payload, *input = NULL, *custom = NULL, *out = NULL, *errors = NULL;
	json_error_t jerr;
	const char *key;
	json_t *v;
	char *idem = NULL;
	size_t body_len;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	nl = memchr(buf, '\n', size);
	if (nl)
		*nl = '\0';
	body_len = nl ? size - (size_t)(nl + 1 - buf) : 0;

	if (memchr(buf, '\0', nl ? (size_t)(nl - buf) : size) == (nl ? nl : buf + size) &&
	    intake_mapping_parse(buf, &mapping, err, sizeof(err)) == 0)
		fuzz_mapping(mapping);

	payload = nl ? json_loadb(nl + 1, body_len, 0, &jerr) : NULL;
	if (!json_is_object(payload)) {
		json_decref(payload);
		payload = nl ? json_pack("{s:s%}", "raw_body", nl + 1, body_len) : NULL;
	}
	if (payload && intake_map(mapping, payload, &input, &custom, &idem, err, sizeof(err)) == 0) {
		fuzz_check(json_is_object(input) && json_is_object(custom));
		json_object_foreach(input, key, v)
			fuzz_check(person_field_find(key) != NULL);
		fuzz_check(idem == NULL || idem[0] != '\0');
		if (person_validate(input, &out, &errors) == 0)
			fuzz_check(out != NULL && errors == NULL);
		else
			fuzz_check(out == NULL);
	}
	free(idem);
	json_decref(out);
	json_decref(errors);
	json_decref(input);
	json_decref(custom);
	json_decref(payload);
	json_decref(mapping);
	free(buf);
	return 0;
}
