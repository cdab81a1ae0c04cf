/*
 * page_dropoff.c — GET /staff/dropoff: signups not called within N days
 * (N set on the page, POST /staff/dropoff), counted by volunteer and by
 * state, then the people themselves, longest waiting first — the
 * organization's biggest leak, made visible.
 * Threading: reentrant.
 */
#include "domain/pipeline.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

static int dropoff_render(struct request *req, struct response *res, int status, const char *error)
{
	json_t *report = NULL, *row;
	size_t i;

	if (pipeline_dropoff(req->app->db, &report) != PIPELINE_OK) {
		log_error("dropoff: report failed");
		return render_error(req, res, 503, "We couldn't build the list just now. Reload the page in a minute.");
	}
	json_array_foreach(json_object_get(report, "people"), i, row) {
		const char *d = web_format_time(req, json_integer_value(json_object_get(row, "entered_at")), 0);

		if (d)
			json_object_set_new(row, "since", json_string(d));
	}
	json_object_set_new(report, "has_people", json_boolean(json_array_size(json_object_get(report, "people")) > 0));
	json_object_set_new(report, "nav_dropoff", json_true());
	if (error)
		json_object_set_new(report, "days_error", json_string(error));
	return render_page(req, res, status, "dropoff", report);
}

int page_dropoff_list(struct request *req, struct response *res)
{
	return dropoff_render(req, res, 200, NULL);
}

int page_dropoff_settings(struct request *req, struct response *res)
{
	const char *problem = NULL;
	int rc = pipeline_dropoff_days_set(req->app->db, web_user(req),
	                                   http_param_get(&req->form, "days"), &problem);

	if (rc == PIPELINE_INVALID)
		return dropoff_render(req, res, 422, problem);
	if (rc != PIPELINE_OK)
		return render_error(req, res, 503, "We couldn't save that just now. Try again in a minute.");
	http_redirect(res, 303, "/staff/dropoff");
	return 0;
}
