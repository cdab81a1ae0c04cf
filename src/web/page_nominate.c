/*
 * page_nominate.c — GET/POST /nominate and GET /nominate/thanks: the public
 * form where someone nominates another person to run.
 *
 * Same promises as the signup (page_signup.c): works with JavaScript off;
 * errors (422), the per-IP limit (429, shared with /signup through
 * web/public_form.h) and a database failure (503) re-show the form with
 * every answer kept; a filled honeypot is answered like a success and held.
 * The domain (domain/nominations.h) stores the nominator, the nominee's
 * "nominated by" record, the nomination and the invitation in one job.
 * Threading: reentrant.
 */
#include <string.h>

#include "config/config.h"
#include "domain/nominations.h"
#include "domain/people.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/public_form.h"
#include "web/render.h"
#include "web/routes.h"

#define NOMINATE_HONEYPOT "website"

/* The form's fields in page order, with the labels the error summary uses. */
static const struct {
	const char *name;
	const char *label;
} nominate_fields[] = {
	{ "nominee_first_name", "Their first name" },
	{ "nominee_last_name", "Their last name" },
	{ "nominee_email", "Their email address" },
	{ "nominee_phone", "Their phone number" },
	{ "reason", "Why would they be great?" },
	{ "nominator_first_name", "Your first name" },
	{ "nominator_last_name", "Your last name" },
	{ "nominator_email", "Your email address" },
};
#define NOMINATE_NFIELDS (sizeof(nominate_fields) / sizeof(nominate_fields[0]))

/* The answers as typed (strings), consent "1" or "". NULL out of memory. */
static json_t *nominate_input(const struct request *req)
{
	json_t *in = json_object();
	const char *v;
	size_t i;
	int rc = 0;

	if (in == NULL)
		return NULL;
	for (i = 0; i < NOMINATE_NFIELDS; i++) {
		v = http_param_get(&req->form, nominate_fields[i].name);
		if (v)
			rc |= json_object_set_new(in, nominate_fields[i].name, json_string(v));
	}
	v = http_param_get(&req->form, "consent_email");
	rc |= json_object_set_new(in, "consent_email", json_string(v && *v ? "1" : ""));
	if (rc) {
		json_decref(in);
		return NULL;
	}
	return in;
}

static int nominate_show(struct request *req, struct response *res, int status, json_t *values,
                         json_t *errors, const char *alert)
{
	json_t *ctx, *f, *list, *entry, *msg;
	const char *v;
	size_t i;
	int rc = 0;

	ctx = json_object();
	f = json_object();
	list = json_array();
	if (!ctx || !f || !list) {
		json_decref(ctx);
		json_decref(f);
		json_decref(list);
		return render_page(req, res, 500, "nominate", NULL);
	}
	for (i = 0; i < NOMINATE_NFIELDS; i++) {
		v = values ? json_string_value(json_object_get(values, nominate_fields[i].name)) : NULL;
		msg = errors ? json_object_get(errors, nominate_fields[i].name) : NULL;
		entry = json_pack("{s:s}", "value", v ? v : "");
		if (entry && json_is_string(msg)) {
			rc |= json_object_set(entry, "error", msg);
			rc |= json_array_append_new(list, json_pack("{s:s, s:s, s:O}", "name",
			                            nominate_fields[i].name, "label",
			                            nominate_fields[i].label, "message", msg));
		}
		rc |= json_object_set_new(f, nominate_fields[i].name, entry);
	}
	v = values ? json_string_value(json_object_get(values, "consent_email")) : NULL;
	rc |= json_object_set_new(ctx, "consent_email", json_boolean(v && strcmp(v, "1") == 0));
	rc |= json_object_set_new(ctx, "f", f);
	rc |= json_object_set_new(ctx, "has_errors", json_boolean(json_array_size(list) > 0));
	rc |= json_object_set_new(ctx, "error_list", list);
	if (alert)
		rc |= json_object_set_new(ctx, "alert", json_string(alert));
	if (rc) {
		json_decref(ctx);
		return render_page(req, res, 500, "nominate", NULL);
	}
	return render_page(req, res, status, "nominate", ctx);
}

int page_nominate_form(struct request *req, struct response *res)
{
	return nominate_show(req, res, 200, NULL, NULL, NULL);
}

int page_nominate_thanks(struct request *req, struct response *res)
{
	return render_page(req, res, 200, "nominate_thanks", NULL);
}

int page_nominate_submit(struct request *req, struct response *res)
{
	struct app *app = req->app;
	struct nomination_result result;
	struct signup_meta meta = { 0 };
	json_t *input, *clean = NULL, *errors = NULL;
	const char *honeypot, *ip_hash, *accept_base;
	int rc;

	input = nominate_input(req);
	if (!input) {
		log_error("nominate: out of memory reading the form");
		http_error(res, 500, "Something went wrong on our side. Please go back and send the form again.");
		return 0;
	}
	ip_hash = public_form_ip_hash(req);

	/* Counted first, honeypot included (as on /signup). */
	if (public_form_limit(req, res) > 0) {
		rc = nominate_show(req, res, 429, input, NULL,
		                   "Too many forms came from your connection just now. Wait a minute, then send it again — your answers are still here.");
		goto done;
	}

	honeypot = http_param_get(&req->form, NOMINATE_HONEYPOT);
	if (honeypot && *honeypot) {
		json_object_set_new(input, NOMINATE_HONEYPOT, json_string(honeypot));
		meta.kind = "nomination";
		meta.ip_hash = ip_hash;
		if (people_hold(app->db, app->keys, input, &meta, "honeypot") < 0)
			log_error("nominate: holding a honeypot submission failed");
		http_redirect(res, 303, "/nominate/thanks");
		rc = 0;
		goto done;
	}

	if (nomination_validate(input, &clean, &errors) < 0) {
		if (!errors) {
			rc = nominate_show(req, res, 500, input, NULL,
			                   "Something went wrong on our side. Please send the form again.");
			goto done;
		}
		rc = nominate_show(req, res, 422, input, errors, NULL);
		goto done;
	}

	accept_base = arena_printf(&req->arena, "%s/signup?nomination=", app->cfg->base_url);
	if (accept_base == NULL ||
	    nomination_submit(app->db, clean, input, accept_base, ip_hash, &result) < 0) {
		rc = nominate_show(req, res, 503, input, NULL,
		                   "We couldn't save your nomination just now. Your answers are still below: please send it again in a minute.");
		goto done;
	}
	http_redirect(res, 303, "/nominate/thanks");
	rc = 0;
done:
	json_decref(clean);
	json_decref(errors);
	json_decref(input);
	return rc;
}
