/*
 * page_races.c — the race finder's pages.
 *
 * Public: GET /races ("Find races near me": an address or a ZIP in, the
 * offices one could run for out, soonest filing deadline first, with
 * requirements and a countdown; each has an "I'm interested" link that
 * carries the race into the signup form) and GET /races/calendar?state=xx
 * (the state's filing deadlines and election days as iCalendar).
 *
 * Staff: GET /staff/races (uncontested-seat coverage, by state), GET
 * /staff/races/{id} (who to call about this seat), GET /staff/races/map
 * ?state=xx (the coverage map, SVG), GET/POST /staff/people/{id}/races
 * (a person's races of interest and target seat) and GET
 * /staff/people/{id}/calendar (their deadlines as iCalendar).
 *
 * The public page works with JavaScript off: one GET form, results on the
 * same page. Threading: reentrant; the race service is shared and
 * thread-safe.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "domain/auth.h"
#include "domain/normalize.h"
#include "domain/races.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

/* The installation's host (from the public base URL) for iCalendar UIDs. */
static const char *races_host(struct request *req)
{
	const char *b = req->app->cfg ? req->app->cfg->base_url : "", *p = strstr(b, "://");
	size_t n;

	p = p ? p + 3 : b;
	n = strcspn(p, ":/");
	return n ? arena_strndup(&req->arena, p, n) : "onramp";
}

/* A two-letter state from a query value, lowercased into out[3], or NULL. */
static const char *races_state_arg(const char *v, char out[3])
{
	if (!races_state_valid(v))
		return NULL;
	out[0] = (char)(v[0] | 0x20);
	out[1] = (char)(v[1] | 0x20);
	out[2] = '\0';
	return out;
}

int page_races_find(struct request *req, struct response *res)
{
	const char *address = http_param_get(&req->query, "address");
	const char *zip_in = http_param_get(&req->query, "zip");
	struct races_query q = { 0 };
	char zip[LIMIT_ZIP + 1];
	json_t *ctx = json_object(), *found = NULL;
	int searched = 0, status = 200;

	if (!ctx)
		return render_page(req, res, 500, "races", NULL);
	if (address && *address) {
		json_object_set_new(ctx, "address", json_string(address));
		if (strlen(address) > LIMIT_RACES_ADDRESS) {
			json_object_set_new(ctx, "error", json_string(
				"That address is too long. Type just the street, city and state."));
			status = 422;
		} else {
			q.address = address;
			searched = 1;
		}
	}
	if (zip_in && *zip_in) {
		json_object_set_new(ctx, "zip", json_string(zip_in));
		if (normalize_zip(zip_in, zip, sizeof(zip)) < 0) {
			json_object_set_new(ctx, "error", json_string(
				"Enter a ZIP code as five digits, like 19901."));
			status = 422;
		} else {
			q.zip = zip;
			searched = 1;
		}
	}
	if (searched && status == 200) {
		if (races_find(req->app->races, &q, (long long)time(NULL), &found) < 0) {
			log_error("races: lookup failed");
			json_object_set_new(ctx, "error", json_string(
				"We couldn't look up races just now. Please try again in a minute."));
			status = 503;
		} else {
			json_object_set_new(ctx, "result", found);
			json_object_set_new(ctx, "count",
			                    json_integer((json_int_t)json_array_size(
			                            json_object_get(found, "races"))));
			if (json_array_size(json_object_get(found, "races")) > 0)
				json_object_set(ctx, "calendar_state", json_object_get(
					json_array_get(json_object_get(found, "races"), 0), "state"));
			json_object_set_new(ctx, "none", json_boolean(
				json_array_size(json_object_get(found, "races")) == 0));
		}
	}
	json_object_set_new(ctx, "searched", json_boolean(searched));
	return render_page(req, res, status, "races", ctx);
}

/* Sends an iCalendar body. */
static int races_send_ics(struct response *res, buf *cal)
{
	res->content_type = "text/calendar; charset=utf-8";
	if (buf_add(&res->body, cal->data ? cal->data : "", cal->len) < 0) {
		http_error(res, 500, "The calendar is too large.");
		return 0;
	}
	return 0;
}

