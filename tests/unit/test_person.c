/*
 * test_person.c — the person field table, person_validate() and
 * person_form_model() (src/domain/person.c).
 *
 * The field names and codes checked here are the contract with the signup
 * form in docs/ROUTES.md: if one of these tests fails after a table change,
 * the form, the docs and the store mapping need the same change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "domain/person.h"
#include "lib/limits.h"

/* A complete, valid form as a browser would post it (strings only). */
static json_t *valid_form(void)
{
	json_t *f = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
	    " s:s, s:[s,s,s], s:s, s:[s], s:s,"
	    " s:s, s:s, s:[s,s], s:s, s:s, s:s, s:s,"
	    " s:s, s:s, s:s, s:s, s:s, s:s}",
	    "first_name", "  Ana ", "last_name", "Silva-Ng", "preferred_name", "",
	    "email", " Ana.Silva@Example.ORG ", "phone", "(312) 555-0134",
	    "address1", "12 Elm St", "address2", "", "city", "Chicago", "state", "il",
	    "zip", "60614-1234",
	    "birth_date", "1990-06-15",
	    "office_interests", "city_council", "school_board", "city_council",
	    "issues", "Housing, transit",
	    "help_wanted", "training",
	    "why_run", "  My block needs a voice.\r\nAnd I can listen.  ",
	    "gender", "woman", "pronouns", "she/her",
	    "race_ethnicity", "asian", "hispanic_latino",
	    "lgbtq", "prefer_not", "first_gen", "yes", "veteran", "no", "disability", "",
	    "consent_email", "1", "consent_sms", "on",
	    "csrf", "token", "source", "instagram", "ref", "abc", "website", "");
	assert_non_null(f);
	return f;
}

static void test_table_matches_routes(void **state)
{
	/* docs/ROUTES.md, "The signup form's fields". */
	static const char *const names[] = {
		"first_name", "last_name", "email", "zip", "state", "preferred_name", "phone",
		"address1", "address2", "city", "birth_date", "age_range", "office_interests",
		"issues", "help_wanted", "why_run", "gender", "pronouns", "race_ethnicity", "lgbtq",
		"first_gen", "veteran", "disability", "consent_email", "consent_sms",
		"consent_share",
	};
	static const char *const required[] = { "first_name", "last_name", "email", "zip", "state" };
	static const char *const sensitive[] = {
		"gender", "pronouns", "race_ethnicity", "lgbtq", "first_gen", "veteran", "disability",
	};
	static const struct { const char *field, *codes; } codes[] = {
		{ "age_range", "under_18 18_24 25_29 30_34 35_39 40_plus" },
		{ "office_interests", "school_board city_council county state_legislature judicial "
		                      "election_admin other dont_know" },
		{ "help_wanted", "training mentorship seed_money networking finding_race" },
		{ "gender", "woman man nonbinary self_describe prefer_not" },
		{ "race_ethnicity", "american_indian_alaska_native asian black hispanic_latino "
		                    "middle_eastern_north_african native_hawaiian_pacific_islander "
		                    "white self_describe prefer_not" },
		{ "lgbtq", "yes no prefer_not" },
		{ "first_gen", "yes no prefer_not" },
		{ "veteran", "yes no prefer_not" },
		{ "disability", "yes no prefer_not" },
	};
	const struct person_field *f;
	size_t i, n = 0;

	(void)state;
	for (f = person_fields; f->name != NULL; f++) {
		const struct person_field *g;
		n++;
		assert_non_null(f->label);
		assert_true(f->label[0] >= 'A' && f->label[0] <= 'Z');
		for (g = f + 1; g->name != NULL; g++)
			assert_string_not_equal(f->name, g->name);
		if (f->kind == PF_CHOICE || f->kind == PF_MULTI || f->kind == PF_STATE)
			assert_non_null(f->choices);
		if (f->kind != PF_CONSENT)
			assert_true(f->max_len > 0);
		assert_int_equal(f->sensitive, 0 + (f->kind != PF_CONSENT &&
		                 (strcmp(f->name, "gender") == 0 || strcmp(f->name, "pronouns") == 0 ||
		                  strcmp(f->name, "race_ethnicity") == 0 || strcmp(f->name, "lgbtq") == 0 ||
		                  strcmp(f->name, "first_gen") == 0 || strcmp(f->name, "veteran") == 0 ||
		                  strcmp(f->name, "disability") == 0)));
	}
	assert_int_equal(n, sizeof names / sizeof names[0]);
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (person_field_find(names[i]) == NULL)
			fail_msg("field %s missing", names[i]);
	for (i = 0; i < sizeof required / sizeof required[0]; i++)
		assert_true(person_field_find(required[i])->required);
	for (i = 0; i < sizeof sensitive / sizeof sensitive[0]; i++)
		assert_true(person_field_find(sensitive[i])->sensitive);
	assert_int_equal(person_field_find("consent_sms")->kind, PF_CONSENT);
	assert_int_equal(person_field_find("office_interests")->kind, PF_MULTI);
	assert_int_equal(person_field_find("race_ethnicity")->kind, PF_MULTI);
	assert_int_equal(person_field_find("age_range")->kind, PF_CHOICE);
	assert_null(person_field_find("csrf"));
	assert_null(person_field_find(NULL));

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		const struct person_choice *c;
		char list[512] = "";
		size_t used = 0;

		f = person_field_find(codes[i].field);
		assert_non_null(f);
		for (c = f->choices; c->code != NULL; c++) {
			int k = snprintf(list + used, sizeof list - used, "%s%s", used ? " " : "", c->code);
			assert_true(k > 0 && (size_t)k < sizeof list - used);
			used += (size_t)k;
			assert_non_null(c->label);
		}
		assert_string_equal(list, codes[i].codes);
	}
	assert_string_equal(person_choice_label(person_field_find("office_interests"), "school_board"),
	                    "School board");
	assert_null(person_choice_label(person_field_find("office_interests"), "mayor"));
	assert_null(person_choice_label(person_field_find("first_name"), "x"));
}

