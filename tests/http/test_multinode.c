/*
 * test_multinode.c — two `onramp serve` processes on one PostgreSQL
 * database, as behind a load balancer.
 *
 * Proves what must hold across nodes: the same people sent through both
 * nodes at the same moment become exactly one person each (the loser of
 * each race is run again by its writer and merges), the counts equal a
 * recount, a staff session and its CSRF token made on one node work on the
 * other, the per-IP signup limit is one limit for both nodes, and the
 * volunteers' kept queue sizes stay exact when both nodes reassign the same
 * people at the same moment.
 *
 * Runs only in the PostgreSQL pass of the suite (ONRAMP_TEST_PG): SQLite
 * serves from one process, so there it reports no tests at all rather than
 * skipped ones counted as passes.
 * Threading: the concurrent signups run on one thread per request, each
 * with its own client; everything else is single-threaded.
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

#include "harness.h"

#define PEOPLE  40   /* distinct people, each sent to both nodes at once */

static struct server *node_a, *node_b;

static int setup(void **state)
{
	struct harness_opts second = { 0 };

	(void)state;
	node_a = harness_start(NULL);
	if (node_a == NULL)
		return -1;
	second.same_db = node_a;
	node_b = harness_start(&second);
	return node_b ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	int rc = harness_stop(node_b);
	return harness_stop(node_a) == 0 && rc == 0 ? 0 : -1;
}

struct sender {
	struct client *c;
	char           token[256];
	char           email[64];
	char           phone[32];
	char           first[32];
	long           status;
	pthread_t      thread;
};

static void *sender_run(void *arg)
{
	struct sender *s = arg;

	s->status = client_post_form(s->c, "/signup", "csrf", s->token, "first_name", s->first,
	                             "last_name", "Twonode", "email", s->email, "phone", s->phone,
	                             "state", "OR", "zip", "97201", NULL);
	return NULL;
}

static void sender_prepare(struct sender *s, struct server *srv, int i, int variant)
{
	const char *t;

	s->c = client_new(srv);
	t = client_csrf(s->c);
	assert_non_null(t);
	snprintf(s->token, sizeof(s->token), "%s", t);
	snprintf(s->email, sizeof(s->email), "twin.%d@example.org", i);
	/* 503 555 01xx: valid US numbers, one per person */
	snprintf(s->phone, sizeof(s->phone), "(503) 555-%04d", 100 + i);
	snprintf(s->first, sizeof(s->first), "Twin%d%s", i, variant ? "b" : "a");
}

static void test_concurrent_signups_dedupe_exactly(void **state)
{
	(void)state;
	static struct sender senders[2 * PEOPLE];
	long long people_before = harness_count_people(node_a);
	long long subs_before = harness_count_submissions(node_a);
	char email[64];
	int i;

	for (i = 0; i < PEOPLE; i++) {
		sender_prepare(&senders[2 * i], node_a, i, 0);
		sender_prepare(&senders[2 * i + 1], node_b, i, 1);
	}
	/* every request in flight at once: both nodes race on every person */
	for (i = 0; i < 2 * PEOPLE; i++)
		assert_int_equal(pthread_create(&senders[i].thread, NULL, sender_run, &senders[i]), 0);
	for (i = 0; i < 2 * PEOPLE; i++)
		pthread_join(senders[i].thread, NULL);
	for (i = 0; i < 2 * PEOPLE; i++) {
		if (senders[i].status != 303)
			fprintf(stderr, "# signup %d answered %ld\n", i, senders[i].status);
		assert_int_equal(senders[i].status, 303);
		client_free(senders[i].c);
	}

	/* exactly one person per email and phone, and every submission kept */
	assert_int_equal(harness_count_people(node_a), people_before + PEOPLE);
	assert_int_equal(harness_count_submissions(node_a), subs_before + 2 * PEOPLE);
	for (i = 0; i < PEOPLE; i++) {
		snprintf(email, sizeof(email), "twin.%d@example.org", i);
		long long id = harness_person_by_email(node_a, email);
		assert_true(id > 0);
		char idtxt[32];
		snprintf(idtxt, sizeof(idtxt), "%lld", id);
		assert_int_equal(harness_db_int(node_a, "SELECT count(*) FROM person_phones"
		                                        " WHERE person_id = ?1", idtxt), 1);
		assert_int_equal(harness_db_int(node_a, "SELECT count(*) FROM submissions"
		                                        " WHERE person_id = ?1", idtxt), 2);
	}
	assert_int_equal(harness_db_int(node_a, "SELECT count(*) FROM people WHERE last_name ="
	                                        " 'Twonode'", NULL), PEOPLE);
	assert_int_equal(harness_db_int(node_a, "SELECT count(*) FROM duplicate_flags", NULL), 0);
	/* the search index holds one row per person */
	assert_int_equal(harness_db_int(node_a, "SELECT count(*) FROM people_search", NULL),
	                 harness_count_people(node_a));
	/* the staff home's live numbers, read on either node, equal a recount */
	long long recount = harness_count_people(node_a);
	struct client *c = client_new(node_b);
	assert_int_equal(client_login(c, H_ADMIN_EMAIL, H_ADMIN_PASS), 303);
	assert_int_equal(client_get(c, "/staff"), 200);
	char want[64];
	snprintf(want, sizeof(want), "%lld", recount);
	assert_non_null(strstr(client_body(c), want));
	client_free(c);
}

