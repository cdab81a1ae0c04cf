/*
 * test_normalize.c — canonical emails, phones and ZIP codes
 * (src/domain/normalize.c).
 *
 * Table-driven: each row is what someone might type and the canonical form
 * we expect, or NULL when it must be refused. Since these forms are dedupe
 * keys, the tables also check that different spellings of one address or
 * number give identical bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "domain/normalize.h"
#include "lib/limits.h"

struct norm_case {
	const char *in;
	const char *want;   /* NULL: must be refused */
};

static const struct norm_case email_cases[] = {
	{ "name@example.org", "name@example.org" },
	{ "Name@Example.ORG", "name@example.org" },
	{ "  maria.lopez@gmail.com\t\n", "maria.lopez@gmail.com" },
	{ "MARIA.LOPEZ@GMAIL.COM", "maria.lopez@gmail.com" },
	{ "first.last+onramp@sub.example.co.uk", "first.last+onramp@sub.example.co.uk" },
	{ "o'brien@example.ie", "o'brien@example.ie" },
	{ "a_b-c@my-domain.example", "a_b-c@my-domain.example" },
	{ "x@a.io", "x@a.io" },
	{ "user123@123example.com", "user123@123example.com" },
	{ "j\xC3\xA9r\xC3\xB4me@example.fr", "j\xC3\xA9r\xC3\xB4me@example.fr" },
	{ "info@xn--bcher-kva.example", "info@xn--bcher-kva.example" },
	{ "{weird}!#$%&*=?^`|~@example.com", "{weird}!#$%&*=?^`|~@example.com" },
	/* refused */
	{ "", NULL },
	{ "   ", NULL },
	{ "plainaddress", NULL },
	{ "@example.com", NULL },
	{ "name@", NULL },
	{ "name@localhost", NULL },
	{ "name@@example.com", NULL },
	{ "a@b@example.com", NULL },
	{ "na me@example.com", NULL },
	{ "name@exa mple.com", NULL },
	{ "name@example..com", NULL },
	{ "name@.example.com", NULL },
	{ "name@example.com.", NULL },
	{ "name@-example.com", NULL },
	{ "name@example-.com", NULL },
	{ "name@exam_ple.com", NULL },
	{ "name@example.c", NULL },
	{ "name@192.168.1.1", NULL },
	{ "name@[192.168.1.1]", NULL },
	{ ".name@example.com", NULL },
	{ "name.@example.com", NULL },
	{ "na..me@example.com", NULL },
	{ "\"quoted\"@example.com", NULL },
	{ "name(comment)@example.com", NULL },
	{ "<name@example.com>", NULL },
	{ "Name <name@example.com>", NULL },
	{ "name@example.com,other@example.com", NULL },
	{ "name;x@example.com", NULL },
	{ "name\x01@example.com", NULL },
	{ "name@example.com\x7f", NULL },
	{ "name@ex\xC3\xA4mple.com", NULL },      /* IDN must be punycode */
	{ "na\xC3me@example.com", NULL },         /* invalid UTF-8 */
	{ "name\xC2\x85@example.com", NULL },     /* C1 control */
	{ "name@example.com\nBcc: x@evil.com", NULL },
};

