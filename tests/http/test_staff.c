/*
 * test_staff.c — staff sign-in, sessions, roles and the people pages,
 * end to end against the real server.
 *
 * Covers: login (success, wrong password 401, throttling 429), the session
 * cookie's flags, signed-out redirects, permission denials per role,
 * demographics shown only to roles that may read them, notes (and their
 * audit entry), merging a flagged pair, search by name/email/phone/ZIP,
 * logout ending the session for good, CSRF on staff forms, and account
 * creation by an admin. People are created through the public signup, the
 * way they arrive in production.
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
	int rc = harness_stop(srv);
	srv = NULL;
	return rc;
}

/* Signs a person up through the public form (with optional pronouns);
 * returns their id. */
static long long signup(const char *first, const char *last, const char *email,
                        const char *phone, const char *zip, const char *pronouns)
{
	struct client *c = client_new(srv);
	struct form f;
	const char *csrf = client_csrf(c);

	assert_non_null(csrf);
	form_init(&f);
	form_add(&f, "csrf", csrf);
	form_add(&f, "first_name", first);
	form_add(&f, "last_name", last);
	form_add(&f, "email", email);
	form_add(&f, "phone", phone ? phone : "");
	form_add(&f, "city", "Madison");
	form_add(&f, "state", "WI");
	form_add(&f, "zip", zip);
	form_add(&f, "office_interests", "city_council");
	if (pronouns != NULL) {
		form_add(&f, "pronouns", pronouns);
		form_add(&f, "lgbtq", "yes");
	}
	client_post(c, "/signup", &f);
	H_ASSERT_REDIRECT(c, 303, "/signup/thanks");
	form_free(&f);
	client_free(c);
	long long id = harness_person_by_email(srv, email);
	assert_true(id > 0);
	return id;
}

static struct client *signed_in(const char *email, const char *password)
{
	struct client *c = client_new(srv);
	long st = client_login(c, email, password);
	if (st != 303)
		fprintf(stderr, "# login %s: %ld %.300s\n", email, st, client_body(c));
	assert_int_equal(st, 303);
	return c;
}

static void test_login_ok_and_cookie_flags(void **state)
{
	(void)state;
	struct client *c = client_new(srv);

	assert_int_equal(client_get(c, "/login"), 200);
	char token[256];
	assert_int_equal(csrf_from(client_body(c), token, sizeof(token)), 0);
	client_post_form(c, "/login", "csrf", token, "email", H_STAFF_EMAIL, "password", H_STAFF_PASS,
	                 NULL);
	H_ASSERT_REDIRECT(c, 303, "/staff");
	const char *cookie = client_set_cookie(c, "onramp_session");
	assert_non_null(cookie);
	assert_non_null(strcasestr(cookie, "HttpOnly"));
	assert_non_null(strcasestr(cookie, "SameSite=Lax"));
	assert_non_null(strcasestr(cookie, "Path=/"));
	assert_int_equal(client_get(c, "/staff"), 200);
	assert_int_equal(client_get(c, "/staff/people"), 200);

	/* the email is matched without regard to case */
	struct client *upper = client_new(srv);
	assert_int_equal(client_login(upper, "STAFF@Example.org", H_STAFF_PASS), 303);
	client_free(upper);
	client_free(c);
}

static void test_login_wrong_password(void **state)
{
	(void)state;
	struct client *c = client_new(srv);

	client_login(c, H_ADMIN_EMAIL, "not the right password at all");
	H_ASSERT_STATUS(c, 401);
	assert_non_null(strstr(client_body(c), "Email or password is wrong"));
	assert_null(client_set_cookie(c, "onramp_session"));
	/* the form is back, with the email kept and the password not */
	char v[256];
	assert_int_equal(csrf_from(client_body(c), v, sizeof(v)), 0);
	if (html_input_value(client_body(c), "password", v, sizeof(v)) == 0)
		assert_string_equal(v, "");
	/* an unknown account gets the very same answer */
	client_login(c, "nobody@example.org", "not the right password at all");
	H_ASSERT_STATUS(c, 401);
	assert_non_null(strstr(client_body(c), "Email or password is wrong"));
	client_get(c, "/staff");
	H_ASSERT_REDIRECT(c, 303, "/login");
	client_free(c);
}

