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
	char listen_host[256];  /* ONRAMP_LISTEN, --listen: "127.0.0.1:8080" */
	int  listen_port;
	char base_url[512];     /* ONRAMP_BASE_URL, --base-url: "http://127.0.0.1:8080" */
	char theme_dir[1024];   /* ONRAMP_THEME, --theme: "" (built-in only) */
	char key_file[1024];    /* ONRAMP_KEY_FILE, --key-file: "onramp.key" */
	char org_name[200];     /* ONRAMP_ORG_NAME, --org-name: "Onramp" */
	int  signup_rate;       /* ONRAMP_SIGNUP_RATE, --signup-rate: signups per IP per minute, 0 = no limit (default LIMIT_SIGNUPS_PER_IP_PER_MINUTE) */
	int  is_https;          /* base_url starts with https:// */
	int  log_level;         /* ONRAMP_LOG_LEVEL: debug|info|warn|error */
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

#endif
