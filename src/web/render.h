/*
 * render.h — turning a page's context into HTML, and the small helpers every
 * page shares (the signed-in user, ids from the path, dates, query strings).
 *
 * Every page renders through render_page(), which adds the context common to
 * all pages, so a template can always use:
 *   csrf   the token each form echoes in its hidden "csrf" field
 *   user   {email, role, can_people, can_write, can_merge, can_audit,
 *           can_users} when signed in (absent otherwise)
 *   org    {name}: the theme's strings.json "org_name", else ONRAMP_ORG_NAME
 *   t      the theme's wording overrides (templates/… keep their own
 *          wording when a key is absent)
 *   year   the current year (UTC)
 * Templates escape every {{value}}; pages never build HTML in C.
 *
 * Threading: all functions are reentrant; memory comes from req->arena.
 */
#ifndef ONRAMP_RENDER_H
#define ONRAMP_RENDER_H

#include <jansson.h>

#include "http/http.h"
#include "lib/buf.h"

struct staff_user;

/* Renders template name into res->body with status. Takes ownership of ctx
 * (may be NULL for an empty context) and releases it, whatever happens.
 * On a rendering failure answers 500 with a plain message. Returns 0. */
int render_page(struct request *req, struct response *res, int status, const char *name,
                json_t *ctx);

/* Renders the themed error page (templates/error.mustache) with status and
 * a message a person can act on. Returns 0. */
int render_error(struct request *req, struct response *res, int status, const char *message);

/* The signed-in user, or NULL. */
const struct staff_user *web_user(const struct request *req);
/* Returns 1 if someone is signed in and has every bit of perm. */
int web_can(const struct request *req, unsigned perm);

/* Parses req->path_args[i] (digits, from a "{}" segment) into *id (> 0).
 * Returns 0, or -1 if missing or out of range. */
int web_path_id(const struct request *req, int i, long long *id);
/* Parses a positive decimal id from a form or query value. Returns 0 or -1. */
int web_parse_id(const char *s, long long *id);

/* Formats seconds since the epoch as "YYYY-MM-DD" (with_time 0) or
 * "YYYY-MM-DD HH:MM UTC" (with_time 1), in req->arena. NULL on failure. */
const char *web_format_time(struct request *req, long long secs, int with_time);

/* Appends "&name=value" (or "name=value" to an empty buf) with both parts
 * percent-encoded for a URL query; does nothing when value is NULL or "".
 * Returns 0 or -1 (the buf's sticky error). */
int web_query_add(buf *b, const char *name, const char *value);

/* "; Secure" when the public base URL is https, else "" (for Set-Cookie). */
const char *web_cookie_secure(const struct request *req);

/* Overwrites a secret (a password) in the request's memory once it was
 * used: every form value of that name, and the whole raw body (which holds
 * it encoded). Call it after the last read of the request's form. */
void web_wipe_param(struct request *req, const char *name);

#endif