int page_races_calendar(struct request *req, struct response *res)
{
	char st[3];
	const char *state = races_state_arg(http_param_get(&req->query, "state"), st);
	buf cal;
	int rc;

	if (!state)
		return render_error(req, res, 400, "Add ?state= and a two-letter state code, like ?state=de.");
	buf_init(&cal, LIMIT_PAGE_MAX);
	rc = races_ical_state(req->app->db, state, (long long)time(NULL), races_host(req), &cal);
	if (rc < 0) {
		buf_free(&cal);
		return render_error(req, res, 503, "The calendar is unavailable just now. Try again in a minute.");
	}
	races_send_ics(res, &cal);
	buf_free(&cal);
	res->cache_control = "public, max-age=3600";
	return 0;
}

/* ---- staff ---- */

int page_races_coverage(struct request *req, struct response *res)
{
	char st[3];
	const char *state = races_state_arg(http_param_get(&req->query, "state"), st);
	json_t *ctx, *cov = NULL;

	if (races_coverage(req->app->races, state, (long long)time(NULL), &cov) < 0)
		return render_error(req, res, 503, "Coverage is unavailable just now. Try again in a minute.");
	ctx = json_pack("{s:o, s:b}", "coverage", cov, "nav_races", 1);
	if (ctx && state)
		json_object_set_new(ctx, "state", json_string(state));
	return render_page(req, res, 200, "races_coverage", ctx);
}

int page_races_call_list(struct request *req, struct response *res)
{
	long long id;
	json_t *list = NULL;
	int rc;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such race.");
	rc = races_call_list(req->app->races, id, (long long)time(NULL), &list);
	if (rc < 0)
		return render_error(req, res, 503, "The list is unavailable just now. Try again in a minute.");
	if (rc == 0)
		return render_error(req, res, 404, "There is no such race.");
	json_object_set_new(list, "nav_races", json_true());
	return render_page(req, res, 200, "races_call", list);
}

int page_races_map(struct request *req, struct response *res)
{
	char st[3];
	const char *state = races_state_arg(http_param_get(&req->query, "state"), st);
	json_t *map = NULL;
	int rc;

	if (!state)
		return render_error(req, res, 400, "Add ?state= and a two-letter state code.");
	rc = races_map(req->app->races, state, &map);
	if (rc < 0)
		return render_error(req, res, 503, "The map is unavailable just now.");
	if (rc == 0)
		return render_error(req, res, 404, "There are no county boundaries for that state.");
	rc = render_page(req, res, 200, "races_map", map);
	if (res->status == 200)
		res->content_type = "image/svg+xml; charset=utf-8";
	return rc;
}

int page_person_races(struct request *req, struct response *res)
{
	long long id;
	json_t *rows = NULL, *ctx;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such person.");
	if (races_person(req->app->db, id, (long long)time(NULL), &rows) < 0)
		return render_error(req, res, 503, "Their races are unavailable just now.");
	ctx = json_pack("{s:I, s:o, s:b, s:b}", "person_id", (json_int_t)id, "races", rows,
	                "nav_people", 1, "none", json_array_size(rows) == 0);
	if (ctx && http_param_get(&req->query, "saved"))
		json_object_set_new(ctx, "saved", json_true());
	return render_page(req, res, 200, "races_person", ctx);
}

int page_person_races_save(struct request *req, struct response *res)
{
	const struct staff_user *u = web_user(req);
	const char *race_s = http_param_get(&req->form, "race");
	const char *target = http_param_get(&req->form, "target");
	long long id, race;
	const char *to;
	int rc, tasks = 0;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such person.");
	if (!race_s || web_parse_id(race_s, &race) < 0)
		return render_error(req, res, 422, "Choose a race by its number.");
	if (target && strcmp(target, "1") == 0)
		rc = races_target_set(req->app->db, id, race, u ? u->id : 0, (long long)time(NULL),
		                      &tasks);
	else
		rc = races_interest_add(req->app->db, id, race, "staff", u ? u->id : 0);
	if (rc == -2)
		return render_error(req, res, 422, "There is no such race or person.");
	if (rc < 0)
		return render_error(req, res, 503, "That could not be saved just now. Try again in a minute.");
	to = arena_printf(&req->arena, "/staff/people/%lld/races?saved=1", id);
	if (!to)
		return render_error(req, res, 500, "Something went wrong on our side.");
	http_redirect(res, 303, to);
	return 0;
}

int page_person_calendar(struct request *req, struct response *res)
{
	long long id;
	buf cal;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such person.");
	buf_init(&cal, LIMIT_PAGE_MAX);
	if (races_ical_person(req->app->db, id, (long long)time(NULL), races_host(req), &cal) < 0) {
		buf_free(&cal);
		return render_error(req, res, 503, "The calendar is unavailable just now.");
	}
	races_send_ics(res, &cal);
	buf_free(&cal);
	return 0;
}
