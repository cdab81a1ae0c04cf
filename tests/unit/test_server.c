/*
 * test_server.c — the libmicrohttpd adapter, driven over real sockets.
 *
 * Starts the server on 127.0.0.1 port 0 with a dispatch function of its
 * own that echoes what it received, and speaks raw HTTP/1.1 to it, so the
 * tests see exactly what a client sees: status, headers, body, and when the
 * server closes the connection. Connection tests bind the client socket to
 * other loopback addresses (127.0.0.2 …) to act as other clients. Every
 * socket has a receive timeout, and every loop is bounded in count and time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http/server.h"
#include "lib/limits.h"
#include "lib/log.h"

#define RESP_MAX (256 * 1024)

static int g_port;
static char g_file[256];

/* ---- the test's own dispatch ---- */

static void echo_params(buf *b, const char *tag, const struct http_params *p)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		buf_printf(b, "%s:%s=%s|%zu\n", tag, p->items[i].name, p->items[i].value, p->items[i].value_len);
}

/* The event loop and the workers (see http.h): /slow runs on a worker and
 * waits for g_gate to open; /park parks itself until the test resumes it. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_gate_open, g_slow_running;
static struct request *g_parked;

static int park_continue(struct request *req, struct response *res)
{
	buf_printf(&res->body, "resumed on the event loop: %d\n", req->on_event_loop);
	return 0;
}

static int test_dispatch(struct request *req, struct response *res)
{
	size_t i;

	if (strcmp(req->path, "/slow") == 0) {
		if (req->on_event_loop)
			return HTTP_DISPATCH_WORKER;
		pthread_mutex_lock(&g_mu);
		g_slow_running = 1;
		pthread_cond_broadcast(&g_cv);
		while (!g_gate_open)
			pthread_cond_wait(&g_cv, &g_mu);
		pthread_mutex_unlock(&g_mu);
		buf_printf(&res->body, "slow done, on the event loop: %d", req->on_event_loop);
		return 0;
	}
	if (strcmp(req->path, "/park") == 0) {
		if (http_suspend(req, park_continue) != 0)
			return -1;
		pthread_mutex_lock(&g_mu);
		g_parked = req;
		pthread_cond_broadcast(&g_cv);
		pthread_mutex_unlock(&g_mu);
		return 0;
	}

	if (strcmp(req->path, "/fail") == 0) {
		buf_adds(&res->body, "half a page");
		return -1;
	}
	if (strcmp(req->path, "/huge") == 0) {
		for (i = 0; i < LIMIT_PAGE_MAX / 1024 + 1; i++)
			buf_printf(&res->body, "%01024d", 0);
		return 0;
	}
	if (strcmp(req->path, "/redirect") == 0) {
		http_set_cookie(res, "a=1; Path=/; HttpOnly");
		http_set_cookie(res, "b=2; Path=/; HttpOnly");
		http_add_header(res, "X-Test", "yes");
		http_redirect(res, 303, "/thanks");
		return 0;
	}
	if (strcmp(req->path, "/csp") == 0) {
		http_add_header(res, "Content-Security-Policy", "default-src 'none'");
		http_add_header(res, "Content-Security-Policy", "default-src 'self'; img-src *");
		buf_adds(&res->body, "own csp");
		return 0;
	}
	if (strcmp(req->path, "/file") == 0) {
		res->file_path = g_file;
		res->content_type = "text/css";
		res->cache_control = "public, max-age=3600";
		return 0;
	}
	if (strcmp(req->path, "/missing-file") == 0) {
		res->file_path = "/nonexistent/onramp/test.css";
		return 0;
	}
	if (strcmp(req->path, "/bad-header") == 0) {
		http_add_header(res, "X-Evil", "a\r\nSet-Cookie: pwned=1");
		buf_adds(&res->body, "should not be sent");
		return 0;
	}
	buf_printf(&res->body, "method=%d\npath=%s\n", (int)req->method, req->path);
	echo_params(&res->body, "q", &req->query);
	echo_params(&res->body, "f", &req->form);
	echo_params(&res->body, "c", &req->cookies);
	buf_printf(&res->body, "body_len=%zu\nip=%s\nua=%s\nct=%s\n", req->body_len, req->client_ip,
	           req->user_agent, req->content_type ? req->content_type : "(none)");
	if (req->body && strcmp(req->path, "/raw") == 0)
		buf_printf(&res->body, "body=%s\n", req->body);
	return 0;
}

/* ---- a raw HTTP client ---- */

/* A plain GET of / that asks the server to close the connection after it. */
static const char get_and_close[] = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