static const struct norm_case phone_cases[] = {
	{ "(555) 234-5678", "+15552345678" },
	{ "555-234-5678", "+15552345678" },
	{ "555.234.5678", "+15552345678" },
	{ "555 234 5678", "+15552345678" },
	{ "5552345678", "+15552345678" },
	{ "1-555-234-5678", "+15552345678" },
	{ "1 (555) 234-5678", "+15552345678" },
	{ "15552345678", "+15552345678" },
	{ "+1 555 234 5678", "+15552345678" },
	{ "+1 (555) 234-5678", "+15552345678" },
	{ "+15552345678", "+15552345678" },
	{ "  (202) 555-0143  ", "+12025550143" },
	{ "(212)555-0100", "+12125550100" },
	{ "907.555.0199", "+19075550199" },
	{ "+44 20 7946 0958", "+442079460958" },
	{ "+33 1 23 45 67 89", "+33123456789" },
	{ "+49 (30) 901820", "+4930901820" },
	{ "+52 55 1234 5678", "+525512345678" },
	{ "+91-98765-43210", "+919876543210" },
	{ "+61 4 1234 5678", "+61412345678" },
	{ "+861012345678901", "+861012345678901" },   /* 15 digits, the most */
	{ "+3912345678", "+3912345678" },
	{ "+81 3-1234-5678", "+81312345678" },
	/* refused */
	{ "", NULL },
	{ "   ", NULL },
	{ "555-2345", NULL },                  /* no area code */
	{ "234-5678", NULL },
	{ "555-234-567", NULL },               /* 9 digits */
	{ "555-234-56788", NULL },             /* 11 digits not starting with 1 */
	{ "2-555-234-5678", NULL },
	{ "(055) 234-5678", NULL },            /* area code starts with 0 */
	{ "(155) 234-5678", NULL },            /* area code starts with 1 */
	{ "(555) 023-4567", NULL },            /* exchange starts with 0 */
	{ "(555) 123-456a", NULL },
	{ "(555) 113-4567", NULL },            /* exchange starts with 1 */
	{ "(555) 123-4567", NULL },            /* the form hint's shape, but exchange 1xx */
	{ "+1 555 123 4567", NULL },
	{ "(911) 555-0100", NULL },            /* N11 service code */
	{ "(411) 555-0100", NULL },
	{ "(555) 911-0100", NULL },            /* N11 exchange */
	{ "1-800-FLOWERS", NULL },
	{ "555-234-5678 x123", NULL },         /* extensions are refused */
	{ "555-234-5678 ext. 4", NULL },
	{ "555-234-5678#9", NULL },
	{ "555/234/5678", NULL },
	{ "555_234_5678", NULL },
	{ "+1 055 234 5678", NULL },           /* +1 follows NANP rules */
	{ "+1 555 123 456", NULL },
	{ "+1 555 234 56788", NULL },
	{ "+0 123 456 789", NULL },            /* no country code 0 */
	{ "+1234567", NULL },                  /* 7 digits: too short */
	{ "+1234567890123456", NULL },         /* 16 digits: too long */
	{ "++15552345678", NULL },
	{ "5552345678+", NULL },
	{ "555+234+5678", NULL },
	{ "+", NULL },
	{ "()-. ", NULL },
	{ "phone", NULL },
	{ "\xEF\xBC\x95\xEF\xBC\x95\xEF\xBC\x95", NULL },  /* full-width digits */
	{ "5 5 5 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0", NULL },
};

static const struct norm_case zip_cases[] = {
	{ "12345", "12345" },
	{ "02134", "02134" },
	{ " 94110 ", "94110" },
	{ "12345-6789", "12345" },
	{ "123456789", "12345" },
	{ "00501", "00501" },
	{ "", NULL },
	{ "1234", NULL },
	{ "123456", NULL },
	{ "12345-678", NULL },
	{ "12345 6789", NULL },
	{ "12345-67890", NULL },
	{ "1234a", NULL },
	{ "ABCDE", NULL },
	{ "-1234", NULL },
	{ "00000", NULL },
	{ "12 345", NULL },
	{ "SW1A 1AA", NULL },
};

typedef int (*norm_fn)(const char *, char *, size_t);

static void run_table(const char *what, norm_fn fn, const struct norm_case *cases, size_t n,
                      size_t outlen)
{
	char out[LIMIT_EMAIL + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		int rc;

		memset(out, 'Z', sizeof out);
		out[sizeof out - 1] = '\0';
		rc = fn(cases[i].in, out, outlen);
		if (cases[i].want == NULL) {
			if (rc != -1)
				fail_msg("%s %zu \"%s\": accepted as \"%s\", want refused", what, i,
				         cases[i].in, out);
		} else if (rc != 0) {
			fail_msg("%s %zu \"%s\": refused, want \"%s\"", what, i, cases[i].in,
			         cases[i].want);
		} else if (strcmp(out, cases[i].want) != 0) {
			fail_msg("%s %zu \"%s\": got \"%s\", want \"%s\"", what, i, cases[i].in, out,
			         cases[i].want);
		}
	}
}

static void test_email_table(void **state)
{
	(void)state;
	run_table("email", normalize_email, email_cases, sizeof email_cases / sizeof email_cases[0],
	          LIMIT_EMAIL + 1);
}

static void test_phone_table(void **state)
{
	(void)state;
	run_table("phone", normalize_phone, phone_cases, sizeof phone_cases / sizeof phone_cases[0],
	          17);
}

static void test_zip_table(void **state)
{
	(void)state;
	run_table("zip", normalize_zip, zip_cases, sizeof zip_cases / sizeof zip_cases[0], 6);
}

