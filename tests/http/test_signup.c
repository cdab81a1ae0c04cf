/*
 * test_signup.c — the public signup, end to end against the real server.
 *
 * Covers docs/ROUTES.md's /signup contract: the form and its CSRF token,
 * a valid signup (303, one person), source/ref tracking, validation errors
 * (422, every answer kept, a message at each bad field, nothing stored),
 * CSRF refusals, exact dedupe by email and phone, the email-vs-phone
 * conflict flag, the honeypot, the per-IP rate limit and demographics
 * encrypted at rest. Each test uses its own names, emails and phones, so
 * the tests share one server but not data.
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

/* A complete, valid signup as a browser sends it (empty hidden fields too). */
static void form_valid(struct form *f, const char *csrf, const char *first, const char *last,
                       const char *email, const char *phone)
{
	form_init(f);
	form_add(f, "csrf", csrf);
	form_add(f, "source", "");
	form_add(f, "ref", "");
	form_add(f, "website", "");
	form_add(f, "first_name", first);
	form_add(f, "last_name", last);
	form_add(f, "email", email);
	form_add(f, "phone", phone ? phone : "");
	form_add(f, "city", "Oakland");
	form_add(f, "state", "CA");
	form_add(f, "zip", "94612");
	form_add(f, "office_interests", "school_board");
	form_add(f, "help_wanted", "training");
	form_add(f, "consent_email", "1");
}

/* Signs up through a fresh client; returns the POST's status. */
static long signup(const char *first, const char *last, const char *email, const char *phone)
{
	struct client *c = client_new(srv);
	struct form f;
	const char *csrf = client_csrf(c);
	long st = 0;

	assert_non_null(csrf);
	form_valid(&f, csrf, first, last, email, phone);
	st = client_post(c, "/signup", &f);
	if (st != 303)
		fprintf(stderr, "# signup %s: status %ld: %.400s\n", email, st, client_body(c));
	form_free(&f);
	client_free(c);
	return st;
}

static void test_form_has_csrf(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	char token[256], value[256];

	assert_int_equal(client_get(c, "/signup"), 200);
	assert_non_null(strstr(client_header(c, "Content-Type"), "text/html"));
	assert_int_equal(csrf_from(client_body(c), token, sizeof(token)), 0);
	assert_true(strlen(token) >= 16);
	const char *cookie = client_set_cookie(c, "onramp_csrf");
	assert_non_null(cookie);
	assert_non_null(strcasestr(cookie, "HttpOnly"));
	assert_non_null(strcasestr(cookie, "SameSite=Lax"));
	/* every required field and the hidden ones are in the form */
	static const char *const controls[] = { "first_name", "last_name", "email", "zip", "state",
	                                         "source", "ref", "website", NULL };
	for (size_t i = 0; controls[i] != NULL; i++)
		if (html_control_attr(client_body(c), controls[i], "name", value, sizeof(value)) != 0)
			fail_msg("the signup form has no control named %s", controls[i]);
	/* the honeypot is empty */
	assert_int_equal(html_input_value(client_body(c), "website", value, sizeof(value)), 0);
	assert_string_equal(value, "");

	/* the same visitor keeps the same token on the next page */
	char again[256];
	assert_int_equal(client_get(c, "/signup"), 200);
	assert_int_equal(csrf_from(client_body(c), again, sizeof(again)), 0);
	assert_string_equal(token, again);
	client_free(c);
}

