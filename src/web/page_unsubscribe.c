/*
 * page_unsubscribe.c — GET and POST /unsubscribe?t=TOKEN: leaving the
 * marketing mail without signing in.
 *
 * The token (domain/mail.h) is the address and a MAC of it, so the link is
 * its own authentication. GET never changes anything (mail scanners and
 * link previews fetch links): it shows a button that posts. POST
 * unsubscribes; it is a ROUTE_NO_CSRF route because RFC 8058's one-click
 * unsubscribe is a POST from the mail client ("List-Unsubscribe=One-Click"
 * in the body) that carries no form token — the signed token stands in for
 * it, and unsubscribing twice is harmless.
 * Threading: reentrant.
 */
#include <string.h>

#include "domain/keys.h"
#include "domain/mail.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

#define UNSUB_TOKEN_MAX 512

/* The token from the query, or for a POST also from the form. */
static const char *unsub_token(const struct request *req)
{
	const char *t = http_param_get(&req->query, "t");

	if ((!t || !*t) && req->method == HTTP_POST)
		t = http_param_get(&req->form, "t");
	if (!t || !*t || strlen(t) > UNSUB_TOKEN_MAX)
		return NULL;
	return t;
}

static int unsub_bad_link(struct request *req, struct response *res)
{
	return render_error(req, res, 400, "This unsubscribe link is not complete. Copy the whole link from the message, or reply to the message and ask us to stop.");
}

int page_unsubscribe_form(struct request *req, struct response *res)
{
	char email[LIMIT_EMAIL + 1];
	const char *t = unsub_token(req);

	if (!t || mail_unsubscribe_check(req->app->keys, t, email, sizeof(email)) < 0)
		return unsub_bad_link(req, res);
	return render_page(req, res, 200, "unsubscribe",
	                   json_pack("{s:s, s:s, s:b}", "token", t, "email", email, "done", 0));
}

int page_unsubscribe_submit(struct request *req, struct response *res)
{
	char email[LIMIT_EMAIL + 1];
	const char *t = unsub_token(req);
	const char *one_click = http_param_get(&req->form, "List-Unsubscribe");

	if (!t || mail_unsubscribe_check(req->app->keys, t, email, sizeof(email)) < 0)
		return unsub_bad_link(req, res);
	if (mail_unsubscribe(req->app->db, email,
	                     one_click && strcmp(one_click, "One-Click") == 0 ? "one_click" : "link") < 0)
		return render_error(req, res, 503, "We couldn't record that just now. Please use the link again in a minute.");
	return render_page(req, res, 200, "unsubscribe",
	                   json_pack("{s:s, s:b}", "email", email, "done", 1));
}
