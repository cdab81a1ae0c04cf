/*
 * page_static.c — GET /static/FILE: the stylesheet, logo and other assets.
 *
 * Served from the template registry (web/templates.h: the theme folder's
 * file when it has one, else the built-in one). Only a bare registered name
 * is looked up, so there is no path to traverse: "/static/../x" and
 * "/static/a/b" are simply unknown (404).
 * Threading: reentrant; the registry is immutable.
 */
#include <string.h>

#include "web/app.h"
#include "web/routes.h"
#include "web/templates.h"

int page_static_file(struct request *req, struct response *res)
{
	const char *name = req->path_args[0];
	const char *data, *type;
	size_t len;

	if (name && *name == '/')
		name++;
	if (!name || templates_static(req->app->templates, name, &data, &len, &type) < 0) {
		http_error(res, 404, "There is no such file.");
		return 0;
	}
	buf_reset(&res->body);
	if (buf_add(&res->body, data, len) < 0) {
		http_error(res, 500, "Something went wrong on our side.");
		return 0;
	}
	res->status = 200;
	res->content_type = type;
	res->cache_control = "public, max-age=3600";
	return 0;
}
