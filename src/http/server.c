/*
 * server.c — the libmicrohttpd adapter: from socket bytes to a struct
 * request, and from a struct response back to bytes.
 *
 * One request goes through these steps (MHD calls us several times):
 *  1. server_uri_start (MHD_OPTION_URI_LOG_CALLBACK) sees the raw URI and
 *     creates the per-request state (struct conn, with the request's arena).
 *  2. server_access, first call, headers read, body not yet: the limits and
 *     smuggling checks (server_begin). A refusal here is queued at once with
 *     "Connection: close", so an oversized or ambiguous body is never read.
 *  3. server_access, upload calls: the body is collected up to
 *     LIMIT_HTTP_BODY_MAX and, for urlencoded and multipart forms, fed to
 *     MHD's post processor (fields joined from their chunks). MHD cannot
 *     answer in the middle of an upload, so a chunked body over the cap is
 *     discarded to its end and answered 413 — or, past SERVER_DISCARD_MAX,
 *     the connection is simply dropped.
 *  4. server_access, final call: query, cookies and form are checked for
 *     UTF-8 (utf8_valid also refuses NUL), the request is completed and the
 *     dispatch function called; its struct response is sent
 *     (server_respond) with the security headers.
 *  5. server_request_done (MHD_OPTION_NOTIFY_COMPLETED) frees it all.
 *
 * Methods: GET, HEAD and POST reach the dispatcher. The other methods of
 * RFC 9110 (PUT, DELETE, PATCH, OPTIONS, TRACE, CONNECT) get 405 with
 * "Allow: GET, HEAD, POST"; any other method token gets 501.
 *
 * Every response — the handler's or the adapter's own error — carries the
 * security headers (CSP, nosniff, Referrer-Policy, X-Frame-Options, HSTS when
 * the site is https). A handler may replace the CSP with a
 * "Content-Security-Policy" extra header (the last one wins).
 *
 * Threading: MHD runs a few event-loop threads (epoll, one per core, up to
 * LIMIT_HTTP_EVENT_THREADS), each serving many connections, so a request
 * costs no thread of its own and no wake-ups beyond its socket's. A
 * handler must not block there: the dispatch function either answers at
 * once (static files, the intake endpoint, whose database write is
 * asynchronous) or asks for a worker (HTTP_DISPATCH_WORKER): the
 * connection is suspended (MHD_suspend_connection), queued to one of
 * LIMIT_HTTP_WORKERS worker threads, which run the handler — blocking on
 * the database is fine there — and resume the connection, whose own event
 * loop then sends the response. A handler may also park its request
 * (http_suspend) until something else calls http_resume; the continuation
 * runs on the event loop. Each step hands the whole struct conn from one
 * thread to the next (through the workers' queue lock, or MHD's resume),
 * so one thread at a time works on a request. Before the daemon stops,
 * every suspended connection is waited for: MHD must not stop with one.
 * Meanwhile new connections are closed as they come (the accept policy),
 * not stopped with MHD_quiesce_daemon: on an epoll daemon with its own
 * threads that races with the event loops' own removal of the listening
 * socket from their epoll sets, and libmicrohttpd 0.9.75 aborts the
 * process when it loses ("Failed to remove listen FD from epoll set").
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <microhttpd.h>

#include "lib/limits.h"
#include "lib/log.h"
#include "lib/utf8.h"

/* Arena of one request: the parsed request plus whatever the handler builds. */
#define SERVER_ARENA_MAX    ((size_t)LIMIT_PAGE_MAX * 2)
/* Post processor's buffer: the chunk size in which field values arrive. */
#define SERVER_POST_BUFFER  8192
/* Body bytes read and thrown away after the cap, to still answer 413. */
#define SERVER_DISCARD_MAX  ((size_t)LIMIT_HTTP_BODY_MAX * 4)

static const char server_csp[] =
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static const char server_msg_500[] = "Something went wrong on our side. Please try again later.";
static const char server_msg_utf8[] = "The request contains text that isn't valid UTF-8";

struct conn;

struct http_server {
	struct MHD_Daemon      *daemon;
	struct sockaddr_storage addr;
	int                     port;
	int                     is_https;
	http_handler            dispatch;
	struct app             *app;
	/* The workers: a queue of suspended connections to run handlers for. */
	pthread_t               workers[LIMIT_HTTP_WORKERS];
	size_t                  nworkers;
	pthread_mutex_t         wmu;
	pthread_cond_t          wcv;
	struct conn            *whead, *wtail;
	int                     wstop;
	atomic_long             suspended;  /* requests suspended once and not yet over */
	atomic_int              closing;    /* stopping: new connections are refused */
};

