/*
 * router.h — matching a request to a route.
 *
 * A route pattern is a literal path whose segments may be "{}" (one segment
 * of digits, captured into req->path_args), e.g. "/staff/people/{}/notes".
 * The web layer owns the table (web/routes.c) and, with each route, the
 * permission it requires; the router only matches.
 */
#ifndef ONRAMP_ROUTER_H
#define ONRAMP_ROUTER_H

#include <stddef.h>

#include "http/http.h"

struct route {
	enum http_method method;   /* HTTP_GET also answers HEAD */
	const char      *pattern;
	http_handler     handler;
	unsigned         perm;     /* permission bits required (0: public) */
	unsigned         flags;    /* ROUTE_* */
};

enum {
	ROUTE_NO_CSRF  = 1u << 0,  /* POST without a form CSRF token (API with its own auth) */
	ROUTE_PREFIX   = 1u << 1,  /* pattern matches this path and anything below it */
};

/* Finds the route for req (method and path), filling req->path_args.
 * Returns it, or NULL; then *path_known is 1 if the path matched with
 * another method (405), 0 if not at all (404). */
const struct route *router_match(const struct route *routes, size_t n, struct request *req,
                                 int *path_known);

#endif
