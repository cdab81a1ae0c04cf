/*
 * page_metrics.c — GET /metrics: Prometheus metrics of this process.
 *
 * Requests by route and status, a latency histogram, the database writer's
 * commits, jobs, retries and batch sizes, and the read pool's use (see
 * web/metrics.c). Operational data, not personal data, but it tells an
 * outsider how busy the organization is: only clients on the loopback
 * interface may read it, or anyone presenting "Authorization: Bearer
 * ONRAMP_METRICS_TOKEN" (compared in constant time). Behind a reverse
 * proxy every client looks local, so the proxy must not forward /metrics
 * (docs/DEPLOY.md). No cookies, no session.
 *
 * Threading: reentrant.
 */
#include "web/routes.h"

#include <string.h>

#include <sodium.h>

#include "config/config.h"
#include "web/app.h"
#include "web/metrics.h"

/* 1 if the request may read the metrics. */
static int metrics_allowed(const struct request *req)
{
	const char *token = req->app->cfg->metrics_token;
	const char *auth = http_header_get(req, "Authorization");
	size_t n = strlen(token);

	if (req->client_ip && (strcmp(req->client_ip, "127.0.0.1") == 0 ||
	                       strcmp(req->client_ip, "::1") == 0))
		return 1;
	if (n == 0 || !auth || strncmp(auth, "Bearer ", 7) != 0 || strlen(auth + 7) != n)
		return 0;
	return sodium_memcmp(auth + 7, token, n) == 0;
}

int page_metrics(struct request *req, struct response *res)
{
	buf_reset(&res->body);
	res->content_type = "text/plain; charset=utf-8";
	if (!metrics_allowed(req)) {
		res->status = 403;
		buf_adds(&res->body, "metrics are served to loopback clients and to the metrics token\n");
		return 0;
	}
	res->content_type = "text/plain; version=0.0.4; charset=utf-8";
	metrics_render(&res->body, req->app->db);
	res->status = buf_failed(&res->body) ? 500 : 200;
	if (res->status == 500) {
		buf_reset(&res->body);
		buf_adds(&res->body, "metrics too large\n");
	}
	return 0;
}
