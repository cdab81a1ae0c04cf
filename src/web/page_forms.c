/*
 * page_forms.c — the intake forms registry for staff: GET/POST
 * /staff/forms (list, create), GET/POST /staff/forms/{id} (stats, last
 * leads, rejected leads, edit) and POST /staff/forms/{id}/rotate.
 *
 * A new key (and a new secret) is shown exactly once, on the page that
 * answers the create or the rotation (form_key.mustache); afterwards only
 * its first characters are. A bad setting re-shows the form with what was
 * typed and the reason (422). Every change is audited by the domain.
 * Threading: reentrant.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "domain/intake.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

#define FORMS_RECENT 20

static const char *const forms_auth_modes[] = { "key", "header", "hmac", NULL };

/* [{code, selected}] of the authentication modes. */
static json_t *forms_auth_choices(const char *chosen)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && forms_auth_modes[i]; i++)
		json_array_append_new(arr, json_pack("{s:s, s:b}", "code", forms_auth_modes[i], "selected",
		                                     chosen && strcmp(chosen, forms_auth_modes[i]) == 0));
	return arr;
}

/* "a, b" → ["a", "b"] (empty pieces dropped). NULL when out of memory. */
static json_t *forms_tags_parse(const char *text)
{
	json_t *arr = json_array();
	const char *p = text ? text : "", *end, *s, *e;

	while (arr && *p) {
		end = p + strcspn(p, ",");
		for (s = p; s < end && (*s == ' ' || *s == '\t'); s++)
			;
		for (e = end; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if (e > s && json_array_append_new(arr, json_stringn(s, (size_t)(e - s))) < 0) {
			json_decref(arr);
			return NULL;
		}
		p = *end ? end + 1 : end;
	}
	return arr;
}

/* The tags as "a, b" in req->arena. */
static const char *forms_tags_text(struct request *req, json_t *tags)
{
	json_t *t;
	size_t i;
	buf b;
	const char *out;

	buf_init(&b, (size_t)LIMIT_INTAKE_TAGS * (LIMIT_SOURCE + 2));
	json_array_foreach(tags, i, t) {
		if (i)
			buf_adds(&b, ", ");
		buf_adds(&b, json_string_value(t) ? json_string_value(t) : "");
	}
	out = buf_failed(&b) ? NULL : arena_strdup(&req->arena, buf_str(&b));
	buf_free(&b);
	return out ? out : "";
}

/* Reads the settings form into spec (mapping and tags are new references
 * the caller decrefs). Returns 0, or -1 with the reason in err. */
static int forms_read_spec(struct request *req, struct intake_form_spec *spec, char *err,
                           size_t errlen)
{
	const char *rate = http_param_get(&req->form, "rate_per_minute");
	char *end;
	long long n;

	memset(spec, 0, sizeof(*spec));
	spec->name = http_param_get(&req->form, "name");
	spec->owner = http_param_get(&req->form, "owner");
	spec->auth = http_param_get(&req->form, "auth");
	spec->active = http_param_get(&req->form, "active") != NULL ||
	               http_param_get(&req->form, "creating") != NULL;
	spec->tags = forms_tags_parse(http_param_get(&req->form, "tags"));
	spec->rate_per_minute = LIMIT_INTAKE_RATE_DEFAULT;
	if (rate && *rate) {
		errno = 0;
		n = strtoll(rate, &end, 10);
		spec->rate_per_minute = errno || *end ? -1 : n;
	}
	if (intake_mapping_parse(http_param_get(&req->form, "mapping"), &spec->mapping, err,
	                         errlen) < 0)
		return -1;
	return 0;
}

/* The settings as typed, for re-showing the form. */
static const char *forms_typed_value(struct request *req, const char *name)
{
	const char *v = http_param_get(&req->form, name);

	return v ? v : "";
}

static json_t *forms_typed(struct request *req, const struct intake_form_spec *spec)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}",
	                 "name", forms_typed_value(req, "name"),
	                 "owner", forms_typed_value(req, "owner"),
	                 "mapping_text", forms_typed_value(req, "mapping"),
	                 "tags_text", forms_typed_value(req, "tags"),
	                 "rate_per_minute", forms_typed_value(req, "rate_per_minute"),
	                 "active", spec->active);
}

