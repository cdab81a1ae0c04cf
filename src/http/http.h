/*
 * http.h — the request and response that the web and api layers see.
 *
 * The http layer (server.c, the libmicrohttpd adapter) reads a whole request
 * within the limits of lib/limits.h, fills a struct request, finds the route
 * (router.c) and calls its handler on the connection's own thread. The
 * handler fills the struct response; the adapter sends it with the security
 * headers. Handlers never see libmicrohttpd.
 *
 * Memory: everything in a request (strings, parsed form, response body)
 * lives in req->arena and is freed after the response is sent.
 *
 * Threading: a few event-loop threads read and write every connection.
 * The dispatch function is first called there (req->on_event_loop = 1):
 * it either answers at once without blocking, or returns
 * HTTP_DISPATCH_WORKER to be called again on one of the worker threads
 * (on_event_loop = 0), where it may block (database, password hashing).
 * A handler that waits for something that ends elsewhere (a write's group
 * commit) without blocking calls http_suspend and returns; whoever ends
 * the wait calls http_resume, and the continuation then fills the
 * response on the connection's event-loop thread. One thread at a time
 * works on a request.
 */
#ifndef ONRAMP_HTTP_H
#define ONRAMP_HTTP_H

#include <stddef.h>

#include "lib/arena.h"
#include "lib/buf.h"

struct app; /* the application context (web/app.h), opaque here */
struct response;

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_OTHER };

/* One name=value pair from a query string, form body or cookie header. */
struct http_param {
	const char *name;   /* NUL-terminated, valid UTF-8 checked by the parser */
	const char *value;  /* NUL-terminated */
	size_t      value_len;
};

struct http_params {
	struct http_param *items;
	size_t             count;
};

struct request {
	arena              arena;         /* per-request memory */
	struct app        *app;
	enum http_method   method;
	const char        *path;          /* decoded path, e.g. "/staff/people/12" */
	const char        *path_args[4];  /* captures of "{}" segments in the route */
	struct http_params query;         /* ?a=b */
	struct http_params form;          /* urlencoded or multipart body fields */
	struct http_params cookies;
	const char        *content_type;  /* header value or NULL */
	const char        *body;          /* raw body (NUL-terminated) or NULL */
	size_t             body_len;
	const char        *client_ip;     /* textual peer address */
	const char        *user_agent;    /* header or "" */
	int                is_https;      /* base URL is https */
	void              *user;          /* the logged-in staff user (domain/auth.h), or NULL */
	const char        *session_token; /* raw session token from the cookie, or NULL */
	const char        *csrf_token;    /* the token forms must echo (http/csrf.c) */
	char               path_arg_buf[4][20]; /* router.c: storage behind path_args (no allocation) */
	void              *conn;          /* the adapter's connection, for http_header_get() */
	/* Where the handler runs (see "Threading" above): 1 on an event-loop
	 * thread, where it must not block; 0 on a worker thread. */
	int                on_event_loop;
	/* The web layer's own, across http_suspend (web/routes.c). */
	long long          started_us;
	int                route_index;
	int              (*resume)(struct request *req, struct response *res);
	void              *page_state;    /* a parked handler's state, for its continuation */
};

struct response {
	int         status;          /* 200 by default */
	const char *content_type;    /* "text/html; charset=utf-8" by default */
	buf         body;            /* max LIMIT_PAGE_MAX */
	const char *location;        /* for redirects, or NULL */
	const char *set_cookies[4];  /* full Set-Cookie header values */
	size_t      n_set_cookies;
	const char *extra_headers[8][2]; /* name, value */
	size_t      n_extra_headers;
	const char *cache_control;   /* default "no-store" */
	const char *file_path;       /* send this file instead of body (static assets), or NULL */
};

/* A route handler: fills res; returns 0 (the response is sent as is). */
typedef int (*http_handler)(struct request *req, struct response *res);

/* What a dispatch function returns on an event-loop thread for a request
 * it wants run on a worker thread instead (it has done nothing yet). */
#define HTTP_DISPATCH_WORKER 1

/* Parks the request without answering: the connection waits (no timeout
 * runs) until http_resume(req); then cont(req, res) is called on its
 * event-loop thread to fill the response (res as the handler left it). The
 * handler returns 0 right after. Returns 0, or -1 if it cannot (answer at
 * once then). */
int http_suspend(struct request *req, http_handler cont);
/* Wakes a request parked by http_suspend, from any thread. The request is
 * the event loop's again from the call on: touch nothing of it after. */
void http_resume(struct request *req);

/* Returns the first value of name in params, or NULL. */
const char *http_param_get(const struct http_params *p, const char *name);
/* Collects every value of name (checkbox groups) into out (up to max); returns the count. */
size_t http_param_get_all(const struct http_params *p, const char *name, const char **out, size_t max);

/* Returns the value of request header name (case-insensitive) as the
 * client sent it, or NULL. Valid until the response is sent. Header values
 * are not checked for UTF-8: compare them, don't show them. */
const char *http_header_get(const struct request *req, const char *name);

/* Appends name=value to p, copying both into a (the adapter's parsers use
 * it). The array grows in the arena; the caller enforces count limits.
 * Returns 0, or -1 when the arena is exhausted. */
int http_params_add(arena *a, struct http_params *p, const char *name, size_t name_len,
                    const char *value, size_t value_len);

/* Response helpers. http_add_header and http_set_cookie keep pointers (the
 * strings must live until the response is sent, e.g. in req->arena); past
 * the array's room they mark res->body failed, so the request gets a 500
 * rather than silently losing a header. */
void http_redirect(struct response *res, int status, const char *location);
/* A plain-text error page with a message a person can act on. */
void http_error(struct response *res, int status, const char *message);
void http_add_header(struct response *res, const char *name, const char *value);
void http_set_cookie(struct response *res, const char *cookie);

#endif
