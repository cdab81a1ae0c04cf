/*
 * page_mail.c — the staff mail pages: the outbox (GET /staff/mail, one
 * message at /staff/mail/{id}) and the templates (GET /staff/mail/templates,
 * GET and POST /staff/mail/templates/{id}: edit, preview, save).
 *
 * PERM_MAIL_MANAGE (staff and admins), enforced by the route table. The
 * outbox is how staff read mail when no SMTP server is configured: an unsent
 * message is shown rendered as it would be sent now. Saving a template is
 * audited by the domain (domain/mail.h); previewing changes nothing.
 * Threading: reentrant.
 */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "domain/mail.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "web/app.h"
#include "web/render.h"
#include "web/routes.h"

static const char *const mail_statuses[] = { "queued", "sent", "failed", "suppressed", NULL };

static struct mail_settings mail_settings_of(const struct request *req)
{
	struct mail_settings s;

	s.keys = req->app->keys;
	s.base_url = req->app->cfg->base_url;
	s.org_name = req->app->cfg->org_name;
	return s;
}

/* Replaces integer time key with a formatted "key_text" for display. */
static void mail_format_time(struct request *req, json_t *row, const char *key)
{
	json_t *v = json_object_get(row, key);
	const char *d;
	char name[64];

	if (!json_is_integer(v))
		return;
	d = web_format_time(req, json_integer_value(v), 1);
	snprintf(name, sizeof(name), "%s_text", key);
	if (d)
		json_object_set_new(row, name, json_string(d));
}

int page_mail_outbox(struct request *req, struct response *res)
{
	const char *status = http_param_get(&req->query, "status");
	const char *page_s = http_param_get(&req->query, "page");
	json_t *rows = NULL, *counts = NULL, *filters, *row, *ctx;
	long long total = 0, page = 1;
	size_t i;
	int known = 0;

	for (i = 0; status && mail_statuses[i]; i++)
		known |= strcmp(status, mail_statuses[i]) == 0;
	if (!known)
		status = NULL;
	if (page_s && web_parse_id(page_s, &page) < 0)
		page = 1;
	if (page > 100000)
		page = 100000;
	if (mail_outbox_list(req->app->db, status, (int)page, LIMIT_PAGE_SIZE_DEFAULT, &rows, &total,
	                     &counts) < 0)
		return render_error(req, res, 503, "We couldn't load the outbox just now. Reload the page in a minute.");
	json_array_foreach(rows, i, row) {
		mail_format_time(req, row, "created_at");
		mail_format_time(req, row, "send_after");
		mail_format_time(req, row, "sent_at");
	}
	filters = json_array();
	json_array_append_new(filters, json_pack("{s:s, s:s, s:b, s:o?}", "code", "", "label", "all",
	                                         "selected", status == NULL, "count", NULL));
	for (i = 0; mail_statuses[i]; i++)
		json_array_append_new(filters, json_pack("{s:s, s:s, s:b, s:O}", "code", mail_statuses[i],
		                                         "label", mail_statuses[i], "selected",
		                                         status && strcmp(status, mail_statuses[i]) == 0,
		                                         "count", json_object_get(counts, mail_statuses[i])));
	ctx = json_pack("{s:o, s:o, s:I, s:b, s:o, s:s}", "messages", rows, "counts", counts,
	                "total", (json_int_t)total, "smtp", req->app->cfg->smtp_url[0] != '\0',
	                "filters", filters, "status", status ? status : "");
	if (ctx) {
		json_object_set_new(ctx, "nav_mail", json_true());
		if (page > 1)
			json_object_set_new(ctx, "prev_page", json_integer(page - 1));
		if (page * LIMIT_PAGE_SIZE_DEFAULT < total)
			json_object_set_new(ctx, "next_page", json_integer(page + 1));
	}
	return render_page(req, res, 200, "mail_outbox", ctx);
}

int page_mail_message(struct request *req, struct response *res)
{
	struct mail_settings s = mail_settings_of(req);
	json_t *row = NULL, *ctx;
	long long id;
	int rc;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such message.");
	rc = mail_outbox_get(req->app->db, &s, id, &row);
	if (rc < 0)
		return render_error(req, res, 503, "We couldn't load the message just now. Reload the page in a minute.");
	if (rc == 1)
		return render_error(req, res, 404, "There is no such message.");
	mail_format_time(req, row, "created_at");
	mail_format_time(req, row, "send_after");
	mail_format_time(req, row, "sent_at");
	json_object_del(row, "vars");  /* may hold links (accept tokens): shown in the body only */
	ctx = json_pack("{s:o, s:b}", "m", row, "nav_mail", 1);
	return render_page(req, res, 200, "mail_message", ctx);
}

