/*
 * races.c — the race finder service (see races.h).
 *
 * The index pointer is swapped under a mutex that is held only to take or
 * change a reference, so a lookup never waits for a rebuild: the watcher
 * builds the new index outside the lock, then swaps it in and drops the
 * old one's reference; the last lookup holding the old one frees it.
 *
 * Which divisions contain a place: the divisions whose boundary holds the
 * point (geoindex), plus all of their ancestors by id (a county's state is
 * its parent even when no state boundary is loaded).
 */
#include "domain/races.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <geos_c.h>

#include "domain/geocode.h"
#include "domain/geoindex.h"
#include "domain/ical.h"
#include "domain/ocd.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "store/store_audit.h"
#include "store/store_mail.h"
#include "store/store_pipeline.h"
#include "store/store_races.h"

#define DAY 86400LL
#define RACES_NO_SUCH (-2)

const int races_deadline_days[3] = { 30, 14, 3 };

struct races {
	struct db        *db;
	char              geocoder_url[LIMIT_URL_MAX];
	pthread_mutex_t   mu;           /* guards idx and version */
	struct geo_index *idx;
	long long         version;      /* boundaries version idx was built from */
	pthread_mutex_t   build_mu;     /* one rebuild at a time */
	int               watching;
	pthread_t         thread;
	pthread_mutex_t   stop_mu;
	pthread_cond_t    stop_cv;
	int               stop;
};

/* ---- the index ---- */

struct races_build {
	struct geo_builder *b;
	long long           bad;
};

static int races_build_add(const char *id, const char *name, const char *type, const void *wkb,
                           size_t len, void *arg)
{
	struct races_build *rb = arg;
	char err[200];

	(void)name;
	(void)type;
	if (geo_builder_add_wkb(rb->b, id, wkb, len, err, sizeof(err)) < 0) {
		log_warn("races: the boundary of %s is skipped: %s", id, err);
		rb->bad++;
	}
	return 0;
}

/* Builds an index from the stored boundaries; *version is the boundaries
 * version read in the same snapshot... read first, so a concurrent import
 * is seen as a newer version on the next check. */
static struct geo_index *races_build_index(struct db *db, long long *version)
{
	struct races_build rb = { 0 };
	struct db_conn *c;
	int rc;

	rb.b = geo_builder_new();
	if (!rb.b)
		return NULL;
	c = store_races_read_begin(db);
	rc = store_boundaries_version(c, version);
	if (rc == 0)
		rc = store_boundaries_each(c, NULL, NULL, races_build_add, &rb);
	store_races_read_end(db, c);
	if (rc < 0) {
		geo_builder_free(rb.b);
		return NULL;
	}
	return geo_builder_finish(rb.b);
}

struct geo_index *races_index(struct races *r)
{
	struct geo_index *idx;

	pthread_mutex_lock(&r->mu);
	idx = geo_index_ref(r->idx);
	pthread_mutex_unlock(&r->mu);
	return idx;
}

int races_reload(struct races *r)
{
	struct geo_index *fresh, *old;
	struct db_conn *c;
	long long stored = 0, have, built = 0;
	int rc;

	pthread_mutex_lock(&r->build_mu);
	c = store_races_read_begin(r->db);
	rc = store_boundaries_version(c, &stored);
	store_races_read_end(r->db, c);
	pthread_mutex_lock(&r->mu);
	have = r->version;
	pthread_mutex_unlock(&r->mu);
	if (rc < 0 || stored == have) {
		pthread_mutex_unlock(&r->build_mu);
		return rc < 0 ? -1 : 0;
	}
	fresh = races_build_index(r->db, &built);
	if (!fresh) {
		pthread_mutex_unlock(&r->build_mu);
		log_error("races: rebuilding the boundary index failed; keeping the old one");
		return -1;
	}
	pthread_mutex_lock(&r->mu);
	old = r->idx;
	r->idx = fresh;
	r->version = built;
	pthread_mutex_unlock(&r->mu);
	geo_index_unref(old);
	pthread_mutex_unlock(&r->build_mu);
	log_info("races: boundary index rebuilt (%zu boundaries, version %lld)",
	         geo_index_size(fresh), built);
	return 1;
}

static void *races_watch(void *arg)
{
	struct races *r = arg;
	struct timespec until;

	(void)pthread_setname_np(pthread_self(), "onramp-races");
	pthread_mutex_lock(&r->stop_mu);
	while (!r->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += LIMIT_RACES_INDEX_CHECK_SECONDS;
		pthread_cond_timedwait(&r->stop_cv, &r->stop_mu, &until);
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->stop_mu);
		(void)races_reload(r);
		pthread_mutex_lock(&r->stop_mu);
	}
	pthread_mutex_unlock(&r->stop_mu);
	return NULL;
}

