/*
 * page_account.c — a staff member's own account: GET /staff/account, the
 * password change (POST /staff/account/password) and "log out everywhere"
 * (POST /staff/account/logout-all).
 *
 * Every signed-in account may use these (WEB_ROUTE_SIGNED_IN). Changing the
 * password needs the current one (checked and throttled like a login); it
 * ends every session of the account — other browsers are signed out at
 * their next request — and gives this browser a fresh session, so the
 * person stays signed in here with a new session id. "Log out everywhere"
 * ends every session, this one included. Passwords are wiped from the
 * request once used and never echoed back into the form.
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

#define SESSION_COOKIE "onramp_session"

static int account_render(struct request *req, struct response *res, int status,
                          const char *error, const char *notice)
{
	const struct staff_user *u = web_user(req);
	json_t *ctx = json_pack("{s:b, s:b, s:i}", "totp_enabled", u->totp_enabled,
	                        "nav_account", 1, "password_min", LIMIT_PASSWORD_MIN);

	if (ctx && error)
		json_object_set_new(ctx, "form_error", json_string(error));
	if (ctx && notice)
		json_object_set_new(ctx, "notice", json_string(notice));
	return render_page(req, res, status, "account", ctx);
}

int page_account_show(struct request *req, struct response *res)
{
	const char *done = http_param_get(&req->query, "done");
	const char *notice = NULL;

	if (done && strcmp(done, "password") == 0)
		notice = "Your password is changed. Every other browser signed in as you was signed out.";
	else if (done && strcmp(done, "2fa") == 0)
		notice = "Two-factor sign-in is on. You will be asked for a code each time you log in.";
	return account_render(req, res, 200, NULL, notice);
}

int page_account_password(struct request *req, struct response *res)
{
	const char *current = http_param_get(&req->form, "current");
	const char *fresh = http_param_get(&req->form, "password");
	const char *again = http_param_get(&req->form, "password2");
	const char *problem = NULL, *cookie;
	char token[64];
	enum auth_result r;
	int same;

	if (!current || !*current || !fresh || !*fresh) {
		web_wipe_param(req, "current");
		web_wipe_param(req, "password");
		web_wipe_param(req, "password2");
		return account_render(req, res, 422, "Type your current password and a new one.", NULL);
	}
	same = again && strcmp(fresh, again) == 0;
	if (!same) {
		web_wipe_param(req, "current");
		web_wipe_param(req, "password");
		web_wipe_param(req, "password2");
		return account_render(req, res, 422, "The two new passwords are not the same.", NULL);
	}
	r = auth_password_change(req->app->db, web_user(req), current, fresh, req->client_ip, token,
	                         &problem);
	web_wipe_param(req, "current");
	web_wipe_param(req, "password");
	web_wipe_param(req, "password2");
	switch (r) {
	case AUTH_OK:
		break;
	case AUTH_BAD_CREDENTIALS:
		return account_render(req, res, 422, "Your current password is wrong.", NULL);
	case AUTH_WEAK_PASSWORD:
		return account_render(req, res, 422, problem ? problem : "Choose another password.", NULL);
	case AUTH_THROTTLED:
		http_add_header(res, "Retry-After", "900");
		return account_render(req, res, 429, "Too many attempts. Wait 15 minutes and try again.", NULL);
	case AUTH_ERROR:
	default:
		return account_render(req, res, 503,
		                      "We couldn't change your password just now. Nothing was changed; try again in a minute.",
		                      NULL);
	}
	cookie = arena_printf(&req->arena, "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%d%s",
	                      SESSION_COOKIE, token, LIMIT_SESSION_ABSOLUTE_SECONDS,
	                      web_cookie_secure(req));
	sodium_memzero(token, sizeof(token));
	if (!cookie || web_csrf_rotate(req, res) < 0) {
		http_error(res, 500, "Something went wrong on our side. Please try again in a minute.");
		return 0;
	}
	http_set_cookie(res, cookie);
	http_redirect(res, 303, "/staff/account?done=password");
	return 0;
}

int page_account_logout_all(struct request *req, struct response *res)
{
	const char *cookie;

	if (auth_logout_all(req->app->db, web_user(req)) < 0)
		return render_error(req, res, 503,
		                    "We couldn't sign you out everywhere just now. Please try again in a minute.");
	cookie = arena_printf(&req->arena, "%s=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s",
	                      SESSION_COOKIE, web_cookie_secure(req));
	if (cookie)
		http_set_cookie(res, cookie);
	http_redirect(res, 303, "/login");
	return 0;
}
