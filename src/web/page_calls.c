/*
 * page_calls.c — GET /staff/calls: "My calls", the signed-in user's people
 * to call, most urgent first (a follow-up due soon or overdue, then the
 * oldest signup), for someone making thirty calls a day: one dense table,
 * the phone as a tel: link, and one link per row to the call sheet where
 * the call is logged.
 * Threading: reentrant.
 */
#include "domain/pipeline.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

int page_calls_mine(struct request *req, struct response *res)
{
	json_t *rows = NULL, *row;
	size_t i;

	if (pipeline_my_calls(req->app->db, web_user(req), &rows) != PIPELINE_OK) {
		log_error("calls: listing failed");
		return render_error(req, res, 503, "We couldn't load your calls just now. Reload the page in a minute.");
	}
	json_array_foreach(rows, i, row) {
		long long due = json_integer_value(json_object_get(row, "due_at"));
		long long last = json_integer_value(json_object_get(row, "last_call_at"));
		const char *d = web_format_time(req, json_integer_value(json_object_get(row, "created_at")), 0);

		if (d)
			json_object_set_new(row, "signed_up", json_string(d));
		if (due > 0 && (d = web_format_time(req, due, 0)) != NULL)
			json_object_set_new(row, "due", json_string(d));
		if (last > 0 && (d = web_format_time(req, last, 0)) != NULL)
			json_object_set_new(row, "last_call", json_string(d));
	}
	return render_page(req, res, 200, "calls",
	                   json_pack("{s:o, s:b, s:I, s:b}", "rows", rows,
	                             "has_rows", json_array_size(rows) > 0,
	                             "count", (json_int_t)json_array_size(rows), "nav_calls", 1));
}
