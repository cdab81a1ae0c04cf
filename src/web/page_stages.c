/*
 * page_stages.c — the pipeline's stages, for admins: GET /staff/stages
 * lists them with a form each (POST /staff/stages/{id}: label, position,
 * in the call queue, part of the funnel, active) and one to add a stage
 * (POST /staff/stages: code, label, position, flags). Stages are never
 * deleted — history points at them — only made inactive.
 * Threading: reentrant.
 */
#include <string.h>

#include "domain/pipeline.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

static int stages_render(struct request *req, struct response *res, int status, const char *error)
{
	json_t *rows = NULL, *ctx;

	if (pipeline_stages(req->app->db, &rows) < 0) {
		log_error("stages: listing failed");
		return render_error(req, res, 503, "We couldn't load the stages just now. Reload the page in a minute.");
	}
	ctx = json_pack("{s:o, s:b}", "stages", rows, "nav_stages", 1);
	if (ctx && error)
		json_object_set_new(ctx, "stage_error", json_string(error));
	return render_page(req, res, status, "stages", ctx);
}

int page_stages_list(struct request *req, struct response *res)
{
	return stages_render(req, res, 200, NULL);
}

static int stages_flag(const struct request *req, const char *name)
{
	const char *v = http_param_get(&req->form, name);

	return v && strcmp(v, "1") == 0;
}

static int stages_save(struct request *req, struct response *res, long long id)
{
	const char *problem = NULL;
	int rc = pipeline_stage_save(req->app->db, web_user(req), id, http_param_get(&req->form, "code"),
	                             http_param_get(&req->form, "label"),
	                             http_param_get(&req->form, "position"), stages_flag(req, "in_queue"),
	                             stages_flag(req, "funnel"), stages_flag(req, "active"), &problem);

	if (rc == PIPELINE_INVALID)
		return stages_render(req, res, 422, problem);
	if (rc == PIPELINE_NOT_FOUND)
		return render_error(req, res, 404, "There is no such stage.");
	if (rc != PIPELINE_OK)
		return render_error(req, res, 503, "We couldn't save the stage just now. Try again in a minute.");
	http_redirect(res, 303, "/staff/stages");
	return 0;
}

int page_stages_add(struct request *req, struct response *res)
{
	return stages_save(req, res, 0);
}

int page_stages_save(struct request *req, struct response *res)
{
	long long id;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such stage.");
	return stages_save(req, res, id);
}