/* Where a request is (see "Threading" above). */
enum conn_state {
	CONN_READING,      /* headers and body, then the handler on the event loop */
	CONN_ON_WORKER,    /* suspended: queued for, or run by, a worker */
	CONN_WORKER_DONE,  /* the worker filled res and resumed it */
	CONN_PARKED,       /* suspended by its handler (http_suspend) */
	CONN_CONTINUE,     /* http_resume was called: run the continuation */
};

/* Everything of one request; created by server_uri_start, freed by server_request_done. */
struct conn {
	struct request            req;
	size_t                    uri_len;     /* raw URI including the query */
	int                       uri_bad;     /* the raw URI has a bad or NUL %-escape */
	int                       uri_not_path; /* the raw URI does not start with '/' */
	int                       started;     /* the first access call happened */
	int                       too_large;   /* the body went over LIMIT_HTTP_BODY_MAX */
	size_t                    discarded;   /* bytes thrown away after too_large */
	buf                       body;
	struct MHD_PostProcessor *pp;
	int                       form_status; /* an error found while parsing the form */
	const char               *form_message;
	int                       field_open;  /* a field is being collected */
	char                      field_name[LIMIT_FORM_FIELD_NAME + 1];
	buf                       field_value;
	/* Handling (server_handle and after). */
	const struct http_server *srv;
	struct MHD_Connection    *mc;
	struct response           res;         /* built across suspensions */
	int                       res_open;    /* res was initialised */
	int                       handler_rc;  /* the worker's dispatch result */
	int                       parked;      /* the handler called http_suspend */
	http_handler              cont;        /* its continuation */
	atomic_int                state;       /* enum conn_state */
	int                       counted;     /* in srv->suspended until freed */
	struct conn              *next;        /* the workers' queue */
};

/* What the header scan found (before the body is read). */
struct header_scan {
	unsigned    content_length_count;
	unsigned    transfer_encoding_count;
	const char *content_length;
	size_t      content_length_len;
	const char *transfer_encoding;
	size_t      cookie_bytes;
	size_t      header_bytes;
};

/* ---- logging ---- */

static void server_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
		return;
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warn("http: %s", line);
}

/* ---- per-request state ---- */

/* Returns 1 if every '%' in s starts a two-hex-digit escape that is not %00.
 * libmicrohttpd decodes leniently (a bad escape passes through as text, and
 * %00 silently cuts a path short), so the raw URI and urlencoded bodies are
 * checked here and refused with 400 instead. */
static int server_percent_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] != '%')
			continue;
		if (len - i < 3 || !isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2]))
			return 0;
		if (s[i + 1] == '0' && s[i + 2] == '0')
			return 0;
		i += 2;
	}
	return 1;
}

/* Whether to serve a new connection: not once the server is stopping
 * (http_server_stop), when it is closed at once. */
static enum MHD_Result server_accept_policy(void *cls, const struct sockaddr *addr,
                                            socklen_t addrlen)
{
	const struct http_server *srv = cls;

	(void)addr;
	(void)addrlen;
	return atomic_load(&srv->closing) ? MHD_NO : MHD_YES;
}

static void *server_uri_start(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct conn *c;

	(void)cls;
	(void)mc;
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_error("http: out of memory for a new request");
		return NULL;
	}
	arena_init(&c->req.arena, SERVER_ARENA_MAX);
	buf_init(&c->body, LIMIT_HTTP_BODY_MAX);
	buf_init(&c->field_value, LIMIT_HTTP_BODY_MAX);
	c->uri_len = uri ? strnlen(uri, (size_t)LIMIT_URL_MAX + 1) : 0;
	c->uri_bad = uri && !server_percent_ok(uri, c->uri_len);
	/* Only origin-form targets (RFC 9112 3.2.1) name a page of ours; "?x",
	 * "x" or an absolute URI would reach the router without a path. */
	c->uri_not_path = !uri || uri[0] != '/';
	return c;
}

static void server_conn_free(struct conn *c)
{
	if (!c)
		return;
	if (c->counted)
		atomic_fetch_sub(&((struct http_server *)c->srv)->suspended, 1);
	if (c->pp)
		MHD_destroy_post_processor(c->pp);
	buf_free(&c->body);
	buf_free(&c->field_value);
	if (c->res_open)
		buf_free(&c->res.body);
	arena_free(&c->req.arena);
	free(c);
}

static void server_request_done(void *cls, struct MHD_Connection *mc, void **con_cls,
                                enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)mc;
	(void)toe;
	server_conn_free(*con_cls);
	*con_cls = NULL;
}

/* ---- sending ---- */