int races_open(struct db *db, const char *geocoder_url, int watch, struct races **out,
               char *err, size_t errlen)
{
	struct races *r;

	*out = NULL;
	if (geocode_global_init() < 0) {
		snprintf(err, errlen, "the HTTP client library could not start");
		return -1;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->db = db;
	snprintf(r->geocoder_url, sizeof(r->geocoder_url), "%s",
	         geocoder_url && *geocoder_url ? geocoder_url : GEOCODE_DEFAULT_URL);
	pthread_mutex_init(&r->mu, NULL);
	pthread_mutex_init(&r->build_mu, NULL);
	pthread_mutex_init(&r->stop_mu, NULL);
	pthread_cond_init(&r->stop_cv, NULL);
	r->idx = races_build_index(db, &r->version);
	if (!r->idx) {
		snprintf(err, errlen, "the boundary index could not be built");
		races_close(r);
		return -1;
	}
	if (watch) {
		if (pthread_create(&r->thread, NULL, races_watch, r) != 0) {
			snprintf(err, errlen, "the boundary watcher could not start");
			races_close(r);
			return -1;
		}
		r->watching = 1;
	}
	*out = r;
	return 0;
}

void races_close(struct races *r)
{
	if (!r)
		return;
	if (r->watching) {
		pthread_mutex_lock(&r->stop_mu);
		r->stop = 1;
		pthread_cond_signal(&r->stop_cv);
		pthread_mutex_unlock(&r->stop_mu);
		pthread_join(r->thread, NULL);
	}
	geo_index_unref(r->idx);
	pthread_mutex_destroy(&r->mu);
	pthread_mutex_destroy(&r->build_mu);
	pthread_mutex_destroy(&r->stop_mu);
	pthread_cond_destroy(&r->stop_cv);
	free(r);
}

/* ---- rows for pages ---- */

static long long races_today(long long now)
{
	return now - ((now % DAY) + DAY) % DAY;
}

static const char *races_date(long long t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(out, outlen, "%B %d, %Y", &tm) == 0)
		snprintf(out, outlen, "?");
	return out;
}

static const struct {
	const char *code, *label;
} races_levels[] = {
	{ "school_board", "School board" },
	{ "city_council", "City council" },
	{ "county", "County" },
	{ "judicial", "Judicial" },
	{ "state_legislature", "State legislature" },
	{ "election_admin", "Election administration" },
	{ "special_district", "Special district" },
	{ "other", "Other" },
};

static const char *races_level_label(const char *code)
{
	size_t i;

	for (i = 0; code && i < sizeof(races_levels) / sizeof(races_levels[0]); i++)
		if (strcmp(code, races_levels[i].code) == 0)
			return races_levels[i].label;
	return "Other";
}

/* Adds what a page shows to a store race row. Returns 0 or -1. */
static int races_decorate(json_t *row, long long now)
{
	long long today = races_today(now);
	long long closes = json_integer_value(json_object_get(row, "filing_closes"));
	long long opens = json_integer_value(json_object_get(row, "filing_opens"));
	long long day = json_integer_value(json_object_get(row, "election_day"));
	long long left = (closes - today) / DAY;
	char d1[40], d2[40], d3[40], req[600];
	int rc = 0, n;
	json_t *age = json_object_get(row, "min_age");
	const char *res = json_string_value(json_object_get(row, "residency"));
	const char *fil = json_string_value(json_object_get(row, "filing_requirements"));

	n = snprintf(req, sizeof(req), "At least %lld years old", (long long)json_integer_value(age));
	if (res && n > 0 && (size_t)n < sizeof(req))
		n += snprintf(req + n, sizeof(req) - (size_t)n, "; %s", res);
	if (fil && n > 0 && (size_t)n < sizeof(req))
		snprintf(req + n, sizeof(req) - (size_t)n, "; %s", fil);
	rc |= json_object_set_new(row, "days_left", json_integer(left < 0 ? 0 : left));
	rc |= json_object_set_new(row, "closes_today", json_boolean(left == 0));
	rc |= json_object_set_new(row, "closes_tomorrow", json_boolean(left == 1));
	rc |= json_object_set_new(row, "filing_open", json_boolean(now >= opens && left >= 0));
	rc |= json_object_set_new(row, "not_yet_open", json_boolean(now < opens));
	rc |= json_object_set_new(row, "closed", json_boolean(left < 0));
	rc |= json_object_set_new(row, "opens_date", json_string(races_date(opens, d1, sizeof(d1))));
	rc |= json_object_set_new(row, "closes_date", json_string(races_date(closes, d2, sizeof(d2))));
	rc |= json_object_set_new(row, "election_date", json_string(races_date(day, d3, sizeof(d3))));
	rc |= json_object_set_new(row, "level_label",
	                          json_string(races_level_label(json_string_value(
	                                  json_object_get(row, "level")))));
	rc |= json_object_set_new(row, "requirements", json_string(req));
	rc |= json_object_set_new(row, "several_seats",
	                          json_boolean(json_integer_value(json_object_get(row, "seats")) > 1));
	return rc ? -1 : 0;
}

