/*
 * metrics.h — request counters for /metrics (Prometheus text format).
 *
 * web_dispatch() calls metrics_record() once per request it answers, with
 * the index of the route that answered (or -1 when none matched), the
 * response's status and how long the dispatch took. Everything is a fixed
 * array of atomic counters sized at compile time: no lock, no allocation,
 * so counting costs a few relaxed atomic adds on the request's thread.
 *
 * Threading: every function may be called from any thread at any time.
 */
#ifndef ONRAMP_METRICS_H
#define ONRAMP_METRICS_H

#include "lib/buf.h"

struct db;

/* Routes the counters can tell apart; the table has fewer. */
#define METRICS_ROUTES_MAX 160

/* Counts one answered request: route is an index into web_routes (-1:
 * no route matched), status the HTTP status sent, micros the time spent. */
void metrics_record(int route, int status, long long micros);

/* Appends every metric in the Prometheus text exposition format (0.0.4):
 * the request counters by route and status, the latency histogram, the
 * database writer's commits, jobs, retries and batch sizes, and the read
 * pool's use. */
void metrics_render(buf *out, struct db *db);

/* Monotonic time in microseconds, for timing a request. */
long long metrics_now_us(void);

#endif
