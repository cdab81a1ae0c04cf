/*
 * cli_args.c — argument parsing and start-up shared by the subcommands:
 * config flags, per-command options, positionals, --help, and opening the
 * database and keys with one-line reasons on failure.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "domain/keys.h"
#include "store/db.h"

static void cli_print_usage(const char *usage, const struct cli_opt *opts, size_t n_opts)
{
	size_t i;

	printf("%s\n", usage);
	if (n_opts) {
		printf("\nOptions:\n");
		for (i = 0; i < n_opts; i++)
			printf("  --%-14s %s\n", opts[i].name, opts[i].help);
	}
	config_print_help();
}

int cli_parse(int argc, char **argv, const char *usage, struct config *cfg,
              const struct cli_opt *opts, size_t n_opts,
              const char **pos, size_t max_pos, size_t *n_pos)
{
	char err[512], name[64];
	const char *arg, *value, *eq;
	size_t i, nlen;
	int a, rc, found;

	*n_pos = 0;
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			cli_print_usage(usage, opts, n_opts);
			return 1;
		}
	}
	if (config_load_env(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: %s\n", err);
		return 2;
	}
	for (a = 1; a < argc; a++) {
		arg = argv[a];
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			if (*n_pos >= max_pos) {
				fprintf(stderr, "onramp: unexpected argument \"%.100s\" (see --help)\n", arg);
				return 2;
			}
			pos[(*n_pos)++] = arg;
			continue;
		}
		eq = strchr(arg + 2, '=');
		nlen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		if (nlen >= sizeof(name)) {
			fprintf(stderr, "onramp: unknown option %.100s (see --help)\n", arg);
			return 2;
		}
		memcpy(name, arg + 2, nlen);
		name[nlen] = '\0';
		value = eq ? eq + 1 : (a + 1 < argc ? argv[a + 1] : NULL);
		found = 0;
		for (i = 0; i < n_opts; i++) {
			if (strcmp(opts[i].name, name) == 0) {
				if (!value) {
					fprintf(stderr, "onramp: --%s needs a value\n", name);
					return 2;
				}
				*opts[i].value = value;
				found = 1;
				break;
			}
		}
		if (!found) {
			rc = config_apply_flag(cfg, name, value, err, sizeof(err));
			if (rc < 0) {
				fprintf(stderr, "onramp: %s\n", err);
				return 2;
			}
			if (rc == 0) {
				fprintf(stderr, "onramp: unknown option --%s (see --help)\n", name);
				return 2;
			}
		}
		if (!eq)
			a++;
	}
	if (config_finish(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: %s\n", err);
		return 2;
	}
	return 0;
}

int cli_open(const struct config *cfg, int migrate, struct db **db, struct keys **keys)
{
	char err[512], shown[sizeof(cfg->db_url) + 64];
	int applied = 0;

	*db = NULL;
	*keys = keys_load(cfg->key_file, 1, err, sizeof(err));
	if (!*keys) {
		fprintf(stderr, "onramp: key file %s: %s\n", cfg->key_file, err);
		return 1;
	}
	if (db_open_pool(cfg->db_url, cfg->db_pool, db, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: database %s: %s\n",
		        config_db_url_redacted(cfg->db_url, shown, sizeof(shown)), err);
		goto fail;
	}
	if (migrate && db_migrate(*db, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: migrating %s: %s\n",
		        config_db_url_redacted(cfg->db_url, shown, sizeof(shown)), err);
		goto fail;
	}
	return 0;
fail:
	if (*db)
		db_close(*db);
	*db = NULL;
	keys_free(*keys);
	*keys = NULL;
	return 1;
}