static int client_connect(const char *src_ip, int port)
{
	struct sockaddr_in sa;
	struct timeval tv = { 5, 0 };
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (src_ip) {
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		inet_pton(AF_INET, src_ip, &sa.sin_addr);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			close(fd);
			return -1;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, data, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until the server closes (or the 5 s timeout); returns bytes read. */
static size_t read_all(int fd, char *out, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got < max - 1) {
		n = recv(fd, out + got, max - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	return got;
}

struct reply {
	char   *raw;
	size_t  len;
	int     status;
	char   *body;   /* after the blank line, or NULL */
};

static void reply_parse(struct reply *r)
{
	char *end;

	r->status = 0;
	r->body = NULL;
	if (r->len >= 12 && strncmp(r->raw, "HTTP/1.", 7) == 0)
		r->status = (int)strtol(r->raw + 9, &end, 10);
	end = strstr(r->raw, "\r\n\r\n");
	if (end)
		r->body = end + 4;
}

/* Sends a whole request (which should say Connection: close) and reads the reply. */
static void roundtrip_from(const char *src, const char *request, size_t len, struct reply *r)
{
	int fd = client_connect(src, g_port);

	assert_true(fd >= 0);
	r->raw = malloc(RESP_MAX);
	assert_non_null(r->raw);
	assert_int_equal(send_all(fd, request, len), 0);
	r->len = read_all(fd, r->raw, RESP_MAX);
	close(fd);
	reply_parse(r);
}

static void roundtrip(const char *request, struct reply *r)
{
	roundtrip_from(NULL, request, strlen(request), r);
}

/* Returns the value of header name in r (a copy in a static buffer), or NULL. */
static const char *reply_header(const struct reply *r, const char *name)
{
	static char value[1024];
	const char *p = r->raw, *end = r->body ? r->body : r->raw + r->len, *eol;
	size_t nl = strlen(name), vl;

	while ((p = strstr(p, "\r\n")) && p < end) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			eol = strstr(p, "\r\n");
			vl = eol ? (size_t)(eol - p) : strlen(p);
			if (vl >= sizeof(value))
				vl = sizeof(value) - 1;
			memcpy(value, p, vl);
			value[vl] = '\0';
			return value;
		}
	}
	return NULL;
}

static int reply_count_header(const struct reply *r, const char *name)
{
	const char *p = r->raw, *end = r->body ? r->body : r->raw + r->len;
	size_t nl = strlen(name);
	int n = 0;

	while ((p = strstr(p, "\r\n")) && p < end) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':')
			n++;
	}
	return n;
}

static void reply_free(struct reply *r)
{
	free(r->raw);
	r->raw = NULL;
}

