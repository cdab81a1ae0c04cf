/*
 * page_rejected.c — a rejected lead, fixed and replayed by staff: GET
 * /staff/rejected/{id} and POST /staff/rejected/{id}/replay.
 *
 * A lead that failed validation was stored whole (sealed) with its errors.
 * The page shows each one-line person field with what was sent and the
 * message at each bad one; staff correct them and replay the lead through
 * the same path as a post (validation, dedupe, counters). Choice answers,
 * consents, demographics and custom fields are carried over unchanged and
 * never shown here (demographics stay sealed). A replay that is still
 * invalid re-shows the page with the new messages (422).
 * Threading: reentrant.
 */
#include <stdlib.h>
#include <string.h>

#include "domain/intake.h"
#include "domain/person.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

/* The fields staff may correct here: one value, not sensitive. */
static int rejected_editable(const struct person_field *f)
{
	return !f->sensitive && f->kind != PF_MULTI && f->kind != PF_CONSENT;
}

/* [{name, label, value, error?}] of the editable fields. */
static json_t *rejected_fields(json_t *input, json_t *errors)
{
	const struct person_field *f;
	json_t *arr = json_array(), *entry, *v, *e;

	for (f = person_fields; arr && f->name; f++) {
		if (!rejected_editable(f))
			continue;
		v = json_object_get(input, f->name);
		e = json_object_get(errors, f->name);
		entry = json_pack("{s:s, s:s, s:s}", "name", f->name, "label", f->label, "value",
		                  json_is_string(v) ? json_string_value(v) : "");
		if (entry && json_is_string(e))
			json_object_set(entry, "error", e);
		if (entry == NULL || json_array_append_new(arr, entry) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* [{name, value}] of the custom fields, values as compact JSON text. */
static json_t *rejected_custom(json_t *custom)
{
	json_t *arr = json_array(), *v;
	const char *key;
	char *text;

	json_object_foreach(custom, key, v) {
		text = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:s}", "name", key, "value",
			                                     text ? text : json_string_value(v) ? json_string_value(v) : ""));
		free(text);
	}
	return arr;
}

static int rejected_render(struct request *req, struct response *res, int status, long long id,
                           json_t *typed, json_t *errors)
{
	json_t *lead = NULL, *ctx, *input;
	const char *d;
	int rc;

	rc = intake_rejected_get(req->app->db, req->app->keys, id, 0, &lead);
	if (rc == 1)
		return render_error(req, res, 404, "There is no such rejected lead.");
	if (rc < 0) {
		log_error("rejected: loading %lld failed", id);
		return render_error(req, res, 503, "We couldn't load this lead just now. Reload the page in a minute.");
	}
	input = json_object_get(lead, "input");
	if (typed)
		json_object_update(input, typed);
	d = web_format_time(req, json_integer_value(json_object_get(lead, "received_at")), 1);
	ctx = json_pack("{s:I, s:I, s:s, s:b, s:O, s:o, s:o, s:b}", "id", (json_int_t)id, "form_id",
	                json_integer_value(json_object_get(lead, "form_id")), "received", d ? d : "",
	                "open", strcmp(json_string_value(json_object_get(lead, "status")) ?: "", "open") == 0,
	                "person_id", json_object_get(lead, "person_id") ? json_object_get(lead, "person_id") : json_null(),
	                "fields", rejected_fields(input, errors ? errors : json_object_get(lead, "errors")),
	                "custom", rejected_custom(json_object_get(lead, "custom")), "nav_forms", 1);
	json_decref(lead);
	return render_page(req, res, status, "rejected", ctx);
}

int page_rejected_show(struct request *req, struct response *res)
{
	long long id;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such rejected lead.");
	return rejected_render(req, res, 200, id, NULL, NULL);
}

int page_rejected_replay(struct request *req, struct response *res)
{
	const struct person_field *f;
	struct intake_result r;
	json_t *fixes;
	const char *v;
	long long id;
	int rc;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such rejected lead.");
	fixes = json_object();
	for (f = person_fields; fixes && f->name; f++) {
		if (!rejected_editable(f) || (v = http_param_get(&req->form, f->name)) == NULL)
			continue;
		json_object_set_new(fixes, f->name, json_string(v));
	}
	if (fixes == NULL)
		return render_error(req, res, 500, "Something went wrong on our side. Please try again.");
	rc = intake_rejected_replay(req->app->db, req->app->keys, web_user(req), id, fixes, &r);
	if (rc == 2) {
		rc = rejected_render(req, res, 422, id, fixes, r.errors);
	} else if (rc == 1) {
		rc = render_error(req, res, 404, "This lead was already replayed, or doesn't exist.");
	} else if (rc < 0) {
		log_error("rejected: replaying %lld failed", id);
		rc = render_error(req, res, 503, "We couldn't replay the lead just now. Nothing was changed: try again in a minute.");
	} else {
		http_redirect(res, 303, arena_printf(&req->arena, "/staff/people/%lld", r.person_id));
		rc = 0;
	}
	json_decref(r.errors);
	json_decref(fixes);
	return rc;
}
