/*
 * page_intake.c — POST /intake/KEY: the one endpoint every form posts its
 * leads to (partners' form builders' webhooks, our own sites).
 *
 * An API, not a page: no cookies, no session, no CSRF token (the route is
 * WEB_ROUTE_BARE | ROUTE_NO_CSRF). Its own authentication is the form key
 * in the URL (an unguessable capability), and for forms that ask for it the
 * X-Onramp-Secret header or an X-Onramp-Signature (HMAC-SHA256 of the raw
 * body). Bodies: JSON, urlencoded or multipart (the adapter has already
 * parsed forms; JSON is parsed here from the raw body, which the adapter
 * caps at LIMIT_INTAKE_BODY_MAX — over it, 413).
 *
 * Answers are JSON: 201 {status: new|merged|flagged, person_id,
 * submission_id}; 200 the first answer again for a repeated Idempotency-Key
 * (status "duplicate"); 400 {status: "rejected", errors: [{field,
 * message}], rejected_id}; 401 bad key or signature; 415 another body
 * type; 429 with Retry-After over the form's per-minute rate; 503 when the
 * database fails (nothing was stored: the sender should retry).
 *
 * The per-form rate limit is app->intake_limit (http/ratelimit.c: one
 * table keyed by form id, each hit naming its form's own per-minute rate);
 * on a database shared by several nodes (PostgreSQL) `onramp serve` hands
 * it to the database (domain/throttle.h), so the rate holds across nodes.
 * Threading: reentrant; the limiter and the forms cache lock internally.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "domain/intake.h"
#include "domain/keys.h"
#include "http/ratelimit.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "web/app.h"
#include "web/routes.h"

#define INTAKE_IP_HASH_BYTES 16
/* Where a body that is not a JSON object is kept (as a custom field). */
#define INTAKE_RAW_FIELD "raw_body"

/* Answers status with obj as the JSON body (takes ownership of obj). */
static int intake_reply(struct response *res, int status, json_t *obj)
{
	char *text;

	res->status = status;
	res->content_type = "application/json";
	text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (text == NULL) {
		res->status = 500;
		buf_adds(&res->body, "{\"error\":\"out of memory\"}");
		return 0;
	}
	buf_adds(&res->body, text);
	buf_addc(&res->body, '\n');
	free(text);
	return 0;
}

static int intake_fail(struct response *res, int status, const char *message)
{
	return intake_reply(res, status, json_pack("{s:s}", "error", message));
}

/* hex(keyed BLAKE2b(ip)), 16 bytes, as the signup stores it. */
static const char *intake_ip_hash(struct request *req)
{
	unsigned char h[INTAKE_IP_HASH_BYTES];
	char hex[INTAKE_IP_HASH_BYTES * 2 + 1];
	const char *ip = req->client_ip ? req->client_ip : "";

	if (crypto_generichash(h, sizeof(h), (const unsigned char *)ip, strlen(ip),
	                       req->app->keys->ip_hash, sizeof(req->app->keys->ip_hash)) != 0)
		return NULL;
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	return arena_strdup(&req->arena, hex);
}

