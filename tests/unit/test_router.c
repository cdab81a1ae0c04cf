/*
 * test_router.c — route matching: literals, "{}" captures, HEAD for GET,
 * ROUTE_PREFIX remainders, 404 versus 405, and the parameter lookups of
 * params.c that handlers use next to path_args. Data-driven: each case is a
 * method, a path and what must come out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http/router.h"

static int h_home(struct request *req, struct response *res) { (void)req; (void)res; return 0; }
static int h_signup(struct request *req, struct response *res) { (void)req; (void)res; return 0; }
static int h_signup_post(struct request *req, struct response *res) { (void)req; (void)res; return 0; }
static int h_person(struct request *req, struct response *res) { (void)req; (void)res; return 0; }
static int h_notes(struct request *req, struct response *res) { (void)req; (void)res; return 0; }
static int h_pair(struct request *req, struct response *res) { (void)req; (void)res; return 0; }
static int h_static(struct request *req, struct response *res) { (void)req; (void)res; return 0; }
static int h_five(struct request *req, struct response *res) { (void)req; (void)res; return 0; }
static int h_files(struct request *req, struct response *res) { (void)req; (void)res; return 0; }

static const struct route routes[] = {
	{ HTTP_GET,  "/",                        h_home,        0, 0 },
	{ HTTP_GET,  "/signup",                  h_signup,      0, 0 },
	{ HTTP_POST, "/signup",                  h_signup_post, 0, 0 },
	{ HTTP_GET,  "/staff/people/{}",         h_person,      1, 0 },
	{ HTTP_POST, "/staff/people/{}/notes",   h_notes,       2, 0 },
	{ HTTP_GET,  "/a/{}/b/{}",               h_pair,        0, 0 },
	{ HTTP_GET,  "/static",                  h_static,      0, ROUTE_PREFIX },
	{ HTTP_GET,  "/x/{}/{}/{}/{}/{}",        h_five,        0, 0 },
	{ HTTP_GET,  "/files/{}/",               h_files,       0, ROUTE_PREFIX },
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

struct match_case {
	enum http_method method;
	const char      *path;
	http_handler     want;        /* NULL: no route */
	int              want_known;  /* when want is NULL: 1 = 405, 0 = 404 */
	const char      *args[4];
};