static void test_states(void **state)
{
	static const char *const want[] = { "DC", "PR", "GU", "VI", "AS", "MP", "CA", "WY", "NY" };
	const struct person_field *f = person_field_find("state");
	const struct person_choice *c;
	size_t n = 0, i;

	(void)state;
	for (c = f->choices; c->code != NULL; c++) {
		n++;
		assert_int_equal(strlen(c->code), 2);
	}
	assert_int_equal(n, 56);   /* 50 states, DC, 5 territories */
	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		assert_non_null(person_choice_label(f, want[i]));
	assert_string_equal(person_choice_label(f, "DC"), "District of Columbia");
	assert_null(person_choice_label(f, "XX"));
}

static void test_valid_form_normalized(void **state)
{
	json_t *in = valid_form(), *out = NULL, *errors = NULL, *a;

	(void)state;
	assert_int_equal(person_validate(in, &out, &errors), 0);
	assert_null(errors);
	assert_non_null(out);
	assert_string_equal(json_string_value(json_object_get(out, "first_name")), "Ana");
	assert_string_equal(json_string_value(json_object_get(out, "email")), "ana.silva@example.org");
	assert_string_equal(json_string_value(json_object_get(out, "phone")), "+13125550134");
	assert_string_equal(json_string_value(json_object_get(out, "zip")), "60614");
	assert_string_equal(json_string_value(json_object_get(out, "state")), "IL");
	assert_string_equal(json_string_value(json_object_get(out, "birth_date")), "1990-06-15");
	assert_string_equal(json_string_value(json_object_get(out, "why_run")),
	                    "My block needs a voice.\nAnd I can listen.");
	/* Multi choices: deduplicated, in table order. */
	a = json_object_get(out, "office_interests");
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "school_board");
	assert_string_equal(json_string_value(json_array_get(a, 1)), "city_council");
	a = json_object_get(out, "help_wanted");
	assert_int_equal(json_array_size(a), 1);
	/* Empty optional fields are left out; non-fields are not copied. */
	assert_null(json_object_get(out, "preferred_name"));
	assert_null(json_object_get(out, "address2"));
	assert_null(json_object_get(out, "disability"));
	assert_null(json_object_get(out, "age_range"));
	assert_null(json_object_get(out, "csrf"));
	assert_null(json_object_get(out, "source"));
	assert_null(json_object_get(out, "website"));
	/* Consents are always there, as booleans. */
	assert_true(json_is_true(json_object_get(out, "consent_email")));
	assert_true(json_is_true(json_object_get(out, "consent_sms")));
	assert_true(json_is_false(json_object_get(out, "consent_share")));
	json_decref(out);
	json_decref(in);
}

