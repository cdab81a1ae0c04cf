/*
 * routes.c — the route table and the dispatcher. See routes.h.
 *
 * The table is the single source of truth for who may do what
 * (docs/ROUTES.md explains it). Authorization and the CSRF check happen here,
 * before any handler runs, so a page cannot forget them; templates only hide
 * what the server already refuses.
 *
 * Threading: the table is constant; everything per request lives in
 * req->arena.
 */
#include "web/routes.h"

#include <string.h>

#include "config/config.h"
#include "domain/auth.h"
#include "domain/keys.h"
#include "domain/roles.h"
#include "http/csrf.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/metrics.h"
#include "web/render.h"

#define SESSION_COOKIE "onramp_session"

const struct route web_routes[] = {
	{ HTTP_GET,  "/",                         page_home,          0, 0 },
	{ HTTP_GET,  "/signup",                   page_signup_form,   0, 0 },
	{ HTTP_POST, "/signup",                   page_signup_submit, 0, 0 },
	{ HTTP_GET,  "/signup/thanks",            page_signup_thanks, 0, 0 },
	{ HTTP_GET,  "/nominate",                 page_nominate_form,   0, 0 },
	{ HTTP_POST, "/nominate",                 page_nominate_submit, 0, 0 },
	{ HTTP_GET,  "/nominate/thanks",          page_nominate_thanks, 0, 0 },
	{ HTTP_GET,  "/unsubscribe",              page_unsubscribe_form,   0, 0 },
	{ HTTP_POST, "/unsubscribe",              page_unsubscribe_submit, 0, ROUTE_NO_CSRF }, /* RFC 8058; the signed token authenticates */
	{ HTTP_GET,  "/login",                    page_login_form,    0, 0 },
	{ HTTP_POST, "/login",                    page_login_submit,  0, 0 },
	{ HTTP_GET,  "/login/2fa",                page_login_2fa_form,   0, 0 },
	{ HTTP_POST, "/login/2fa",                page_login_2fa_submit, 0, 0 },
	{ HTTP_POST, "/logout",                   page_logout,        0, WEB_ROUTE_SIGNED_IN | WEB_ROUTE_2FA_SETUP },
	{ HTTP_GET,  "/staff/account",            page_account_show,        0, WEB_ROUTE_SIGNED_IN },
	{ HTTP_POST, "/staff/account/password",   page_account_password,    0, WEB_ROUTE_SIGNED_IN },
	{ HTTP_POST, "/staff/account/logout-all", page_account_logout_all,  0, WEB_ROUTE_SIGNED_IN | WEB_ROUTE_2FA_SETUP },
	{ HTTP_GET,  "/staff/account/2fa",        page_account_2fa_form,    0, WEB_ROUTE_SIGNED_IN | WEB_ROUTE_2FA_SETUP },
	{ HTTP_POST, "/staff/account/2fa",        page_account_2fa_confirm, 0, WEB_ROUTE_SIGNED_IN | WEB_ROUTE_2FA_SETUP },
	{ HTTP_GET,  "/staff",                    page_staff_home,    PERM_PEOPLE_READ, 0 },
	{ HTTP_GET,  "/staff/people",             page_people_list,   PERM_PEOPLE_READ, 0 },
	{ HTTP_GET,  "/staff/people/{}",          page_person_show,   PERM_PEOPLE_READ, 0 },
	{ HTTP_POST, "/staff/people/{}/notes",    page_person_note,   PERM_PEOPLE_WRITE, 0 },
	{ HTTP_POST, "/staff/people/{}/merge",    page_person_merge,  PERM_PEOPLE_MERGE, 0 },
	{ HTTP_GET,  "/staff/flags",              page_flags_list,    PERM_PEOPLE_MERGE, 0 },
	{ HTTP_POST, "/staff/flags/{}/dismiss",   page_flags_dismiss, PERM_PEOPLE_MERGE, 0 },
	{ HTTP_GET,  "/staff/audit",              page_audit_list,    PERM_AUDIT_READ, 0 },
	{ HTTP_GET,  "/staff/users",              page_users_list,    PERM_USERS_ADMIN, 0 },
	{ HTTP_POST, "/staff/users",              page_users_add,     PERM_USERS_ADMIN, 0 },
	/* The pipeline (h-pipeline): person routes also check, per person, that a
	 * user without PERM_PEOPLE_READ_ALL is assigned to them. */
	{ HTTP_GET,  "/staff/calls",              page_calls_mine,    PERM_PEOPLE_READ, 0 },
	{ HTTP_GET,  "/staff/people/{}/call",     page_call_show,     PERM_PEOPLE_READ, 0 },
	{ HTTP_POST, "/staff/people/{}/calls",    page_call_log,      PERM_PEOPLE_WRITE, 0 },
	{ HTTP_POST, "/staff/people/{}/stage",    page_person_stage,  PERM_PEOPLE_WRITE, 0 },
	{ HTTP_POST, "/staff/people/{}/assign",   page_person_assign, PERM_PIPELINE_MANAGE, 0 },
	{ HTTP_POST, "/staff/people/{}/tags",     page_person_tag,    PERM_PEOPLE_WRITE, 0 },
	{ HTTP_GET,  "/staff/people/bulk",        page_bulk_form,     PERM_PIPELINE_MANAGE, 0 },
	{ HTTP_POST, "/staff/people/bulk",        page_bulk_apply,    PERM_PIPELINE_MANAGE, 0 },
	{ HTTP_GET,  "/staff/tasks",              page_tasks_mine,    PERM_PEOPLE_READ, 0 },
	{ HTTP_POST, "/staff/tasks",              page_tasks_add,     PERM_PEOPLE_WRITE, 0 },
	{ HTTP_POST, "/staff/tasks/{}/done",      page_tasks_done,    PERM_PEOPLE_WRITE, 0 },
	{ HTTP_GET,  "/staff/views",              page_views_list,    PERM_PIPELINE_MANAGE, 0 },
	{ HTTP_POST, "/staff/views",              page_views_save,    PERM_PIPELINE_MANAGE, 0 },
	{ HTTP_POST, "/staff/views/{}/delete",    page_views_delete,  PERM_PIPELINE_MANAGE, 0 },
	{ HTTP_GET,  "/staff/volunteers",         page_volunteers_list, PERM_PIPELINE_MANAGE, 0 },
	{ HTTP_POST, "/staff/volunteers/{}",      page_volunteers_save, PERM_PIPELINE_MANAGE, 0 },
	{ HTTP_GET,  "/staff/stages",             page_stages_list,   PERM_PIPELINE_ADMIN, 0 },
	{ HTTP_POST, "/staff/stages",             page_stages_add,    PERM_PIPELINE_ADMIN, 0 },
	{ HTTP_POST, "/staff/stages/{}",          page_stages_save,   PERM_PIPELINE_ADMIN, 0 },
	{ HTTP_GET,  "/staff/dropoff",            page_dropoff_list,  PERM_PIPELINE_MANAGE, 0 },
	{ HTTP_POST, "/staff/dropoff",            page_dropoff_settings, PERM_PIPELINE_MANAGE, 0 },
	{ HTTP_GET,  "/staff/reports/funnel",     page_funnel_report, PERM_PIPELINE_MANAGE, 0 },
	{ HTTP_POST, "/intake",                   page_intake_post,   0, ROUTE_PREFIX | ROUTE_NO_CSRF | WEB_ROUTE_BARE | WEB_ROUTE_EVENT_LOOP },
	{ HTTP_GET,  "/staff/forms",              page_forms_list,    PERM_PEOPLE_MERGE, 0 },
	{ HTTP_POST, "/staff/forms",              page_forms_create,  PERM_PEOPLE_MERGE, 0 },
	{ HTTP_GET,  "/staff/forms/{}",           page_form_show,     PERM_PEOPLE_MERGE, 0 },
	{ HTTP_POST, "/staff/forms/{}",           page_form_update,   PERM_PEOPLE_MERGE, 0 },
	{ HTTP_POST, "/staff/forms/{}/rotate",    page_form_rotate,   PERM_PEOPLE_MERGE, 0 },
	{ HTTP_GET,  "/staff/rejected/{}",        page_rejected_show, PERM_PEOPLE_MERGE, 0 },
	{ HTTP_POST, "/staff/rejected/{}/replay", page_rejected_replay, PERM_PEOPLE_MERGE, 0 },
	{ HTTP_GET,  "/staff/compliance",         page_compliance,    PERM_PEOPLE_READ, 0 },
	{ HTTP_GET,  "/staff/compliance.json",    page_compliance_json, PERM_PEOPLE_READ, 0 },
	{ HTTP_GET,  "/staff/compliance/export.csv", page_compliance_csv, PERM_PEOPLE_MERGE, 0 },
	{ HTTP_GET,  "/staff/mail",               page_mail_outbox,   PERM_MAIL_MANAGE, 0 },
	{ HTTP_GET,  "/staff/mail/{}",            page_mail_message,  PERM_MAIL_MANAGE, 0 },
	{ HTTP_GET,  "/staff/mail/templates",     page_mail_templates, PERM_MAIL_MANAGE, 0 },
	{ HTTP_GET,  "/staff/mail/templates/{}",  page_mail_template_edit, PERM_MAIL_MANAGE, 0 },
	{ HTTP_POST, "/staff/mail/templates/{}",  page_mail_template_save, PERM_MAIL_MANAGE, 0 },
	{ HTTP_GET,  "/races",                    page_races_find,    0, 0 },
	{ HTTP_GET,  "/races/calendar",           page_races_calendar, 0, 0 },
	{ HTTP_GET,  "/staff/races",              page_races_coverage, PERM_PEOPLE_READ, 0 },
	{ HTTP_GET,  "/staff/races/map",          page_races_map,     PERM_PEOPLE_READ, 0 },
	{ HTTP_GET,  "/staff/races/{}",           page_races_call_list, PERM_PEOPLE_READ, 0 },
	{ HTTP_GET,  "/staff/people/{}/races",    page_person_races,  PERM_PEOPLE_READ, 0 },
	{ HTTP_POST, "/staff/people/{}/races",    page_person_races_save, PERM_PEOPLE_WRITE, 0 },
	{ HTTP_GET,  "/staff/people/{}/calendar", page_person_calendar, PERM_PEOPLE_READ, 0 },
	{ HTTP_GET,  "/static",                   page_static_file,   0, ROUTE_PREFIX | WEB_ROUTE_BARE | WEB_ROUTE_EVENT_LOOP },
	{ HTTP_GET,  "/healthz",                  page_health,        0, WEB_ROUTE_BARE | WEB_ROUTE_EVENT_LOOP },
	{ HTTP_GET,  "/readyz",                   page_ready,         0, WEB_ROUTE_BARE },
	{ HTTP_GET,  "/metrics",                  page_metrics,       0, WEB_ROUTE_BARE },
};
const size_t web_routes_count = sizeof(web_routes) / sizeof(web_routes[0]);

