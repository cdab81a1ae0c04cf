/*
 * main.c — the onramp command: picks the subcommand and runs it.
 *
 * Every subcommand lives in src/cli/ and takes --help. Exit status: 0 done,
 * 1 failed, 2 usage error (one line on stderr saying why).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "serve", cli_serve, "serve the web application" },
	{ "migrate", cli_migrate, "create or upgrade the database schema" },
	{ "user", cli_user, "manage staff accounts (user add, user reset-2fa)" },
	{ "demo", cli_demo, "load a realistic demo dataset" },
	{ "backup", cli_backup, "copy the live database to a file" },
	{ "copy-data", cli_copy, "copy an SQLite database into a new PostgreSQL one" },
	{ "audit", cli_audit, "check the audit log's hash chain (audit verify)" },
	{ "form", cli_form, "manage intake forms (form add|list|rotate-key)" },
	{ "import", cli_import, "load divisions, boundaries, offices, elections, races, ZIPs" },
	{ "version", cli_version, "print the version" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "Usage: onramp COMMAND [options]   (onramp COMMAND --help for more)\n\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	size_t i;

	if (sodium_init() < 0) {
		fprintf(stderr, "onramp: libsodium could not start\n");
		return 1;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cli_version(1, argv + 1);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "onramp: unknown command \"%.100s\" (try onramp --help)\n", argv[1]);
	return 2;
}