static void test_email_lengths(void **state)
{
	char in[600], out[LIMIT_EMAIL + 1];
	size_t n;

	(void)state;
	/* Local part of exactly 64 is fine, 65 is not. */
	memset(in, 'a', 64);
	memcpy(in + 64, "@example.com", 13);
	assert_int_equal(normalize_email(in, out, sizeof out), 0);
	memset(in, 'a', 65);
	memcpy(in + 65, "@example.com", 13);
	assert_int_equal(normalize_email(in, out, sizeof out), -1);

	/* A domain label of 63 is fine, 64 is not. */
	memcpy(in, "a@", 2);
	memset(in + 2, 'b', 63);
	memcpy(in + 65, ".com", 5);
	assert_int_equal(normalize_email(in, out, sizeof out), 0);
	memset(in + 2, 'b', 64);
	memcpy(in + 66, ".com", 5);
	assert_int_equal(normalize_email(in, out, sizeof out), -1);

	/* A whole address of LIMIT_EMAIL is fine, one more is not. */
	memcpy(in, "a@", 2);
	n = 2;
	while (n < LIMIT_EMAIL - 4) {
		size_t k = LIMIT_EMAIL - 4 - n > 40 ? 40 : LIMIT_EMAIL - 4 - n;
		memset(in + n, 'c', k);
		n += k;
		if (n < LIMIT_EMAIL - 4)
			in[n++] = '.';
	}
	memcpy(in + n, ".org", 5);
	assert_int_equal(strlen(in), LIMIT_EMAIL);
	assert_int_equal(normalize_email(in, out, sizeof out), 0);
	assert_string_equal(out, in);
	in[0] = 'x';
	memmove(in + 1, in, LIMIT_EMAIL + 1);
	assert_int_equal(strlen(in), LIMIT_EMAIL + 1);
	assert_int_equal(normalize_email(in, out, sizeof out), -1);

	/* Too small an output buffer is refused, not overrun. */
	assert_int_equal(normalize_email("name@example.org", out, 16), -1);
	assert_int_equal(normalize_email("name@example.org", out, 17), 0);

	/* Megabytes of padding are refused without being scanned whole. */
	{
		static char big[100000];
		memset(big, ' ', sizeof big - 1);
		memcpy(big + 500, "a@example.org", 13);
		assert_int_equal(normalize_email(big, out, sizeof out), -1);
	}
}

static void test_phone_buffers(void **state)
{
	char out[17];
	char in[64];

	(void)state;
	assert_int_equal(normalize_phone("(555) 234-5678", out, 16), -1);
	assert_int_equal(normalize_phone("+861012345678901", out, sizeof out), 0);
	assert_string_equal(out, "+861012345678901");
	/* Over LIMIT_PHONE_INPUT characters is refused even if it has 10 digits. */
	memset(in, ' ', sizeof in);
	memcpy(in, "555", 3);
	memcpy(in + 38, "2345678", 8);   /* 45 characters, 10 digits */
	assert_int_equal(normalize_phone(in, out, sizeof out), -1);
	memcpy(in + 30, "2345678", 8);   /* 37 characters: fine */
	assert_int_equal(normalize_phone(in, out, sizeof out), 0);
	assert_string_equal(out, "+15552345678");
	assert_int_equal(normalize_phone(NULL, out, sizeof out), -1);
	assert_int_equal(normalize_email(NULL, out, sizeof out), -1);
	assert_int_equal(normalize_zip(NULL, out, sizeof out), -1);
	assert_int_equal(normalize_zip("12345", out, 5), -1);
}

static void test_same_person_same_key(void **state)
{
	/* Every US spelling of one number is one key; likewise emails. */
	static const char *const phones[] = {
		"(312) 555-0134", "312-555-0134", "312.555.0134", "3125550134",
		"1 312 555 0134", "+1 (312) 555-0134", "+13125550134",
	};
	static const char *const emails[] = {
		"Ana.Silva@Example.com", "ana.silva@example.com", " ANA.SILVA@EXAMPLE.COM ",
	};
	char first[LIMIT_EMAIL + 1], out[LIMIT_EMAIL + 1];
	size_t i;

	(void)state;
	assert_int_equal(normalize_phone(phones[0], first, sizeof first), 0);
	for (i = 1; i < sizeof phones / sizeof phones[0]; i++) {
		assert_int_equal(normalize_phone(phones[i], out, sizeof out), 0);
		assert_string_equal(out, first);
	}
	assert_int_equal(normalize_email(emails[0], first, sizeof first), 0);
	for (i = 1; i < sizeof emails / sizeof emails[0]; i++) {
		assert_int_equal(normalize_email(emails[i], out, sizeof out), 0);
		assert_string_equal(out, first);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email_table),
		cmocka_unit_test(test_phone_table),
		cmocka_unit_test(test_zip_table),
		cmocka_unit_test(test_email_lengths),
		cmocka_unit_test(test_phone_buffers),
		cmocka_unit_test(test_same_person_same_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
