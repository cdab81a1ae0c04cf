/*
 * test_robustness.c — bad input at the socket, the response headers every
 * page carries, and the command line, against the real server.
 *
 * Each malformed request must get its 4xx (or a closed connection), and
 * afterwards the server must still answer /healthz with the database
 * unchanged — no crash, no half-written row. The command-line part checks
 * the documented commands, their --help, the refusal of bad settings with
 * one line on stderr, and a live backup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static struct server *srv;
static long long people_before, subs_before;

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

static void remember_counts(void)
{
	people_before = harness_count_people(srv);
	subs_before = harness_count_submissions(srv);
	assert_true(people_before >= 0 && subs_before >= 0);
}

/* The server is up, answers /healthz, and stored nothing new. */
static void assert_still_healthy(void)
{
	assert_true(harness_alive(srv));
	struct client *c = client_new(srv);
	assert_int_equal(client_get(c, "/healthz"), 200);
	assert_int_equal(strncmp(client_body(c), "ok", 2), 0);
	client_free(c);
	assert_int_equal(harness_count_people(srv), people_before);
	assert_int_equal(harness_count_submissions(srv), subs_before);
}

/* A fresh client holding a csrf cookie, its token copied into token. */
static struct client *client_with_token(char *token, size_t len)
{
	struct client *c = client_new(srv);
	const char *t = client_csrf(c);
	assert_non_null(t);
	snprintf(token, len, "%s", t);
	return c;
}

/* A valid signup body with one field's raw (already encoded) value replaced. */
static void signup_body(buf *b, const char *token, const char *raw_first_name)
{
	struct form f;
	form_init(&f);
	form_add(&f, "csrf", token);
	form_add(&f, "last_name", "Robust");
	form_add(&f, "email", "robust@example.org");
	form_add(&f, "state", "NY");
	form_add(&f, "zip", "10001");
	buf_init(b, 256 * 1024);
	form_encode(&f, b);
	buf_adds(b, "&first_name=");
	buf_adds(b, raw_first_name);
	form_free(&f);
}

static void test_healthz(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	assert_int_equal(client_get(c, "/healthz"), 200);
	assert_int_equal(strncmp(client_body(c), "ok", 2), 0);
	client_free(c);
}

static void test_unknown_route_404(void **state)
{
	(void)state;
	remember_counts();
	struct client *c = client_new(srv);
	static const char *const paths[] = { "/nope", "/signup/nope", "/staff/people/1/nope",
	                                     "/static/../../etc/passwd", "/static/%2e%2e/Makefile",
	                                     "/%00", NULL };
	for (size_t i = 0; paths[i] != NULL; i++) {
		long st = client_get(c, paths[i]);
		if (st == 303 && strncmp(paths[i], "/staff", 6) == 0)
			continue; /* signed out: sent to the login first */
		if (st != 404 && st != 400)
			fail_msg("%s: status %ld, expected 404 (or 400)", paths[i], st);
		assert_null(strstr(client_body(c), "root:"));
	}
	assert_int_equal(client_get(c, "/nope"), 404);
	assert_true(client_body_len(c) > 0);
	client_free(c);
	assert_still_healthy();
}

static void test_wrong_method_405(void **state)
{
	(void)state;
	remember_counts();
	char token[256];
	struct client *c = client_with_token(token, sizeof(token));

	client_request(c, "DELETE", "/signup");
	H_ASSERT_STATUS(c, 405);
	const char *allow = client_header(c, "Allow");
	assert_non_null(allow);
	assert_non_null(strstr(allow, "GET"));
	assert_non_null(strstr(allow, "POST"));

	client_request(c, "PUT", "/");
	H_ASSERT_STATUS(c, 405);
	assert_non_null(client_header(c, "Allow"));

	client_post_form(c, "/healthz", "csrf", token, NULL);
	H_ASSERT_STATUS(c, 405);
	client_post_form(c, "/signup/thanks", "csrf", token, NULL);
	H_ASSERT_STATUS(c, 405);
	client_get(c, "/logout");
	H_ASSERT_STATUS(c, 405);
	client_free(c);
	assert_still_healthy();
}