/* One staff reassignment, run on its own thread. */
struct assigner {
	struct client *c;
	char           path[64];
	char           to[32];
	const char    *token;
	long           status;
	pthread_t      thread;
};

static void *assigner_run(void *arg)
{
	struct assigner *a = arg;

	a->status = client_post_form(a->c, a->path, "csrf", a->token, "assignee", a->to, NULL);
	return NULL;
}

/* A client of srv carrying the signed-in session of from. */
static struct client *client_as(struct server *srv, struct client *from)
{
	char session[256], csrf[256];
	struct client *c = client_new(srv);

	assert_int_equal(client_cookie_get(from, "onramp_session", session, sizeof(session)), 0);
	assert_int_equal(client_cookie_get(from, "onramp_csrf", csrf, sizeof(csrf)), 0);
	client_cookie_put(c, "onramp_session", session);
	client_cookie_put(c, "onramp_csrf", csrf);
	return c;
}

static void test_concurrent_reassignments_keep_queue_sizes(void **state)
{
	(void)state;
	static struct assigner as[2 * PEOPLE];
	struct client *staff_a = client_new(node_a), *staff_b = client_new(node_b);
	long long to_a = harness_db_int(node_a, "SELECT id FROM users WHERE email = ?1", H_STAFF_EMAIL);
	long long to_b = harness_db_int(node_a, "SELECT id FROM users WHERE email = ?1", H_ADMIN_EMAIL);
	char token_a[256], token_b[256], email[64];
	long long queued_total = 0;
	const char *t;
	int i;

	assert_int_equal(client_login(staff_a, H_STAFF_EMAIL, H_STAFF_PASS), 303);
	assert_int_equal(client_login(staff_b, H_ADMIN_EMAIL, H_ADMIN_PASS), 303);
	assert_non_null(t = client_csrf(staff_a));
	snprintf(token_a, sizeof(token_a), "%s", t);
	assert_non_null(t = client_csrf(staff_b));
	snprintf(token_b, sizeof(token_b), "%s", t);
	/* every person of the first test (most of them in the harness
	 * volunteer's queue since their signup), given to the staff account on
	 * A and to the admin on B at the same moment: one of each pair reads a
	 * place the other changes before it commits */
	for (i = 0; i < 2 * PEOPLE; i++) {
		int on_b = i % 2;
		snprintf(email, sizeof(email), "twin.%d@example.org", i / 2);
		long long id = harness_person_by_email(node_a, email);
		assert_true(id > 0);
		as[i].c = client_as(on_b ? node_b : node_a, on_b ? staff_b : staff_a);
		as[i].token = on_b ? token_b : token_a;
		snprintf(as[i].path, sizeof(as[i].path), "/staff/people/%lld/assign", id);
		snprintf(as[i].to, sizeof(as[i].to), "%lld", on_b ? to_b : to_a);
	}
	for (i = 0; i < 2 * PEOPLE; i++)
		assert_int_equal(pthread_create(&as[i].thread, NULL, assigner_run, &as[i]), 0);
	for (i = 0; i < 2 * PEOPLE; i++)
		pthread_join(as[i].thread, NULL);
	for (i = 0; i < 2 * PEOPLE; i++) {
		if (as[i].status != 303)
			fprintf(stderr, "# assign %d answered %ld\n", i, as[i].status);
		assert_int_equal(as[i].status, 303);
		client_free(as[i].c);
	}
	/* each person went to one of the two, and every account's kept queue
	 * size equals a count */
	assert_int_equal(harness_db_int(node_a, "SELECT count(*) FROM person_pipeline pp JOIN people p"
	                                        " ON p.id = pp.person_id WHERE p.last_name = 'Twonode'"
	                                        " AND pp.assignee_id IN (SELECT id FROM users WHERE email"
	                                        " IN ('" H_STAFF_EMAIL "', '" H_ADMIN_EMAIL "'))",
	                                NULL), PEOPLE);
	assert_int_equal(harness_queue_size_mismatches(node_a, &queued_total), 0);
	assert_true(queued_total >= PEOPLE);
	client_free(staff_a);
	client_free(staff_b);
}

