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

#include <sodium.h>

#include "domain/keys.h"
#include "domain/people.h"
#include "domain/person.h"
#include "http/ratelimit.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

#define SIGNUP_HONEYPOT "website"
#define SIGNUP_IP_HASH_BYTES 16

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
	const char *v = http_param_get(p, name);

	if (!v || !*v || strlen(v) > LIMIT_SOURCE)
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

/* Renders the form: values as typed (NULL for empty), errors from
 * person_validate (NULL for none), alert a message for the whole form. */
static int signup_show(struct request *req, struct response *res, int status, json_t *values,
                       json_t *errors, const char *alert, const char *source, const char *ref)
{
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
	if (rc) {
		json_decref(ctx);
		return render_page(req, res, 500, "signup", NULL);
	}
	return render_page(req, res, status, "signup", ctx);
}

int page_signup_form(struct request *req, struct response *res)
{
	return signup_show(req, res, 200, NULL, NULL, NULL, signup_tag(&req->query, "source"),
	                   signup_tag(&req->query, "ref"));
}

int page_signup_thanks(struct request *req, struct response *res)
{
	return render_page(req, res, 200, "thanks", NULL);
}

/* hex(keyed BLAKE2b(ip)) truncated to 16 bytes: lets staff see that many
 * signups came from one place without storing where. */
static const char *signup_ip_hash(struct request *req)
{
	unsigned char h[SIGNUP_IP_HASH_BYTES];
	char hex[SIGNUP_IP_HASH_BYTES * 2 + 1];
	const char *ip = req->client_ip ? req->client_ip : "";

	if (crypto_generichash(h, sizeof(h), (const unsigned char *)ip, strlen(ip),
	                       req->app->keys->ip_hash, sizeof(req->app->keys->ip_hash)) != 0)
		return NULL;
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	return arena_strdup(&req->arena, hex);
}

int page_signup_submit(struct request *req, struct response *res)
{
	struct app *app = req->app;
	struct signup_meta meta = { 0 };
	struct signup_result result;
	json_t *input, *person = NULL, *errors = NULL;
	const char *honeypot, *retry;
	unsigned wait;
	int rc;

	meta.source = signup_tag(&req->form, "source");
	meta.ref = signup_tag(&req->form, "ref");
	meta.kind = "signup";
	meta.ip_hash = signup_ip_hash(req);

	input = signup_input(req);
	if (!input) {
		log_error("signup: out of memory reading the form");
		http_error(res, 500, "Something went wrong on our side. Please go back and send the form again.");
		return 0;
	}

	/* Counted before anything else, honeypot included, so a flood cannot
	 * fill the held submissions either. */
	if (app->signup_limit && req->client_ip &&
	    (wait = ratelimit_hit(app->signup_limit, req->client_ip)) > 0) {
		retry = arena_printf(&req->arena, "%u", wait);
		if (retry)
			http_add_header(res, "Retry-After", retry);
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

	if (people_signup(app->db, app->keys, person, input, &meta, &result) < 0) {
		log_error("signup: saving failed");
		rc = signup_show(req, res, 503, input, NULL,
		                 "We couldn't save your answers just now. They are still below: please send the form again in a minute.",
		                 meta.source, meta.ref);
		goto done;
	}
	log_info("signup: submission %lld (person %lld, %s)", result.submission_id, result.person_id,
	         result.outcome == SIGNUP_NEW ? "new" : result.outcome == SIGNUP_MERGED ? "merged" : "flagged");
	http_redirect(res, 303, "/signup/thanks");
	rc = 0;
done:
	json_decref(person);
	json_decref(errors);
	json_decref(input);
	return rc;
}
