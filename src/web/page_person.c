/*
 * page_person.c — GET /staff/people/{id} (everything about one person),
 * POST …/notes (add a note) and POST …/merge (merge another record into
 * this one).
 *
 * The page is built from people_get()'s json and the person field table:
 * every answer is shown with its field's label and, for choices, the
 * choice's label, so a new field needs no change here. Demographics (the
 * table's sensitive fields) are shown only to viewers with
 * PERM_DEMOGRAPHICS_READ: the domain leaves them out for anyone else, and
 * this page also skips them — section header included — so a mistake in
 * one layer does not leak them. The merge form needs PERM_PEOPLE_MERGE.
 * Threading: reentrant.
 */
#include <string.h>

#include "domain/auth.h"
#include "domain/nominations.h"
#include "domain/people.h"
#include "domain/person.h"
#include "domain/pipeline.h"
#include "domain/roles.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

#define PERSON_ANSWER_MAX (16 * 1024)  /* one shown answer, joined choices included */

/* The shown text of a value of field f, in req->arena, or NULL if empty. */
static const char *person_value_text(struct request *req, const struct person_field *f, json_t *v)
{
	const char *label;
	json_t *item;
	size_t i;
	buf b;
	const char *out;

	switch (f->kind) {
	case PF_CONSENT:
		if (json_is_boolean(v))
			return json_is_true(v) ? "Yes" : "No";
		if (json_is_string(v))
			return json_string_value(v)[0] ? "Yes" : "No";
		return NULL;
	case PF_MULTI:
		if (!json_is_array(v) || json_array_size(v) == 0)
			return NULL;
		buf_init(&b, PERSON_ANSWER_MAX);
		json_array_foreach(v, i, item) {
			if (!json_is_string(item))
				continue;
			label = person_choice_label(f, json_string_value(item));
			if (b.len)
				buf_adds(&b, ", ");
			buf_adds(&b, label ? label : json_string_value(item));
		}
		out = buf_failed(&b) || b.len == 0 ? NULL : arena_strdup(&req->arena, buf_str(&b));
		buf_free(&b);
		return out;
	case PF_CHOICE:
	case PF_STATE:
		if (!json_is_string(v) || !json_string_value(v)[0])
			return NULL;
		label = person_choice_label(f, json_string_value(v));
		if (f->kind == PF_STATE)
			return json_string_value(v);
		return label ? label : json_string_value(v);
	default:
		if (json_is_string(v) && json_string_value(v)[0])
			return json_string_value(v);
		if (json_is_integer(v))
			return arena_printf(&req->arena, "%lld", (long long)json_integer_value(v));
		return NULL;
	}
}

/* [{label, value, long}] of obj's answers, in field-table order: the
 * sensitive fields when sensitive is 1, the others when 0. */
static json_t *person_answers(struct request *req, json_t *obj, int sensitive)
{
	const struct person_field *f;
	json_t *list = json_array();
	const char *text;

	if (!list || !json_is_object(obj))
		return list;
	for (f = person_fields; f->name; f++) {
		if ((f->sensitive != 0) != (sensitive != 0))
			continue;
		text = person_value_text(req, f, json_object_get(obj, f->name));
		if (!text)
			continue;
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "label", f->label, "value", text,
		                                      "long", f->kind == PF_LONG_TEXT));
	}
	return list;
}

/* Sets key to a formatted date of obj[from] (an integer of seconds, or text). */
static void person_time(struct request *req, json_t *obj, const char *from, const char *key)
{
	json_t *v = json_object_get(obj, from);
	const char *s = NULL;

	if (json_is_integer(v))
		s = web_format_time(req, json_integer_value(v), 1);
	else if (json_is_string(v))
		s = json_string_value(v);
	if (s)
		json_object_set_new(obj, key, json_string(s));
}

/* The answers of one submission: its payload (an object, or JSON text). */
static json_t *person_submission_payload(json_t *sub)
{
	static const char *const keys[] = { "answers", "payload", "raw", NULL };
	json_t *v;
	size_t i;

	for (i = 0; keys[i]; i++) {
		v = json_object_get(sub, keys[i]);
		if (json_is_object(v))
			return json_incref(v);
		if (json_is_string(v))
			return json_loads(json_string_value(v), 0, NULL);
	}
	return NULL;
}

