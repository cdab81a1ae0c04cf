/*
 * cli_audit.c — `onramp audit verify`: recompute the audit log's hash chain.
 *
 * Every audit entry carries the hash of the one before it (store_audit.c),
 * so editing, inserting or deleting an entry in the middle breaks the chain
 * from there on. This command walks the whole log once: exit 0 and "audit
 * log intact: N entries", or exit 1 naming the first entry that does not
 * check out. (Cutting entries off the end leaves a valid shorter chain:
 * compare N with a count kept elsewhere, e.g. in a backup.)
 * It only reads; it is safe while the server runs. It does not migrate: an
 * old database is read as it is.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "domain/audit.h"
#include "store/db.h"

static const char usage[] =
	"Usage: onramp audit verify [options]\n"
	"\n"
	"Checks the audit log's hash chain. Exit status 0 when intact, 1 when an\n"
	"entry was edited, inserted or deleted (the first bad entry is named),\n"
	"or when the database cannot be read.";

int cli_audit(int argc, char **argv)
{
	struct config cfg;
	struct db *db;
	const char *pos[1];
	long long entries = 0, first_bad = 0;
	size_t n_pos;
	char err[512], shown[sizeof(cfg.db_url) + 64];
	int rc;

	rc = cli_parse(argc, argv, usage, &cfg, NULL, 0, pos, 1, &n_pos);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (n_pos != 1 || strcmp(pos[0], "verify") != 0) {
		fprintf(stderr, "onramp: usage: onramp audit verify (see --help)\n");
		return 2;
	}
	if (db_open(cfg.db_url, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: database %s: %s\n",
		        config_db_url_redacted(cfg.db_url, shown, sizeof(shown)), err);
		return 1;
	}
	rc = audit_verify(db, &entries, &first_bad);
	db_close(db);
	if (rc < 0) {
		fprintf(stderr, "onramp: cannot read the audit log of %s\n",
		        config_db_url_redacted(cfg.db_url, shown, sizeof(shown)));
		return 1;
	}
	if (rc == 1) {
		printf("audit log BROKEN at entry %lld: it was edited, or an entry before it was "
		       "inserted or deleted (%lld entries before it check out)\n", first_bad, entries);
		return 1;
	}
	printf("audit log intact: %lld entries\n", entries);
	return 0;
}
