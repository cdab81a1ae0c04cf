/*
 * test_authz.c — the authorization matrix: every route of the real route
 * table (web_routes, web/routes.c) × every role, allowed or denied,
 * checked against the real server.
 *
 * The table below is the documented policy (docs/ROUTES.md points here).
 * Each row names a route as the route table does (method and pattern), a
 * concrete path to request, and who may use it, as four letters for
 * anonymous, volunteer, staff and admin: 'y' allowed, '-' denied.
 *
 * The test fails when
 *  - web_routes has a route this table does not list (a new page must
 *    come with its row), or the table lists a route that no longer exists;
 *  - the route table's permission bits and flags disagree with the row
 *    (role_permissions decides, as web_dispatch does);
 *  - the live server denies an allowed cell or allows a denied one.
 * "Denied" is what web_dispatch answers before any handler runs: a 303 to
 * /login for a signed-out visitor, or a 403 with the dispatcher's own
 * message. Anything else means the handler ran (it may still answer 4xx
 * for the empty form sent here, never 5xx). POSTs carry a valid CSRF token,
 * so a denial is authorization, not CSRF.
 *
 * The harness relaxes the admin two-factor requirement (tests of it are in
 * test_account.c), so admins are checked on their permissions alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/roles.h"
#include "harness.h"
#include "web/routes.h"

struct authz_row {
	enum http_method method;
	const char      *pattern;     /* as in web_routes */
	const char      *path;        /* what is requested ("{}" filled with 1) */
	const char      *who;         /* anonymous, volunteer, staff, admin: y or - */
	int              self_login;  /* the handler itself sends visitors to /login */
};

#define G HTTP_GET
#define P HTTP_POST

