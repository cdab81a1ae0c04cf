/*
 * races_import.h — loading the race finder's data from files: divisions
 * (the OCD id,name CSV), offices, elections and races (CSV with a header
 * row), ZIP centroids (CSV) and boundaries (anything GDAL/OGR reads:
 * shapefile, zipped shapefile, GeoJSON, GeoPackage).
 *
 * Every import is idempotent: rows are upserts keyed by their id or code,
 * so a second run of the same file changes nothing. Rows are written in
 * batches, each row in its own savepoint: a bad row is reported (line or
 * feature number and the reason) and skipped, the others are kept. Each
 * batch carries one audit entry. A boundary import bumps the boundaries
 * version so a running server rebuilds its index.
 *
 * Threading: one import per call; any thread.
 */
#ifndef ONRAMP_RACES_IMPORT_H
#define ONRAMP_RACES_IMPORT_H

#include <stddef.h>

struct db;

enum races_import_kind {
	RACES_IMPORT_DIVISIONS,
	RACES_IMPORT_OFFICES,
	RACES_IMPORT_ELECTIONS,
	RACES_IMPORT_RACES,
	RACES_IMPORT_ZIPS,
	RACES_IMPORT_BOUNDARIES,
};

/* What an import tells its caller as it goes, and its totals. */
struct races_import_report {
	void (*on_error)(void *arg, long long line, const char *reason);  /* may be NULL */
	void (*on_progress)(void *arg, double fraction);                  /* may be NULL */
	void *arg;
	long long rows;      /* records read (header excluded) */
	long long imported;  /* written */
	long long failed;    /* reported and skipped */
};

/* Parses "divisions", "offices", … Returns 0 and *kind, or -1. */
int races_import_kind_parse(const char *name, enum races_import_kind *kind);

/* Imports the CSV file at path as kind (not RACES_IMPORT_BOUNDARIES).
 * Returns 0 when the file was read to its end (rep->failed may be > 0), or
 * -1 with a reason in err when it could not be (unreadable, no header, a
 * required column missing, a database failure). */
int races_import_csv(struct db *db, enum races_import_kind kind, const char *path,
                     struct races_import_report *rep, char *err, size_t errlen);

/* Imports boundaries from the first layer of the GDAL dataset at path
 * (a .zip is read through /vsizip/), reprojected to lon/lat: each
 * feature's attribute field (default "ocd_id") — with prefix before it
 * when prefix is not NULL, lowercased — names an existing division.
 * Returns as races_import_csv. */
int races_import_boundaries(struct db *db, const char *path, const char *field,
                            const char *prefix, struct races_import_report *rep, char *err,
                            size_t errlen);

#endif
