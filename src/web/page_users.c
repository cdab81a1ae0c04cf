/*
 * page_users.c — GET /staff/users (the accounts and a form to add one) and
 * POST /staff/users (add it).
 *
 * Admins only (PERM_USERS_ADMIN, enforced by the route). The domain checks
 * the email, role and password strength and audits the addition; a refusal
 * comes back as 422 with its reason and the form keeps the email and role
 * (never the password, which is wiped from the request once used).
 * Threading: reentrant.
 */
#include <string.h>

#include "domain/auth.h"
#include "domain/roles.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

static const enum role users_roles[] = { ROLE_VOLUNTEER, ROLE_STAFF, ROLE_ADMIN };

static int users_render(struct request *req, struct response *res, int status, const char *email,
                        enum role role, const char *error)
{
	json_t *rows = NULL, *row, *at, *roles, *ctx;
	size_t i;

	if (auth_users_list(req->app->db, &rows) < 0) {
		log_error("users: listing failed");
		return render_error(req, res, 503, "We couldn't load the accounts just now. Reload the page in a minute.");
	}
	json_array_foreach(rows, i, row) {
		at = json_object_get(row, "created_at");
		if (json_is_integer(at)) {
			const char *d = web_format_time(req, json_integer_value(at), 0);

			if (d)
				json_object_set_new(row, "created", json_string(d));
		}
	}
	roles = json_array();
	for (i = 0; roles && i < sizeof(users_roles) / sizeof(users_roles[0]); i++)
		json_array_append_new(roles, json_pack("{s:s, s:b}", "code", role_name(users_roles[i]),
		                                       "selected", users_roles[i] == role));
	ctx = json_pack("{s:o, s:o, s:s, s:b}", "users", rows, "roles", roles,
	                "email", email ? email : "", "nav_users", 1);
	if (ctx && error)
		json_object_set_new(ctx, "form_error", json_string(error));
	return render_page(req, res, status, "users", ctx);
}

int page_users_list(struct request *req, struct response *res)
{
	return users_render(req, res, 200, NULL, ROLE_VOLUNTEER, NULL);
}

int page_users_add(struct request *req, struct response *res)
{
	const char *email = http_param_get(&req->form, "email");
	const char *role_text = http_param_get(&req->form, "role");
	const char *password = http_param_get(&req->form, "password");
	enum role role = role_parse(role_text ? role_text : "");
	char err[256] = "";
	int rc;

	if (!email || strlen(email) > LIMIT_EMAIL)
		email = "";
	if (role == ROLE_NONE) {
		web_wipe_param(req, "password");
		return users_render(req, res, 422, email, ROLE_VOLUNTEER, "Choose a role: volunteer, staff or admin.");
	}
	if (!password || !*password) {
		return users_render(req, res, 422, email, role, "Choose a password for the account.");
	}
	rc = auth_user_add(req->app->db, web_user(req), email, role, password, err, sizeof(err));
	web_wipe_param(req, "password");
	if (rc == -2)
		return users_render(req, res, 503, email, role,
		                    "We couldn't add the account just now. Nothing was saved: try again in a minute.");
	if (rc < 0)
		return users_render(req, res, 422, email, role, err[0] ? err : "The account could not be added.");
	http_redirect(res, 303, "/staff/users");
	return 0;
}
