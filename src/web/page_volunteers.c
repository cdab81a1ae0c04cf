/*
 * page_volunteers.c — GET /staff/volunteers: the accounts that take calls,
 * each with its queue load, capacity and states, and a form per account
 * (POST /staff/volunteers/{id}: capacity, states) for staff to change them.
 * Threading: reentrant.
 */
#include "domain/pipeline.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

static int volunteers_render(struct request *req, struct response *res, int status,
                             const char *error)
{
	json_t *rows = NULL, *ctx;

	if (pipeline_volunteers(req->app->db, &rows) < 0) {
		log_error("volunteers: listing failed");
		return render_error(req, res, 503, "We couldn't load the volunteers just now. Reload the page in a minute.");
	}
	ctx = json_pack("{s:o, s:b}", "rows", rows, "nav_volunteers", 1);
	if (ctx && error)
		json_object_set_new(ctx, "settings_error", json_string(error));
	return render_page(req, res, status, "volunteers", ctx);
}

int page_volunteers_list(struct request *req, struct response *res)
{
	return volunteers_render(req, res, 200, NULL);
}

int page_volunteers_save(struct request *req, struct response *res)
{
	const char *problem = NULL;
	long long id;
	int rc;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such account.");
	rc = pipeline_volunteer_set(req->app->db, web_user(req), id,
	                            http_param_get(&req->form, "capacity"),
	                            http_param_get(&req->form, "states"), &problem);
	if (rc == PIPELINE_INVALID)
		return volunteers_render(req, res, 422, problem);
	if (rc == PIPELINE_NOT_FOUND)
		return render_error(req, res, 404, "There is no such active account.");
	if (rc != PIPELINE_OK)
		return render_error(req, res, 503, "We couldn't save that just now. Try again in a minute.");
	http_redirect(res, 303, "/staff/volunteers");
	return 0;
}
