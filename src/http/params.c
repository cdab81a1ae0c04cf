/*
 * params.c — name=value lists of a request (query string, form body,
 * cookies): building them in the request arena and looking values up.
 *
 * A list lives in one arena array whose capacity is implied by its count
 * (8, then the next power of two), so no capacity field is needed: the
 * array is moved to a twice larger one exactly when count reaches 8, 16,
 * 32 … The old arrays stay in the arena until the request ends, which costs
 * at most the size of the final array again. Lookups are linear: a request
 * holds at most LIMIT_FORM_FIELDS fields, so a scan beats any index.
 *
 * Invariants: every name and value is NUL-terminated; value_len is the
 * value's length without the NUL. Not thread-safe (one request, one thread).
 */
#include "http/http.h"

#include <string.h>

#define PARAMS_FIRST_CAP 8

/* Returns 1 when an array holding count items is full (count is its capacity). */
static int params_is_full(size_t count)
{
	if (count == 0)
		return 1;
	return count >= PARAMS_FIRST_CAP && (count & (count - 1)) == 0;
}

int http_params_add(arena *a, struct http_params *p, const char *name, size_t name_len,
                    const char *value, size_t value_len)
{
	struct http_param *items;
	size_t cap;

	if (params_is_full(p->count)) {
		cap = p->count ? p->count * 2 : PARAMS_FIRST_CAP;
		if (cap > ((size_t)-1) / sizeof(*items))
			return -1;
		items = arena_alloc(a, cap * sizeof(*items));
		if (!items)
			return -1;
		if (p->count)
			memcpy(items, p->items, p->count * sizeof(*items));
		p->items = items;
	}
	items = &p->items[p->count];
	items->name = arena_strndup(a, name ? name : "", name ? name_len : 0);
	items->value = arena_strndup(a, value ? value : "", value ? value_len : 0);
	if (!items->name || !items->value)
		return -1;
	items->value_len = value ? value_len : 0;
	p->count++;
	return 0;
}

const char *http_param_get(const struct http_params *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		if (strcmp(p->items[i].name, name) == 0)
			return p->items[i].value;
	return NULL;
}

size_t http_param_get_all(const struct http_params *p, const char *name, const char **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < p->count && n < max; i++)
		if (strcmp(p->items[i].name, name) == 0)
			out[n++] = p->items[i].value;
	return n;
}
