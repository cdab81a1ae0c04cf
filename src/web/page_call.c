/*
 * page_call.c — the call sheet: GET /staff/people/{id}/call shows what a
 * volunteer needs during a call (contact, answers, stage, tasks, tags,
 * history) next to the call form; POST …/calls logs a call; POST …/stage
 * moves the person; POST …/assign assigns them (PERM_PIPELINE_MANAGE);
 * POST …/tags adds or removes a tag.
 *
 * Object-level access: without PERM_PEOPLE_READ_ALL a user may open and
 * change only the people assigned to them (pipeline_may_open), checked on
 * the server by every handler here before anything is read or written.
 * A refused call keeps everything typed and says what to fix (422).
 * Threading: reentrant.
 */
#include <string.h>

#include "domain/auth.h"
#include "domain/people.h"
#include "domain/person.h"
#include "domain/pipeline.h"
#include "domain/roles.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

/* Answers 404/403/503 unless the viewer may open person id. Returns 1 when
 * the handler may go on, 0 when a response was rendered. */
static int call_access(struct request *req, struct response *res, long long *id)
{
	int rc;

	if (web_path_id(req, 0, id) < 0) {
		render_error(req, res, 404, "There is no person with that number.");
		return 0;
	}
	rc = pipeline_may_open(req->app->db, web_user(req), *id);
	if (rc < 0) {
		render_error(req, res, 503, "We couldn't check your access just now. Reload the page in a minute.");
		return 0;
	}
	if (rc == 0) {
		render_error(req, res, 403, "This person is not assigned to you. Ask staff if you should call them.");
		return 0;
	}
	return 1;
}

/* [{code, label, selected}] of a choice list; selected when in chosen. */
static json_t *call_options(const struct pipeline_choice *list, const char *const *chosen,
                            size_t nchosen)
{
	json_t *out = json_array();
	size_t i;
	int sel;

	for (; out && list->code; list++) {
		sel = 0;
		for (i = 0; i < nchosen; i++)
			sel |= chosen[i] && strcmp(chosen[i], list->code) == 0;
		json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "code", list->code,
		                                     "label", list->label, "selected", sel));
	}
	return out;
}

/* The stages as options, selected = the one with id selected. */
static json_t *call_stage_options(json_t *stages, long long selected)
{
	json_t *out = json_array(), *st;
	size_t i;

	json_array_foreach(stages, i, st) {
		long long id = json_integer_value(json_object_get(st, "id"));

		if (!json_is_true(json_object_get(st, "active")))
			continue;
		json_array_append_new(out, json_pack("{s:I, s:O, s:b}", "id", (json_int_t)id,
		                                     "label", json_object_get(st, "label"),
		                                     "selected", id == selected));
	}
	return out;
}

/* Labels of a person's multi-choice answers, e.g. office_interests. */
static json_t *call_choice_labels(json_t *person, const char *field)
{
	const struct person_field *f = person_field_find(field);
	json_t *out = json_array(), *v;
	const char *label;
	size_t i;

	json_array_foreach(json_object_get(person, field), i, v) {
		label = f ? person_choice_label(f, json_string_value(v)) : NULL;
		if (out && label)
			json_array_append_new(out, json_string(label));
	}
	return out;
}

static void call_time(struct request *req, json_t *obj, const char *from, const char *to, int with_time)
{
	long long t = json_integer_value(json_object_get(obj, from));
	const char *s;

	if (t > 0 && (s = web_format_time(req, t, with_time)) != NULL)
		json_object_set_new(obj, to, json_string(s));
}

/* Renders the call sheet; form (borrowed, may be NULL) re-shows a refused
 * call's answers with error. */
