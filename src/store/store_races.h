/*
 * store_races.h — divisions, offices, elections, races, people's races of
 * interest, ZIP centroids and the boundaries version (store layer; all of
 * their SQL lives in store_races.c).
 *
 * As in store_people.h, the domain (domain/races*.c) decides everything and
 * runs its rules inside one writer job (store_races_write), calling the
 * row-level functions below on the job's connection; reads borrow a pooled
 * connection. Dates are seconds since the epoch at 00:00 UTC of the day;
 * boundaries are WKB bytes (lon/lat); ZIP centroids are millionths of a
 * degree.
 *
 * Return values: 0 on success (or 1/0 for found/not found, changed/not
 * changed where noted), or a negative enum db_rc (store/sql.h). json values
 * returned through out-pointers are new references the caller
 * json_decref()s. Threading: no state of its own; any thread may call.
 */
#ifndef ONRAMP_STORE_RACES_H
#define ONRAMP_STORE_RACES_H

#include <stddef.h>

#include <jansson.h>

struct db;
struct db_conn;

/* ---- units of work ---- */

typedef int (*store_races_job_fn)(struct db_conn *c, void *arg);
/* Runs fn(c, arg) on the writer connection; returns once it is durably
 * committed: fn's value, or a negative enum db_rc. */
int store_races_write(struct db *db, store_races_job_fn fn, void *arg);
/* Lends a read connection (never NULL); give it back with _read_end. */
struct db_conn *store_races_read_begin(struct db *db);
void store_races_read_end(struct db *db, struct db_conn *c);

/* ---- divisions and boundaries ---- */

/* Inserts or updates division id (its boundary is kept). parent and state
 * may be NULL. Returns 0 or < 0. */
int store_division_upsert(struct db_conn *c, const char *id, const char *name, const char *type,
                          const char *parent, const char *state, long long at);
/* Sets division id's boundary (WKB). Returns 1, 0 if there is no such
 * division, or < 0. */
int store_division_set_boundary(struct db_conn *c, const char *id, const void *wkb, size_t len,
                                long long at);
/* Loads {id, name, type, parent_id (null), state (null)}. Returns 1, 0, < 0. */
int store_division_load(struct db_conn *c, const char *id, json_t **row);
/* Adds one to the boundaries version (call in the job that changed them). */
int store_boundaries_bump(struct db_conn *c);
/* Reads the boundaries version into *version. */
int store_boundaries_version(struct db_conn *c, long long *version);

/* Called once per division with a boundary; pointers valid only during
 * the call. Returning < 0 stops the walk and becomes its result. */
typedef int (*store_boundary_fn)(const char *id, const char *name, const char *type,
                                 const void *wkb, size_t len, void *arg);
/* Walks divisions with a boundary, by id: all of them (state NULL), or
 * those of one state whose type is type (NULL: any). */
int store_boundaries_each(struct db_conn *c, const char *state, const char *type,
                          store_boundary_fn fn, void *arg);

/* ---- offices, elections, races ---- */

struct store_office {
	const char *code, *name, *level, *division_id;
	long long   seats, term_years, partisan, min_age;
	const char *salary, *residency, *filing_requirements;  /* NULL for none */
};
/* Inserts or updates the office of o->code. Returns 0, DB_CONSTRAINT when
 * the division is unknown, or < 0. */
int store_office_upsert(struct db_conn *c, const struct store_office *o, long long at);

struct store_election {
	const char *code, *state, *name, *kind;
	long long   election_day, filing_opens, filing_closes;
	const char *filing_where, *filing_how;  /* NULL for none */
};
/* Inserts or updates the election of e->code. Returns 0 or < 0. */
int store_election_upsert(struct db_conn *c, const struct store_election *e, long long at);

struct store_race {
	const char *office_code, *election_code;
	const char *incumbent, *candidates;  /* NULL for none; candidates "; "-separated */
	long long   candidate_count;
	int         uncontested_last;
};
/* Inserts or updates the race of (office, election). Returns 1, 0 if the
 * office or the election is unknown, or < 0. */
int store_race_upsert(struct db_conn *c, const struct store_race *r, long long at);

/* A race row: {id, office, level, division_id, division, seats, term_years,
 * salary, partisan (bool), min_age, residency, filing_requirements,
 * election, kind, state, election_day, filing_opens, filing_closes,
 * filing_where, filing_how, incumbent, candidates, candidate_count,
 * uncontested_last (bool), bench (people with it as their target seat),
 * interested (people with it among their races)}; absent text is null. */

/* Appends to rows the races of offices in division_id whose filing window
 * closes on or after since. */
int store_races_in_division(struct db_conn *c, const char *division_id, long long since,
                            json_t *rows);
/* Loads race id. Returns 1, 0, < 0. */
int store_race_load(struct db_conn *c, long long id, json_t **row);
/* Sets *rows to races whose election is on or after since, of state (NULL:
 * all), soonest filing deadline first, at most limit. */
int store_races_upcoming(struct db_conn *c, const char *state, long long since, int limit,
                         json_t **rows);
/* Sets *rows to the elections of state (NULL: all) on or after since:
 * [{id, code, state, name, kind, election_day, filing_opens,
 * filing_closes, filing_where, filing_how}], soonest first. */
int store_elections_upcoming(struct db_conn *c, const char *state, long long since, int limit,
                             json_t **rows);

/* ---- people and races ---- */

/* Adds race_id to person_id's races of interest. Returns 1 if added, 0 if
 * it was there, or < 0 (DB_CONSTRAINT: no such person or race). */
int store_person_race_add(struct db_conn *c, long long person_id, long long race_id,
                          const char *source, long long at);
/* Makes race_id person_id's one target seat (adding it to their races).
 * Returns 1 if it changed, 0 if it already was, or < 0. */
int store_person_race_target(struct db_conn *c, long long person_id, long long race_id,
                             long long at);
/* Sets *rows to person_id's races (race rows plus target (bool) and
 * added_at), target first, then soonest deadline. */
int store_person_races(struct db_conn *c, long long person_id, json_t **rows);
/* Records that the reminder days_before the deadline of (person, race)
 * is being made. Returns 1 if this call claimed it, 0 if it was made
 * before (make nothing), or < 0. */
int store_deadline_task_claim(struct db_conn *c, long long person_id, long long race_id,
                              long long days_before, long long at);
/* Notes the task made for a claimed reminder (task_id 0: none, e.g. no
 * recruiter). */
int store_deadline_task_set(struct db_conn *c, long long person_id, long long race_id,
                            long long days_before, long long task_id);
/* Counts the reminders claimed for (person, race) into *n. */
int store_deadline_task_count(struct db_conn *c, long long person_id, long long race_id,
                              long long *n);

/* ---- where people live ---- */

/* Inserts or updates a ZIP centroid. */
int store_zip_upsert(struct db_conn *c, const char *zip, long long lat_e6, long long lon_e6,
                     const char *state, long long at);
/* Finds a ZIP's centroid. Returns 1, 0 if unknown, or < 0. */
int store_zip_find(struct db_conn *c, const char *zip, long long *lat_e6, long long *lon_e6);
/* Sets *rows to [{zip, lat_e6, lon_e6, people}]: every ZIP with a centroid
 * where people live, with how many. */
int store_zip_people(struct db_conn *c, json_t **rows);
/* Sets *rows to people living in zip: [{id, name, state, zip, target (the
 * name of their target seat's office, or null)}], newest first. */
int store_people_in_zip(struct db_conn *c, const char *zip, int limit, json_t **rows);

#endif
