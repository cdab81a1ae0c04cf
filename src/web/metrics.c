/*
 * metrics.c — lock-free request counters and their Prometheus rendering.
 *
 * Counters: requests[route + 1][status class] where the status class is one
 * of a fixed list of statuses the product sends (anything else is counted
 * as "other"), and a latency histogram over the whole server. All are
 * _Atomic unsigned long long updated with relaxed adds: a scrape may see a
 * request in the counter but not yet in the histogram, which Prometheus
 * tolerates; nothing waits on a lock.
 *
 * Threading: any thread.
 */
#include "web/metrics.h"

#include <stdatomic.h>
#include <time.h>

#include "store/db.h"
#include "web/routes.h"

static const int metrics_statuses[] = {
	200, 201, 204, 303, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503,
};
#define METRICS_NSTATUS ((int)(sizeof(metrics_statuses) / sizeof(metrics_statuses[0])))

/* Upper bounds of the latency buckets, in microseconds (and as text). */
static const long long metrics_bounds_us[] = {
	1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
};
static const char *const metrics_bounds_text[] = {
	"0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
};
#define METRICS_NBOUNDS ((int)(sizeof(metrics_bounds_us) / sizeof(metrics_bounds_us[0])))

static _Atomic unsigned long long metrics_requests[METRICS_ROUTES_MAX + 1][METRICS_NSTATUS + 1];
static _Atomic unsigned long long metrics_latency[METRICS_NBOUNDS + 1];
static _Atomic unsigned long long metrics_latency_sum_us;

