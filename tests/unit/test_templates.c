/*
 * test_templates.c — the template registry (web/templates.c) and the page
 * templates themselves (the templates folder).
 *
 * Checks that every built-in template compiles; that a theme folder's
 * template, static file and strings.json win over the built-in ones; that a
 * broken theme template stops loading with the file and line in the reason;
 * that static lookups accept only registered names; and that every page
 * template, rendered with a representative context whose values hold
 * markup, escapes it. Also the parts of the pages that carry rules: the
 * staff nav shows only permitted links, the signup form re-shows answers
 * and marks errors accessibly, and the person page has no demographics
 * section without them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/mustache.h"
#include "web/embedded.h"
#include "web/templates.h"

#define EVIL "<script>alert(1)</script>"

/* ---- a temporary theme folder ---- */

struct theme {
	char dir[64];
};

static void theme_make(struct theme *t)
{
	char path[256];

	snprintf(t->dir, sizeof(t->dir), "/tmp/onramp-theme-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(path, sizeof(path), "%s/templates", t->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/static", t->dir);
	assert_int_equal(mkdir(path, 0700), 0);
}

static void theme_write(const struct theme *t, const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void theme_remove(const struct theme *t)
{
	static const char *const files[] = {
		"templates/signup.mustache", "templates/home.mustache", "static/style.css",
		"static/logo.svg", "strings.json", NULL,
	};
	char path[256];
	size_t i;

	for (i = 0; files[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", t->dir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/templates", t->dir);
	assert_int_equal(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/static", t->dir);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(rmdir(t->dir), 0);
}

/* Renders name with ctx (JSON text); returns a malloc'd page. */
static char *render(const struct templates *t, const char *name, const char *ctx_json)
{
	json_error_t jerr;
	json_t *ctx = json_loads(ctx_json, 0, &jerr);
	buf out;
	char *s;

	if (!ctx)
		fail_msg("bad test context for %s: line %d: %s", name, jerr.line, jerr.text);
	buf_init(&out, LIMIT_PAGE_MAX);
	assert_int_equal(templates_render(t, name, ctx, &out), 0);
	json_decref(ctx);
	s = buf_take(&out);
	assert_non_null(s);
	return s;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected to find \"%s\" in the page", needle);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("did not expect \"%s\" in the page", needle);
}

/* ---- tests ---- */

static void test_every_embedded_template_compiles(void **state)
{
	char err[256] = "";
	struct templates *t;
	struct mustache_tmpl *m;
	const struct embedded_file *f;
	size_t n = 0;

	(void)state;
	for (f = embedded_files; f->path; f++) {
		if (strncmp(f->path, "templates/", 10) != 0)
			continue;
		m = mustache_compile(f->data, f->len, err, sizeof(err));
		if (!m)
			fail_msg("%s: %s", f->path, err);
		mustache_free(m);
		n++;
	}
	assert_true(n >= 12);

	t = templates_load(NULL, err, sizeof(err));
	if (!t)
		fail_msg("templates_load: %s", err);
	{
		static const char *const pages[] = { "layout", "error", "home", "signup", "thanks",
			"login", "staff", "people", "person", "flags", "audit", "users", NULL };
		size_t i;

		for (i = 0; pages[i]; i++)
			if (!templates_get(t, pages[i]))
				fail_msg("template %s is not registered", pages[i]);
	}
	assert_null(templates_get(t, "nope"));
	assert_true(json_object_size(templates_strings(t)) == 0);
	templates_free(t);

	/* "" also means built-in only. */
	t = templates_load("", err, sizeof(err));
	assert_non_null(t);
	templates_free(t);
}

static void test_theme_overrides_win(void **state)
{
	struct theme th;
	char err[256] = "";
	struct templates *t;
	const char *data, *type;
	size_t len;
	char *page;

	(void)state;
	theme_make(&th);
	theme_write(&th, "templates/signup.mustache",
	            "{{<layout}}{{$title}}Join{{/title}}{{$content}}<p>THEMED {{t.org_name}}</p>{{/content}}{{/layout}}");
	theme_write(&th, "static/style.css", "body { color: #000; }\n");
	theme_write(&th, "strings.json", "{\"org_name\": \"Run Local\", \"tagline\": \"Run where you live.\"}");

	t = templates_load(th.dir, err, sizeof(err));
	if (!t)
		fail_msg("templates_load: %s", err);

	/* The themed template, still inside the built-in layout. */
	page = render(t, "signup", "{\"t\": {\"org_name\": \"Run Local\"}, \"org\": {\"name\": \"Run Local\"}}");
	assert_contains(page, "<p>THEMED Run Local</p>");
	assert_contains(page, "<html lang=\"en\">");
	assert_lacks(page, "Send my answers");
	free(page);

	/* Templates the theme does not override stay built-in, and see t. */
	page = render(t, "home", "{\"t\": {\"tagline\": \"Run where you live.\"}, \"org\": {\"name\": \"Run Local\"}}");
	assert_contains(page, "Run where you live.");
	assert_contains(page, "I want to run");
	assert_lacks(page, "help first-time candidates");
	free(page);

	assert_int_equal(templates_static(t, "style.css", &data, &len, &type), 0);
	assert_int_equal(len, strlen("body { color: #000; }\n"));
	assert_memory_equal(data, "body { color: #000; }\n", len);
	assert_string_equal(type, "text/css; charset=utf-8");
	/* Not overridden: the built-in logo. */
	assert_int_equal(templates_static(t, "logo.svg", &data, &len, &type), 0);
	assert_string_equal(type, "image/svg+xml");
	assert_non_null(strstr(data, "<svg"));

	assert_string_equal(json_string_value(json_object_get(templates_strings(t), "org_name")),
	                    "Run Local");
	templates_free(t);
	theme_remove(&th);
}

static void test_broken_theme_template_fails_with_file_and_line(void **state)
{
	struct theme th;
	char err[256] = "";
	struct templates *t;

	(void)state;
	theme_make(&th);
	theme_write(&th, "templates/signup.mustache", "<p>one</p>\n<p>two</p>\n{{#people}}never closed\n");
	t = templates_load(th.dir, err, sizeof(err));
	assert_null(t);
	assert_contains(err, "theme: templates/signup.mustache line 3");
	theme_remove(&th);
}

static void test_bad_theme_strings_and_folder_fail(void **state)
{
	struct theme th;
	char err[256] = "";
	struct templates *t;

	(void)state;
	theme_make(&th);
	theme_write(&th, "strings.json", "{\"org_name\": 42}");
	t = templates_load(th.dir, err, sizeof(err));
	assert_null(t);
	assert_contains(err, "strings.json");
	assert_contains(err, "org_name");

	theme_write(&th, "strings.json", "{\"org_name\": \"x\",\n \"tagline\": }");
	err[0] = '\0';
	t = templates_load(th.dir, err, sizeof(err));
	assert_null(t);
	assert_contains(err, "strings.json line 2");

	theme_write(&th, "strings.json", "[\"not an object\"]");
	t = templates_load(th.dir, err, sizeof(err));
	assert_null(t);
	assert_contains(err, "must be an object");
	theme_remove(&th);

	t = templates_load("/nonexistent/onramp-theme", err, sizeof(err));
	assert_null(t);
	assert_contains(err, "is not a folder");
}

static void test_static_lookup_only_registered_names(void **state)
{
	static const char *const bad[] = {
		"../x", "../static/style.css", "/style.css", "static/style.css", "./style.css",
		".style.css", "", "style.css/", "..", "style.css\\x", "STYLE.CSS", "nope.css", NULL,
	};
	char err[256];
	struct templates *t = templates_load(NULL, err, sizeof(err));
	const char *data = NULL, *type = NULL;
	size_t len = 0, i;

	(void)state;
	assert_non_null(t);
	for (i = 0; bad[i]; i++)
		if (templates_static(t, bad[i], &data, &len, &type) == 0)
			fail_msg("static lookup accepted \"%s\"", bad[i]);
	assert_int_equal(templates_static(t, NULL, &data, &len, &type), -1);
	assert_int_equal(templates_static(t, "style.css", &data, &len, &type), 0);
	assert_true(len > 100);
	assert_string_equal(type, "text/css; charset=utf-8");
	assert_non_null(strstr(data, "--brand"));
	templates_free(t);
}

/* A context rich enough to reach every value of every page, with markup in
 * each value a person or the database could have put there. */
static const char *const evil_ctx =
	"{"
	" \"csrf\": \"" EVIL "\", \"year\": 2025,"
	" \"org\": {\"name\": \"" EVIL "\"},"
	" \"t\": {\"tagline\": \"" EVIL "\", \"signup_intro\": \"" EVIL "\", \"thanks_next_steps\": \"" EVIL "\", \"footer\": \"" EVIL "\"},"
	" \"user\": {\"email\": \"" EVIL "\", \"role\": \"admin\", \"can_people\": true, \"can_write\": true,"
	"            \"can_merge\": true, \"can_audit\": true, \"can_users\": true},"
	" \"title\": \"" EVIL "\", \"message\": \"" EVIL "\", \"status\": 404,"
	" \"email\": \"" EVIL "\", \"error\": \"" EVIL "\", \"form_error\": \"" EVIL "\", \"alert\": \"" EVIL "\","
	" \"source\": \"" EVIL "\", \"ref\": \"" EVIL "\","
	" \"has_errors\": true, \"error_list\": [{\"anchor\": \"" EVIL "\", \"label\": \"" EVIL "\", \"message\": \"" EVIL "\"}],"
	" \"fields\": {"
	"   \"first_name\": {\"label\": \"" EVIL "\", \"value\": \"" EVIL "\", \"error\": \"" EVIL "\", \"required\": true, \"anchor\": \"f-first_name\"},"
	"   \"issues\": {\"label\": \"x\", \"value\": \"" EVIL "\", \"required\": false},"
	"   \"why_run\": {\"label\": \"x\", \"value\": \"</textarea>" EVIL "\", \"required\": false},"
	"   \"consent_email\": {\"label\": \"" EVIL "\", \"value\": \"1\", \"checked\": true, \"required\": false}"
	" },"
	" \"choices\": {\"office_interests\": [{\"code\": \"" EVIL "\", \"label\": \"" EVIL "\", \"checked\": true}],"
	"               \"gender\": [{\"code\": \"x\", \"label\": \"" EVIL "\", \"checked\": false}]},"
	" \"states\": [{\"code\": \"" EVIL "\", \"name\": \"" EVIL "\", \"selected\": true}],"
	" \"counts\": {\"people\": \"" EVIL "\", \"signups_today\": 1, \"open_flags\": 2},"
	" \"filters\": {\"q\": \"" EVIL "\", \"source\": \"" EVIL "\", \"from\": \"" EVIL "\", \"to\": \"x\"},"
	" \"offices\": [{\"code\": \"" EVIL "\", \"label\": \"" EVIL "\", \"selected\": true}],"
	" \"helps\": [], \"sorts\": [{\"code\": \"name\", \"label\": \"" EVIL "\", \"selected\": true}],"
	" \"rows\": [{\"id\": 7, \"name\": \"" EVIL "\", \"email\": \"" EVIL "\", \"phone\": \"" EVIL "\","
	"            \"city\": \"" EVIL "\", \"state\": \"NY\", \"zip\": \"" EVIL "\", \"created\": \"" EVIL "\", \"offices\": [\"" EVIL "\"]}],"
	" \"has_rows\": true, \"total\": 1, \"total_label\": \"person\", \"page\": 1, \"pages\": 2,"
	" \"prev_href\": \"/staff/people?q=\\\"><script>\", \"next_href\": \"/staff/people?q=" EVIL "\","
	" \"person_id\": 7, \"name\": \"" EVIL "\", \"created\": \"" EVIL "\","
	" \"emails\": [\"" EVIL "\"], \"phones\": [\"" EVIL "\"],"
	" \"answers\": [{\"label\": \"" EVIL "\", \"value\": \"" EVIL "\", \"long\": true}],"
	" \"has_demographics\": true, \"demographics\": [{\"label\": \"" EVIL "\", \"value\": \"" EVIL "\"}],"
	" \"has_flags\": true, \"count\": 1,"
	" \"flags\": [{\"id\": 3, \"person_a\": 7, \"person_b\": 8, \"name_a\": \"" EVIL "\", \"name_b\": \"" EVIL "\","
	"             \"other_id\": 8, \"other_name\": \"" EVIL "\", \"reason\": \"" EVIL "\", \"created\": \"" EVIL "\"}],"
	" \"can_merge\": true, \"can_write\": true, \"note_text\": \"" EVIL "\", \"note_error\": \"" EVIL "\","
	" \"notes\": [{\"body\": \"" EVIL "\", \"author_email\": \"" EVIL "\", \"created\": \"" EVIL "\"}],"
	" \"submissions\": [{\"received\": \"" EVIL "\", \"kind\": \"" EVIL "\", \"source\": \"" EVIL "\", \"status\": \"" EVIL "\","
	"                   \"answers\": [{\"label\": \"" EVIL "\", \"value\": \"" EVIL "\", \"long\": false}],"
	"                   \"has_demographics\": true, \"demographics\": [{\"label\": \"" EVIL "\", \"value\": \"" EVIL "\"}]}],"
	" \"has_entries\": true, \"entries\": [{\"action\": \"" EVIL "\", \"entity\": \"" EVIL "\", \"entity_id\": 1,"
	"   \"when\": \"" EVIL "\", \"user_email\": \"" EVIL "\", \"before_text\": \"" EVIL "\", \"after_text\": \"" EVIL "\"}],"
	" \"prev_page\": 1, \"next_page\": 2,"
	" \"users\": [{\"email\": \"" EVIL "\", \"role\": \"" EVIL "\", \"created\": \"" EVIL "\"}],"
	" \"roles\": [{\"code\": \"" EVIL "\", \"selected\": true}]"
	"}";

static void test_every_page_escapes_markup(void **state)
{
	static const char *const pages[] = { "error", "home", "signup", "thanks", "login", "staff",
		"people", "person", "flags", "audit", "users", NULL };
	char err[256];
	struct templates *t = templates_load(NULL, err, sizeof(err));
	size_t i;
	char *page;

	(void)state;
	assert_non_null(t);
	for (i = 0; pages[i]; i++) {
		page = render(t, pages[i], evil_ctx);
		if (strstr(page, "<script") || strstr(page, "</textarea><"))
			fail_msg("template %s lets markup through", pages[i]);
		/* The value was rendered (escaped), so the check above meant something. */
		if (!strstr(page, "&lt;script&gt;"))
			fail_msg("template %s did not render the test value", pages[i]);
		/* Every page is a whole document with one h1 and the landmarks. */
		assert_contains(page, "<html lang=\"en\">");
		assert_contains(page, "<main id=\"main\"");
		assert_contains(page, "class=\"skip-link\" href=\"#main\"");
		assert_contains(page, "<link rel=\"stylesheet\" href=\"/static/style.css\">");
		assert_non_null(strstr(page, "<h1"));
		if (strstr(strstr(page, "<h1") + 3, "<h1"))
			fail_msg("template %s has more than one h1", pages[i]);
		assert_lacks(page, "style=\"");
		free(page);
	}
	templates_free(t);
}

static void test_staff_nav_shows_only_permitted_links(void **state)
{
	char err[256];
	struct templates *t = templates_load(NULL, err, sizeof(err));
	char *page;

	(void)state;
	assert_non_null(t);
	page = render(t, "staff",
	              "{\"csrf\": \"TOKEN123\", \"org\": {\"name\": \"Onramp\"},"
	              " \"user\": {\"email\": \"v@example.org\", \"role\": \"volunteer\", \"can_people\": true,"
	              "           \"can_write\": true, \"can_merge\": false, \"can_audit\": false, \"can_users\": false},"
	              " \"counts\": {\"people\": 12, \"signups_today\": 3, \"open_flags\": 1}}");
	assert_contains(page, "href=\"/staff/people\"");
	assert_lacks(page, "href=\"/staff/audit\"");
	assert_lacks(page, "href=\"/staff/users\"");
	assert_lacks(page, "href=\"/staff/flags\"");
	/* The logout button is a POST form carrying the token. */
	assert_contains(page, "action=\"/logout\"");
	assert_contains(page, "name=\"csrf\" value=\"TOKEN123\"");
	assert_contains(page, ">12<");
	free(page);

	/* Signed out: no staff nav, a staff login link in the footer. */
	page = render(t, "home", "{\"org\": {\"name\": \"Onramp\"}}");
	assert_lacks(page, "action=\"/logout\"");
	assert_contains(page, "href=\"/login\"");
	assert_contains(page, "href=\"/signup\"");
	free(page);
	templates_free(t);
}

static void test_signup_keeps_answers_and_marks_errors(void **state)
{
	char err[256];
	struct templates *t = templates_load(NULL, err, sizeof(err));
	char *page;

	(void)state;
	assert_non_null(t);
	page = render(t, "signup",
	              "{\"csrf\": \"TOK\", \"org\": {\"name\": \"Onramp\"}, \"source\": \"tv\", \"ref\": \"abc\","
	              " \"has_errors\": true,"
	              " \"error_list\": [{\"anchor\": \"f-email\", \"label\": \"Email address\", \"message\": \"Enter your email address\"}],"
	              " \"fields\": {"
	              "  \"first_name\": {\"label\": \"First name\", \"value\": \"Ada\", \"required\": true},"
	              "  \"email\": {\"label\": \"Email address\", \"value\": \"ada@\", \"required\": true,"
	              "             \"error\": \"Enter your email address\"},"
	              "  \"phone\": {\"label\": \"Phone number\", \"value\": \"555 0100\", \"required\": false},"
	              "  \"why_run\": {\"label\": \"Why?\", \"value\": \"Because & so\", \"required\": false},"
	              "  \"state\": {\"label\": \"State\", \"value\": \"NY\", \"required\": true},"
	              "  \"office_interests\": {\"label\": \"Offices\", \"value\": \"\", \"required\": false},"
	              "  \"consent_sms\": {\"label\": \"Text me\", \"value\": \"1\", \"checked\": true, \"required\": false},"
	              "  \"consent_email\": {\"label\": \"Email me\", \"value\": \"\", \"checked\": false, \"required\": false}"
	              " },"
	              " \"choices\": {\"office_interests\": ["
	              "   {\"code\": \"school_board\", \"label\": \"School board\", \"checked\": true},"
	              "   {\"code\": \"county\", \"label\": \"County office\", \"checked\": false}]},"
	              " \"states\": [{\"code\": \"NY\", \"name\": \"New York\", \"selected\": true},"
	              "              {\"code\": \"OH\", \"name\": \"Ohio\", \"selected\": false}]}");
	/* The summary links to the bad field; the field says what is wrong. */
	assert_contains(page, "role=\"alert\"");
	assert_contains(page, "<a href=\"#f-email\">Email address: Enter your email address</a>");
	assert_contains(page, "id=\"e-email\"");
	assert_contains(page, "aria-describedby=\"e-email\" aria-invalid=\"true\"");
	assert_contains(page, "<title>Error: ");
	/* Every typed answer is back. */
	assert_contains(page, "name=\"first_name\" value=\"Ada\"");
	assert_contains(page, "name=\"email\" value=\"ada@\"");
	assert_contains(page, "name=\"phone\" value=\"555 0100\"");
	assert_contains(page, ">Because &amp; so</textarea>");
	assert_contains(page, "<option value=\"NY\" selected>New York</option>");
	assert_contains(page, "<option value=\"OH\">Ohio</option>");
	assert_contains(page, "name=\"office_interests\" value=\"school_board\" checked>");
	assert_contains(page, "name=\"office_interests\" value=\"county\">");
	assert_contains(page, "name=\"consent_sms\" value=\"1\" checked>");
	assert_contains(page, "name=\"consent_email\" value=\"1\">");
	/* A field without an error is not marked. */
	assert_lacks(page, "id=\"e-first_name\"");
	/* Hidden fields: csrf, tracking, the empty honeypot. */
	assert_contains(page, "name=\"csrf\" value=\"TOK\"");
	assert_contains(page, "name=\"source\" value=\"tv\"");
	assert_contains(page, "name=\"ref\" value=\"abc\"");
	assert_contains(page, "name=\"website\" value=\"\"");
	/* Phone-friendly inputs. */
	assert_contains(page, "autocomplete=\"given-name\"");
	assert_contains(page, "type=\"tel\" id=\"f-phone\" name=\"phone\" value=\"555 0100\" autocomplete=\"tel\" inputmode=\"tel\"");
	assert_contains(page, "These questions are optional. Your answers are kept private and encrypted, and only senior staff can see them.");
	free(page);
	templates_free(t);
}

static void test_person_page_hides_demographics_without_them(void **state)
{
	char err[256];
	struct templates *t = templates_load(NULL, err, sizeof(err));
	char *page;

	(void)state;
	assert_non_null(t);
	page = render(t, "person",
	              "{\"csrf\": \"T\", \"org\": {\"name\": \"Onramp\"}, \"person_id\": 5, \"name\": \"Ada Lovelace\","
	              " \"user\": {\"email\": \"v@x.org\", \"role\": \"volunteer\", \"can_people\": true},"
	              " \"emails\": [\"ada@example.org\"], \"phones\": [],"
	              " \"answers\": [{\"label\": \"City\", \"value\": \"Albany\", \"long\": false}],"
	              " \"notes\": [], \"submissions\": [{\"received\": \"2025-01-01\", \"kind\": \"signup\","
	              "   \"answers\": [], \"has_demographics\": false}],"
	              " \"can_merge\": false, \"can_write\": true,"
	              " \"flags\": [{\"id\": 9, \"other_id\": 6, \"other_name\": \"A. L.\", \"reason\": \"phone\"}],"
	              " \"has_flags\": true}");
	assert_lacks(page, "Demographics");
	assert_contains(page, "Albany");
	assert_contains(page, "action=\"/staff/people/5/notes\"");
	/* No merge form without PERM_PEOPLE_MERGE, even with an open flag. */
	assert_lacks(page, "/merge\"");
	assert_contains(page, "href=\"/staff/people/6\"");
	free(page);

	page = render(t, "person",
	              "{\"csrf\": \"T\", \"org\": {\"name\": \"Onramp\"}, \"person_id\": 5, \"name\": \"Ada\","
	              " \"emails\": [], \"phones\": [], \"answers\": [], \"notes\": [], \"submissions\": [],"
	              " \"has_demographics\": true, \"demographics\": [{\"label\": \"Pronouns\", \"value\": \"xe/xem\"}],"
	              " \"can_merge\": true, \"has_flags\": true,"
	              " \"flags\": [{\"id\": 9, \"other_id\": 6, \"other_name\": \"A\", \"reason\": \"phone\"}]}");
	assert_contains(page, "Demographics");
	assert_contains(page, "xe/xem");
	/* The merge posts to this person's page, keeping this record. */
	assert_contains(page, "action=\"/staff/people/5/merge\"");
	assert_contains(page, "name=\"other\" value=\"6\"");
	free(page);
	templates_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_embedded_template_compiles),
		cmocka_unit_test(test_theme_overrides_win),
		cmocka_unit_test(test_broken_theme_template_fails_with_file_and_line),
		cmocka_unit_test(test_bad_theme_strings_and_folder_fail),
		cmocka_unit_test(test_static_lookup_only_registered_names),
		cmocka_unit_test(test_every_page_escapes_markup),
		cmocka_unit_test(test_staff_nav_shows_only_permitted_links),
		cmocka_unit_test(test_signup_keeps_answers_and_marks_errors),
		cmocka_unit_test(test_person_page_hides_demographics_without_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
