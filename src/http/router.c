/*
 * router.c — matching a request's method and path against the route table.
 *
 * Patterns are compared segment by segment with the decoded path: a literal
 * segment must be equal, a "{}" segment takes 1..18 ASCII digits (so the
 * capture always fits an int64 id) and is copied into req->path_arg_buf,
 * which path_args then points at: matching never allocates and cannot fail
 * for lack of memory. A ROUTE_PREFIX pattern also matches every path below
 * it; the rest of the path (after the '/') becomes path_args[0] and the
 * "{}" captures, if any, follow from path_args[1]. The remainder is handed
 * over as is: whoever serves files from it must refuse "..", empty and
 * hidden segments itself.
 *
 * A table is scanned in order, first match wins. A route for GET also
 * answers HEAD. A pattern with more "{}" segments than path_args can hold
 * never matches (a table bug that tests catch at once).
 *
 * Pure function of its inputs; thread-safe.
 */
#include "http/router.h"

#include <string.h>

#define ROUTER_MAX_ARGS   4
#define ROUTER_MAX_DIGITS 18

_Static_assert(sizeof(((struct request *)0)->path_arg_buf[0]) > ROUTER_MAX_DIGITS,
               "path_arg_buf holds a capture and its NUL");
_Static_assert(sizeof(((struct request *)0)->path_args) / sizeof(const char *) == ROUTER_MAX_ARGS,
               "one capture slot per path_args entry");

/* Captured digit runs of one candidate match, as {start, length} slices. */
struct router_caps {
	const char *start[ROUTER_MAX_ARGS];
	size_t      len[ROUTER_MAX_ARGS];
	size_t      n;
	const char *rest; /* ROUTE_PREFIX remainder, or NULL */
};

/* Matches path against pattern; fills caps. Returns 1 on a match, else 0. */
static int router_path_matches(const char *pattern, const char *path, unsigned flags,
                               struct router_caps *caps)
{
	const char *p = pattern, *s = path;
	size_t max_caps = (flags & ROUTE_PREFIX) ? ROUTER_MAX_ARGS - 1 : ROUTER_MAX_ARGS;
	size_t n;

	caps->n = 0;
	caps->rest = NULL;
	while (*p) {
		if (p[0] == '{' && p[1] == '}' && (p[2] == '/' || p[2] == '\0') &&
		    p > pattern && p[-1] == '/') {
			n = 0;
			while (s[n] >= '0' && s[n] <= '9')
				n++;
			if (n == 0 || n > ROUTER_MAX_DIGITS || (s[n] != '/' && s[n] != '\0'))
				return 0;
			if (caps->n >= max_caps)
				return 0;
			caps->start[caps->n] = s;
			caps->len[caps->n] = n;
			caps->n++;
			p += 2;
			s += n;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	if (*s == '\0') {
		if (flags & ROUTE_PREFIX)
			caps->rest = s;
		return 1;
	}
	if (!(flags & ROUTE_PREFIX))
		return 0;
	/* Below the prefix: "/static" matches "/static/x" but not "/staticx". */
	if (p > pattern && p[-1] == '/') {
		caps->rest = s;
		return 1;
	}
	if (*s == '/') {
		caps->rest = s + 1;
		return 1;
	}
	return 0;
}

static int router_method_matches(enum http_method route, enum http_method req)
{
	return route == req || (route == HTTP_GET && req == HTTP_HEAD);
}

/* Points req->path_args at copies of the captures (and the remainder). */
static void router_fill_args(struct request *req, const struct router_caps *caps)
{
	size_t i, slot = 0;

	for (i = 0; i < ROUTER_MAX_ARGS; i++)
		req->path_args[i] = NULL;
	if (caps->rest)
		req->path_args[slot++] = caps->rest;
	for (i = 0; i < caps->n && slot < ROUTER_MAX_ARGS; i++, slot++) {
		memcpy(req->path_arg_buf[slot], caps->start[i], caps->len[i]);
		req->path_arg_buf[slot][caps->len[i]] = '\0';
		req->path_args[slot] = req->path_arg_buf[slot];
	}
}

const struct route *router_match(const struct route *routes, size_t n, struct request *req,
                                 int *path_known)
{
	struct router_caps caps;
	size_t i;

	*path_known = 0;
	if (!req->path || req->path[0] != '/')
		return NULL;
	for (i = 0; i < n; i++) {
		if (!routes[i].pattern ||
		    !router_path_matches(routes[i].pattern, req->path, routes[i].flags, &caps))
			continue;
		if (!router_method_matches(routes[i].method, req->method)) {
			*path_known = 1;
			continue;
		}
		router_fill_args(req, &caps);
		return &routes[i];
	}
	return NULL;
}