static int server_add(struct MHD_Response *r, const char *name, const char *value)
{
	if (MHD_add_response_header(r, name, value) != MHD_YES) {
		log_error("http: response header %s refused (empty, or a control character)", name);
		return -1;
	}
	return 0;
}

/* Adds every header of res, the security headers included. Returns 0 or -1. */
static int server_add_headers(const struct http_server *srv, struct MHD_Response *r,
                              const struct response *res, int close_after)
{
	size_t i, last_csp = (size_t)-1;

	for (i = 0; i < res->n_extra_headers; i++)
		if (strcasecmp(res->extra_headers[i][0], "Content-Security-Policy") == 0)
			last_csp = i;

	if (server_add(r, "Content-Type",
	               res->content_type ? res->content_type : "text/html; charset=utf-8") < 0 ||
	    server_add(r, "Cache-Control", res->cache_control ? res->cache_control : "no-store") < 0 ||
	    (last_csp == (size_t)-1 && server_add(r, "Content-Security-Policy", server_csp) < 0) ||
	    server_add(r, "X-Content-Type-Options", "nosniff") < 0 ||
	    server_add(r, "Referrer-Policy", "same-origin") < 0 ||
	    server_add(r, "X-Frame-Options", "DENY") < 0)
		return -1;
	if (srv->is_https && server_add(r, "Strict-Transport-Security", "max-age=31536000") < 0)
		return -1;
	if (res->location && server_add(r, "Location", res->location) < 0)
		return -1;
	for (i = 0; i < res->n_set_cookies; i++)
		if (server_add(r, "Set-Cookie", res->set_cookies[i]) < 0)
			return -1;
	for (i = 0; i < res->n_extra_headers; i++) {
		if (strcasecmp(res->extra_headers[i][0], "Content-Security-Policy") == 0 && i != last_csp)
			continue;
		if (server_add(r, res->extra_headers[i][0], res->extra_headers[i][1]) < 0)
			return -1;
	}
	if (close_after && server_add(r, "Connection", "close") < 0)
		return -1;
	return 0;
}

/* Opens res->file_path for sending. Returns the fd (and *size), or -1
 * after turning res into the error to send instead. */
static int server_open_file(struct response *res, size_t *size)
{
	struct stat st;
	int fd, err;

	fd = open(res->file_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT || err == ENOTDIR) {
			http_error(res, 404, "Not found");
		} else {
			log_error("http: cannot open %s: %s", res->file_path, strerror(err));
			http_error(res, 500, server_msg_500);
		}
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		http_error(res, 404, "Not found");
		return -1;
	}
	*size = (size_t)st.st_size;
	return fd;
}

