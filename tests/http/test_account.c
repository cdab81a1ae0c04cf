/*
 * test_account.c — accounts and sessions against the real server: the
 * session id rotating at login, the password change (current password
 * required, every other session ended), "log out everywhere", two-factor
 * sign-in (enrollment with a QR code, the two-step login with a server-side
 * half-signed-in record, a code usable once, wrong codes used up), admins
 * sent to enrollment first, the `onramp user reset-2fa` recovery, and
 * `onramp audit verify` catching an entry edited in the database.
 *
 * The server here runs with ONRAMP_ADMIN_2FA=required, the production
 * default (the other suites relax it). Codes are computed with the
 * product's own RFC 6238 function (domain/totp.c), whose vectors
 * tests/unit/test_totp.c checks against the RFC.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/totp.h"
#include "harness.h"

static struct server *srv;

static int setup(void **state)
{
	static const struct harness_opts opts = { .extra_env = { "ONRAMP_ADMIN_2FA=required", NULL } };

	(void)state;
	srv = harness_start(&opts);
	return srv ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	int rc = harness_stop(srv);
	srv = NULL;
	return rc;
}

static long long now_step(void)
{
	return (long long)time(NULL) / TOTP_STEP_SECONDS;
}

/* Decodes RFC 4648 base32 (spaces skipped) into out. Returns the bytes. */
static size_t base32_decode(const char *s, unsigned char *out, size_t max)
{
	unsigned int acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *s; s++) {
		int v;
		if (*s >= 'A' && *s <= 'Z')
			v = *s - 'A';
		else if (*s >= '2' && *s <= '7')
			v = *s - '2' + 26;
		else
			continue;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8 && n < max) {
			out[n++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
			acc &= (1u << bits) - 1;
		}
	}
	return n;
}

/* Reads the base32 secret shown on the enrollment page into secret. */
static void secret_from_page(const char *html, unsigned char secret[TOTP_SECRET_BYTES])
{
	const char *p = strstr(html, "class=\"totp-secret\">");
	char text[128];
	size_t n = 0;

	assert_non_null(p);
	p += strlen("class=\"totp-secret\">");
	while (*p && *p != '<' && n + 1 < sizeof(text))
		text[n++] = *p++;
	text[n] = '\0';
	assert_int_equal(base32_decode(text, secret, TOTP_SECRET_BYTES), TOTP_SECRET_BYTES);
}

static const char *code_at(const unsigned char secret[TOTP_SECRET_BYTES], long long step)
{
	static char code[TOTP_DIGITS + 1];

	assert_int_equal(totp_code_at(secret, step, code), 0);
	return code;
}

static long post_with_csrf(struct client *c, const char *path, const char *page, const char *name,
                           const char *value, const char *name2, const char *value2)
{
	char token[256];

	assert_int_equal(client_get(c, page), 200);
	assert_int_equal(csrf_from(client_body(c), token, sizeof(token)), 0);
	if (name2)
		return client_post_form(c, path, "csrf", token, name, value, name2, value2, NULL);
	if (name)
		return client_post_form(c, path, "csrf", token, name, value, NULL);
	return client_post_form(c, path, "csrf", token, NULL);
}

/* Enrolls email (already signed in on c) and returns the secret. Leaves the
 * step it used in *used. */
static void enroll(struct client *c, unsigned char secret[TOTP_SECRET_BYTES], long long *used)
{
	char token[256];

	assert_int_equal(client_get(c, "/staff/account/2fa"), 200);
	assert_non_null(strstr(client_body(c), "<svg"));
	secret_from_page(client_body(c), secret);
	assert_int_equal(csrf_from(client_body(c), token, sizeof(token)), 0);
	*used = now_step();
	client_post_form(c, "/staff/account/2fa", "csrf", token, "code", code_at(secret, *used), NULL);
	H_ASSERT_REDIRECT(c, 303, "/staff/account?done=2fa");
}

static struct client *signed_in(const char *email, const char *password)
{
	struct client *c = client_new(srv);