static void test_huge_body_413(void **state)
{
	(void)state;
	remember_counts();
	char token[256], out[8192];
	struct client *c = client_with_token(token, sizeof(token));

	/* a declared length far over the limit is refused before the body */
	char req[512];
	snprintf(req, sizeof(req),
	         "POST /signup HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	         "Content-Type: application/x-www-form-urlencoded\r\n"
	         "Content-Length: 10000000\r\nConnection: close\r\n\r\n");
	assert_int_equal(raw_request(srv, req, strlen(req), out, sizeof(out), 10000), 413);

	/* a body actually sent, over the limit (a valid form padded out) */
	buf b;
	buf_init(&b, 512 * 1024);
	signup_body(&b, token, "Huge");
	buf_adds(&b, "&why_run=");
	for (int i = 0; i < 100 * 1024; i++)
		buf_addc(&b, 'x');
	assert_false(buf_failed(&b));
	client_post_raw(c, "/signup", "application/x-www-form-urlencoded", buf_str(&b), b.len);
	H_ASSERT_STATUS(c, 413);
	buf_free(&b);
	client_free(c);
	assert_still_healthy();
}

static void test_invalid_utf8_400(void **state)
{
	(void)state;
	remember_counts();
	char token[256];
	struct client *c = client_with_token(token, sizeof(token));
	static const char *const bad[] = {
		"%C3%28",          /* a lead byte without its continuation */
		"%ED%A0%80",       /* a UTF-16 surrogate */
		"%C0%AF",          /* an overlong encoding of '/' */
		"Ann%FF",          /* a byte that never occurs in UTF-8 */
		"%F4%90%80%80",    /* past U+10FFFF */
		NULL,
	};
	for (size_t i = 0; bad[i] != NULL; i++) {
		buf b;
		signup_body(&b, token, bad[i]);
		long st = client_post_raw(c, "/signup", "application/x-www-form-urlencoded",
		                          buf_str(&b), b.len);
		buf_free(&b);
		if (st != 400)
			fail_msg("first_name=%s: status %ld, expected 400: %.300s", bad[i], st,
			         client_body(c));
	}
	/* in a field name and in the query string too */
	buf b;
	signup_body(&b, token, "Ann");
	buf_adds(&b, "&%C3%28=x");
	client_post_raw(c, "/signup", "application/x-www-form-urlencoded", buf_str(&b), b.len);
	H_ASSERT_STATUS(c, 400);
	buf_free(&b);
	client_get(c, "/signup?source=%C3%28");
	H_ASSERT_STATUS(c, 400);
	client_free(c);
	assert_still_healthy();
}

static void test_malformed_urlencoded_400(void **state)
{
	(void)state;
	remember_counts();
	char token[256];
	struct client *c = client_with_token(token, sizeof(token));
	static const char *const bad[] = { "%ZZ", "Ann%", "Ann%4", "%%41", NULL };
	for (size_t i = 0; bad[i] != NULL; i++) {
		buf b;
		signup_body(&b, token, bad[i]);
		long st = client_post_raw(c, "/signup", "application/x-www-form-urlencoded",
		                          buf_str(&b), b.len);
		buf_free(&b);
		if (st != 400)
			fail_msg("first_name=%s: status %ld, expected 400: %.300s", bad[i], st,
			         client_body(c));
	}
	/* a body that is not a form at all */
	client_post_raw(c, "/signup", "application/json", "{\"first_name\":\"Ann\"}", 20);
	assert_true(client_status(c) >= 400 && client_status(c) < 500);
	/* too many fields */
	buf b;
	signup_body(&b, token, "Ann");
	for (int i = 0; i < 300; i++)
		buf_printf(&b, "&f%d=1", i);
	client_post_raw(c, "/signup", "application/x-www-form-urlencoded", buf_str(&b), b.len);
	assert_true(client_status(c) == 400 || client_status(c) == 413);
	buf_free(&b);
	client_free(c);
	assert_still_healthy();
}