long long metrics_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void metrics_record(int route, int status, long long micros)
{
	int r = route >= 0 && route < METRICS_ROUTES_MAX ? route + 1 : 0, s, b;

	for (s = 0; s < METRICS_NSTATUS && metrics_statuses[s] != status; s++)
		;
	atomic_fetch_add_explicit(&metrics_requests[r][s], 1, memory_order_relaxed);
	if (micros < 0)
		micros = 0;
	for (b = 0; b < METRICS_NBOUNDS && micros > metrics_bounds_us[b]; b++)
		;
	atomic_fetch_add_explicit(&metrics_latency[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&metrics_latency_sum_us, (unsigned long long)micros,
	                          memory_order_relaxed);
}

static unsigned long long metrics_load(_Atomic unsigned long long *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static const char *metrics_method(enum http_method m)
{
	return m == HTTP_POST ? "POST" : m == HTTP_HEAD ? "HEAD" : "GET";
}

static void metrics_requests_render(buf *out)
{
	unsigned long long n;
	size_t r;
	int s;

	buf_adds(out, "# HELP onramp_http_requests_total Requests answered, by route and status.\n"
	              "# TYPE onramp_http_requests_total counter\n");
	for (r = 0; r <= web_routes_count && r <= METRICS_ROUTES_MAX; r++) {
		for (s = 0; s <= METRICS_NSTATUS; s++) {
			n = metrics_load(&metrics_requests[r][s]);
			if (n == 0)
				continue;
			/* route patterns are constants of the table: nothing to escape */
			if (r == 0)
				buf_adds(out, "onramp_http_requests_total{method=\"\",route=\"(none)\"");
			else
				buf_printf(out, "onramp_http_requests_total{method=\"%s\",route=\"%s\"",
				           metrics_method(web_routes[r - 1].method),
				           web_routes[r - 1].pattern);
			if (s < METRICS_NSTATUS)
				buf_printf(out, ",status=\"%d\"} %llu\n", metrics_statuses[s], n);
			else
				buf_printf(out, ",status=\"other\"} %llu\n", n);
		}
	}
}

static void metrics_latency_render(buf *out)
{
	unsigned long long cum = 0, sum = metrics_load(&metrics_latency_sum_us);
	int b;

	buf_adds(out, "# HELP onramp_http_request_duration_seconds Time from routing to the"
	              " response, per request.\n"
	              "# TYPE onramp_http_request_duration_seconds histogram\n");
	for (b = 0; b < METRICS_NBOUNDS; b++) {
		cum += metrics_load(&metrics_latency[b]);
		buf_printf(out, "onramp_http_request_duration_seconds_bucket{le=\"%s\"} %llu\n",
		           metrics_bounds_text[b], cum);
	}
	cum += metrics_load(&metrics_latency[METRICS_NBOUNDS]);
	buf_printf(out, "onramp_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
	buf_printf(out, "onramp_http_request_duration_seconds_sum %llu.%06llu\n", sum / 1000000,
	           sum % 1000000);
	buf_printf(out, "onramp_http_request_duration_seconds_count %llu\n", cum);
}

/* A counter of seconds, kept in microseconds. */
static void metrics_seconds(buf *out, const char *name, const char *help, unsigned long long us)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu.%06llu\n", name, help, name, name,
	           us / 1000000, us % 1000000);
}

static void metrics_db_render(buf *out, struct db *db)
{
	struct db_stats st;
	struct db_pool_stats ps;
	unsigned long long cum = 0, nbatches = 0;
	int i;

	db_stats(db, &st);
	db_pool_stats(db, &ps);
	buf_printf(out, "# HELP onramp_db_info The database engine.\n"
	                "# TYPE onramp_db_info gauge\n"
	                "onramp_db_info{engine=\"%s\"} 1\n", db_engine_name(db));
	buf_printf(out, "# HELP onramp_db_commits_total Transactions the group-commit writer committed.\n"
	                "# TYPE onramp_db_commits_total counter\n"
	                "onramp_db_commits_total %llu\n", st.groups);
	buf_printf(out, "# HELP onramp_db_commits_durable_total Of those, the ones known to be on"
	                " disk (fsynced).\n"
	                "# TYPE onramp_db_commits_durable_total counter\n"
	                "onramp_db_commits_durable_total %llu\n", st.synced);
	buf_printf(out, "# HELP onramp_db_write_jobs_total Write jobs (signups, intake, staff"
	                " writes) the writer ran.\n"
	                "# TYPE onramp_db_write_jobs_total counter\n"
	                "onramp_db_write_jobs_total %llu\n", st.jobs);
	buf_printf(out, "# HELP onramp_db_write_retries_total Jobs run again after a conflict"
	                " with another process.\n"
	                "# TYPE onramp_db_write_retries_total counter\n"
	                "onramp_db_write_retries_total %llu\n", st.retries);
	buf_printf(out, "# HELP onramp_db_commits_shared_total Of the commits, those whose jobs"
	                " shared the transaction without a savepoint each.\n"
	                "# TYPE onramp_db_commits_shared_total counter\n"
	                "onramp_db_commits_shared_total %llu\n", st.shared);
	buf_printf(out, "# HELP onramp_db_group_reruns_total Groups run again with a savepoint per"
	                " job after one of their jobs failed without one.\n"
	                "# TYPE onramp_db_group_reruns_total counter\n"
	                "onramp_db_group_reruns_total %llu\n", st.reruns);
	metrics_seconds(out, "onramp_db_write_queue_seconds_total",
	                "Time write jobs waited in the writer's queue, summed over jobs.", st.queue_us);
	metrics_seconds(out, "onramp_db_write_run_seconds_total",
	                "Time from a write job's group starting to its COMMIT, summed over jobs.",
	                st.run_us);
	metrics_seconds(out, "onramp_db_write_sync_wait_seconds_total",
	                "Time from a write job's COMMIT to the fsync that made it durable (SQLite's"
	                " syncer), summed over jobs.", st.sync_wait_us);
	buf_printf(out, "# HELP onramp_db_fsyncs_total The syncer's fsyncs of the WAL (SQLite).\n"
	                "# TYPE onramp_db_fsyncs_total counter\n"
	                "onramp_db_fsyncs_total %llu\n", st.fsyncs);
	metrics_seconds(out, "onramp_db_fsync_seconds_total", "Time those fsyncs took.", st.fsync_us);
	buf_printf(out, "# HELP onramp_db_write_queued Jobs waiting for the writer now.\n"
	                "# TYPE onramp_db_write_queued gauge\n"
	                "onramp_db_write_queued %llu\n", st.queued);
	buf_adds(out, "# HELP onramp_db_write_batch_jobs Jobs per batch the writer took at once.\n"
	              "# TYPE onramp_db_write_batch_jobs histogram\n");
	for (i = 0; i < DB_BATCH_BUCKETS; i++) {
		cum += st.batches[i];
		buf_printf(out, "onramp_db_write_batch_jobs_bucket{le=\"%u\"} %llu\n", 1u << i, cum);
	}
	for (i = 0; i < DB_BATCH_BUCKETS; i++)
		nbatches += st.batches[i];
	buf_printf(out, "onramp_db_write_batch_jobs_bucket{le=\"+Inf\"} %llu\n", cum);
	buf_printf(out, "onramp_db_write_batch_jobs_sum %llu\n", st.jobs);
	buf_printf(out, "onramp_db_write_batch_jobs_count %llu\n", nbatches);
	buf_printf(out, "# HELP onramp_db_pool_connections Read connections by state.\n"
	                "# TYPE onramp_db_pool_connections gauge\n"
	                "onramp_db_pool_connections{state=\"max\"} %llu\n"
	                "onramp_db_pool_connections{state=\"open\"} %llu\n"
	                "onramp_db_pool_connections{state=\"in_use\"} %llu\n",
	           ps.size, ps.open, ps.in_use);
	buf_printf(out, "# HELP onramp_db_pool_waits_total Reads that waited for a free connection.\n"
	                "# TYPE onramp_db_pool_waits_total counter\n"
	                "onramp_db_pool_waits_total %llu\n", ps.waits);
}

void metrics_render(buf *out, struct db *db)
{
	metrics_requests_render(out);
	metrics_latency_render(out);
	if (db)
		metrics_db_render(out, db);
}