static void test_valid_signup_creates_person(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct form f;
	long long people = harness_count_people(srv);
	long long subs = harness_count_submissions(srv);
	char text[256];

	const char *csrf = client_csrf(c);
	assert_non_null(csrf);
	form_valid(&f, csrf, "Valentina", "Okafor", "Valentina.Okafor@Example.org", "510-555-0142");
	form_add(&f, "office_interests", "county");
	form_add(&f, "why_run", "My neighbors deserve a school board that listens.\r\nSecond line.");
	client_post(c, "/signup", &f);
	H_ASSERT_REDIRECT(c, 303, "/signup/thanks");
	assert_int_equal(harness_count_people(srv), people + 1);
	assert_int_equal(harness_count_submissions(srv), subs + 1);

	/* stored normalized: email lower-cased, phone in E.164 */
	long long id = harness_person_by_email(srv, "valentina.okafor@example.org");
	assert_true(id > 0);
	assert_int_equal(harness_db_int(srv, "SELECT person_id FROM person_phones WHERE phone = ?1",
	                                "+15105550142"), id);
	char idtxt[32];
	snprintf(idtxt, sizeof(idtxt), "%lld", id);
	assert_int_equal(harness_db_text(srv, "SELECT first_name || ' ' || last_name || '|' || state"
	                                      " || '|' || zip FROM people WHERE id = ?1",
	                                 idtxt, text, sizeof(text)), 0);
	assert_string_equal(text, "Valentina Okafor|CA|94612");
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM person_choices WHERE person_id = ?1"
	                                     " AND field = 'office_interests'", idtxt), 2);
	assert_int_equal(harness_db_int(srv, "SELECT consent_email FROM people WHERE id = ?1", idtxt), 1);
	assert_int_equal(harness_db_int(srv, "SELECT consent_sms FROM people WHERE id = ?1", idtxt), 0);
	assert_int_equal(harness_db_text(srv, "SELECT status FROM submissions WHERE person_id = ?1",
	                                 idtxt, text, sizeof(text)), 0);
	assert_string_equal(text, "accepted");

	/* the thanks page */
	assert_int_equal(client_get(c, "/signup/thanks"), 200);
	assert_true(client_body_len(c) > 0);
	form_free(&f);
	client_free(c);
}

static void test_source_and_ref_recorded(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct form f;
	char token[256], source[128], ref[128], idtxt[32], text[128];

	assert_int_equal(client_get(c, "/signup?source=tv&ref=abc"), 200);
	assert_int_equal(csrf_from(client_body(c), token, sizeof(token)), 0);
	assert_int_equal(html_input_value(client_body(c), "source", source, sizeof(source)), 0);
	assert_int_equal(html_input_value(client_body(c), "ref", ref, sizeof(ref)), 0);
	assert_string_equal(source, "tv");
	assert_string_equal(ref, "abc");

	form_valid(&f, token, "Rosalind", "Achebe", "rosalind.achebe@example.org", NULL);
	form_set(&f, "source", source);
	form_set(&f, "ref", ref);
	client_post(c, "/signup", &f);
	H_ASSERT_REDIRECT(c, 303, "/signup/thanks");
	long long id = harness_person_by_email(srv, "rosalind.achebe@example.org");
	assert_true(id > 0);
	snprintf(idtxt, sizeof(idtxt), "%lld", id);
	assert_int_equal(harness_db_text(srv, "SELECT source || '/' || ref_code FROM submissions"
	                                      " WHERE person_id = ?1", idtxt, text, sizeof(text)), 0);
	assert_string_equal(text, "tv/abc");
	form_free(&f);
	client_free(c);
}

/* Asserts that the bad field name carries message: the control points at it
 * with aria-describedby and is marked aria-invalid. */
static void assert_field_error(const char *html, const char *name, const char *message)
{
	char ids[256], invalid[16], text[1024];
	if (html_control_attr(html, name, "aria-invalid", invalid, sizeof(invalid)) != 0 ||
	    strcmp(invalid, "true") != 0)
		fail_msg("field %s is not marked aria-invalid=\"true\"", name);
	if (html_control_attr(html, name, "aria-describedby", ids, sizeof(ids)) != 0)
		fail_msg("field %s has no aria-describedby pointing at its message", name);
	/* aria-describedby may list several ids (a hint and the error) */
	for (char *id = ids; *id != '\0';) {
		char *space = strchr(id, ' ');
		if (space != NULL)
			*space = '\0';
		if (*id != '\0' && html_text_by_id(html, id, text, sizeof(text)) == 0 &&
		    strstr(text, message) != NULL)
			return;
		if (space == NULL)
			break;
		id = space + 1;
	}
	fail_msg("field %s: no element it describes itself by says \"%s\"", name, message);
}

static void assert_field_ok(const char *html, const char *name)
{
	char invalid[16];
	if (html_control_attr(html, name, "aria-invalid", invalid, sizeof(invalid)) == 0 &&
	    strcmp(invalid, "true") == 0)
		fail_msg("field %s is marked invalid but its answer was fine", name);
}

