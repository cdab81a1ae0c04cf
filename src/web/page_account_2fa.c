/*
 * page_account_2fa.c — turning on two-factor sign-in: GET and POST
 * /staff/account/2fa.
 *
 * GET shows the secret in base32 (to type into an app) and as a QR code of
 * the otpauth:// URI, drawn by the server as an inline <svg> (qr_svg.c: no
 * script is needed, and the CSP allows none). The secret waits, sealed, in
 * the database until a code from it is typed (POST): then two-factor is on.
 * A reload shows the same secret, so a code scanned already stays valid.
 *
 * Admins must pass here before any other staff page (web_dispatch sends
 * them, unless ONRAMP_ADMIN_2FA=optional); the route carries
 * WEB_ROUTE_2FA_SETUP so that gate lets it through. Turning two-factor off
 * is a recovery step on the command line (`onramp user reset-2fa`).
 * Threading: reentrant.
 */
#include <string.h>

#include <sodium.h>

#include "config/config.h"
#include "domain/auth.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/qr_svg.h"
#include "web/render.h"
#include "web/routes.h"

static int account_2fa_render(struct request *req, struct response *res, int status, const char *error)
{
	const struct staff_user *u = web_user(req);
	char b32[40], grouped[64];
	buf uri, svg;
	json_t *ctx = NULL;
	size_t i, n = 0;
	int rc;

	if (u->totp_enabled) {
		http_redirect(res, 303, "/staff/account");
		return 0;
	}
	buf_init(&uri, 1024);
	buf_init(&svg, 256 * 1024);
	rc = auth_totp_setup(req->app->db, req->app->keys, u, req->app->cfg->org_name, b32, &uri);
	if (rc == 1) {
		http_redirect(res, 303, "/staff/account");
		goto done;
	}
	if (rc != 0) {
		render_error(req, res, 503, "We couldn't start two-factor sign-in just now. Please try again in a minute.");
		goto done;
	}
	if (web_qr_svg(&svg, buf_str(&uri), "QR code with your two-factor secret") < 0) {
		log_error("2fa: drawing the QR code failed");
		render_error(req, res, 500, "Something went wrong on our side. Please try again in a minute.");
		goto done;
	}
	/* Groups of four are easier to type: ABCD EFGH … */
	for (i = 0; b32[i] && n + 2 < sizeof(grouped); i++) {
		if (i && i % 4 == 0)
			grouped[n++] = ' ';
		grouped[n++] = b32[i];
	}
	grouped[n] = '\0';
	ctx = json_pack("{s:s, s:s, s:b, s:b}", "secret", grouped, "qr_svg", buf_str(&svg),
	                "nav_account", 1, "required", (u->perms & PERM_USERS_ADMIN) != 0);
	if (ctx && error)
		json_object_set_new(ctx, "error", json_string(error));
	render_page(req, res, status, "account_2fa", ctx);
done:
	sodium_memzero(b32, sizeof(b32));
	sodium_memzero(grouped, sizeof(grouped));
	if (uri.data)
		sodium_memzero(uri.data, uri.len);
	buf_free(&uri);
	buf_free(&svg);
	return 0;
}

int page_account_2fa_form(struct request *req, struct response *res)
{
	return account_2fa_render(req, res, 200, NULL);
}

int page_account_2fa_confirm(struct request *req, struct response *res)
{
	const char *code = http_param_get(&req->form, "code");
	enum auth_result r;

	if (web_user(req)->totp_enabled) {
		http_redirect(res, 303, "/staff/account");
		return 0;
	}
	if (!code || strlen(code) > 32)
		code = "";
	r = auth_totp_enable(req->app->db, req->app->keys, web_user(req), code);
	web_wipe_param(req, "code");
	if (r == AUTH_BAD_CREDENTIALS)
		return account_2fa_render(req, res, 422,
		                          "That code is not right. Check the app shows this site, and type its newest code.");
	if (r != AUTH_OK)
		return render_error(req, res, 503, "We couldn't turn on two-factor sign-in just now. Please try again in a minute.");
	http_redirect(res, 303, "/staff/account?done=2fa");
	return 0;
}
