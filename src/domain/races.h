/*
 * races.h — the race finder: which offices someone could run for where
 * they live, their filing deadlines, a person's races of interest and
 * target seat, uncontested-seat coverage, and the calendar feeds.
 *
 * struct races is the service `onramp serve` builds at start: it holds the
 * boundary index (domain/geoindex.h) built from the stored boundaries and,
 * when asked to watch, a background thread that checks the stored
 * boundaries version every LIMIT_RACES_INDEX_CHECK_SECONDS and, after an
 * import (by the CLI, while the server runs), builds a new index and swaps
 * it in; lookups in flight keep the old one until they finish.
 *
 * Rows are json objects (the race row of store/store_races.h plus what a
 * page shows: days_left, filing_open, dates as text, level_label,
 * requirements). Dates are UTC days.
 *
 * Threading: every function may be called from any thread at once.
 */
#ifndef ONRAMP_RACES_H
#define ONRAMP_RACES_H

#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"

struct db;
struct races;
struct geo_index;

/* The deadline reminders for a target seat: days before filing closes. */
extern const int races_deadline_days[3];

/* Builds the service: loads the index from db's boundaries; geocoder_url
 * NULL for the default; watch 1 starts the rebuild thread. Returns 0 and
 * *out, or -1 with a reason in err. */
int races_open(struct db *db, const char *geocoder_url, int watch, struct races **out,
               char *err, size_t errlen);
/* Stops the thread and frees the service. NULL is a no-op. */
void races_close(struct races *r);
/* Rebuilds the index now if the stored boundaries changed since it was
 * built. Returns 1 if rebuilt, 0 if unchanged, -1 on failure (the old
 * index stays). */
int races_reload(struct races *r);
/* The current index with a reference the caller drops (geo_index_unref). */
struct geo_index *races_index(struct races *r);

/* Where to look. address wins over zip, zip over the point. */
struct races_query {
	const char *address;   /* a street address (geocoded), or NULL */
	const char *zip;       /* five digits, or NULL */
	int         has_point;
	double      lon, lat;
};

/* Finds the races open to someone at the place of q, soonest filing
 * deadline first. Sets *out to {found (bool), how ("address", "zip",
 * "point"), approximate (bool), matched (the geocoder's address, if any),
 * notice (why an address fell back to the ZIP, if it did), divisions:
 * [{id, name}], races: [rows]}. found is false when the place is unknown
 * (notice says why). Returns 0, or -1 on a database failure. */
int races_find(struct races *r, const struct races_query *q, long long now, json_t **out);

/* Loads one race as a page row. Returns 1 and *row, 0 if none, -1. */
int races_load(struct db *db, long long race_id, long long now, json_t **row);

/* Adds race_id to person_id's races of interest (source "signup",
 * "staff", "email"), audited as user_id (0: the person themselves).
 * Returns 1 if added, 0 if it was there, -1 on failure, -2 if there is no
 * such race or person. */
int races_interest_add(struct db *db, long long person_id, long long race_id,
                       const char *source, long long user_id);

/* Makes race_id person_id's target seat (audited as user_id) and, in the
 * same transaction, makes the deadline reminders not made before: a task
 * for the person's recruiter (pipeline assignee) due 30, 14 and 3 days
 * before filing closes (those still ahead of now), and one reminder mail to
 * the person 14 days before (or now, if that is past). *tasks_made counts
 * the tasks created. Returns 1 if the target changed, 0 if it already was,
 * -1 on failure, -2 if there is no such race or person. */
int races_target_set(struct db *db, long long person_id, long long race_id, long long user_id,
                     long long now, int *tasks_made);

/* Sets *rows to person_id's races (page rows with target, added_at). */
int races_person(struct db *db, long long person_id, long long now, json_t **rows);

/* The uncontested-seat coverage of state (NULL: all): *out = {races:
 * [rows plus people_inside and uncovered (no target-seat candidate from
 * our bench)], ranked uncovered first, then by people_inside, then
 * deadline; uncontested_last: [rows of seats uncontested last cycle]}. */
int races_coverage(struct races *r, const char *state, long long now, json_t **out);

/* The "who to call about this seat" list: *out = {race: row, people:
 * [{id, name, state, zip, target}]}: people whose ZIP lies inside the
 * race's division (approximate: by ZIP centroid). Returns 1, 0 if there is
 * no such race, -1. */
int races_call_list(struct races *r, long long race_id, long long now, json_t **out);

/* The coverage map of state: *out = {state, width, height, shapes: [{id,
 * name, d (SVG path data), people, shade (0..4)}], legend: [{shade,
 * label}]} from the state's county boundaries, shaded by how many signups
 * live in each. Returns 1, 0 if the state has no county boundaries, -1. */
int races_map(struct races *r, const char *state, json_t **out);

/* Appends an iCalendar feed (domain/ical.h): for state (two letters), the
 * filing window closings and election days of its upcoming elections; for
 * a person, those of their races. host names the installation in UIDs.
 * Returns 0, 1 (races_ical_person: no such person has races — still a
 * valid empty feed), or -1. */
int races_ical_state(struct db *db, const char *state, long long now, const char *host,
                     buf *out);
int races_ical_person(struct db *db, long long person_id, long long now, const char *host,
                      buf *out);

/* Returns 1 if s is a two-letter lowercase or uppercase state code. */
int races_state_valid(const char *s);

#endif