int page_mail_templates(struct request *req, struct response *res)
{
	json_t *rows = NULL, *row;
	size_t i;

	if (mail_templates_list(req->app->db, &rows) < 0)
		return render_error(req, res, 503, "We couldn't load the templates just now. Reload the page in a minute.");
	json_array_foreach(rows, i, row) {
		mail_format_time(req, row, "updated_at");
		json_object_set_new(row, "marketing",
		                    json_boolean(strcmp(json_string_value(json_object_get(row, "kind")),
		                                        "marketing") == 0));
	}
	return render_page(req, res, 200, "mail_templates",
	                   json_pack("{s:o, s:b}", "templates", rows, "nav_mail", 1));
}

/* Renders the edit page: the stored template overlaid with what was typed
 * (subject/body/kind may be NULL), the errors, and a preview. */
static int mail_template_show(struct request *req, struct response *res, int status,
                              long long id, const char *subject, const char *body,
                              const char *kind, json_t *errors, int saved)
{
	struct mail_settings s = mail_settings_of(req);
	json_t *row = NULL, *preview = NULL, *ctx;
	const char *code;
	int rc;

	rc = mail_template_get(req->app->db, id, &row);
	if (rc < 0)
		return render_error(req, res, 503, "We couldn't load the template just now. Reload the page in a minute.");
	if (rc == 1)
		return render_error(req, res, 404, "There is no such template.");
	if (subject)
		json_object_set_new(row, "subject", json_string(subject));
	if (body)
		json_object_set_new(row, "body", json_string(body));
	if (kind && (strcmp(kind, "marketing") == 0 || strcmp(kind, "transactional") == 0))
		json_object_set_new(row, "kind", json_string(kind));
	mail_format_time(req, row, "updated_at");
	code = json_string_value(json_object_get(row, "code"));
	if (mail_template_preview(&s, code, json_string_value(json_object_get(row, "subject")),
	                          json_string_value(json_object_get(row, "body")),
	                          json_string_value(json_object_get(row, "kind")), &preview) < 0) {
		json_decref(row);
		return render_error(req, res, 500, "Something went wrong on our side. Please try again.");
	}
	json_object_set_new(row, "marketing",
	                    json_boolean(strcmp(json_string_value(json_object_get(row, "kind")),
	                                        "marketing") == 0));
	/* "tpl", not "t": every page's "t" is the theme's wording. */
	ctx = json_pack("{s:o, s:o, s:b, s:b}", "tpl", row, "preview", preview, "saved", saved,
	                "nav_mail", 1);
	if (ctx && errors && json_object_size(errors) > 0) {
		json_object_set(ctx, "errors", errors);
		json_object_set_new(ctx, "has_errors", json_true());
	}
	return render_page(req, res, status, "mail_template", ctx);
}

int page_mail_template_edit(struct request *req, struct response *res)
{
	long long id;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such template.");
	return mail_template_show(req, res, 200, id, NULL, NULL, NULL, NULL,
	                          http_param_get(&req->query, "saved") != NULL);
}

int page_mail_template_save(struct request *req, struct response *res)
{
	const char *subject = http_param_get(&req->form, "subject");
	const char *body = http_param_get(&req->form, "body");
	const char *kind = http_param_get(&req->form, "kind");
	const char *action = http_param_get(&req->form, "action");
	json_t *errors = NULL;
	const char *to;
	long long id;
	int rc;

	if (web_path_id(req, 0, &id) < 0)
		return render_error(req, res, 404, "There is no such template.");
	if (action && strcmp(action, "preview") == 0)
		return mail_template_show(req, res, 200, id, subject, body, kind, NULL, 0);
	rc = mail_template_save(req->app->db, web_user(req), id, subject, body, kind, &errors);
	if (rc == 2) {
		rc = mail_template_show(req, res, 422, id, subject, body, kind, errors, 0);
		json_decref(errors);
		return rc;
	}
	if (rc == 1)
		return render_error(req, res, 404, "There is no such template.");
	if (rc < 0)
		return render_error(req, res, 503, "We couldn't save the template just now. Go back and try again in a minute.");
	to = arena_printf(&req->arena, "/staff/mail/templates/%lld?saved=1", id);
	if (!to)
		return render_error(req, res, 500, "Something went wrong on our side.");
	http_redirect(res, 303, to);
	return 0;
}