static void test_errors_keep_every_answer(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct form f;
	char v[2048];
	long long people = harness_count_people(srv);
	long long subs = harness_count_submissions(srv);
	const char *why = "Because <script>alert(1)</script> & \"quotes\" 'too'\nline two";

	const char *csrf = client_csrf(c);
	assert_non_null(csrf);
	form_init(&f);
	form_add(&f, "csrf", csrf);
	form_add(&f, "source", "radio");
	form_add(&f, "ref", "r42");
	form_add(&f, "website", "");
	form_add(&f, "first_name", "Ana \"Bee\" <b>");
	form_add(&f, "last_name", "");                 /* required: missing */
	form_add(&f, "preferred_name", "Annie");
	form_add(&f, "email", "not-an-email");         /* malformed */
	form_add(&f, "phone", "12");                   /* malformed */
	form_add(&f, "address1", "12 Elm St & Co");
	form_add(&f, "city", "Tulsa");
	form_add(&f, "state", "OK");
	form_add(&f, "zip", "741");                    /* malformed */
	form_add(&f, "age_range", "25_29");
	form_add(&f, "office_interests", "school_board");
	form_add(&f, "office_interests", "county");
	form_add(&f, "help_wanted", "mentorship");
	form_add(&f, "issues", "Transit & housing");
	form_add(&f, "why_run", why);
	form_add(&f, "gender", "nonbinary");
	form_add(&f, "pronouns", "xe/xem");
	form_add(&f, "race_ethnicity", "asian");
	form_add(&f, "race_ethnicity", "white");
	form_add(&f, "lgbtq", "prefer_not");
	form_add(&f, "veteran", "no");
	form_add(&f, "consent_email", "1");
	form_add(&f, "consent_share", "1");
	client_post(c, "/signup", &f);
	H_ASSERT_STATUS(c, 422);
	const char *html = client_body(c);

	/* nothing stored */
	assert_int_equal(harness_count_people(srv), people);
	assert_int_equal(harness_count_submissions(srv), subs);

	/* the form comes back, ready to resubmit */
	assert_int_equal(csrf_from(html, v, sizeof(v)), 0);

	/* every typed answer is kept */
	static const char *const inputs[][2] = {
		{ "first_name", "Ana \"Bee\" <b>" }, { "last_name", "" }, { "preferred_name", "Annie" },
		{ "email", "not-an-email" }, { "phone", "12" }, { "address1", "12 Elm St & Co" },
		{ "city", "Tulsa" }, { "zip", "741" }, { "pronouns", "xe/xem" },
		{ "source", "radio" }, { "ref", "r42" },
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		if (html_input_value(html, inputs[i][0], v, sizeof(v)) != 0)
			fail_msg("no input %s in the error form", inputs[i][0]);
		if (strcmp(v, inputs[i][1]) != 0)
			fail_msg("input %s: kept \"%s\", typed \"%s\"", inputs[i][0], v, inputs[i][1]);
	}
	assert_int_equal(html_textarea_value(html, "why_run", v, sizeof(v)), 0);
	/* browsers send line breaks as CRLF; either form of the break is fine */
	char *cr;
	while ((cr = strstr(v, "\r\n")) != NULL)
		memmove(cr, cr + 1, strlen(cr));
	assert_string_equal(v, why);
	assert_int_equal(html_textarea_value(html, "issues", v, sizeof(v)), 0);
	assert_string_equal(v, "Transit & housing");
	/* markup typed by the visitor is escaped, never live */
	assert_null(strstr(html, "<script>alert(1)"));
	assert_null(strstr(html, "<b>\""));

	assert_int_equal(html_choice_chosen(html, "state", "OK"), 1);
	assert_int_equal(html_choice_chosen(html, "state", "CA"), 0);
	assert_int_equal(html_choice_chosen(html, "age_range", "25_29"), 1);
	assert_int_equal(html_choice_chosen(html, "age_range", "18_24"), 0);
	assert_int_equal(html_choice_chosen(html, "gender", "nonbinary"), 1);
	assert_int_equal(html_choice_chosen(html, "lgbtq", "prefer_not"), 1);
	assert_int_equal(html_choice_chosen(html, "lgbtq", "yes"), 0);
	assert_int_equal(html_choice_chosen(html, "veteran", "no"), 1);
	assert_int_equal(html_input_checked(html, "office_interests", "school_board"), 1);
	assert_int_equal(html_input_checked(html, "office_interests", "county"), 1);
	assert_int_equal(html_input_checked(html, "office_interests", "city_council"), 0);
	assert_int_equal(html_input_checked(html, "help_wanted", "mentorship"), 1);
	assert_int_equal(html_input_checked(html, "help_wanted", "training"), 0);
	assert_int_equal(html_input_checked(html, "race_ethnicity", "asian"), 1);
	assert_int_equal(html_input_checked(html, "race_ethnicity", "white"), 1);
	assert_int_equal(html_input_checked(html, "race_ethnicity", "black"), 0);
	assert_int_equal(html_input_checked(html, "consent_email", "1"), 1);
	assert_int_equal(html_input_checked(html, "consent_sms", "1"), 0);
	assert_int_equal(html_input_checked(html, "consent_share", "1"), 1);

	/* a message at each bad field, none at the good ones */
	assert_field_error(html, "last_name", "Enter your last name");
	assert_field_error(html, "email", "Enter your email address");
	assert_field_error(html, "phone", "Enter a phone number");
	assert_field_error(html, "zip", "Enter a 5-digit ZIP code");
	assert_field_ok(html, "first_name");
	assert_field_ok(html, "city");
	assert_field_ok(html, "state");

	/* fixing the answers on the same form then succeeds */
	form_set(&f, "last_name", "Bell");
	form_set(&f, "email", "ana.bell@example.org");
	form_set(&f, "phone", "918-555-0177");
	form_set(&f, "zip", "74103");
	client_post(c, "/signup", &f);
	H_ASSERT_REDIRECT(c, 303, "/signup/thanks");
	assert_int_equal(harness_count_people(srv), people + 1);
	form_free(&f);
	client_free(c);
}