static void test_two_content_lengths_400(void **state)
{
	(void)state;
	remember_counts();
	char out[8192];
	static const char req[] =
		"POST /signup HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Content-Type: application/x-www-form-urlencoded\r\n"
		"Content-Length: 5\r\nContent-Length: 40\r\nConnection: close\r\n\r\n"
		"first_name=Smuggled&last_name=Request&x";
	assert_int_equal(raw_request(srv, req, sizeof(req) - 1, out, sizeof(out), 10000), 400);
	/* the same length twice is still ambiguous framing */
	static const char req2[] =
		"POST /signup HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Content-Type: application/x-www-form-urlencoded\r\n"
		"Content-Length: 5\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
	assert_int_equal(raw_request(srv, req2, sizeof(req2) - 1, out, sizeof(out), 10000), 400);
	assert_still_healthy();
}

/* Sends req; the server must answer 4xx or close without answering. */
static void expect_refused(const char *what, const char *req, size_t len)
{
	char out[8192];
	int st = raw_request(srv, req, len, out, sizeof(out), 20000);
	if (!(st == 0 || (st >= 400 && st < 500)))
		fail_msg("%s: status %d, expected 4xx or a closed connection", what, st);
}

static void test_garbage_requests(void **state)
{
	(void)state;
	remember_counts();
	static const char garbage[] = "GARBAGE\r\n\r\n";
	expect_refused("garbage line", garbage, sizeof(garbage) - 1);
	static const char binary[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n";
	expect_refused("TLS hello", binary, sizeof(binary) - 1);
	static const char ctl[] = "GET /\x01\x02 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	expect_refused("control bytes in the target", ctl, sizeof(ctl) - 1);
	static const char version[] = "GET / HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n";
	{
		char out[8192];
		int st = raw_request(srv, version, sizeof(version) - 1, out, sizeof(out), 20000);
		if (!(st == 0 || st == 505 || (st >= 400 && st < 500)))
			fail_msg("unknown version: status %d, expected 505, 4xx or a close", st);
	}
	static const char nocolon[] = "GET / HTTP/1.1\r\nHost x\r\nBroken header\r\nConnection: close\r\n\r\n";
	{
		char out[8192];
		int st = raw_request(srv, nocolon, sizeof(nocolon) - 1, out, sizeof(out), 20000);
		assert_true(st == 0 || st == 200 || (st >= 400 && st < 500));
	}
	static const char negative[] = "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n"
	                               "Connection: close\r\n\r\n";
	expect_refused("negative length", negative, sizeof(negative) - 1);
	static const char hugelen[] = "POST /signup HTTP/1.1\r\nHost: x\r\n"
	                              "Content-Length: 99999999999999999999999\r\nConnection: close\r\n\r\n";
	expect_refused("overflowing length", hugelen, sizeof(hugelen) - 1);
	static const char badchunk[] = "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	                               "Content-Type: application/x-www-form-urlencoded\r\n"
	                               "Connection: close\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n";
	expect_refused("bad chunk size", badchunk, sizeof(badchunk) - 1);

	/* a very long URL and a very large header */
	buf b;
	buf_init(&b, 256 * 1024);
	buf_adds(&b, "GET /");
	for (int i = 0; i < 20000; i++)
		buf_addc(&b, 'a');
	buf_adds(&b, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	expect_refused("long URL", buf_str(&b), b.len);
	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
	for (int i = 0; i < 64 * 1024; i++)
		buf_addc(&b, 'b');
	buf_adds(&b, "\r\nConnection: close\r\n\r\n");
	expect_refused("huge header", buf_str(&b), b.len);
	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: x\r\nCookie: ");
	for (int i = 0; i < 6000; i++)
		buf_addc(&b, 'c');
	buf_adds(&b, "=1\r\nConnection: close\r\n\r\n");
	{
		char out[8192];
		int st = raw_request(srv, buf_str(&b), b.len, out, sizeof(out), 20000);
		assert_true(st == 0 || st == 200 || (st >= 400 && st < 500));
	}
	buf_free(&b);
	/* a connection that says nothing, and one that stops halfway */
	static const char half[] = "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nfirst";
	char out[256];
	int st = raw_request(srv, half, sizeof(half) - 1, out, sizeof(out), 1000);
	assert_int_equal(st, 0); /* still waiting for the rest when we hang up */
	assert_still_healthy();
}

static void assert_security_headers(struct client *c, const char *path)
{
	const char *csp = client_header(c, "Content-Security-Policy");
	if (csp == NULL)
		fail_msg("%s: no Content-Security-Policy", path);
	if (strstr(csp, "frame-ancestors 'none'") == NULL && strstr(csp, "frame-ancestors 'self'") == NULL)
		fail_msg("%s: CSP without frame-ancestors: %s", path, csp);
	if (strstr(csp, "default-src") == NULL)
		fail_msg("%s: CSP without default-src: %s", path, csp);
	if (strstr(csp, "'unsafe-inline'") != NULL && strstr(csp, "script-src") != NULL &&
	    strstr(strstr(csp, "script-src"), "'unsafe-inline'") != NULL)
		fail_msg("%s: CSP allows inline scripts: %s", path, csp);
	const char *nosniff = client_header(c, "X-Content-Type-Options");
	if (nosniff == NULL || strcasecmp(nosniff, "nosniff") != 0)
		fail_msg("%s: X-Content-Type-Options is not nosniff", path);
	const char *ref = client_header(c, "Referrer-Policy");
	if (ref == NULL || ref[0] == '\0')
		fail_msg("%s: no Referrer-Policy", path);
	if (client_header(c, "Server") != NULL && strstr(client_header(c, "Server"), "/") != NULL)
		fail_msg("%s: the Server header gives a version: %s", path, client_header(c, "Server"));
}

static void test_security_headers(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	static const char *const paths[] = { "/", "/signup", "/signup/thanks", "/login", "/healthz",
	                                     "/nope", NULL };
	for (size_t i = 0; paths[i] != NULL; i++) {
		client_get(c, paths[i]);
		assert_true(client_status(c) == 200 || client_status(c) == 404);
		assert_security_headers(c, paths[i]);
	}
	/* pages with personal data or forms are not cached */
	client_get(c, "/signup");
	const char *cc = client_header(c, "Cache-Control");
	assert_non_null(cc);
	assert_non_null(strstr(cc, "no-store"));
	/* error responses carry them too */
	char token[256];
	client_free(c);
	c = client_with_token(token, sizeof(token));
	client_post_form(c, "/signup", "first_name", "x", NULL);
	H_ASSERT_STATUS(c, 403);
	assert_security_headers(c, "POST /signup (403)");
	client_free(c);
}

static void test_cli_help(void **state)
{
	(void)state;
	struct cli_result *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	static const char *const cmds[][3] = {
		{ "--help", NULL, NULL },
		{ "migrate", "--help", NULL },
		{ "serve", "--help", NULL },
		{ "user", "--help", NULL },
		{ "user", "add", "--help" },
		{ "demo", "--help", NULL },
		{ "backup", "--help", NULL },
		{ "version", "--help", NULL },
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *argv[4] = { cmds[i][0], cmds[i][1], cmds[i][2], NULL };
		int st = harness_cli(NULL, NULL, NULL, r, argv);
		if (st != 0)
			fail_msg("onramp %s %s: exit %d: %s", cmds[i][0], cmds[i][1] ? cmds[i][1] : "", st,
			         r->err);
		if (strlen(r->out) < 20)
			fail_msg("onramp %s %s: no help on stdout", cmds[i][0], cmds[i][1] ? cmds[i][1] : "");
	}
	const char *top[] = { "--help", NULL };
	harness_cli(NULL, NULL, NULL, r, top);
	static const char *const mentioned[] = { "migrate", "serve", "user", "demo", "backup",
	                                         "version", NULL };
	for (size_t i = 0; mentioned[i] != NULL; i++)
		if (strstr(r->out, mentioned[i]) == NULL)
			fail_msg("onramp --help does not mention %s", mentioned[i]);

	const char *version[] = { "version", NULL };
	assert_int_equal(harness_cli(NULL, NULL, NULL, r, version), 0);
	assert_true(strlen(r->out) > 0);

	const char *unknown[] = { "frobnicate", NULL };
	assert_true(harness_cli(NULL, NULL, NULL, r, unknown) != 0);
	assert_true(strlen(r->err) > 0);
	free(r);
}

/* Runs `onramp cmd` with one bad setting: it must fail with one line. */
static void assert_refused_setting(const char *cmd, const char *setting)
{
	struct cli_result *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	const char *env[] = { setting, NULL };
	const char *argv[] = { cmd, NULL };
	int st = harness_cli(srv, env, NULL, r, argv);
	if (st == 0 || st >= 128)
		fail_msg("onramp %s with %s: exit %d, expected a plain failure", cmd, setting, st);
	size_t lines = 0;
	for (const char *p = r->err; *p != '\0'; p++)
		lines += *p == '\n';
	if (lines != 1 || r->err[0] == '\n')
		fail_msg("onramp %s with %s: %zu lines on stderr, expected one: %s", cmd, setting, lines,
		         r->err);
	if (strstr(r->out, "listening") != NULL)
		fail_msg("onramp %s with %s: started anyway", cmd, setting);
	free(r);
}

static void test_cli_bad_settings(void **state)
{
	(void)state;
	assert_refused_setting("serve", "ONRAMP_LISTEN=nonsense");
	assert_refused_setting("serve", "ONRAMP_LISTEN=127.0.0.1:99999");
	assert_refused_setting("serve", "ONRAMP_LISTEN=127.0.0.1:80x");
	assert_refused_setting("serve", "ONRAMP_DB=mysql://localhost/onramp");
	assert_refused_setting("migrate", "ONRAMP_DB=nonsense");
	assert_refused_setting("serve", "ONRAMP_SIGNUP_RATE=-4");
	assert_refused_setting("serve", "ONRAMP_SIGNUP_RATE=lots");
	assert_refused_setting("serve", "ONRAMP_HTTP_PER_IP=0");
	assert_refused_setting("serve", "ONRAMP_HTTP_PER_IP=1025");
	assert_refused_setting("serve", "ONRAMP_HTTP_PER_IP=64x");
	/* a port already taken (the running server's): a failure that names it */
	struct cli_result *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	char busy[64], port[16];
	snprintf(busy, sizeof(busy), "ONRAMP_LISTEN=127.0.0.1:%d", srv->port);
	snprintf(port, sizeof(port), "%d", srv->port);
	const char *env[] = { busy, NULL };
	const char *argv[] = { "serve", NULL };
	int st = harness_cli(srv, env, NULL, r, argv);
	assert_true(st != 0 && st < 128);
	assert_non_null(strstr(r->err, port));
	assert_null(strstr(r->out, "listening"));
	free(r);
	assert_true(harness_alive(srv));
}

/* Sends a keep-alive GET /healthz on fd and reads until its answer is in. */
static int held_answered(int fd)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	char got_text[2048];
	size_t got = 0;
	ssize_t n;
	int i;

	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
		return 0;
	for (i = 0; i < 100 && got < sizeof(got_text) - 1; i++) {
		n = recv(fd, got_text + got, sizeof(got_text) - 1 - got, 0);
		if (n <= 0)
			return 0;
		got += (size_t)n;
		got_text[got] = '\0';
		if (strstr(got_text, "\r\n\r\nok\n"))
			return 1;
	}
	return 0;
}

/* ONRAMP_HTTP_PER_IP reaches the server: with 2, a third connection from
 * the same address is closed unanswered until one of the two goes. */
static void test_http_per_ip_setting(void **state)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	struct harness_opts o;
	struct server *two;
	char out[4096];
	int held[2], i, st = 0;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.extra_env[0] = "ONRAMP_HTTP_PER_IP=2";
	two = harness_start(&o);
	assert_non_null(two);
	/* each held connection is answered once (kept alive), so the server
	 * has surely accepted both before the third knocks: its event loops
	 * accept in parallel, in no set order */
	for (i = 0; i < 2; i++) {
		assert_true((held[i] = raw_connect(two)) >= 0);
		assert_true(held_answered(held[i]));
	}
	assert_int_equal(raw_request(two, req, sizeof(req) - 1, out, sizeof(out), 5000), 0);
	for (i = 0; i < 2; i++)
		close(held[i]);
	for (i = 0; i < 50 && st != 200; i++) {
		st = raw_request(two, req, sizeof(req) - 1, out, sizeof(out), 5000);
		if (st != 200)
			usleep(50 * 1000);
	}
	assert_int_equal(st, 200);
	assert_int_equal(harness_stop(two), 0);
}