static int call_render(struct request *req, struct response *res, long long id, int status,
                       const struct pipeline_call_input *form, const char *error)
{
	const struct person_field *offices = person_field_find("office_interests");
	const struct person_choice *pc;
	json_t *person = NULL, *pl = NULL, *stages = NULL, *ctx, *place, *list, *item, *opts;
	const char *chosen[1], *name, *last;
	long long stage = 0;
	size_t i;
	int rc;

	rc = people_get(req->app->db, req->app->keys, web_user(req), id, &person);
	if (rc == 1)
		return render_error(req, res, 404, "There is no person with that number. They may have been merged into another record.");
	if (rc < 0 || pipeline_person(req->app->db, id, &pl) != PIPELINE_OK ||
	    pipeline_stages(req->app->db, &stages) < 0) {
		json_decref(person);
		json_decref(pl);
		log_error("call: loading %lld failed", id);
		return render_error(req, res, 503, "We couldn't load this person just now. Reload the page in a minute.");
	}
	ctx = json_object();
	if (!ctx)
		goto fail;
	name = json_string_value(json_object_get(person, "preferred_name"));
	json_object_set_new(ctx, "person_id", json_integer(id));
	if (!name || !*name)
		name = json_string_value(json_object_get(person, "first_name"));
	last = json_string_value(json_object_get(person, "last_name"));
	json_object_set_new(ctx, "name", json_sprintf("%s %s", name ? name : "", last ? last : ""));
	json_object_set(ctx, "emails", json_object_get(person, "emails"));
	json_object_set(ctx, "phones", json_object_get(person, "phones"));
	json_object_set(ctx, "city", json_object_get(person, "city"));
	json_object_set(ctx, "state", json_object_get(person, "state"));
	json_object_set(ctx, "why_run", json_object_get(person, "why_run"));
	json_object_set_new(ctx, "offices", call_choice_labels(person, "office_interests"));
	json_object_set_new(ctx, "helps", call_choice_labels(person, "help_wanted"));
	call_time(req, person, "created_at", "created", 0);
	json_object_set(ctx, "created", json_object_get(person, "created"));

	place = json_object_get(pl, "place");
	if (json_is_object(place)) {
		stage = json_integer_value(json_object_get(place, "stage_id"));
		call_time(req, place, "stage_since", "since", 0);
		call_time(req, place, "first_call_at", "first_call", 1);
		call_time(req, place, "last_call_at", "last_call", 1);
		json_object_set(ctx, "place", place);
	}
	list = json_object_get(pl, "history");
	json_array_foreach(list, i, item)
		call_time(req, item, "at", "when", 1);
	json_object_set(ctx, "history", list);
	list = json_object_get(pl, "calls");
	json_array_foreach(list, i, item) {
		const char *code;
		json_t *needs;

		call_time(req, item, "at", "when", 1);
		code = json_string_value(json_object_get(item, "outcome"));
		json_object_set_new(item, "outcome_label",
		                    json_string(pipeline_choice_label(pipeline_outcomes, code) ?
		                                pipeline_choice_label(pipeline_outcomes, code) : ""));
		code = json_string_value(json_object_get(item, "timeline"));
		if (pipeline_choice_label(pipeline_timelines, code))
			json_object_set_new(item, "timeline_label",
			                    json_string(pipeline_choice_label(pipeline_timelines, code)));
		code = json_string_value(json_object_get(item, "office"));
		if (offices && code && person_choice_label(offices, code))
			json_object_set_new(item, "office_label", json_string(person_choice_label(offices, code)));
		needs = json_object_get(item, "needs");
		if (json_is_string(needs)) {
			const char *p = json_string_value(needs);
			json_t *labels = json_array();

			while (labels && *p) {
				size_t n = strcspn(p, " ");
				const struct pipeline_choice *nc;

				for (nc = pipeline_needs; nc->code; nc++)
					if (strlen(nc->code) == n && strncmp(nc->code, p, n) == 0)
						json_array_append_new(labels, json_string(nc->label));
				p += n;
				while (*p == ' ')
					p++;
			}
			json_object_set_new(item, "need_labels", labels);
		}
	}
	json_object_set(ctx, "calls", list);
	list = json_object_get(pl, "tasks");
	json_array_foreach(list, i, item) {
		call_time(req, item, "due_at", "due", 0);
		json_object_set_new(item, "done", json_boolean(json_integer_value(json_object_get(item, "done_at")) > 0));
	}
	json_object_set(ctx, "tasks", list);
	json_object_set(ctx, "tags", json_object_get(pl, "tags"));

	/* The call form, with a refused call's answers kept. */
	chosen[0] = form ? form->outcome : NULL;
	json_object_set_new(ctx, "outcomes", call_options(pipeline_outcomes, chosen, 1));
	chosen[0] = form ? form->timeline : NULL;
	json_object_set_new(ctx, "timelines", call_options(pipeline_timelines, chosen, 1));
	json_object_set_new(ctx, "needs", call_options(pipeline_needs, form ? form->needs : NULL,
	                                               form ? form->n_needs : 0));
	opts = json_array();
	for (pc = offices ? offices->choices : NULL; opts && pc && pc->code; pc++)
		json_array_append_new(opts, json_pack("{s:s, s:s, s:b}", "code", pc->code, "label", pc->label,
		                      "selected", form && form->office && strcmp(form->office, pc->code) == 0));
	json_object_set_new(ctx, "office_options", opts);
	opts = json_array();
	for (i = 1; opts && i <= 5; i++) {
		char v[2] = { (char)('0' + i), '\0' };

		json_array_append_new(opts, json_pack("{s:s, s:b}", "value", v, "selected",
		                      form && form->readiness && strcmp(form->readiness, v) == 0));
	}
	json_object_set_new(ctx, "readiness", opts);
	{
		long long next = 0;

		if (form && form->next_stage && web_parse_id(form->next_stage, &next) < 0)
			next = 0;
		json_object_set_new(ctx, "next_stages", call_stage_options(stages, next));
	}
	json_object_set_new(ctx, "stages", call_stage_options(stages, stage));
	if (form) {
		json_object_set_new(ctx, "form", json_pack("{s:s, s:s, s:s}",
		                    "notes", form->notes ? form->notes : "",
		                    "task_title", form->task_title ? form->task_title : "",
		                    "task_due", form->task_due ? form->task_due : ""));
	}
	if (error)
		json_object_set_new(ctx, "call_error", json_string(error));
	if (web_can(req, PERM_PIPELINE_MANAGE)) {
		json_t *vols = NULL, *v;

		if (pipeline_volunteers(req->app->db, &vols) == 0) {
			long long assignee = json_integer_value(json_object_get(place, "assignee_id"));

			json_array_foreach(vols, i, v)
				json_object_set_new(v, "selected", json_boolean(
					json_integer_value(json_object_get(v, "id")) == assignee));
			json_object_set_new(ctx, "volunteers", vols);
		}
		json_object_set_new(ctx, "can_manage", json_true());
	}
	json_object_set_new(ctx, "nav_calls", json_true());
	json_decref(person);
	json_decref(pl);
	json_decref(stages);
	return render_page(req, res, status, "call", ctx);
fail:
	json_decref(person);
	json_decref(pl);
	json_decref(stages);
	return render_error(req, res, 500, "Something went wrong on our side. Reload the page.");
}