/* Builds the MHD response for res. Returns it, or NULL. */
static struct MHD_Response *server_build(const struct http_server *srv, struct response *res,
                                         int close_after)
{
	struct MHD_Response *r;
	size_t size = 0;
	int fd;

	/* A file that cannot be opened has turned res into an error page. */
	if (res->file_path && (fd = server_open_file(res, &size)) >= 0) {
		r = MHD_create_response_from_fd(size, fd); /* owns fd from here */
		if (!r)
			close(fd);
	} else {
		r = MHD_create_response_from_buffer(res->body.len,
		                                    res->body.data ? res->body.data : (void *)"",
		                                    MHD_RESPMEM_MUST_COPY);
	}
	if (!r)
		return NULL;
	if (server_add_headers(srv, r, res, close_after) < 0) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

/* Sends res (a failed one as a 500). res->body is released here. */
static enum MHD_Result server_respond(const struct http_server *srv, struct MHD_Connection *mc,
                                      struct response *res, int close_after)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (buf_failed(&res->body) || res->status < 100 || res->status > 599) {
		log_error("http: handler response unusable (status %d, body %s)", res->status,
		          buf_failed(&res->body) ? "failed" : "ok");
		memset(res->extra_headers, 0, sizeof(res->extra_headers));
		res->n_extra_headers = 0;
		res->n_set_cookies = 0;
		res->cache_control = NULL;
		http_error(res, 500, server_msg_500);
	}
	r = server_build(srv, res, close_after);
	if (!r) {
		res->n_extra_headers = 0;
		res->n_set_cookies = 0;
		res->cache_control = NULL;
		http_error(res, 500, server_msg_500);
		r = server_build(srv, res, close_after);
	}
	buf_free(&res->body);
	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(mc, (unsigned)res->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Sends one of the adapter's own plain-text errors. */
static enum MHD_Result server_fail(const struct http_server *srv, struct MHD_Connection *mc,
                                   int status, const char *message, int close_after)
{
	struct response res;

	memset(&res, 0, sizeof(res));
	buf_init(&res.body, LIMIT_PAGE_MAX);
	http_error(&res, status, message);
	if (status == 405)
		http_add_header(&res, "Allow", "GET, HEAD, POST");
	return server_respond(srv, mc, &res, close_after);
}

/* ---- before the body ---- */

static enum MHD_Result server_scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                          size_t key_size, const char *value, size_t value_size)
{
	struct header_scan *hs = cls;

	(void)kind;
	hs->header_bytes += key_size + value_size + 4; /* ": " and CRLF */
	if (strcasecmp(key, "Content-Length") == 0) {
		hs->content_length_count++;
		hs->content_length = value;
		hs->content_length_len = value ? value_size : 0;
	} else if (strcasecmp(key, "Transfer-Encoding") == 0) {
		hs->transfer_encoding_count++;
		hs->transfer_encoding = value;
	} else if (strcasecmp(key, "Cookie") == 0) {
		hs->cookie_bytes += value_size;
	}
	return MHD_YES;
}

/* Parses a Content-Length value. Returns 0 and *out (capped just above
 * LIMIT_HTTP_BODY_MAX, enough to refuse), or -1 if it is not a number. */
static int server_parse_length(const char *s, size_t len, size_t *out)
{
	size_t i, v = 0;

	if (!s || len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v <= (size_t)LIMIT_HTTP_BODY_MAX)
			v = v * 10 + (size_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static enum http_method server_method(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return HTTP_GET;
	if (strcmp(m, "HEAD") == 0)
		return HTTP_HEAD;
	if (strcmp(m, "POST") == 0)
		return HTTP_POST;
	return HTTP_OTHER;
}

static int server_method_is_known(const char *m)
{
	static const char *const known[] = { "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT" };
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(m, known[i]) == 0)
			return 1;
	return 0;
}

static enum MHD_Result server_form_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *filename, const char *content_type,
                                         const char *transfer_encoding, const char *data,
                                         uint64_t off, size_t size);

/* The first call: everything decidable from the request line and headers. */
static enum MHD_Result server_begin(const struct http_server *srv, struct conn *c,
                                    struct MHD_Connection *mc, const char *method)
{
	struct header_scan hs;
	size_t length = 0;

	c->req.method = server_method(method);
	if (c->uri_len > LIMIT_URL_MAX)
		return server_fail(srv, mc, 414, "The address (URL) is too long", 1);
	if (c->uri_bad)
		return server_fail(srv, mc, 400, "The address (URL) has a malformed %-escape", 1);
	if (c->uri_not_path)
		return server_fail(srv, mc, 400, "The address (URL) must start with /", 1);
	if (c->req.method == HTTP_OTHER) {
		if (server_method_is_known(method))
			return server_fail(srv, mc, 405, "This method is not allowed here; use GET or POST", 1);
		return server_fail(srv, mc, 501, "This server does not understand the request method", 1);
	}
	memset(&hs, 0, sizeof(hs));
	MHD_get_connection_values_n(mc, MHD_HEADER_KIND, server_scan_header, &hs);
	if (hs.content_length_count > 1)
		return server_fail(srv, mc, 400, "The request has more than one Content-Length header", 1);
	if (hs.transfer_encoding_count > 1)
		return server_fail(srv, mc, 400, "The request has more than one Transfer-Encoding header", 1);
	if (hs.content_length_count && hs.transfer_encoding_count)
		return server_fail(srv, mc, 400,
		                   "The request has both Content-Length and Transfer-Encoding headers", 1);
	if (hs.transfer_encoding_count &&
	    (!hs.transfer_encoding || strcasecmp(hs.transfer_encoding, "chunked") != 0))
		return server_fail(srv, mc, 501, "The request's Transfer-Encoding is not supported", 1);
	if (hs.content_length_count) {
		if (server_parse_length(hs.content_length, hs.content_length_len, &length) < 0)
			return server_fail(srv, mc, 400, "The Content-Length header is not a number", 1);
		if (length > LIMIT_HTTP_BODY_MAX)
			return server_fail(srv, mc, 413, "The request body is too large (the limit is 64 KiB)", 1);
	}
	if (hs.cookie_bytes > LIMIT_COOKIE_MAX)
		return server_fail(srv, mc, 431,
		                   "The request's cookies are too large; clear this site's cookies and try again", 1);
	if (hs.header_bytes > LIMIT_HTTP_HEADER_MAX)
		return server_fail(srv, mc, 431, "The request headers are too large", 1);
	if (c->req.method == HTTP_POST) {
		/* NULL unless the body is urlencoded or multipart: then only the raw body is kept. */
		c->pp = MHD_create_post_processor(mc, SERVER_POST_BUFFER, server_form_field, c);
	}
	return MHD_YES;
}

/* ---- the body and the form ---- */

static void server_form_error(struct conn *c, int status, const char *message)
{
	if (!c->form_status) {
		c->form_status = status;
		c->form_message = message;
	}
}

/* Adds the field being collected to req->form. Returns 0 or -1. */
static int server_form_flush(struct conn *c)
{
	if (!c->field_open)
		return 0;
	c->field_open = 0;
	if (http_params_add(&c->req.arena, &c->req.form, c->field_name, strlen(c->field_name),
	                    buf_str(&c->field_value), c->field_value.len) < 0) {
		server_form_error(c, 500, server_msg_500);
		return -1;
	}
	buf_reset(&c->field_value);
	return 0;
}

/* MHD's post processor hands over each field in chunks (off counts the
 * bytes of the value already given); a field starts at off 0. File parts of
 * multipart bodies arrive the same way and are kept as fields. */
static enum MHD_Result server_form_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *filename, const char *content_type,
                                         const char *transfer_encoding, const char *data,
                                         uint64_t off, size_t size)
{
	struct conn *c = cls;
	size_t key_len;

	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	if (c->form_status)
		return MHD_NO;
	if (!key)
		key = "";
	if (off == 0 || !c->field_open || strcmp(key, c->field_name) != 0) {
		if (server_form_flush(c) < 0)
			return MHD_NO;
		key_len = strnlen(key, LIMIT_FORM_FIELD_NAME + 1);
		if (key_len > LIMIT_FORM_FIELD_NAME) {
			server_form_error(c, 400, "A form field's name is too long");
			return MHD_NO;
		}
		if (c->req.form.count >= LIMIT_FORM_FIELDS) {
			server_form_error(c, 413, "The form has too many fields");
			return MHD_NO;
		}
		memcpy(c->field_name, key, key_len);
		c->field_name[key_len] = '\0';
		c->field_open = 1;
	}
	if (size && buf_add(&c->field_value, data, size) < 0) {
		server_form_error(c, 413, "A form field is too large");
		return MHD_NO;
	}
	return MHD_YES;
}