static int races_decorate_all(json_t *rows, long long now)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row)
		if (races_decorate(row, now) < 0)
			return -1;
	return 0;
}

int races_load(struct db *db, long long race_id, long long now, json_t **row)
{
	struct db_conn *c = store_races_read_begin(db);
	int rc = store_race_load(c, race_id, row);

	store_races_read_end(db, c);
	if (rc == 1 && races_decorate(*row, now) < 0) {
		json_decref(*row);
		*row = NULL;
		return -1;
	}
	return rc < 0 ? -1 : rc;
}

/* ---- which divisions hold a place ---- */

/* Adds id and its ancestors to set (an object used as a set). */
static int races_add_with_ancestors(json_t *set, const char *id)
{
	char cur[OCD_ID_MAX + 1], parent[OCD_ID_MAX + 1];
	struct ocd_id p;
	const char *why;

	snprintf(cur, sizeof(cur), "%s", id);
	for (;;) {
		if (json_object_set_new(set, cur, json_true()) < 0)
			return -1;
		if (ocd_parse(cur, &p, &why) < 0 || ocd_parent(&p, parent, sizeof(parent)) != 1)
			return 0;
		memcpy(cur, parent, sizeof(cur));
	}
}

/* Sets *set to the ids (object keys) of the divisions holding (lon, lat).
 * Returns 0 or -1. */
static int races_divisions_at(struct geo_index *idx, double lon, double lat, json_t **set)
{
	const char *ids[LIMIT_RACES_DIVISIONS_PER_POINT];
	int n, i;

	*set = json_object();
	if (!*set)
		return -1;
	n = geo_index_lookup(idx, lon, lat, ids, LIMIT_RACES_DIVISIONS_PER_POINT);
	if (n < 0)
		return -1;
	if (n > LIMIT_RACES_DIVISIONS_PER_POINT)
		n = LIMIT_RACES_DIVISIONS_PER_POINT;
	for (i = 0; i < n; i++)
		if (races_add_with_ancestors(*set, ids[i]) < 0)
			return -1;
	return 0;
}

static int races_cmp_deadline(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	long long dx = json_integer_value(json_object_get(x, "filing_closes"));
	long long dy = json_integer_value(json_object_get(y, "filing_closes"));
	long long ix = json_integer_value(json_object_get(x, "id"));
	long long iy = json_integer_value(json_object_get(y, "id"));

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return ix < iy ? -1 : ix > iy;
}

/* Sorts a json array of rows with cmp. */
static int races_sort(json_t *rows, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(rows), i;
	json_t **v;

	if (n < 2)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(rows, i));
	qsort(v, n, sizeof(*v), cmp);
	json_array_clear(rows);
	for (i = 0; i < n; i++)
		json_array_append_new(rows, v[i]);
	free(v);
	return 0;
}