static void test_login_throttled(void **state)
{
	(void)state;
	const char *email = "throttle@example.org";
	const char *good = "velvet canyon tractor 58";

	assert_int_equal(harness_user_add(srv, email, "volunteer", good), 0);
	struct client *c = client_new(srv);
	assert_int_equal(client_login(c, email, good), 303);
	client_free(c);

	c = client_new(srv);
	for (int i = 0; i < 5; i++) {
		client_login(c, email, "wrong password number x");
		H_ASSERT_STATUS(c, 401);
	}
	/* locked now, even with the right password */
	client_login(c, email, "wrong password number x");
	H_ASSERT_STATUS(c, 429);
	client_login(c, email, good);
	H_ASSERT_STATUS(c, 429);
	assert_null(client_set_cookie(c, "onramp_session"));
	client_free(c);

	/* other accounts are not affected */
	c = signed_in(H_ADMIN_EMAIL, H_ADMIN_PASS);
	client_free(c);
}

static void test_signed_out_redirects_to_login(void **state)
{
	(void)state;
	static const char *const pages[] = { "/staff", "/staff/people", "/staff/people/1",
	                                     "/staff/flags", "/staff/audit", "/staff/users", NULL };
	struct client *c = client_new(srv);
	for (size_t i = 0; pages[i] != NULL; i++) {
		client_get(c, pages[i]);
		H_ASSERT_STATUS(c, 303);
		const char *loc = client_location_path(c);
		assert_non_null(loc);
		if (strncmp(loc, "/login", 6) != 0)
			fail_msg("%s redirects to %s, not /login", pages[i], loc);
	}
	/* a made-up session cookie is no better */
	client_cookie_put(c, "onramp_session", "bm90LWEtcmVhbC1zZXNzaW9uLXRva2VuLWF0LWFsbC0xMjM0");
	client_get(c, "/staff");
	H_ASSERT_STATUS(c, 303);
	client_free(c);
}

static void test_role_denials(void **state)
{
	(void)state;
	long long keep = signup("Roleone", "Denial", "role.one@example.org", NULL, "53703", NULL);
	long long drop = signup("Roletwo", "Denial", "role.two@example.org", NULL, "53703", NULL);
	char path[128], other[32];
	long long people = harness_count_people(srv);

	struct client *vol = signed_in(H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS);
	assert_int_equal(client_get(vol, "/staff/people"), 200);
	client_get(vol, "/staff/audit");
	H_ASSERT_STATUS(vol, 403);
	client_get(vol, "/staff/users");
	H_ASSERT_STATUS(vol, 403);
	client_get(vol, "/staff/flags");
	H_ASSERT_STATUS(vol, 403);
	const char *csrf = client_csrf(vol);
	assert_non_null(csrf);
	char token[256];
	snprintf(token, sizeof(token), "%s", csrf);
	snprintf(path, sizeof(path), "/staff/people/%lld/merge", keep);
	snprintf(other, sizeof(other), "%lld", drop);
	client_post_form(vol, path, "csrf", token, "other", other, NULL);
	H_ASSERT_STATUS(vol, 403);
	assert_int_equal(harness_count_people(srv), people);
	client_post_form(vol, "/staff/users", "csrf", token, "email", "sneaky@example.org",
	                 "role", "admin", "password", "a very sneaky pass phrase", NULL);
	H_ASSERT_STATUS(vol, 403);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM users WHERE email = ?1",
	                                "sneaky@example.org"), 0);
	client_free(vol);

	struct client *staff = signed_in(H_STAFF_EMAIL, H_STAFF_PASS);
	assert_int_equal(client_get(staff, "/staff/flags"), 200);
	client_get(staff, "/staff/audit");
	H_ASSERT_STATUS(staff, 403);
	client_get(staff, "/staff/users");
	H_ASSERT_STATUS(staff, 403);
	client_free(staff);

	struct client *admin = signed_in(H_ADMIN_EMAIL, H_ADMIN_PASS);
	assert_int_equal(client_get(admin, "/staff/audit"), 200);
	assert_int_equal(client_get(admin, "/staff/users"), 200);
	assert_non_null(strstr(client_body(admin), H_VOLUNTEER_EMAIL));
	client_free(admin);
}