int web_csrf_rotate(struct request *req, struct response *res)
{
	char cookie[CSRF_TOKEN_LEN], token[CSRF_TOKEN_LEN];
	const char *header;

	csrf_new_cookie(cookie);
	if (csrf_token(req->app->keys->csrf, cookie, token) < 0)
		return -1;
	header = arena_printf(&req->arena, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s", CSRF_COOKIE,
	                      cookie, web_cookie_secure(req));
	req->csrf_token = arena_strdup(&req->arena, token);
	if (!header || !req->csrf_token)
		return -1;
	http_set_cookie(res, header);
	return 0;
}

/* Ensures the visitor has a valid CSRF cookie and sets req->csrf_token.
 * *sent is the cookie the browser sent, if valid (what a POST is checked
 * against), else NULL. Returns 0 or -1. */
static int dispatch_csrf(struct request *req, struct response *res, const char **sent)
{
	char token[CSRF_TOKEN_LEN];
	const char *cookie = http_param_get(&req->cookies, CSRF_COOKIE);

	*sent = NULL;
	if (cookie && csrf_token(req->app->keys->csrf, cookie, token) == 0) {
		req->csrf_token = arena_strdup(&req->arena, token);
		*sent = cookie;
		return req->csrf_token ? 0 : -1;
	}
	return web_csrf_rotate(req, res);
}

