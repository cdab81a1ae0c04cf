/*
 * page_tasks.c — GET /staff/tasks ("My tasks": open ones by due date, the
 * overdue highlighted; ?done=1 shows finished ones too; staff may add
 * ?all=1 for everyone's), POST /staff/tasks (add one: title, due, and
 * optionally a person and — staff only — an assignee) and POST
 * /staff/tasks/{id}/done (done=1 marks it done, done=0 opens it again).
 *
 * The "back" field of the done form returns to the page it came from, but
 * only to a path under /staff/ (never an outside address).
 * Threading: reentrant.
 */
#include <string.h>

#include "domain/auth.h"
#include "domain/pipeline.h"
#include "domain/roles.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

static int tasks_render(struct request *req, struct response *res, int status, const char *error)
{
	const char *all = http_param_get(&req->query, "all");
	const char *done = http_param_get(&req->query, "done");
	int everyone = all && strcmp(all, "1") == 0 && web_can(req, PERM_PIPELINE_MANAGE);
	int with_done = done && strcmp(done, "1") == 0;
	json_t *rows = NULL, *row, *ctx;
	size_t i;

	if (pipeline_tasks(req->app->db, everyone ? 0 : web_user(req)->id, with_done, &rows) < 0) {
		log_error("tasks: listing failed");
		return render_error(req, res, 503, "We couldn't load the tasks just now. Reload the page in a minute.");
	}
	json_array_foreach(rows, i, row) {
		const char *d = web_format_time(req, json_integer_value(json_object_get(row, "due_at")), 0);

		if (d)
			json_object_set_new(row, "due", json_string(d));
	}
	ctx = json_pack("{s:o, s:b, s:b, s:b, s:b, s:b}", "rows", rows,
	                "has_rows", json_array_size(rows) > 0, "everyone", everyone,
	                "with_done", with_done, "can_manage", web_can(req, PERM_PIPELINE_MANAGE),
	                "nav_tasks", 1);
	if (ctx && error)
		json_object_set_new(ctx, "task_error", json_string(error));
	return render_page(req, res, status, "tasks", ctx);
}

int page_tasks_mine(struct request *req, struct response *res)
{
	return tasks_render(req, res, 200, NULL);
}

int page_tasks_add(struct request *req, struct response *res)
{
	const char *problem = NULL, *person = http_param_get(&req->form, "person");
	const char *assignee = http_param_get(&req->form, "assignee");
	long long person_id = 0, user = 0, task_id;
	int rc;

	if (person && *person && web_parse_id(person, &person_id) < 0)
		return render_error(req, res, 422, "That is not a person's number.");
	if (assignee && *assignee && web_parse_id(assignee, &user) < 0)
		return render_error(req, res, 422, "Choose who the task is for.");
	if (person_id > 0) {
		rc = pipeline_may_open(req->app->db, web_user(req), person_id);
		if (rc <= 0)
			return render_error(req, res, rc < 0 ? 503 : 403, rc < 0 ?
			                    "We couldn't check your access just now. Try again in a minute." :
			                    "This person is not assigned to you.");
	}
	rc = pipeline_task_add(req->app->db, web_user(req), person_id, user,
	                       http_param_get(&req->form, "title"), http_param_get(&req->form, "due"),
	                       &problem, &task_id);
	if (rc == PIPELINE_INVALID)
		return tasks_render(req, res, 422, problem);
	if (rc == PIPELINE_DENIED)
		return render_error(req, res, 403, "Only staff can give tasks to someone else.");
	if (rc == PIPELINE_NOT_FOUND)
		return render_error(req, res, 404, "There is no person with that number.");
	if (rc != PIPELINE_OK)
		return render_error(req, res, 503, "We couldn't save the task just now. Try again in a minute.");
	http_redirect(res, 303, "/staff/tasks");
	return 0;
}

int page_tasks_done(struct request *req, struct response *res)
{
	const char *done = http_param_get(&req->form, "done");
	const char *back = http_param_get(&req->form, "back");
	long long id;
	int rc;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such task.");
	rc = pipeline_task_set_done(req->app->db, web_user(req), id, !(done && strcmp(done, "0") == 0));
	if (rc == PIPELINE_NOT_FOUND)
		return render_error(req, res, 404, "There is no such task.");
	if (rc == PIPELINE_DENIED)
		return render_error(req, res, 403, "This task is someone else's.");
	if (rc != PIPELINE_OK)
		return render_error(req, res, 503, "We couldn't save that just now. Try again in a minute.");
	/* Back to where the button was, if that is one of our staff pages. */
	if (!back || strncmp(back, "/staff/", 7) != 0 || strstr(back, "//") || strchr(back, '\\') ||
	    strlen(back) > 200)
		back = "/staff/tasks";
	http_redirect(res, 303, back);
	return 0;
}
