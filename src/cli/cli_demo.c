/*
 * cli_demo.c — `onramp demo`: fill the database with a realistic demo
 * dataset (people through the real signup path, so dedupe and flags show)
 * and, when there is no admin account yet, create admin@example.org with a
 * random password that is printed once and never stored in clear.
 *
 * It also loads the race finder's demo data from the repository's data/
 * folder (data/README.md: real state and county boundaries and Open Civic
 * Data ids for Virginia, Pennsylvania and Arizona, hand-made offices and
 * 2027–28 elections, ZIP centres of the demo people's ZIPs) through the same
 * import functions as `onramp import`; running it again changes nothing.
 */
#include "cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/auth.h"
#include "domain/demo.h"
#include "domain/keys.h"
#include "domain/races_import.h"
#include "store/db.h"

#define DEMO_ADMIN "admin@example.org"

static const char usage[] =
	"Usage: onramp demo [--people N] [--seed S] [--races-data DIR] [options]\n"
	"\n"
	"Loads demo people (default 3000) through the real signup path, the race finder's\n"
	"demo data from DIR (default data; \"none\" skips it), and creates the account\n"
	DEMO_ADMIN " with a random password, printed once, if there is no admin.";

/* The race finder's demo files under the data folder, in import order. */
static const struct {
	const char *kind, *file;
} demo_race_files[] = {
	{ "divisions", "ocd-divisions.csv" },
	{ "boundaries", "boundaries-states.geojson" },
	{ "boundaries", "boundaries-counties.geojson" },
	{ "offices", "demo/offices.csv" },
	{ "elections", "demo/elections.csv" },
	{ "races", "demo/races.csv" },
	{ "zips", "demo/zips.csv" },
};

static void demo_race_error(void *arg, long long line, const char *reason)
{
	fprintf(stderr, "%s:%lld: %s\n", (const char *)arg, line, reason);
}

/* Imports the race demo files from dir. Returns 0, or -1 (reason printed). */
static int demo_races(struct db *db, const char *dir)
{
	enum races_import_kind kind;
	char path[1024], err[512];
	long long imported = 0;
	size_t i;
	int n, rc;

	for (i = 0; i < sizeof(demo_race_files) / sizeof(demo_race_files[0]); i++) {
		struct races_import_report rep = { 0 };

		n = snprintf(path, sizeof(path), "%s/%s", dir, demo_race_files[i].file);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			fprintf(stderr, "onramp: --races-data is too long\n");
			return -1;
		}
		if (races_import_kind_parse(demo_race_files[i].kind, &kind) < 0)
			return -1;
		rep.on_error = demo_race_error;
		rep.arg = path;
		if (kind == RACES_IMPORT_BOUNDARIES)
			rc = races_import_boundaries(db, path, NULL, NULL, &rep, err, sizeof(err));
		else
			rc = races_import_csv(db, kind, path, &rep, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "onramp: race demo data: %s\n", err);
			return -1;
		}
		if (rep.failed > 0) {
			fprintf(stderr, "onramp: race demo data: %lld bad rows in %s\n", rep.failed, path);
			return -1;
		}
		imported += rep.imported;
	}
	printf("onramp: loaded the race finder's demo data (%lld rows from %s/)\n", imported, dir);
	return 0;
}

static int parse_count(const char *s, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return (errno || !*s || *end || *out < 0 || *out > max) ? -1 : 0;
}

/* Returns 1 if an admin account exists, 0 if not, -1 on error. */
static int demo_admin_exists(struct db *db)
{
	json_t *rows = NULL, *row;
	size_t i;
	int found = 0;

	if (auth_users_list(db, &rows) < 0)
		return -1;
	json_array_foreach(rows, i, row) {
		const char *role = json_string_value(json_object_get(row, "role"));
		if (role && strcmp(role, "admin") == 0)
			found = 1;
	}
	json_decref(rows);
	return found;
}

/* Makes a 24-character password from 18 random bytes (base64url). */
static void demo_password(char out[32])
{
	unsigned char raw[18];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, 32, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

int cli_demo(int argc, char **argv)
{
	struct config cfg;
	struct db *db = NULL;
	struct keys *keys = NULL;
	const char *people_s = "3000", *seed_s = "1", *races_dir = "data", *pos[1];
	const struct cli_opt opts[] = {
		{ "people", &people_s, "how many demo people to create (default 3000)" },
		{ "seed", &seed_s, "random seed: the same seed gives the same people (default 1)" },
		{ "races-data", &races_dir,
		  "folder of the race finder's demo data (default data; none: skip it)" },
	};
	char err[512], password[32];
	long people, seed;
	size_t n_pos;
	int rc, status = 1;

	rc = cli_parse(argc, argv, usage, &cfg, opts, 3, pos, 0, &n_pos);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (parse_count(people_s, 1000000, &people) < 0) {
		fprintf(stderr, "onramp: --people must be a whole number from 0 to 1000000\n");
		return 2;
	}
	if (parse_count(seed_s, 0x7fffffffL, &seed) < 0) {
		fprintf(stderr, "onramp: --seed must be a whole number\n");
		return 2;
	}
	if (cli_open(&cfg, 1, &db, &keys) != 0)
		return 1;
	if (people > 0) {
		if (demo_load(db, keys, (int)people, (unsigned)seed, err, sizeof(err)) < 0) {
			fprintf(stderr, "onramp: demo data: %s\n", err);
			goto done;
		}
		printf("onramp: loaded %ld demo signups\n", people);
	}
	if (strcmp(races_dir, "none") != 0 && demo_races(db, races_dir) < 0)
		goto done;
	rc = demo_admin_exists(db);
	if (rc < 0) {
		fprintf(stderr, "onramp: could not read the accounts\n");
		goto done;
	}
	if (rc == 0) {
		do /* a random password may, rarely, contain "admin": draw again */
			demo_password(password);
		while (auth_password_problem_for(password, DEMO_ADMIN) != NULL);
		if (auth_user_add(db, NULL, DEMO_ADMIN, ROLE_ADMIN, password, err, sizeof(err)) < 0) {
			fprintf(stderr, "onramp: creating %s: %s\n", DEMO_ADMIN, err);
			sodium_memzero(password, sizeof(password));
			goto done;
		}
		printf("\n  Admin account: %s\n  Password:      %s\n  (shown once: write it down now)\n\n",
		       DEMO_ADMIN, password);
		sodium_memzero(password, sizeof(password));
	}
	status = 0;
done:
	db_close(db);
	keys_free(keys);
	return status;
}