int races_find(struct races *r, const struct races_query *q, long long now, json_t **out)
{
	json_t *res = json_object(), *set = NULL, *divs = NULL, *rows = NULL, *d;
	struct geo_index *idx = NULL;
	struct db_conn *c;
	const char *how = "point", *id;
	char matched[300] = "", err[300];
	double lon = q->lon, lat = q->lat;
	long long la, lo;
	int have = q->has_point, rc = -1, g;
	void *it;

	*out = NULL;
	if (!res)
		return -1;
	if (q->address && *q->address) {
		g = geocode_address(r->geocoder_url, q->address, &lon, &lat, matched, sizeof(matched),
		                    err, sizeof(err));
		if (g == 1) {
			have = 1;
			how = "address";
			json_object_set_new(res, "matched", json_string(matched));
		} else if (g == 0) {
			json_object_set_new(res, "notice", json_string(
				"We couldn't find that address. Check it, or search by ZIP code."));
		} else {
			log_warn("races: geocoding failed: %s", err);
			json_object_set_new(res, "notice", json_string(
				"Address search is unavailable right now."));
		}
	}
	if (!have && q->zip && *q->zip) {
		c = store_races_read_begin(r->db);
		g = store_zip_find(c, q->zip, &la, &lo);
		store_races_read_end(r->db, c);
		if (g < 0)
			goto done;
		if (g == 1) {
			have = 1;
			how = "zip";
			lat = (double)la / 1e6;
			lon = (double)lo / 1e6;
			json_object_set_new(res, "approximate", json_true());
		} else if (!json_object_get(res, "notice")) {
			json_object_set_new(res, "notice", json_string(
				"We don't know that ZIP code yet. Try your street address."));
		}
	}
	json_object_set_new(res, "how", json_string(how));
	if (!json_object_get(res, "approximate"))
		json_object_set_new(res, "approximate", json_false());
	divs = json_array();
	rows = json_array();
	if (!divs || !rows)
		goto done;
	json_object_set(res, "divisions", divs);
	json_object_set(res, "races", rows);
	if (!have) {
		json_object_set_new(res, "found", json_false());
		rc = 0;
		goto done;
	}
	idx = races_index(r);
	if (races_divisions_at(idx, lon, lat, &set) < 0)
		goto done;
	json_object_set_new(res, "found", json_boolean(json_object_size(set) > 0));
	if (json_object_size(set) == 0 && !json_object_get(res, "notice"))
		json_object_set_new(res, "notice", json_string(
			"That place is outside the areas we have maps for."));
	c = store_races_read_begin(r->db);
	g = 0;
	json_object_foreach_safe(set, it, id, d) {
		json_t *drow = NULL;

		(void)d;
		if ((g = store_division_load(c, id, &drow)) < 0)
			break;
		if (g == 1)
			json_array_append_new(divs, drow);
		if ((g = store_races_in_division(c, id, races_today(now), rows)) < 0)
			break;
		if (json_array_size(rows) > LIMIT_RACES_SHOWN)
			break;
	}
	store_races_read_end(r->db, c);
	if (g < 0)
		goto done;
	while (json_array_size(rows) > LIMIT_RACES_SHOWN)
		json_array_remove(rows, json_array_size(rows) - 1);
	if (races_sort(rows, races_cmp_deadline) < 0 || races_decorate_all(rows, now) < 0)
		goto done;
	rc = 0;
done:
	geo_index_unref(idx);
	json_decref(set);
	json_decref(divs);
	json_decref(rows);
	if (rc == 0)
		*out = res;
	else
		json_decref(res);
	return rc;
}

/* ---- people and races ---- */

struct races_job {
	long long   person_id, race_id, user_id, now;
	const char *source;
	int         tasks_made;
};

/* Checks that the race and the person exist (inside the job). */
static int races_job_check(struct db_conn *c, struct races_job *j, json_t **race)
{
	int rc = store_race_load(c, j->race_id, race);

	if (rc <= 0)
		return rc < 0 ? rc : RACES_NO_SUCH;
	return 0;
}

static int races_interest_job(struct db_conn *c, void *arg)
{
	struct races_job *j = arg;
	json_t *race = NULL, *after;
	int rc;

	rc = races_job_check(c, j, &race);
	json_decref(race);
	if (rc < 0)
		return rc;
	rc = store_person_race_add(c, j->person_id, j->race_id, j->source, j->now);
	if (rc < 0)
		return rc == -2 ? RACES_NO_SUCH : rc;  /* DB_CONSTRAINT: no such person */
	if (rc == 1) {
		after = json_pack("{s:I, s:s}", "race_id", (json_int_t)j->race_id, "source", j->source);
		if (store_audit_append(c, j->user_id, "person.race_interest", "person", j->person_id,
		                       NULL, after) < 0) {
			json_decref(after);
			return -1;
		}
		json_decref(after);
	}
	return rc;
}

int races_interest_add(struct db *db, long long person_id, long long race_id,
                       const char *source, long long user_id)
{
	struct races_job j = { person_id, race_id, user_id, 0, source, 0 };
	int rc;

	j.now = (long long)time(NULL);
	rc = store_races_write(db, races_interest_job, &j);
	if (rc == RACES_NO_SUCH)
		return -2;
	return rc < 0 ? -1 : rc;
}