/* A volunteer opens only the people assigned to them (the pipeline's
 * object-level check): staff assign person id to the harness volunteer. */
static void assign_to_volunteer(long long id)
{
	struct client *staff = signed_in(H_STAFF_EMAIL, H_STAFF_PASS);
	char path[96], vol_id[32], token[256];

	snprintf(path, sizeof(path), "/staff/people/%lld/call", id);
	assert_int_equal(client_get(staff, path), 200);
	assert_int_equal(csrf_from(client_body(staff), token, sizeof(token)), 0);
	snprintf(path, sizeof(path), "/staff/people/%lld/assign", id);
	snprintf(vol_id, sizeof(vol_id), "%lld",
	         harness_db_int(srv, "SELECT id FROM users WHERE email = ?1", H_VOLUNTEER_EMAIL));
	client_post_form(staff, path, "csrf", token, "assignee", vol_id, NULL);
	H_ASSERT_STATUS(staff, 303);
	client_free(staff);
}

static void test_demographics_only_for_permitted_roles(void **state)
{
	(void)state;
	long long id = signup("Demo", "Graphic", "demo.graphic@example.org", NULL, "53704", "ze/zir");
	char path[64];
	snprintf(path, sizeof(path), "/staff/people/%lld", id);

	assign_to_volunteer(id);

	struct client *vol = signed_in(H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS);
	assert_int_equal(client_get(vol, path), 200);
	assert_non_null(strstr(client_body(vol), "demo.graphic@example.org"));
	assert_null(strstr(client_body(vol), "ze/zir"));
	client_free(vol);

	struct client *staff = signed_in(H_STAFF_EMAIL, H_STAFF_PASS);
	assert_int_equal(client_get(staff, path), 200);
	assert_non_null(strstr(client_body(staff), "ze/zir"));
	client_free(staff);

	struct client *admin = signed_in(H_ADMIN_EMAIL, H_ADMIN_PASS);
	client_get(admin, "/staff/people/999999999");
	H_ASSERT_STATUS(admin, 404);
	client_get(admin, "/staff/people/notanumber");
	assert_true(client_status(admin) == 404 || client_status(admin) == 400);
	client_free(admin);
}

static void test_note_added_and_audited(void **state)
{
	(void)state;
	long long id = signup("Nora", "Notetaker", "nora.notetaker@example.org", NULL, "53705", NULL);
	char path[64], back[64], idtxt[32];
	const char *note = "Called Nora: keen on city council, wants a mentor <soon> & training";
	snprintf(path, sizeof(path), "/staff/people/%lld/notes", id);
	snprintf(back, sizeof(back), "/staff/people/%lld", id);
	snprintf(idtxt, sizeof(idtxt), "%lld", id);
	assign_to_volunteer(id);

	struct client *vol = signed_in(H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS);
	char token[256];
	snprintf(token, sizeof(token), "%s", client_csrf(vol));
	client_post_form(vol, path, "csrf", token, "text", note, NULL);
	H_ASSERT_REDIRECT(vol, 303, back);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM notes WHERE person_id = ?1", idtxt), 1);
	assert_int_equal(client_get(vol, back), 200);
	assert_non_null(strstr(client_body(vol), "Called Nora: keen on city council"));
	assert_non_null(strstr(client_body(vol), "&lt;soon&gt;"));
	assert_null(strstr(client_body(vol), "<soon>"));

	/* an empty note is refused, nothing stored */
	client_post_form(vol, path, "csrf", token, "text", "   ", NULL);
	assert_true(client_status(vol) == 422 || client_status(vol) == 400);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM notes WHERE person_id = ?1", idtxt), 1);
	client_free(vol);

	/* the audit log has it, and the admin sees it */
	char action[128];
	assert_int_equal(harness_db_text(srv, "SELECT action FROM audit_log WHERE entity_id = ?1"
	                                      " AND action LIKE '%note%' ORDER BY id DESC LIMIT 1",
	                                 idtxt, action, sizeof(action)), 0);
	assert_true(action[0] != '\0');
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM audit_log a JOIN users u"
	                                     " ON u.id = a.user_id WHERE a.entity_id = ?1 AND u.email ="
	                                     " 'volunteer@example.org'", idtxt), 1);
	struct client *admin = signed_in(H_ADMIN_EMAIL, H_ADMIN_PASS);
	assert_int_equal(client_get(admin, "/staff/audit"), 200);
	assert_non_null(strstr(client_body(admin), action));
	assert_non_null(strstr(client_body(admin), H_VOLUNTEER_EMAIL));
	client_free(admin);
}

