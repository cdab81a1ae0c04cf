/*
 * page_signup.c — GET/POST /signup and GET /signup/thanks: the public form
 * where someone says they want to run.
 *
 * The most used page, mostly on phones, and it must work with JavaScript
 * off. Its one promise: nothing typed is lost. Errors (422), the per-IP limit
 * (429) and a database failure (503) all re-show the form with every answer
 * kept, a summary of what to fix at the top and a message at each bad field.
 * A filled honeypot ("website", invisible to people) is answered exactly
 * like a success but held for review, so bots learn nothing.
 *
 * The form's fields come from the person field table (domain/person.h), so a
 * new field is a row there plus its markup in templates/signup.mustache.
 * Threading: reentrant; the rate limiter locks internally.
 */
#include <stdio.h>
#include <string.h>

#include "domain/keys.h"
#include "domain/nominations.h"
#include "domain/people.h"
#include "domain/person.h"
#include "domain/races.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/public_form.h"
#include "web/render.h"
#include "web/routes.h"

#define SIGNUP_HONEYPOT "website"
/* The accept token of a nomination (domain/nominations.h), carried from
 * /signup?nomination=… in a hidden field. */
#define SIGNUP_NOMINATION "nomination"
#define SIGNUP_NOMINATION_MAX 64

/* Choice fields the template shows as a <select> rather than a group of
 * radios, so their error link targets the select itself. */
static const char *const signup_select_fields[] = { "age_range", NULL };

static int signup_is_select(const char *name)
{
	size_t i;

	for (i = 0; signup_select_fields[i]; i++)
		if (strcmp(signup_select_fields[i], name) == 0)
			return 1;
	return 0;
}

/* The id the error summary links to: the field's input, or the first box
 * of a checkbox/radio group ("f-NAME-CODE"). */
static const char *signup_anchor(struct request *req, const struct person_field *f)
{
	if ((f->kind == PF_MULTI || f->kind == PF_CHOICE) && f->choices && f->choices[0].code &&
	    !signup_is_select(f->name))
		return arena_printf(&req->arena, "f-%s-%s", f->name, f->choices[0].code);
	return arena_printf(&req->arena, "f-%s", f->name);
}

/* A hidden tracking value (source, ref) if it is short enough to keep. */
static const char *signup_tag(const struct http_params *p, const char *name)
{
	return public_form_tag(p, name);
}

/* The nomination token, if one of a plausible length was given. */
static const char *signup_nomination(const struct http_params *p)
{
	const char *v = http_param_get(p, SIGNUP_NOMINATION);

	if (!v || !*v || strlen(v) > SIGNUP_NOMINATION_MAX)
		return NULL;
	return v;
}

/* The answers as typed, as person_validate() takes them: strings, arrays
 * for multi-choice groups, "1"/"" for consents. NULL when out of memory. */
static json_t *signup_input(const struct request *req)
{
	const struct person_field *f;
	const char *vals[LIMIT_LIST_ITEMS];
	json_t *in = json_object(), *arr;
	size_t n, i;
	int rc = 0;

	if (!in)
		return NULL;
	for (f = person_fields; f->name; f++) {
		if (f->kind == PF_MULTI) {
			n = http_param_get_all(&req->form, f->name, vals, LIMIT_LIST_ITEMS);
			if (n == 0)
				continue;
			arr = json_array();
			for (i = 0; arr && i < n; i++)
				rc |= json_array_append_new(arr, json_string(vals[i]));
			rc |= json_object_set_new(in, f->name, arr);
		} else if (f->kind == PF_CONSENT) {
			const char *v = http_param_get(&req->form, f->name);

			rc |= json_object_set_new(in, f->name, json_string(v && *v ? "1" : ""));
		} else {
			const char *v = http_param_get(&req->form, f->name);

			if (v)
				rc |= json_object_set_new(in, f->name, json_string(v));
		}
	}
	if (rc) {
		json_decref(in);
		return NULL;
	}
	return in;
}

/* The race a visitor came from the race finder with (?race=ID on the
 * form, the hidden field "race" on the post), or 0. */
static long long signup_race(const struct request *req)
{
	const char *v = http_param_get(req->method == HTTP_POST ? &req->form : &req->query, "race");
	long long id;

	return v && web_parse_id(v, &id) == 0 ? id : 0;
}

/* Renders the form: values as typed (NULL for empty), errors from
 * person_validate (NULL for none), alert a message for the whole form. */