static const struct authz_row authz_table[] = {
	/* public pages */
	{ G, "/",                            "/",                            "yyyy", 0 },
	{ G, "/signup",                      "/signup",                      "yyyy", 0 },
	{ P, "/signup",                      "/signup",                      "yyyy", 0 },
	{ G, "/signup/thanks",               "/signup/thanks",               "yyyy", 0 },
	{ G, "/login",                       "/login",                       "yyyy", 0 },
	{ P, "/login",                       "/login",                       "yyyy", 0 },
	{ G, "/login/2fa",                   "/login/2fa",                   "yyyy", 1 },
	{ P, "/login/2fa",                   "/login/2fa",                   "yyyy", 1 },
	{ G, "/static",                      "/static/style.css",            "yyyy", 0 },
	{ G, "/healthz",                     "/healthz",                     "yyyy", 0 },
	{ P, "/intake",                      "/intake/x",                    "yyyy", 0 },
	{ G, "/nominate",                    "/nominate",                    "yyyy", 0 },
	{ P, "/nominate",                    "/nominate",                    "yyyy", 0 },
	{ G, "/nominate/thanks",             "/nominate/thanks",             "yyyy", 0 },
	{ G, "/unsubscribe",                 "/unsubscribe",                 "yyyy", 0 },
	{ P, "/unsubscribe",                 "/unsubscribe",                 "yyyy", 0 },
	{ G, "/readyz",                      "/readyz",                      "yyyy", 0 },
	{ G, "/metrics",                     "/metrics",                     "yyyy", 0 },
	{ G, "/races",                       "/races",                       "yyyy", 0 },
	{ G, "/races/calendar",              "/races/calendar",              "yyyy", 0 },
	/* every signed-in account */
	{ P, "/logout",                      "/logout",                      "-yyy", 1 },
	{ G, "/staff/account",               "/staff/account",               "-yyy", 0 },
	{ P, "/staff/account/password",      "/staff/account/password",      "-yyy", 0 },
	{ P, "/staff/account/logout-all",    "/staff/account/logout-all",    "-yyy", 1 },
	{ G, "/staff/account/2fa",           "/staff/account/2fa",           "-yyy", 0 },
	{ P, "/staff/account/2fa",           "/staff/account/2fa",           "-yyy", 0 },
	/* people (volunteers and up) */
	{ G, "/staff",                       "/staff",                       "-yyy", 0 },
	{ G, "/staff/people",                "/staff/people",                "-yyy", 0 },
	{ G, "/staff/people/{}",             "/staff/people/1",              "-yyy", 0 },
	{ P, "/staff/people/{}/notes",       "/staff/people/1/notes",        "-yyy", 0 },
	{ G, "/staff/compliance",            "/staff/compliance",            "-yyy", 0 },
	{ G, "/staff/compliance.json",       "/staff/compliance.json",       "-yyy", 0 },
	{ G, "/staff/calls",                 "/staff/calls",                 "-yyy", 0 },
	{ G, "/staff/people/{}/call",        "/staff/people/1/call",         "-yyy", 0 },
	{ P, "/staff/people/{}/calls",       "/staff/people/1/calls",        "-yyy", 0 },
	{ P, "/staff/people/{}/stage",       "/staff/people/1/stage",        "-yyy", 0 },
	{ P, "/staff/people/{}/tags",        "/staff/people/1/tags",         "-yyy", 0 },
	{ G, "/staff/tasks",                 "/staff/tasks",                 "-yyy", 0 },
	{ P, "/staff/tasks",                 "/staff/tasks",                 "-yyy", 0 },
	{ P, "/staff/tasks/{}/done",         "/staff/tasks/1/done",          "-yyy", 0 },
	{ G, "/staff/races",                 "/staff/races",                 "-yyy", 0 },
	{ G, "/staff/races/map",             "/staff/races/map",             "-yyy", 0 },
	{ G, "/staff/races/{}",              "/staff/races/1",               "-yyy", 0 },
	{ G, "/staff/people/{}/races",       "/staff/people/1/races",        "-yyy", 0 },
	{ P, "/staff/people/{}/races",       "/staff/people/1/races",        "-yyy", 0 },
	{ G, "/staff/people/{}/calendar",    "/staff/people/1/calendar",     "-yyy", 0 },
	/* staff and up */
	{ P, "/staff/people/{}/merge",       "/staff/people/1/merge",        "--yy", 0 },
	{ G, "/staff/flags",                 "/staff/flags",                 "--yy", 0 },
	{ P, "/staff/flags/{}/dismiss",      "/staff/flags/1/dismiss",       "--yy", 0 },
	{ G, "/staff/forms",                 "/staff/forms",                 "--yy", 0 },
	{ P, "/staff/forms",                 "/staff/forms",                 "--yy", 0 },
	{ G, "/staff/forms/{}",              "/staff/forms/1",               "--yy", 0 },
	{ P, "/staff/forms/{}",              "/staff/forms/1",               "--yy", 0 },
	{ P, "/staff/forms/{}/rotate",       "/staff/forms/1/rotate",        "--yy", 0 },
	{ G, "/staff/rejected/{}",           "/staff/rejected/1",            "--yy", 0 },
	{ P, "/staff/rejected/{}/replay",    "/staff/rejected/1/replay",     "--yy", 0 },
	{ G, "/staff/compliance/export.csv", "/staff/compliance/export.csv", "--yy", 0 },
	{ P, "/staff/people/{}/assign",      "/staff/people/1/assign",       "--yy", 0 },
	{ G, "/staff/people/bulk",           "/staff/people/bulk",           "--yy", 0 },
	{ P, "/staff/people/bulk",           "/staff/people/bulk",           "--yy", 0 },
	{ G, "/staff/views",                 "/staff/views",                 "--yy", 0 },
	{ P, "/staff/views",                 "/staff/views",                 "--yy", 0 },
	{ P, "/staff/views/{}/delete",       "/staff/views/1/delete",        "--yy", 0 },
	{ G, "/staff/volunteers",            "/staff/volunteers",            "--yy", 0 },
	{ P, "/staff/volunteers/{}",         "/staff/volunteers/1",          "--yy", 0 },
	{ G, "/staff/dropoff",               "/staff/dropoff",               "--yy", 0 },
	{ P, "/staff/dropoff",               "/staff/dropoff",               "--yy", 0 },
	{ G, "/staff/reports/funnel",        "/staff/reports/funnel",        "--yy", 0 },
	{ G, "/staff/mail",                  "/staff/mail",                  "--yy", 0 },
	{ G, "/staff/mail/{}",               "/staff/mail/1",                "--yy", 0 },
	{ G, "/staff/mail/templates",        "/staff/mail/templates",        "--yy", 0 },
	{ G, "/staff/mail/templates/{}",     "/staff/mail/templates/1",      "--yy", 0 },
	{ P, "/staff/mail/templates/{}",     "/staff/mail/templates/1",      "--yy", 0 },
	/* admins */
	{ G, "/staff/audit",                 "/staff/audit",                 "---y", 0 },
	{ G, "/staff/users",                 "/staff/users",                 "---y", 0 },
	{ P, "/staff/users",                 "/staff/users",                 "---y", 0 },
	{ G, "/staff/stages",                "/staff/stages",                "---y", 0 },
	{ P, "/staff/stages",                "/staff/stages",                "---y", 0 },
	{ P, "/staff/stages/{}",             "/staff/stages/1",              "---y", 0 },
};
#define AUTHZ_ROWS (sizeof(authz_table) / sizeof(authz_table[0]))

static const enum role authz_roles[4] = { ROLE_NONE, ROLE_VOLUNTEER, ROLE_STAFF, ROLE_ADMIN };
static const char *const authz_role_names[4] = { "anonymous", "volunteer", "staff", "admin" };
static const char *const authz_emails[4] = { NULL, H_VOLUNTEER_EMAIL, H_STAFF_EMAIL, H_ADMIN_EMAIL };
static const char *const authz_passwords[4] = { NULL, H_VOLUNTEER_PASS, H_STAFF_PASS, H_ADMIN_PASS };

static struct server *srv;

static int setup(void **state)
{
	(void)state;
	srv = harness_start(NULL);
	return srv ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	int rc = harness_stop(srv);
	srv = NULL;
	return rc;
}

static const char *method_name(enum http_method m)
{
	return m == HTTP_GET ? "GET" : m == HTTP_POST ? "POST" : "?";
}