static void assert_security_headers(const struct reply *r)
{
	assert_string_equal(reply_header(r, "Content-Security-Policy"),
	                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	                    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	assert_string_equal(reply_header(r, "X-Content-Type-Options"), "nosniff");
	assert_string_equal(reply_header(r, "Referrer-Policy"), "same-origin");
	assert_string_equal(reply_header(r, "X-Frame-Options"), "DENY");
}

/* ---- tests ---- */

static void test_get_has_security_headers(void **state)
{
	struct reply r;

	(void)state;
	roundtrip("GET /hello HTTP/1.1\r\nHost: t\r\nUser-Agent: tester/1\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_security_headers(&r);
	assert_null(reply_header(&r, "Strict-Transport-Security"));
	assert_string_equal(reply_header(&r, "Content-Type"), "text/html; charset=utf-8");
	assert_string_equal(reply_header(&r, "Cache-Control"), "no-store");
	assert_non_null(r.body);
	assert_non_null(strstr(r.body, "method=0\npath=/hello\n"));
	assert_non_null(strstr(r.body, "ip=127.0.0.1\n"));
	assert_non_null(strstr(r.body, "ua=tester/1\n"));
	reply_free(&r);
}

static void test_https_adds_hsts(void **state)
{
	struct http_server_options opt = { "127.0.0.1", 0, 1, test_dispatch, NULL, 0 };
	struct http_server *s = NULL;
	char err[256];
	struct reply r;
	int saved = g_port;

	(void)state;
	assert_int_equal(http_server_start(&opt, &s, err, sizeof(err)), 0);
	g_port = http_server_port(s);
	assert_true(g_port > 0);
	roundtrip(get_and_close, &r);
	g_port = saved;
	http_server_stop(s);
	assert_int_equal(r.status, 200);
	assert_string_equal(reply_header(&r, "Strict-Transport-Security"), "max-age=31536000");
	assert_security_headers(&r);
	reply_free(&r);
}

/* A client that keeps opening connections to a port (each sends a
 * request and reads what comes) until told to stop: connections arriving
 * while the server stops. */
struct knocker {
	int         port;
	atomic_int  stop;
	pthread_t   t;
};

static void *knocker_main(void *arg)
{
	struct knocker *k = arg;
	char answer[256];
	int fd;

	while (!atomic_load(&k->stop)) {
		fd = client_connect(NULL, k->port);
		if (fd < 0)
			continue;
		if (send_all(fd, get_and_close, sizeof(get_and_close) - 1) == 0) {
			ssize_t got = read(fd, answer, sizeof(answer));  /* or closed unanswered */

			(void)got;
		}
		close(fd);
	}
	return NULL;
}

/* Stopping never aborts the process: libmicrohttpd 0.9.75's
 * MHD_quiesce_daemon raced with the event loops, which take the listening
 * socket out of their epoll sets on their own, and aborted now and then
 * ("Failed to remove listen FD from epoll set"; seen in one CI run, and
 * in 4 of 5 runs of this test against the code before the change); the stop
 * refuses new connections by its accept policy instead. Many starts and
 * stops, each right after a request was answered and while a client keeps
 * connecting. */
static void test_stop_while_connections_arrive(void **state)
{
	struct http_server_options opt = { "127.0.0.1", 0, 0, test_dispatch, NULL, 0 };
	struct http_server *s;
	struct knocker k;
	struct reply r;
	char err[256];
	int i, saved = g_port;

	(void)state;
	for (i = 0; i < 500; i++) {
		s = NULL;
		assert_int_equal(http_server_start(&opt, &s, err, sizeof(err)), 0);
		memset(&k, 0, sizeof(k));
		k.port = g_port = http_server_port(s);
		atomic_init(&k.stop, 0);
		assert_int_equal(pthread_create(&k.t, NULL, knocker_main, &k), 0);
		roundtrip(get_and_close, &r);
		assert_int_equal(r.status, 200);
		reply_free(&r);
		http_server_stop(s);
		atomic_store(&k.stop, 1);
		pthread_join(k.t, NULL);
	}
	g_port = saved;
}

static void test_start_refuses_bad_options(void **state)
{
	struct http_server_options opt = { "localhost", 0, 0, test_dispatch, NULL, 0 };
	struct http_server *s = (struct http_server *)&opt;
	char err[256] = "";

	(void)state;
	/* not numeric */
	assert_int_equal(http_server_start(&opt, &s, err, sizeof(err)), -1);
	assert_null(s);
	assert_non_null(strstr(err, "localhost"));
	/* port in use */
	opt.host = "127.0.0.1";
	opt.port = g_port;
	assert_int_equal(http_server_start(&opt, &s, err, sizeof(err)), -1);
	assert_null(s);
	assert_non_null(strstr(err, "cannot listen"));
	opt.port = 70000;
	assert_int_equal(http_server_start(&opt, &s, err, sizeof(err)), -1);
}

static void test_ipv6_loopback(void **state)
{
	struct http_server_options opt = { "::1", 0, 0, test_dispatch, NULL, 0 };
	struct http_server *s = NULL;
	struct sockaddr_in6 sa;
	struct timeval tv = { 5, 0 };
	char err[256], out[4096];
	const char *req = "GET /v6 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	int fd;

	(void)state;
	if (http_server_start(&opt, &s, err, sizeof(err)) != 0) {
		skip(); /* no IPv6 in this environment */
	}
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons((uint16_t)http_server_port(s));
	sa.sin6_addr = in6addr_loopback;
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send_all(fd, req, strlen(req)), 0);
	read_all(fd, out, sizeof(out));
	close(fd);
	http_server_stop(s);
	assert_non_null(strstr(out, "HTTP/1.1 200"));
	assert_non_null(strstr(out, "ip=::1\n"));
}

static void test_query_params_decoded(void **state)
{
	struct reply r;

	(void)state;
	roundtrip("GET /q?a=1&a=two+words&b=x%20y&c=%C3%A9t%C3%A9&empty=&flag HTTP/1.1\r\n"
	          "Host: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "q:a=1|1\nq:a=two words|9\nq:b=x y|3\n"));
	assert_non_null(strstr(r.body, "q:c=\xC3\xA9t\xC3\xA9|5\n"));
	assert_non_null(strstr(r.body, "q:empty=|0\n"));
	assert_non_null(strstr(r.body, "q:flag=|0\n"));
	reply_free(&r);
}

static void test_urlencoded_form_decoded(void **state)
{
	const char *body = "name=Ann+Lee&amp=%26&name=Bob%20B&office=school_board&office=county&note=";
	char req[1024];
	struct reply r;
	int n;

	(void)state;
	n = snprintf(req, sizeof(req),
	             "POST /form?src=x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
	             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
	             strlen(body), body);
	assert_true(n > 0 && (size_t)n < sizeof(req));
	roundtrip(req, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "method=2\n"));
	assert_non_null(strstr(r.body, "q:src=x|1\n"));
	assert_non_null(strstr(r.body,
	                       "f:name=Ann Lee|7\nf:amp=&|1\nf:name=Bob B|5\n"
	                       "f:office=school_board|12\nf:office=county|6\nf:note=|0\n"));
	assert_non_null(strstr(r.body, "ct=application/x-www-form-urlencoded\n"));
	reply_free(&r);
}

static void test_urlencoded_long_value_joined(void **state)
{
	/* a value far longer than the post processor's buffer arrives whole */
	size_t vlen = 30000, i;
	char *req = malloc(vlen + 512), *body = malloc(vlen + 16), expect[64];
	struct reply r;
	int n;

	(void)state;
	assert_non_null(req);
	assert_non_null(body);
	memcpy(body, "why=", 4);
	for (i = 0; i < vlen; i++)
		body[4 + i] = (char)('a' + i % 26);
	memcpy(body + 4 + vlen, "&z=1", 5);
	n = snprintf(req, vlen + 512,
	             "POST /form HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
	             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
	             strlen(body), body);
	assert_true(n > 0);
	roundtrip_from(NULL, req, (size_t)n, &r);
	assert_int_equal(r.status, 200);
	snprintf(expect, sizeof(expect), "|%zu\nf:z=1|1\n", vlen);
	assert_non_null(strstr(r.body, expect));
	assert_non_null(strstr(r.body, "f:why=abcdefghijklmnopqrstuvwxyzabc"));
	assert_non_null(strstr(r.body, "body_len="));
	reply_free(&r);
	free(req);
	free(body);
}

static void test_multipart_fields_and_file(void **state)
{
	const char *body =
		"--XyZ\r\n"
		"Content-Disposition: form-data; name=\"first_name\"\r\n\r\n"
		"Ana Mar\xC3\xAD" "a\r\n"
		"--XyZ\r\n"
		"Content-Disposition: form-data; name=\"state\"\r\n\r\n"
		"OR\r\n"
		"--XyZ\r\n"
		"Content-Disposition: form-data; name=\"upload\"; filename=\"plan.txt\"\r\n"
		"Content-Type: text/plain\r\n\r\n"
		"line one\nline two\r\n"
		"--XyZ--\r\n";
	char req[2048];
	struct reply r;
	int n;

	(void)state;
	n = snprintf(req, sizeof(req),
	             "POST /mp HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
	             "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: %zu\r\n\r\n%s",
	             strlen(body), body);
	assert_true(n > 0 && (size_t)n < sizeof(req));
	roundtrip(req, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "f:first_name=Ana Mar\xC3\xAD" "a|10\nf:state=OR|2\n"
	                               "f:upload=line one\nline two|17\n"));
	reply_free(&r);
}