int page_call_show(struct request *req, struct response *res)
{
	long long id;

	if (!call_access(req, res, &id))
		return 0;
	return call_render(req, res, id, 200, NULL, NULL);
}

static void call_back(struct request *req, struct response *res, long long id)
{
	const char *loc = arena_printf(&req->arena, "/staff/people/%lld/call", id);

	if (!loc) {
		http_error(res, 500, "Something went wrong on our side.");
		return;
	}
	http_redirect(res, 303, loc);
}

int page_call_log(struct request *req, struct response *res)
{
	struct pipeline_call_input in;
	const char *problem = NULL;
	long long id, call_id;
	int rc;

	if (!call_access(req, res, &id))
		return 0;
	memset(&in, 0, sizeof(in));
	in.outcome = http_param_get(&req->form, "outcome");
	in.office = http_param_get(&req->form, "office");
	in.timeline = http_param_get(&req->form, "timeline");
	in.readiness = http_param_get(&req->form, "readiness");
	in.n_needs = http_param_get_all(&req->form, "needs", in.needs,
	                                sizeof(in.needs) / sizeof(in.needs[0]));
	in.notes = http_param_get(&req->form, "notes");
	in.next_stage = http_param_get(&req->form, "next_stage");
	in.task_title = http_param_get(&req->form, "task_title");
	in.task_due = http_param_get(&req->form, "task_due");
	rc = pipeline_call_log(req->app->db, web_user(req), id, &in, &problem, &call_id);
	if (rc == PIPELINE_INVALID)
		return call_render(req, res, id, 422, &in, problem);
	if (rc == PIPELINE_NOT_FOUND)
		return render_error(req, res, 404, "There is no person with that number.");
	if (rc != PIPELINE_OK)
		return call_render(req, res, id, 503, &in, "We couldn't save the call just now. Your notes are still below: try again in a minute.");
	call_back(req, res, id);
	return 0;
}

