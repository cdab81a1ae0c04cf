/*
 * cli.h — the onramp command's subcommands and what they share.
 *
 * main.c picks a subcommand by name and calls it with the arguments after
 * the name. Each returns the process exit status: 0 on success, 1 when the
 * work failed, 2 for a usage error (with a one-line reason on stderr).
 */
#ifndef ONRAMP_CLI_H
#define ONRAMP_CLI_H

#include <stddef.h>

#include "config/config.h"

struct db;
struct keys;

int cli_serve(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_backup(int argc, char **argv);
int cli_version(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_form(int argc, char **argv);     /* intake forms: add, list, rotate-key (cli_form.c) */
int cli_audit(int argc, char **argv);
int cli_copy(int argc, char **argv);     /* copy-data: SQLite into PostgreSQL (cli_copy.c) */

/* A subcommand's own option: --name VALUE or --name=VALUE. */
struct cli_opt {
	const char  *name;   /* without "--" */
	const char **value;  /* set to the value (argv memory) */
	const char  *help;
};

/* Parses argv: config flags (config.h), the subcommand's opts, and up to
 * max_pos positional arguments into pos[]. Loads the environment first.
 * Prints usage (and the settings) for --help / -h. Returns 0 to go on,
 * 1 when help was printed (exit 0), 2 on a usage error (reason printed). */
int cli_parse(int argc, char **argv, const char *usage, struct config *cfg,
              const struct cli_opt *opts, size_t n_opts,
              const char **pos, size_t max_pos, size_t *n_pos);

/* Opens the configured database and loads (creating if missing) the key
 * file; migrates first when migrate is set. Returns 0, or 1 with a reason
 * printed. On success the caller closes both (db_close, keys_free). */
int cli_open(const struct config *cfg, int migrate, struct db **db, struct keys **keys);

#endif