/* Takes one piece of the body. */
static void server_take_body(struct conn *c, const char *data, size_t size)
{
	if (c->too_large) {
		c->discarded += size;
		return;
	}
	if (size > LIMIT_HTTP_BODY_MAX - c->body.len) {
		c->too_large = 1;
		c->discarded = size;
		return;
	}
	if (buf_add(&c->body, data, size) < 0) {
		server_form_error(c, 500, server_msg_500);
		return;
	}
	if (c->pp && !c->form_status && MHD_post_process(c->pp, data, size) != MHD_YES)
		server_form_error(c, 400, "The form data could not be read");
}

/* ---- the final call ---- */

struct param_collect {
	struct conn        *c;
	struct http_params *params;
	size_t              max;
	int                 status;  /* 0, or an error to answer */
};

static enum MHD_Result server_collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                            size_t key_size, const char *value, size_t value_size)
{
	struct param_collect *pc = cls;

	(void)kind;
	if (pc->params->count >= pc->max) {
		pc->status = 400;
		return MHD_NO;
	}
	if (http_params_add(&pc->c->req.arena, pc->params, key, key ? key_size : 0, value,
	                    value ? value_size : 0) < 0) {
		pc->status = 500;
		return MHD_NO;
	}
	return MHD_YES;
}

/* Collects one kind of MHD values into params. Returns 0 or an HTTP status. */
static int server_collect(struct conn *c, struct MHD_Connection *mc, enum MHD_ValueKind kind,
                          struct http_params *params, size_t max)
{
	struct param_collect pc = { c, params, max, 0 };

	MHD_get_connection_values_n(mc, kind, server_collect_param, &pc);
	return pc.status;
}

static int server_params_valid(const struct http_params *p)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		if (!utf8_valid(p->items[i].name, strlen(p->items[i].name)) ||
		    !utf8_valid(p->items[i].value, p->items[i].value_len))
			return 0;
	return 1;
}

/* Sets req->client_ip from the peer address (IPv4-mapped IPv6 as IPv4). */
static void server_client_ip(struct conn *c, struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci;
	char text[INET6_ADDRSTRLEN];
	const struct sockaddr *sa;
	const struct sockaddr_in6 *s6;
	const char *ip = NULL;

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET) {
		ip = inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, text,
		               sizeof(text));
	} else if (sa && sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			ip = inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], text, sizeof(text));
		else
			ip = inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof(text));
	}
	c->req.client_ip = arena_strdup(&c->req.arena, ip ? ip : "unknown");
}