int page_person_stage(struct request *req, struct response *res)
{
	const char *problem = NULL;
	long long id, stage;
	int rc;

	if (!call_access(req, res, &id))
		return 0;
	if (web_parse_id(http_param_get(&req->form, "stage"), &stage) < 0)
		return render_error(req, res, 422, "Choose a stage from the list.");
	rc = pipeline_move(req->app->db, web_user(req), id, stage, http_param_get(&req->form, "reason"),
	                   &problem);
	if (rc == PIPELINE_INVALID)
		return render_error(req, res, 422, problem);
	if (rc == PIPELINE_NOT_FOUND)
		return render_error(req, res, 404, "There is no person with that number.");
	if (rc != PIPELINE_OK)
		return render_error(req, res, 503, "We couldn't move this person just now. Nothing was changed: try again in a minute.");
	call_back(req, res, id);
	return 0;
}

int page_person_assign(struct request *req, struct response *res)
{
	const char *problem = NULL, *to = http_param_get(&req->form, "assignee");
	long long id, user = 0;
	int rc;

	if (!call_access(req, res, &id))
		return 0;
	if (to && *to && strcmp(to, "auto") != 0 && web_parse_id(to, &user) < 0)
		return render_error(req, res, 422, "Choose who to assign this person to.");
	rc = pipeline_assign(req->app->db, web_user(req), id, user, &problem);
	if (rc == PIPELINE_INVALID)
		return render_error(req, res, 422, problem);
	if (rc == PIPELINE_NOT_FOUND)
		return render_error(req, res, 404, "There is no person with that number.");
	if (rc != PIPELINE_OK)
		return render_error(req, res, 503, "We couldn't assign this person just now. Nothing was changed: try again in a minute.");
	call_back(req, res, id);
	return 0;
}

int page_person_tag(struct request *req, struct response *res)
{
	const char *problem = NULL, *tag = http_param_get(&req->form, "tag");
	const char *remove = http_param_get(&req->form, "remove");
	long long id;
	int rc;

	if (!call_access(req, res, &id))
		return 0;
	if (remove && *remove)
		rc = pipeline_tag_remove(req->app->db, web_user(req), id, remove);
	else
		rc = pipeline_tag_add(req->app->db, web_user(req), id, tag, &problem);
	if (rc == PIPELINE_INVALID)
		return render_error(req, res, 422, problem);
	if (rc == PIPELINE_NOT_FOUND)
		return render_error(req, res, 404, "There is no person with that number.");
	if (rc != PIPELINE_OK)
		return render_error(req, res, 503, "We couldn't save the tag just now. Try again in a minute.");
	call_back(req, res, id);
	return 0;
}