static void test_cli_user_add_refuses_weak_password(void **state)
{
	(void)state;
	struct cli_result *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	const char *argv[] = { "user", "add", "--email", "weak@example.org", "--role", "staff", NULL };
	assert_true(harness_cli(srv, NULL, "short\n", r, argv) != 0);
	assert_true(strlen(r->err) > 0);
	assert_true(harness_cli(srv, NULL, "password1234\n", r, argv) != 0);
	const char *bad_role[] = { "user", "add", "--email", "weak@example.org", "--role", "king", NULL };
	assert_true(harness_cli(srv, NULL, "a long enough pass phrase\n", r, bad_role) != 0);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM users WHERE email = ?1",
	                                "weak@example.org"), 0);
	/* and a duplicate email */
	const char *dup[] = { "user", "add", "--email", H_ADMIN_EMAIL, "--role", "staff", NULL };
	assert_true(harness_cli(srv, NULL, "another long pass phrase\n", r, dup) != 0);
	free(r);
}

static void test_backup_while_serving(void **state)
{
	(void)state;
	/* some people first, through the server */
	for (int i = 0; i < 3; i++) {
		char token[256], email[64];
		struct client *c = client_with_token(token, sizeof(token));
		snprintf(email, sizeof(email), "backup.%d@example.org", i);
		client_post_form(c, "/signup", "csrf", token, "first_name", "Backup", "last_name", "Person",
		                 "email", email, "state", "VT", "zip", "05401", NULL);
		H_ASSERT_STATUS(c, 303);
		client_free(c);
	}
	long long live = harness_count_people(srv);
	assert_true(live >= 3);

	char path[H_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/backup.db", srv->dir);
	struct cli_result *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	const char *argv[] = { "backup", path, NULL };
	int st = harness_cli(srv, NULL, NULL, r, argv);
	if (harness_pg() != NULL) {
		/* PostgreSQL is backed up with its own tools: the command says so
		 * and writes nothing */
		assert_int_equal(st, 1);
		assert_non_null(strstr(r->err, "pg_dump"));
		assert_int_equal(access(path, F_OK), -1);
		free(r);
		assert_true(harness_alive(srv));
		return;
	}
	if (st != 0)
		fail_msg("onramp backup: exit %d: %s", st, r->err);
	assert_int_equal(harness_db_file_int(path, "SELECT count(*) FROM people", NULL), live);
	assert_int_equal(harness_db_file_int(path, "SELECT count(*) FROM users", NULL),
	                 harness_db_int(srv, "SELECT count(*) FROM users", NULL));
	assert_int_equal(harness_db_file_int(path, "SELECT count(*) FROM pragma_integrity_check"
	                                           " WHERE integrity_check = 'ok'", NULL), 1);
	free(r);
	assert_true(harness_alive(srv));
}

static void test_sigterm_exits_cleanly(void **state)
{
	(void)state;
	struct server *s = harness_start(NULL);
	assert_non_null(s);
	struct client *c = client_new(s);
	assert_int_equal(client_get(c, "/healthz"), 200);
	client_free(c);
	assert_int_equal(harness_stop(s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthz),
		cmocka_unit_test(test_unknown_route_404),
		cmocka_unit_test(test_wrong_method_405),
		cmocka_unit_test(test_huge_body_413),
		cmocka_unit_test(test_invalid_utf8_400),
		cmocka_unit_test(test_malformed_urlencoded_400),
		cmocka_unit_test(test_two_content_lengths_400),
		cmocka_unit_test(test_garbage_requests),
		cmocka_unit_test(test_security_headers),
		cmocka_unit_test(test_cli_help),
		cmocka_unit_test(test_cli_bad_settings),
		cmocka_unit_test(test_http_per_ip_setting),
		cmocka_unit_test(test_cli_user_add_refuses_weak_password),
		cmocka_unit_test(test_backup_while_serving),
		cmocka_unit_test(test_sigterm_exits_cleanly),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
