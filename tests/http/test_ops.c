/*
 * test_ops.c — the endpoints for operators: /readyz and /metrics.
 *
 * /readyz answers "ready" while the database answers and is migrated;
 * /metrics serves Prometheus text to loopback clients, counting the
 * requests this test makes by route and status, the writer's commits and
 * the read pool. (The bearer-token path for other hosts cannot be reached
 * from loopback, where the harness connects; it is not tested here.)
 * Runs on both engines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
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
	return harness_stop(srv) == 0 ? 0 : -1;
}

static void test_readyz(void **state)
{
	(void)state;
	struct client *c = client_new(srv);

	assert_int_equal(client_get(c, "/readyz"), 200);
	assert_string_equal(client_body(c), "ready\n");
	assert_null(client_set_cookie(c, "onramp_csrf"));
	client_free(c);
}

/* The value's text on the first line of body starting with prefix, or NULL. */
static const char *metric_text(const char *body, const char *prefix)
{
	const char *p = body;
	size_t n = strlen(prefix);

	while (p && *p) {
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return p + n + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* That value as an integer, or -1. */
static long long metric(const char *body, const char *prefix)
{
	const char *v = metric_text(body, prefix);

	return v ? strtoll(v, NULL, 10) : -1;
}

/* That value as seconds (a counter of time), or -1. */
static double metric_seconds(const char *body, const char *prefix)
{
	const char *v = metric_text(body, prefix);

	return v ? strtod(v, NULL) : -1;
}

static void test_metrics_count_requests_and_commits(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	const char *t;
	char token[256];
	long long before, after;

	assert_int_equal(client_get(c, "/metrics"), 200);
	assert_non_null(strstr(client_header(c, "Content-Type"), "version=0.0.4"));
	before = metric(client_body(c), "onramp_http_requests_total{method=\"GET\",route=\"/healthz\","
	                                "status=\"200\"}");
	long long commits = metric(client_body(c), "onramp_db_commits_total");
	assert_true(commits >= 0);

	for (int i = 0; i < 3; i++)
		assert_int_equal(client_get(c, "/healthz"), 200);
	t = client_csrf(c);
	assert_non_null(t);
	snprintf(token, sizeof(token), "%s", t);
	client_post_form(c, "/signup", "csrf", token, "first_name", "Metric", "last_name", "Count",
	                 "email", "metric.count@example.org", "state", "OR", "zip", "97201", NULL);
	H_ASSERT_STATUS(c, 303);

	assert_int_equal(client_get(c, "/metrics"), 200);
	after = metric(client_body(c), "onramp_http_requests_total{method=\"GET\",route=\"/healthz\","
	                               "status=\"200\"}");
	assert_int_equal(after, (before < 0 ? 0 : before) + 3);
	assert_int_equal(metric(client_body(c), "onramp_http_requests_total{method=\"POST\","
	                                        "route=\"/signup\",status=\"303\"}"), 1);
	assert_true(metric(client_body(c), "onramp_db_commits_total") > commits);
	/* the signup's commit was on disk before its 303 */
	assert_true(metric(client_body(c), "onramp_db_commits_durable_total") > commits);
	assert_true(metric(client_body(c), "onramp_http_request_duration_seconds_count") >= 5);
	/* where the writer's jobs spent their time: the signup's group took
	 * some; on SQLite the syncer's fsync came after its COMMIT, on
	 * PostgreSQL the COMMIT was the flush */
	assert_true(metric_seconds(client_body(c), "onramp_db_write_queue_seconds_total") >= 0);
	assert_true(metric_seconds(client_body(c), "onramp_db_write_run_seconds_total") > 0);
	if (harness_pg()) {
		assert_int_equal(metric(client_body(c), "onramp_db_fsyncs_total"), 0);
		assert_true(metric_seconds(client_body(c), "onramp_db_write_sync_wait_seconds_total") == 0);
	} else {
		assert_true(metric(client_body(c), "onramp_db_fsyncs_total") > 0);
		assert_true(metric(client_body(c), "onramp_db_fsyncs_total") <=
		            metric(client_body(c), "onramp_db_commits_durable_total"));
		assert_true(metric_seconds(client_body(c), "onramp_db_fsync_seconds_total") > 0);
		assert_true(metric_seconds(client_body(c), "onramp_db_write_sync_wait_seconds_total") > 0);
	}
	assert_non_null(strstr(client_body(c), "onramp_db_write_batch_jobs_bucket{le=\"+Inf\"}"));
	assert_non_null(strstr(client_body(c), "onramp_db_pool_connections{state=\"in_use\"}"));
	assert_non_null(strstr(client_body(c), harness_pg() ? "engine=\"postgres\""
	                                                    : "engine=\"sqlite\""));
	/* no cookies: the endpoint is for scrapers, not browsers */
	assert_null(client_set_cookie(c, "onramp_session"));
	client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readyz),
		cmocka_unit_test(test_metrics_count_requests_and_commits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