static void test_raw_body_kept(void **state)
{
	const char *req = "POST /raw HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
	                  "Content-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\": \"b\"}\n";
	struct reply r;

	(void)state;
	roundtrip(req, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "body_len=11\n"));
	assert_non_null(strstr(r.body, "body={\"a\": \"b\"}\n"));
	assert_null(strstr(r.body, "f:"));
	reply_free(&r);
}

static void test_cookies_parsed(void **state)
{
	struct reply r;

	(void)state;
	roundtrip("GET /c HTTP/1.1\r\nHost: t\r\nCookie: onramp_csrf=abc; s=xyz\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "c:onramp_csrf=abc|3\n"));
	assert_non_null(strstr(r.body, "c:s=xyz|3\n"));
	reply_free(&r);
}

static void test_two_content_lengths_400(void **state)
{
	struct reply r;

	(void)state;
	roundtrip("POST /form HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
	          "Content-Type: application/x-www-form-urlencoded\r\n"
	          "Content-Length: 3\r\nContent-Length: 3\r\n\r\na=1", &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "more than one Content-Length"));
	assert_security_headers(&r);
	assert_string_equal(reply_header(&r, "Content-Type"), "text/plain; charset=utf-8");
	reply_free(&r);
}

static void test_length_and_chunked_400(void **state)
{
	struct reply r;

	(void)state;
	roundtrip("POST /form HTTP/1.1\r\nHost: t\r\n"
	          "Content-Type: application/x-www-form-urlencoded\r\n"
	          "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
	          "3\r\na=1\r\n0\r\n\r\n"
	          "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "both Content-Length and Transfer-Encoding"));
	/* the connection was closed: the smuggled request was never answered */
	assert_null(strstr(r.body, "HTTP/1.1"));
	reply_free(&r);
}

static void test_length_over_cap_413_without_body(void **state)
{
	char req[512], out[4096];
	struct reply r;
	int fd, n;

	(void)state;
	fd = client_connect(NULL, g_port);
	assert_true(fd >= 0);
	n = snprintf(req, sizeof(req),
	             "POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	             "Content-Length: %d\r\n\r\n", LIMIT_HTTP_BODY_MAX + 1);
	assert_int_equal(send_all(fd, req, (size_t)n), 0);
	/* the body is never sent: the answer must come anyway, and the server closes */
	r.len = read_all(fd, out, sizeof(out));
	r.raw = out;
	close(fd);
	reply_parse(&r);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "too large"));
	assert_security_headers(&r);
}

static void test_chunked_over_cap_413(void **state)
{
	char chunk[8192 + 16], head[512], out[4096];
	struct reply r;
	size_t sent = 0;
	int fd, n, hn;

	(void)state;
	fd = client_connect(NULL, g_port);
	assert_true(fd >= 0);
	hn = snprintf(head, sizeof(head),
	              "POST /form HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
	              "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
	assert_int_equal(send_all(fd, head, (size_t)hn), 0);
	n = snprintf(chunk, sizeof(chunk), "2000\r\n");
	memset(chunk + n, 'x', 8192);
	memcpy(chunk + n + 8192, "\r\n", 2);
	while (sent <= LIMIT_HTTP_BODY_MAX + 8192) {
		assert_int_equal(send_all(fd, chunk, (size_t)n + 8192 + 2), 0);
		sent += 8192;
	}
	assert_int_equal(send_all(fd, "0\r\n\r\n", 5), 0);
	r.len = read_all(fd, out, sizeof(out));
	r.raw = out;
	close(fd);
	reply_parse(&r);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "too large"));
}

