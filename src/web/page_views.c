/*
 * page_views.c — saved views: GET /staff/views lists them (each a link to
 * the people list with its filters, and to bulk actions on it), POST
 * /staff/views saves one (name, query — the people list's query string,
 * as the bulk page builds it) and POST /staff/views/{id}/delete removes
 * one. Both writes are audited by the domain.
 * Threading: reentrant.
 */
#include <string.h>

#include "domain/pipeline.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

static int views_render(struct request *req, struct response *res, int status, const char *error)
{
	json_t *rows = NULL, *ctx;

	if (pipeline_views(req->app->db, &rows) < 0) {
		log_error("views: listing failed");
		return render_error(req, res, 503, "We couldn't load the views just now. Reload the page in a minute.");
	}
	ctx = json_pack("{s:o, s:b, s:b}", "views", rows, "has_views", json_array_size(rows) > 0,
	                "nav_views", 1);
	if (ctx && error)
		json_object_set_new(ctx, "view_error", json_string(error));
	return render_page(req, res, status, "views", ctx);
}

int page_views_list(struct request *req, struct response *res)
{
	return views_render(req, res, 200, NULL);
}

int page_views_save(struct request *req, struct response *res)
{
	const char *problem = NULL, *query = http_param_get(&req->form, "query");
	int rc;

	/* Only a query string of the people list: no scheme, host or path. */
	if (query && (strchr(query, '/') || strchr(query, ':') || strchr(query, '#')))
		return views_render(req, res, 422, "These filters can't be saved.");
	rc = pipeline_view_save(req->app->db, web_user(req), http_param_get(&req->form, "name"),
	                        query ? query : "", &problem);
	if (rc == PIPELINE_INVALID)
		return views_render(req, res, 422, problem);
	if (rc != PIPELINE_OK)
		return render_error(req, res, 503, "We couldn't save the view just now. Try again in a minute.");
	http_redirect(res, 303, "/staff/views");
	return 0;
}

int page_views_delete(struct request *req, struct response *res)
{
	long long id;
	int rc;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such view.");
	rc = pipeline_view_delete(req->app->db, web_user(req), id);
	if (rc == PIPELINE_NOT_FOUND)
		return render_error(req, res, 404, "There is no such view.");
	if (rc != PIPELINE_OK)
		return render_error(req, res, 503, "We couldn't delete the view just now. Try again in a minute.");
	http_redirect(res, 303, "/staff/views");
	return 0;
}