static const char *person_display_name(struct request *req, json_t *p)
{
	const char *first = json_string_value(json_object_get(p, "first_name"));
	const char *pref = json_string_value(json_object_get(p, "preferred_name"));
	const char *last = json_string_value(json_object_get(p, "last_name"));

	if (pref && *pref)
		first = pref;
	return arena_printf(&req->arena, "%s%s%s", first ? first : "", first && last ? " " : "",
	                    last ? last : "");
}

/* Builds the page's context from people_get()'s json (consumed). */
static json_t *person_context(struct request *req, long long id, json_t *p)
{
	int can_demo = web_can(req, PERM_DEMOGRAPHICS_READ);
	json_t *ctx, *subs, *sub, *payload, *list, *item, *demo;
	size_t i;

	ctx = json_object();
	if (!ctx)
		goto fail;
	json_object_set_new(ctx, "person_id", json_integer(id));
	json_object_set_new(ctx, "name", json_string(person_display_name(req, p)));
	json_object_set_new(ctx, "emails", json_incref(json_object_get(p, "emails")));
	json_object_set_new(ctx, "phones", json_incref(json_object_get(p, "phones")));
	person_time(req, p, "created_at", "created");
	json_object_set(ctx, "created", json_object_get(p, "created"));
	json_object_set_new(ctx, "answers", person_answers(req, p, 0));

	if (can_demo) {
		demo = json_object_get(p, "demographics");
		list = person_answers(req, json_is_object(demo) ? demo : p, 1);
		if (list && json_array_size(list) > 0) {
			json_object_set_new(ctx, "demographics", list);
			json_object_set_new(ctx, "has_demographics", json_true());
		} else {
			json_decref(list);
		}
	}

	subs = json_array();
	json_array_foreach(json_object_get(p, "submissions"), i, sub) {
		item = json_object();
		if (!item || !subs)
			break;
		person_time(req, sub, "received_at", "received");
		json_object_set(item, "received", json_object_get(sub, "received"));
		json_object_set(item, "kind", json_object_get(sub, "kind"));
		json_object_set(item, "source", json_object_get(sub, "source"));
		json_object_set(item, "ref", json_object_get(sub, "ref"));
		if (!json_object_get(item, "ref"))
			json_object_set(item, "ref", json_object_get(sub, "ref_code"));
		json_object_set(item, "status", json_object_get(sub, "status"));
		payload = person_submission_payload(sub);
		json_object_set_new(item, "answers", person_answers(req, payload, 0));
		if (can_demo) {
			demo = json_object_get(sub, "demographics");
			list = person_answers(req, json_is_object(demo) ? demo : payload, 1);
			if (list && json_array_size(list) > 0)
				json_object_set_new(item, "demographics", list);
			else
				json_decref(list);
		}
		/* Always set, so the template's lookup never falls back to the
		 * person's own demographics. */
		json_object_set_new(item, "has_demographics",
		                    json_boolean(json_object_get(item, "demographics") != NULL));
		json_decref(payload);
		json_array_append_new(subs, item);
	}
	json_object_set_new(ctx, "submissions", subs);

	list = json_object_get(p, "notes");
	json_array_foreach(list, i, item)
		person_time(req, item, "created_at", "created");
	json_object_set(ctx, "notes", list);

	list = json_object_get(p, "flags");
	json_array_foreach(list, i, item)
		person_time(req, item, "created_at", "created");
	json_object_set(ctx, "flags", list);
	if (json_array_size(list) > 0)
		json_object_set_new(ctx, "has_flags", json_true());

	json_object_set_new(ctx, "can_merge", json_boolean(web_can(req, PERM_PEOPLE_MERGE)));
	json_object_set_new(ctx, "can_write", json_boolean(web_can(req, PERM_PEOPLE_WRITE)));
	json_object_set_new(ctx, "nav_people", json_true());
	json_decref(p);
	return ctx;
fail:
	json_decref(p);
	return NULL;
}

