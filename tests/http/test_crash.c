/*
 * test_crash.c — crash safety: a burst of signups from several threads,
 * the server killed with SIGKILL in the middle (no clean shutdown, no
 * chance to flush anything), then restarted on the same database.
 *
 * What must hold: every submission that was acknowledged (its 303 reached
 * the client) is in the database after the restart — a signup is answered
 * only after its group commit is durable —, the database passes PRAGMA
 * integrity_check (SQLite), and the restarted server takes signups again.
 * Submissions in flight at the kill may or may not be there; none may be
 * half there (a person without its email row).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define CRASH_THREADS  6
#define CRASH_PER_THREAD 400   /* upper bound; the kill comes long before */

struct crash_worker {
	struct client *c;
	char           csrf[256];
	int            index;
	int            acked[CRASH_PER_THREAD]; /* 1 when submission i got its 303 */
	int            sent;
};

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

static void crash_email(char *out, size_t outlen, int worker, int i)
{
	snprintf(out, outlen, "burst-%d-%d@example.org", worker, i);
}

static void *crash_run(void *arg)
{
	struct crash_worker *w = arg;
	char email[96];
	int i;

	for (i = 0; i < CRASH_PER_THREAD; i++) {
		long st;

		crash_email(email, sizeof(email), w->index, i);
		w->sent = i + 1;
		st = client_post_form(w->c, "/signup", "csrf", w->csrf, "first_name", "Burst",
		                      "last_name", "Tester", "email", email, "zip", "53703",
		                      "state", "WI", "why_run", "Crash safety matters.", NULL);
		if (st == 303)
			w->acked[i] = 1;
		else
			break; /* the server is gone */
	}
	return NULL;
}

static void test_kill_during_signup_burst(void **state)
{
	(void)state;
	static struct crash_worker workers[CRASH_THREADS];
	pthread_t threads[CRASH_THREADS];
	struct timespec pause = { 0, 600 * 1000000L };
	long long acked = 0, present = 0, before;
	char email[96], check[64];
	int k, i;

	for (k = 0; k < CRASH_THREADS; k++) {
		const char *t;

		memset(&workers[k], 0, sizeof(workers[k]));
		workers[k].index = k;
		workers[k].c = client_new(srv);
		t = client_csrf(workers[k].c);
		assert_non_null(t);
		snprintf(workers[k].csrf, sizeof(workers[k].csrf), "%s", t);
	}
	for (k = 0; k < CRASH_THREADS; k++)
		assert_int_equal(pthread_create(&threads[k], NULL, crash_run, &workers[k]), 0);
	nanosleep(&pause, NULL);
	assert_int_equal(harness_kill(srv), 0);
	for (k = 0; k < CRASH_THREADS; k++)
		pthread_join(threads[k], NULL);

	assert_int_equal(harness_restart(srv), 0);
	for (k = 0; k < CRASH_THREADS; k++) {
		for (i = 0; i < workers[k].sent; i++) {
			crash_email(email, sizeof(email), k, i);
			if (workers[k].acked[i]) {
				acked++;
				if (harness_person_by_email(srv, email) > 0)
					present++;
				else
					fprintf(stderr, "# acknowledged but lost: %s\n", email);
			}
		}
		client_free(workers[k].c);
	}
	fprintf(stderr, "# %lld signups acknowledged before the kill, %lld present after it\n", acked,
	        present);
	assert_true(acked > 0);          /* the kill came mid-burst, not before it */
	assert_int_equal(present, acked);
	/* Nothing half-written: every person has its email, every submission its person. */
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM people p WHERE NOT EXISTS"
	                                     " (SELECT 1 FROM person_emails e WHERE e.person_id = p.id)", NULL), 0);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM submissions s WHERE s.person_id IS NULL"
	                                     " AND s.status = 'accepted'", NULL), 0);
	if (harness_pg() == NULL) {
		assert_int_equal(harness_db_text(srv, "PRAGMA integrity_check", NULL, check, sizeof(check)), 0);
		assert_string_equal(check, "ok");
	}

	/* The restarted server works. */
	before = harness_count_people(srv);
	struct client *c = client_new(srv);
	const char *t = client_csrf(c);
	assert_non_null(t);
	client_post_form(c, "/signup", "csrf", t, "first_name", "After", "last_name", "Restart",
	                 "email", "after-restart@example.org", "zip", "53703", "state", "WI", NULL);
	H_ASSERT_REDIRECT(c, 303, "/signup/thanks");
	assert_int_equal(harness_count_people(srv), before + 1);
	client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_during_signup_burst),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
