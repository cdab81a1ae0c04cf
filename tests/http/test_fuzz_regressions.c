/*
 * test_fuzz_regressions.c — every input that made a fuzz target fail,
 * replayed against the real server as a regression test (the inputs also
 * stay in fuzz/corpus/NAME/ as seeds).
 *
 * fuzz_http, request target without a leading "/": "GET ?signup?… HTTP/1.1"
 * reached the dispatcher with an empty path. The server now refuses any
 * target that is not origin-form with 400 before reading a body.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"

static struct server *srv;

static int setup(void **state)
{
	(void)state;
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

static void test_target_without_slash_refused(void **state)
{
	static const char *const inputs[] = {
		/* the fuzzer's input, as found */
		"GET ?signup?source=web&ref=a%20b&h=x HTTP/1.1\r\nHost: x\r\n"
		"Comkie: onramp_csrf=AAAAAAAAAAAAAAAAAAAContenAAAAAAAAAAAAAAAAAA; c=1\r\n\r\n",
		"GET signup HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST staff/users HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
	};
	char out[8192];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		assert_int_equal(raw_request(srv, inputs[i], strlen(inputs[i]), out, sizeof(out), 3000), 400);
		assert_non_null(strstr(out, "must start with /"));
	}
	/* An ordinary request still works. */
	static const char ok[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	assert_int_equal(raw_request(srv, ok, strlen(ok), out, sizeof(out), 3000), 200);
	assert_true(harness_alive(srv));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_without_slash_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