static const struct match_case cases[] = {
	{ HTTP_GET,  "/",                              h_home,        0, { NULL } },
	{ HTTP_HEAD, "/",                              h_home,        0, { NULL } },
	{ HTTP_POST, "/",                              NULL,          1, { NULL } },
	{ HTTP_GET,  "/signup",                        h_signup,      0, { NULL } },
	{ HTTP_POST, "/signup",                        h_signup_post, 0, { NULL } },
	{ HTTP_HEAD, "/signup",                        h_signup,      0, { NULL } },
	{ HTTP_GET,  "/signup/",                       NULL,          0, { NULL } },
	{ HTTP_GET,  "/signupx",                       NULL,          0, { NULL } },
	{ HTTP_GET,  "/Signup",                        NULL,          0, { NULL } },
	{ HTTP_GET,  "",                               NULL,          0, { NULL } },
	{ HTTP_GET,  "signup",                         NULL,          0, { NULL } },
	{ HTTP_GET,  "/staff/people/12",               h_person,      0, { "12" } },
	{ HTTP_GET,  "/staff/people/007",              h_person,      0, { "007" } },
	{ HTTP_GET,  "/staff/people/123456789012345678", h_person,    0, { "123456789012345678" } },
	{ HTTP_GET,  "/staff/people/1234567890123456789", NULL,       0, { NULL } },
	{ HTTP_GET,  "/staff/people/",                 NULL,          0, { NULL } },
	{ HTTP_GET,  "/staff/people/12a",              NULL,          0, { NULL } },
	{ HTTP_GET,  "/staff/people/-1",               NULL,          0, { NULL } },
	{ HTTP_GET,  "/staff/people/+1",               NULL,          0, { NULL } },
	{ HTTP_GET,  "/staff/people/12/",              NULL,          0, { NULL } },
	{ HTTP_POST, "/staff/people/12",               NULL,          1, { NULL } },
	{ HTTP_POST, "/staff/people/9/notes",          h_notes,       0, { "9" } },
	{ HTTP_GET,  "/staff/people/9/notes",          NULL,          1, { NULL } },
	{ HTTP_POST, "/staff/people/9/notesx",         NULL,          0, { NULL } },
	{ HTTP_GET,  "/a/1/b/22",                      h_pair,        0, { "1", "22" } },
	{ HTTP_GET,  "/a/1/b/",                        NULL,          0, { NULL } },
	{ HTTP_GET,  "/static",                        h_static,      0, { "" } },
	{ HTTP_GET,  "/static/",                       h_static,      0, { "" } },
	{ HTTP_GET,  "/static/app.css",                h_static,      0, { "app.css" } },
	{ HTTP_GET,  "/static/img/logo.png",           h_static,      0, { "img/logo.png" } },
	{ HTTP_HEAD, "/static/app.css",                h_static,      0, { "app.css" } },
	{ HTTP_POST, "/static/app.css",                NULL,          1, { NULL } },
	{ HTTP_GET,  "/staticx/app.css",               NULL,          0, { NULL } },
	{ HTTP_GET,  "/stat",                          NULL,          0, { NULL } },
	{ HTTP_GET,  "/x/1/2/3/4/5",                   NULL,          0, { NULL } },
	{ HTTP_GET,  "/files/3/a/b",                   h_files,       0, { "a/b", "3" } },
	{ HTTP_GET,  "/files/3/",                      h_files,       0, { "", "3" } },
	{ HTTP_GET,  "/files/3",                       NULL,          0, { NULL } },
	{ HTTP_OTHER, "/signup",                       NULL,          1, { NULL } },
};

static void test_match_table(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct request req;
		const struct route *r;
		int known = -1;

		memset(&req, 0, sizeof(req));
		req.method = cases[i].method;
		req.path = cases[i].path;
		req.path_args[3] = "stale";
		r = router_match(routes, N_ROUTES, &req, &known);
		if (!cases[i].want) {
			if (r)
				fail_msg("case %zu (%s): matched a route", i, cases[i].path);
			if (known != cases[i].want_known)
				fail_msg("case %zu (%s): path_known %d", i, cases[i].path, known);
			continue;
		}
		if (!r || r->handler != cases[i].want)
			fail_msg("case %zu (%s): wrong route", i, cases[i].path);
		for (k = 0; k < 4; k++) {
			if (!cases[i].args[k]) {
				if (req.path_args[k])
					fail_msg("case %zu: arg %zu should be NULL, is %s", i, k, req.path_args[k]);
			} else if (!req.path_args[k] || strcmp(req.path_args[k], cases[i].args[k]) != 0) {
				fail_msg("case %zu: arg %zu should be %s", i, k, cases[i].args[k]);
			}
		}
	}
}

static void test_first_match_wins_and_null_path(void **state)
{
	static const struct route dup[] = {
		{ HTTP_GET, "/p/{}", h_person, 0, 0 },
		{ HTTP_GET, "/p/{}", h_pair, 0, 0 },
	};
	struct request req;
	int known = 5;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.method = HTTP_GET;
	req.path = "/p/4";
	assert_ptr_equal(router_match(dup, 2, &req, &known), &dup[0]);
	req.path = NULL;
	assert_null(router_match(dup, 2, &req, &known));
	assert_int_equal(known, 0);
	req.path = "/p/4";
	assert_null(router_match(dup, 0, &req, &known));
	assert_int_equal(known, 0);
}