static void test_every_required_missing(void **state)
{
	static const char *const req[] = { "first_name", "last_name", "email", "zip", "state" };
	json_t *in = json_pack("{s:s, s:s, s:s}", "first_name", "   ", "city", "Reno", "csrf", "x");
	json_t *out = (json_t *)1, *errors = NULL;
	size_t i;

	(void)state;
	assert_int_equal(person_validate(in, &out, &errors), -1);
	assert_null(out);
	assert_non_null(errors);
	assert_int_equal(json_object_size(errors), 5);
	for (i = 0; i < 5; i++)
		assert_true(json_is_string(json_object_get(errors, req[i])));
	assert_string_equal(json_string_value(json_object_get(errors, "email")),
	                    "Enter your email address, like name@example.org");
	assert_string_equal(json_string_value(json_object_get(errors, "zip")),
	                    "Enter a 5-digit ZIP code");
	assert_string_equal(json_string_value(json_object_get(errors, "state")), "Choose your state");
	json_decref(errors);
	json_decref(in);

	/* No input at all, or not an object: the same five. */
	assert_int_equal(person_validate(NULL, &out, &errors), -1);
	assert_int_equal(json_object_size(errors), 5);
	json_decref(errors);
	in = json_string("hello");
	assert_int_equal(person_validate(in, &out, &errors), -1);
	assert_int_equal(json_object_size(errors), 5);
	json_decref(errors);
	json_decref(in);
}

/* Validates valid_form() with field set to value (stolen); returns the
 * error message for field, or NULL if the form passed. The caller frees
 * *errors_out if not NULL. */
static const char *error_with(const char *field, json_t *value, json_t **errors_out)
{
	json_t *in = valid_form(), *out = NULL, *errors = NULL;
	const char *msg = NULL;

	json_object_set_new(in, field, value);
	if (person_validate(in, &out, &errors) == 0) {
		json_decref(out);
	} else {
		assert_non_null(errors);
		msg = json_string_value(json_object_get(errors, field));
	}
	json_decref(in);
	*errors_out = errors;
	return msg;
}

