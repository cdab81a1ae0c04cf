/*
 * page_people.c — GET /staff/people: find people, for someone working
 * through a list of calls.
 *
 * One GET form (q, state, office, help, source, from, to, sort) so a search
 * is a bookmarkable URL; a dense table; "N people" and previous/next links
 * that keep the filters. Filter values that are not valid (an unknown code,
 * a malformed date) are ignored rather than refused: a stale bookmark still
 * shows something useful.
 * Threading: reentrant.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain/people.h"
#include "domain/person.h"
#include "domain/roles.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

#define PEOPLE_PAGE_MAX 1000000

static const struct {
	const char *code;
	const char *label;
} people_sorts[] = {
	{ "newest", "Newest first" },
	{ "oldest", "Oldest first" },
	{ "name",   "Name" },
	{ "state",  "State" },
};

static const char *people_text(const struct request *req, const char *name, size_t max)
{
	const char *v = http_param_get(&req->query, name);

	if (!v || !*v || strlen(v) > max)
		return NULL;
	return v;
}

/* A code of field's choices, or NULL. */
static const char *people_code(const struct request *req, const char *param, const char *field)
{
	const char *v = people_text(req, param, 64);
	const struct person_field *f = person_field_find(field);

	if (!v || !f || !person_choice_label(f, v))
		return NULL;
	return v;
}

/* YYYY-MM-DD by shape (the domain checks the calendar), or NULL. */
static const char *people_date(const struct request *req, const char *name)
{
	const char *v = people_text(req, name, 10);
	int i;

	if (!v || strlen(v) != 10)
		return NULL;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (v[i] != '-')
				return NULL;
		} else if (v[i] < '0' || v[i] > '9') {
			return NULL;
		}
	}
	return v;
}

static int people_page(const struct request *req)
{
	const char *v = http_param_get(&req->query, "page");
	char *end;
	long n;

	if (!v || !*v)
		return 1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > PEOPLE_PAGE_MAX)
		return 1;
	return (int)n;
}

/* [{code, label, selected}] of a field's choices. */
static json_t *people_options(const char *field, const char *selected)
{
	const struct person_field *f = person_field_find(field);
	const struct person_choice *c;
	json_t *list = json_array();

	for (c = f ? f->choices : NULL; list && c && c->code; c++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "code", c->code, "label", c->label,
		                                      "selected", selected && strcmp(selected, c->code) == 0));
	return list;
}

/* The filters as a query string (without page), for the paging links. */
static const char *people_filters_query(struct request *req, const struct people_query *q)
{
	buf b;
	const char *s;

	buf_init(&b, LIMIT_URL_MAX);
	web_query_add(&b, "q", q->q);
	web_query_add(&b, "state", q->state);
	web_query_add(&b, "office", q->office);
	web_query_add(&b, "help", q->help);
	web_query_add(&b, "source", q->source);
	web_query_add(&b, "from", q->from);
	web_query_add(&b, "to", q->to);
	if (q->sort && strcmp(q->sort, "newest") != 0)
		web_query_add(&b, "sort", q->sort);
	s = buf_failed(&b) ? NULL : arena_strdup(&req->arena, buf_str(&b));
	buf_free(&b);
	return s;
}

static const char *people_page_href(struct request *req, const char *filters, int page)
{
	if (!filters)
		return NULL;
	if (page <= 1)
		return arena_printf(&req->arena, "/staff/people%s%s", *filters ? "?" : "", filters);
	return arena_printf(&req->arena, "/staff/people?%s%spage=%d", filters, *filters ? "&" : "", page);
}

/* Adds display fields to each row: "created" (a date) and "offices" (labels). */
static void people_rows_decorate(struct request *req, json_t *rows)
{
	const struct person_field *offices = person_field_find("office_interests");
	json_t *row, *codes, *code, *labels;
	const char *label;
	size_t i, j;

	json_array_foreach(rows, i, row) {
		json_t *created = json_object_get(row, "created_at");

		if (json_is_integer(created)) {
			const char *d = web_format_time(req, json_integer_value(created), 0);

			if (d)
				json_object_set_new(row, "created", json_string(d));
		} else if (json_is_string(created)) {
			json_object_set(row, "created", created);
		}
		codes = json_object_get(row, "office_interests");
		labels = json_array();
		json_array_foreach(codes, j, code) {
			label = json_is_string(code) && offices ? person_choice_label(offices, json_string_value(code)) : NULL;
			if (label && labels)
				json_array_append_new(labels, json_string(label));
		}
		if (labels)
			json_object_set_new(row, "offices", labels);
	}
}

