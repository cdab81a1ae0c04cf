/*
 * test_ratelimit.c — fixed-window counters: the limit is allowed then
 * refused with a retry-after, keys count separately, a window resets after
 * its length (a 1-second window and a 1.1-second sleep), the bounded table
 * keeps working when far more keys than slots arrive, and hits from many
 * threads are counted exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "http/ratelimit.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void test_limit_then_refused(void **state)
{
	struct ratelimit *rl = ratelimit_new(3, 60);
	unsigned wait;

	(void)state;
	assert_non_null(rl);
	assert_int_equal(ratelimit_hit(rl, "10.0.0.1"), 0);
	assert_int_equal(ratelimit_hit(rl, "10.0.0.1"), 0);
	assert_int_equal(ratelimit_hit(rl, "10.0.0.1"), 0);
	wait = ratelimit_hit(rl, "10.0.0.1");
	assert_true(wait >= 59 && wait <= 60);
	/* still refused: refused hits do not extend or reset the window */
	wait = ratelimit_hit(rl, "10.0.0.1");
	assert_true(wait >= 1 && wait <= 60);
	ratelimit_free(rl);
}

static void test_keys_independent(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 60);

	(void)state;
	assert_non_null(rl);
	assert_int_equal(ratelimit_hit(rl, "a"), 0);
	assert_true(ratelimit_hit(rl, "a") >= 1);
	assert_int_equal(ratelimit_hit(rl, "b"), 0);
	assert_int_equal(ratelimit_hit(rl, "::1"), 0);
	assert_true(ratelimit_hit(rl, "b") >= 1);
	assert_true(ratelimit_hit(rl, "a") >= 1);
	assert_int_equal(ratelimit_hit(rl, ""), 0);
	ratelimit_free(rl);
}

static void test_window_resets(void **state)
{
	struct ratelimit *rl = ratelimit_new(2, 1);

	(void)state;
	assert_non_null(rl);
	assert_int_equal(ratelimit_hit(rl, "k"), 0);
	assert_int_equal(ratelimit_hit(rl, "k"), 0);
	assert_int_equal(ratelimit_hit(rl, "k"), 1);
	sleep_ms(1100);
	assert_int_equal(ratelimit_hit(rl, "k"), 0);
	assert_int_equal(ratelimit_hit(rl, "k"), 0);
	assert_int_equal(ratelimit_hit(rl, "k"), 1);
	ratelimit_free(rl);
}

static void test_zero_limit_and_bad_window(void **state)
{
	struct ratelimit *rl = ratelimit_new(0, 10);

	(void)state;
	assert_non_null(rl);
	assert_true(ratelimit_hit(rl, "x") >= 1);
	assert_true(ratelimit_hit(rl, "x") >= 1);
	ratelimit_free(rl);
	assert_null(ratelimit_new(5, 0));
	ratelimit_free(NULL);
}

static void test_many_keys_bounded(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 60);
	char key[32];
	int i, refused = 0;

	(void)state;
	assert_non_null(rl);
	/* far more keys than slots: each new key is allowed (evicting old windows) */
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "198.51.%d.%d", i / 256, i % 256);
		assert_int_equal(ratelimit_hit(rl, key), 0);
	}
	/* the most recent keys are still remembered */
	for (i = 19990; i < 20000; i++) {
		snprintf(key, sizeof(key), "198.51.%d.%d", i / 256, i % 256);
		if (ratelimit_hit(rl, key))
			refused++;
	}
	assert_int_equal(refused, 10);
	ratelimit_free(rl);
}

struct worker { struct ratelimit *rl; int allowed; };

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < 1000; i++)
		if (ratelimit_hit(w->rl, "shared") == 0)
			w->allowed++;
	return NULL;
}

static void test_threads_count_exactly(void **state)
{
	struct ratelimit *rl = ratelimit_new(500, 60);
	struct worker w[8];
	pthread_t t[8];
	int i, total = 0;

	(void)state;
	assert_non_null(rl);
	for (i = 0; i < 8; i++) {
		w[i].rl = rl;
		w[i].allowed = 0;
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		total += w[i].allowed;
	}
	assert_int_equal(total, 500);
	ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_then_refused),
		cmocka_unit_test(test_keys_independent),
		cmocka_unit_test(test_window_resets),
		cmocka_unit_test(test_zero_limit_and_bad_window),
		cmocka_unit_test(test_many_keys_bounded),
		cmocka_unit_test(test_threads_count_exactly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