static void expect_error(const char *field, json_t *value, const char *want)
{
	json_t *errors = NULL;
	const char *msg = error_with(field, value, &errors);

	if (msg == NULL)
		fail_msg("%s: accepted, want \"%s\"", field, want ? want : "an error");
	if (want != NULL && strcmp(msg, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", field, msg, want);
	/* Only that field is wrong in the form. */
	assert_int_equal(json_object_size(errors), 1);
	json_decref(errors);
}

static void expect_ok(const char *field, json_t *value)
{
	json_t *errors = NULL;
	const char *msg = error_with(field, value, &errors);

	if (errors != NULL)
		fail_msg("%s: refused: %s", field, msg ? msg : "(another field)");
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_error("email", json_string("ana@"), "Enter your email address, like name@example.org");
	expect_error("phone", json_string("555-1234"),
	             "Enter a phone number with area code, like (555) 234-5678");
	expect_error("phone", json_string("555-234-5678 x12"), NULL);
	expect_error("zip", json_string("6061"), "Enter a 5-digit ZIP code");
	expect_error("state", json_string("XX"), "Choose your state");
	expect_error("state", json_string("Illinois"), "Choose your state");
	expect_error("office_interests", json_pack("[s,s]", "school_board", "mayor"), NULL);
	expect_error("office_interests", json_string("governor"), NULL);
	expect_error("office_interests", json_pack("[s,i]", "school_board", 3), NULL);
	expect_error("age_range", json_string("18-24"), "Choose one of the options listed");
	expect_error("gender", json_string("Woman"), NULL);
	expect_error("gender", json_pack("[s]", "woman"), NULL);
	expect_error("lgbtq", json_string("maybe"), NULL);
	expect_error("race_ethnicity", json_pack("[s]", "martian"), NULL);
	expect_error("first_name", json_integer(5), NULL);
	expect_error("first_name", json_pack("[s,s]", "Ana", "Bo"), NULL);
	expect_error("consent_email", json_string("please"), NULL);
	expect_error("consent_share", json_integer(2), NULL);
	expect_error("first_name", json_string("Ana\nBcc"), NULL);
	expect_error("city", json_string("Reno\x1b[2J"), NULL);
	expect_error("why_run", json_string("Because\x07"), NULL);
	/* Many checkboxes: more than any group has. */
	{
		json_t *a = json_array();
		int i;
		for (i = 0; i < LIMIT_LIST_ITEMS + 1; i++)
			json_array_append_new(a, json_string("training"));
		expect_error("help_wanted", a, NULL);
	}
	/* Unticked multi boxes posted as "" and case of state are fine. */
	expect_ok("help_wanted", json_pack("[s,s]", "", "seed_money"));
	expect_ok("state", json_string(" ny "));
	expect_ok("phone", json_string("+44 20 7946 0958"));
	expect_ok("phone", json_null());
	expect_ok("age_range", json_string("40_plus"));
}

static void test_dates(void **state)
{
	char d[48];
	time_t now = time(NULL);
	struct tm tm;

	(void)state;
	expect_ok("birth_date", json_string("2000-02-29"));   /* divisible by 400: leap */
	expect_ok("birth_date", json_string("1996-02-29"));
	expect_ok("birth_date", json_string(" 1980-12-31 "));
	expect_error("birth_date", json_string("2001-02-29"),
	             "That date isn't a real date \xE2\x80\x94 use YYYY-MM-DD");
	expect_error("birth_date", json_string("1900-02-29"), NULL);   /* not leap; too old too */
	expect_error("birth_date", json_string("1990-02-30"), NULL);
	expect_error("birth_date", json_string("1990-04-31"),
	             "That date isn't a real date \xE2\x80\x94 use YYYY-MM-DD");
	expect_error("birth_date", json_string("1990-13-01"), NULL);
	expect_error("birth_date", json_string("1990-00-10"), NULL);
	expect_error("birth_date", json_string("1990-01-00"), NULL);
	expect_error("birth_date", json_string("1990-1-5"), NULL);
	expect_error("birth_date", json_string("06/15/1990"), NULL);
	expect_error("birth_date", json_string("1990-06-15T00:00"), NULL);
	expect_error("birth_date", json_string("199O-06-15"), NULL);
	expect_error("birth_date", json_string("yesterday"), NULL);

	/* Ages: 14..120 on today's date. */
	gmtime_r(&now, &tm);
	snprintf(d, sizeof d, "%04d-01-01", tm.tm_year + 1900 - 10);
	expect_error("birth_date", json_string(d), "Enter a date of birth for an age between 14 and 120");
	snprintf(d, sizeof d, "%04d-01-01", tm.tm_year + 1900 + 1);
	expect_error("birth_date", json_string(d), NULL);               /* in the future */
	snprintf(d, sizeof d, "%04d-01-01", tm.tm_year + 1900 - 130);
	expect_error("birth_date", json_string(d), NULL);
	snprintf(d, sizeof d, "%04d-01-01", tm.tm_year + 1900 - 15);
	expect_ok("birth_date", json_string(d));
	snprintf(d, sizeof d, "%04d-%02d-%02d", tm.tm_year + 1900 - 14, tm.tm_mon + 1, tm.tm_mday);
	expect_ok("birth_date", json_string(d));                        /* 14 today */
}

static void test_lengths(void **state)
{
	static char s[LIMIT_LONG_TEXT * 2 + 8];
	json_t *errors = NULL;

	(void)state;
	memset(s, 'a', LIMIT_NAME);
	s[LIMIT_NAME] = '\0';
	expect_ok("first_name", json_string(s));
	s[LIMIT_NAME] = 'a';
	s[LIMIT_NAME + 1] = '\0';
	expect_error("first_name", json_string(s), "Keep this under 100 characters");

	memset(s, 'w', LIMIT_LONG_TEXT);
	s[LIMIT_LONG_TEXT] = '\0';
	expect_ok("why_run", json_string(s));
	s[LIMIT_LONG_TEXT] = 'w';
	s[LIMIT_LONG_TEXT + 1] = '\0';
	expect_error("why_run", json_string(s), "Keep this under 5000 characters");

	/* 2500 lines posted with "\r\n": 5000 once the breaks are "\n". */
	{
		size_t i, n = 0;
		for (i = 0; i < 2500; i++) {
			s[n++] = 'x';
			s[n++] = '\r';
			s[n++] = '\n';
		}
		s[n - 2] = 'y';   /* last line ends without a break: "…\r\n" + "y" */
		s[n - 1] = '\0';
		/* 2499 * "x\r\n" + "xy" is 7499 bytes, 5000 after. */
		expect_ok("why_run", json_string(s));
	}
	expect_error("pronouns", json_string("they/them/theirs, and also a much longer description"),
	             "Keep this under 50 characters");
	assert_null(error_with("pronouns", json_string("they/them"), &errors));
	assert_null(errors);
}

static void test_invalid_utf8(void **state)
{
	json_t *in = valid_form(), *out = NULL, *errors = NULL;

	(void)state;
	json_object_set_new(in, "city", json_stringn_nocheck("Chicag\xC3", 7));
	json_object_set_new(in, "last_name", json_stringn_nocheck("Silva\0Ng", 8));
	json_object_set_new(in, "issues", json_stringn_nocheck("\xED\xA0\x80", 3));
	json_object_set_new(in, "office_interests", json_pack("[o]", json_stringn_nocheck("\xC0\xAF", 2)));
	json_object_set_new(in, "email", json_stringn("ana\xC3\xA9@example.org", 17));
	assert_int_equal(person_validate(in, &out, &errors), -1);
	assert_null(out);
	assert_int_equal(json_object_size(errors), 4);   /* é in a local part is fine */
	assert_non_null(json_object_get(errors, "city"));
	assert_non_null(json_object_get(errors, "last_name"));
	assert_non_null(json_object_get(errors, "issues"));
	assert_non_null(json_object_get(errors, "office_interests"));
	json_decref(errors);
	json_decref(in);
}

static void test_all_errors_at_once(void **state)
{
	json_t *in = valid_form(), *out = NULL, *errors = NULL;

	(void)state;
	json_object_set_new(in, "email", json_string("nope"));
	json_object_set_new(in, "phone", json_string("12"));
	json_object_set_new(in, "zip", json_string("abcde"));
	json_object_set_new(in, "birth_date", json_string("2001-02-29"));
	json_object_set_new(in, "gender", json_string("other"));
	json_object_set_new(in, "last_name", json_string(""));
	assert_int_equal(person_validate(in, &out, &errors), -1);
	assert_int_equal(json_object_size(errors), 6);
	json_decref(errors);
	json_decref(in);
}

static void test_consents(void **state)
{
	static const struct { json_t *(*make)(void); const char *s; int want; } cases[] = {
		{ json_true, NULL, 1 }, { json_false, NULL, 0 }, { json_null, NULL, 0 },
		{ NULL, "1", 1 }, { NULL, "on", 1 }, { NULL, "ON", 1 }, { NULL, "true", 1 },
		{ NULL, "yes", 1 }, { NULL, "", 0 }, { NULL, "0", 0 }, { NULL, "off", 0 },
		{ NULL, "false", 0 }, { NULL, "no", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *in = valid_form(), *out = NULL, *errors = NULL;
		json_object_set_new(in, "consent_share",
		                    cases[i].make ? cases[i].make() : json_string(cases[i].s));
		assert_int_equal(person_validate(in, &out, &errors), 0);
		if (json_is_true(json_object_get(out, "consent_share")) != cases[i].want)
			fail_msg("consent case %zu: want %d", i, cases[i].want);
		assert_true(json_is_boolean(json_object_get(out, "consent_share")));
		json_decref(out);
		json_decref(in);
	}
	/* Absent consents still appear, as false. */
	{
		json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s}", "first_name", "Bo", "last_name",
		                       "Li", "email", "bo@example.com", "zip", "02134", "state", "MA");
		json_t *out = NULL, *errors = NULL;
		assert_int_equal(person_validate(in, &out, &errors), 0);
		assert_true(json_is_false(json_object_get(out, "consent_email")));
		assert_true(json_is_false(json_object_get(out, "consent_sms")));
		assert_true(json_is_false(json_object_get(out, "consent_share")));
		assert_int_equal(json_object_size(out), 8);
		json_decref(out);
		json_decref(in);
	}
}

static void test_form_model(void **state)
{
	json_t *in = valid_form(), *errors, *model, *fields, *choices, *states, *e, *list;
	size_t i, checked = 0;

	(void)state;
	json_object_set_new(in, "zip", json_string("606"));
	errors = json_pack("{s:s}", "zip", "Enter a 5-digit ZIP code");
	model = person_form_model(in, errors);
	assert_non_null(model);
	fields = json_object_get(model, "fields");
	choices = json_object_get(model, "choices");
	states = json_object_get(model, "states");
	assert_true(json_is_object(fields));
	assert_true(json_is_object(choices));
	assert_true(json_is_array(states));

	/* Typed values come back as typed (not normalized), with errors. */
	e = json_object_get(fields, "zip");
	assert_string_equal(json_string_value(json_object_get(e, "value")), "606");
	assert_string_equal(json_string_value(json_object_get(e, "error")), "Enter a 5-digit ZIP code");
	assert_string_equal(json_string_value(json_object_get(e, "label")), "ZIP code");
	assert_true(json_is_true(json_object_get(e, "required")));
	e = json_object_get(fields, "email");
	assert_string_equal(json_string_value(json_object_get(e, "value")), " Ana.Silva@Example.ORG ");
	assert_null(json_object_get(e, "error"));
	e = json_object_get(fields, "first_name");
	assert_string_equal(json_string_value(json_object_get(e, "label")), "First name");
	e = json_object_get(fields, "office_interests");
	assert_string_equal(json_string_value(json_object_get(e, "label")), "What offices interest you?");
	assert_string_equal(json_string_value(json_object_get(e, "value")), "");
	e = json_object_get(fields, "consent_sms");
	assert_true(json_is_true(json_object_get(e, "checked")));
	assert_string_equal(json_string_value(json_object_get(e, "value")), "1");
	e = json_object_get(fields, "consent_share");
	assert_true(json_is_false(json_object_get(e, "checked")));

	/* Checked boxes. */
	list = json_object_get(choices, "office_interests");
	assert_int_equal(json_array_size(list), 8);
	for (i = 0; i < json_array_size(list); i++) {
		json_t *c = json_array_get(list, i);
		const char *code = json_string_value(json_object_get(c, "code"));
		int want = strcmp(code, "school_board") == 0 || strcmp(code, "city_council") == 0;
		assert_int_equal(json_is_true(json_object_get(c, "checked")), want);
		assert_non_null(json_string_value(json_object_get(c, "label")));
	}
	list = json_object_get(choices, "gender");
	for (i = 0; i < json_array_size(list); i++) {
		json_t *c = json_array_get(list, i);
		if (json_is_true(json_object_get(c, "checked"))) {
			checked++;
			assert_string_equal(json_string_value(json_object_get(c, "code")), "woman");
		}
	}
	assert_int_equal(checked, 1);
	assert_null(json_object_get(choices, "state"));
	assert_non_null(json_object_get(choices, "race_ethnicity"));
	assert_non_null(json_object_get(choices, "age_range"));

	/* The state typed "il" selects IL, and only IL. */
	assert_int_equal(json_array_size(states), 56);
	checked = 0;
	for (i = 0; i < json_array_size(states); i++) {
		json_t *s = json_array_get(states, i);
		if (json_is_true(json_object_get(s, "selected"))) {
			checked++;
			assert_string_equal(json_string_value(json_object_get(s, "code")), "IL");
			assert_string_equal(json_string_value(json_object_get(s, "name")), "Illinois");
		}
	}
	assert_int_equal(checked, 1);
	json_decref(model);
	json_decref(errors);
	json_decref(in);

	/* An empty form: every value "", nothing checked. */
	model = person_form_model(NULL, NULL);
	assert_non_null(model);
	e = json_object_get(json_object_get(model, "fields"), "why_run");
	assert_string_equal(json_string_value(json_object_get(e, "value")), "");
	assert_string_equal(json_string_value(json_object_get(e, "label")), "Why do you want to run?");
	list = json_object_get(json_object_get(model, "choices"), "help_wanted");
	for (i = 0; i < json_array_size(list); i++)
		assert_true(json_is_false(json_object_get(json_array_get(list, i), "checked")));
	json_decref(model);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_matches_routes),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_valid_form_normalized),
		cmocka_unit_test(test_every_required_missing),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_all_errors_at_once),
		cmocka_unit_test(test_consents),
		cmocka_unit_test(test_form_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