	assert_int_equal(client_login(c, email, password), 303);
	return c;
}

/* ---- sessions ---- */

static void test_session_rotates_at_login(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	char planted[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	char first[128], second[128];

	/* A session id planted before login (fixation) is never adopted. */
	client_cookie_put(c, "onramp_session", planted);
	assert_int_equal(client_login(c, H_STAFF_EMAIL, H_STAFF_PASS), 303);
	assert_int_equal(client_cookie_get(c, "onramp_session", first, sizeof(first)), 0);
	assert_string_not_equal(first, planted);
	assert_int_equal(strlen(first), 43);

	/* A second login of the same person gets another id. */
	struct client *d = signed_in(H_STAFF_EMAIL, H_STAFF_PASS);
	assert_int_equal(client_cookie_get(d, "onramp_session", second, sizeof(second)), 0);
	assert_string_not_equal(first, second);
	/* Only hashes are stored. */
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM sessions WHERE token_hash = ?1", first), 0);
	client_free(c);
	client_free(d);
}

static void test_volunteer_account_page(void **state)
{
	(void)state;
	struct client *c = signed_in(H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS);

	/* Not an admin: no enrollment forced, the account page is there. */
	assert_int_equal(client_get(c, "/staff"), 200);
	assert_int_equal(client_get(c, "/staff/account"), 200);
	assert_non_null(strstr(client_body(c), "action=\"/staff/account/password\""));
	assert_non_null(strstr(client_body(c), "action=\"/staff/account/logout-all\""));
	client_free(c);
}

static void test_password_change_ends_other_sessions(void **state)
{
	(void)state;
	const char *email = "changer@example.org", *old_pw = "tangerine rowboat ladder 55";
	const char *new_pw = "violet canyon teapot 81";
	char before[128], after[128];

	assert_int_equal(harness_user_add(srv, email, "staff", old_pw), 0);
	struct client *a = signed_in(email, old_pw);
	struct client *b = signed_in(email, old_pw);
	assert_int_equal(client_cookie_get(a, "onramp_session", before, sizeof(before)), 0);

	/* The current password is required. */
	post_with_csrf(a, "/staff/account/password", "/staff/account", "current", "not my password at all",
	               "password", new_pw);
	/* password2 missing: the two new ones differ → 422 before any check. */
	H_ASSERT_STATUS(a, 422);
	char token[256];
	assert_int_equal(client_get(a, "/staff/account"), 200);
	assert_int_equal(csrf_from(client_body(a), token, sizeof(token)), 0);
	client_post_form(a, "/staff/account/password", "csrf", token, "current", "not my password at all",
	                 "password", new_pw, "password2", new_pw, NULL);
	H_ASSERT_STATUS(a, 422);
	assert_non_null(strstr(client_body(a), "current password is wrong"));
	/* A weak new one is refused. */
	client_post_form(a, "/staff/account/password", "csrf", token, "current", old_pw,
	                 "password", "password1234", "password2", "password1234", NULL);
	H_ASSERT_STATUS(a, 422);
	/* The change. */
	client_post_form(a, "/staff/account/password", "csrf", token, "current", old_pw,
	                 "password", new_pw, "password2", new_pw, NULL);
	H_ASSERT_REDIRECT(a, 303, "/staff/account?done=password");
	assert_int_equal(client_cookie_get(a, "onramp_session", after, sizeof(after)), 0);
	assert_string_not_equal(before, after);

	/* This browser stays signed in with its new session; the other is out. */
	assert_int_equal(client_get(a, "/staff"), 200);
	assert_int_equal(client_get(b, "/staff"), 303);
	/* The old session id is dead even when replayed. */
	struct client *thief = client_new(srv);
	client_cookie_put(thief, "onramp_session", before);
	assert_int_equal(client_get(thief, "/staff"), 303);

	/* Old password refused, new one works; the change is audited. */
	struct client *c = client_new(srv);
	assert_int_equal(client_login(c, email, old_pw), 401);
	assert_int_equal(client_login(c, email, new_pw), 303);
	assert_true(harness_db_int(srv, "SELECT count(*) FROM audit_log WHERE action = 'user.password_change'",
	                           NULL) >= 1);
	assert_int_equal(harness_db_rows_containing(srv, "SELECT after FROM audit_log", new_pw), 0);
	client_free(a);
	client_free(b);
	client_free(c);
	client_free(thief);
}

static void test_logout_everywhere(void **state)
{
	(void)state;
	struct client *a = signed_in(H_STAFF_EMAIL, H_STAFF_PASS);
	struct client *b = signed_in(H_STAFF_EMAIL, H_STAFF_PASS);

	assert_int_equal(client_get(b, "/staff"), 200);
	post_with_csrf(a, "/staff/account/logout-all", "/staff/account", NULL, NULL, NULL, NULL);
	H_ASSERT_REDIRECT(a, 303, "/login");
	assert_int_equal(client_get(a, "/staff"), 303);
	assert_int_equal(client_get(b, "/staff"), 303);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id"
	                                     " WHERE u.email = ?1", H_STAFF_EMAIL), 0);
	assert_true(harness_db_int(srv, "SELECT count(*) FROM audit_log WHERE action = 'user.logout_all'",
	                           NULL) >= 1);
	client_free(a);
	client_free(b);
}