static const struct authz_row *authz_find(enum http_method m, const char *pattern)
{
	size_t i;

	for (i = 0; i < AUTHZ_ROWS; i++)
		if (authz_table[i].method == m && strcmp(authz_table[i].pattern, pattern) == 0)
			return &authz_table[i];
	return NULL;
}

static const struct route *route_find(enum http_method m, const char *pattern)
{
	size_t i;

	for (i = 0; i < web_routes_count; i++)
		if (web_routes[i].method == m && strcmp(web_routes[i].pattern, pattern) == 0)
			return &web_routes[i];
	return NULL;
}

/* What web_dispatch lets through for role, from the route's metadata. */
static int route_allows(const struct route *r, enum role role)
{
	if (r->flags & WEB_ROUTE_BARE)
		return 1;
	if (role == ROLE_NONE)
		return r->perm == 0 && !(r->flags & WEB_ROUTE_SIGNED_IN);
	return (role_permissions(role) & r->perm) == r->perm;
}

static void test_table_lists_every_route(void **state)
{
	size_t i, missing = 0, stale = 0;

	(void)state;
	for (i = 0; i < web_routes_count; i++) {
		if (!authz_find(web_routes[i].method, web_routes[i].pattern)) {
			fprintf(stderr, "# route %s %s is not in the authorization matrix (tests/http/test_authz.c)\n",
			        method_name(web_routes[i].method), web_routes[i].pattern);
			missing++;
		}
	}
	for (i = 0; i < AUTHZ_ROWS; i++) {
		if (!route_find(authz_table[i].method, authz_table[i].pattern)) {
			fprintf(stderr, "# matrix row %s %s names no route of web_routes\n",
			        method_name(authz_table[i].method), authz_table[i].pattern);
			stale++;
		}
	}
	assert_int_equal(missing, 0);
	assert_int_equal(stale, 0);
}

static void test_table_matches_route_permissions(void **state)
{
	size_t i, k, bad = 0;

	(void)state;
	for (i = 0; i < AUTHZ_ROWS; i++) {
		const struct authz_row *row = &authz_table[i];
		const struct route *r = route_find(row->method, row->pattern);

		assert_int_equal(strlen(row->who), 4);
		if (!r)
			continue; /* reported by test_table_lists_every_route */
		for (k = 0; k < 4; k++) {
			int want = row->who[k] == 'y';
			if (route_allows(r, authz_roles[k]) != want) {
				fprintf(stderr, "# %s %s: the matrix says %s is %s, the route table says otherwise\n",
				        method_name(row->method), row->pattern, authz_role_names[k],
				        want ? "allowed" : "denied");
				bad++;
			}
		}
	}
	assert_int_equal(bad, 0);
}

/* A signed-in client per role, signed in again when a row ended its session. */
static struct client *authz_clients[4];

static struct client *authz_client(int k)
{
	if (k == 0) {
		if (!authz_clients[0])
			authz_clients[0] = client_new(srv);
		return authz_clients[0];
	}
	if (authz_clients[k] && client_get(authz_clients[k], "/staff/account") == 200)
		return authz_clients[k];
	if (authz_clients[k])
		client_free(authz_clients[k]);
	authz_clients[k] = client_new(srv);
	assert_int_equal(client_login(authz_clients[k], authz_emails[k], authz_passwords[k]), 303);
	return authz_clients[k];
}

/* 1 if the answer is web_dispatch's refusal rather than a handler's. */
static int dispatch_denied(struct client *c)
{
	long st = client_status(c);
	const char *loc = client_location_path(c);
	const char *body = client_body(c);

	if (st == 303 && loc && strcmp(loc, "/login") == 0)
		return 1;
	return st == 403 && (strstr(body, "have access to this page") || strstr(body, "You are signed out") ||
	                     strstr(body, "Turn on two-factor sign-in first"));
}

static void test_live_server_enforces_matrix(void **state)
{
	size_t i, k, bad = 0;
	char token[256];

	(void)state;
	for (i = 0; i < AUTHZ_ROWS; i++) {
		const struct authz_row *row = &authz_table[i];

		for (k = 0; k < 4; k++) {
			struct client *c = authz_client((int)k);
			int want = row->who[k] == 'y', denied;
			long st;

			if (row->method == HTTP_POST) {
				const char *t = client_csrf(c);
				assert_non_null(t);
				snprintf(token, sizeof(token), "%s", t);
				st = client_post_form(c, row->path, "csrf", token, NULL);
			} else {
				st = client_get(c, row->path);
			}
			denied = dispatch_denied(c);
			if (want && denied && row->self_login && st == 303)
				denied = 0; /* the page's own "start from the password" */
			if (st == 0 || st >= 500 || denied == want) {
				fprintf(stderr, "# %s %s as %s: status %ld, %s (expected %s)\n",
				        method_name(row->method), row->path, authz_role_names[k], st,
				        denied ? "denied" : "allowed", want ? "allowed" : "denied");
				bad++;
			}
		}
	}
	for (k = 0; k < 4; k++) {
		client_free(authz_clients[k]);
		authz_clients[k] = NULL;
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_lists_every_route),
		cmocka_unit_test(test_table_matches_route_permissions),
		cmocka_unit_test(test_live_server_enforces_matrix),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
