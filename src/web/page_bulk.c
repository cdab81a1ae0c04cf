/*
 * page_bulk.c — bulk actions on a filtered people list. GET
 * /staff/people/bulk?<the people list's filters> shows how many people the
 * filters match and the actions (tag, untag, assign, move stage) plus a
 * form to save the filters as a named view; POST applies one action to
 * every match (domain: pipeline_bulk, one audit entry "bulk.<action>").
 *
 * The filters are the people list's own query parameters (q, state,
 * office, help, source, from, to), read here the same way
 * (page_people.c): an invalid code or date is ignored, not refused. The
 * POST form carries them back as hidden fields.
 * Threading: reentrant.
 */
#include <string.h>

#include "domain/people.h"
#include "domain/person.h"
#include "domain/pipeline.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

static const char *bulk_text(const struct http_params *p, const char *name, size_t max)
{
	const char *v = http_param_get(p, name);

	return v && *v && strlen(v) <= max ? v : NULL;
}

static const char *bulk_code(const struct http_params *p, const char *name, const char *field)
{
	const char *v = bulk_text(p, name, 64);
	const struct person_field *f = person_field_find(field);

	return v && f && person_choice_label(f, v) ? v : NULL;
}

static const char *bulk_date(const struct http_params *p, const char *name)
{
	const char *v = bulk_text(p, name, 10);
	int i;

	if (!v || strlen(v) != 10)
		return NULL;
	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? v[i] != '-' : (v[i] < '0' || v[i] > '9'))
			return NULL;
	return v;
}

/* Reads the people list's filters from p into q and their canonical query
 * string (for links, views and the audit entry) into *text. */
static int bulk_filters(struct request *req, const struct http_params *p, struct people_query *q,
                        const char **text)
{
	buf b;

	memset(q, 0, sizeof(*q));
	q->q = bulk_text(p, "q", LIMIT_SHORT_TEXT);
	q->state = bulk_code(p, "state", "state");
	q->office = bulk_code(p, "office", "office_interests");
	q->help = bulk_code(p, "help", "help_wanted");
	q->source = bulk_text(p, "source", LIMIT_SOURCE);
	q->from = bulk_date(p, "from");
	q->to = bulk_date(p, "to");
	q->sort = "newest";
	q->page = 1;
	q->per_page = 1;
	buf_init(&b, LIMIT_URL_MAX);
	web_query_add(&b, "q", q->q);
	web_query_add(&b, "state", q->state);
	web_query_add(&b, "office", q->office);
	web_query_add(&b, "help", q->help);
	web_query_add(&b, "source", q->source);
	web_query_add(&b, "from", q->from);
	web_query_add(&b, "to", q->to);
	*text = buf_failed(&b) ? NULL : arena_strdup(&req->arena, buf_str(&b));
	buf_free(&b);
	return *text ? 0 : -1;
}

static int bulk_render(struct request *req, struct response *res, const struct http_params *p,
                       int status, const char *error, const char *notice)
{
	struct people_query q;
	json_t *rows = NULL, *stages = NULL, *vols = NULL, *ctx;
	const char *text;
	long long total = 0;

	if (bulk_filters(req, p, &q, &text) < 0)
		return render_error(req, res, 500, "Something went wrong on our side.");
	if (people_search(req->app->db, &q, &rows, &total) < 0 ||
	    pipeline_stages(req->app->db, &stages) < 0 || pipeline_volunteers(req->app->db, &vols) < 0) {
		json_decref(rows);
		json_decref(stages);
		log_error("bulk: loading failed");
		return render_error(req, res, 503, "We couldn't load this just now. Reload the page in a minute.");
	}
	json_decref(rows);
	ctx = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}, s:s, s:I, s:o, s:o, s:b, s:b}",
	                "filters", "q", q.q ? q.q : "", "state", q.state ? q.state : "",
	                "office", q.office ? q.office : "", "help", q.help ? q.help : "",
	                "source", q.source ? q.source : "", "from", q.from ? q.from : "",
	                "to", q.to ? q.to : "",
	                "query", text, "total", (json_int_t)total, "stages", stages,
	                "volunteers", vols, "too_many", total > LIMIT_BULK_MAX, "nav_people", 1);
	if (ctx && error)
		json_object_set_new(ctx, "bulk_error", json_string(error));
	if (ctx && notice)
		json_object_set_new(ctx, "notice", json_string(notice));
	return render_page(req, res, status, "bulk", ctx);
}

int page_bulk_form(struct request *req, struct response *res)
{
	return bulk_render(req, res, &req->query, 200, NULL, NULL);
}

int page_bulk_apply(struct request *req, struct response *res)
{
	struct people_query q;
	const char *text, *problem = NULL, *notice;
	long long changed = 0;
	int rc;

	if (bulk_filters(req, &req->form, &q, &text) < 0)
		return render_error(req, res, 500, "Something went wrong on our side.");
	rc = pipeline_bulk(req->app->db, web_user(req), &q, text, http_param_get(&req->form, "action"),
	                   http_param_get(&req->form, "value"), &changed, &problem);
	if (rc == PIPELINE_INVALID)
		return bulk_render(req, res, &req->form, 422, problem, NULL);
	if (rc != PIPELINE_OK)
		return bulk_render(req, res, &req->form, 503, "We couldn't apply that just now. Nothing was changed: try again in a minute.", NULL);
	notice = arena_printf(&req->arena, "Done: %lld %s changed.", changed,
	                      changed == 1 ? "person" : "people");
	return bulk_render(req, res, &req->form, 200, NULL, notice);
}
