/*
 * page_audit.c — GET /staff/audit: the audit log of staff writes, newest
 * first, a page at a time.
 *
 * Before/after are shown as indented JSON in <pre> (escaped by the
 * template like every value). The domain never writes decrypted
 * demographics into the log.
 * Threading: reentrant.
 */
#include <errno.h>
#include <stdlib.h>

#include "domain/audit.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

#define AUDIT_PAGE_MAX 1000000

static int audit_page(const struct request *req)
{
	const char *v = http_param_get(&req->query, "page");
	char *end;
	long n;

	if (!v || !*v)
		return 1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > AUDIT_PAGE_MAX)
		return 1;
	return (int)n;
}

/* Replaces row[key] (a json value) by its indented text, if any. */
static void audit_pretty(json_t *row, const char *key, const char *out_key)
{
	json_t *v = json_object_get(row, key);
	char *text;

	if (!v || json_is_null(v))
		return;
	if (json_is_string(v)) {
		json_t *parsed = json_loads(json_string_value(v), JSON_DECODE_ANY, NULL);

		if (!parsed) {
			json_object_set(row, out_key, v);
			return;
		}
		text = json_dumps(parsed, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		json_decref(parsed);
	} else {
		text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	}
	if (text) {
		json_object_set_new(row, out_key, json_string(text));
		free(text);
	}
}

int page_audit_list(struct request *req, struct response *res)
{
	json_t *rows = NULL, *row, *at, *ctx;
	long long total = 0, pages;
	int page = audit_page(req);
	size_t i;

	if (audit_list(req->app->db, page, LIMIT_PAGE_SIZE_DEFAULT, &rows, &total) < 0) {
		log_error("audit: listing failed");
		return render_error(req, res, 503, "We couldn't load the audit log just now. Reload the page in a minute.");
	}
	json_array_foreach(rows, i, row) {
		at = json_object_get(row, "at");
		if (json_is_integer(at)) {
			const char *d = web_format_time(req, json_integer_value(at), 1);

			if (d)
				json_object_set_new(row, "when", json_string(d));
		}
		audit_pretty(row, "before", "before_text");
		audit_pretty(row, "after", "after_text");
	}
	pages = total > 0 ? (total + LIMIT_PAGE_SIZE_DEFAULT - 1) / LIMIT_PAGE_SIZE_DEFAULT : 1;
	ctx = json_pack("{s:o, s:b, s:I, s:I, s:I, s:b}", "entries", rows,
	                "has_entries", json_array_size(rows) > 0, "total", (json_int_t)total,
	                "page", (json_int_t)page, "pages", (json_int_t)pages, "nav_audit", 1);
	if (ctx && page > 1)
		json_object_set_new(ctx, "prev_page", json_integer(page - 1 < pages ? page - 1 : pages));
	if (ctx && page < pages)
		json_object_set_new(ctx, "next_page", json_integer(page + 1));
	return render_page(req, res, 200, "audit", ctx);
}