static void test_field_too_long_refused(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct form f;
	char name[200];
	long long people = harness_count_people(srv);

	memset(name, 'a', 150);
	name[150] = '\0';
	const char *csrf = client_csrf(c);
	assert_non_null(csrf);
	form_valid(&f, csrf, name, "Long", "toolong@example.org", NULL);
	client_post(c, "/signup", &f);
	H_ASSERT_STATUS(c, 422);
	assert_int_equal(harness_count_people(srv), people);
	form_free(&f);
	client_free(c);
}

static void test_csrf_required(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct client *other = client_new(srv);
	struct form f;
	long long people = harness_count_people(srv);
	long long subs = harness_count_submissions(srv);
	char theirs[256];

	const char *csrf = client_csrf(c);
	assert_non_null(csrf);
	form_valid(&f, csrf, "Csrf", "Tester", "csrf.tester@example.org", NULL);

	form_remove(&f, "csrf");
	client_post(c, "/signup", &f);
	H_ASSERT_STATUS(c, 403);

	form_set(&f, "csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	client_post(c, "/signup", &f);
	H_ASSERT_STATUS(c, 403);

	/* a real token, but another visitor's */
	const char *t = client_csrf(other);
	assert_non_null(t);
	snprintf(theirs, sizeof(theirs), "%s", t);
	form_set(&f, "csrf", theirs);
	client_post(c, "/signup", &f);
	H_ASSERT_STATUS(c, 403);

	/* no cookie at all, with a token */
	struct client *fresh = client_new(srv);
	client_post(fresh, "/signup", &f);
	H_ASSERT_STATUS(fresh, 403);

	assert_int_equal(harness_count_people(srv), people);
	assert_int_equal(harness_count_submissions(srv), subs);
	form_free(&f);
	client_free(fresh);
	client_free(other);
	client_free(c);
}

static void test_same_person_twice_is_one_person(void **state)
{
	(void)state;
	long long people = harness_count_people(srv);

	assert_int_equal(signup("Dana", "Whitfield", "dana.whitfield@example.org", "(202) 555-0101"), 303);
	assert_int_equal(signup("Dana", "Whitfield", "DANA.WHITFIELD@EXAMPLE.ORG", "202.555.0101"), 303);
	assert_int_equal(harness_count_people(srv), people + 1);
	long long id = harness_person_by_email(srv, "dana.whitfield@example.org");
	assert_true(id > 0);
	char idtxt[32];
	snprintf(idtxt, sizeof(idtxt), "%lld", id);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM submissions WHERE person_id = ?1",
	                                idtxt), 2);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM person_emails WHERE person_id = ?1",
	                                idtxt), 1);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM person_phones WHERE person_id = ?1",
	                                idtxt), 1);

	/* the same phone with a new email is the same person too, who gains the email */
	assert_int_equal(signup("Dana", "Whitfield", "dana.w@example.org", "+1 202 555 0101"), 303);
	assert_int_equal(harness_count_people(srv), people + 1);
	assert_int_equal(harness_person_by_email(srv, "dana.w@example.org"), id);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM submissions WHERE person_id = ?1",
	                                idtxt), 3);
}