/* Makes the reminders of a target seat not made before (inside the job). */
static int races_deadline_reminders(struct db_conn *c, struct races_job *j, json_t *race)
{
	long long closes = json_integer_value(json_object_get(race, "filing_closes"));
	long long assignee = 0, due, task_id, send_at;
	const char *office = json_string_value(json_object_get(race, "office"));
	json_t *pipe = NULL, *vars;
	char title[LIMIT_TASK_TITLE + 1], date[40];
	size_t i;
	int rc;

	/* the deadline is the end of the closing day */
	closes += DAY - 1;
	rc = store_pipeline_load(c, j->person_id, &pipe);
	if (rc < 0)
		return rc;
	if (rc == 1)
		assignee = json_integer_value(json_object_get(pipe, "assignee_id"));
	json_decref(pipe);
	for (i = 0; i < sizeof(races_deadline_days) / sizeof(races_deadline_days[0]); i++) {
		due = closes - (long long)races_deadline_days[i] * DAY;
		if (due < j->now)
			continue;  /* already past: a late reminder helps nobody */
		rc = store_deadline_task_claim(c, j->person_id, j->race_id, races_deadline_days[i],
		                               j->now);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;  /* made before */
		task_id = 0;
		if (assignee > 0) {
			snprintf(title, sizeof(title), "Filing for %.120s closes in %d days (%s)",
			         office ? office : "their race", races_deadline_days[i],
			         races_date(closes, date, sizeof(date)));
			rc = store_task_insert(c, j->person_id, assignee, title, due, j->user_id, j->now,
			                       &task_id);
			if (rc < 0)
				return rc;
			j->tasks_made++;
		}
		rc = store_deadline_task_set(c, j->person_id, j->race_id, races_deadline_days[i],
		                             task_id);
		if (rc < 0)
			return rc;
	}
	/* one reminder mail, 14 days before the close or at once if later;
	 * claimed as "0 days before" so it too is sent only once */
	if (closes < j->now)
		return 0;
	rc = store_deadline_task_claim(c, j->person_id, j->race_id, 0, j->now);
	if (rc <= 0)
		return rc;
	send_at = closes - 14 * DAY;
	if (send_at < j->now)
		send_at = j->now;
	vars = json_pack("{s:s?, s:s?, s:s, s:s?, s:s?}", "office", office, "election",
	                 json_string_value(json_object_get(race, "election")),
	                 "close_date", races_date(closes, date, sizeof(date)),
	                 "filing_where", json_string_value(json_object_get(race, "filing_where")),
	                 "filing_how", json_string_value(json_object_get(race, "filing_how")));
	if (!vars)
		return -1;
	rc = store_mail_enqueue(c, "filing_deadline", j->person_id, 0, vars, send_at);
	json_decref(vars);
	if (rc < 0)
		return rc;
	return 0;
}

static int races_target_job(struct db_conn *c, void *arg)
{
	struct races_job *j = arg;
	json_t *race = NULL, *after;
	int rc, changed;

	j->tasks_made = 0;
	rc = races_job_check(c, j, &race);
	if (rc < 0)
		return rc;
	changed = store_person_race_target(c, j->person_id, j->race_id, j->now);
	if (changed < 0) {
		json_decref(race);
		return changed == -2 ? RACES_NO_SUCH : changed;
	}
	rc = races_deadline_reminders(c, j, race);
	json_decref(race);
	if (rc < 0)
		return rc;
	if (changed == 1) {
		after = json_pack("{s:I, s:i}", "target_race_id", (json_int_t)j->race_id,
		                  "tasks_made", j->tasks_made);
		rc = store_audit_append(c, j->user_id, "person.race_target", "person", j->person_id,
		                        NULL, after);
		json_decref(after);
		if (rc < 0)
			return rc;
	}
	return changed;
}

int races_target_set(struct db *db, long long person_id, long long race_id, long long user_id,
                     long long now, int *tasks_made)
{
	struct races_job j = { person_id, race_id, user_id, now, "staff", 0 };
	int rc;

	rc = store_races_write(db, races_target_job, &j);
	*tasks_made = rc >= 0 ? j.tasks_made : 0;
	if (rc == RACES_NO_SUCH)
		return -2;
	return rc < 0 ? -1 : rc;
}

int races_person(struct db *db, long long person_id, long long now, json_t **rows)
{
	struct db_conn *c = store_races_read_begin(db);
	int rc = store_person_races(c, person_id, rows);

	store_races_read_end(db, c);
	if (rc < 0)
		return -1;
	if (races_decorate_all(*rows, now) < 0) {
		json_decref(*rows);
		*rows = NULL;
		return -1;
	}
	return 0;
}

/* ---- coverage ---- */

/* Sets *counts to {division id: people living inside} from the people's
 * ZIP centroids (approximate by design). */
static int races_people_by_division(struct races *r, json_t **counts)
{
	struct geo_index *idx = races_index(r);
	struct db_conn *c;
	json_t *zips = NULL, *z, *set = NULL, *v;
	const char *id;
	size_t i;
	int rc = -1;

	*counts = json_object();
	if (!*counts)
		goto done;
	c = store_races_read_begin(r->db);
	rc = store_zip_people(c, &zips);
	store_races_read_end(r->db, c);
	if (rc < 0) {
		rc = -1;
		goto done;
	}
	rc = -1;
	json_array_foreach(zips, i, z) {
		double lat = (double)json_integer_value(json_object_get(z, "lat_e6")) / 1e6;
		double lon = (double)json_integer_value(json_object_get(z, "lon_e6")) / 1e6;
		long long n = json_integer_value(json_object_get(z, "people"));

		if (races_divisions_at(idx, lon, lat, &set) < 0)
			goto done;
		json_object_foreach(set, id, v) {
			json_int_t had = json_integer_value(json_object_get(*counts, id));

			if (json_object_set_new(*counts, id, json_integer(had + n)) < 0)
				goto done;
		}
		json_decref(set);
		set = NULL;
	}
	rc = 0;
done:
	json_decref(set);
	json_decref(zips);
	geo_index_unref(idx);
	if (rc < 0) {
		json_decref(*counts);
		*counts = NULL;
	}
	return rc;
}