static void test_merge_flagged_pair(void **state)
{
	(void)state;
	long long a = signup("Mergea", "Pairson", "merge.a@example.org", "608-555-0131", "53711", NULL);
	long long b = signup("Mergeb", "Pairson", "merge.b@example.org", "608-555-0132", "53711", NULL);
	signup("Mergea", "Pairson", "merge.a@example.org", "608-555-0132", "53711", NULL); /* flagged */
	char a_txt[32], b_txt[32], path[96], back[64];
	snprintf(a_txt, sizeof(a_txt), "%lld", a);
	snprintf(b_txt, sizeof(b_txt), "%lld", b);
	long long flag = harness_db_int(srv, "SELECT id FROM duplicate_flags WHERE status = 'open'"
	                                     " AND (person_a = ?1 OR person_b = ?1)", a_txt);
	assert_true(flag > 0);
	long long people = harness_count_people(srv);
	long long subs_a = harness_db_int(srv, "SELECT count(*) FROM submissions WHERE person_id = ?1",
	                                  a_txt);
	long long subs_b = harness_db_int(srv, "SELECT count(*) FROM submissions WHERE person_id = ?1",
	                                  b_txt);
	assert_int_equal(subs_a, 2);
	assert_int_equal(subs_b, 1);
	long long merges = harness_db_int(srv, "SELECT count(*) FROM audit_log WHERE action LIKE"
	                                       " '%merge%'", NULL);

	struct client *staff = signed_in(H_STAFF_EMAIL, H_STAFF_PASS);
	char token[256];
	snprintf(token, sizeof(token), "%s", client_csrf(staff));
	snprintf(path, sizeof(path), "/staff/people/%lld/notes", b);
	client_post_form(staff, path, "csrf", token, "text", "Note on B before the merge", NULL);
	H_ASSERT_STATUS(staff, 303);

	snprintf(path, sizeof(path), "/staff/people/%lld/merge", a);
	snprintf(back, sizeof(back), "/staff/people/%lld", a);
	client_post_form(staff, path, "csrf", token, "other", b_txt, NULL);
	H_ASSERT_REDIRECT(staff, 303, back);

	assert_int_equal(harness_count_people(srv), people - 1);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM people WHERE id = ?1", b_txt), 0);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM submissions WHERE person_id = ?1",
	                                a_txt), subs_a + subs_b);
	assert_int_equal(harness_person_by_email(srv, "merge.b@example.org"), a);
	assert_int_equal(harness_db_int(srv, "SELECT person_id FROM person_phones WHERE phone = ?1",
	                                "+16085550132"), a);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM notes WHERE person_id = ?1", a_txt), 1);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM duplicate_flags WHERE status = 'open'"
	                                     " AND (person_a = ?1 OR person_b = ?1)", a_txt), 0);
	assert_true(harness_db_int(srv, "SELECT count(*) FROM audit_log WHERE action LIKE '%merge%'",
	                           NULL) > merges);

	/* the person page shows both histories */
	assert_int_equal(client_get(staff, back), 200);
	assert_non_null(strstr(client_body(staff), "merge.a@example.org"));
	assert_non_null(strstr(client_body(staff), "merge.b@example.org"));
	assert_non_null(strstr(client_body(staff), "Note on B before the merge"));
	snprintf(path, sizeof(path), "/staff/people/%lld", b);
	client_get(staff, path);
	H_ASSERT_STATUS(staff, 404);
	assert_int_equal(client_get(staff, "/staff/flags"), 200);
	assert_null(strstr(client_body(staff), "Mergeb"));

	/* merging into itself or with someone gone does nothing */
	snprintf(path, sizeof(path), "/staff/people/%lld/merge", a);
	client_post_form(staff, path, "csrf", token, "other", a_txt, NULL);
	assert_true(client_status(staff) >= 400 && client_status(staff) < 500);
	client_post_form(staff, path, "csrf", token, "other", b_txt, NULL);
	assert_true(client_status(staff) >= 400 && client_status(staff) < 500);
	assert_int_equal(harness_count_people(srv), people - 1);
	client_free(staff);
}