int page_people_list(struct request *req, struct response *res)
{
	struct people_query q = { 0 };
	json_t *rows = NULL, *ctx, *sorts;
	long long total = 0, pages;
	const char *filters;
	size_t i;

	q.q = people_text(req, "q", LIMIT_SHORT_TEXT);
	q.state = people_code(req, "state", "state");
	q.office = people_code(req, "office", "office_interests");
	q.help = people_code(req, "help", "help_wanted");
	q.source = people_text(req, "source", LIMIT_SOURCE);
	q.from = people_date(req, "from");
	q.to = people_date(req, "to");
	q.sort = "newest";
	for (i = 0; i < sizeof(people_sorts) / sizeof(people_sorts[0]); i++) {
		const char *s = http_param_get(&req->query, "sort");

		if (s && strcmp(s, people_sorts[i].code) == 0)
			q.sort = people_sorts[i].code;
	}
	q.page = people_page(req);
	q.per_page = LIMIT_PAGE_SIZE_DEFAULT;

	if (people_search(req->app->db, &q, &rows, &total) < 0) {
		log_error("people: search failed");
		return render_error(req, res, 503, "We couldn't search just now. Reload the page in a minute.");
	}
	people_rows_decorate(req, rows);
	pages = total > 0 ? (total + q.per_page - 1) / q.per_page : 1;
	filters = people_filters_query(req, &q);

	sorts = json_array();
	for (i = 0; sorts && i < sizeof(people_sorts) / sizeof(people_sorts[0]); i++)
		json_array_append_new(sorts, json_pack("{s:s, s:s, s:b}", "code", people_sorts[i].code,
		                      "label", people_sorts[i].label, "selected", strcmp(q.sort, people_sorts[i].code) == 0));

	ctx = json_pack("{s:{s:s, s:s, s:s, s:s}, s:o, s:o, s:o, s:o, s:o, s:I, s:s, s:b, s:I, s:I, s:b}",
	                "filters", "q", q.q ? q.q : "", "source", q.source ? q.source : "",
	                "from", q.from ? q.from : "", "to", q.to ? q.to : "",
	                "states", people_options("state", q.state),
	                "offices", people_options("office_interests", q.office),
	                "helps", people_options("help_wanted", q.help),
	                "sorts", sorts,
	                "rows", rows,
	                "total", (json_int_t)total,
	                "total_label", total == 1 ? "person" : "people",
	                "has_rows", json_array_size(rows) > 0,
	                "page", (json_int_t)q.page,
	                "pages", (json_int_t)pages,
	                "nav_people", 1);
	if (ctx && (q.state || q.office || q.help || q.source || q.from || q.to || strcmp(q.sort, "newest") != 0))
		json_object_set_new(json_object_get(ctx, "filters"), "open", json_true());
	if (!ctx) {
		log_error("people: out of memory");
		return render_error(req, res, 500, "Something went wrong on our side. Reload the page.");
	}
	/* Bulk actions and saved views (h-pipeline) start from these filters. */
	if (web_can(req, PERM_PIPELINE_MANAGE) && filters)
		json_object_set_new(ctx, "bulk_href", json_string(arena_printf(&req->arena,
		                    "/staff/people/bulk%s%s", *filters ? "?" : "", filters)));
	if (q.page > 1) {
		const char *prev = people_page_href(req, filters, q.page - 1 < pages ? q.page - 1 : (int)pages);

		if (prev)
			json_object_set_new(ctx, "prev_href", json_string(prev));
	}
	if (q.page < pages) {
		const char *next = people_page_href(req, filters, q.page + 1);

		if (next)
			json_object_set_new(ctx, "next_href", json_string(next));
	}
	return render_page(req, res, 200, "people", ctx);
}