static void test_email_and_phone_of_two_people_flagged(void **state)
{
	(void)state;
	long long people = harness_count_people(srv);
	long long flags = harness_db_int(srv, "SELECT count(*) FROM duplicate_flags WHERE status = 'open'",
	                                 NULL);
	char a_txt[32], b_txt[32];

	assert_int_equal(signup("Flagalpha", "Quill", "flag.alpha@example.org", "312-555-0111"), 303);
	assert_int_equal(signup("Flagbeta", "Quill", "flag.beta@example.org", "312-555-0122"), 303);
	long long a = harness_person_by_email(srv, "flag.alpha@example.org");
	long long b = harness_person_by_email(srv, "flag.beta@example.org");
	assert_true(a > 0 && b > 0 && a != b);
	snprintf(a_txt, sizeof(a_txt), "%lld", a);
	snprintf(b_txt, sizeof(b_txt), "%lld", b);

	/* A's email with B's phone */
	assert_int_equal(signup("Flagalpha", "Quill", "flag.alpha@example.org", "312-555-0122"), 303);
	assert_int_equal(harness_count_people(srv), people + 2);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM duplicate_flags WHERE status = 'open'",
	                                NULL), flags + 1);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM submissions WHERE person_id = ?1",
	                                a_txt), 2);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM submissions WHERE person_id = ?1",
	                                b_txt), 1);
	/* CASE, not SQLite's two-argument min/max: the SQL runs on PostgreSQL too */
	assert_int_equal(harness_db_int(srv, "SELECT CASE WHEN person_a < person_b THEN person_a"
	                                     " ELSE person_b END * 1000000 + CASE WHEN person_a <"
	                                     " person_b THEN person_b ELSE person_a END"
	                                     " FROM duplicate_flags ORDER BY id DESC LIMIT 1",
	                                NULL),
	                 (a < b ? a : b) * 1000000 + (a < b ? b : a));
	/* B keeps its phone: nothing moved without a person deciding */
	assert_int_equal(harness_db_int(srv, "SELECT person_id FROM person_phones WHERE phone = ?1",
	                                "+13125550122"), b);

	/* staff see the pair on /staff/flags; a volunteer may not */
	struct client *staff = client_new(srv);
	assert_int_equal(client_login(staff, H_STAFF_EMAIL, H_STAFF_PASS), 303);
	assert_int_equal(client_get(staff, "/staff/flags"), 200);
	assert_non_null(strstr(client_body(staff), "Flagalpha"));
	assert_non_null(strstr(client_body(staff), "Flagbeta"));
	client_free(staff);
	struct client *vol = client_new(srv);
	assert_int_equal(client_login(vol, H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS), 303);
	client_get(vol, "/staff/flags");
	H_ASSERT_STATUS(vol, 403);
	client_free(vol);
}

static void test_honeypot_held_not_merged(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct form f;
	long long people = harness_count_people(srv);
	long long held = harness_db_int(srv, "SELECT count(*) FROM submissions WHERE status = 'held'",
	                                NULL);

	const char *csrf = client_csrf(c);
	assert_non_null(csrf);
	form_valid(&f, csrf, "Spam", "Bot", "spam.bot@example.org", "646-555-0199");
	form_set(&f, "website", "http://spam.example.com/");
	client_post(c, "/signup", &f);
	H_ASSERT_REDIRECT(c, 303, "/signup/thanks");
	assert_int_equal(harness_count_people(srv), people);
	assert_int_equal(harness_person_by_email(srv, "spam.bot@example.org"), -1);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM submissions WHERE status = 'held'",
	                                NULL), held + 1);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM submissions WHERE status = 'held'"
	                                     " AND person_id IS NOT NULL", NULL), 0);
	form_free(&f);
	client_free(c);
}

