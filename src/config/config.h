/*
 * config.h — the server's configuration, from the environment and flags.
 *
 * Every setting has a default, an ONRAMP_* environment variable and a
 * --flag; flags win over the environment. A bad value is refused with a
 * one-line reason before anything starts.
 */
#ifndef ONRAMP_CONFIG_H
#define ONRAMP_CONFIG_H

#include <stddef.h>

struct config {
	char db_url[1024];      /* ONRAMP_DB, --db: "sqlite:onramp.db" */
	int  db_pool;           /* ONRAMP_DB_POOL, --db-pool: read connections, 1..LIMIT_DB_POOL_MAX (default LIMIT_DB_READ_CONNECTIONS) */
	char metrics_token[256]; /* ONRAMP_METRICS_TOKEN, --metrics-token: bearer token for /metrics from other hosts ("" = loopback only) */
	char listen_host[256];  /* ONRAMP_LISTEN, --listen: "127.0.0.1:8080" */
	int  listen_port;
	char base_url[512];     /* ONRAMP_BASE_URL, --base-url: "http://127.0.0.1:8080" */
	char theme_dir[1024];   /* ONRAMP_THEME, --theme: "" (built-in only) */
	char key_file[1024];    /* ONRAMP_KEY_FILE, --key-file: "onramp.key" */
	char org_name[200];     /* ONRAMP_ORG_NAME, --org-name: "Onramp" */
	int  http_per_ip;       /* ONRAMP_HTTP_PER_IP, --http-per-ip: open connections per client address, 1..LIMIT_HTTP_CONNECTIONS (default LIMIT_HTTP_CONNECTIONS_PER_IP) */
	int  signup_rate;       /* ONRAMP_SIGNUP_RATE, --signup-rate: signups per IP per minute, 0 = no limit (default LIMIT_SIGNUPS_PER_IP_PER_MINUTE) */
	int  is_https;          /* base_url starts with https:// */
	int  log_level;         /* ONRAMP_LOG_LEVEL: debug|info|warn|error */
	int  admin_2fa_optional; /* ONRAMP_ADMIN_2FA, --admin-2fa: "required" (default, 0) or "optional" (1, test harnesses) */
	char smtp_url[512];     /* ONRAMP_SMTP_URL, --smtp-url: smtp://HOST[:PORT] or smtps://…; "" = mail stays in the outbox */
	char smtp_user[256];    /* ONRAMP_SMTP_USER, --smtp-user: "" for no AUTH */
	char smtp_password[256]; /* ONRAMP_SMTP_PASSWORD, or read from ONRAMP_SMTP_PASSWORD_FILE */
	int  smtp_tls;          /* ONRAMP_SMTP_TLS, --smtp-tls: enum smtp_tls (lib/smtp.h): required (default), try, none */
	char mail_from[320];    /* ONRAMP_MAIL_FROM, --mail-from: "Name <addr>" or "addr"; required with smtp_url */
	int  mail_retry_seconds; /* ONRAMP_MAIL_RETRY, --mail-retry: first retry delay, doubled each attempt (default 60) */
};

/* Fills defaults, then the environment. Returns 0 or -1 with a reason. */
int config_load_env(struct config *cfg, char *err, size_t errlen);
/* Applies one --name=value (or --name value) flag. Returns 1 if the flag is
 * a config flag and was applied, 0 if it is not a config flag, -1 with a
 * reason if its value is bad. */
int config_apply_flag(struct config *cfg, const char *name, const char *value,
                      char *err, size_t errlen);
/* Checks cross-field rules after flags. Returns 0 or -1 with a reason. */
int config_finish(struct config *cfg, char *err, size_t errlen);

/* Prints the settings' help (for --help). */
void config_print_help(void);

/* Copies a database URL into out (outlen bytes) with every password in it
 * replaced by "***", for printing and logging: the password of the user
 * information (postgres://user:PASSWORD@host/db, found as libpq finds it:
 * the first '@' before any '/') and the value of each query parameter whose
 * name ends in "password" (…?password=PASSWORD, sslpassword=…). A URL with
 * neither (sqlite:PATH) is copied as is. A URL that does not fit in out is
 * shown as "(a database URL too long to show)", never cut mid-password.
 * Returns out. Use it wherever cfg.db_url would be printed. */
const char *config_db_url_redacted(const char *url, char *out, size_t outlen);

#endif
