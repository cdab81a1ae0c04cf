/*
 * test_mail.c — email and nominations end to end, against the real server
 * and a REAL SMTP server (tests/tools/smtp_sink.py on Debian's aiosmtpd)
 * that writes every message it accepts to a folder as raw bytes.
 *
 * Covers: a signup's confirmation arrives with proper RFC 5322 headers and
 * CRLF line ends; the nomination flow (invitation arrives, its link opens a
 * prefilled signup, submitting it merges into the "nominated by" record and
 * counts as a signup only then); one-click unsubscribe (RFC 8058) without a
 * CSRF token, after which queued marketing is suppressed while
 * transactional mail still arrives; no marketing without consent; forged
 * unsubscribe tokens refused; retries while the SMTP server is down, then
 * delivery once it is up; the staff outbox and template editor (preview,
 * refusal of broken templates, audited save, volunteers refused).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define MAIL_WAIT_SECONDS 20

struct sink {
	char  dir[H_PATH_MAX];
	int   port;
	pid_t pid;
};

static struct server *srv;
static struct sink sink;
static char env_url[128];

/* A free loopback port (bound, read, released). */
static int free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Starts the SMTP sink on s->port writing into s->dir; waits for "ready". */
static int sink_start(struct sink *s)
{
	char port[16], line[64] = "";
	int fds[2];
	ssize_t n;

	snprintf(port, sizeof(port), "%d", s->port);
	if (pipe(fds) != 0)
		return -1;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fds[1], 1);
		close(fds[0]);
		/* the suite runs from the repository's root (tests/run.sh) */
		execl("/usr/bin/python3", "python3", "tests/tools/smtp_sink.py", "127.0.0.1", port,
		      s->dir, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], line, sizeof(line) - 1);
	close(fds[0]);
	if (n <= 0 || strncmp(line, "ready", 5) != 0) {
		fprintf(stderr, "# smtp sink did not start\n");
		return -1;
	}
	return 0;
}

static void sink_stop(struct sink *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
}

/* Reads a whole file into a new NUL-terminated string. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = calloc(1, (size_t)n + 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

/* The value of header name in message m (first occurrence, unfolded not
 * needed for ours), copied into out. Returns 0 or -1. */
static int header(const char *m, const char *name, char *out, size_t outlen)
{
	const char *end = strstr(m, "\r\n\r\n"), *p = m, *eol;
	size_t n = strlen(name), k;

	while (p && p < end) {
		eol = strstr(p, "\r\n");
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			k = (size_t)(eol - p);
			if (k >= outlen)
				k = outlen - 1;
			memcpy(out, p, k);
			out[k] = '\0';
			return 0;
		}
		p = eol ? eol + 2 : NULL;
	}
	return -1;
}

/* The quoted-printable body of m, decoded into a new string. */
static char *qp_body(const char *m)
{
	const char *p = strstr(m, "\r\n\r\n");
	char *out, *o;

	if (!p)
		return NULL;
	p += 4;
	out = o = calloc(1, strlen(p) + 1);
	while (out && *p) {
		if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
			p += 3;
		} else if (p[0] == '=' && p[1] && p[2]) {
			char hex[3] = { p[1], p[2], 0 };
			*o++ = (char)strtol(hex, NULL, 16);
			p += 3;
		} else if (p[0] == '\r' && p[1] == '\n') {
			*o++ = '\n';
			p += 2;
		} else {
			*o++ = *p++;
		}
	}
	return out;
}

/* Waits for a message to `to` whose Subject contains subj (NULL: any),
 * not among the first skip such messages. Returns the raw message (free()
 * it) or NULL after MAIL_WAIT_SECONDS. */