const char *http_header_get(const struct request *req, const char *name)
{
	if (req == NULL || req->conn == NULL)
		return NULL;
	return MHD_lookup_connection_value((struct MHD_Connection *)req->conn, MHD_HEADER_KIND, name);
}

/* Copies s for a log line: control bytes become '?', long text is cut. */
static void server_loggable(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < outlen; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	out[i] = '\0';
}

/* After a handler (or a continuation) returned rc: nothing more while it
 * is parked; else the response goes out (a failed handler's as a 500). */
static enum MHD_Result server_after_handler(struct conn *c, int rc)
{
	char safe[128];

	if (c->parked)
		return MHD_YES;
	if (rc != 0) {
		server_loggable(c->req.path, safe, sizeof(safe));
		log_error("http: handler for %s failed", safe);
		c->res.body.failed = 1;
	}
	c->res_open = 0;  /* server_respond releases the body */
	return server_respond(c->srv, c->mc, &c->res, 0);
}

/* Counts c, once, among the requests http_server_stop waits for: from its
 * first suspension until it is over (answered and sent, or dropped). */
static void server_count_suspended(struct conn *c)
{
	if (c->counted)
		return;
	c->counted = 1;
	atomic_fetch_add(&((struct http_server *)c->srv)->suspended, 1);
}

/* Suspends c and queues it for a worker. */
static enum MHD_Result server_to_worker(struct conn *c)
{
	struct http_server *srv = (struct http_server *)c->srv;

	atomic_store(&c->state, CONN_ON_WORKER);
	MHD_suspend_connection(c->mc);
	server_count_suspended(c);
	c->next = NULL;
	pthread_mutex_lock(&srv->wmu);
	if (srv->wtail)
		srv->wtail->next = c;
	else
		srv->whead = c;
	srv->wtail = c;
	pthread_cond_signal(&srv->wcv);
	pthread_mutex_unlock(&srv->wmu);
	return MHD_YES;
}

/* A worker: runs handlers that may block, then hands each connection back
 * to its event loop. */
static void *server_worker_main(void *p)
{
	struct http_server *srv = p;
	struct conn *c;
	int rc;

	(void)pthread_setname_np(pthread_self(), "onramp-http");
	pthread_mutex_lock(&srv->wmu);
	for (;;) {
		while (!srv->whead && !srv->wstop)
			pthread_cond_wait(&srv->wcv, &srv->wmu);
		if (!srv->whead)
			break;  /* stopping, and the queue is empty */
		c = srv->whead;
		srv->whead = c->next;
		if (!srv->whead)
			srv->wtail = NULL;
		pthread_mutex_unlock(&srv->wmu);

		c->req.on_event_loop = 0;
		rc = srv->dispatch(&c->req, &c->res);
		/* A handler that parked its request leaves it to http_resume. */
		if (!c->parked) {
			c->handler_rc = rc;
			atomic_store(&c->state, CONN_WORKER_DONE);
			MHD_resume_connection(c->mc);  /* c is the event loop's from here */
		}
		pthread_mutex_lock(&srv->wmu);
	}
	pthread_mutex_unlock(&srv->wmu);
	return NULL;
}

int http_suspend(struct request *req, http_handler cont)
{
	struct conn *c = (struct conn *)(void *)req;  /* req is c's first member */

	if (c->mc == NULL || cont == NULL)
		return -1;
	c->cont = cont;
	c->parked = 1;
	/* On the event loop the connection runs until now; on a worker it is
	 * suspended already. */
	if (atomic_load(&c->state) == CONN_READING) {
		MHD_suspend_connection(c->mc);
		server_count_suspended(c);
	}
	atomic_store(&c->state, CONN_PARKED);
	return 0;
}

void http_resume(struct request *req)
{
	struct conn *c = (struct conn *)(void *)req;

	atomic_store(&c->state, CONN_CONTINUE);
	MHD_resume_connection(c->mc);  /* c is the event loop's from here */
}

/* The access handler called again for a resumed connection. */
static enum MHD_Result server_resumed(struct conn *c)
{
	int state = atomic_load(&c->state), rc;

	atomic_store(&c->state, CONN_READING);
	if (state == CONN_WORKER_DONE)
		return server_after_handler(c, c->handler_rc);
	c->parked = 0;
	c->req.on_event_loop = 1;
	rc = c->cont(&c->req, &c->res);
	return server_after_handler(c, rc);
}

static enum MHD_Result server_finish(const struct http_server *srv, struct conn *c,
                                     struct MHD_Connection *mc, const char *url)
{
	struct request *req = &c->req;
	const char *ct, *ua;
	int status, rc;