/* Renders the person page; note_text/note_error re-show a refused note. */
static int person_render(struct request *req, struct response *res, long long id, int status,
                         const char *note_text, const char *note_error)
{
	json_t *p = NULL, *ctx, *noms = NULL;
	int rc;

	rc = people_get(req->app->db, req->app->keys, web_user(req), id, &p);
	if (rc == 1)
		return render_error(req, res, 404, "There is no person with that number. They may have been merged into another record: search for them on the People page.");
	if (rc < 0) {
		log_error("person: loading %lld failed", id);
		return render_error(req, res, 503, "We couldn't load this person just now. Reload the page in a minute.");
	}
	ctx = person_context(req, id, p);
	if (!ctx)
		return render_error(req, res, 500, "Something went wrong on our side. Reload the page.");
	if (nominations_for_person(req->app->db, id, &noms) == 0 && json_array_size(noms) > 0)
		json_object_set_new(ctx, "nominations", noms);
	else
		json_decref(noms);
	if (note_text)
		json_object_set_new(ctx, "note_text", json_string(note_text));
	if (note_error)
		json_object_set_new(ctx, "note_error", json_string(note_error));
	return render_page(req, res, status, "person", ctx);
}

/* The pipeline's object-level check (h-pipeline): without
 * PERM_PEOPLE_READ_ALL only the people assigned to the viewer. Returns 1
 * to go on, 0 when a refusal was rendered. */
static int person_may_open(struct request *req, struct response *res, long long id)
{
	int rc = pipeline_may_open(req->app->db, web_user(req), id);

	if (rc < 0)
		render_error(req, res, 503, "We couldn't check your access just now. Reload the page in a minute.");
	else if (rc == 0)
		render_error(req, res, 403, "This person is not assigned to you. Ask staff if you should call them.");
	return rc > 0;
}

int page_person_show(struct request *req, struct response *res)
{
	long long id;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no person with that number.");
	if (!person_may_open(req, res, id))
		return 0;
	return person_render(req, res, id, 200, NULL, NULL);
}

static void person_redirect(struct request *req, struct response *res, long long id)
{
	const char *loc = arena_printf(&req->arena, "/staff/people/%lld", id);

	if (!loc) {
		http_error(res, 500, "Something went wrong on our side.");
		return;
	}
	http_redirect(res, 303, loc);
}

int page_person_note(struct request *req, struct response *res)
{
	const char *text = http_param_get(&req->form, "text");
	const char *s, *e;
	long long id;
	int rc;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no person with that number.");
	if (!person_may_open(req, res, id))
		return 0;
	if (!text)
		text = "";
	for (s = text; *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'); e--)
		;
	if (e == s)
		return person_render(req, res, id, 422, text, "Write something in the note before saving it.");
	if ((size_t)(e - s) > LIMIT_LONG_TEXT)
		return person_render(req, res, id, 422, text, "This note is too long: keep it under 5000 characters, or split it in two.");
	text = arena_strndup(&req->arena, s, (size_t)(e - s));
	if (!text)
		return render_error(req, res, 500, "Something went wrong on our side.");
	rc = people_note_add(req->app->db, web_user(req), id, text);
	if (rc == 1)
		return render_error(req, res, 404, "There is no person with that number.");
	if (rc < 0) {
		log_error("person: adding a note to %lld failed", id);
		return person_render(req, res, id, 503, text, "We couldn't save the note just now. It is still below: try again in a minute.");
	}
	person_redirect(req, res, id);
	return 0;
}

int page_person_merge(struct request *req, struct response *res)
{
	long long keep, drop;
	int rc;

	if (web_path_id(req, 0, &keep) < 0)
		return render_error(req, res, 404, "There is no person with that number.");
	if (web_parse_id(http_param_get(&req->form, "other"), &drop) < 0)
		return render_error(req, res, 422, "Say which record to merge into this one (its number).");
	rc = people_merge(req->app->db, req->app->keys, web_user(req), keep, drop);
	if (rc == 1)
		return render_error(req, res, 422, "Those two records can't be merged: one of them no longer exists, or they are the same record. Go back and reload the page.");
	if (rc < 0) {
		log_error("person: merging %lld into %lld failed", drop, keep);
		return render_error(req, res, 503, "We couldn't merge these records just now. Nothing was changed: try again in a minute.");
	}
	person_redirect(req, res, keep);
	return 0;
}
