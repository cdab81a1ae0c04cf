/*
 * fuzz_http.c — libFuzzer target for the whole HTTP request path: the input
 * is sent as raw bytes, as a client would, to the real server (http/server.c
 * on libmicrohttpd, started once on a loopback port by LLVMFuzzerInitialize).
 *
 * So everything between the socket and a handler is exercised with the
 * sanitizers on: request line and header parsing, the smuggling and size
 * checks, chunked and fixed-length bodies, the post processor (urlencoded
 * and multipart forms), query strings, cookies, the %-escape and UTF-8
 * checks, the router, the CSRF check, and sending responses (headers made
 * from request data, so the refusal of control characters is exercised).
 * Several requests may sit in one input (keep-alive, pipelining).
 *
 * The dispatcher is the fuzz_dispatch below, not the application's: it
 * reads every part of the request, matches the real route table
 * (web_routes) and checks the CSRF token the way web_dispatch does, then
 * answers with headers and a body built from what it read. Invariants
 * checked on top of the sanitizers: every name and value the parsers hand
 * over is NUL-terminated valid UTF-8, and a POST form never has more than
 * LIMIT_FORM_FIELDS fields.
 *
 * Each connection is closed with an RST (SO_LINGER 0) after the server's
 * answer, so millions of runs leave no TIME_WAIT sockets behind.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "http/csrf.h"
#include "http/router.h"
#include "http/server.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "web/routes.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct http_server *fuzz_server;
static int fuzz_port;
static unsigned char fuzz_key[32];

static void fuzz_check_params(const struct http_params *p)
{
	size_t i;

	for (i = 0; i < p->count; i++) {
		if (!p->items[i].name || !p->items[i].value ||
		    !utf8_valid(p->items[i].name, strlen(p->items[i].name)) ||
		    !utf8_valid(p->items[i].value, p->items[i].value_len) ||
		    strlen(p->items[i].value) != p->items[i].value_len)
			abort();
	}
}

static int fuzz_dispatch(struct request *req, struct response *res)
{
	const char *all[LIMIT_LIST_ITEMS];
	const char *cookie, *token, *h;
	struct request probe;
	const struct route *r;
	int known = 0;

	fuzz_check_params(&req->query);
	fuzz_check_params(&req->form);
	fuzz_check_params(&req->cookies);
	if (req->form.count > LIMIT_FORM_FIELDS || !req->path || req->path[0] == '\0')
		abort();
	probe = *req;
	r = router_match(web_routes, web_routes_count, &probe, &known);

	cookie = http_param_get(&req->cookies, CSRF_COOKIE);
	token = http_param_get(&req->form, CSRF_FIELD);
	if (cookie && token && csrf_verify(fuzz_key, cookie, token))
		res->status = 202;
	else if (r)
		res->status = 200;
	else
		res->status = known ? 405 : 404;
	(void)http_param_get_all(&req->form, "office_interests", all, LIMIT_LIST_ITEMS);

	/* Echo request data into headers and a cookie: the adapter must refuse
	 * what a header cannot carry (a 500), never send it. */
	h = http_param_get(&req->query, "h");
	if (h)
		http_add_header(res, "X-Fuzz", h);
	h = http_param_get(&req->cookies, "c");
	if (h) {
		const char *set = arena_printf(&req->arena, "c=%s; Path=/", h);
		if (set)
			http_set_cookie(res, set);
	}
	if (http_param_get(&req->query, "redirect"))
		http_redirect(res, 303, req->path);
	buf_printf(&res->body, "%s %zu %zu %zu %zu\n", req->path, req->query.count, req->form.count,
	           req->cookies.count, req->body_len);
	if (req->body && req->body_len)
		buf_add_html(&res->body, req->body, req->body_len);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct http_server_options opt = { .host = "127.0.0.1", .port = 0, .is_https = 0,
	                                   .dispatch = fuzz_dispatch, .app = NULL };
	char err[256];

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	memset(fuzz_key, 0x5a, sizeof(fuzz_key));
	log_set_level(LOG_ERROR);
	if (http_server_start(&opt, &fuzz_server, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_http: %s\n", err);
		abort();
	}
	fuzz_port = http_server_port(fuzz_server);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in sa;
	struct linger lg = { 1, 0 };
	struct pollfd pfd;
	char sink[16384];
	size_t sent = 0;
	ssize_t n;
	int fd, waited = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		abort();
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)fuzz_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "fuzz_http: connect: %s\n", strerror(errno));
		abort();
	}
	while (sent < size) {
		n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
		if (n <= 0)
			break; /* the server closed early (a refusal): fine */
		sent += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	/* Read until the server closes. It always does: the input ended. A
	 * server that neither answers nor closes within 20 s is a hang. */
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		int pr = poll(&pfd, 1, 1000);
		if (pr == 0) {
			if (++waited >= 20) {
				fprintf(stderr, "fuzz_http: the server neither answered nor closed\n");
				abort();
			}
			continue;
		}
		if (pr < 0 && errno == EINTR)
			continue;
		n = recv(fd, sink, sizeof(sink), 0);
		if (n <= 0)
			break;
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	return 0;
}
