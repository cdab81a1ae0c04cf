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
 * An account that administers accounts (PERM_USERS_ADMIN) without two-factor
 * sign-in is sent to /staff/account/2fa from every signed-in page except the
 * WEB_ROUTE_2FA_SETUP ones (303 for GET, 403 for POST).
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
	WEB_ROUTE_2FA_SETUP = 1u << 10, /* open to an admin who has not turned on two-factor yet */
	WEB_ROUTE_EVENT_LOOP = 1u << 11, /* never blocks: runs on the HTTP event loop, not a worker */
};

/* The route table exactly as docs/ROUTES.md (for the authorization-matrix test). */
extern const struct route web_routes[];
extern const size_t web_routes_count;

/* The http_handler for every request (see above). Returns 0 — or, called
 * on the HTTP event loop for a route without WEB_ROUTE_EVENT_LOOP,
 * HTTP_DISPATCH_WORKER at once, to be called again on a worker. */
int web_dispatch(struct request *req, struct response *res);

/* For a handler on the event loop that waits without blocking: parks the
 * request (http_suspend) until http_resume(req); then cont(req, res) fills
 * the response, and the request is counted in the metrics as answered
 * then. Call it before starting what will resume the request. Returns 0,
 * or -1 (answer at once instead). */
int web_suspend(struct request *req, http_handler cont);

/* Page handlers. Each fills res (usually through render_page) and returns 0. */
int page_home(struct request *req, struct response *res);            /* GET / */
int page_signup_form(struct request *req, struct response *res);     /* GET /signup */
int page_signup_submit(struct request *req, struct response *res);   /* POST /signup */
int page_signup_thanks(struct request *req, struct response *res);   /* GET /signup/thanks */
int page_login_form(struct request *req, struct response *res);      /* GET /login */
int page_login_submit(struct request *req, struct response *res);    /* POST /login */
int page_logout(struct request *req, struct response *res);          /* POST /logout */
int page_login_2fa_form(struct request *req, struct response *res);   /* GET /login/2fa */
int page_login_2fa_submit(struct request *req, struct response *res); /* POST /login/2fa */
int page_account_show(struct request *req, struct response *res);     /* GET /staff/account */
int page_account_password(struct request *req, struct response *res); /* POST /staff/account/password */
int page_account_logout_all(struct request *req, struct response *res); /* POST /staff/account/logout-all */
int page_account_2fa_form(struct request *req, struct response *res);   /* GET /staff/account/2fa */
int page_account_2fa_confirm(struct request *req, struct response *res); /* POST /staff/account/2fa */

/* The end of a right password for an account with two-factor on (called by
 * page_login_submit): sets the pending-login cookie to token (then wipes
 * token) and answers 303 to /login/2fa. Returns 0. */