/* ---- two-factor ---- */

static void test_admin_enrolls_then_logs_in_with_code(void **state)
{
	(void)state;
	unsigned char secret[TOTP_SECRET_BYTES], again[TOTP_SECRET_BYTES];
	char token[256], pending[128];
	long long used;
	struct client *c = signed_in(H_ADMIN_EMAIL, H_ADMIN_PASS);

	/* An admin without two-factor sees no other staff page. */
	H_ASSERT_STATUS(c, 303);
	assert_int_equal(client_get(c, "/staff"), 303);
	assert_string_equal(client_location_path(c), "/staff/account/2fa");
	assert_int_equal(client_get(c, "/staff/users"), 303);
	assert_int_equal(client_get(c, "/staff/account"), 303);
	assert_int_equal(client_get(c, "/login"), 303); /* signed in: on to /staff */
	/* Nor can it post: a form token from a page it may see. */
	assert_int_equal(client_get(c, "/staff/account/2fa"), 200);
	assert_int_equal(csrf_from(client_body(c), token, sizeof(token)), 0);
	client_post_form(c, "/staff/users", "csrf", token, "email", "x@example.org", "role", "admin",
	                 "password", "marble pigeon violin 77", NULL);
	H_ASSERT_STATUS(c, 403);

	/* The page shows the secret and a QR code; a reload shows the same one. */
	assert_int_equal(client_get(c, "/staff/account/2fa"), 200);
	secret_from_page(client_body(c), secret);
	assert_non_null(strstr(client_body(c), "<svg class=\"qr\""));
	assert_null(strstr(client_body(c), "<script"));
	assert_int_equal(client_get(c, "/staff/account/2fa"), 200);
	secret_from_page(client_body(c), again);
	assert_memory_equal(secret, again, TOTP_SECRET_BYTES);
	/* Stored sealed (nonce, authenticator, secret): tests/unit/test_totp.c
	 * shows the sealed form does not contain the secret. */
	assert_int_equal(harness_db_int(srv, "SELECT length(totp_secret) FROM users WHERE email = ?1",
	                                H_ADMIN_EMAIL), 60);
	/* A wrong code is refused. */
	assert_int_equal(csrf_from(client_body(c), token, sizeof(token)), 0);
	client_post_form(c, "/staff/account/2fa", "csrf", token, "code", "000000", NULL);
	if (strcmp(code_at(secret, now_step()), "000000") != 0)
		H_ASSERT_STATUS(c, 422);
	enroll(c, secret, &used);
	assert_memory_equal(secret, again, TOTP_SECRET_BYTES);
	assert_int_equal(client_get(c, "/staff"), 200);
	assert_int_equal(client_get(c, "/staff/users"), 200);
	assert_int_equal(harness_db_int(srv, "SELECT totp_enabled FROM users WHERE email = ?1", H_ADMIN_EMAIL), 1);
	assert_true(harness_db_int(srv, "SELECT count(*) FROM audit_log WHERE action = 'user.totp_enable'",
	                           NULL) >= 1);
	client_free(c);

	/* Login is now two steps; the password alone gives no session. */
	c = client_new(srv);
	assert_int_equal(client_login(c, H_ADMIN_EMAIL, H_ADMIN_PASS), 303);
	assert_string_equal(client_location_path(c), "/login/2fa");
	assert_null(client_set_cookie(c, "onramp_session"));
	assert_int_equal(client_get(c, "/staff"), 303);
	assert_string_equal(client_location_path(c), "/login");
	assert_int_equal(client_cookie_get(c, "onramp_login", pending, sizeof(pending)), 0);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM login_pending", NULL), 1);

	/* The code used at enrollment is spent. */
	assert_int_equal(client_get(c, "/login/2fa"), 200);
	assert_int_equal(csrf_from(client_body(c), token, sizeof(token)), 0);
	client_post_form(c, "/login/2fa", "csrf", token, "code", code_at(secret, used), NULL);
	H_ASSERT_STATUS(c, 401);
	assert_null(client_set_cookie(c, "onramp_session"));
	/* The next step's code works (a window of one step), with spaces. */
	{
		char spaced[16];
		const char *code = code_at(secret, used + 1);
		snprintf(spaced, sizeof(spaced), "%.3s %s", code, code + 3);
		client_post_form(c, "/login/2fa", "csrf", token, "code", spaced, NULL);
	}
	H_ASSERT_REDIRECT(c, 303, "/staff");
	assert_non_null(client_set_cookie(c, "onramp_session"));
	assert_int_equal(client_get(c, "/staff/users"), 200);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM login_pending", NULL), 0);
	/* The pending token is worthless once used. */
	struct client *d = client_new(srv);
	client_cookie_put(d, "onramp_login", pending);
	assert_int_equal(client_get(d, "/login/2fa"), 303);
	assert_string_equal(client_location_path(d), "/login");

	/* That code cannot be used again, even with a fresh password step. */
	assert_int_equal(client_login(d, H_ADMIN_EMAIL, H_ADMIN_PASS), 303);
	assert_int_equal(client_get(d, "/login/2fa"), 200);
	assert_int_equal(csrf_from(client_body(d), token, sizeof(token)), 0);
	client_post_form(d, "/login/2fa", "csrf", token, "code", code_at(secret, used + 1), NULL);
	H_ASSERT_STATUS(d, 401);

	client_free(c);
	client_free(d);

	/* Forged pending cookies lead back to the password. */
	c = client_new(srv);
	client_cookie_put(c, "onramp_login", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
	assert_int_equal(client_get(c, "/login/2fa"), 303);
	assert_int_equal(client_get(c, "/login"), 200);
	assert_int_equal(csrf_from(client_body(c), token, sizeof(token)), 0);
	client_post_form(c, "/login/2fa", "csrf", token, "code", code_at(secret, now_step()), NULL);
	H_ASSERT_REDIRECT(c, 303, "/login");
	client_free(c);

	/* Recovery on the command line: off again, sessions ended. */
	struct client *e = client_new(srv);
	struct cli_result r;
	const char *reset[] = { "user", "reset-2fa", "--email", H_ADMIN_EMAIL, NULL };
	const char *nobody[] = { "user", "reset-2fa", "--email", "nobody@example.org", NULL };
	harness_cli(srv, NULL, NULL, &r, reset);
	assert_int_equal(r.status, 0);
	assert_int_equal(harness_db_int(srv, "SELECT totp_enabled FROM users WHERE email = ?1", H_ADMIN_EMAIL), 0);
	assert_int_equal(harness_db_int(srv, "SELECT count(totp_secret) FROM users WHERE email = ?1", H_ADMIN_EMAIL), 0);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id"
	                                     " WHERE u.email = ?1", H_ADMIN_EMAIL), 0);
	assert_true(harness_db_int(srv, "SELECT count(*) FROM audit_log WHERE action = 'user.totp_reset'", NULL) >= 1);
	harness_cli(srv, NULL, NULL, &r, nobody);
	assert_int_equal(r.status, 1);
	/* The admin signs in with the password and is sent to enroll again. */
	assert_int_equal(client_login(e, H_ADMIN_EMAIL, H_ADMIN_PASS), 303);
	assert_string_equal(client_location_path(e), "/staff");
	assert_int_equal(client_get(e, "/staff"), 303);
	assert_string_equal(client_location_path(e), "/staff/account/2fa");
	client_free(e);
}