static void test_dismiss_flag(void **state)
{
	(void)state;
	long long a = signup("Dismissa", "Flagg", "dismiss.a@example.org", "608-555-0141", "53711", NULL);
	signup("Dismissb", "Flagg", "dismiss.b@example.org", "608-555-0142", "53711", NULL);
	signup("Dismissa", "Flagg", "dismiss.a@example.org", "608-555-0142", "53711", NULL);
	char a_txt[32], path[96];
	snprintf(a_txt, sizeof(a_txt), "%lld", a);
	long long flag = harness_db_int(srv, "SELECT id FROM duplicate_flags WHERE status = 'open'"
	                                     " AND (person_a = ?1 OR person_b = ?1)", a_txt);
	assert_true(flag > 0);
	long long people = harness_count_people(srv);

	struct client *staff = signed_in(H_STAFF_EMAIL, H_STAFF_PASS);
	char token[256];
	snprintf(token, sizeof(token), "%s", client_csrf(staff));
	snprintf(path, sizeof(path), "/staff/flags/%lld/dismiss", flag);
	client_post_form(staff, path, "csrf", token, NULL);
	H_ASSERT_REDIRECT(staff, 303, "/staff/flags");
	char idtxt[32];
	snprintf(idtxt, sizeof(idtxt), "%lld", flag);
	char status[32];
	assert_int_equal(harness_db_text(srv, "SELECT status FROM duplicate_flags WHERE id = ?1", idtxt,
	                                 status, sizeof(status)), 0);
	assert_string_equal(status, "dismissed");
	assert_int_equal(harness_count_people(srv), people);
	client_free(staff);
}

/* GETs /staff/people?q=… and says whether the person's link is listed. */
static int search_finds(struct client *c, const char *q, long long id)
{
	struct form f;
	buf query;
	char link[64];

	form_init(&f);
	form_add(&f, "q", q);
	buf_init(&query, 4096);
	buf_adds(&query, "/staff/people?");
	form_encode(&f, &query);
	form_free(&f);
	long st = client_get(c, buf_str(&query));
	buf_free(&query);
	if (st != 200)
		fail_msg("search %s: status %ld", q, st);
	snprintf(link, sizeof(link), "/staff/people/%lld\"", id);
	return strstr(client_body(c), link) != NULL;
}

static void test_search(void **state)
{
	(void)state;
	long long id = signup("Xiomara", "Featherstonehaugh", "xiomara.f@example.org", "415-555-0163",
	                      "97204", NULL);
	long long other = signup("Bartholomew", "Quaid", "bart.quaid@example.org", "415-555-0164",
	                         "10001", NULL);
	struct client *vol = signed_in(H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS);

	static const char *const queries[] = { "Xiomara", "featherstonehaugh", "Xiomara Featherstonehaugh",
	                                       "xiomara.f@example.org", "4155550163", "(415) 555-0163",
	                                       "97204", NULL };
	for (size_t i = 0; queries[i] != NULL; i++) {
		if (!search_finds(vol, queries[i], id))
			fail_msg("searching \"%s\" does not find the person", queries[i]);
		if (search_finds(vol, queries[i], other))
			fail_msg("searching \"%s\" also finds someone else", queries[i]);
	}
	assert_true(search_finds(vol, "Bartholomew", other));
	assert_false(search_finds(vol, "Bartholomew", id));
	/* odd input is just text ("OR" is the prefix or*, which finds .org
	 * emails; the phrase 11 11* finds no one; one-letter words would be
	 * left out of the search, so none here) */
	assert_false(search_finds(vol, "\"*) OR 11=11 --", id));
	client_free(vol);
}

static void test_logout_ends_session(void **state)
{
	(void)state;
	struct client *c = signed_in(H_STAFF_EMAIL, H_STAFF_PASS);
	char session[256], token[256];

	assert_int_equal(client_cookie_get(c, "onramp_session", session, sizeof(session)), 0);
	assert_true(strlen(session) >= 32);
	/* the raw token is not what the database keeps */
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM sessions WHERE token_hash = ?1",
	                                session), 0);
	assert_int_equal(client_get(c, "/staff"), 200);
	snprintf(token, sizeof(token), "%s", client_csrf(c));
	client_post_form(c, "/logout", "csrf", token, NULL);
	H_ASSERT_REDIRECT(c, 303, "/login");
	client_get(c, "/staff");
	H_ASSERT_REDIRECT(c, 303, "/login");

	/* replaying the old cookie does not bring the session back */
	struct client *replay = client_new(srv);
	client_cookie_put(replay, "onramp_session", session);
	client_get(replay, "/staff");
	H_ASSERT_STATUS(replay, 303);
	client_free(replay);
	client_free(c);
}

