/*
 * mustache_spec.c — runs the official Mustache specification against
 * lib/mustache.c.
 *
 * Usage: mustache_spec DIR. Loads every *.json file of DIR (in name order),
 * and for each test compiles its template and its "partials" (looked up by
 * name through the engine's partial callback), renders "data" and compares
 * with "expected". Prints TAP ("ok N - file: name", or "not ok N - …" with
 * "# expected:" and "# got:" lines, strings escaped onto one line).
 * Exit status: 0 all passed, 1 a test failed, 2 DIR missing or without tests.
 *
 * Single-threaded; everything is freed before the next test.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/mustache.h"

/* The partials of one test, compiled. */
struct partials {
	const char            **names;
	struct mustache_tmpl  **tmpls;
	size_t                  count;
};

static const struct mustache_tmpl *spec_partial(void *ud, const char *name)
{
	const struct partials *p = ud;
	size_t i;

	for (i = 0; i < p->count; i++)
		if (strcmp(p->names[i], name) == 0)
			return p->tmpls[i];
	return NULL;
}

static void spec_partials_free(struct partials *p)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		mustache_free(p->tmpls[i]);
	free(p->names);
	free(p->tmpls);
	memset(p, 0, sizeof *p);
}

/* Compiles the "partials" object; 0, or -1 with a reason in err. */
static int spec_partials_load(struct partials *p, json_t *obj, char *err, size_t errlen)
{
	const char *key;
	json_t *val;
	size_t n = json_object_size(obj);

	memset(p, 0, sizeof *p);
	if (n == 0)
		return 0;
	p->names = calloc(n, sizeof *p->names);
	p->tmpls = calloc(n, sizeof *p->tmpls);
	if (!p->names || !p->tmpls) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_object_foreach(obj, key, val) {
		if (!json_is_string(val)) {
			snprintf(err, errlen, "partial '%s' is not a string", key);
			return -1;
		}
		p->names[p->count] = key;
		p->tmpls[p->count] = mustache_compile(json_string_value(val),
		                                      json_string_length(val), err, errlen);
		if (!p->tmpls[p->count])
			return -1;
		p->count++;
	}
	return 0;
}

/* Prints s on one line, with control characters escaped. */
static void spec_print_escaped(const char *label, const char *s, size_t n)
{
	size_t i;
	unsigned char ch;

	printf("# %s: \"", label);
	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch == '\r')
			fputs("\\r", stdout);
		else if (ch == '\t')
			fputs("\\t", stdout);
		else if (ch == '\\' || ch == '"')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	fputs("\"\n", stdout);
}

/* Runs one test; returns 1 if it passed. Prints its TAP line. */
static int spec_run_one(const char *file, json_t *test, int num)
{
	json_t *tmpl_j = json_object_get(test, "template");
	json_t *exp_j = json_object_get(test, "expected");
	json_t *name_j = json_object_get(test, "name");
	const char *name = json_is_string(name_j) ? json_string_value(name_j) : "(unnamed)";
	struct partials parts;
	struct mustache_tmpl *t = NULL;
	char err[256] = "";
	buf out;
	int ok = 0;

	buf_init(&out, LIMIT_PAGE_MAX);
	if (!json_is_string(tmpl_j) || !json_is_string(exp_j)) {
		snprintf(err, sizeof err, "test has no template or expected text");
		memset(&parts, 0, sizeof parts);
		goto done;
	}
	if (spec_partials_load(&parts, json_object_get(test, "partials"), err, sizeof err) < 0)
		goto done;
	t = mustache_compile(json_string_value(tmpl_j), json_string_length(tmpl_j),
	                     err, sizeof err);
	if (!t)
		goto done;
	if (mustache_render(t, json_object_get(test, "data"), spec_partial, &parts, &out) < 0) {
		snprintf(err, sizeof err, "render failed");
		goto done;
	}
	ok = out.len == json_string_length(exp_j) &&
	     memcmp(buf_str(&out), json_string_value(exp_j), out.len) == 0;
done:
	printf("%s %d - %s: %s\n", ok ? "ok" : "not ok", num, file, name);
	if (!ok) {
		if (err[0])
			printf("# error: %s\n", err);
		if (json_is_string(exp_j))
			spec_print_escaped("expected", json_string_value(exp_j),
			                   json_string_length(exp_j));
		spec_print_escaped("got", buf_str(&out), out.len);
	}
	mustache_free(t);
	spec_partials_free(&parts);
	buf_free(&out);
	return ok;
}

static int spec_is_json(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && d->d_name[0] != '.' && strcmp(d->d_name + n - 5, ".json") == 0;
}

int main(int argc, char **argv)
{
	struct dirent **list = NULL;
	json_error_t jerr;
	json_t *root, *tests;
	char path[4096];
	int nfiles, i, num = 0, failed = 0, n;
	size_t j;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SPEC_DIR\n", argv[0]);
		return 2;
	}
	nfiles = scandir(argv[1], &list, spec_is_json, alphasort);
	if (nfiles <= 0) {
		fprintf(stderr, "mustache_spec: no *.json files in %s\n", argv[1]);
		free(list);
		return 2;
	}
	for (i = 0; i < nfiles; i++) {
		n = snprintf(path, sizeof path, "%s/%s", argv[1], list[i]->d_name);
		if (n < 0 || (size_t)n >= sizeof path) {
			printf("not ok %d - %s: path too long\n", ++num, list[i]->d_name);
			failed++;
			continue;
		}
		root = json_load_file(path, 0, &jerr);
		tests = json_object_get(root, "tests");
		if (!root || !json_is_array(tests)) {
			printf("not ok %d - %s: cannot load (%s)\n", ++num, list[i]->d_name,
			       root ? "no tests array" : jerr.text);
			failed++;
			json_decref(root);
			continue;
		}
		for (j = 0; j < json_array_size(tests); j++)
			if (!spec_run_one(list[i]->d_name, json_array_get(tests, j), ++num))
				failed++;
		json_decref(root);
	}
	for (i = 0; i < nfiles; i++)
		free(list[i]);
	free(list);
	printf("1..%d\n", num);
	if (num == 0)
		return 2;
	fprintf(stderr, "mustache_spec: %d of %d passed\n", num - failed, num);
	return failed ? 1 : 0;
}
