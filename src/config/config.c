/*
 * config.c — the server's settings: defaults, then ONRAMP_* environment
 * variables, then --flags (flags win). Every value is checked as it is read
 * and a bad one is refused with a one-line reason naming the setting, so a
 * typo stops the start instead of surprising someone later.
 *
 * One table (settings[]) lists every setting once: its flag, its variable,
 * its help text and its parser, so help, environment and flags can't drift.
 */
#include "config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "domain/mail_message.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "store/db.h"

typedef int (*setting_parse)(struct config *cfg, const char *value, char *err, size_t errlen);

struct setting {
	const char   *flag;   /* without the leading "--" */
	const char   *env;
	const char   *help;
	setting_parse parse;
};

/* Copies value into dst (size n); refuses values that do not fit. */
static int copy_value(char *dst, size_t n, const char *what, const char *value,
                      char *err, size_t errlen)
{
	size_t len = strlen(value);

	if (len >= n) {
		snprintf(err, errlen, "%s is too long (at most %zu characters)", what, n - 1);
		return -1;
	}
	memcpy(dst, value, len + 1);
	return 0;
}

static int parse_db(struct config *cfg, const char *v, char *err, size_t errlen)
{
	char reason[256];

	if (db_url_check(v, reason, sizeof(reason)) < 0) {
		snprintf(err, errlen, "ONRAMP_DB: %s", reason);
		return -1;
	}
	return copy_value(cfg->db_url, sizeof(cfg->db_url), "ONRAMP_DB", v, err, errlen);
}

/* HOST:PORT with a numeric IPv4 address, [IPv6]:PORT, or localhost:PORT. */
static int parse_listen(struct config *cfg, const char *v, char *err, size_t errlen)
{
	char host[256];
	const char *colon, *port_s;
	unsigned char addr[16];
	size_t hlen;
	char *end;
	long port;

	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (!close || close[1] != ':')
			goto bad;
		hlen = (size_t)(close - v - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			goto bad;
		memcpy(host, v + 1, hlen);
		host[hlen] = '\0';
		port_s = close + 2;
		if (inet_pton(AF_INET6, host, addr) != 1)
			goto bad;
	} else {
		colon = strrchr(v, ':');
		if (!colon)
			goto bad;
		hlen = (size_t)(colon - v);
		if (hlen == 0 || hlen >= sizeof(host))
			goto bad;
		memcpy(host, v, hlen);
		host[hlen] = '\0';
		port_s = colon + 1;
		if (strcmp(host, "localhost") == 0)
			snprintf(host, sizeof(host), "127.0.0.1");
		else if (inet_pton(AF_INET, host, addr) != 1)
			goto bad;
	}
	if (*port_s == '\0')
		goto bad;
	errno = 0;
	port = strtol(port_s, &end, 10);
	if (errno || *end || port < 0 || port > 65535)
		goto bad;
	memcpy(cfg->listen_host, host, strlen(host) + 1);
	cfg->listen_port = (int)port;
	return 0;
bad:
	snprintf(err, errlen, "ONRAMP_LISTEN must be HOST:PORT with a numeric address, "
	         "like 127.0.0.1:8080 or [::1]:8080 (got \"%.100s\")", v);
	return -1;
}

static int parse_base_url(struct config *cfg, const char *v, char *err, size_t errlen)
{
	size_t i;

	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
		snprintf(err, errlen, "ONRAMP_BASE_URL must start with http:// or https://");
		return -1;
	}
	for (i = 0; v[i]; i++) {
		if ((unsigned char)v[i] <= ' ' || v[i] == '"' || v[i] == '<' || v[i] == '>' ||
		    (unsigned char)v[i] >= 0x7f) {
			snprintf(err, errlen, "ONRAMP_BASE_URL contains a character a URL can't have");
			return -1;
		}
	}
	if (copy_value(cfg->base_url, sizeof(cfg->base_url), "ONRAMP_BASE_URL", v, err, errlen) < 0)
		return -1;
	/* drop a trailing slash so paths can be appended */
	i = strlen(cfg->base_url);
	if (i > 8 && cfg->base_url[i - 1] == '/')
		cfg->base_url[i - 1] = '\0';
	return 0;
}

