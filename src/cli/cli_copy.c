/*
 * cli_copy.c — `onramp copy-data --from sqlite:FILE --to postgres://…`:
 * moves an installation from SQLite to PostgreSQL.
 *
 * The command opens both databases, refuses a source that is not at this
 * program's schema (it is never changed: only read, in one snapshot),
 * migrates the target, and hands both to store_copy_run(), which refuses a
 * target holding data and verifies every table's row count at the end. The
 * target URL is only ever printed with its password masked.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store/db.h"
#include "store/store_copy.h"

static const char usage[] =
	"Usage: onramp copy-data --from sqlite:FILE --to postgres://USER@HOST/DB [options]\n"
	"\n"
	"Copies every row of an Onramp SQLite database into a new PostgreSQL database:\n"
	"migrates the target, refuses one that already holds data, copies each table in\n"
	"foreign-key order keeping its ids, moves the id sequences past them, rebuilds the\n"
	"search rows, and checks that every table has as many rows as in the source.\n"
	"\n"
	"Stop `onramp serve` on the source first (writes after the copy's snapshot would\n"
	"stay behind), and serve the copy with the same key file (ONRAMP_KEY_FILE): sealed\n"
	"answers and two-factor secrets stay encrypted with it. If a copy fails, drop and\n"
	"re-create the target database before running it again.";

struct copy_totals {
	long long rows;
	int       tables;
};

static void copy_progress(void *arg, const char *table, long long rows)
{
	struct copy_totals *t = arg;

	t->rows += rows;
	t->tables++;
	printf("  %-22s %lld row%s\n", table, rows, rows == 1 ? "" : "s");
	fflush(stdout);
}

/* Checks the two URLs' form. Returns 0, or 2 with a reason printed. */
static int copy_check_urls(const char *from, const char *to)
{
	char err[256];
	struct stat st;

	if (!from || !to) {
		fprintf(stderr, "onramp: copy-data needs --from sqlite:FILE and --to postgres://… "
		        "(see --help)\n");
		return 2;
	}
	if (strncmp(from, "sqlite:", 7) != 0 || db_url_check(from, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: --from must be sqlite:FILE, an Onramp SQLite database\n");
		return 2;
	}
	if ((strncmp(to, "postgres://", 11) != 0 && strncmp(to, "postgresql://", 13) != 0) ||
	    db_url_check(to, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: --to must be postgres://USER@HOST[:PORT]/DATABASE\n");
		return 2;
	}
	/* db_open would create a missing file: a typo must not become an
	 * empty source */
	if (stat(from + 7, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "onramp: --from: %.200s is not an existing database file\n", from + 7);
		return 2;
	}
	return 0;
}

int cli_copy(int argc, char **argv)
{
	struct config cfg;
	struct db *from = NULL, *to = NULL;
	struct copy_totals totals = { 0, 0 };
	const char *from_url = NULL, *to_url = NULL, *pos[1];
	const struct cli_opt opts[] = {
		{ "from", &from_url, "the SQLite database to copy: sqlite:FILE" },
		{ "to", &to_url, "the new PostgreSQL database: postgres://USER[:PASSWORD]@HOST[:PORT]/DB" },
	};
	char err[512], shown[1024 + 64];
	size_t n_pos;
	int rc, applied = 0, status = 1;

	rc = cli_parse(argc, argv, usage, &cfg, opts, 2, pos, 0, &n_pos);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((rc = copy_check_urls(from_url, to_url)) != 0)
		return rc;
	config_db_url_redacted(to_url, shown, sizeof(shown));

	if (db_open(from_url, &from, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: source %s: %s\n", from_url, err);
		return 1;
	}
	rc = db_migrations_current(from);
	if (rc != 1) {
		fprintf(stderr, "onramp: the source %s %s\n", from_url,
		        rc < 0 ? "cannot be read as an Onramp database"
		               : "is not at this program's schema; run `onramp migrate` on it first");
		goto done;
	}
	if (db_open(to_url, &to, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: target %s: %s\n", shown, err);
		goto done;
	}
	if (db_migrate(to, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: migrating the target %s: %s\n", shown, err);
		goto done;
	}
	printf("onramp: copying %s to %s (%d migration%s applied to it first)\n", from_url, shown,
	       applied, applied == 1 ? "" : "s");
	fflush(stdout);
	if (store_copy_run(from, to, copy_progress, &totals, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: copy-data: %s\n", err);
		goto done;
	}
	printf("onramp: copied %lld rows in %d tables; every table's row count matches\n",
	       totals.rows, totals.tables);
	status = 0;
done:
	db_close(to);
	db_close(from);
	return status;
}
