/*
 * page_compliance.c — the compliance view of leads: GET /staff/compliance
 * (the page), GET /staff/compliance.json (the same numbers for machines)
 * and GET /staff/compliance/export.csv (the deduplicated people).
 *
 * The numbers come from the counters that triggers keep in the same
 * transaction as every lead (domain/intake.h: intake_counts), so they are
 * exact at the moment of the read and cost one small query, whatever the
 * size of the database. ?recount=1 on the JSON also counts every table
 * and says whether both agree ("consistent").
 *
 * The export has one row per person with all their emails and all their
 * phones; since an email or a phone belongs to exactly one person (a
 * primary key of the database), no email and no phone appears twice.
 * Cells are quoted as RFC 4180 says, and a cell that a spreadsheet would
 * read as a formula (=, +, -, @ first) gets a leading apostrophe — except
 * the phones, which are E.164 ("+1…") by construction.
 * Threading: reentrant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/intake.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

/* Appends one CSV cell (with its separator unless first). */
static void compliance_cell(buf *b, const char *v, int first, int formula_guard)
{
	const char *p;

	if (!first)
		buf_addc(b, ',');
	if (v == NULL)
		return;
	if (strpbrk(v, ",\"\r\n") == NULL && !(formula_guard && strchr("=+-@", v[0]) && v[0])) {
		buf_adds(b, v);
		return;
	}
	buf_addc(b, '"');
	if (formula_guard && v[0] && strchr("=+-@", v[0]))
		buf_addc(b, '\'');
	for (p = v; *p; p++) {
		if (*p == '"')
			buf_addc(b, '"');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

static int compliance_row(long long id, const char *first_name, const char *last_name,
                          const char *emails, const char *phones, const char *state,
                          const char *zip, long long created_at, void *arg)
{
	buf *b = arg;
	char num[24];

	snprintf(num, sizeof(num), "%lld", id);
	compliance_cell(b, num, 1, 0);
	compliance_cell(b, first_name, 0, 1);
	compliance_cell(b, last_name, 0, 1);
	compliance_cell(b, emails, 0, 1);
	compliance_cell(b, phones, 0, 0);
	compliance_cell(b, state, 0, 1);
	compliance_cell(b, zip, 0, 1);
	snprintf(num, sizeof(num), "%lld", created_at);
	compliance_cell(b, num, 0, 0);
	buf_adds(b, "\r\n");
	return buf_failed(b) ? -1 : 0;
}

int page_compliance_csv(struct request *req, struct response *res)
{
	/* The export is the one answer larger than a page: its own cap. */
	buf_free(&res->body);
	buf_init(&res->body, LIMIT_EXPORT_MAX);
	buf_adds(&res->body, "person_id,first_name,last_name,emails,phones,state,zip,created_at\r\n");
	if (intake_export_each(req->app->db, compliance_row, &res->body) < 0) {
		buf_free(&res->body);
		buf_init(&res->body, LIMIT_PAGE_MAX);
		log_error("compliance: the export failed (or is over %d bytes)", LIMIT_EXPORT_MAX);
		return render_error(req, res, 503, "The export could not be made just now. Try again in a minute.");
	}
	res->content_type = "text/csv; charset=utf-8";
	http_add_header(res, "Content-Disposition", "attachment; filename=\"people-deduplicated.csv\"");
	return 0;
}

int page_compliance_json(struct request *req, struct response *res)
{
	const char *recount = http_param_get(&req->query, "recount");
	json_t *counts = NULL;
	char *text;

	if (intake_counts(req->app->db, recount && strcmp(recount, "1") == 0, &counts) < 0) {
		res->status = 503;
		res->content_type = "application/json";
		buf_adds(&res->body, "{\"error\":\"the database is not available\"}\n");
		return 0;
	}
	text = json_dumps(counts, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(counts);
	res->content_type = "application/json";
	if (text == NULL) {
		res->status = 500;
		buf_adds(&res->body, "{\"error\":\"out of memory\"}\n");
		return 0;
	}
	buf_adds(&res->body, text);
	buf_addc(&res->body, '\n');
	free(text);
	return 0;
}

/* {key: n} → [{name, value}] sorted by key (days: newest first). */
static json_t *compliance_pairs(json_t *obj, int newest_first)
{
	json_t *arr = json_array(), *v;
	const char *key;

	json_object_foreach(obj, key, v) {
		if (arr == NULL)
			break;
		json_array_append_new(arr, json_pack("{s:s, s:O}", "name", *key ? key : "(our own forms)",
		                                     "value", v));
	}
	if (arr && newest_first) {
		/* keys are YYYY-MM-DD: reverse the sorted order */
		size_t i, n = json_array_size(arr);
		json_t *rev = json_array();

		for (i = n; rev && i > 0; i--)
			json_array_append(rev, json_array_get(arr, i - 1));
		json_decref(arr);
		arr = rev;
	}
	return arr;
}

int page_compliance(struct request *req, struct response *res)
{
	json_t *counts = NULL, *ctx, *days, *partners;
	char *sorted;
	json_error_t jerr;

	if (intake_counts(req->app->db, 0, &counts) < 0) {
		log_error("compliance: counting failed");
		return render_error(req, res, 503, "We couldn't load the counts just now. Reload the page in a minute.");
	}
	/* Sorted keys: dump and load with JSON_SORT_KEYS keeps it simple. */
	sorted = json_dumps(counts, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(counts);
	counts = sorted ? json_loads(sorted, JSON_PRESERVE_ORDER, &jerr) : NULL;
	free(sorted);
	if (counts == NULL)
		return render_error(req, res, 500, "Something went wrong on our side. Please try again.");
	days = compliance_pairs(json_object_get(counts, "days"), 1);
	partners = compliance_pairs(json_object_get(counts, "partners"), 0);
	ctx = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:o, s:o, s:b}",
	                "people", json_object_get(counts, "people"),
	                "emails", json_object_get(counts, "emails"),
	                "phones", json_object_get(counts, "phones"),
	                "leads", json_object_get(counts, "leads"),
	                "leads_today", json_object_get(counts, "leads_today"),
	                "forms", json_object_get(counts, "forms"),
	                "days", days ? days : json_array(), "partners", partners ? partners : json_array(),
	                "nav_compliance", 1);
	json_decref(counts);
	return render_page(req, res, 200, "compliance", ctx);
}
