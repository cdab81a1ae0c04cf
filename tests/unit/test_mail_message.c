/*
 * test_mail_message.c — building email messages (domain/mail_message.c),
 * unsubscribe tokens (domain/mail.c) and the retry schedule
 * (domain/mail_worker.c).
 *
 * Data-driven where RFC text says what the bytes must be: quoted-printable
 * (RFC 2045 §6.7), encoded-words (RFC 2047), header injection refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "domain/keys.h"
#include "domain/mail.h"
#include "domain/mail_message.h"
#include "domain/mail_worker.h"
#include "lib/buf.h"
#include "lib/limits.h"

static struct mail_message msg_base(void)
{
	struct mail_message m;

	memset(&m, 0, sizeof(m));
	m.from_name = "Run Test";
	m.from_addr = "noreply@example.org";
	m.to_addr = "alex@example.org";
	m.subject = "Hello";
	m.body = "Line one\nLine two\n";
	m.message_id = "<abc.1@example.org>";
	m.date = 1700000000;  /* Tue, 14 Nov 2023 22:13:20 +0000 */
	return m;
}

static char *build(const struct mail_message *m, int *rc)
{
	buf b;
	char *s;

	buf_init(&b, LIMIT_MAIL_MESSAGE_MAX);
	*rc = mail_message_build(m, &b);
	s = buf_take(&b);
	return s;
}

