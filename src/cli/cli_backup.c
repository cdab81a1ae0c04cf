/*
 * cli_backup.c — `onramp backup FILE`: a consistent copy of the live
 * database through SQLite's online backup API, safe while the server runs.
 */
#include "cli/cli.h"

#include <stdio.h>

#include "store/db.h"

static const char usage[] =
	"Usage: onramp backup FILE [options]\n"
	"\n"
	"Writes a consistent copy of the database to FILE (which must not exist),\n"
	"safe while `onramp serve` is running. The copy has mode 0600.";

int cli_backup(int argc, char **argv)
{
	struct config cfg;
	struct db *db;
	const char *pos[1];
	size_t n_pos;
	char err[512], shown[sizeof(cfg.db_url) + 64];
	int rc;

	rc = cli_parse(argc, argv, usage, &cfg, NULL, 0, pos, 1, &n_pos);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (n_pos != 1) {
		fprintf(stderr, "onramp: backup needs the FILE to write (see --help)\n");
		return 2;
	}
	if (db_open(cfg.db_url, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: database %s: %s\n",
		        config_db_url_redacted(cfg.db_url, shown, sizeof(shown)), err);
		return 1;
	}
	rc = db_backup(db, pos[0], err, sizeof(err));
	db_close(db);
	if (rc < 0) {
		fprintf(stderr, "onramp: backup to %s: %s\n", pos[0], err);
		return 1;
	}
	printf("onramp: backed up %s to %s\n",
	       config_db_url_redacted(cfg.db_url, shown, sizeof(shown)), pos[0]);
	return 0;
}