static void test_staff_may_enroll(void **state)
{
	(void)state;
	const char *email = "careful@example.org", *pw = "pebble lighthouse quartz 29";
	unsigned char secret[TOTP_SECRET_BYTES];
	long long used;

	assert_int_equal(harness_user_add(srv, email, "volunteer", pw), 0);
	struct client *c = signed_in(email, pw);
	enroll(c, secret, &used);
	assert_int_equal(client_get(c, "/staff/account"), 200);
	assert_non_null(strstr(client_body(c), "On. Each login asks for a code"));
	/* Enrolled already: the setup page sends back to the account. */
	assert_int_equal(client_get(c, "/staff/account/2fa"), 303);
	client_free(c);

	/* Wrong codes use the half-signed-in record up: after
	 * LIMIT_TOTP_ATTEMPTS (5) it is gone, and as they count like wrong
	 * passwords, the account is throttled too. */
	char token[256];
	struct client *d = client_new(srv);
	assert_int_equal(client_login(d, email, pw), 303);
	assert_string_equal(client_location_path(d), "/login/2fa");
	assert_int_equal(client_get(d, "/login/2fa"), 200);
	assert_int_equal(csrf_from(client_body(d), token, sizeof(token)), 0);
	for (int i = 0; i < 5; i++) {
		client_post_form(d, "/login/2fa", "csrf", token, "code", "12345x", NULL);
		if (i < 4)
			H_ASSERT_STATUS(d, 401);
	}
	H_ASSERT_REDIRECT(d, 303, "/login");
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM login_pending p JOIN users u"
	                                     " ON u.id = p.user_id WHERE u.email = ?1", email), 0);
	assert_int_equal(client_login(d, email, pw), 429);
	client_free(d);
}