/* Resolves the session cookie into req->user. A cookie that no longer names
 * a live session is expired so the browser stops sending it. */
static void dispatch_session(struct request *req, struct response *res)
{
	const char *token = http_param_get(&req->cookies, SESSION_COOKIE);
	struct staff_user *u;
	const char *expire;

	if (!token || !*token)
		return;
	u = arena_alloc(&req->arena, sizeof(*u));
	if (u && strlen(token) < 64 && auth_session_check(req->app->db, token, u) == 0) {
		req->user = u;
		req->session_token = token;
		return;
	}
	expire = arena_printf(&req->arena, "%s=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s",
	                      SESSION_COOKIE, web_cookie_secure(req));
	if (expire)
		http_set_cookie(res, expire);
}

/* 1 if the signed-in account administers accounts, has no two-factor
 * sign-in yet, and r is a page behind the sign-in other than the
 * enrollment itself (and logging out): such an admin sees nothing else
 * until two-factor is on (unless ONRAMP_ADMIN_2FA=optional). */
static int dispatch_needs_2fa(const struct request *req, const struct route *r)
{
	const struct staff_user *u = req->user;

	if (!u || u->totp_enabled || !(u->perms & PERM_USERS_ADMIN) || req->app->cfg->admin_2fa_optional)
		return 0;
	if (r->flags & WEB_ROUTE_2FA_SETUP)
		return 0;
	return r->perm != 0 || (r->flags & WEB_ROUTE_SIGNED_IN) != 0;
}