static void test_headers_and_crlf(void **state)
{
	struct mail_message m = msg_base();
	char *s;
	const char *p;
	int rc;

	(void)state;
	m.unsubscribe_url = "https://example.org/unsubscribe?t=abc.def";
	s = build(&m, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(s, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(s, "\r\nFrom: \"Run Test\" <noreply@example.org>\r\n"));
	assert_non_null(strstr(s, "\r\nTo: alex@example.org\r\n"));
	assert_non_null(strstr(s, "\r\nSubject: Hello\r\n"));
	assert_non_null(strstr(s, "\r\nMessage-ID: <abc.1@example.org>\r\n"));
	assert_non_null(strstr(s, "\r\nList-Unsubscribe: <https://example.org/unsubscribe?t=abc.def>\r\n"));
	assert_non_null(strstr(s, "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
	assert_non_null(strstr(s, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                          "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	                          "Line one\r\nLine two\r\n"));
	for (p = s; *p; p++)
		if (*p == '\n')
			assert_true(p > s && p[-1] == '\r');
	free(s);

	/* no unsubscribe URL: no List-Unsubscribe headers */
	m.unsubscribe_url = NULL;
	s = build(&m, &rc);
	assert_int_equal(rc, 0);
	assert_null(strstr(s, "List-Unsubscribe"));
	free(s);
}

/* Every header value taken from data is refused when it holds CR or LF. */
static void test_injection_refused(void **state)
{
	static const char *const bad[] = {
		"Hi\r\nBcc: victim@example.org", "Hi\nBcc: x@example.org", "Hi\rX", NULL,
	};
	struct mail_message m;
	char *s;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; bad[i]; i++) {
		m = msg_base();
		m.subject = bad[i];
		s = build(&m, &rc);
		assert_int_equal(rc, -1);
		free(s);
		m = msg_base();
		m.from_name = bad[i];
		s = build(&m, &rc);
		assert_int_equal(rc, -1);
		free(s);
		m = msg_base();
		m.unsubscribe_url = "https://example.org/u?t=a\r\nBcc: x@example.org";
		s = build(&m, &rc);
		assert_int_equal(rc, -1);
		free(s);
	}
	m = msg_base();
	m.to_addr = "alex@example.org\r\nBcc: x@example.org";
	s = build(&m, &rc);
	assert_int_equal(rc, -1);
	free(s);
	m = msg_base();
	m.to_addr = "Alex <alex@example.org>";
	s = build(&m, &rc);
	assert_int_equal(rc, -1);
	free(s);
	m = msg_base();
	m.body = "bad \xff byte";
	s = build(&m, &rc);
	assert_int_equal(rc, -1);
	free(s);
}

static void test_addresses(void **state)
{
	char name[100], addr[100];

	(void)state;
	assert_true(mail_address_ok("a@b.org"));
	assert_true(mail_address_ok("first.last+tag@sub.example.org"));
	assert_false(mail_address_ok("no-at.example.org"));
	assert_false(mail_address_ok("two@@example.org"));
	assert_false(mail_address_ok("@example.org"));
	assert_false(mail_address_ok("a@"));
	assert_false(mail_address_ok("sp ace@example.org"));
	assert_false(mail_address_ok("a<b@example.org"));
	assert_false(mail_address_ok("zoë@example.org"));

	assert_int_equal(mail_from_parse("Run Test <noreply@example.org>", name, sizeof(name), addr,
	                                 sizeof(addr)), 0);
	assert_string_equal(name, "Run Test");
	assert_string_equal(addr, "noreply@example.org");
	assert_int_equal(mail_from_parse("\"Quoted\" <q@example.org>", name, sizeof(name), addr,
	                                 sizeof(addr)), 0);
	assert_string_equal(name, "Quoted");
	assert_int_equal(mail_from_parse("bare@example.org", name, sizeof(name), addr, sizeof(addr)), 0);
	assert_string_equal(name, "");
	assert_string_equal(addr, "bare@example.org");
	assert_int_equal(mail_from_parse("X <a@b.org>\r\nBcc: c@d.org", name, sizeof(name), addr,
	                                 sizeof(addr)), -1);
	assert_int_equal(mail_from_parse("X <nope>", name, sizeof(name), addr, sizeof(addr)), -1);
	assert_int_equal(mail_from_parse("X <a@b.org", name, sizeof(name), addr, sizeof(addr)), -1);
}

struct qp_case {
	const char *in;
	const char *out;
};

static void test_quoted_printable(void **state)
{
	static const struct qp_case cases[] = {
		{ "plain\n", "plain\r\n" },
		{ "a=b\n", "a=3Db\r\n" },
		{ "trailing space \n", "trailing space=20\r\n" },
		{ "tab\t\n", "tab=09\r\n" },
		{ "Zoë\n", "Zo=C3=AB\r\n" },
		{ "crlf\r\nin\r\n", "crlf\r\nin\r\n" },
		{ "no newline", "no newline\r\n" },
		{ "\n\n", "\r\n\r\n" },
		{ ".dot\n", ".dot\r\n" },  /* dot-stuffing is the SMTP client's job */
		{ NULL, NULL },
	};
	char longline[301], *s, *line, *eol;
	size_t i;
	buf b;

	(void)state;
	for (i = 0; cases[i].in; i++) {
		buf_init(&b, 4096);
		assert_int_equal(mail_qp_encode(&b, cases[i].in, strlen(cases[i].in)), 0);
		assert_string_equal(buf_str(&b), cases[i].out);
		buf_free(&b);
	}
	/* a long line is broken softly, every line at most 76 characters */
	memset(longline, 'x', 300);
	longline[300] = '\0';
	longline[75] = '=';
	buf_init(&b, 4096);
	assert_int_equal(mail_qp_encode(&b, longline, 300), 0);
	s = buf_take(&b);
	for (line = s; *line; line = eol + 1) {
		eol = strchr(line, '\n');
		assert_non_null(eol);
		assert_true(eol - line <= 77);  /* 76 + the CR */
	}
	free(s);
}

static void test_encoded_words(void **state)
{
	char subject[400];
	const char *p, *q;
	struct mail_message m = msg_base();
	char *s, *dec;
	int rc;
	size_t n = 0, len;
	buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(mail_header_encode(&b, "Zoë"), 0);
	assert_string_equal(buf_str(&b), "=?UTF-8?B?Wm/Dqw==?=");
	buf_free(&b);

	/* 60 two-byte characters: several words, none over 75, none splitting
	 * a character (each word decodes to valid UTF-8 on its own) */
	for (int i = 0; i < 60; i++)
		memcpy(subject + 2 * i, "é", 2);
	subject[120] = '\0';
	m.subject = subject;
	s = build(&m, &rc);
	assert_int_equal(rc, 0);
	p = strstr(s, "Subject: ") + 9;
	dec = calloc(1, 512);
	while ((p = strstr(p, "=?UTF-8?B?")) != NULL && p < strstr(s, "Message-ID")) {
		unsigned char raw[64];
		size_t got = 0;

		q = strstr(p, "?=");
		assert_non_null(q);
		assert_true((size_t)(q + 2 - p) <= 75);
		assert_int_equal(sodium_base642bin(raw, sizeof(raw), p + 10, (size_t)(q - p - 10), NULL,
		                                   &got, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
		assert_int_equal(got % 2, 0);  /* whole "é"s only */
		memcpy(dec + n, raw, got);
		n += got;
		p = q + 2;
	}
	len = strlen(subject);
	assert_int_equal(n, len);
	assert_memory_equal(dec, subject, len);
	free(dec);
	free(s);
}

static void test_unsubscribe_token(void **state)
{
	struct keys k, other;
	char token[512], email[300];

	(void)state;
	randombytes_buf(&k, sizeof(k));
	randombytes_buf(&other, sizeof(other));
	assert_int_equal(mail_unsubscribe_token(&k, "alex@example.org", token, sizeof(token)), 0);
	assert_int_equal(mail_unsubscribe_check(&k, token, email, sizeof(email)), 0);
	assert_string_equal(email, "alex@example.org");
	/* another installation's key, a changed address, a cut MAC: refused */
	assert_int_equal(mail_unsubscribe_check(&other, token, email, sizeof(email)), -1);
	{
		char forged[600], mac[512];
		const char *dot = strchr(token, '.');

		snprintf(mac, sizeof(mac), "%s", dot);
		/* "bob@example.org" with alex's MAC */
		snprintf(forged, sizeof(forged), "Ym9iQGV4YW1wbGUub3Jn%s", mac);
		assert_int_equal(mail_unsubscribe_check(&k, forged, email, sizeof(email)), -1);
		token[strlen(token) - 3] = '\0';
		assert_int_equal(mail_unsubscribe_check(&k, token, email, sizeof(email)), -1);
	}
	assert_int_equal(mail_unsubscribe_check(&k, "", email, sizeof(email)), -1);
	assert_int_equal(mail_unsubscribe_check(&k, "nodot", email, sizeof(email)), -1);
	assert_int_equal(mail_unsubscribe_check(&k, ".x", email, sizeof(email)), -1);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(mail_worker_backoff(60, 1), 60);
	assert_int_equal(mail_worker_backoff(60, 2), 120);
	assert_int_equal(mail_worker_backoff(60, 4), 480);
	assert_int_equal(mail_worker_backoff(60, 30), LIMIT_MAIL_RETRY_MAX_SECONDS);
	assert_int_equal(mail_worker_backoff(1, 3), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_and_crlf),
		cmocka_unit_test(test_injection_refused),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_quoted_printable),
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_unsubscribe_token),
		cmocka_unit_test(test_backoff),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
