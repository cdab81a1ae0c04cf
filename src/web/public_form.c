/*
 * public_form.c — helpers shared by the public forms. See public_form.h.
 *
 * Threading: reentrant; memory from req->arena.
 */
#include "web/public_form.h"

#include <string.h>

#include <sodium.h>

#include "domain/keys.h"
#include "http/ratelimit.h"
#include "lib/limits.h"
#include "web/app.h"

#define PUBLIC_FORM_IP_HASH_BYTES 16

const char *public_form_ip_hash(struct request *req)
{
	unsigned char h[PUBLIC_FORM_IP_HASH_BYTES];
	char hex[PUBLIC_FORM_IP_HASH_BYTES * 2 + 1];
	const char *ip = req->client_ip ? req->client_ip : "";

	if (crypto_generichash(h, sizeof(h), (const unsigned char *)ip, strlen(ip),
	                       req->app->keys->ip_hash, sizeof(req->app->keys->ip_hash)) != 0)
		return NULL;
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	return arena_strdup(&req->arena, hex);
}

unsigned public_form_limit(struct request *req, struct response *res)
{
	const char *retry;
	unsigned wait;

	if (!req->app->signup_limit || !req->client_ip)
		return 0;
	wait = ratelimit_hit(req->app->signup_limit, req->client_ip);
	if (wait > 0) {
		retry = arena_printf(&req->arena, "%u", wait);
		if (retry)
			http_add_header(res, "Retry-After", retry);
	}
	return wait;
}

const char *public_form_tag(const struct http_params *p, const char *name)
{
	const char *v = http_param_get(p, name);

	if (!v || !*v || strlen(v) > LIMIT_SOURCE)
		return NULL;
	return v;
}
