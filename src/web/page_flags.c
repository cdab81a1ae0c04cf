/*
 * page_flags.c — GET /staff/flags (open duplicate flags) and POST
 * /staff/flags/{id}/dismiss ("not the same person").
 *
 * A flag is raised when one submission's email belongs to one person and its
 * phone to another. Each is shown with both names and two buttons: merge
 * (the phone's person into the email's, through POST
 * /staff/people/{a}/merge) or dismiss.
 * Threading: reentrant.
 */
#include "domain/people.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

int page_flags_list(struct request *req, struct response *res)
{
	json_t *rows = NULL, *row, *at;
	size_t i;

	if (people_flags_open(req->app->db, &rows) < 0) {
		log_error("flags: listing failed");
		return render_error(req, res, 503, "We couldn't load the duplicates just now. Reload the page in a minute.");
	}
	json_array_foreach(rows, i, row) {
		at = json_object_get(row, "created_at");
		if (json_is_integer(at)) {
			const char *d = web_format_time(req, json_integer_value(at), 1);

			if (d)
				json_object_set_new(row, "created", json_string(d));
		}
	}
	return render_page(req, res, 200, "flags",
	                   json_pack("{s:o, s:b, s:I, s:b}", "flags", rows,
	                             "has_flags", json_array_size(rows) > 0,
	                             "count", (json_int_t)json_array_size(rows), "nav_flags", 1));
}

int page_flags_dismiss(struct request *req, struct response *res)
{
	long long id;
	int rc;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such duplicate flag.");
	rc = people_flag_dismiss(req->app->db, web_user(req), id);
	if (rc == 1)
		return render_error(req, res, 404, "That flag is already closed or doesn't exist. Go back to the duplicates list and reload it.");
	if (rc < 0) {
		log_error("flags: dismissing %lld failed", id);
		return render_error(req, res, 503, "We couldn't save that just now. Nothing was changed: try again in a minute.");
	}
	http_redirect(res, 303, "/staff/flags");
	return 0;
}
