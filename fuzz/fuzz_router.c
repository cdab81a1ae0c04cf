/*
 * fuzz_router.c — libFuzzer target for router_match().
 *
 * Input: one byte choosing the method, then the path (any bytes; cut at
 * the first NUL, as a C string path would be). The table mirrors the shapes
 * of web/routes.c: literals, "{}" captures, several captures, a prefix
 * route. Besides memory errors (ASan/UBSan), the target checks what the
 * router promises: a capture is 1..18 ASCII digits found in the path, a
 * prefix remainder is the tail of the path, unused path_args are NULL, and
 * a route is only returned for its method (GET also for HEAD).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_handler(struct request *req, struct response *res)
{
	(void)req;
	(void)res;
	return 0;
}

static const struct route fuzz_routes[] = {
	{ HTTP_GET,  "/",                          fuzz_handler, 0, 0 },
	{ HTTP_GET,  "/signup",                    fuzz_handler, 0, 0 },
	{ HTTP_POST, "/signup",                    fuzz_handler, 0, 0 },
	{ HTTP_GET,  "/signup/thanks",             fuzz_handler, 0, 0 },
	{ HTTP_GET,  "/staff/people",              fuzz_handler, 1, 0 },
	{ HTTP_GET,  "/staff/people/{}",           fuzz_handler, 1, 0 },
	{ HTTP_POST, "/staff/people/{}/notes",     fuzz_handler, 2, 0 },
	{ HTTP_POST, "/staff/people/{}/merge",     fuzz_handler, 4, 0 },
	{ HTTP_POST, "/staff/flags/{}/dismiss",    fuzz_handler, 4, 0 },
	{ HTTP_GET,  "/a/{}/{}/{}/{}",             fuzz_handler, 0, 0 },
	{ HTTP_GET,  "/static",                    fuzz_handler, 0, ROUTE_PREFIX },
	{ HTTP_GET,  "/api/{}/",                   fuzz_handler, 0, ROUTE_PREFIX | ROUTE_NO_CSRF },
	{ HTTP_GET,  "/healthz",                   fuzz_handler, 0, 0 },
};

static int fuzz_is_digits(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 1 || n > 18)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t n_routes = sizeof(fuzz_routes) / sizeof(fuzz_routes[0]);
	const struct route *r;
	struct request req;
	char *path;
	size_t i, first;
	int known = -1;

	if (size < 1)
		return 0;
	path = malloc(size);
	if (!path)
		return 0;
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';

	memset(&req, 0, sizeof(req));
	req.method = (enum http_method)(data[0] % 4);
	req.path = path;
	r = router_match(fuzz_routes, n_routes, &req, &known);
	if (known != 0 && known != 1)
		abort();
	if (!r) {
		for (i = 0; i < 4; i++)
			if (req.path_args[i])
				abort(); /* untouched on no match */
		free(path);
		return 0;
	}
	if (!(r->method == req.method || (r->method == HTTP_GET && req.method == HTTP_HEAD)))
		abort();
	first = 0;
	if (r->flags & ROUTE_PREFIX) {
		const char *rest = req.path_args[0];
		if (!rest || rest < path || rest > path + strlen(path) ||
		    strcmp(rest, path + (rest - path)) != 0)
			abort();
		first = 1;
	}
	for (i = first; i < 4; i++) {
		if (!req.path_args[i])
			break;
		if (!fuzz_is_digits(req.path_args[i]) || !strstr(path, req.path_args[i]))
			abort();
	}
	for (; i < 4; i++)
		if (req.path_args[i])
			abort();
	free(path);
	return 0;
}