static int races_cmp_coverage(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int ux = json_is_true(json_object_get(x, "uncovered"));
	int uy = json_is_true(json_object_get(y, "uncovered"));
	long long px = json_integer_value(json_object_get(x, "people_inside"));
	long long py = json_integer_value(json_object_get(y, "people_inside"));

	if (ux != uy)
		return uy - ux;
	if (px != py)
		return px > py ? -1 : 1;
	return races_cmp_deadline(a, b);
}

int races_state_valid(const char *s)
{
	return s && strlen(s) == 2 &&
	       ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) &&
	       ((s[1] >= 'a' && s[1] <= 'z') || (s[1] >= 'A' && s[1] <= 'Z'));
}

int races_coverage(struct races *r, const char *state, long long now, json_t **out)
{
	json_t *rows = NULL, *counts = NULL, *row, *past;
	struct db_conn *c;
	size_t i;
	int rc;

	*out = NULL;
	c = store_races_read_begin(r->db);
	rc = store_races_upcoming(c, state, races_today(now), LIMIT_RACES_UPCOMING, &rows);
	store_races_read_end(r->db, c);
	if (rc < 0 || races_people_by_division(r, &counts) < 0)
		goto fail;
	past = json_array();
	if (!past)
		goto fail;
	json_array_foreach(rows, i, row) {
		const char *div = json_string_value(json_object_get(row, "division_id"));
		json_int_t inside = json_integer_value(json_object_get(counts, div ? div : ""));

		json_object_set_new(row, "people_inside", json_integer(inside));
		json_object_set_new(row, "uncovered",
		                    json_boolean(json_integer_value(json_object_get(row, "bench")) == 0));
		if (json_is_true(json_object_get(row, "uncontested_last")))
			json_array_append(past, row);
	}
	if (races_decorate_all(rows, now) < 0 || races_sort(rows, races_cmp_coverage) < 0) {
		json_decref(past);
		goto fail;
	}
	*out = json_pack("{s:o, s:o}", "races", rows, "uncontested_last", past);
	json_decref(counts);
	return *out ? 0 : -1;
fail:
	json_decref(rows);
	json_decref(counts);
	return -1;
}

int races_call_list(struct races *r, long long race_id, long long now, json_t **out)
{
	struct geo_index *idx = NULL;
	struct db_conn *c;
	json_t *race = NULL, *zips = NULL, *people = NULL, *z, *set = NULL, *some;
	const char *div;
	size_t i, k;
	int rc;

	*out = NULL;
	rc = races_load(r->db, race_id, now, &race);
	if (rc <= 0)
		return rc;
	div = json_string_value(json_object_get(race, "division_id"));
	people = json_array();
	idx = races_index(r);
	c = store_races_read_begin(r->db);
	rc = people ? store_zip_people(c, &zips) : -1;
	json_array_foreach(zips, i, z) {
		double lat = (double)json_integer_value(json_object_get(z, "lat_e6")) / 1e6;
		double lon = (double)json_integer_value(json_object_get(z, "lon_e6")) / 1e6;

		if (rc < 0 || json_array_size(people) >= LIMIT_RACES_CALL_LIST)
			break;
		if (races_divisions_at(idx, lon, lat, &set) < 0) {
			rc = -1;
			break;
		}
		if (json_object_get(set, div)) {
			rc = store_people_in_zip(c, json_string_value(json_object_get(z, "zip")),
			                         LIMIT_RACES_CALL_LIST, &some);
			for (k = 0; rc >= 0 && k < json_array_size(some) &&
			            json_array_size(people) < LIMIT_RACES_CALL_LIST; k++)
				json_array_append(people, json_array_get(some, k));
			if (rc >= 0)
				json_decref(some);
		}
		json_decref(set);
		set = NULL;
	}
	store_races_read_end(r->db, c);
	geo_index_unref(idx);
	json_decref(set);
	json_decref(zips);
	if (rc < 0) {
		json_decref(race);
		json_decref(people);
		return -1;
	}
	*out = json_pack("{s:o, s:o}", "race", race, "people", people);
	return *out ? 1 : -1;
}

/* ---- the map ---- */

#define MAP_W 800.0

struct races_map_build {
	json_t             *shapes;
	GEOSContextHandle_t h;
	GEOSWKBReader      *reader;
	GEOSGeometry      **geoms;
	size_t              n, cap;
	double              minx, miny, maxx, maxy;
};