int web_login_pending_start(struct request *req, struct response *res, char token[64]);
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
int page_intake_post(struct request *req, struct response *res);     /* POST /intake/KEY (page_intake.c) */
int page_forms_list(struct request *req, struct response *res);      /* GET /staff/forms (page_forms.c) */
int page_forms_create(struct request *req, struct response *res);    /* POST /staff/forms */
int page_form_show(struct request *req, struct response *res);       /* GET /staff/forms/{} */
int page_form_update(struct request *req, struct response *res);     /* POST /staff/forms/{} */
int page_form_rotate(struct request *req, struct response *res);     /* POST /staff/forms/{}/rotate */
int page_rejected_show(struct request *req, struct response *res);   /* GET /staff/rejected/{} (page_rejected.c) */
int page_rejected_replay(struct request *req, struct response *res); /* POST /staff/rejected/{}/replay */
int page_compliance(struct request *req, struct response *res);      /* GET /staff/compliance (page_compliance.c) */
int page_compliance_json(struct request *req, struct response *res); /* GET /staff/compliance.json */
int page_compliance_csv(struct request *req, struct response *res);  /* GET /staff/compliance/export.csv */
/* The race finder (page_races.c). */
int page_races_find(struct request *req, struct response *res);      /* GET /races */
int page_races_calendar(struct request *req, struct response *res);  /* GET /races/calendar */
int page_races_coverage(struct request *req, struct response *res);  /* GET /staff/races */
int page_races_call_list(struct request *req, struct response *res); /* GET /staff/races/{} */
int page_races_map(struct request *req, struct response *res);       /* GET /staff/races/map */
int page_person_races(struct request *req, struct response *res);    /* GET /staff/people/{}/races */
int page_person_races_save(struct request *req, struct response *res); /* POST /staff/people/{}/races */
int page_person_calendar(struct request *req, struct response *res); /* GET /staff/people/{}/calendar */
int page_static_file(struct request *req, struct response *res);     /* GET /static/… */
int page_health(struct request *req, struct response *res);          /* GET /healthz */
/* Nominations and mail (page_nominate.c, page_unsubscribe.c, page_mail.c). */
int page_nominate_form(struct request *req, struct response *res);   /* GET /nominate */
int page_nominate_submit(struct request *req, struct response *res); /* POST /nominate */
int page_nominate_thanks(struct request *req, struct response *res); /* GET /nominate/thanks */
int page_unsubscribe_form(struct request *req, struct response *res);   /* GET /unsubscribe */
int page_unsubscribe_submit(struct request *req, struct response *res); /* POST /unsubscribe (RFC 8058) */
int page_mail_outbox(struct request *req, struct response *res);     /* GET /staff/mail */
int page_mail_message(struct request *req, struct response *res);    /* GET /staff/mail/{} */
int page_mail_templates(struct request *req, struct response *res);  /* GET /staff/mail/templates */
int page_mail_template_edit(struct request *req, struct response *res); /* GET /staff/mail/templates/{} */
int page_mail_template_save(struct request *req, struct response *res); /* POST /staff/mail/templates/{} */
int page_ready(struct request *req, struct response *res);           /* GET /readyz */
int page_metrics(struct request *req, struct response *res);         /* GET /metrics */
/* The pipeline (page_calls.c, page_call.c, page_tasks.c, page_bulk.c, page_views.c,
 * page_volunteers.c, page_stages.c, page_dropoff.c, page_funnel.c). */
int page_calls_mine(struct request *req, struct response *res);      /* GET /staff/calls */
int page_call_show(struct request *req, struct response *res);       /* GET /staff/people/{}/call */
int page_call_log(struct request *req, struct response *res);        /* POST /staff/people/{}/calls */
int page_person_stage(struct request *req, struct response *res);    /* POST /staff/people/{}/stage */
int page_person_assign(struct request *req, struct response *res);   /* POST /staff/people/{}/assign */
int page_person_tag(struct request *req, struct response *res);      /* POST /staff/people/{}/tags */
int page_bulk_form(struct request *req, struct response *res);       /* GET /staff/people/bulk */
int page_bulk_apply(struct request *req, struct response *res);      /* POST /staff/people/bulk */
int page_tasks_mine(struct request *req, struct response *res);      /* GET /staff/tasks */
int page_tasks_add(struct request *req, struct response *res);       /* POST /staff/tasks */
int page_tasks_done(struct request *req, struct response *res);      /* POST /staff/tasks/{}/done */
int page_views_list(struct request *req, struct response *res);      /* GET /staff/views */
int page_views_save(struct request *req, struct response *res);      /* POST /staff/views */
int page_views_delete(struct request *req, struct response *res);    /* POST /staff/views/{}/delete */
int page_volunteers_list(struct request *req, struct response *res); /* GET /staff/volunteers */
int page_volunteers_save(struct request *req, struct response *res); /* POST /staff/volunteers/{} */
int page_stages_list(struct request *req, struct response *res);     /* GET /staff/stages */
int page_stages_add(struct request *req, struct response *res);      /* POST /staff/stages */
int page_stages_save(struct request *req, struct response *res);     /* POST /staff/stages/{} */
int page_dropoff_list(struct request *req, struct response *res);    /* GET /staff/dropoff */
int page_dropoff_settings(struct request *req, struct response *res); /* POST /staff/dropoff */
int page_funnel_report(struct request *req, struct response *res);   /* GET /staff/reports/funnel */

/* The Set-Cookie value for a new CSRF cookie (Path=/; HttpOnly;
 * SameSite=Lax, Secure when https), in req->arena; sets req->csrf_token to
 * the matching form token. Used by dispatch and by login (which rotates it).
 * Returns 0, or -1 out of memory. */
int web_csrf_rotate(struct request *req, struct response *res);

#endif
