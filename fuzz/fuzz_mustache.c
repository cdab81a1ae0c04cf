/*
 * fuzz_mustache.c — libFuzzer target for lib/mustache.c.
 *
 * Compiles the input as a template; if that fails, the reason must be a
 * non-empty, NUL-terminated line. Otherwise renders it against a small fixed
 * JSON context, resolving every partial and parent name to the template
 * itself, so self-inclusion exercises the depth and work limits. The output
 * buffer is small, so the output limit is exercised too. A render may fail
 * (-1); it must never crash, leak or read out of bounds.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc
 *        fuzz/fuzz_mustache.c src/lib/mustache.c src/lib/buf.c -ljansson
 * (or `make fuzz`). Seeds: fuzz/corpus/mustache/. Single-threaded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/mustache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_context[] =
	"{\"name\": \"Ana <b>\", \"raw\": \"<i>&</i>\", \"s\": \"str\", \"n\": 1.5,"
	" \"i\": 42, \"z\": 0, \"f\": false, \"t\": true, \"nul\": null, \"e\": [],"
	" \"obj\": {}, \"empty\": \"\","
	" \"list\": [{\"name\": \"A\"}, {\"name\": \"B\", \"list\": []}, 3, \"x\"],"
	" \"a\": {\"b\": [1, 2, {\"c\": \"deep\"}], \"t\": true}}";

static const struct mustache_tmpl *fuzz_self(void *ud, const char *name)
{
	(void)name;
	return ud;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *ctx;
	struct mustache_tmpl *t;
	char err[128];
	buf out;

	if (!ctx) {
		ctx = json_loads(fuzz_context, 0, NULL);
		if (!ctx)
			abort();
	}
	memset(err, 'x', sizeof err);
	t = mustache_compile((const char *)data, size, err, sizeof err);
	if (!t) {
		if (err[0] == '\0' || !memchr(err, '\0', sizeof err))
			abort();
		return 0;
	}
	buf_init(&out, 64 * 1024);
	if (mustache_render(t, ctx, fuzz_self, t, &out) == 0 &&
	    (buf_failed(&out) || out.len > out.max))
		abort();
	buf_free(&out);
	/* Rendering without a partial callback must work too. */
	buf_init(&out, 64 * 1024);
	mustache_render(t, ctx, NULL, NULL, &out);
	buf_free(&out);
	mustache_free(t);
	return 0;
}
