/*
 * test_hostile.c — hostile clients on loopback: 1,000 connections from one
 * address (127.0.0.2), half of them slowloris (a request's headers dribbled
 * one byte at a time, never finished), half idle, must not stop a client on
 * another address (127.0.0.1) being served promptly.
 *
 * What protects the server: the per-address connection cap and the idle
 * timeout of lib/limits.h (LIMIT_HTTP_CONNECTIONS_PER_IP = 64, far below
 * the total LIMIT_HTTP_CONNECTIONS = 1024; LIMIT_HTTP_TIMEOUT_SECONDS = 15),
 * enforced by libmicrohttpd: connections over the cap are closed at once,
 * the others hold one thread each, and the rest of the world keeps its
 * share. Bounded loops only; the file-descriptor limit is raised for the
 * test (setrlimit) when it is lower than needed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "lib/limits.h"

#define HOSTILE_CONNS   1000
#define HOSTILE_ROUNDS  12     /* rounds of one dribbled byte each, ~250 ms apart */

static struct server *srv;

static int setup(void **state)
{
	struct rlimit rl;

	(void)state;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < HOSTILE_CONNS + 256) {
		rl.rlim_cur = rl.rlim_max < HOSTILE_CONNS + 256 ? rl.rlim_max : HOSTILE_CONNS + 256;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	srv = harness_start(NULL);
	return srv ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	int rc = harness_stop(srv);
	srv = NULL;
	return rc;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A connection from 127.0.0.2 to the server. Returns the fd or -1. */
static int hostile_connect(void)
{
	struct sockaddr_in from, to;
	struct timeval tv = { 2, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&from, 0, sizeof(from));
	from.sin_family = AF_INET;
	from.sin_addr.s_addr = htonl(0x7f000002);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)srv->port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 if the server still holds fd open (nothing to read, no EOF). */
static int still_open(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static void test_slowloris_and_idle_do_not_starve_others(void **state)
{
	(void)state;
	static int fds[HOSTILE_CONNS];
	static const char dribble[] = "GET /signup HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa";
	struct timespec pause = { 0, 250 * 1000000L };
	struct client *c = client_new(srv);
	int opened = 0, held = 0, i, round;
	long long worst = 0;

	for (i = 0; i < HOSTILE_CONNS; i++) {
		fds[i] = hostile_connect();
		if (fds[i] >= 0)
			opened++;
	}
	fprintf(stderr, "# %d of %d hostile connections opened\n", opened, HOSTILE_CONNS);
	assert_true(opened >= HOSTILE_CONNS / 2);

	for (round = 0; round < HOSTILE_ROUNDS; round++) {
		long long t0;

		/* Even-numbered connections dribble one more byte; odd ones idle. */
		for (i = 0; i < HOSTILE_CONNS; i += 2)
			if (fds[i] >= 0)
				(void)send(fds[i], dribble + (round % (sizeof(dribble) - 1)), 1,
				           MSG_NOSIGNAL | MSG_DONTWAIT);
		/* A client on another address is served, and quickly. */
		t0 = now_ms();
		assert_int_equal(client_get(c, round % 2 ? "/healthz" : "/signup"), 200);
		if (now_ms() - t0 > worst)
			worst = now_ms() - t0;
		nanosleep(&pause, NULL);
	}
	for (i = 0; i < HOSTILE_CONNS; i++)
		if (fds[i] >= 0 && still_open(fds[i]))
			held++;
	fprintf(stderr, "# the server held %d of them; the other client's slowest answer took %lld ms\n",
	        held, worst);
	assert_true(held <= LIMIT_HTTP_CONNECTIONS_PER_IP);
	assert_true(worst < 2000);
	assert_true(harness_alive(srv));

	for (i = 0; i < HOSTILE_CONNS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	/* Afterwards the hostile address is served again like anyone. */
	assert_int_equal(client_get(c, "/healthz"), 200);
	client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slowloris_and_idle_do_not_starve_others),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