static int parse_theme(struct config *cfg, const char *v, char *err, size_t errlen)
{
	struct stat st;

	if (v[0] && (stat(v, &st) != 0 || !S_ISDIR(st.st_mode))) {
		snprintf(err, errlen, "ONRAMP_THEME: %.200s is not a folder", v);
		return -1;
	}
	return copy_value(cfg->theme_dir, sizeof(cfg->theme_dir), "ONRAMP_THEME", v, err, errlen);
}

static int parse_key_file(struct config *cfg, const char *v, char *err, size_t errlen)
{
	if (!v[0]) {
		snprintf(err, errlen, "ONRAMP_KEY_FILE must not be empty");
		return -1;
	}
	return copy_value(cfg->key_file, sizeof(cfg->key_file), "ONRAMP_KEY_FILE", v, err, errlen);
}

static int parse_org_name(struct config *cfg, const char *v, char *err, size_t errlen)
{
	if (!v[0]) {
		snprintf(err, errlen, "ONRAMP_ORG_NAME must not be empty");
		return -1;
	}
	return copy_value(cfg->org_name, sizeof(cfg->org_name), "ONRAMP_ORG_NAME", v, err, errlen);
}

/* 1 and *n if v is a whole number from lo to hi, else 0. */
static int whole_number(const char *v, long lo, long hi, long *n)
{
	char *end;

	errno = 0;
	*n = strtol(v, &end, 10);
	return !errno && *v && !*end && *n >= lo && *n <= hi;
}

static int parse_db_pool(struct config *cfg, const char *v, char *err, size_t errlen)
{
	long n;

	if (!whole_number(v, 1, LIMIT_DB_POOL_MAX, &n)) {
		snprintf(err, errlen, "ONRAMP_DB_POOL must be a whole number from 1 to %d",
		         LIMIT_DB_POOL_MAX);
		return -1;
	}
	cfg->db_pool = (int)n;
	return 0;
}

static int parse_metrics_token(struct config *cfg, const char *v, char *err, size_t errlen)
{
	size_t i, n = strlen(v);

	if (n != 0 && n < 32) {
		snprintf(err, errlen, "ONRAMP_METRICS_TOKEN must be at least 32 characters (or empty)");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (v[i] <= ' ' || v[i] > '~') {
			snprintf(err, errlen, "ONRAMP_METRICS_TOKEN must be printable ASCII without spaces");
			return -1;
		}
	}
	return copy_value(cfg->metrics_token, sizeof(cfg->metrics_token), "ONRAMP_METRICS_TOKEN", v,
	                  err, errlen);
}

static int parse_signup_rate(struct config *cfg, const char *v, char *err, size_t errlen)
{
	long n;

	if (!whole_number(v, 0, 1000000, &n)) {
		snprintf(err, errlen, "ONRAMP_SIGNUP_RATE must be a whole number from 0 (no limit) to 1000000");
		return -1;
	}
	cfg->signup_rate = (int)n;
	return 0;
}

static int parse_log_level(struct config *cfg, const char *v, char *err, size_t errlen)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	int i;

	for (i = 0; i < 4; i++) {
		if (strcmp(v, names[i]) == 0) {
			cfg->log_level = i;
			return 0;
		}
	}
	snprintf(err, errlen, "ONRAMP_LOG_LEVEL must be debug, info, warn or error");
	return -1;
}

static int parse_admin_2fa(struct config *cfg, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "required") == 0 || strcmp(v, "optional") == 0) {
		cfg->admin_2fa_optional = strcmp(v, "optional") == 0;
		return 0;
	}
	snprintf(err, errlen, "ONRAMP_ADMIN_2FA must be required or optional");
	return -1;
}

/* smtp:// or smtps://, printable ASCII without spaces (user and password
 * have their own settings, so none belong in the URL). */