static int signup_show(struct request *req, struct response *res, int status, json_t *values,
                       json_t *errors, const char *alert, const char *source, const char *ref)
{
	const char *nomination = signup_nomination(req->method == HTTP_POST ? &req->form : &req->query);
	const struct person_field *f;
	json_t *ctx, *list, *msg, *fields, *entry;
	int rc = 0;

	ctx = person_form_model(values, errors);
	if (!ctx)
		return render_page(req, res, 500, "signup", NULL);
	fields = json_object_get(ctx, "fields");
	list = json_array();
	rc |= list == NULL;
	for (f = person_fields; f->name && list; f++) {
		entry = json_object_get(fields, f->name);
		if (entry)
			rc |= json_object_set_new(entry, "anchor", json_string(signup_anchor(req, f)));
		msg = errors ? json_object_get(errors, f->name) : NULL;
		if (!json_is_string(msg))
			continue;
		rc |= json_array_append_new(list, json_pack("{s:s, s:s, s:O}", "anchor",
		                            signup_anchor(req, f), "label", f->label, "message", msg));
	}
	if (list && json_array_size(list) > 0)
		rc |= json_object_set_new(ctx, "has_errors", json_true());
	rc |= json_object_set_new(ctx, "error_list", list ? list : json_array());
	if (alert)
		rc |= json_object_set_new(ctx, "alert", json_string(alert));
	if (source)
		rc |= json_object_set_new(ctx, "source", json_string(source));
	if (ref)
		rc |= json_object_set_new(ctx, "ref", json_string(ref));
	if (nomination)
		rc |= json_object_set_new(ctx, "nomination", json_string(nomination));
	if (signup_race(req) > 0)  /* from the race finder's "I'm interested" */
		rc |= json_object_set_new(ctx, "race", json_integer(signup_race(req)));
	if (rc) {
		json_decref(ctx);
		return render_page(req, res, 500, "signup", NULL);
	}
	return render_page(req, res, status, "signup", ctx);
}

int page_signup_form(struct request *req, struct response *res)
{
	const char *nomination = signup_nomination(&req->query);
	json_t *values = NULL;
	int rc;

	/* An invitation's link: the form starts with what the nominator told
	 * us. A used or unknown token shows the plain form. */
	if (nomination && nomination_prefill(req->app->db, nomination, &values) < 0)
		log_error("signup: reading a nomination failed");
	rc = signup_show(req, res, 200, values, NULL, NULL, signup_tag(&req->query, "source"),
	                 signup_tag(&req->query, "ref"));
	json_decref(values);
	return rc;
}

int page_signup_thanks(struct request *req, struct response *res)
{
	return render_page(req, res, 200, "thanks", NULL);
}

int page_signup_submit(struct request *req, struct response *res)
{
	struct app *app = req->app;
	struct signup_meta meta = { 0 };
	struct signup_result result;
	json_t *input, *person = NULL, *errors = NULL;
	struct nomination_accept accept;
	const char *honeypot, *nomination;
	int rc;

	meta.source = signup_tag(&req->form, "source");
	meta.ref = signup_tag(&req->form, "ref");
	meta.kind = "signup";
	meta.ip_hash = public_form_ip_hash(req);
	meta.send_mail = 1;

	input = signup_input(req);
	if (!input) {
		log_error("signup: out of memory reading the form");
		http_error(res, 500, "Something went wrong on our side. Please go back and send the form again.");
		return 0;
	}

	/* Counted before anything else, honeypot included, so a flood cannot
	 * fill the held submissions either. */
	if (public_form_limit(req, res) > 0) {
		rc = signup_show(req, res, 429, input, NULL,
		                 "Too many signups came from your connection just now. Wait a minute, then send the form again — your answers are still here.",
		                 meta.source, meta.ref);
		goto done;
	}

	honeypot = http_param_get(&req->form, SIGNUP_HONEYPOT);
	if (honeypot && *honeypot) {
		json_object_set_new(input, SIGNUP_HONEYPOT, json_string(honeypot));
		if (people_hold(app->db, app->keys, input, &meta, "honeypot") < 0)
			log_error("signup: holding a honeypot submission failed");
		http_redirect(res, 303, "/signup/thanks");
		rc = 0;
		goto done;
	}

	if (person_validate(input, &person, &errors) < 0) {
		if (!errors) {
			log_error("signup: out of memory validating");
			rc = signup_show(req, res, 500, input, NULL,
			                 "Something went wrong on our side. Please send the form again.",
			                 meta.source, meta.ref);
			goto done;
		}
		rc = signup_show(req, res, 422, input, errors, NULL, meta.source, meta.ref);
		goto done;
	}

	/* Accepting a nomination: the signup merges into the nominee's record
	 * (domain/nominations.h). A used or unknown token is a plain signup. */
	nomination = signup_nomination(&req->form);
	if (nomination && nomination_accept_prepare(app->db, nomination, person, &accept) == 0)
		meta.hook = &accept.hook;

	if (people_signup(app->db, app->keys, person, input, &meta, &result) < 0) {
		log_error("signup: saving failed");
		rc = signup_show(req, res, 503, input, NULL,
		                 "We couldn't save your answers just now. They are still below: please send the form again in a minute.",
		                 meta.source, meta.ref);
		goto done;
	}
	log_info("signup: submission %lld (person %lld, %s)", result.submission_id, result.person_id,
	         result.outcome == SIGNUP_NEW ? "new" : result.outcome == SIGNUP_MERGED ? "merged" : "flagged");
	if (signup_race(req) > 0 &&
	    races_interest_add(app->db, result.person_id, signup_race(req), "signup", 0) < 0)
		log_warn("signup: race %lld not recorded for person %lld", signup_race(req),
		         result.person_id);
	http_redirect(res, 303, "/signup/thanks");
	rc = 0;
done:
	json_decref(person);
	json_decref(errors);
	json_decref(input);
	return rc;
}