/* Answers 405 with the methods the path does answer. */
static int dispatch_not_allowed(struct request *req, struct response *res)
{
	struct request probe = *req;
	int known = 0, get, post;
	const char *allow;

	probe.method = HTTP_GET;
	get = router_match(web_routes, web_routes_count, &probe, &known) != NULL;
	probe.method = HTTP_POST;
	post = router_match(web_routes, web_routes_count, &probe, &known) != NULL;
	allow = get && post ? "GET, HEAD, POST" : get ? "GET, HEAD" : post ? "POST" : "";
	http_add_header(res, "Allow", allow);
	return render_error(req, res, 405, "This page can't be used that way. Go back and try again.");
}

/* Everything web_dispatch does but counting: r is the matched route. */
static int dispatch_route(struct request *req, struct response *res, const struct route *r,
                          int known)
{
	const char *sent_cookie, *form_token;

	if (r && (r->flags & WEB_ROUTE_BARE))
		return r->handler(req, res);

	if (dispatch_csrf(req, res, &sent_cookie) < 0) {
		log_error("dispatch: out of memory");
		http_error(res, 500, "Something went wrong on our side. Please try again in a minute.");
		return 0;
	}
	dispatch_session(req, res);

	if (!r) {
		if (known)
			return dispatch_not_allowed(req, res);
		return render_error(req, res, 404, "There is no page at this address. Check the link, or start from the home page.");
	}

	if (!req->user && (r->flags & WEB_ROUTE_SIGNED_IN)) {
		http_redirect(res, 303, "/login");
		return 0;
	}
	if (r->perm != 0) {
		if (!req->user) {
			if (req->method == HTTP_POST)
				return render_error(req, res, 403, "You are signed out. Sign in again, then try once more.");
			http_redirect(res, 303, "/login");
			return 0;
		}
		if (!web_can(req, r->perm))
			return render_error(req, res, 403, "You don't have access to this page");
	}

	if (dispatch_needs_2fa(req, r)) {
		if (req->method == HTTP_POST)
			return render_error(req, res, 403, "Turn on two-factor sign-in first: administrator accounts need it.");
		http_redirect(res, 303, "/staff/account/2fa");
		return 0;
	}

	if (req->method == HTTP_POST && !(r->flags & ROUTE_NO_CSRF)) {
		form_token = http_param_get(&req->form, CSRF_FIELD);
		if (!sent_cookie || !form_token || !csrf_verify(req->app->keys->csrf, sent_cookie, form_token))
			return render_error(req, res, 403, "This form has expired. Go back, reload the page and try again.");
	}
	return r->handler(req, res);
}

/* Counts an answered request in the metrics. */
static void dispatch_count(const struct request *req, const struct response *res, int rc)
{
	metrics_record(req->route_index, rc == 0 ? res->status : 500,
	               metrics_now_us() - req->started_us);
}

int web_dispatch(struct request *req, struct response *res)
{
	const struct route *r;
	int known = 0, rc;

	r = router_match(web_routes, web_routes_count, req, &known);
	/* The event loop runs only the routes that never block; the rest
	 * (sessions, the database, password hashing) go to a worker. */
	if (req->on_event_loop && !(r && (r->flags & WEB_ROUTE_EVENT_LOOP)))
		return HTTP_DISPATCH_WORKER;
	req->started_us = metrics_now_us();
	req->route_index = r ? (int)(r - web_routes) : -1;
	req->resume = NULL;
	rc = dispatch_route(req, res, r, known);
	if (req->resume == NULL)  /* else parked: counted when it is answered */
		dispatch_count(req, res, rc);
	return rc;
}

/* The continuation of every parked page: the page's own, then the count. */
static int web_resumed(struct request *req, struct response *res)
{
	http_handler cont = req->resume;
	int rc;

	req->resume = NULL;
	rc = cont(req, res);
	if (req->resume == NULL)
		dispatch_count(req, res, rc);
	return rc;
}

int web_suspend(struct request *req, http_handler cont)
{
	if (http_suspend(req, web_resumed) < 0)
		return -1;
	req->resume = cont;
	return 0;
}
