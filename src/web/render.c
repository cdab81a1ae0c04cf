/*
 * render.c — the common page context and shared page helpers. See render.h.
 *
 * The only place that puts a page into res->body: templates escape values,
 * so a handler hands over data (json) and never markup.
 * Threading: reentrant; the theme strings are deep-copied per request since
 * the registry's object is shared by every thread.
 */
#include "web/render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "config/config.h"
#include "domain/auth.h"
#include "domain/roles.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/templates.h"

static json_t *render_user(const struct staff_user *u)
{
	json_t *j = json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:b}",
	                 "email", u->email,
	                 "role", role_name(u->role),
	                 "can_people", (u->perms & PERM_PEOPLE_READ) != 0,
	                 "can_write", (u->perms & PERM_PEOPLE_WRITE) != 0,
	                 "can_merge", (u->perms & PERM_PEOPLE_MERGE) != 0,
	                 "can_audit", (u->perms & PERM_AUDIT_READ) != 0,
	                 "can_users", (u->perms & PERM_USERS_ADMIN) != 0);

	/* the pipeline (h-pipeline): staff pages for managing it, admin stages */
	if (j && (json_object_set_new(j, "can_pipeline",
	                              json_boolean((u->perms & PERM_PIPELINE_MANAGE) != 0)) < 0 ||
	          json_object_set_new(j, "can_stages",
	                              json_boolean((u->perms & PERM_PIPELINE_ADMIN) != 0)) < 0)) {
		json_decref(j);
		j = NULL;
	}
	/* mail (outbox, templates) */
	if (j && json_object_set_new(j, "can_mail", json_boolean((u->perms & PERM_MAIL_MANAGE) != 0)) < 0) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* Adds csrf, user, org, t and year to ctx. Returns 0 or -1 (out of memory). */
static int render_common(struct request *req, json_t *ctx)
{
	const struct app *app = req->app;
	const struct staff_user *u = web_user(req);
	const json_t *strings = templates_strings(app->templates);
	json_t *t, *org_name;
	time_t now = time(NULL);
	struct tm tm;
	int rc = 0;

	t = json_deep_copy(strings);
	if (!t)
		return -1;
	org_name = json_object_get(t, "org_name");
	if (json_is_string(org_name) && json_string_length(org_name) > 0)
		rc |= json_object_set_new(ctx, "org", json_pack("{s:O}", "name", org_name));
	else
		rc |= json_object_set_new(ctx, "org", json_pack("{s:s}", "name", app->cfg->org_name));
	rc |= json_object_set_new(ctx, "t", t);
	rc |= json_object_set_new(ctx, "csrf", json_string(req->csrf_token ? req->csrf_token : ""));
	if (u)
		rc |= json_object_set_new(ctx, "user", render_user(u));
	if (gmtime_r(&now, &tm))
		rc |= json_object_set_new(ctx, "year", json_integer(tm.tm_year + 1900));
	return rc ? -1 : 0;
}

int render_page(struct request *req, struct response *res, int status, const char *name,
                json_t *ctx)
{
	if (!ctx)
		ctx = json_object();
	if (!ctx || render_common(req, ctx) < 0) {
		log_error("render: out of memory building the context of %s", name);
		goto fail;
	}
	buf_reset(&res->body);
	if (templates_render(req->app->templates, name, ctx, &res->body) < 0 || buf_failed(&res->body)) {
		log_error("render: template %s failed", name);
		goto fail;
	}
	res->status = status;
	res->content_type = "text/html; charset=utf-8";
	json_decref(ctx);
	return 0;
fail:
	json_decref(ctx);
	buf_reset(&res->body);
	http_error(res, 500, "Something went wrong on our side. Please try again in a minute.");
	return 0;
}

static const char *render_error_title(int status)
{
	switch (status) {
	case 400: return "Something is wrong with that request";
	case 401: return "Please sign in";
	case 403: return "Not allowed";
	case 404: return "Page not found";
	case 405: return "That doesn't work here";
	case 413: return "That was too much to send";
	case 422: return "Please check your answers";
	case 429: return "Too many tries";
	case 503: return "We couldn't finish that just now";
	default:  return status >= 500 ? "Something went wrong" : "That didn't work";
	}
}

int render_error(struct request *req, struct response *res, int status, const char *message)
{
	json_t *ctx = json_pack("{s:i, s:s, s:s}", "status", status,
	                        "title", render_error_title(status),
	                        "message", message ? message : "");

	return render_page(req, res, status, "error", ctx);
}

const struct staff_user *web_user(const struct request *req)
{
	return req->user;
}

int web_can(const struct request *req, unsigned perm)
{
	const struct staff_user *u = web_user(req);

	return u && (u->perms & perm) == perm;
}

int web_parse_id(const char *s, long long *id)
{
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return -1;
	*id = v;
	return 0;
}

int web_path_id(const struct request *req, int i, long long *id)
{
	if (i < 0 || i >= (int)(sizeof(req->path_args) / sizeof(req->path_args[0])))
		return -1;
	return web_parse_id(req->path_args[i], id);
}

const char *web_format_time(struct request *req, long long secs, int with_time)
{
	char out[32];
	time_t t = (time_t)secs;
	struct tm tm;
	size_t n;

	if (!gmtime_r(&t, &tm))
		return NULL;
	n = strftime(out, sizeof(out), with_time ? "%Y-%m-%d %H:%M UTC" : "%Y-%m-%d", &tm);
	if (n == 0)
		return NULL;
	return arena_strndup(&req->arena, out, n);
}

static int query_encode(buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_addc(b, (char)*p);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hex[*p >> 4]);
			buf_addc(b, hex[*p & 15]);
		}
	}
	return buf_failed(b) ? -1 : 0;
}

int web_query_add(buf *b, const char *name, const char *value)
{
	if (!value || !*value)
		return buf_failed(b) ? -1 : 0;
	if (b->len > 0)
		buf_addc(b, '&');
	query_encode(b, name);
	buf_addc(b, '=');
	return query_encode(b, value);
}

const char *web_cookie_secure(const struct request *req)
{
	return (req->app && req->app->cfg && req->app->cfg->is_https) || req->is_https ? "; Secure" : "";
}

void web_wipe_param(struct request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->form.count; i++) {
		struct http_param *p = &req->form.items[i];

		if (strcmp(p->name, name) == 0 && p->value)
			sodium_memzero((void *)p->value, p->value_len);
	}
	if (req->body && req->body_len)
		sodium_memzero((void *)req->body, req->body_len);
}
