/*
 * cli_import.c — `onramp import KIND FILE`: loads divisions, boundaries,
 * offices, elections, races or ZIP centroids (domain/races_import.h).
 *
 * Prints a progress bar on stderr when stderr is a terminal, then one line
 * per bad row ("FILE:LINE: reason", at most LIMIT_IMPORT_ERRORS_SHOWN) and
 * a summary on stdout. Exit status: 0 when every row was imported, 1 when
 * some rows (or the file) failed, 2 for a usage error. Safe while the
 * server runs: it notices new boundaries within a few seconds.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "domain/keys.h"
#include "domain/races_import.h"
#include "lib/limits.h"
#include "store/db.h"

static const char usage[] =
	"Usage: onramp import KIND FILE [--field NAME] [--prefix TEXT] [options]\n"
	"\n"
	"KIND is one of:\n"
	"  divisions   CSV id,name (Open Civic Data division ids)\n"
	"  boundaries  shapefile, zipped shapefile, GeoJSON or GeoPackage (GDAL); the\n"
	"              attribute --field (default ocd_id), after --prefix, names the division\n"
	"  offices     CSV code,name,level,division_id,seats,term_years,salary,partisan,\n"
	"              min_age,residency,filing_requirements\n"
	"  elections   CSV code,state,name,kind,election_day,filing_opens,filing_closes,\n"
	"              filing_where,filing_how (dates YYYY-MM-DD)\n"
	"  races       CSV office_code,election_code,incumbent,candidates,uncontested_last\n"
	"  zips        CSV zip,lat,lon[,state] (ZIP centroids)\n"
	"Importing a file again updates the same rows; nothing is duplicated.";

struct import_ui {
	const char *file;
	int         tty;
	int         shown;
	long long   errors;
	int         bar;  /* a bar is on the screen */
};

static void import_on_error(void *arg, long long line, const char *reason)
{
	struct import_ui *ui = arg;

	ui->errors++;
	if (ui->errors > LIMIT_IMPORT_ERRORS_SHOWN)
		return;
	if (ui->bar) {
		fputs("\r\033[K", stderr);
		ui->bar = 0;
	}
	fprintf(stderr, "%s:%lld: %s\n", ui->file, line, reason);
}

static void import_on_progress(void *arg, double fraction)
{
	struct import_ui *ui = arg;
	char bar[41];
	int fill, i;

	if (!ui->tty)
		return;
	if (fraction < 0)
		fraction = 0;
	if (fraction > 1)
		fraction = 1;
	fill = (int)(fraction * 40);
	for (i = 0; i < 40; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[40] = '\0';
	fprintf(stderr, "\r[%s] %3d%%", bar, (int)(fraction * 100));
	fflush(stderr);
	ui->bar = 1;
}

int cli_import(int argc, char **argv)
{
	struct config cfg;
	struct db *db = NULL;
	struct keys *keys = NULL;
	const char *pos[2], *field = NULL, *prefix = NULL;
	const struct cli_opt opts[] = {
		{ "field", &field, "boundaries: the attribute holding the division id (default ocd_id)" },
		{ "prefix", &prefix, "boundaries: text put before the attribute's value to make the id" },
	};
	struct races_import_report rep = { 0 };
	struct import_ui ui = { 0 };
	enum races_import_kind kind;
	char err[512];
	size_t n_pos;
	int rc;

	rc = cli_parse(argc, argv, usage, &cfg, opts, 2, pos, 2, &n_pos);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (n_pos != 2) {
		fprintf(stderr, "onramp: import needs a KIND and a FILE (onramp import --help)\n");
		return 2;
	}
	if (races_import_kind_parse(pos[0], &kind) < 0) {
		fprintf(stderr, "onramp: unknown import kind \"%.40s\" (onramp import --help)\n", pos[0]);
		return 2;
	}
	if (cli_open(&cfg, 1, &db, &keys) != 0)
		return 1;
	ui.file = pos[1];
	ui.tty = isatty(STDERR_FILENO);
	rep.on_error = import_on_error;
	rep.on_progress = import_on_progress;
	rep.arg = &ui;
	if (kind == RACES_IMPORT_BOUNDARIES)
		rc = races_import_boundaries(db, pos[1], field, prefix, &rep, err, sizeof(err));
	else
		rc = races_import_csv(db, kind, pos[1], &rep, err, sizeof(err));
	if (ui.bar)
		fputs("\n", stderr);
	if (ui.errors > LIMIT_IMPORT_ERRORS_SHOWN)
		fprintf(stderr, "%s: … and %lld more rows with errors\n", pos[1],
		        ui.errors - LIMIT_IMPORT_ERRORS_SHOWN);
	if (rc < 0)
		fprintf(stderr, "onramp: import %s: %s\n", pos[0], err);
	else
		printf("onramp: imported %lld of %lld %s rows from %s (%lld with errors)\n",
		       rep.imported, rep.rows, pos[0], pos[1], rep.failed);
	db_close(db);
	keys_free(keys);
	return rc < 0 || rep.failed > 0 ? 1 : 0;
}