static int races_map_add(const char *id, const char *name, const char *type, const void *wkb,
                         size_t len, void *arg)
{
	struct races_map_build *m = arg;
	GEOSGeometry *g, **grown;
	double x0, y0, x1, y1;

	(void)type;
	g = GEOSWKBReader_read_r(m->h, m->reader, wkb, len);
	if (!g)
		return 0;  /* a bad boundary is left off the map */
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 32;
		grown = realloc(m->geoms, m->cap * sizeof(*grown));
		if (!grown) {
			GEOSGeom_destroy_r(m->h, g);
			return -1;
		}
		m->geoms = grown;
	}
	m->geoms[m->n++] = g;
	GEOSGeom_getXMin_r(m->h, g, &x0);
	GEOSGeom_getYMin_r(m->h, g, &y0);
	GEOSGeom_getXMax_r(m->h, g, &x1);
	GEOSGeom_getYMax_r(m->h, g, &y1);
	if (m->n == 1 || x0 < m->minx) m->minx = x0;
	if (m->n == 1 || y0 < m->miny) m->miny = y0;
	if (m->n == 1 || x1 > m->maxx) m->maxx = x1;
	if (m->n == 1 || y1 > m->maxy) m->maxy = y1;
	return json_array_append_new(m->shapes, json_pack("{s:s, s:s}", "id", id, "name", name));
}

/* Appends a ring's path data (projected) to b. */
static void races_map_ring(GEOSContextHandle_t h, const GEOSGeometry *ring, buf *b,
                           double minx, double maxy, double sx, double sy)
{
	const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
	unsigned int n = 0, i;
	double x, y;

	if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n) || n < 3)
		return;
	for (i = 0; i < n; i++) {
		GEOSCoordSeq_getXY_r(h, cs, i, &x, &y);
		buf_printf(b, "%c%.1f %.1f", i == 0 ? 'M' : 'L', (x - minx) * sx, (maxy - y) * sy);
	}
	buf_addc(b, 'Z');
}

static void races_map_polygon(GEOSContextHandle_t h, const GEOSGeometry *p, buf *b, double minx,
                              double maxy, double sx, double sy)
{
	int k, holes = GEOSGetNumInteriorRings_r(h, p);

	races_map_ring(h, GEOSGetExteriorRing_r(h, p), b, minx, maxy, sx, sy);
	for (k = 0; k < holes; k++)
		races_map_ring(h, GEOSGetInteriorRingN_r(h, p, k), b, minx, maxy, sx, sy);
}

int races_map(struct races *r, const char *state, json_t **out)
{
	struct races_map_build m = { 0 };
	json_t *counts = NULL, *shape, *legend;
	struct db_conn *c;
	double sx, sy, midlat, w, hgt;
	long long most = 1, n;
	size_t i;
	int k, parts, rc = -1;
	buf d;

	*out = NULL;
	m.h = geo_thread_context();
	m.shapes = json_array();
	if (!m.h || !m.shapes)
		goto done;
	m.reader = GEOSWKBReader_create_r(m.h);
	if (!m.reader)
		goto done;
	c = store_races_read_begin(r->db);
	rc = store_boundaries_each(c, state, "county", races_map_add, &m);
	store_races_read_end(r->db, c);
	if (rc < 0) {
		rc = -1;
		goto done;
	}
	if (m.n == 0) {
		rc = 0;
		goto done;
	}
	rc = -1;
	if (races_people_by_division(r, &counts) < 0)
		goto done;
	/* equirectangular, x shrunk by cos(latitude) so the state keeps its shape */
	midlat = (m.miny + m.maxy) / 2 * M_PI / 180;
	w = (m.maxx - m.minx) * cos(midlat);
	hgt = m.maxy - m.miny;
	if (w <= 0 || hgt <= 0)
		goto done;
	sx = MAP_W / (m.maxx - m.minx);
	sy = MAP_W / w;
	json_array_foreach(m.shapes, i, shape) {
		n = json_integer_value(json_object_get(counts, json_string_value(
			json_object_get(shape, "id"))));
		if (n > most)
			most = n;
	}
	buf_init(&d, LIMIT_MAP_SVG);
	json_array_foreach(m.shapes, i, shape) {
		const GEOSGeometry *g = m.geoms[i];

		buf_reset(&d);
		if (GEOSGeomTypeId_r(m.h, g) == GEOS_POLYGON) {
			races_map_polygon(m.h, g, &d, m.minx, m.maxy, sx, sy);
		} else {
			parts = GEOSGetNumGeometries_r(m.h, g);
			for (k = 0; k < parts; k++)
				races_map_polygon(m.h, GEOSGetGeometryN_r(m.h, g, k), &d, m.minx, m.maxy,
				                  sx, sy);
		}
		if (buf_failed(&d)) {
			buf_free(&d);
			goto done;
		}
		n = json_integer_value(json_object_get(counts, json_string_value(
			json_object_get(shape, "id"))));
		json_object_set_new(shape, "d", json_string(buf_str(&d)));
		json_object_set_new(shape, "people", json_integer(n));
		json_object_set_new(shape, "shade", json_integer(n == 0 ? 0 : 1 + (3 * n) / (most + 1)));
	}
	buf_free(&d);
	legend = json_pack("[{s:i, s:s}, {s:i, s:s}, {s:i, s:s}, {s:i, s:s}]",
	                   "shade", 0, "label", "no signups", "shade", 1, "label", "a few",
	                   "shade", 2, "label", "more", "shade", 3, "label", "the most");
	*out = json_pack("{s:s, s:i, s:i, s:O, s:o}", "state", state, "width", (int)MAP_W,
	                 "height", (int)ceil(hgt * sy), "shapes", m.shapes, "legend", legend);
	rc = *out ? 1 : -1;
done:
	for (i = 0; i < m.n; i++)
		GEOSGeom_destroy_r(m.h, m.geoms[i]);
	free(m.geoms);
	if (m.reader)
		GEOSWKBReader_destroy_r(m.h, m.reader);
	json_decref(m.shapes);
	json_decref(counts);
	return rc;
}

