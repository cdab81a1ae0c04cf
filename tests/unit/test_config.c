/*
 * test_config.c — config_db_url_redacted(): database URLs printed and
 * logged never show a password, and everything else in them stays.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "config/config.h"

struct redact_case {
	const char *url;
	const char *shown;
};

static const struct redact_case cases[] = {
	{ "sqlite:onramp.db", "sqlite:onramp.db" },
	{ "sqlite:/var/lib/onramp/a:b@c.db", "sqlite:/var/lib/onramp/a:b@c.db" },
	{ "postgres://onramp@127.0.0.1:5432/onramp", "postgres://onramp@127.0.0.1:5432/onramp" },
	{ "postgres://127.0.0.1:5432/onramp", "postgres://127.0.0.1:5432/onramp" },
	{ "postgres://onramp:hunter2@db.internal:5432/onramp",
	  "postgres://onramp:***@db.internal:5432/onramp" },
	{ "postgresql://u:p%40ss@h/d", "postgresql://u:***@h/d" },
	{ "postgres://u:@h/d", "postgres://u:***@h/d" },
	/* libpq takes the first '@' before any '/' as the end of the user info */
	{ "postgres://u:pa:ss@h/d", "postgres://u:***@h/d" },
	{ "postgres://h/d?user=u&password=hunter2&sslmode=require",
	  "postgres://h/d?user=u&password=***&sslmode=require" },
	{ "postgres://u:one@h/d?password=two", "postgres://u:***@h/d?password=***" },
	{ "postgres://h/d?sslpassword=k3y&PASSWORD=x", "postgres://h/d?sslpassword=***&PASSWORD=***" },
	{ "postgres://h/d?password", "postgres://h/d?password" },
	{ "postgres://h/d?application_name=a&password=p#frag", "postgres://h/d?application_name=a&password=***#frag" },
	/* no '@' before the path: nothing is user info, the '@' is in the path */
	{ "postgres://h/d@x:y", "postgres://h/d@x:y" },
	{ "", "" },
};

static void test_redacted_cases(void **state)
{
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *r = config_db_url_redacted(cases[i].url, out, sizeof(out));

		assert_ptr_equal(r, out);
		if (strcmp(out, cases[i].shown) != 0)
			print_message("# %s -> %s, expected %s\n", cases[i].url, out, cases[i].shown);
		assert_string_equal(out, cases[i].shown);
	}
}

static void test_redacted_never_leaks_when_short(void **state)
{
	static const char url[] = "postgres://onramp:hunter2@db.internal:5432/onramp";
	char out[64];
	size_t n;

	(void)state;
	/* every size from 1 up: the result is the whole masked URL, the
	 * fixed notice, or empty, and never holds the password */
	for (n = 1; n <= sizeof(out); n++) {
		memset(out, 'Z', sizeof(out));
		config_db_url_redacted(url, out, n);
		assert_non_null(memchr(out, '\0', n));
		assert_null(strstr(out, "hunter2"));
		assert_null(strstr(out, "hunter"));
		assert_true(strcmp(out, "postgres://onramp:***@db.internal:5432/onramp") == 0 ||
		            strcmp(out, "(a database URL too long to show)") == 0 || out[0] == '\0');
	}
	config_db_url_redacted(url, out, sizeof(out));
	assert_string_equal(out, "postgres://onramp:***@db.internal:5432/onramp");
	config_db_url_redacted(NULL, out, sizeof(out));
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redacted_cases),
		cmocka_unit_test(test_redacted_never_leaks_when_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