/* Adds a date "created" to each row from key. */
static void forms_dates(struct request *req, json_t *rows, const char *key, const char *out)
{
	json_t *row, *at;
	const char *d;
	size_t i;

	json_array_foreach(rows, i, row) {
		at = json_object_get(row, key);
		if (json_is_integer(at) && (d = web_format_time(req, json_integer_value(at), 1)) != NULL)
			json_object_set_new(row, out, json_string(d));
	}
}

static int forms_render_list(struct request *req, struct response *res, int status,
                             json_t *typed, const char *error)
{
	json_t *forms = NULL, *ctx, *row;
	size_t i;

	if (intake_forms_list(req->app->db, &forms) < 0) {
		json_decref(typed);
		log_error("forms: listing failed");
		return render_error(req, res, 503, "We couldn't load the forms just now. Reload the page in a minute.");
	}
	json_array_foreach(forms, i, row)
		json_object_set_new(row, "partner", json_boolean(json_string_length(json_object_get(row, "owner")) > 0));
	if (typed == NULL)
		typed = json_pack("{s:I}", "rate_per_minute", (json_int_t)LIMIT_INTAKE_RATE_DEFAULT);
	ctx = json_pack("{s:o, s:b, s:o, s:o, s:b}", "forms", forms, "has_forms",
	                json_array_size(forms) > 0, "new", typed ? typed : json_object(),
	                "auth_modes", forms_auth_choices(http_param_get(&req->form, "auth")),
	                "nav_forms", 1);
	if (ctx && error)
		json_object_set_new(ctx, "form_error", json_string(error));
	return render_page(req, res, status, "forms", ctx);
}

int page_forms_list(struct request *req, struct response *res)
{
	return forms_render_list(req, res, 200, NULL, NULL);
}

/* The page that shows a new key (and secret) once. */
static int forms_render_key(struct request *req, struct response *res, int status, long long id,
                            const char *name, const char *key, const char *secret, int rotated)
{
	const char *url = arena_printf(&req->arena, "/intake/%s", key);

	return render_page(req, res, status, "form_key",
	                   json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "id", (json_int_t)id,
	                             "name", name, "key", key, "path", url ? url : "",
	                             "secret", secret, "has_secret", secret[0] != '\0', "rotated",
	                             rotated, "nav_forms", 1));
}

int page_forms_create(struct request *req, struct response *res)
{
	struct intake_form_spec spec;
	char err[200] = "", key[INTAKE_TOKEN_TEXT], secret[INTAKE_TOKEN_TEXT];
	long long id = 0;
	int rc;

	rc = forms_read_spec(req, &spec, err, sizeof(err));
	if (rc == 0 && spec.tags == NULL)
		rc = -1;
	if (rc == 0)
		rc = intake_form_create(req->app->db, req->app->keys, web_user(req), &spec, &id, key,
		                        secret, err, sizeof(err));
	if (rc < 0) {
		rc = forms_render_list(req, res, 422, forms_typed(req, &spec),
		                       err[0] ? err : "The form could not be added.");
	} else {
		rc = forms_render_key(req, res, 201, id, spec.name, key, secret, 0);
		sodium_memzero(key, sizeof(key));
		sodium_memzero(secret, sizeof(secret));
	}
	json_decref(spec.mapping);
	json_decref(spec.tags);
	return rc;
}

