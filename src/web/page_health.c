/*
 * page_health.c — GET /healthz: "ok" while the process is up.
 *
 * For load balancers and process supervisors: no cookies, no session, no
 * database (a database outage shows on the pages that need it, not here).
 * Threading: reentrant.
 */
#include "web/routes.h"

int page_health(struct request *req, struct response *res)
{
	(void)req;
	buf_reset(&res->body);
	buf_adds(&res->body, "ok\n");
	res->status = 200;
	res->content_type = "text/plain; charset=utf-8";
	return 0;
}