static void test_endless_chunked_body_dropped(void **state)
{
	char chunk[8192 + 16], head[512], out[4096];
	size_t sent = 0, n_out;
	int fd, n, hn;

	(void)state;
	fd = client_connect(NULL, g_port);
	assert_true(fd >= 0);
	hn = snprintf(head, sizeof(head),
	              "POST /form HTTP/1.1\r\nHost: t\r\n"
	              "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
	assert_int_equal(send_all(fd, head, (size_t)hn), 0);
	n = snprintf(chunk, sizeof(chunk), "2000\r\n");
	memset(chunk + n, 'x', 8192);
	memcpy(chunk + n + 8192, "\r\n", 2);
	/* a body that never ends: the server stops reading it and hangs up. A
	 * small send buffer makes the hang-up show as a failed send promptly,
	 * instead of after the kernel has buffered megabytes on loopback. */
	{
		int small = 4096;
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	}
	while (sent < 16u * 1024 * 1024 && send_all(fd, chunk, (size_t)n + 8192 + 2) == 0)
		sent += 8192;
	assert_true(sent < 16u * 1024 * 1024);
	n_out = read_all(fd, out, sizeof(out));
	close(fd);
	assert_null(strstr(out, "HTTP/1.1 200"));
	(void)n_out;
}

static void test_other_transfer_encodings(void **state)
{
	struct reply r;

	(void)state;
	roundtrip("POST /form HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nxx", &r);
	assert_int_equal(r.status, 501);
	reply_free(&r);
	roundtrip("POST /form HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
	          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", &r);
	assert_int_equal(r.status, 400);
	reply_free(&r);
}

static void test_chunked_under_cap_ok(void **state)
{
	const char *req = "POST /form HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
	                  "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
	                  "4\r\na=1&\r\n5\r\nb=x+y\r\n0\r\n\r\n";
	struct reply r;

	(void)state;
	roundtrip(req, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "f:a=1|1\nf:b=x y|3\n"));
	reply_free(&r);
}

static void test_invalid_utf8_400(void **state)
{
	const char *form = "POST /form HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
	                   "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 17\r\n\r\n"
	                   "first_name=%C0%AF";
	struct reply r;

	(void)state;
	roundtrip(form, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "isn't valid UTF-8"));
	reply_free(&r);
	/* in a query value, a field name, and a NUL byte */
	roundtrip("GET /q?a=%FF HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 400);
	reply_free(&r);
	roundtrip("GET /q?%ED%A0%80=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 400);
	reply_free(&r);
	roundtrip("GET /q?a=x%00y HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 400);
	reply_free(&r);
}

static void test_too_many_fields_413(void **state)
{
	buf body, req;
	struct reply r;
	int i;

	(void)state;
	buf_init(&body, 65536);
	buf_init(&req, 70000);
	for (i = 0; i <= LIMIT_FORM_FIELDS; i++)
		buf_printf(&body, "%sf%d=1", i ? "&" : "", i);
	buf_printf(&req, "POST /form HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
	           "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
	           body.len, buf_str(&body));
	assert_false(buf_failed(&req));
	roundtrip_from(NULL, buf_str(&req), req.len, &r);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "too many fields"));
	reply_free(&r);
	buf_free(&body);
	buf_free(&req);
}

static void test_long_field_name_400(void **state)
{
	char name[LIMIT_FORM_FIELD_NAME + 2], req[1024];
	struct reply r;

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(req, sizeof(req),
	         "POST /form HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
	         "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s=1",
	         strlen(name) + 2, name);
	roundtrip(req, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "name is too long"));
	reply_free(&r);
}