	if (c->too_large)
		return server_fail(srv, mc, 413, "The request body is too large (the limit is 64 KiB)", 1);
	ct = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (c->pp && ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 &&
	    !server_percent_ok(buf_str(&c->body), c->body.len))
		server_form_error(c, 400, "The form data has a malformed %-escape");
	if (c->pp) {
		/* Destroying flushes the last urlencoded value; MHD_NO means a truncated body. */
		if (MHD_destroy_post_processor(c->pp) != MHD_YES)
			server_form_error(c, 400, "The form data could not be read");
		c->pp = NULL;
	}
	if (!c->form_status)
		server_form_flush(c);
	if (c->form_status)
		return server_fail(srv, mc, c->form_status, c->form_message, c->form_status != 500);

	status = server_collect(c, mc, MHD_GET_ARGUMENT_KIND, &req->query, LIMIT_FORM_FIELDS);
	if (status)
		return server_fail(srv, mc, status,
		                   status == 400 ? "The address has too many parameters" : server_msg_500, 0);
	status = server_collect(c, mc, MHD_COOKIE_KIND, &req->cookies, (size_t)LIMIT_COOKIE_MAX);
	if (status)
		return server_fail(srv, mc, status, server_msg_500, 0);

	req->path = arena_strdup(&req->arena, url ? url : "/");
	if (c->body.len) {
		req->body = c->body.data;
		req->body_len = c->body.len;
	}
	req->content_type = ct ? arena_strdup(&req->arena, ct) : NULL;
	ua = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
	req->user_agent = arena_strdup(&req->arena, ua ? ua : "");
	server_client_ip(c, mc);
	req->is_https = srv->is_https;
	req->app = srv->app;
	req->conn = mc;
	if (!req->path || !req->user_agent || !req->client_ip || (ct && !req->content_type) ||
	    req->arena.failed)
		return server_fail(srv, mc, 500, server_msg_500, 0);

	if (!utf8_valid(req->path, strlen(req->path)) || !server_params_valid(&req->query) ||
	    !server_params_valid(&req->form) || !server_params_valid(&req->cookies))
		return server_fail(srv, mc, 400, server_msg_utf8, 0);

	memset(&c->res, 0, sizeof(c->res));
	c->res.status = 200;
	buf_init(&c->res.body, LIMIT_PAGE_MAX);
	c->res_open = 1;
	c->srv = srv;
	c->mc = mc;
	req->on_event_loop = 1;
	rc = srv->dispatch(req, &c->res);
	if (rc == HTTP_DISPATCH_WORKER)
		return server_to_worker(c);
	return server_after_handler(c, rc);
}

static enum MHD_Result server_access(void *cls, struct MHD_Connection *mc, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **con_cls)
{
	const struct http_server *srv = cls;
	struct conn *c = *con_cls;

	(void)version;
	if (!c)
		return MHD_NO; /* server_uri_start ran out of memory: drop the connection */
	if (c->res_open) {
		/* handled already: this is a resumed connection */
		int state = atomic_load(&c->state);

		if (state == CONN_WORKER_DONE || state == CONN_CONTINUE)
			return server_resumed(c);
		return MHD_YES;
	}
	if (!c->started) {
		c->started = 1;
		return server_begin(srv, c, mc, method);
	}
	if (*upload_data_size) {
		server_take_body(c, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return c->discarded > SERVER_DISCARD_MAX ? MHD_NO : MHD_YES;
	}
	return server_finish(srv, c, mc, url);
}

/* ---- start and stop ---- */

static void server_workers_stop(struct http_server *srv);

/* Starts the worker threads (all signals blocked: they go to the main
 * thread). 0, or -1 with those started stopped again. */
static int server_workers_start(struct http_server *srv)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int rc = 0;