static void test_captures_do_not_alias_path(void **state)
{
	struct request req;
	char path[] = "/a/5/b/6";
	int known;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.method = HTTP_GET;
	req.path = path;
	assert_non_null(router_match(routes, N_ROUTES, &req, &known));
	/* captures are copies: changing the path afterwards leaves them alone */
	path[3] = '9';
	assert_string_equal(req.path_args[0], "5");
	assert_string_equal(req.path_args[1], "6");
}

static void test_params_lookup(void **state)
{
	struct http_params p = { NULL, 0 };
	const char *all[4];
	arena a;
	char name[16];
	int i;

	(void)state;
	arena_init(&a, 1 << 20);
	assert_int_equal(http_params_add(&a, &p, "office", 6, "county", 6), 0);
	assert_int_equal(http_params_add(&a, &p, "q", 1, "x\0y", 3), 0);
	assert_int_equal(http_params_add(&a, &p, "office", 6, "judicial", 8), 0);
	assert_int_equal(http_params_add(&a, &p, "empty", 5, NULL, 0), 0);
	assert_string_equal(http_param_get(&p, "office"), "county");
	assert_int_equal(p.items[1].value_len, 3);
	assert_int_equal(memcmp(p.items[1].value, "x\0y", 4), 0);
	assert_string_equal(http_param_get(&p, "empty"), "");
	assert_null(http_param_get(&p, "Office"));
	assert_int_equal(http_param_get_all(&p, "office", all, 4), 2);
	assert_string_equal(all[0], "county");
	assert_string_equal(all[1], "judicial");
	assert_int_equal(http_param_get_all(&p, "office", all, 1), 1);
	assert_int_equal(http_param_get_all(&p, "nope", all, 4), 0);
	/* growth keeps every earlier item */
	for (i = 0; i < 300; i++) {
		int n = snprintf(name, sizeof(name), "k%d", i);
		assert_int_equal(http_params_add(&a, &p, name, (size_t)n, name, (size_t)n), 0);
	}
	assert_int_equal(p.count, 304);
	assert_string_equal(http_param_get(&p, "k0"), "k0");
	assert_string_equal(http_param_get(&p, "k299"), "k299");
	assert_string_equal(http_param_get(&p, "office"), "county");
	arena_free(&a);

	/* an exhausted arena fails cleanly */
	arena_init(&a, 64);
	p.items = NULL;
	p.count = 0;
	assert_int_equal(http_params_add(&a, &p, "n", 1, "v", 1), -1);
	arena_free(&a);
}

static void test_response_helpers(void **state)
{
	struct response res;
	int i;

	(void)state;
	memset(&res, 0, sizeof(res));
	buf_init(&res.body, 1024);
	buf_adds(&res.body, "<p>old</p>");
	http_error(&res, 404, "Not found");
	assert_int_equal(res.status, 404);
	assert_string_equal(res.content_type, "text/plain; charset=utf-8");
	assert_string_equal(buf_str(&res.body), "Not found\n");
	http_redirect(&res, 303, "/next");
	assert_int_equal(res.status, 303);
	assert_string_equal(res.location, "/next");
	assert_int_equal(res.body.len, 0);
	for (i = 0; i < 4; i++)
		http_set_cookie(&res, "a=b");
	assert_int_equal(res.n_set_cookies, 4);
	assert_false(buf_failed(&res.body));
	http_set_cookie(&res, "one=too many");
	assert_int_equal(res.n_set_cookies, 4);
	assert_true(buf_failed(&res.body));
	buf_reset(&res.body);
	for (i = 0; i < 8; i++)
		http_add_header(&res, "X-A", "1");
	assert_false(buf_failed(&res.body));
	http_add_header(&res, "X-B", "2");
	assert_int_equal(res.n_extra_headers, 8);
	assert_true(buf_failed(&res.body));
	buf_free(&res.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_first_match_wins_and_null_path),
		cmocka_unit_test(test_captures_do_not_alias_path),
		cmocka_unit_test(test_params_lookup),
		cmocka_unit_test(test_response_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
