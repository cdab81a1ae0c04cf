/*
 * fuzz_normalize.c — libFuzzer target over the person input path:
 * utf8_valid(), normalize_email/phone/zip() and person_validate() /
 * person_form_model() on a form built from the input.
 *
 * Beyond "no crash, no sanitizer report" it checks the properties the rest
 * of Onramp relies on, and aborts when one fails:
 *  - utf8_valid agrees with jansson's own UTF-8 check (on NUL-free input);
 *  - a normalized email/phone/ZIP is within its limit, in its canonical
 *    alphabet, and normalizes to itself (idempotent: a dedupe key is
 *    stable);
 *  - person_validate sets exactly one of out/errors; every string in out is
 *    valid UTF-8, and its email/phone/zip are canonical.
 *
 * Input layout for the form: the first byte picks which fields get values;
 * the rest is split at '\n' (0x0A) into values, given in table order to
 * the picked fields. A value starting with '[' becomes an array of the
 * ','-separated parts (for multi fields and wrong-type cases).
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc … (fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "domain/normalize.h"
#include "domain/person.h"
#include "lib/limits.h"
#include "lib/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_INPUT_MAX 8192

static void fuzz_check(int ok)
{
	if (!ok)
		abort();
}

static void fuzz_normalizers(const char *s)
{
	char out[LIMIT_EMAIL + 1], again[LIMIT_EMAIL + 1];
	size_t i, n;

	if (normalize_email(s, out, sizeof out) == 0) {
		n = strlen(out);
		fuzz_check(n > 0 && n <= LIMIT_EMAIL);
		fuzz_check(strchr(out, '@') != NULL && strchr(out, '@') == strrchr(out, '@'));
		for (i = 0; i < n; i++)
			fuzz_check(!(out[i] >= 'A' && out[i] <= 'Z') && (unsigned char)out[i] > ' ');
		fuzz_check(normalize_email(out, again, sizeof again) == 0 && strcmp(out, again) == 0);
	}
	if (normalize_phone(s, out, sizeof out) == 0) {
		n = strlen(out);
		fuzz_check(n >= 9 && n <= 16 && out[0] == '+');
		for (i = 1; i < n; i++)
			fuzz_check(out[i] >= '0' && out[i] <= '9');
		fuzz_check(normalize_phone(out, again, sizeof again) == 0 && strcmp(out, again) == 0);
	}
	if (normalize_zip(s, out, sizeof out) == 0) {
		fuzz_check(strlen(out) == 5);
		for (i = 0; i < 5; i++)
			fuzz_check(out[i] >= '0' && out[i] <= '9');
		fuzz_check(normalize_zip(out, again, sizeof again) == 0 && strcmp(out, again) == 0);
	}
}

/* Checks every string in v (recursively) is valid UTF-8. */
static void fuzz_check_strings(json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_string(v)) {
		fuzz_check(utf8_valid(json_string_value(v), json_string_length(v)));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			fuzz_check_strings(item);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, item)
			fuzz_check_strings(item);
	}
}

static json_t *fuzz_value(const char *s, size_t len)
{
	json_t *a;
	size_t start, i;

	if (len == 0 || s[0] != '[')
		return json_stringn_nocheck(s, len);
	a = json_array();
	for (start = 1, i = 1; a != NULL && i <= len; i++) {
		if (i == len || s[i] == ',') {
			json_array_append_new(a, json_stringn_nocheck(s + start, i - start));
			start = i + 1;
		}
	}
	return a;
}

static void fuzz_person(const uint8_t *data, size_t size)
{
	const struct person_field *f;
	json_t *in, *out = NULL, *errors = NULL, *model;
	const char *s = (const char *)data + 1;
	size_t len = size - 1, pos = 0, k = 0;
	unsigned pick = data[0];
	int rc;

	in = json_object();
	if (in == NULL)
		return;
	for (f = person_fields; f->name != NULL && pos <= len; f++, k++) {
		const char *nl;
		size_t vlen;

		/* Low bit set: every field; else each field by a rotating bit. */
		if (!(pick & 1) && !(pick & (1u << (k % 7 + 1))))
			continue;
		nl = memchr(s + pos, '\n', len - pos);
		vlen = nl ? (size_t)(nl - (s + pos)) : len - pos;
		json_object_set_new(in, f->name, fuzz_value(s + pos, vlen));
		pos += vlen + 1;
	}

	rc = person_validate(in, &out, &errors);
	if (rc == 0) {
		const char *v;
		char canon[LIMIT_EMAIL + 1];

		fuzz_check(out != NULL && errors == NULL);
		fuzz_check_strings(out);
		v = json_string_value(json_object_get(out, "email"));
		fuzz_check(v != NULL && normalize_email(v, canon, sizeof canon) == 0 &&
		           strcmp(v, canon) == 0);
		v = json_string_value(json_object_get(out, "phone"));
		fuzz_check(v == NULL || (normalize_phone(v, canon, sizeof canon) == 0 &&
		                         strcmp(v, canon) == 0));
		v = json_string_value(json_object_get(out, "zip"));
		fuzz_check(v != NULL && strlen(v) == 5);
		fuzz_check(json_is_boolean(json_object_get(out, "consent_email")));
	} else {
		fuzz_check(out == NULL);
		fuzz_check(errors == NULL || json_object_size(errors) > 0);
	}
	model = person_form_model(in, errors);
	json_decref(model);
	json_decref(out);
	json_decref(errors);
	json_decref(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	json_t *j;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (memchr(s, '\0', size) == NULL) {
		/* jansson's checked constructor refuses exactly what is not UTF-8. */
		j = json_stringn(s, size);
		fuzz_check((j != NULL) == (utf8_valid(s, size) != 0));
		json_decref(j);
	}
	fuzz_normalizers(s);
	free(s);

	if (size > 0)
		fuzz_person(data, size);
	return 0;
}