static char *wait_mail(const struct sink *s, const char *to, const char *subj, int skip)
{
	time_t until = time(NULL) + MAIL_WAIT_SECONDS;
	char path[H_PATH_MAX + 300], value[512], *m;
	struct dirent *e;
	int seen;
	DIR *d;

	while (time(NULL) < until) {
		seen = 0;
		d = opendir(s->dir);
		while (d && (e = readdir(d)) != NULL) {
			size_t n = strlen(e->d_name);

			if (n < 5 || strcmp(e->d_name + n - 4, ".eml") != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", s->dir, e->d_name);
			m = slurp(path);
			if (m && header(m, "To", value, sizeof(value)) == 0 && strcmp(value, to) == 0 &&
			    (subj == NULL ||
			     (header(m, "Subject", value, sizeof(value)) == 0 && strstr(value, subj))) &&
			    seen++ >= skip) {
				closedir(d);
				return m;
			}
			free(m);
		}
		if (d)
			closedir(d);
		usleep(100 * 1000);
	}
	return NULL;
}

/* Counts the messages to `to` in the sink right now. */
static int count_mail(const struct sink *s, const char *to)
{
	char path[H_PATH_MAX + 300], value[512], *m;
	struct dirent *e;
	int n = 0;
	DIR *d = opendir(s->dir);

	while (d && (e = readdir(d)) != NULL) {
		size_t k = strlen(e->d_name);

		if (k < 5 || strcmp(e->d_name + k - 4, ".eml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->dir, e->d_name);
		m = slurp(path);
		if (m && header(m, "To", value, sizeof(value)) == 0 && strcmp(value, to) == 0)
			n++;
		free(m);
	}
	if (d)
		closedir(d);
	return n;
}

/* Waits until sql (one text parameter) gives want. */
static long long wait_db(struct server *s, const char *sql, const char *param, long long want)
{
	time_t until = time(NULL) + MAIL_WAIT_SECONDS;
	long long v = -1;

	while (time(NULL) < until) {
		v = harness_db_int(s, sql, param);
		if (v == want)
			break;
		usleep(100 * 1000);
	}
	return v;
}

static struct server *start_server(int port)
{
	struct harness_opts o;

	memset(&o, 0, sizeof(o));
	snprintf(env_url, sizeof(env_url), "ONRAMP_SMTP_URL=smtp://127.0.0.1:%d", port);
	o.extra_env[0] = env_url;
	o.extra_env[1] = "ONRAMP_SMTP_TLS=none";
	o.extra_env[2] = "ONRAMP_MAIL_FROM=Onramp Tests <noreply@example.org>";
	o.extra_env[3] = "ONRAMP_MAIL_RETRY=1";
	o.extra_env[4] = "ONRAMP_ORG_NAME=Run Test";
	return harness_start(&o);
}

static int setup(void **state)
{
	(void)state;
	snprintf(sink.dir, sizeof(sink.dir), "/tmp/onramp-mail-XXXXXX");
	if (!mkdtemp(sink.dir))
		return -1;
	sink.port = free_port();
	if (sink.port <= 0 || sink_start(&sink) < 0)
		return -1;
	srv = start_server(sink.port);
	return srv ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[H_PATH_MAX + 16];
	int rc;

	(void)state;
	rc = harness_stop(srv);
	sink_stop(&sink);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", sink.dir);
	if (system(cmd) != 0)
		rc = -1;
	return rc;
}

/* Signs up through the public form; returns the POST's status. */
static long signup(struct server *s, const char *first, const char *email, int consent,
                   const char *nomination)
{
	struct client *c = client_new(s);
	struct form f;
	const char *csrf = client_csrf(c);
	long st;

	assert_non_null(csrf);
	form_init(&f);
	form_add(&f, "csrf", csrf);
	form_add(&f, "website", "");
	form_add(&f, "first_name", first);
	form_add(&f, "last_name", "Tester");
	form_add(&f, "email", email);
	form_add(&f, "state", "MI");
	form_add(&f, "zip", "49503");
	if (consent)
		form_add(&f, "consent_email", "1");
	if (nomination)
		form_add(&f, "nomination", nomination);
	st = client_post(c, "/signup", &f);
	if (st != 303)
		fprintf(stderr, "# signup %s: %ld %.300s\n", email, st, client_body(c));
	form_free(&f);
	client_free(c);
	return st;
}

static void test_confirmation_headers(void **state)
{
	char v[1024], *m, *body;
	const char *eoh, *p;
	long long queued = -1;
	int i;

	(void)state;
	assert_int_equal(signup(srv, "Zoë", "conf.one@example.org", 1, NULL), 303);
	/* the name is not ASCII: the subject comes RFC 2047 encoded */
	m = wait_mail(&sink, "conf.one@example.org", "=?UTF-8?B?", 0);
	assert_non_null(m);
	/* the headers RFC 5322 and MIME ask for */
	assert_int_equal(header(m, "Date", v, sizeof(v)), 0);
	assert_non_null(strstr(v, " +0000"));
	assert_int_equal(header(m, "From", v, sizeof(v)), 0);
	assert_string_equal(v, "\"Onramp Tests\" <noreply@example.org>");
	assert_int_equal(header(m, "Message-ID", v, sizeof(v)), 0);
	assert_true(v[0] == '<' && strchr(v, '@') && v[strlen(v) - 1] == '>');
	assert_int_equal(header(m, "MIME-Version", v, sizeof(v)), 0);
	assert_string_equal(v, "1.0");
	assert_int_equal(header(m, "Content-Type", v, sizeof(v)), 0);
	assert_string_equal(v, "text/plain; charset=utf-8");
	assert_int_equal(header(m, "Content-Transfer-Encoding", v, sizeof(v)), 0);
	assert_string_equal(v, "quoted-printable");
	assert_int_equal(header(m, "Subject", v, sizeof(v)), 0);
	assert_string_equal(v, "=?UTF-8?B?V2UgZ290IHlvdXIgYW5zd2VycywgWm/Dqw==?=");
	assert_int_equal(header(m, "List-Unsubscribe-Post", v, sizeof(v)), 0);
	assert_string_equal(v, "List-Unsubscribe=One-Click");
	/* every line ends in CRLF, none is longer than 998 */
	eoh = strstr(m, "\r\n\r\n");
	assert_non_null(eoh);
	for (p = m; *p; p++) {
		if (*p == '\n')
			assert_true(p > m && p[-1] == '\r');
	}
	body = qp_body(m);
	assert_non_null(body);
	assert_non_null(strstr(body, "Hi Zoë,"));
	assert_non_null(strstr(body, "Run Test"));
	free(body);
	free(m);
	/* consent given: the first welcome message came too, with its footer */
	m = wait_mail(&sink, "conf.one@example.org", "Welcome to Run Test", 0);
	assert_non_null(m);
	body = qp_body(m);
	assert_non_null(strstr(body, "/unsubscribe?t="));
	free(body);
	free(m);
	/* days 2 and 5 wait in the outbox (day 0 is marked sent once the
	 * server's SMTP transaction ends, a moment after the sink has it) */
	for (i = 0; i < 50; i++) {
		queued = harness_db_int(srv, "SELECT count(*) FROM mail_outbox WHERE to_addr = ?1"
		                        " AND status = 'queued' AND template_code LIKE 'welcome_day%'",
		                        "conf.one@example.org");
		if (queued <= 2)
			break;
		usleep(100 * 1000);
	}
	assert_int_equal(queued, 2);
}

static void test_no_consent_no_marketing(void **state)
{
	char *m;

	(void)state;
	assert_int_equal(signup(srv, "Nora", "noconsent@example.org", 0, NULL), 303);
	m = wait_mail(&sink, "noconsent@example.org", "We got your answers", 0);
	assert_non_null(m);
	free(m);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM mail_outbox WHERE to_addr = ?1"
	                                " AND kind = 'marketing'", "noconsent@example.org"), 0);
}

static void test_unsubscribe_one_click(void **state)
{
	char url[1024], path[1024], *m;
	const char *p;
	struct client *c;
	int before;

	(void)state;
	assert_int_equal(signup(srv, "Uma", "unsub.me@example.org", 1, NULL), 303);
	m = wait_mail(&sink, "unsub.me@example.org", "Welcome", 0);
	assert_non_null(m);
	assert_int_equal(header(m, "List-Unsubscribe", url, sizeof(url)), 0);
	free(m);
	/* <http://127.0.0.1:PORT/unsubscribe?t=…> → the path */
	p = strstr(url, "/unsubscribe?t=");
	assert_non_null(p);
	snprintf(path, sizeof(path), "%.*s", (int)(strlen(p) - 1), p);

	c = client_new(srv);
	/* GET shows a button and changes nothing */
	assert_int_equal(client_get(c, path), 200);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM mail_unsubscribes WHERE email = ?1",
	                                "unsub.me@example.org"), 0);
	/* a forged token is refused */
	assert_int_equal(client_post_raw(c, "/unsubscribe?t=dW5zdWIubWVAZXhhbXBsZS5vcmc.AAAA",
	                                 "application/x-www-form-urlencoded",
	                                 "List-Unsubscribe=One-Click", 26), 400);
	/* RFC 8058 one-click: a POST from the mail client, no cookie, no csrf */
	assert_int_equal(client_post_raw(c, path, "application/x-www-form-urlencoded",
	                                 "List-Unsubscribe=One-Click", 26), 200);
	client_free(c);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM mail_unsubscribes WHERE email = ?1"
	                                " AND method = 'one_click'", "unsub.me@example.org"), 1);
	assert_int_equal(harness_db_int(srv, "SELECT consent_email FROM people p JOIN person_emails e"
	                                " ON e.person_id = p.id WHERE e.email = ?1",
	                                "unsub.me@example.org"), 0);
	/* the queued welcome messages of days 2 and 5 will never go */
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM mail_outbox WHERE to_addr = ?1"
	                                " AND kind = 'marketing' AND status = 'queued'",
	                                "unsub.me@example.org"), 0);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM mail_outbox WHERE to_addr = ?1"
	                                " AND status = 'suppressed'", "unsub.me@example.org"), 2);

	/* signing up again, consent ticked: the confirmation they asked for
	 * still comes; no marketing is queued */
	before = count_mail(&sink, "unsub.me@example.org");
	assert_int_equal(signup(srv, "Uma", "unsub.me@example.org", 1, NULL), 303);
	m = wait_mail(&sink, "unsub.me@example.org", "We got your answers", 1);
	assert_non_null(m);
	free(m);
	assert_int_equal(count_mail(&sink, "unsub.me@example.org"), before + 1);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM mail_outbox WHERE to_addr = ?1"
	                                " AND kind = 'marketing' AND status IN ('queued', 'sent')",
	                                "unsub.me@example.org"), 1); /* only the first welcome, sent before */
}

