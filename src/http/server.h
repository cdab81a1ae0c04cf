/*
 * server.h — the libmicrohttpd adapter: start and stop the HTTP server.
 *
 * A few event-loop threads serve every connection; handlers that may block
 * run on worker threads, and a handler may park its request until an
 * asynchronous write ends (http.h explains the threading), with the
 * limits of lib/limits.h: connection timeout, total and per-IP connection
 * caps (the per-IP one settable: ONRAMP_HTTP_PER_IP), per-connection
 * memory, strict request parsing, a body cap (413), and
 * request-smuggling shapes refused (two Content-Length headers, or
 * Content-Length with Transfer-Encoding). Every response carries the security
 * headers (CSP without inline script, nosniff, Referrer-Policy,
 * frame-ancestors 'none', HSTS when https).
 */
#ifndef ONRAMP_SERVER_H
#define ONRAMP_SERVER_H

#include <stddef.h>

#include "http/http.h"

struct http_server;

struct http_server_options {
	const char  *host;       /* numeric address to bind, e.g. "127.0.0.1" or "::1" */
	int          port;       /* 0 picks a free port (tests) */
	int          is_https;   /* the public base URL is https (HSTS, Secure cookies) */
	http_handler dispatch;   /* called for every well-formed request */
	struct app  *app;        /* copied into req->app */
	unsigned     per_ip;     /* open connections per client address; 0: LIMIT_HTTP_CONNECTIONS_PER_IP */
};

/* Starts serving on its own threads. Returns 0 and *out, or -1 with a reason. */
int http_server_start(const struct http_server_options *opt, struct http_server **out,
                      char *err, size_t errlen);
/* Returns the port actually bound (useful when opt->port was 0). */
int http_server_port(const struct http_server *s);
/* Stops accepting, finishes in-flight requests, frees the server. */
void http_server_stop(struct http_server *s);

#endif
