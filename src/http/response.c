/*
 * response.c — helpers that fill a struct response (http.h).
 *
 * They only record what to send; server.c turns the struct into the
 * libmicrohttpd response and adds the security headers. Strings passed in
 * are kept by pointer, so they must outlive the handler (string literals or
 * req->arena memory). A helper that runs out of room marks the body failed:
 * the adapter then answers 500, because a response silently missing a
 * Set-Cookie or a security header is worse than an error.
 *
 * Threading: a response belongs to one request thread.
 */
#include "http/http.h"

#include "lib/log.h"

void http_redirect(struct response *res, int status, const char *location)
{
	res->status = status;
	res->location = location;
	buf_reset(&res->body);
}

void http_error(struct response *res, int status, const char *message)
{
	res->status = status;
	res->content_type = "text/plain; charset=utf-8";
	res->location = NULL;
	res->file_path = NULL;
	buf_reset(&res->body);
	buf_adds(&res->body, message);
	buf_addc(&res->body, '\n');
}

void http_add_header(struct response *res, const char *name, const char *value)
{
	size_t max = sizeof(res->extra_headers) / sizeof(res->extra_headers[0]);

	if (res->n_extra_headers >= max) {
		log_error("http: too many response headers (adding %s)", name);
		res->body.failed = 1;
		return;
	}
	res->extra_headers[res->n_extra_headers][0] = name;
	res->extra_headers[res->n_extra_headers][1] = value;
	res->n_extra_headers++;
}

void http_set_cookie(struct response *res, const char *cookie)
{
	size_t max = sizeof(res->set_cookies) / sizeof(res->set_cookies[0]);

	if (res->n_set_cookies >= max) {
		log_error("http: too many Set-Cookie headers");
		res->body.failed = 1;
		return;
	}
	res->set_cookies[res->n_set_cookies++] = cookie;
}