static void test_nomination_flow(void **state)
{
	struct client *c;
	struct form f;
	char v[1024], *m, *body, *link, *end;
	const char *csrf;
	long long signups, nominee, people;

	(void)state;
	c = client_new(srv);
	assert_int_equal(client_get(c, "/nominate"), 200);
	csrf = client_csrf(c);
	assert_non_null(csrf);
	form_init(&f);
	form_add(&f, "csrf", csrf);
	form_add(&f, "website", "");
	form_add(&f, "nominator_first_name", "Jordan");
	form_add(&f, "nominator_last_name", "Lee");
	form_add(&f, "nominator_email", "jordan.nominator@example.org");
	form_add(&f, "consent_email", "1");
	form_add(&f, "nominee_first_name", "Alex");
	form_add(&f, "nominee_last_name", "Rivera");
	form_add(&f, "nominee_email", "alex.nominee@example.org");
	form_add(&f, "reason", "Alex organized the library petition & won.");
	signups = harness_db_int(srv, "SELECT count(*) FROM submissions WHERE kind = 'signup'", NULL);
	H_ASSERT_STATUS(c, 200);
	assert_int_equal(client_post(c, "/nominate", &f), 303);
	H_ASSERT_REDIRECT(c, 303, "/nominate/thanks");
	form_free(&f);

	/* the nominee has a record marked "nominated by", not counted as a signup */
	nominee = harness_person_by_email(srv, "alex.nominee@example.org");
	assert_true(nominee > 0);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM submissions WHERE kind = 'signup'",
	                                NULL), signups);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM nominations n JOIN person_emails e"
	                                " ON e.person_id = n.nominator_person_id WHERE e.email = ?1",
	                                "jordan.nominator@example.org"), 1);
	assert_int_equal(harness_db_text(srv, "SELECT p.ref_code FROM people p JOIN person_emails e"
	                                 " ON e.person_id = p.id WHERE e.email = ?1",
	                                 "alex.nominee@example.org", v, sizeof(v)), 0);
	assert_non_null(strstr(v, "person:"));
	/* staff see who nominated them, and that they have not signed up yet */
	{
		struct client *sc = client_new(srv);
		char path[64];

		assert_int_equal(client_login(sc, H_STAFF_EMAIL, H_STAFF_PASS), 303);
		snprintf(path, sizeof(path), "/staff/people/%lld", nominee);
		assert_int_equal(client_get(sc, path), 200);
		assert_non_null(strstr(client_body(sc), "Nominated by"));
		assert_non_null(strstr(client_body(sc), "Jordan Lee"));
		assert_non_null(strstr(client_body(sc), "not signed up yet"));
		client_free(sc);
	}

	/* the invitation arrives with its link */
	m = wait_mail(&sink, "alex.nominee@example.org", "Jordan Lee thinks you should run", 0);
	assert_non_null(m);
	body = qp_body(m);
	assert_non_null(body);
	assert_non_null(strstr(body, "organized the library petition & won"));
	link = strstr(body, "/signup?nomination=");
	assert_non_null(link);
	end = strchr(link, '\n');
	assert_non_null(end);
	*end = '\0';
	snprintf(v, sizeof(v), "%s", link);
	free(body);
	free(m);

	/* the link opens the signup form prefilled from the nomination */
	assert_int_equal(client_get(c, v), 200);
	{
		char value[256];

		assert_int_equal(html_input_value(client_body(c), "first_name", value, sizeof(value)), 0);
		assert_string_equal(value, "Alex");
		assert_int_equal(html_input_value(client_body(c), "email", value, sizeof(value)), 0);
		assert_string_equal(value, "alex.nominee@example.org");
		assert_int_equal(html_input_value(client_body(c), "nomination", value, sizeof(value)), 0);
		assert_string_equal(value, strchr(v, '=') + 1);
	}
	client_free(c);

	/* accepting with another email still lands in the nominee's record */
	people = harness_count_people(srv);
	assert_int_equal(signup(srv, "Alex", "alex.personal@example.org", 1, strchr(v, '=') + 1), 303);
	assert_int_equal(harness_count_people(srv), people);
	assert_int_equal(harness_person_by_email(srv, "alex.personal@example.org"), nominee);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM submissions WHERE kind = 'signup'",
	                                NULL), signups + 1);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM nominations WHERE status = 'accepted'"
	                                " AND accepted_person_id = (SELECT person_id FROM person_emails"
	                                " WHERE email = ?1)", "alex.personal@example.org"), 1);
	/* the link works once: a second use is an ordinary signup */
	assert_int_equal(signup(srv, "Sam", "sam.other@example.org", 0, strchr(v, '=') + 1), 303);
	assert_true(harness_person_by_email(srv, "sam.other@example.org") != nominee);
	/* and now they are welcomed like any new signup */
	m = wait_mail(&sink, "alex.personal@example.org", "We got your answers", 0);
	assert_non_null(m);
	free(m);
}