static int parse_smtp_url(struct config *cfg, const char *v, char *err, size_t errlen)
{
	size_t i;

	if (v[0] && strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0) {
		snprintf(err, errlen, "ONRAMP_SMTP_URL must start with smtp:// or smtps:// (or be empty)");
		return -1;
	}
	for (i = 0; v[i]; i++) {
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f || v[i] == '@') {
			snprintf(err, errlen, "ONRAMP_SMTP_URL must be smtp://HOST[:PORT] without spaces or"
			         " credentials (use ONRAMP_SMTP_USER and ONRAMP_SMTP_PASSWORD)");
			return -1;
		}
	}
	return copy_value(cfg->smtp_url, sizeof(cfg->smtp_url), "ONRAMP_SMTP_URL", v, err, errlen);
}

/* A value that ends up in an SMTP command: no control characters. */
static int mail_value_ok(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < ' ' || *v == 0x7f)
			return 0;
	return 1;
}

static int parse_smtp_user(struct config *cfg, const char *v, char *err, size_t errlen)
{
	if (!mail_value_ok(v)) {
		snprintf(err, errlen, "ONRAMP_SMTP_USER must not contain control characters");
		return -1;
	}
	return copy_value(cfg->smtp_user, sizeof(cfg->smtp_user), "ONRAMP_SMTP_USER", v, err, errlen);
}

static int parse_smtp_password(struct config *cfg, const char *v, char *err, size_t errlen)
{
	if (!mail_value_ok(v)) {
		snprintf(err, errlen, "ONRAMP_SMTP_PASSWORD must not contain control characters");
		return -1;
	}
	return copy_value(cfg->smtp_password, sizeof(cfg->smtp_password), "ONRAMP_SMTP_PASSWORD", v,
	                  err, errlen);
}

/* The password's first line from a file (a secret kept out of the
 * environment, e.g. a container secret). */
