/*
 * routes.h — the web application's route table, its dispatcher, and the
 * page handlers it calls (one file per page: web/page_*.c).
 *
 * web_dispatch() is the http_handler the server calls for every request.
 * Before any handler runs it: gives the visitor a CSRF cookie, resolves the
 * staff session, matches the route (404 / 405 with Allow), enforces the
 * route's permission (signed out: 303 to /login for GET, 403 for POST;
 * lacking the permission: 403) and, for every POST route without
 * ROUTE_NO_CSRF, verifies the form's csrf field (403). So a handler can rely
 * on req->user having the route's permission and on a POST being genuine.
 *
 * Threading: the table is constant; web_dispatch is reentrant.
 */
#ifndef ONRAMP_ROUTES_H
#define ONRAMP_ROUTES_H

#include <stddef.h>

#include "http/http.h"
#include "http/router.h"

/* Web-layer route flags (bits 0..7 belong to the router's ROUTE_*). */
enum {
	WEB_ROUTE_SIGNED_IN = 1u << 8,  /* needs a session even though perm is 0 (/logout) */
	WEB_ROUTE_BARE      = 1u << 9,  /* no cookies or session (static files, /healthz) */
};

/* The route table exactly as docs/ROUTES.md (for the authorization-matrix test). */
extern const struct route web_routes[];
extern const size_t web_routes_count;

/* The http_handler for every request (see above). Returns 0. */
int web_dispatch(struct request *req, struct response *res);

/* Page handlers. Each fills res (usually through render_page) and returns 0. */
int page_home(struct request *req, struct response *res);            /* GET / */
int page_signup_form(struct request *req, struct response *res);     /* GET /signup */
int page_signup_submit(struct request *req, struct response *res);   /* POST /signup */
int page_signup_thanks(struct request *req, struct response *res);   /* GET /signup/thanks */
int page_login_form(struct request *req, struct response *res);      /* GET /login */
int page_login_submit(struct request *req, struct response *res);    /* POST /login */
int page_logout(struct request *req, struct response *res);          /* POST /logout */
int page_staff_home(struct request *req, struct response *res);      /* GET /staff */
int page_people_list(struct request *req, struct response *res);     /* GET /staff/people */
int page_person_show(struct request *req, struct response *res);     /* GET /staff/people/{} */
int page_person_note(struct request *req, struct response *res);     /* POST /staff/people/{}/notes */
int page_person_merge(struct request *req, struct response *res);    /* POST /staff/people/{}/merge */
int page_flags_list(struct request *req, struct response *res);      /* GET /staff/flags */
int page_flags_dismiss(struct request *req, struct response *res);   /* POST /staff/flags/{}/dismiss */
int page_audit_list(struct request *req, struct response *res);      /* GET /staff/audit */
int page_users_list(struct request *req, struct response *res);      /* GET /staff/users */
int page_users_add(struct request *req, struct response *res);       /* POST /staff/users */
int page_static_file(struct request *req, struct response *res);     /* GET /static/… */
int page_health(struct request *req, struct response *res);          /* GET /healthz */

/* The Set-Cookie value for a new CSRF cookie (Path=/; HttpOnly;
 * SameSite=Lax, Secure when https), in req->arena; sets req->csrf_token to
 * the matching form token. Used by dispatch and by login (which rotates it).
 * Returns 0, or -1 out of memory. */
int web_csrf_rotate(struct request *req, struct response *res);

#endif
