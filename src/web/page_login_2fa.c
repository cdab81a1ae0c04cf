/*
 * page_login_2fa.c — the second step of a staff login: GET/POST /login/2fa.
 *
 * After a right password for an account with two-factor on, /login sets the
 * "onramp_login" cookie (HttpOnly, SameSite=Lax, Path=/login, five minutes)
 * holding a random token that names a server-side half-signed-in record
 * (login_pending): the cookie itself grants nothing. Here the person types
 * the 6-digit code; a right one creates the session (a new token: the id
 * rotates), rotates the CSRF cookie and clears the pending cookie. A wrong
 * code answers 401 and counts against the account and the address like a
 * wrong password; after LIMIT_TOTP_ATTEMPTS the record is gone and the
 * person starts again from the password.
 * Threading: reentrant.
 */
#include <string.h>

#include <sodium.h>

#include "domain/auth.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

#define PENDING_COOKIE "onramp_login"
#define SESSION_COOKIE "onramp_session"

/* Sets (value non-NULL) or clears the pending cookie. Returns 0 or -1. */
static int login_2fa_cookie(struct request *req, struct response *res, const char *value)
{
	const char *cookie;

	if (value)
		cookie = arena_printf(&req->arena, "%s=%s; Path=/login; HttpOnly; SameSite=Lax; Max-Age=%d%s",
		                      PENDING_COOKIE, value, LIMIT_LOGIN_PENDING_SECONDS,
		                      web_cookie_secure(req));
	else
		cookie = arena_printf(&req->arena, "%s=; Path=/login; HttpOnly; SameSite=Lax; Max-Age=0%s",
		                      PENDING_COOKIE, web_cookie_secure(req));
	if (!cookie)
		return -1;
	http_set_cookie(res, cookie);
	return 0;
}

int web_login_pending_start(struct request *req, struct response *res, char token[64])
{
	int rc = login_2fa_cookie(req, res, token);

	sodium_memzero(token, 64);
	if (rc < 0) {
		http_error(res, 500, "Something went wrong on our side. Please try again in a minute.");
		return 0;
	}
	http_redirect(res, 303, "/login/2fa");
	return 0;
}

static int login_2fa_render(struct request *req, struct response *res, int status, const char *message)
{
	json_t *ctx = json_object();

	if (ctx && message)
		json_object_set_new(ctx, "error", json_string(message));
	return render_page(req, res, status, "login_2fa", ctx);
}

/* Back to the password step, forgetting the pending cookie. */
static int login_2fa_restart(struct request *req, struct response *res)
{
	if (login_2fa_cookie(req, res, NULL) < 0) {
		http_error(res, 500, "Something went wrong on our side. Please try again in a minute.");
		return 0;
	}
	http_redirect(res, 303, "/login");
	return 0;
}

int page_login_2fa_form(struct request *req, struct response *res)
{
	const char *token = http_param_get(&req->cookies, PENDING_COOKIE);
	struct staff_user u;

	if (web_user(req)) {
		http_redirect(res, 303, "/staff");
		return 0;
	}
	if (!token || auth_login_pending_check(req->app->db, token, &u) < 0)
		return login_2fa_restart(req, res);
	return login_2fa_render(req, res, 200, NULL);
}

int page_login_2fa_submit(struct request *req, struct response *res)
{
	const char *pending = http_param_get(&req->cookies, PENDING_COOKIE);
	const char *code = http_param_get(&req->form, "code");
	char token[64];
	struct staff_user user;
	enum auth_result r;
	const char *cookie;

	if (!pending)
		return login_2fa_restart(req, res);
	if (!code || strlen(code) > 32)
		code = "";
	r = auth_login_totp(req->app->db, req->app->keys, pending, code, req->client_ip, token, &user);
	web_wipe_param(req, "code");
	switch (r) {
	case AUTH_OK:
		break;
	case AUTH_BAD_CREDENTIALS:
		return login_2fa_render(req, res, 401,
		                        "That code is wrong or was used already. Type the newest code from your app.");
	case AUTH_PENDING_GONE:
		return login_2fa_restart(req, res);
	case AUTH_THROTTLED:
		http_add_header(res, "Retry-After", "900");
		return login_2fa_render(req, res, 429, "Too many attempts. Wait 15 minutes and try again.");
	case AUTH_ERROR:
	default:
		return login_2fa_render(req, res, 503,
		                        "We couldn't sign you in just now. Please try again in a minute.");
	}
	cookie = arena_printf(&req->arena, "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%d%s",
	                      SESSION_COOKIE, token, LIMIT_SESSION_ABSOLUTE_SECONDS,
	                      web_cookie_secure(req));
	sodium_memzero(token, sizeof(token));
	if (!cookie || web_csrf_rotate(req, res) < 0 || login_2fa_cookie(req, res, NULL) < 0) {
		http_error(res, 500, "Something went wrong on our side. Please try again in a minute.");
		return 0;
	}
	http_set_cookie(res, cookie);
	log_info("login: user %lld signed in with two-factor", user.id);
	http_redirect(res, 303, "/staff");
	return 0;
}
