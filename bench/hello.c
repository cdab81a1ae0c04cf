/*
 * hello.c — the HTTP ceiling for the benchmarks: libmicrohttpd with the
 * same daemon flags and options as src/http/server.c (event-loop threads,
 * epoll, one per core, the limits of lib/limits.h), answering "hello\n" to
 * every request. Onramp's own figures are read against this one: the gap
 * is what routing, templates and the database cost.
 *
 * Usage: hello PORT [PER_IP]   (listens on 127.0.0.1; stops on SIGINT or
 * SIGTERM). PER_IP: the connections one address may open, as onramp's
 * ONRAMP_HTTP_PER_IP (default LIMIT_HTTP_CONNECTIONS_PER_IP).
 *
 * Keep the MHD_start_daemon call in step with http_server_start().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "lib/limits.h"

static const char hello_body[] = "hello\n";
static struct MHD_Response *hello_response;
static volatile sig_atomic_t hello_stop;

static enum MHD_Result hello_access(void *cls, struct MHD_Connection *mc, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	/* Answer on the final call, as server.c does: a response queued on the
	 * first call (before MHD considers the request read) closes the
	 * connection, which would make keep-alive benchmarks meaningless. */
	if (!*con_cls) {
		*con_cls = (void *)hello_body;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* read and ignore any body */
		return MHD_YES;
	}
	return MHD_queue_response(mc, MHD_HTTP_OK, hello_response);
}

/* As http_server_start: one event-loop thread per core, at most
 * LIMIT_HTTP_EVENT_THREADS. */
static unsigned int hello_event_threads(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 1 ? 1 : cpus > LIMIT_HTTP_EVENT_THREADS ? LIMIT_HTTP_EVENT_THREADS
	                                                         : (unsigned int)cpus;
}

static void hello_on_signal(int sig)
{
	(void)sig;
	hello_stop = 1;
}

/* The whole decimal number in text, if it lies in [min, max]: 0, or -1
 * (said on stderr, with what names it). */
static int hello_number(const char *what, const char *text, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(text, &end, 10);
	if (errno || end == text || *end || *out < min || *out > max) {
		fprintf(stderr, "hello: bad %s %s (%ld to %ld)\n", what, text, min, max);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	struct sigaction act;
	long port, per_ip = LIMIT_HTTP_CONNECTIONS_PER_IP;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: hello PORT [PER_IP]\n");
		return 2;
	}
	if (hello_number("port", argv[1], 1, 65535, &port) < 0 ||
	    (argc == 3 && hello_number("PER_IP", argv[2], 1, LIMIT_HTTP_CONNECTIONS, &per_ip) < 0))
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);

	hello_response = MHD_create_response_from_buffer(strlen(hello_body), (void *)hello_body,
	                                                 MHD_RESPMEM_PERSISTENT);
	if (!hello_response || MHD_add_response_header(hello_response, "Content-Type",
	                                               "text/plain; charset=utf-8") != MHD_YES)
		return 1;

	d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			MHD_USE_ERROR_LOG,
		(uint16_t)port, NULL, NULL, hello_access, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)LIMIT_HTTP_TIMEOUT_SECONDS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)LIMIT_HTTP_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)per_ip,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LIMIT_HTTP_CONNECTION_MEMORY,
		MHD_OPTION_THREAD_STACK_SIZE, (size_t)LIMIT_HTTP_THREAD_STACK,
		MHD_OPTION_THREAD_POOL_SIZE, hello_event_threads(),
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "hello: cannot listen on 127.0.0.1:%ld\n", port);
		MHD_destroy_response(hello_response);
		return 1;
	}
	printf("hello: listening on http://127.0.0.1:%ld\n", port);
	fflush(stdout);

	memset(&act, 0, sizeof(act));
	act.sa_handler = hello_on_signal;
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	while (!hello_stop)
		pause();
	MHD_stop_daemon(d);
	MHD_destroy_response(hello_response);
	return 0;
}
