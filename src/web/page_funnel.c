/*
 * page_funnel.c — GET /staff/reports/funnel: the funnel report. Counts of
 * people who reached each stage, the conversion from each stage to the
 * next, the median time spent in each stage, optionally for one signup
 * month (?month=YYYY-MM) and/or one source (?source=…), drawn as an SVG
 * chart rendered here (no JavaScript) with the same numbers in a table
 * beside it, then the reached counts by signup month and by source.
 * Threading: reentrant.
 */
#include <string.h>

#include "domain/funnel.h"
#include "domain/pipeline.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/funnel_chart.h"
#include "web/render.h"
#include "web/routes.h"

/* ?month= when it is YYYY-MM, else NULL. */
static const char *funnel_month(const struct request *req)
{
	const char *m = http_param_get(&req->query, "month");
	int i;

	if (!m || strlen(m) != 7 || m[4] != '-')
		return NULL;
	for (i = 0; i < 7; i++)
		if (i != 4 && (m[i] < '0' || m[i] > '9'))
			return NULL;
	return m;
}

int page_funnel_report(struct request *req, struct response *res)
{
	const char *month = funnel_month(req), *source = http_param_get(&req->query, "source");
	json_t *report = NULL, *steps, *st, *labels, *ctx, *chart;
	char text[32];
	size_t i;

	if (source && (!*source || strlen(source) > LIMIT_SOURCE))
		source = NULL;
	if (pipeline_funnel(req->app->db, month, source, &report) != PIPELINE_OK) {
		log_error("funnel: report failed");
		return render_error(req, res, 503, "We couldn't build the report just now. Reload the page in a minute.");
	}
	steps = json_object_get(report, "steps");
	labels = json_array();
	json_array_foreach(steps, i, st) {
		json_object_set_new(st, "conversion", json_string(funnel_percent_text(
			(int)json_integer_value(json_object_get(st, "conversion_permille")), text, sizeof(text))));
		json_object_set_new(st, "median", json_string(funnel_duration_text(
			json_integer_value(json_object_get(st, "median_seconds")),
			json_integer_value(json_object_get(st, "median_n")), text, sizeof(text))));
		if (labels)
			json_array_append(labels, json_object_get(st, "label"));
	}
	chart = funnel_chart_layout(steps);
	ctx = json_pack("{s:O, s:O, s:I, s:O, s:O, s:o, s:o*, s:s, s:s, s:b, s:b}",
	                "steps", steps, "side", json_object_get(report, "side"),
	                "total", json_object_get(report, "total") ?
	                         (json_int_t)json_integer_value(json_object_get(report, "total")) : 0,
	                "by_month", json_object_get(report, "by_month"),
	                "by_source", json_object_get(report, "by_source"),
	                "labels", labels, "chart", chart,
	                "month", month ? month : "", "source", source ? source : "",
	                "filtered", month || source, "nav_funnel", 1);
	if (ctx)
		json_object_set_new(ctx, "has_side", json_boolean(json_array_size(json_object_get(report, "side")) > 0));
	json_decref(report);
	if (!ctx) {
		log_error("funnel: out of memory");
		return render_error(req, res, 500, "Something went wrong on our side. Reload the page.");
	}
	return render_page(req, res, 200, "funnel", ctx);
}
