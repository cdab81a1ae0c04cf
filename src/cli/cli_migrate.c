/*
 * cli_migrate.c — `onramp migrate`: apply pending schema migrations.
 */
#include "cli/cli.h"

#include <stdio.h>

#include "store/db.h"

static const char usage[] =
	"Usage: onramp migrate [options]\n"
	"\n"
	"Creates the database if needed and applies every pending migration, each in\n"
	"its own transaction. Safe to run again: it applies only what is missing.";

int cli_migrate(int argc, char **argv)
{
	struct config cfg;
	struct db *db;
	const char *pos[1];
	size_t n_pos;
	char err[512], shown[sizeof(cfg.db_url) + 64];
	int rc, applied = 0;

	rc = cli_parse(argc, argv, usage, &cfg, NULL, 0, pos, 0, &n_pos);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (db_open(cfg.db_url, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: database %s: %s\n",
		        config_db_url_redacted(cfg.db_url, shown, sizeof(shown)), err);
		return 1;
	}
	rc = db_migrate(db, &applied, err, sizeof(err));
	db_close(db);
	if (rc < 0) {
		fprintf(stderr, "onramp: migrating %s: %s\n",
		        config_db_url_redacted(cfg.db_url, shown, sizeof(shown)), err);
		return 1;
	}
	printf("onramp: %d migration%s applied; the schema is current\n", applied, applied == 1 ? "" : "s");
	return 0;
}