static void test_nominate_errors_keep_answers(void **state)
{
	struct client *c = client_new(srv);
	char value[256];

	(void)state;
	assert_int_equal(client_post_form(c, "/nominate", "csrf", client_csrf(c), "website", "",
	                                  "nominator_first_name", "Pat", "nominator_email", "not-an-email",
	                                  "nominee_first_name", "Kim", NULL), 422);
	assert_int_equal(html_input_value(client_body(c), "nominator_first_name", value, sizeof(value)), 0);
	assert_string_equal(value, "Pat");
	assert_int_equal(html_input_value(client_body(c), "nominator_email", value, sizeof(value)), 0);
	assert_string_equal(value, "not-an-email");
	assert_non_null(strstr(client_body(c), "Enter their email address or phone number"));
	/* no CSRF token: refused before anything */
	assert_int_equal(client_post_form(c, "/nominate", "nominator_first_name", "Pat", NULL), 403);
	client_free(c);
}

static void test_retry_until_server_up(void **state)
{
	struct sink late;
	struct server *s2;
	char *m;

	(void)state;
	memset(&late, 0, sizeof(late));
	snprintf(late.dir, sizeof(late.dir), "/tmp/onramp-mail-late-XXXXXX");
	assert_non_null(mkdtemp(late.dir));
	late.port = free_port();
	s2 = start_server(late.port);  /* nothing listens there yet */
	assert_non_null(s2);
	assert_int_equal(signup(s2, "Rita", "retry.me@example.org", 0, NULL), 303);
	/* it failed at least once and waits for its next try */
	assert_true(wait_db(s2, "SELECT count(*) FROM mail_outbox WHERE to_addr = ?1 AND"
	                    " status = 'queued' AND attempts >= 1 AND last_error IS NOT NULL",
	                    "retry.me@example.org", 1) == 1);
	assert_int_equal(sink_start(&late), 0);
	m = wait_mail(&late, "retry.me@example.org", "We got your answers", 0);
	assert_non_null(m);
	free(m);
	assert_int_equal(wait_db(s2, "SELECT count(*) FROM mail_outbox WHERE to_addr = ?1 AND"
	                         " status = 'sent' AND attempts >= 2", "retry.me@example.org", 1), 1);
	assert_int_equal(count_mail(&late, "retry.me@example.org"), 1);  /* sent once */
	assert_int_equal(harness_stop(s2), 0);
	sink_stop(&late);
	{
		char cmd[H_PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", late.dir);
		assert_int_equal(system(cmd), 0);
	}
}

static void test_staff_outbox_and_templates(void **state)
{
	struct client *c = client_new(srv);
	char csrf[256], path[64];
	long long id;

	(void)state;
	assert_int_equal(client_login(c, H_STAFF_EMAIL, H_STAFF_PASS), 303);
	assert_int_equal(client_get(c, "/staff/mail"), 200);
	assert_non_null(strstr(client_body(c), "conf.one@example.org"));
	assert_int_equal(client_get(c, "/staff/mail?status=sent"), 200);
	id = harness_db_int(srv, "SELECT min(id) FROM mail_outbox WHERE to_addr = ?1",
	                    "conf.one@example.org");
	snprintf(path, sizeof(path), "/staff/mail/%lld", id);
	assert_int_equal(client_get(c, path), 200);
	assert_non_null(strstr(client_body(c), "Hi Zoë"));

	id = harness_db_int(srv, "SELECT id FROM mail_templates WHERE code = ?1", "welcome_day2");
	snprintf(path, sizeof(path), "/staff/mail/templates/%lld", id);
	assert_int_equal(client_get(c, path), 200);
	assert_int_equal(csrf_from(client_body(c), csrf, sizeof(csrf)), 0);
	/* preview renders with sample values and saves nothing */
	assert_int_equal(client_post_form(c, path, "csrf", csrf, "action", "preview", "subject",
	                                  "Hello {{first_name}} & co", "body", "Body for {{name}}",
	                                  "kind", "marketing", NULL), 200);
	assert_non_null(strstr(client_body(c), "Hello Alex &amp; co"));
	assert_non_null(strstr(client_body(c), "Unsubscribe: "));
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM mail_templates WHERE code = ?1"
	                                " AND subject LIKE 'Hello%'", "welcome_day2"), 0);
	/* a broken template is refused with the typed text kept */
	assert_int_equal(client_post_form(c, path, "csrf", csrf, "action", "save", "subject",
	                                  "Hi {{#first_name}}", "body", "x", "kind", "marketing",
	                                  NULL), 422);
	assert_non_null(strstr(client_body(c), "Hi {{#first_name}}"));
	/* a good one is saved and audited */
	assert_int_equal(client_post_form(c, path, "csrf", csrf, "action", "save", "subject",
	                                  "Two days in, {{first_name}}", "body", "Still here.\n",
	                                  "kind", "marketing", NULL), 303);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM mail_templates WHERE code = ?1"
	                                " AND subject = 'Two days in, {{first_name}}'", "welcome_day2"), 1);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM audit_log WHERE action = ?1",
	                                "mail.template_update"), 1);
	client_free(c);

	/* volunteers may not read the outbox */
	c = client_new(srv);
	assert_int_equal(client_login(c, H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS), 303);
	assert_int_equal(client_get(c, "/staff/mail"), 403);
	assert_int_equal(client_get(c, path), 403);
	client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confirmation_headers),
		cmocka_unit_test(test_no_consent_no_marketing),
		cmocka_unit_test(test_unsubscribe_one_click),
		cmocka_unit_test(test_nomination_flow),
		cmocka_unit_test(test_nominate_errors_keep_answers),
		cmocka_unit_test(test_retry_until_server_up),
		cmocka_unit_test(test_staff_outbox_and_templates),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
