/*
 * page_health.c — GET /healthz: "ok" while the process is up; GET /readyz:
 * "ready" while it can serve (the database answers and its schema is
 * current).
 *
 * For load balancers and process supervisors: no cookies, no session.
 * /healthz never touches the database (restart a process only when the
 * process is sick, not when the database is); /readyz does (take a node out
 * of rotation while it cannot reach the database, or during a rolling
 * upgrade until the migrations it needs have run). /readyz answers 503 with
 * a one-word reason otherwise, and says nothing about the database's
 * address or errors.
 * Threading: reentrant.
 */
#include "web/routes.h"

#include "store/db.h"
#include "web/app.h"

int page_health(struct request *req, struct response *res)
{
	(void)req;
	buf_reset(&res->body);
	buf_adds(&res->body, "ok\n");
	res->status = 200;
	res->content_type = "text/plain; charset=utf-8";
	return 0;
}

int page_ready(struct request *req, struct response *res)
{
	const char *why = NULL;
	int current;

	buf_reset(&res->body);
	res->content_type = "text/plain; charset=utf-8";
	if (db_ping(req->app->db) != 0) {
		why = "database unreachable\n";
	} else {
		current = db_migrations_current(req->app->db);
		if (current < 0)
			why = "database unreachable\n";
		else if (current == 0)
			why = "migrations pending\n";
	}
	if (why) {
		res->status = 503;
		http_add_header(res, "Retry-After", "5");
		buf_adds(&res->body, why);
		return 0;
	}
	res->status = 200;
	buf_adds(&res->body, "ready\n");
	return 0;
}
