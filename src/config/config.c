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
#include <sys/stat.h>

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

static int parse_signup_rate(struct config *cfg, const char *v, char *err, size_t errlen)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || !*v || *end || n < 0 || n > 1000000) {
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

static const struct setting settings[] = {
	{ "db", "ONRAMP_DB", "database: sqlite:PATH (default sqlite:onramp.db)", parse_db },
	{ "listen", "ONRAMP_LISTEN", "address to serve on, HOST:PORT (default 127.0.0.1:8080; port 0 picks one)", parse_listen },
	{ "base-url", "ONRAMP_BASE_URL", "public URL of this installation (default http://LISTEN); https:// turns on Secure cookies and HSTS", parse_base_url },
	{ "theme", "ONRAMP_THEME", "folder of templates/, static/ and strings.json overriding the built-in ones", parse_theme },
	{ "key-file", "ONRAMP_KEY_FILE", "secret key file, created with mode 0600 if missing (default onramp.key)", parse_key_file },
	{ "org-name", "ONRAMP_ORG_NAME", "organization name shown on pages (default Onramp)", parse_org_name },
	{ "signup-rate", "ONRAMP_SIGNUP_RATE", "signups allowed per client IP per minute, 0 for no limit (default 30)", parse_signup_rate },
	{ "log-level", "ONRAMP_LOG_LEVEL", "debug, info, warn or error (default info)", parse_log_level },
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
	cfg->log_level = LOG_INFO;
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