static void test_rate_limit_per_ip(void **state)
{
	(void)state;
	struct harness_opts opts = { .signup_rate = 3 };
	struct server *limited = harness_start(&opts);
	assert_non_null(limited);
	struct client *c = client_new(limited);
	struct form f;
	char email[64];

	const char *csrf = client_csrf(c);
	assert_non_null(csrf);
	form_valid(&f, csrf, "Rate", "Limited", "", NULL);
	for (int i = 1; i <= 4; i++) {
		snprintf(email, sizeof(email), "rate.%d@example.org", i);
		form_set(&f, "email", email);
		long st = client_post(c, "/signup", &f);
		if (i <= 3) {
			H_ASSERT_STATUS(c, 303);
			continue;
		}
		assert_int_equal(st, 429);
		const char *retry = client_header(c, "Retry-After");
		assert_non_null(retry);
		char *end;
		long secs = strtol(retry, &end, 10);
		assert_true(end != retry && *end == '\0');
		assert_true(secs >= 1 && secs <= 60);
	}
	assert_int_equal(harness_count_people(limited), 3);
	assert_int_equal(harness_count_submissions(limited), 3);
	/* other pages are not limited */
	assert_int_equal(client_get(c, "/signup"), 200);
	form_free(&f);
	client_free(c);
	assert_int_equal(harness_stop(limited), 0);
}

static void test_demographics_encrypted_at_rest(void **state)
{
	(void)state;
	struct client *c = client_new(srv);
	struct form f;
	char idtxt[32];
	/* distinctive answers that occur nowhere else in the database */
	const char *pronouns = "xe/xem/xyrs";

	const char *csrf = client_csrf(c);
	assert_non_null(csrf);
	form_valid(&f, csrf, "Quorra", "Vasquez", "quorra.vasquez@example.org", NULL);
	form_add(&f, "pronouns", pronouns);
	form_add(&f, "gender", "self_describe");
	form_add(&f, "race_ethnicity", "native_hawaiian_pacific_islander");
	form_add(&f, "disability", "yes");
	client_post(c, "/signup", &f);
	H_ASSERT_REDIRECT(c, 303, "/signup/thanks");
	long long id = harness_person_by_email(srv, "quorra.vasquez@example.org");
	assert_true(id > 0);
	snprintf(idtxt, sizeof(idtxt), "%lld", id);

	/* the demographics are there, as ciphertext */
	assert_true(harness_db_int(srv, "SELECT length(demographics) FROM people WHERE id = ?1",
	                           idtxt) > 24);
	assert_int_equal(harness_db_rows_containing(srv, "SELECT demographics FROM people", pronouns), 0);
	assert_int_equal(harness_db_rows_containing(srv, "SELECT sensitive FROM submissions", pronouns), 0);
	assert_int_equal(harness_db_rows_containing(srv, "SELECT payload FROM submissions", pronouns), 0);
	assert_int_equal(harness_db_rows_containing(srv, "SELECT payload FROM submissions",
	                                            "native_hawaiian_pacific_islander"), 0);
	/* nor anywhere in the files on disk (database and write-ahead log) */
	assert_int_equal(harness_db_files_contain(srv, pronouns), 0);
	assert_int_equal(harness_db_files_contain(srv, "native_hawaiian_pacific_islander"), 0);
	/* a non-sensitive answer of the same signup is stored in the clear */
	assert_int_equal(harness_db_files_contain(srv, "quorra.vasquez@example.org"), 1);
	form_free(&f);
	client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_has_csrf),
		cmocka_unit_test(test_valid_signup_creates_person),
		cmocka_unit_test(test_source_and_ref_recorded),
		cmocka_unit_test(test_errors_keep_every_answer),
		cmocka_unit_test(test_field_too_long_refused),
		cmocka_unit_test(test_csrf_required),
		cmocka_unit_test(test_same_person_twice_is_one_person),
		cmocka_unit_test(test_email_and_phone_of_two_people_flagged),
		cmocka_unit_test(test_honeypot_held_not_merged),
		cmocka_unit_test(test_rate_limit_per_ip),
		cmocka_unit_test(test_demographics_encrypted_at_rest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
