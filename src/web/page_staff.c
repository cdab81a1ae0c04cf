/*
 * page_staff.c — GET /staff: the staff home with headline counts and links.
 *
 * Shows only the links the signed-in user may follow (the routes enforce
 * the same permissions on the server).
 * Threading: reentrant.
 */
#include "domain/people.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

int page_staff_home(struct request *req, struct response *res)
{
	json_t *counts = NULL, *ctx;

	if (people_counts(req->app->db, &counts) < 0) {
		log_error("staff: counting people failed");
		return render_error(req, res, 503, "We couldn't load the numbers just now. Reload the page in a minute.");
	}
	ctx = json_pack("{s:o, s:b}", "counts", counts, "nav_home", 1);
	return render_page(req, res, 200, "staff", ctx);
}