/* ---- the audit log's chain ---- */

static void test_audit_verify_detects_an_edit(void **state)
{
	(void)state;
	struct cli_result r;
	const char *verify[] = { "audit", "verify", NULL };
	char want[64];
	long long n, id;

	/* Some entries exist (accounts added, password changes …). */
	n = harness_db_int(srv, "SELECT count(*) FROM audit_log", NULL);
	assert_true(n >= 3);
	harness_cli(srv, NULL, NULL, &r, verify);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "audit log intact: %lld entries", n);
	assert_non_null(strstr(r.out, want));

	/* Someone with the database file rewrites history. */
	id = harness_db_int(srv, "SELECT min(id) + 1 FROM audit_log", NULL);
	char sql[128];
	snprintf(sql, sizeof(sql), "UPDATE audit_log SET action = 'user.nothing' WHERE id = %lld", id);
	assert_int_equal(harness_db_exec(srv, sql), 0);

	harness_cli(srv, NULL, NULL, &r, verify);
	assert_int_equal(r.status, 1);
	snprintf(want, sizeof(want), "BROKEN at entry %lld", id);
	assert_non_null(strstr(r.out, want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_rotates_at_login),
		cmocka_unit_test(test_volunteer_account_page),
		cmocka_unit_test(test_password_change_ends_other_sessions),
		cmocka_unit_test(test_logout_everywhere),
		cmocka_unit_test(test_admin_enrolls_then_logs_in_with_code),
		cmocka_unit_test(test_staff_may_enroll),
		cmocka_unit_test(test_audit_verify_detects_an_edit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