/* 1 if the Content-Type names this media type (parameters ignored). */
static int intake_type_is(const char *ct, const char *type)
{
	size_t n = strlen(type);

	return ct && strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* The parsed form as an object: a name given once is a string, a name
 * given several times an array of strings. NULL when out of memory. */
static json_t *intake_form_payload(const struct request *req)
{
	json_t *obj = json_object(), *have, *arr, *v;
	size_t i;

	if (obj == NULL)
		return NULL;
	for (i = 0; i < req->form.count; i++) {
		v = json_stringn(req->form.items[i].value, req->form.items[i].value_len);
		if (v == NULL)
			goto fail;
		have = json_object_get(obj, req->form.items[i].name);
		if (have == NULL) {
			if (json_object_set_new(obj, req->form.items[i].name, v) < 0)
				goto fail;
		} else if (json_is_array(have)) {
			if (json_array_append_new(have, v) < 0)
				goto fail;
		} else {
			arr = json_pack("[O, o]", have, v);
			if (arr == NULL || json_object_set_new(obj, req->form.items[i].name, arr) < 0)
				goto fail;
		}
	}
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

/* The body as a payload: returns 0 with *payload set; 2 with *payload
 * holding a body that is not a JSON object as one text field; or 1 when an
 * answer was already given. */
static int intake_payload(struct request *req, struct response *res, json_t **payload)
{
	json_error_t jerr;
	const char *ct = req->content_type;

	*payload = NULL;
	if (intake_type_is(ct, "application/json") || (ct && strstr(ct, "+json") != NULL)) {
		*payload = json_loadb(req->body ? req->body : "", req->body_len, 0, &jerr);
		if (*payload != NULL && json_is_object(*payload))
			return 0;
		json_decref(*payload);
		*payload = NULL;
		/* Not a JSON object, but text: kept whole as a custom field of a
		 * rejected lead, so staff still see what was sent. */
		if (req->body && utf8_valid(req->body, req->body_len))
			*payload = json_pack("{s:s%}", INTAKE_RAW_FIELD, req->body, req->body_len);
		if (*payload != NULL)
			return 2;
		intake_reply(res, 400, json_pack("{s:s, s:[{s:s, s:s}]}", "status", "rejected",
		                                 "errors", "field", "payload", "message",
		                                 "The body is not a JSON object"));
		return 1;
	}
	if (intake_type_is(ct, "application/x-www-form-urlencoded") ||
	    intake_type_is(ct, "multipart/form-data")) {
		*payload = intake_form_payload(req);
		if (*payload == NULL) {
			intake_fail(res, 500, "out of memory");
			return 1;
		}
		return 0;
	}
	intake_fail(res, 415, "Send application/json, application/x-www-form-urlencoded or multipart/form-data");
	return 1;
}

/* Answers {status, person_id, submission_id} for an accepted lead: the
 * answer to nearly every post, so written directly (status is one of our
 * own words, nothing to escape) rather than built and dumped by jansson. */
static int intake_reply_accepted(struct response *res, int code, const char *status,
                                 const struct intake_result *r)
{
	res->status = code;
	res->content_type = "application/json";
	buf_printf(&res->body, "{\"status\":\"%s\",\"person_id\":%lld,\"submission_id\":%lld}\n",
	           status, r->person_id, r->submission_id);
	return 0;
}

/* [{field, message}] of person_validate()'s errors. */
static json_t *intake_error_list(json_t *errors)
{
	json_t *list = json_array(), *v;
	const char *key;

	if (list == NULL)
		return NULL;
	json_object_foreach(errors, key, v) {
		if (json_array_append_new(list, json_pack("{s:s, s:O}", "field", key, "message", v)) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

/* The answer for an outcome r (its errors decref'd by the caller). */
static int intake_answer(struct response *res, const struct intake_result *r, int bad_json)
{
	json_t *list;

	switch (r->outcome) {
	case INTAKE_REJECTED:
		if (bad_json)
			json_object_set_new(r->errors, "payload", json_string("The body is not a JSON object"));
		list = intake_error_list(r->errors);
		return intake_reply(res, 400, list == NULL ? NULL
		                    : r->rejected_id ? json_pack("{s:s, s:o, s:I}", "status", "rejected",
		                                                 "errors", list, "rejected_id",
		                                                 (json_int_t)r->rejected_id)
		                                     : json_pack("{s:s, s:o}", "status", "rejected",
		                                                 "errors", list));
	case INTAKE_REPLAYED:
		return intake_reply_accepted(res, 200, "duplicate", r);
	case INTAKE_NEW:
		return intake_reply_accepted(res, 201, "new", r);
	case INTAKE_MERGED:
		return intake_reply_accepted(res, 201, "merged", r);
	default:
		return intake_reply_accepted(res, 201, "flagged", r);
	}
}

/* A post waiting for its group commit (the request is parked). */
struct intake_post {
	struct intake_form    *form;
	json_t                *payload;
	int                    bad_json;
	int                    rc;       /* intake_accept_start's */
	struct intake_pending *pending;
	struct intake_result   r;
};

/* The write is durable (or failed): the request goes back to its event
 * loop. Called on a store thread. */
static void intake_post_written(void *arg)
{
	http_resume(arg);
}

/* The parked post's continuation, on the event loop. */
static int intake_post_done(struct request *req, struct response *res)
{
	struct intake_post *st = req->page_state;
	int rc;

	if (st->rc == 1)
		st->rc = intake_accept_finish(st->pending, &st->r);
	if (st->rc < 0) {
		log_error("intake: storing a lead for form %lld failed", intake_form_id(st->form));
		rc = intake_fail(res, 503, "The lead could not be stored; nothing was saved, retry later");
	} else {
		rc = intake_answer(res, &st->r, st->bad_json);
	}
	json_decref(st->r.errors);
	json_decref(st->payload);
	intake_form_release(st->form);
	return rc;
}

int page_intake_post(struct request *req, struct response *res)
{
	struct app *app = req->app;
	struct intake_form *form = NULL;
	struct intake_post *st;
	json_t *payload = NULL;
	const char *key = req->path_args[0], *retry;
	char formkey[24];
	unsigned wait;
	int rc, bad_json;

	rc = intake_form_lookup(app->db, app->keys, key, &form);
	if (rc < 0)
		return intake_fail(res, 503, "The database is not available; retry later");
	if (rc > 0)
		return intake_fail(res, 401, "Unknown or inactive form key");

	snprintf(formkey, sizeof(formkey), "%lld", intake_form_id(form));
	if (app->intake_limit &&
	    (wait = ratelimit_hit_limit(app->intake_limit, formkey,
	                                (unsigned)intake_form_rate(form))) > 0) {
		retry = arena_printf(&req->arena, "%u", wait);
		if (retry)
			http_add_header(res, "Retry-After", retry);
		rc = intake_fail(res, 429, "This form is over its rate limit; retry after Retry-After seconds");
		goto done;
	}
	if (!intake_form_authentic(form, http_header_get(req, "X-Onramp-Secret"),
	                           http_header_get(req, "X-Onramp-Signature"), req->body,
	                           req->body_len)) {
		rc = intake_fail(res, 401, "Missing or wrong secret or signature");
		goto done;
	}
	bad_json = intake_payload(req, res, &payload);
	if (bad_json == 1) {
		rc = 0;
		goto done;
	}
	st = arena_alloc(&req->arena, sizeof(*st));
	if (st == NULL) {
		rc = intake_fail(res, 500, "out of memory");
		goto done;
	}
	st->form = form;
	st->payload = payload;
	st->bad_json = bad_json;
	req->page_state = st;
	/* On the event loop the post waits for its group commit parked, not
	 * blocking: parked first, so the write's end always finds it parked;
	 * an answer known at once (or a failure to queue) resumes it now. */
	if (req->on_event_loop && web_suspend(req, intake_post_done) == 0) {
		st->rc = intake_accept_start(app->db, app->keys, form, payload,
		                             http_header_get(req, "Idempotency-Key"), intake_ip_hash(req),
		                             intake_post_written, req, &st->pending, &st->r);
		if (st->rc != 1)
			http_resume(req);
		return 0;
	}
	st->rc = intake_accept(app->db, app->keys, form, payload,
	                       http_header_get(req, "Idempotency-Key"), intake_ip_hash(req), &st->r);
	return intake_post_done(req, res);
done:
	json_decref(payload);
	intake_form_release(form);
	return rc;
}
