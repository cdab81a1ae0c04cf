/*
 * page_login.c — GET/POST /login and POST /logout: staff sign in and out.
 *
 * A successful login sets the session cookie (HttpOnly, SameSite=Lax,
 * Max-Age of the absolute session lifetime, Secure on https) and rotates the
 * CSRF cookie, so a token seen before login is worthless after it. A wrong
 * email and a wrong password get the same answer (no account probing); the
 * password is wiped from the request's memory as soon as it was checked.
 * Throttling lives in the domain (auth_login), in the database, so it holds
 * across server processes. With two-factor on, the password step ends at
 * /login/2fa instead (page_login_2fa.c), and no session exists until the
 * code is right.
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

static int login_render(struct request *req, struct response *res, int status, const char *email,
                        const char *message)
{
	json_t *ctx = json_object();

	if (ctx) {
		json_object_set_new(ctx, "email", json_string(email ? email : ""));
		if (message)
			json_object_set_new(ctx, "error", json_string(message));
	}
	return render_page(req, res, status, "login", ctx);
}

int page_login_form(struct request *req, struct response *res)
{
	if (web_user(req)) {
		http_redirect(res, 303, "/staff");
		return 0;
	}
	return login_render(req, res, 200, NULL, NULL);
}

int page_login_submit(struct request *req, struct response *res)
{
	const char *email = http_param_get(&req->form, "email");
	const char *password = http_param_get(&req->form, "password");
	char token[64];
	struct staff_user user;
	enum auth_result r;
	const char *cookie;

	if (!email || strlen(email) > LIMIT_EMAIL)
		email = "";
	if (!password || strlen(password) > LIMIT_PASSWORD_MAX)
		password = "";
	if (!*email || !*password) {
		web_wipe_param(req, "password");
		return login_render(req, res, 401, email, "Email or password is wrong");
	}
	r = auth_login(req->app->db, email, password, req->client_ip, token, &user);
	web_wipe_param(req, "password");
	switch (r) {
	case AUTH_OK:
		break;
	case AUTH_TOTP_NEEDED:
		return web_login_pending_start(req, res, token);
	case AUTH_BAD_CREDENTIALS:
		return login_render(req, res, 401, email, "Email or password is wrong");
	case AUTH_THROTTLED:
		http_add_header(res, "Retry-After", "900");
		return login_render(req, res, 429, email, "Too many attempts. Wait 15 minutes and try again.");
	case AUTH_ERROR:
	default:
		return login_render(req, res, 503, email,
		                    "We couldn't sign you in just now. Please try again in a minute.");
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
	log_info("login: user %lld signed in", user.id);
	http_redirect(res, 303, "/staff");
	return 0;
}

int page_logout(struct request *req, struct response *res)
{
	const char *cookie;

	if (req->session_token && auth_logout(req->app->db, req->session_token) < 0)
		log_error("logout: ending the session failed");
	cookie = arena_printf(&req->arena, "%s=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s",
	                      SESSION_COOKIE, web_cookie_secure(req));
	if (cookie)
		http_set_cookie(res, cookie);
	http_redirect(res, 303, "/login");
	return 0;
}