static void test_session_and_csrf_cross_nodes(void **state)
{
	(void)state;
	char session[256], csrf_cookie[256], token[256];
	struct client *a = client_new(node_a), *b = client_new(node_b);

	assert_int_equal(client_login(a, H_STAFF_EMAIL, H_STAFF_PASS), 303);
	assert_int_equal(client_get(a, "/staff/people"), 200);
	assert_int_equal(csrf_from(client_body(a), token, sizeof(token)) == 0 ||
	                 client_csrf(a) != NULL, 1);
	assert_int_equal(client_cookie_get(a, "onramp_session", session, sizeof(session)), 0);
	assert_int_equal(client_cookie_get(a, "onramp_csrf", csrf_cookie, sizeof(csrf_cookie)), 0);
	/* the same cookies presented to the other node */
	client_cookie_put(b, "onramp_session", session);
	client_cookie_put(b, "onramp_csrf", csrf_cookie);
	assert_int_equal(client_get(b, "/staff/people"), 200);
	/* signing out on B ends the session on A too */
	const char *t = client_csrf(a);
	assert_non_null(t);
	snprintf(token, sizeof(token), "%s", t);
	client_post_form(b, "/logout", "csrf", token, NULL);
	H_ASSERT_STATUS(b, 303);
	assert_int_equal(client_get(a, "/staff/people"), 303);
	client_free(a);
	client_free(b);
}

static void test_signup_limit_is_shared(void **state)
{
	(void)state;
	struct harness_opts oa = { .signup_rate = 3 }, ob = { .signup_rate = 3 };
	struct server *c_node, *d_node;
	char token[256], email[64];
	long st[4];

	c_node = harness_start(&oa);
	assert_non_null(c_node);
	ob.same_db = c_node;
	d_node = harness_start(&ob);
	assert_non_null(d_node);
	/* two signups on each node: a limit per process would allow all four */
	for (int i = 0; i < 4; i++) {
		struct server *srv = i % 2 ? d_node : c_node;
		struct client *c = client_new(srv);
		const char *t = client_csrf(c);
		assert_non_null(t);
		snprintf(token, sizeof(token), "%s", t);
		snprintf(email, sizeof(email), "limited.%d@example.org", i);
		st[i] = client_post_form(c, "/signup", "csrf", token, "first_name", "Lim",
		                         "last_name", "Ited", "email", email, "state", "OR",
		                         "zip", "97201", NULL);
		if (st[i] == 429)
			assert_non_null(client_header(c, "Retry-After"));
		client_free(c);
	}
	assert_int_equal(st[0], 303);
	assert_int_equal(st[1], 303);
	assert_int_equal(st[2], 303);
	assert_int_equal(st[3], 429);
	assert_int_equal(harness_db_int(c_node, "SELECT count(*) FROM people WHERE last_name = 'Ited'",
	                                NULL), 3);
	assert_int_equal(harness_stop(d_node), 0);
	assert_int_equal(harness_stop(c_node), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_signups_dedupe_exactly),
		cmocka_unit_test(test_concurrent_reassignments_keep_queue_sizes),
		cmocka_unit_test(test_session_and_csrf_cross_nodes),
		cmocka_unit_test(test_signup_limit_is_shared),
	};

	if (harness_pg() == NULL) {
		/* one process per SQLite database: nothing to run, nothing counted */
		printf("1..0 # several nodes need PostgreSQL (ONRAMP_TEST_PG)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