static int parse_smtp_password_file(struct config *cfg, const char *v, char *err, size_t errlen)
{
	char line[sizeof(cfg->smtp_password) + 2];
	size_t n;
	FILE *f;
	int rc;

	if (!v[0])
		return 0;
	f = fopen(v, "r");
	if (f == NULL) {
		snprintf(err, errlen, "ONRAMP_SMTP_PASSWORD_FILE: cannot read %.200s", v);
		return -1;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	rc = parse_smtp_password(cfg, line, err, errlen);
	explicit_bzero(line, sizeof(line));
	return rc;
}

static int parse_smtp_tls(struct config *cfg, const char *v, char *err, size_t errlen)
{
	static const char *names[] = { "required", "try", "none" };  /* enum smtp_tls order */
	int i;

	for (i = 0; i < 3; i++) {
		if (strcmp(v, names[i]) == 0) {
			cfg->smtp_tls = i;
			return 0;
		}
	}
	snprintf(err, errlen, "ONRAMP_SMTP_TLS must be required, try or none");
	return -1;
}

static int parse_mail_from(struct config *cfg, const char *v, char *err, size_t errlen)
{
	char name[200], addr[260];

	if (v[0] && mail_from_parse(v, name, sizeof(name), addr, sizeof(addr)) < 0) {
		snprintf(err, errlen, "ONRAMP_MAIL_FROM must be an address, or \"Name <address>\"");
		return -1;
	}
	return copy_value(cfg->mail_from, sizeof(cfg->mail_from), "ONRAMP_MAIL_FROM", v, err, errlen);
}

static int parse_http_per_ip(struct config *cfg, const char *v, char *err, size_t errlen)
{
	long n;

	if (!whole_number(v, 1, LIMIT_HTTP_CONNECTIONS, &n)) {
		snprintf(err, errlen, "ONRAMP_HTTP_PER_IP must be a whole number from 1 to %d",
		         LIMIT_HTTP_CONNECTIONS);
		return -1;
	}
	cfg->http_per_ip = (int)n;
	return 0;
}

static int parse_mail_retry(struct config *cfg, const char *v, char *err, size_t errlen)
{
	long n;

	if (!whole_number(v, 1, 86400, &n)) {
		snprintf(err, errlen, "ONRAMP_MAIL_RETRY must be a whole number of seconds from 1 to 86400");
		return -1;
	}
	cfg->mail_retry_seconds = (int)n;
	return 0;
}

static const struct setting settings[] = {
	{ "db", "ONRAMP_DB", "database: sqlite:PATH (default sqlite:onramp.db) or postgres://USER@HOST[:PORT]/NAME", parse_db },
	{ "db-pool", "ONRAMP_DB_POOL", "read connections to the database at most (default 8)", parse_db_pool },
	{ "metrics-token", "ONRAMP_METRICS_TOKEN", "bearer token that lets other hosts read /metrics (default none: loopback only)", parse_metrics_token },
	{ "listen", "ONRAMP_LISTEN", "address to serve on, HOST:PORT (default 127.0.0.1:8080; port 0 picks one)", parse_listen },
	{ "base-url", "ONRAMP_BASE_URL", "public URL of this installation (default http://LISTEN); https:// turns on Secure cookies and HSTS", parse_base_url },
	{ "theme", "ONRAMP_THEME", "folder of templates/, static/ and strings.json overriding the built-in ones", parse_theme },
	{ "key-file", "ONRAMP_KEY_FILE", "secret key file, created with mode 0600 if missing (default onramp.key)", parse_key_file },
	{ "org-name", "ONRAMP_ORG_NAME", "organization name shown on pages (default Onramp)", parse_org_name },
	{ "http-per-ip", "ONRAMP_HTTP_PER_IP", "connections one client address may have open at once (default 64); behind a reverse proxy every client has the proxy's address: set 1024, the total cap", parse_http_per_ip },
	{ "signup-rate", "ONRAMP_SIGNUP_RATE", "signups allowed per client IP per minute, 0 for no limit (default 30)", parse_signup_rate },
	{ "log-level", "ONRAMP_LOG_LEVEL", "debug, info, warn or error (default info)", parse_log_level },
	{ "smtp-url", "ONRAMP_SMTP_URL", "SMTP server for outgoing mail, smtp://HOST[:PORT] or smtps://HOST[:PORT]; empty (default): mail stays in the outbox", parse_smtp_url },
	{ "smtp-user", "ONRAMP_SMTP_USER", "SMTP AUTH user name (default none)", parse_smtp_user },
	{ "smtp-password", "ONRAMP_SMTP_PASSWORD", "SMTP AUTH password", parse_smtp_password },
	{ "smtp-password-file", "ONRAMP_SMTP_PASSWORD_FILE", "file whose first line is the SMTP password", parse_smtp_password_file },
	{ "smtp-tls", "ONRAMP_SMTP_TLS", "smtp:// STARTTLS: required (default), try, or none (a relay on loopback)", parse_smtp_tls },
	{ "mail-from", "ONRAMP_MAIL_FROM", "sender of outgoing mail, \"Name <address>\" (required with ONRAMP_SMTP_URL)", parse_mail_from },
	{ "mail-retry", "ONRAMP_MAIL_RETRY", "seconds before the first retry of a failed send, doubled each time (default 60)", parse_mail_retry },
	{ "admin-2fa", "ONRAMP_ADMIN_2FA", "required (default): admins must turn on two-factor sign-in before any staff page; optional: only for test set-ups", parse_admin_2fa },
};
#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

int config_load_env(struct config *cfg, char *err, size_t errlen)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->db_url, sizeof(cfg->db_url), "sqlite:onramp.db");
	snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
	cfg->listen_port = 8080;
	snprintf(cfg->key_file, sizeof(cfg->key_file), "onramp.key");
	snprintf(cfg->org_name, sizeof(cfg->org_name), "Onramp");
	cfg->signup_rate = LIMIT_SIGNUPS_PER_IP_PER_MINUTE;
	cfg->db_pool = LIMIT_DB_READ_CONNECTIONS;
	cfg->http_per_ip = LIMIT_HTTP_CONNECTIONS_PER_IP;
	cfg->log_level = LOG_INFO;
	cfg->mail_retry_seconds = LIMIT_MAIL_RETRY_SECONDS;
	for (i = 0; i < N_SETTINGS; i++) {
		const char *v = getenv(settings[i].env);
		if (v && settings[i].parse(cfg, v, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int config_apply_flag(struct config *cfg, const char *name, const char *value,
                      char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < N_SETTINGS; i++) {
		if (strcmp(name, settings[i].flag) != 0)
			continue;
		if (!value) {
			snprintf(err, errlen, "--%s needs a value", name);
			return -1;
		}
		if (settings[i].parse(cfg, value, err, errlen) < 0) {
			/* name the flag rather than the variable */
			char reason[512];
			snprintf(reason, sizeof(reason), "--%s: %s", name, err);
			snprintf(err, errlen, "%s", reason);
			return -1;
		}
		return 1;
	}
	return 0;
}

int config_finish(struct config *cfg, char *err, size_t errlen)
{
	int n;

	if (!cfg->base_url[0]) {
		if (strchr(cfg->listen_host, ':'))
			n = snprintf(cfg->base_url, sizeof(cfg->base_url), "http://[%s]:%d",
			             cfg->listen_host, cfg->listen_port);
		else
			n = snprintf(cfg->base_url, sizeof(cfg->base_url), "http://%s:%d",
			             cfg->listen_host, cfg->listen_port);
		if (n < 0 || (size_t)n >= sizeof(cfg->base_url)) {
			snprintf(err, errlen, "ONRAMP_BASE_URL: could not be derived from ONRAMP_LISTEN");
			return -1;
		}
	}
	cfg->is_https = strncmp(cfg->base_url, "https://", 8) == 0;
	if (cfg->smtp_url[0] && !cfg->mail_from[0]) {
		snprintf(err, errlen, "ONRAMP_MAIL_FROM is required when ONRAMP_SMTP_URL is set");
		return -1;
	}
	log_set_level((enum log_level)cfg->log_level);
	return 0;
}

void config_print_help(void)
{
	size_t i;

	printf("\nSettings (a flag wins over its environment variable):\n");
	for (i = 0; i < N_SETTINGS; i++)
		printf("  --%-12s %-20s %s\n", settings[i].flag, settings[i].env, settings[i].help);
}

/* ---- printing a database URL without its password ---- */

struct redact_out {
	char  *p;
	size_t size;
	size_t len;
	int    over;   /* something did not fit: the result is not shown */
};

static void redact_put(struct redact_out *o, const char *s, size_t n)
{
	if (o->over || n >= o->size - o->len) {
		o->over = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* 1 if the n bytes at name end in "password" (any case). */
static int redact_is_password_key(const char *name, size_t n)
{
	static const char key[] = "password";
	size_t k = sizeof(key) - 1;

	return n >= k && strncasecmp(name + n - k, key, k) == 0;
}

/* Copies a query string (after its '?') with password values masked. */
static void redact_query(struct redact_out *o, const char *q)
{
	while (*q) {
		size_t n = strcspn(q, "&#");
		const char *eq = memchr(q, '=', n);

		if (eq && redact_is_password_key(q, (size_t)(eq - q))) {
			redact_put(o, q, (size_t)(eq - q) + 1);
			redact_put(o, "***", 3);
		} else {
			redact_put(o, q, n);
		}
		q += n;
		if (*q == '#') {
			redact_put(o, q, strlen(q));
			return;
		}
		if (*q == '&')
			redact_put(o, q++, 1);
	}
}

const char *config_db_url_redacted(const char *url, char *out, size_t outlen)
{
	static const char too_long[] = "(a database URL too long to show)";
	struct redact_out o = { out, outlen, 0, 0 };
	const char *auth, *p, *colon, *q;

	if (!out || outlen == 0)
		return out;
	out[0] = '\0';
	if (!url)
		return out;
	auth = strstr(url, "://");
	if (!auth) {
		redact_put(&o, url, strlen(url));
		goto done;
	}
	auth += 3;
	p = auth + strcspn(auth, "@/");
	if (*p == '@') {
		colon = memchr(auth, ':', (size_t)(p - auth));
		if (colon) {
			redact_put(&o, url, (size_t)(colon + 1 - url));
			redact_put(&o, "***", 3);
		} else {
			redact_put(&o, url, (size_t)(p - url));
		}
		url = p;  /* from the '@' on */
	}
	q = strchr(url, '?');
	if (!q) {
		redact_put(&o, url, strlen(url));
		goto done;
	}
	redact_put(&o, url, (size_t)(q + 1 - url));
	redact_query(&o, q + 1);
done:
	if (o.over) {
		if (outlen > strlen(too_long))
			memcpy(out, too_long, sizeof(too_long));
		else
			out[0] = '\0';
	}
	return out;
}