	if (pthread_attr_init(&attr) != 0)
		return -1;
	(void)pthread_attr_setstacksize(&attr, (size_t)LIMIT_HTTP_THREAD_STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (srv->nworkers = 0; srv->nworkers < LIMIT_HTTP_WORKERS && rc == 0; srv->nworkers++)
		if ((rc = pthread_create(&srv->workers[srv->nworkers], &attr, server_worker_main,
		                         srv)) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		log_error("http: cannot start a worker thread: %s", strerror(rc));
		server_workers_stop(srv);
		return -1;
	}
	return 0;
}

/* Lets the workers finish the queue and end. */
static void server_workers_stop(struct http_server *srv)
{
	size_t i;

	if (srv->nworkers == 0)
		return;
	pthread_mutex_lock(&srv->wmu);
	srv->wstop = 1;
	pthread_cond_broadcast(&srv->wcv);
	pthread_mutex_unlock(&srv->wmu);
	for (i = 0; i < srv->nworkers; i++)
		pthread_join(srv->workers[i], NULL);
	srv->nworkers = 0;
}

int http_server_start(const struct http_server_options *opt, struct http_server **out,
                      char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	struct http_server *srv = NULL;
	const union MHD_DaemonInfo *info;
	char port[8];
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int loops = cpus < 1 ? 1 : cpus > LIMIT_HTTP_EVENT_THREADS
	                                    ? LIMIT_HTTP_EVENT_THREADS : (unsigned int)cpus;
	int rc;

	*out = NULL;
	if (!opt || !opt->host || !opt->dispatch || opt->port < 0 || opt->port > 65535) {
		snprintf(err, errlen, "server: a host, a port 0..65535 and a dispatch function are needed");
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(port, sizeof(port), "%d", opt->port);
	rc = getaddrinfo(opt->host, port, &hints, &ai);
	if (rc != 0 || !ai) {
		snprintf(err, errlen, "server: %s is not a numeric IP address (%s)", opt->host,
		         rc ? gai_strerror(rc) : "no address");
		goto fail;
	}
	if (ai->ai_addrlen > sizeof(srv->addr)) {
		snprintf(err, errlen, "server: address of %s too long", opt->host);
		goto fail;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "server: out of memory");
		goto fail;
	}
	memcpy(&srv->addr, ai->ai_addr, ai->ai_addrlen);
	if (ai->ai_family == AF_INET6)
		flags |= IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr)
		             ? MHD_USE_DUAL_STACK
		             : MHD_USE_IPv6;
	srv->is_https = opt->is_https;
	srv->dispatch = opt->dispatch;
	srv->app = opt->app;
	atomic_init(&srv->suspended, 0);
	atomic_init(&srv->closing, 0);
	if (pthread_mutex_init(&srv->wmu, NULL) != 0 || pthread_cond_init(&srv->wcv, NULL) != 0) {
		snprintf(err, errlen, "server: cannot set up the workers' queue");
		goto fail;
	}
	if (server_workers_start(srv) < 0) {
		snprintf(err, errlen, "server: cannot start the worker threads");
		goto fail;
	}

	errno = 0;
	srv->daemon = MHD_start_daemon(
		flags, (uint16_t)opt->port, server_accept_policy, srv, server_access, srv,
		MHD_OPTION_EXTERNAL_LOGGER, server_mhd_log, (void *)NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&srv->addr,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)LIMIT_HTTP_TIMEOUT_SECONDS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)LIMIT_HTTP_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned int)(opt->per_ip ? opt->per_ip : LIMIT_HTTP_CONNECTIONS_PER_IP),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LIMIT_HTTP_CONNECTION_MEMORY,
		MHD_OPTION_THREAD_STACK_SIZE, (size_t)LIMIT_HTTP_THREAD_STACK,
		MHD_OPTION_THREAD_POOL_SIZE, loops,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_URI_LOG_CALLBACK, server_uri_start, (void *)srv,
		MHD_OPTION_NOTIFY_COMPLETED, server_request_done, (void *)srv,
		MHD_OPTION_END);
	if (!srv->daemon) {
		snprintf(err, errlen, "server: cannot listen on %s port %d (%s)", opt->host, opt->port,
		         errno ? strerror(errno) : "libmicrohttpd refused to start");
		goto fail;
	}
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info && info->port ? (int)info->port : opt->port;
	freeaddrinfo(ai);
	*out = srv;
	return 0;
fail:
	if (ai)
		freeaddrinfo(ai);
	if (srv)
		server_workers_stop(srv);
	free(srv);
	return -1;
}

int http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_stop(struct http_server *s)
{
	int waited_ms = 0;
	struct timespec ms = { 0, 10 * 1000000L };

	if (!s)
		return;
	if (s->daemon) {
		/* No new connections (the accept policy closes them); every
		 * request that was suspended is answered and sent first (MHD
		 * must not stop with one suspended): a worker's handler or a
		 * parked write ends within moments. */
		atomic_store(&s->closing, 1);
		while (atomic_load(&s->suspended) > 0 && waited_ms < LIMIT_HTTP_STOP_WAIT_MS) {
			nanosleep(&ms, NULL);
			waited_ms += 10;
		}
		if (atomic_load(&s->suspended) > 0)
			log_warn("http: stopping with %ld request(s) still waiting",
			         (long)atomic_load(&s->suspended));
	}
	server_workers_stop(s);
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	free(s);
}
