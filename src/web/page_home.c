/*
 * page_home.c — GET /: the public welcome page.
 *
 * Says in one sentence what this is and sends people to the signup form;
 * staff find the login link in the footer. No data, no database.
 * Threading: reentrant.
 */
#include "web/render.h"
#include "web/routes.h"

int page_home(struct request *req, struct response *res)
{
	return render_page(req, res, 200, "home", NULL);
}