static void test_oversize_header_refused_server_survives(void **state)
{
	size_t big = 200 * 1024;
	buf req;
	struct reply r;

	(void)state;
	/* a header larger than the connection's memory: MHD refuses it */
	buf_init(&req, big + 1024);
	buf_adds(&req, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ");
	while (req.len < big)
		buf_adds(&req, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	buf_adds(&req, "\r\nConnection: close\r\n\r\n");
	assert_false(buf_failed(&req));
	roundtrip_from(NULL, buf_str(&req), req.len, &r);
	assert_true(r.status == 431 || r.status == 413 || r.status == 400 || r.len == 0);
	assert_true(r.status >= 400 || r.len == 0);
	reply_free(&r);
	buf_free(&req);

	/* a header over LIMIT_HTTP_HEADER_MAX but within MHD's memory: ours */
	buf_init(&req, 64 * 1024);
	buf_adds(&req, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ");
	while (req.len < LIMIT_HTTP_HEADER_MAX + 100)
		buf_adds(&req, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	buf_adds(&req, "\r\nConnection: close\r\n\r\n");
	roundtrip_from(NULL, buf_str(&req), req.len, &r);
	assert_int_equal(r.status, 431);
	assert_security_headers(&r);
	reply_free(&r);
	buf_free(&req);

	/* an oversize Cookie header */
	buf_init(&req, 64 * 1024);
	buf_adds(&req, "GET / HTTP/1.1\r\nHost: t\r\nCookie: a=");
	while (req.len < LIMIT_COOKIE_MAX + 100)
		buf_adds(&req, "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
	buf_adds(&req, "\r\nConnection: close\r\n\r\n");
	roundtrip_from(NULL, buf_str(&req), req.len, &r);
	assert_int_equal(r.status, 431);
	assert_non_null(strstr(r.body, "cookies are too large"));
	reply_free(&r);
	buf_free(&req);

	/* and the server still serves */
	roundtrip("GET /after HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

static void test_url_too_long_414(void **state)
{
	buf req;
	struct reply r;

	(void)state;
	buf_init(&req, 8192);
	buf_adds(&req, "GET /q?x=");
	while (req.len < LIMIT_URL_MAX + 10)
		buf_adds(&req, "0123456789");
	buf_adds(&req, " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	roundtrip_from(NULL, buf_str(&req), req.len, &r);
	assert_int_equal(r.status, 414);
	reply_free(&r);
	buf_free(&req);
}

static void test_methods(void **state)
{
	struct reply r;

	(void)state;
	roundtrip("PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(reply_header(&r, "Allow"), "GET, HEAD, POST");
	reply_free(&r);
	roundtrip("BREW /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 501);
	assert_security_headers(&r);
	reply_free(&r);
}

static void test_missing_host_refused(void **state)
{
	struct reply r;

	(void)state;
	roundtrip("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 400);
	reply_free(&r);
}

/* Waits (bounded) until a GET from src is answered 200. */
static int served_from(const char *src, int tries)
{
	const char *req = "GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	struct reply r;
	int status = 0;

	while (tries-- > 0) {
		roundtrip_from(src, req, strlen(req), &r);
		status = r.status;
		reply_free(&r);
		if (status == 200)
			return 1;
		usleep(50 * 1000);
	}
	return 0;
}

static void test_idle_flood_does_not_block_others(void **state)
{
	enum { IDLE = 200 };
	int fds[IDLE], i, opened = 0;

	(void)state;
	for (i = 0; i < IDLE; i++) {
		fds[i] = client_connect("127.0.0.4", g_port);
		if (fds[i] >= 0)
			opened++;
	}
	assert_true(opened >= IDLE / 2);
	/* another client is served at once */
	assert_true(served_from("127.0.0.2", 1));
	for (i = 0; i < IDLE; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Sends a request on the open connection fd: 1 if it is answered 200, 0
 * if the server closes it unanswered; fails on anything else. */
static int answered_200(int fd)
{
	const char *req = "GET /ok HTTP/1.1\r\nHost: t\r\n\r\n";
	char out[4096];
	ssize_t n;

	send_all(fd, req, strlen(req));  /* may fail on a connection already closed */
	n = recv(fd, out, sizeof(out) - 1, 0);
	if (n <= 0) {
		if (n < 0)
			assert_true(errno == ECONNRESET || errno == EPIPE);
		return 0;
	}
	assert_true(n > 12);
	out[n] = '\0';
	assert_non_null(strstr(out, "HTTP/1.1 200"));
	return 1;
}

/* Holds cap + 1 connections open from src to the server on g_port: cap of
 * them live and answered, one closed unanswered, and src let in again once
 * they close. Which one is refused is the server's order of accepting them,
 * not the order they were opened: its event loops accept in parallel, so
 * an earlier connection may be counted after a later one. */
static void assert_per_ip_cap(const char *src, int cap)
{
	int fds[LIMIT_HTTP_CONNECTIONS + 1], i, served = 0;

	assert_true(cap <= LIMIT_HTTP_CONNECTIONS);
	/* the kernel accepts all of them; the server then closes one */
	for (i = 0; i <= cap; i++) {
		fds[i] = client_connect(src, g_port);
		assert_true(fds[i] >= 0);
	}
	for (i = 0; i <= cap; i++)
		served += answered_200(fds[i]);
	assert_int_equal(served, cap);
	/* the live ones are served again on the same connections */
	for (i = 0, served = 0; i <= cap; i++)
		served += answered_200(fds[i]);
	assert_int_equal(served, cap);
	/* freeing a slot lets the address in again */
	for (i = 0; i <= cap; i++)
		close(fds[i]);
	assert_true(served_from(src, 40));
}

static void test_per_ip_cap(void **state)
{
	(void)state;
	assert_per_ip_cap("127.0.0.3", LIMIT_HTTP_CONNECTIONS_PER_IP);
}

/* ONRAMP_HTTP_PER_IP: behind a reverse proxy every client is the proxy's
 * address, so the cap is raised to let it hold more than the default. */
static void test_per_ip_cap_setting(void **state)
{
	struct http_server_options opt = { "127.0.0.1", 0, 0, test_dispatch, NULL, 0 };
	static const unsigned caps[] = { 3, LIMIT_HTTP_CONNECTIONS_PER_IP + 16 };
	struct http_server *s = NULL;
	char err[256];
	int saved = g_port;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		opt.per_ip = caps[i];
		assert_int_equal(http_server_start(&opt, &s, err, sizeof(err)), 0);
		g_port = http_server_port(s);
		assert_per_ip_cap("127.0.0.6", (int)caps[i]);
		g_port = saved;
		http_server_stop(s);
	}
}

static void test_handler_failure_500(void **state)
{
	struct reply r;

	(void)state;
	roundtrip("GET /fail HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 500);
	assert_non_null(strstr(r.body, "Something went wrong on our side"));
	assert_null(strstr(r.body, "half a page"));
	assert_security_headers(&r);
	reply_free(&r);
	roundtrip("GET /huge HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 500);
	reply_free(&r);
	roundtrip("GET /bad-header HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 500);
	assert_null(strstr(r.raw, "pwned"));
	reply_free(&r);
}

static void test_head_has_no_body(void **state)
{
	struct reply get, head;

	(void)state;
	roundtrip("GET /same HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &get);
	roundtrip("HEAD /same HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &head);
	assert_int_equal(head.status, 200);
	assert_non_null(head.body);
	assert_string_equal(head.body, "");
	assert_security_headers(&head);
	assert_non_null(reply_header(&head, "Content-Length"));
	/* method differs in the echo (1 vs 0), so the lengths match */
	assert_true(strlen(get.body) > 0);
	assert_int_equal((int)strtol(reply_header(&head, "Content-Length"), NULL, 10), (int)strlen(get.body));
	reply_free(&get);
	reply_free(&head);
}

static void test_redirect_cookies_headers(void **state)
{
	struct reply r;

	(void)state;
	roundtrip("GET /redirect HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 303);
	assert_string_equal(reply_header(&r, "Location"), "/thanks");
	assert_int_equal(reply_count_header(&r, "Set-Cookie"), 2);
	assert_string_equal(reply_header(&r, "X-Test"), "yes");
	assert_security_headers(&r);
	reply_free(&r);
}

static void test_csp_override(void **state)
{
	struct reply r;

	(void)state;
	roundtrip("GET /csp HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(reply_count_header(&r, "Content-Security-Policy"), 1);
	assert_string_equal(reply_header(&r, "Content-Security-Policy"), "default-src 'self'; img-src *");
	assert_string_equal(reply_header(&r, "X-Frame-Options"), "DENY");
	reply_free(&r);
}

static void test_file_response(void **state)
{
	struct reply r;

	(void)state;
	roundtrip("GET /file HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(reply_header(&r, "Content-Type"), "text/css");
	assert_string_equal(reply_header(&r, "Cache-Control"), "public, max-age=3600");
	assert_string_equal(r.body, "body { color: black; }\n");
	assert_security_headers(&r);
	reply_free(&r);
	roundtrip("GET /missing-file HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);
}

static void test_keep_alive_two_requests(void **state)
{
	const char *two = "GET /one HTTP/1.1\r\nHost: t\r\n\r\n"
	                  "GET /two HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	struct reply r;

	(void)state;
	roundtrip(two, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.raw, "path=/one\n"));
	assert_non_null(strstr(r.raw, "path=/two\n"));
	reply_free(&r);
}

/* ---- setup ---- */

static struct http_server *g_server;

static int group_setup(void **state)
{
	struct http_server_options opt = { "127.0.0.1", 0, 0, test_dispatch, NULL, 0 };
	char err[256];
	FILE *f;

	(void)state;
	log_set_level(LOG_ERROR);
	snprintf(g_file, sizeof(g_file), "/tmp/onramp-test-server-%ld.css", (long)getpid());
	f = fopen(g_file, "w");
	if (!f)
		return -1;
	fputs("body { color: black; }\n", f);
	fclose(f);
	if (http_server_start(&opt, &g_server, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	g_port = http_server_port(g_server);
	return g_port > 0 ? 0 : -1;
}

/* A request sent on its own thread, its reply read there. */
struct client_call {
	pthread_t    thread;
	const char  *request;
	struct reply r;
};

static void *client_call_main(void *p)
{
	struct client_call *cc = p;
	int fd = client_connect(NULL, g_port);

	cc->r.raw = malloc(RESP_MAX);
	if (fd >= 0 && cc->r.raw && send_all(fd, cc->request, strlen(cc->request)) == 0)
		cc->r.len = read_all(fd, cc->r.raw, RESP_MAX);
	if (fd >= 0)
		close(fd);
	if (cc->r.raw)
		reply_parse(&cc->r);
	return NULL;
}

static void client_call_start(struct client_call *cc, const char *request)
{
	memset(cc, 0, sizeof(*cc));
	cc->request = request;
	assert_int_equal(pthread_create(&cc->thread, NULL, client_call_main, cc), 0);
}

/* Starts GET /park on its own thread and waits until its handler parked it. */
static void park_start(struct client_call *park)
{
	g_parked = NULL;
	client_call_start(park, "GET /park HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	pthread_mutex_lock(&g_mu);
	while (!g_parked)
		pthread_cond_wait(&g_cv, &g_mu);
	pthread_mutex_unlock(&g_mu);
}

/* A handler that blocks runs on a worker: the event loop goes on serving
 * other requests meanwhile (if it did not, /fast would wait for the gate,
 * which only opens after /fast is answered). */
static void test_worker_does_not_stall_event_loop(void **state)
{
	struct client_call slow;
	struct reply r;

	(void)state;
	g_gate_open = g_slow_running = 0;
	client_call_start(&slow, "GET /slow HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	pthread_mutex_lock(&g_mu);
	while (!g_slow_running)
		pthread_cond_wait(&g_cv, &g_mu);
	pthread_mutex_unlock(&g_mu);
	roundtrip("GET /fast HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "path=/fast"));
	reply_free(&r);
	pthread_mutex_lock(&g_mu);
	g_gate_open = 1;
	pthread_cond_broadcast(&g_cv);
	pthread_mutex_unlock(&g_mu);
	pthread_join(slow.thread, NULL);
	assert_int_equal(slow.r.status, 200);
	assert_non_null(strstr(slow.r.body, "slow done, on the event loop: 0"));
	reply_free(&slow.r);
}

/* A parked request is answered when another thread resumes it, by its
 * continuation on the event loop; other requests go on meanwhile. */
static void test_parked_request_resumed(void **state)
{
	struct client_call park;
	struct reply r;

	(void)state;
	park_start(&park);
	roundtrip("GET /other HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	http_resume(g_parked);
	pthread_join(park.thread, NULL);
	assert_int_equal(park.r.status, 200);
	assert_non_null(strstr(park.r.body, "resumed on the event loop: 1"));
	reply_free(&park.r);
}

/* Stopping waits for a parked request to be answered (MHD must not stop
 * with a suspended connection), and its client gets the whole answer. */
struct resume_later {
	pthread_t thread;
};

static void *resume_later_main(void *p)
{
	struct timespec ms100 = { 0, 100 * 1000000L };

	(void)p;
	nanosleep(&ms100, NULL);
	http_resume(g_parked);
	return NULL;
}

static void test_stop_answers_parked_first(void **state)
{
	struct client_call park;
	struct resume_later later;

	(void)state;
	park_start(&park);
	assert_int_equal(pthread_create(&later.thread, NULL, resume_later_main, NULL), 0);
	http_server_stop(g_server);  /* returns once the parked request is over */
	g_server = NULL;
	pthread_join(later.thread, NULL);
	pthread_join(park.thread, NULL);
	assert_int_equal(park.r.status, 200);
	assert_non_null(strstr(park.r.body, "resumed on the event loop: 1"));
	reply_free(&park.r);
}

static int group_teardown(void **state)
{
	(void)state;
	http_server_stop(g_server);
	unlink(g_file);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_has_security_headers),
		cmocka_unit_test(test_https_adds_hsts),
		cmocka_unit_test(test_stop_while_connections_arrive),
		cmocka_unit_test(test_start_refuses_bad_options),
		cmocka_unit_test(test_ipv6_loopback),
		cmocka_unit_test(test_query_params_decoded),
		cmocka_unit_test(test_urlencoded_form_decoded),
		cmocka_unit_test(test_urlencoded_long_value_joined),
		cmocka_unit_test(test_multipart_fields_and_file),
		cmocka_unit_test(test_raw_body_kept),
		cmocka_unit_test(test_cookies_parsed),
		cmocka_unit_test(test_two_content_lengths_400),
		cmocka_unit_test(test_length_and_chunked_400),
		cmocka_unit_test(test_length_over_cap_413_without_body),
		cmocka_unit_test(test_chunked_over_cap_413),
		cmocka_unit_test(test_endless_chunked_body_dropped),
		cmocka_unit_test(test_other_transfer_encodings),
		cmocka_unit_test(test_chunked_under_cap_ok),
		cmocka_unit_test(test_invalid_utf8_400),
		cmocka_unit_test(test_too_many_fields_413),
		cmocka_unit_test(test_long_field_name_400),
		cmocka_unit_test(test_oversize_header_refused_server_survives),
		cmocka_unit_test(test_url_too_long_414),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_missing_host_refused),
		cmocka_unit_test(test_idle_flood_does_not_block_others),
		cmocka_unit_test(test_per_ip_cap),
		cmocka_unit_test(test_per_ip_cap_setting),
		cmocka_unit_test(test_handler_failure_500),
		cmocka_unit_test(test_head_has_no_body),
		cmocka_unit_test(test_redirect_cookies_headers),
		cmocka_unit_test(test_csp_override),
		cmocka_unit_test(test_file_response),
		cmocka_unit_test(test_keep_alive_two_requests),
		cmocka_unit_test(test_worker_does_not_stall_event_loop),
		cmocka_unit_test(test_parked_request_resumed),
		cmocka_unit_test(test_stop_answers_parked_first), /* last: stops the server */
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