/* ---- calendars ---- */

static int races_ical_election(buf *out, json_t *e, const char *code, const char *host,
                               long long now, const char *what)
{
	struct ical_event ev = { 0 };
	char uid[400], summary[400], desc[800];
	const char *name = json_string_value(json_object_get(e, "name"));
	const char *where = json_string_value(json_object_get(e, "filing_where"));
	const char *how = json_string_value(json_object_get(e, "filing_how"));

	snprintf(uid, sizeof(uid), "filing-closes-%s%s@%s", code, what, host);
	snprintf(summary, sizeof(summary), "Filing closes: %s", name ? name : "");
	snprintf(desc, sizeof(desc), "Last day to file as a candidate.%s%s%s%s",
	         where ? "\nWhere: " : "", where ? where : "", how ? "\nHow: " : "", how ? how : "");
	ev.uid = uid;
	ev.day = json_integer_value(json_object_get(e, "filing_closes"));
	ev.summary = summary;
	ev.description = desc;
	ev.location = where;
	ical_event(out, &ev, now);
	snprintf(uid, sizeof(uid), "election-day-%s%s@%s", code, what, host);
	snprintf(summary, sizeof(summary), "Election day: %s", name ? name : "");
	ev.uid = uid;
	ev.day = json_integer_value(json_object_get(e, "election_day"));
	ev.summary = summary;
	ev.description = NULL;
	ev.location = NULL;
	return ical_event(out, &ev, now);
}

int races_ical_state(struct db *db, const char *state, long long now, const char *host,
                     buf *out)
{
	json_t *rows = NULL, *e;
	struct db_conn *c;
	char name[80], st[3];
	size_t i;
	int rc;

	st[0] = (char)(state[0] | 0x20);
	st[1] = (char)(state[1] | 0x20);
	st[2] = '\0';
	c = store_races_read_begin(db);
	rc = store_elections_upcoming(c, st, races_today(now), LIMIT_RACES_UPCOMING, &rows);
	store_races_read_end(db, c);
	if (rc < 0)
		return -1;
	snprintf(name, sizeof(name), "Filing deadlines and elections (%c%c)", st[0] & ~0x20,
	         st[1] & ~0x20);
	ical_begin(out, "-//Onramp//Race finder//EN", name);
	json_array_foreach(rows, i, e)
		races_ical_election(out, e, json_string_value(json_object_get(e, "code")), host, now, "");
	ical_end(out);
	json_decref(rows);
	return buf_failed(out) ? -1 : 0;
}

int races_ical_person(struct db *db, long long person_id, long long now, const char *host,
                      buf *out)
{
	json_t *rows = NULL, *row;
	char what[64];
	size_t i;
	int rc;

	if (races_person(db, person_id, now, &rows) < 0)
		return -1;
	ical_begin(out, "-//Onramp//Race finder//EN", "Races: filing deadlines");
	json_array_foreach(rows, i, row) {
		json_t *e = json_pack("{s:s?, s:I, s:I, s:s?, s:s?}",
		                      "name", json_string_value(json_object_get(row, "office")),
		                      "filing_closes", json_integer_value(json_object_get(row, "filing_closes")),
		                      "election_day", json_integer_value(json_object_get(row, "election_day")),
		                      "filing_where", json_string_value(json_object_get(row, "filing_where")),
		                      "filing_how", json_string_value(json_object_get(row, "filing_how")));
		char code[64];

		if (!e)
			continue;
		snprintf(code, sizeof(code), "race-%lld",
		         (long long)json_integer_value(json_object_get(row, "id")));
		snprintf(what, sizeof(what), "-person-%lld", person_id);
		races_ical_election(out, e, code, host, now, what);
		json_decref(e);
	}
	ical_end(out);
	rc = json_array_size(rows) ? 0 : 1;
	json_decref(rows);
	return buf_failed(out) ? -1 : rc;
}