static int forms_render_show(struct request *req, struct response *res, int status, long long id,
                             json_t *typed, const char *error, const char *new_secret)
{
	json_t *form = NULL, *recent = NULL, *rejected = NULL, *ctx;
	int rc;

	rc = intake_form_get(req->app->db, id, &form);
	if (rc == 1) {
		json_decref(typed);
		return render_error(req, res, 404, "There is no such form. Go back to the forms list.");
	}
	if (rc < 0 || intake_form_recent(req->app->db, id, FORMS_RECENT, &recent) < 0 ||
	    intake_rejected_list(req->app->db, id, FORMS_RECENT, &rejected) < 0) {
		json_decref(form);
		json_decref(recent);
		json_decref(typed);
		log_error("forms: loading form %lld failed", id);
		return render_error(req, res, 503, "We couldn't load this form just now. Reload the page in a minute.");
	}
	forms_dates(req, recent, "received_at", "received");
	forms_dates(req, rejected, "received_at", "received");
	json_object_set_new(form, "tags_text", json_string(forms_tags_text(req, json_object_get(form, "tags"))));
	if (typed) {
		json_object_update(form, typed);
		json_decref(typed);
	}
	ctx = json_pack("{s:O, s:o, s:o, s:b, s:b, s:o, s:b}", "form", form, "recent", recent,
	                "rejected", rejected, "has_recent", json_array_size(recent) > 0,
	                "has_rejected", json_array_size(rejected) > 0, "auth_modes",
	                forms_auth_choices(json_string_value(json_object_get(form, "auth"))),
	                "nav_forms", 1);
	json_decref(form);
	if (ctx && error)
		json_object_set_new(ctx, "form_error", json_string(error));
	if (ctx && new_secret && *new_secret)
		json_object_set_new(ctx, "new_secret", json_string(new_secret));
	return render_page(req, res, status, "form", ctx);
}

int page_form_show(struct request *req, struct response *res)
{
	long long id;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such form.");
	return forms_render_show(req, res, 200, id, NULL, NULL, NULL);
}

int page_form_update(struct request *req, struct response *res)
{
	struct intake_form_spec spec;
	char err[200] = "", secret[INTAKE_TOKEN_TEXT] = "";
	long long id;
	int rc;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such form.");
	rc = forms_read_spec(req, &spec, err, sizeof(err));
	if (rc == 0 && spec.tags == NULL)
		rc = -1;
	if (rc == 0)
		rc = intake_form_update(req->app->db, req->app->keys, web_user(req), id, &spec,
		                        http_param_get(&req->form, "new_secret") != NULL, secret, err,
		                        sizeof(err));
	if (rc == 1) {
		rc = render_error(req, res, 404, "There is no such form. Go back to the forms list.");
	} else if (rc < 0) {
		rc = forms_render_show(req, res, 422, id, forms_typed(req, &spec),
		                       err[0] ? err : "The change could not be saved.", NULL);
	} else if (secret[0]) {
		/* A new secret is shown once, on this answer. */
		rc = forms_render_show(req, res, 200, id, NULL, NULL, secret);
		sodium_memzero(secret, sizeof(secret));
	} else {
		http_redirect(res, 303, arena_printf(&req->arena, "/staff/forms/%lld", id));
		rc = 0;
	}
	json_decref(spec.mapping);
	json_decref(spec.tags);
	return rc;
}

int page_form_rotate(struct request *req, struct response *res)
{
	char key[INTAKE_TOKEN_TEXT];
	json_t *form = NULL;
	long long id;
	int rc;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such form.");
	rc = intake_form_rotate_key(req->app->db, web_user(req), id, key);
	if (rc == 1)
		return render_error(req, res, 404, "There is no such form. Go back to the forms list.");
	if (rc < 0 || intake_form_get(req->app->db, id, &form) != 0) {
		log_error("forms: rotating the key of form %lld failed", id);
		return render_error(req, res, 503, "We couldn't change the key just now. The old key still works: try again in a minute.");
	}
	rc = forms_render_key(req, res, 200, id, json_string_value(json_object_get(form, "name")), key,
	                      "", 1);
	sodium_memzero(key, sizeof(key));
	json_decref(form);
	return rc;
}