static void test_staff_posts_need_csrf(void **state)
{
	(void)state;
	long long id = signup("Cora", "Forgery", "cora.forgery@example.org", NULL, "53706", NULL);
	char path[64], idtxt[32];
	snprintf(path, sizeof(path), "/staff/people/%lld/notes", id);
	snprintf(idtxt, sizeof(idtxt), "%lld", id);

	struct client *staff = signed_in(H_STAFF_EMAIL, H_STAFF_PASS);
	client_post_form(staff, path, "text", "forged note", NULL);
	H_ASSERT_STATUS(staff, 403);
	client_post_form(staff, path, "csrf", "forged-token-forged-token-forged-token", "text",
	                 "forged note", NULL);
	H_ASSERT_STATUS(staff, 403);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM notes WHERE person_id = ?1", idtxt), 0);
	/* a CSRF-less logout does not log out */
	client_post_form(staff, "/logout", NULL);
	H_ASSERT_STATUS(staff, 403);
	assert_int_equal(client_get(staff, "/staff"), 200);
	client_free(staff);
}

static void test_admin_adds_user(void **state)
{
	(void)state;
	struct client *admin = signed_in(H_ADMIN_EMAIL, H_ADMIN_PASS);
	char token[256];
	snprintf(token, sizeof(token), "%s", client_csrf(admin));

	/* a short or common password is refused with the reason */
	client_post_form(admin, "/staff/users", "csrf", token, "email", "new.staff@example.org",
	                 "role", "staff", "password", "short", NULL);
	H_ASSERT_STATUS(admin, 422);
	client_post_form(admin, "/staff/users", "csrf", token, "email", "new.staff@example.org",
	                 "role", "staff", "password", "password1234", NULL);
	H_ASSERT_STATUS(admin, 422);
	client_post_form(admin, "/staff/users", "csrf", token, "email", "new.staff@example.org",
	                 "role", "emperor", "password", "a perfectly fine pass phrase", NULL);
	H_ASSERT_STATUS(admin, 422);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM users WHERE email = ?1",
	                                "new.staff@example.org"), 0);

	client_post_form(admin, "/staff/users", "csrf", token, "email", "new.staff@example.org",
	                 "role", "staff", "password", "a perfectly fine pass phrase", NULL);
	H_ASSERT_REDIRECT(admin, 303, "/staff/users");
	/* the same email again is refused */
	client_post_form(admin, "/staff/users", "csrf", token, "email", "new.staff@example.org",
	                 "role", "staff", "password", "a perfectly fine pass phrase", NULL);
	H_ASSERT_STATUS(admin, 422);
	char hash[256];
	assert_int_equal(harness_db_text(srv, "SELECT password_hash FROM users WHERE email = ?1",
	                                 "new.staff@example.org", hash, sizeof(hash)), 0);
	assert_non_null(strstr(hash, "argon2id"));
	assert_null(strstr(hash, "perfectly"));
	client_free(admin);

	struct client *c = signed_in("new.staff@example.org", "a perfectly fine pass phrase");
	assert_int_equal(client_get(c, "/staff/flags"), 200);
	client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_ok_and_cookie_flags),
		cmocka_unit_test(test_login_wrong_password),
		cmocka_unit_test(test_login_throttled),
		cmocka_unit_test(test_signed_out_redirects_to_login),
		cmocka_unit_test(test_role_denials),
		cmocka_unit_test(test_demographics_only_for_permitted_roles),
		cmocka_unit_test(test_note_added_and_audited),
		cmocka_unit_test(test_merge_flagged_pair),
		cmocka_unit_test(test_dismiss_flag),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_logout_ends_session),
		cmocka_unit_test(test_staff_posts_need_csrf),
		cmocka_unit_test(test_admin_adds_user),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
