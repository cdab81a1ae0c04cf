/*
 * db_postgres.c — the PostgreSQL engine (libpq): connections, statements,
 * the read pool, open/close. The only file that calls PQ*.
 *
 * One struct pg_db is one postgres:// URL with:
 * - one writer connection, owned by the group-commit writer (db_writer.c,
 *   the same file as for SQLite): BEGIN, a SAVEPOINT per job, COMMIT;
 * - up to pool_size read connections (ONRAMP_DB_POOL), opened on demand and
 *   lent to one thread at a time. They are opened with
 *   default_transaction_read_only, so a write that bypasses the writer fails
 *   loudly instead of racing it.
 * Several Onramp processes may share the database: each has its own writer,
 * and the database's constraints and row locks keep them exact (a job that
 * loses a race gets DB_RETRY and is run again by the writer).
 *
 * Statements: area files write "?" (or "?NNN") parameters; they are
 * rewritten to $n outside quotes and comments, and each SQL text is prepared
 * once per connection as a named server-side statement, cached in an
 * open-addressing table keyed by the text's address (as in db_sqlite.c).
 * Parameters are sent as text (integers in decimal) or, for blobs, binary;
 * results come back as text, bytea decoded on demand. A statement's whole
 * result is fetched at its first db_step() (every query of the product is
 * bounded by a LIMIT or by one person), then db_step() walks its rows.
 * A statement run with db_step_deferred() (and the writer's SAVEPOINT) is
 * sent in libpq's pipeline mode and not waited for: it rides with the next
 * command that waits (see "deferred commands" below).
 *
 * Errors are logged once, here, with the SQLSTATE and the primary message
 * only — never the DETAIL, which repeats values (personal data). SQLSTATE
 * class 23 is DB_CONSTRAINT (logged at debug: an expected outcome), 53100
 * (disk full) and 58030 (I/O error) DB_FULL, 40001 and 40P01
 * (serialization failure, deadlock) DB_RETRY.
 *
 * A connection found broken (server restart, network) is reconnected at its
 * next use outside a transaction; its statements are prepared again.
 *
 * Threading: the pool is guarded by pool_mu; a struct pg_conn and its
 * statements belong to whichever thread borrowed it.
 */
#include "store/db_engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "lib/limits.h"
#include "lib/log.h"

#define PG_STMT_SLOTS      256  /* power of two */
#define PG_STMT_CACHE_MAX  192  /* fill at most 3/4 of the slots */
#define PG_PARAMS_MAX      64   /* ?1 … ?64 */
#define PG_OID_BYTEA       17
#define PG_OID_BOOL        16
#define PG_OID_TEXT        25
#define PG_OPEN_RETRY_MAX_MS 2000
#define PG_PIPE_MAX        64   /* deferred commands sent before a sync */

struct pg_param {
	char       *owned;     /* malloc'd copy of a text or blob value, or NULL */
	const char *value;     /* NULL for SQL NULL */
	int         length;
	int         format;    /* 0 text, 1 binary */
	char        num[24];   /* an integer's decimal text */
};

struct pg_blob {
	unsigned char *p;          /* PQunescapeBytea's, or NULL if not decoded */
	size_t         n;
};

struct pg_stmt {
	struct db_stmt   base;       /* dialect: first, see db_engine.h */
	const char      *sql;        /* cache key: the SQL text's address; NULL = free slot */
	struct pg_conn  *c;
	char             name[24];   /* the server-side statement's name */
	int              prepared;   /* exists on the server for this session */
	int              nparams;
	struct pg_param *params;     /* nparams entries */
	PGresult        *res;        /* the result being walked, or NULL */
	int              row, nrows; /* row: -1 before the first */
	struct pg_blob  *blobs;      /* decoded bytea per column of the current row */
	int              nblobs;
	int              transient;  /* not cached: db_done() deallocates and frees it */
	struct pg_stmt  *next;       /* transient statements not yet done */
};

struct pg_conn {
	struct db_conn   base;       /* dialect: first, see db_engine.h */
	PGconn          *pq;
	int              reader;
	int              last_error;
	long long        changes;
	unsigned long    serial;     /* names of transient statements */
	size_t           cached;
	int              cache_full_logged;
	struct pg_stmt  *transients;
	/* Pipeline mode: commands sent whose results are not read yet (see
	 * "deferred commands" below): each one's text, and for a statement
	 * prepared inside the pipeline the statement (unmarked as prepared
	 * again if the server did not take it). */
	int              pipe_n;
	const char      *pipe_sql[PG_PIPE_MAX];
	struct pg_stmt  *pipe_prep[PG_PIPE_MAX];
	struct pg_stmt   slots[PG_STMT_SLOTS];
};

struct pg_db {
	struct db          base;       /* dialect: first, see db_engine.h */
	char              *url;
	struct pg_conn    *writer_conn;
	struct db_writer  *writer;
	pthread_mutex_t    pool_mu;
	pthread_cond_t     pool_cv;
	struct pg_conn   **pool_free;
	size_t             pool_size;
	size_t             pool_nfree;
	size_t             pool_open;
	unsigned long long pool_waits;
};

static void pg_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void pg_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

/* Maps a SQLSTATE to an enum db_rc. */
static int pg_classify(const char *state)
{
	if (!state)
		return DB_ERROR;
	if (strncmp(state, "23", 2) == 0)
		return DB_CONSTRAINT;
	if (strcmp(state, "53100") == 0 || strcmp(state, "58030") == 0)
		return DB_FULL;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return DB_RETRY;
	return DB_ERROR;
}

/* Records and logs the failure in res (may be NULL: a connection failure)
 * while doing what with sql. Returns the enum db_rc. */
static int pg_fail(struct pg_conn *c, const PGresult *res, const char *what, const char *sql)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	int cls = pg_classify(state);

	if (!msg) {
		/* libpq's own message: the connection, not the data */
		msg = PQerrorMessage(c->pq);
	}
	c->last_error = cls;
	if (cls == DB_CONSTRAINT || cls == DB_RETRY)
		log_debug("store: %s: %s (%s) [%.120s]", what, msg ? msg : "?", state ? state : "-",
		          sql ? sql : "");
	else
		log_error("store: %s: %s (%s) [%.120s]", what, msg ? msg : "?", state ? state : "-",
		          sql ? sql : "");
	return cls;
}

/* ---- "?" to "$n" ----------------------------------------------------- */

/* Rewrites the "?" and "?NNN" parameters of sql outside quotes and comments
 * into "$n" (a bare "?" takes the highest number so far plus one, as in
 * SQLite). Sets *nparams to the highest number and used[n-1] for each
 * number that occurs. Returns a malloc'd text (the caller frees it), or NULL
 * on a parameter beyond PG_PARAMS_MAX or out of memory (logged). */
static char *pg_rewrite(const char *sql, int *nparams, unsigned char *used)
{
	size_t len = strlen(sql), o = 0;
	char *out = malloc(2 * len + 1);
	const char *p = sql;
	int max = 0, n;

	*nparams = 0;
	memset(used, 0, PG_PARAMS_MAX);
	if (!out) {
		log_error("store: out of memory rewriting a statement");
		return NULL;
	}
	while (*p) {
		if (*p == '\'' || *p == '"') {
			char q = *p;

			out[o++] = *p++;
			while (*p) {
				if (*p == q && p[1] == q) {
					out[o++] = *p++;
					out[o++] = *p++;
					continue;
				}
				if (*p == q)
					break;
				out[o++] = *p++;
			}
			if (*p)
				out[o++] = *p++;
			continue;
		}
		if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				out[o++] = *p++;
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			size_t k = end ? (size_t)(end + 2 - p) : strlen(p);

			memcpy(out + o, p, k);
			o += k;
			p += k;
			continue;
		}
		if (*p != '?') {
			out[o++] = *p++;
			continue;
		}
		p++;
		if (*p >= '0' && *p <= '9') {
			n = 0;
			while (*p >= '0' && *p <= '9' && n <= PG_PARAMS_MAX)
				n = n * 10 + (*p++ - '0');
		} else {
			n = max + 1;
		}
		if (n < 1 || n > PG_PARAMS_MAX) {
			log_error("store: a statement has more than %d parameters [%.120s]",
			          PG_PARAMS_MAX, sql);
			free(out);
			return NULL;
		}
		if (n > max)
			max = n;
		used[n - 1] = 1;
		o += (size_t)snprintf(out + o, 2 * len + 1 - o, "$%d", n);
	}
	out[o] = '\0';
	*nparams = max;
	return out;
}

/* ---- connections ------------------------------------------------------ */

static void stmt_clear_result(struct pg_stmt *s)
{
	int i;

	for (i = 0; i < s->nblobs; i++) {
		if (s->blobs[i].p)
			PQfreemem(s->blobs[i].p);
		s->blobs[i].p = NULL;
	}
	if (s->res)
		PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->nrows = 0;
}

static void stmt_clear_params(struct pg_stmt *s)
{
	int i;

	for (i = 0; i < s->nparams; i++) {
		free(s->params[i].owned);
		s->params[i].owned = NULL;
		s->params[i].value = NULL;
		s->params[i].length = 0;
		s->params[i].format = 0;
	}
}

static void stmt_release(struct pg_stmt *s)
{
	stmt_clear_result(s);
	stmt_clear_params(s);
	free(s->params);
	free(s->blobs);
	s->params = NULL;
	s->blobs = NULL;
	s->nblobs = 0;
}

/* Runs the session settings of a new (or reconnected) connection. */
static int conn_setup(struct pg_conn *c)
{
	char sql[256];
	PGresult *res;
	int ok;

	if (snprintf(sql, sizeof(sql),
	             "SET statement_timeout = %d; SET lock_timeout = %d;"
	             " SET default_transaction_isolation = 'read committed';"
	             " SET default_transaction_read_only = %s",
	             LIMIT_DB_STATEMENT_TIMEOUT_MS, LIMIT_DB_STATEMENT_TIMEOUT_MS,
	             c->reader ? "on" : "off") >= (int)sizeof(sql))
		return -1;
	res = PQexec(c->pq, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		pg_fail(c, res, "session settings", sql);
	PQclear(res);
	return ok ? 0 : -1;
}

/* Reconnects c if its connection broke, outside a transaction only (a
 * transaction in flight is lost either way; its caller hears an error).
 * Returns 0 if c is usable. */
static int conn_check(struct pg_conn *c)
{
	size_t i;
	struct pg_stmt *s;

	if (PQstatus(c->pq) == CONNECTION_OK)
		return 0;
	log_warn("store: the PostgreSQL connection broke; reconnecting");
	c->pipe_n = 0;
	PQreset(c->pq);
	if (PQstatus(c->pq) != CONNECTION_OK) {
		c->last_error = DB_ERROR;
		log_error("store: reconnecting: %s", PQerrorMessage(c->pq));
		return -1;
	}
	for (i = 0; i < PG_STMT_SLOTS; i++)
		c->slots[i].prepared = 0;
	for (s = c->transients; s; s = s->next)
		s->prepared = 0;
	return conn_setup(c);
}

static void conn_close(struct pg_conn *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < PG_STMT_SLOTS; i++)
		if (c->slots[i].sql)
			stmt_release(&c->slots[i]);
	while (c->transients) {
		struct pg_stmt *s = c->transients;

		c->transients = s->next;
		stmt_release(s);
		free(s);
	}
	PQfinish(c->pq);
	free(c);
}

/* The server's notices ("relation … already exists, skipping") go to the
 * debug log, not to stderr as libpq would print them. */
static void conn_notice(void *arg, const char *message)
{
	size_t n = strlen(message);

	(void)arg;
	if (n && message[n - 1] == '\n')
		n--;
	log_debug("store: postgres: %.*s", (int)n, message);
}

/* Opens a connection to url. Returns 0 and *out, or -1 (logged). */
static int conn_open(const char *url, int reader, struct pg_conn **out)
{
	static const char *const keys[] = { "dbname", "application_name", "connect_timeout",
	                                    "client_encoding", NULL };
	char timeout[16];
	const char *vals[5];
	struct pg_conn *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_error("store: out of memory opening a connection");
		return -1;
	}
	c->base.dialect = DB_DIALECT_POSTGRES;
	c->reader = reader;
	snprintf(timeout, sizeof(timeout), "%d", LIMIT_DB_CONNECT_TIMEOUT_S);
	vals[0] = url;
	vals[1] = "onramp";
	vals[2] = timeout;
	vals[3] = "UTF8";
	vals[4] = NULL;
	/* expand_dbname: the URL's own settings win over the defaults above */
	c->pq = PQconnectdbParams(keys, vals, 1);
	if (!c->pq || PQstatus(c->pq) != CONNECTION_OK) {
		log_error("store: cannot connect to PostgreSQL: %s",
		          c->pq ? PQerrorMessage(c->pq) : "out of memory");
		goto fail;
	}
	PQsetNoticeProcessor(c->pq, conn_notice, NULL);
	if (PQserverVersion(c->pq) < 150000)
		log_warn("store: PostgreSQL %d.%d is older than the tested 15",
		         PQserverVersion(c->pq) / 10000, PQserverVersion(c->pq) % 10000);
	if (conn_setup(c) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	PQfinish(c->pq);
	free(c);
	return -1;
}

/* ---- deferred commands (pipeline mode) --------------------------------
 *
 * A write job's statements are each a round trip to the server, and the
 * one writer connection waits through every one of them. Commands whose
 * results the job does not need before its next statement (the job's
 * SAVEPOINT, inserts whose outcome is only "done or error":
 * db_step_deferred) are instead sent in libpq's pipeline mode and not
 * waited for; the next command that needs an answer (a query, RELEASE,
 * ROLLBACK TO, COMMIT) is sent behind them with one sync, and all their
 * results are read in order. So a job's fire-and-forget statements ride
 * along with its next real round trip.
 *
 * Errors stay the job's: the server aborts everything after a failed
 * command up to the sync, and the failed command's class (logged here, as
 * for any statement) is what the waiting call returns. The writer always
 * ends a job with RELEASE or ROLLBACK TO, which flushes, so a deferred
 * failure is never reported to another job. A ROLLBACK that was aborted
 * that way is run again once the pipeline is drained: it is how the
 * caller recovers from the failure.
 *
 * Invariant: pipe_n > 0 exactly while the connection is in pipeline mode. */

/* Sends a sync, reads the result of every command sent since pipeline
 * mode began, and leaves pipeline mode. If last is not NULL, the result of
 * the last command goes to *last (the caller clears it) when every command
 * succeeded. Returns DB_OK, or the class of the first failed command
 * (logged); *failed_at (if not NULL) is its index, or -1. */
static int pipe_finish(struct pg_conn *c, PGresult **last, int *failed_at)
{
	PGresult *r;
	ExecStatusType st;
	int i, n = c->pipe_n, rc = DB_OK;

	if (last)
		*last = NULL;
	if (failed_at)
		*failed_at = -1;
	if (n == 0)
		return DB_OK;
	c->pipe_n = 0;
	if (PQpipelineSync(c->pq) != 1) {
		rc = pg_fail(c, NULL, "pipeline sync", c->pipe_sql[0]);
		if (failed_at)
			*failed_at = 0;
		return rc;  /* the connection is gone: conn_check resets it */
	}
	for (i = 0; i < n; i++) {
		int ok = 0;

		while ((r = PQgetResult(c->pq)) != NULL) {
			st = PQresultStatus(r);
			ok |= st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
			if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE ||
			    st == PGRES_NONFATAL_ERROR) {
				if (rc == DB_OK) {
					rc = pg_fail(c, r, "step", c->pipe_sql[i]);
					if (failed_at)
						*failed_at = i;
				}
			} else if (st != PGRES_PIPELINE_ABORTED && rc == DB_OK && last &&
			           i == n - 1 && *last == NULL) {
				*last = r;
				continue;
			}
			PQclear(r);
		}
		if (c->pipe_prep[i] && !ok)
			c->pipe_prep[i]->prepared = 0;
		if (PQstatus(c->pq) != CONNECTION_OK)
			break;
	}
	for (; i < n; i++)  /* never answered: the connection broke */
		if (c->pipe_prep[i])
			c->pipe_prep[i]->prepared = 0;
	/* the sync's own result, then nothing */
	while ((r = PQgetResult(c->pq)) != NULL) {
		st = PQresultStatus(r);
		PQclear(r);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	if (PQstatus(c->pq) == CONNECTION_OK && !PQexitPipelineMode(c->pq)) {
		while ((r = PQgetResult(c->pq)) != NULL)
			PQclear(r);
		if (!PQexitPipelineMode(c->pq) && rc == DB_OK)
			rc = pg_fail(c, NULL, "leaving pipeline mode", c->pipe_sql[n - 1]);
	}
	if (rc == DB_OK && PQstatus(c->pq) != CONNECTION_OK)
		rc = pg_fail(c, NULL, "pipeline", c->pipe_sql[n - 1]);
	if (rc != DB_OK && last && *last) {
		PQclear(*last);
		*last = NULL;
	}
	return rc;
}

/* Makes room for one more command in the pipeline, entering pipeline mode
 * if need be. Returns DB_OK or < 0 (logged). */
static int pipe_room(struct pg_conn *c, const char *sql)
{
	int rc;

	if (c->pipe_n == PG_PIPE_MAX && (rc = pipe_finish(c, NULL, NULL)) != DB_OK)
		return rc;
	if (c->pipe_n == 0 && PQpipelineStatus(c->pq) == PQ_PIPELINE_OFF &&
	    !PQenterPipelineMode(c->pq))
		return pg_fail(c, NULL, "entering pipeline mode", sql);
	return DB_OK;
}

/* A command could not be sent (the connection broke): logged; if nothing
 * else is in the pipeline, pipeline mode is left so the invariant holds
 * (PQreset leaves it too). Returns the class. */
static int pipe_send_failed(struct pg_conn *c, const char *sql)
{
	int rc = pg_fail(c, NULL, "send", sql);

	if (c->pipe_n == 0)
		(void)PQexitPipelineMode(c->pq);
	return rc;
}

/* Sends s with its bound parameters into the pipeline (libpq copies them).
 * Returns DB_OK or < 0 (logged). */
static int pipe_send_stmt(struct pg_stmt *s)
{
	const char *values[PG_PARAMS_MAX];
	int lengths[PG_PARAMS_MAX], formats[PG_PARAMS_MAX];
	int i, rc;

	if ((rc = pipe_room(s->c, s->sql)) != DB_OK)
		return rc;
	for (i = 0; i < s->nparams; i++) {
		values[i] = s->params[i].value;
		lengths[i] = s->params[i].length;
		formats[i] = s->params[i].format;
	}
	if (!PQsendQueryPrepared(s->c->pq, s->name, s->nparams, values, lengths, formats, 0))
		return pipe_send_failed(s->c, s->sql);
	s->c->pipe_prep[s->c->pipe_n] = NULL;
	s->c->pipe_sql[s->c->pipe_n++] = s->sql;
	return DB_OK;
}

/* Sends one parameterless statement into the pipeline. */
static int pipe_send_sql(struct pg_conn *c, const char *sql)
{
	int rc;

	if ((rc = pipe_room(c, sql)) != DB_OK)
		return rc;
	if (!PQsendQueryParams(c->pq, sql, 0, NULL, NULL, NULL, NULL, 0))
		return pipe_send_failed(c, sql);
	c->pipe_prep[c->pipe_n] = NULL;
	c->pipe_sql[c->pipe_n++] = sql;
	return DB_OK;
}

/* ---- statements -------------------------------------------------------- */

static size_t stmt_hash(const char *sql)
{
	uint64_t x = (uint64_t)(uintptr_t)sql;

	x ^= x >> 29;
	x *= UINT64_C(0x9e3779b97f4a7c15);
	x ^= x >> 32;
	return (size_t)(x & (PG_STMT_SLOTS - 1));
}

static struct pg_stmt *stmt_slot(struct pg_conn *c, const char *sql)
{
	size_t i = stmt_hash(sql), n;

	for (n = 0; n < PG_STMT_SLOTS; n++) {
		struct pg_stmt *s = &c->slots[i];

		if (s->sql == sql || s->sql == NULL)
			return s;
		i = (i + 1) & (PG_STMT_SLOTS - 1);
	}
	return NULL;
}

/* Prepares s->sql on the server under s->name. Returns DB_OK or < 0. */
static int stmt_server_prepare(struct pg_stmt *s)
{
	unsigned char used[PG_PARAMS_MAX];
	Oid types[PG_PARAMS_MAX];
	PGresult *res;
	char *text;
	int n, i, rc = DB_OK;

	text = pg_rewrite(s->sql, &n, used);
	if (!text)
		return DB_ERROR;
	/* A number no statement text mentions still has to have a type;
	 * text is as good as any (nothing reads it). */
	for (i = 0; i < n; i++)
		types[i] = used[i] ? 0 : PG_OID_TEXT;
	if (s->c->pipe_n > 0) {
		/* Inside a pipeline the Parse goes along too; its outcome (and
		 * the class of a failure) comes with the next flush. */
		if ((rc = pipe_room(s->c, s->sql)) == DB_OK) {
			if (!PQsendPrepare(s->c->pq, s->name, text, n, types)) {
				rc = pipe_send_failed(s->c, s->sql);
			} else {
				s->c->pipe_prep[s->c->pipe_n] = s;
				s->c->pipe_sql[s->c->pipe_n++] = s->sql;
			}
		}
	} else {
		res = PQprepare(s->c->pq, s->name, text, n, types);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = pg_fail(s->c, res, "prepare", s->sql);
		PQclear(res);
	}
	free(text);
	if (rc != DB_OK)
		return rc;
	if (s->params == NULL && n > 0) {
		s->params = calloc((size_t)n, sizeof(*s->params));
		if (!s->params) {
			s->c->last_error = DB_ERROR;
			log_error("store: out of memory preparing a statement");
			return DB_ERROR;
		}
	}
	s->nparams = n;
	s->prepared = 1;
	return DB_OK;
}

struct pg_stmt *db_pg_prepare(struct pg_conn *c, const char *sql)
{
	struct pg_stmt *slot, *s;
	int cache;

	if (!c || !sql)
		return NULL;
	if (conn_check(c) != 0)
		return NULL;
	slot = stmt_slot(c, sql);
	if (slot && slot->sql == sql) {
		stmt_clear_result(slot);
		stmt_clear_params(slot);
		if (!slot->prepared && stmt_server_prepare(slot) != DB_OK)
			return NULL;
		return slot;
	}
	cache = slot != NULL && c->cached < PG_STMT_CACHE_MAX;
	if (cache) {
		s = slot;
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "s%zu", (size_t)(slot - c->slots));
	} else {
		if (!c->cache_full_logged) {
			log_warn("store: statement cache full (%d); preparing uncached",
			         PG_STMT_CACHE_MAX);
			c->cache_full_logged = 1;
		}
		s = calloc(1, sizeof(*s));
		if (!s) {
			c->last_error = DB_ERROR;
			log_error("store: out of memory preparing a statement");
			return NULL;
		}
		snprintf(s->name, sizeof(s->name), "t%lu", ++c->serial);
		s->transient = 1;
	}
	s->base.dialect = DB_DIALECT_POSTGRES;
	s->c = c;
	s->sql = sql;
	s->row = -1;
	if (stmt_server_prepare(s) != DB_OK) {
		free(s->params);
		if (s->transient)
			free(s);
		else
			memset(s, 0, sizeof(*s));
		return NULL;
	}
	if (s->transient) {
		s->next = c->transients;
		c->transients = s;
	} else {
		c->cached++;
	}
	return s;
}

/* The parameter i (1-based) of s, or NULL (logged) if out of range. */
static struct pg_param *stmt_param(struct pg_stmt *s, int i)
{
	if (i < 1 || i > s->nparams) {
		s->c->last_error = DB_ERROR;
		log_error("store: bind: no parameter %d [%.120s]", i, s->sql);
		return NULL;
	}
	free(s->params[i - 1].owned);
	s->params[i - 1].owned = NULL;
	return &s->params[i - 1];
}

int db_pg_bind_int(struct pg_stmt *s, int i, long long v)
{
	struct pg_param *p = stmt_param(s, i);

	if (!p)
		return DB_ERROR;
	snprintf(p->num, sizeof(p->num), "%lld", v);
	p->value = p->num;
	p->length = 0;
	p->format = 0;
	return DB_OK;
}

static int stmt_bind_copy(struct pg_stmt *s, int i, const void *v, size_t n, int format)
{
	struct pg_param *p = stmt_param(s, i);

	if (!p)
		return DB_ERROR;
	p->value = NULL;
	p->format = 0;
	if (!v)
		return DB_OK;
	if (n > INT32_MAX - 1) {
		s->c->last_error = DB_ERROR;
		log_error("store: bind: value too large [%.120s]", s->sql);
		return DB_ERROR;
	}
	p->owned = malloc(n + 1);
	if (!p->owned) {
		s->c->last_error = DB_ERROR;
		log_error("store: out of memory binding a value");
		return DB_ERROR;
	}
	memcpy(p->owned, v, n);
	p->owned[n] = '\0';
	p->value = p->owned;
	p->length = (int)n;
	p->format = format;
	return DB_OK;
}

int db_pg_bind_text(struct pg_stmt *s, int i, const char *v)
{
	return stmt_bind_copy(s, i, v, v ? strlen(v) : 0, 0);
}

int db_pg_bind_blob(struct pg_stmt *s, int i, const void *p, size_t n)
{
	return stmt_bind_copy(s, i, p, n, 1);
}

int db_pg_bind_null(struct pg_stmt *s, int i)
{
	return stmt_bind_copy(s, i, NULL, 0, 0);
}

/* Executes s with its bound parameters and keeps the result. */
static int stmt_execute(struct pg_stmt *s)
{
	const char *values[PG_PARAMS_MAX];
	int lengths[PG_PARAMS_MAX], formats[PG_PARAMS_MAX];
	ExecStatusType st;
	int i, nf;

	if (s->c->pipe_n > 0) {
		/* behind the deferred commands, in the same round trip */
		int rc = pipe_send_stmt(s);

		if (rc == DB_OK)
			rc = pipe_finish(s->c, &s->res, NULL);
		if (rc != DB_OK) {
			if (PQstatus(s->c->pq) != CONNECTION_OK)
				s->prepared = 0;
			return rc;
		}
	} else {
		for (i = 0; i < s->nparams; i++) {
			values[i] = s->params[i].value;
			lengths[i] = s->params[i].length;
			formats[i] = s->params[i].format;
		}
		s->res = PQexecPrepared(s->c->pq, s->name, s->nparams, values, lengths, formats, 0);
	}
	st = PQresultStatus(s->res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		int rc = pg_fail(s->c, s->res, "step", s->sql);

		PQclear(s->res);
		s->res = NULL;
		if (PQstatus(s->c->pq) != CONNECTION_OK)
			s->prepared = 0;
		return rc;
	}
	s->c->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
	s->nrows = st == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
	s->row = -1;
	nf = PQnfields(s->res);
	if (nf > s->nblobs) {
		struct pg_blob *b = realloc(s->blobs, (size_t)nf * sizeof(*b));

		if (!b) {
			PQclear(s->res);
			s->res = NULL;
			s->c->last_error = DB_ERROR;
			return DB_ERROR;
		}
		for (i = s->nblobs; i < nf; i++)
			b[i].p = NULL;
		s->blobs = b;
		s->nblobs = nf;
	}
	return DB_OK;
}

int db_pg_step(struct pg_stmt *s)
{
	int rc, i;

	if (!s)
		return DB_ERROR;
	if (!s->res) {
		if (!s->prepared && (conn_check(s->c) != 0 || stmt_server_prepare(s) != DB_OK))
			return s->c->last_error < 0 ? s->c->last_error : DB_ERROR;
		if ((rc = stmt_execute(s)) != DB_OK)
			return rc;
	}
	for (i = 0; i < s->nblobs; i++) {
		if (s->blobs[i].p)
			PQfreemem(s->blobs[i].p);
		s->blobs[i].p = NULL;
	}
	if (s->row + 1 < s->nrows) {
		s->row++;
		return DB_ROW;
	}
	s->row = s->nrows;
	return DB_DONE;
}

int db_pg_step_deferred(struct pg_stmt *s)
{
	int rc;

	if (!s)
		return DB_ERROR;
	if (s->res)
		stmt_clear_result(s);
	if (!s->prepared && (conn_check(s->c) != 0 || stmt_server_prepare(s) != DB_OK))
		return s->c->last_error < 0 ? s->c->last_error : DB_ERROR;
	if ((rc = pipe_send_stmt(s)) != DB_OK) {
		if (PQstatus(s->c->pq) != CONNECTION_OK)
			s->prepared = 0;
		return rc;
	}
	s->row = s->nrows = 0;
	return DB_DONE;
}

static int stmt_has_value(struct pg_stmt *s, int i)
{
	return s && s->res && s->row >= 0 && s->row < s->nrows && i >= 0 &&
	       i < PQnfields(s->res) && !PQgetisnull(s->res, s->row, i);
}

long long db_pg_col_int(struct pg_stmt *s, int i)
{
	const char *v;

	if (!stmt_has_value(s, i))
		return 0;
	v = PQgetvalue(s->res, s->row, i);
	if (PQftype(s->res, i) == PG_OID_BOOL)
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

const char *db_pg_col_text(struct pg_stmt *s, int i)
{
	if (!stmt_has_value(s, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);
}

const void *db_pg_col_blob(struct pg_stmt *s, int i, size_t *len)
{
	size_t n = 0;

	if (len)
		*len = 0;
	if (!stmt_has_value(s, i))
		return NULL;
	if (PQftype(s->res, i) != PG_OID_BYTEA) {
		if (len)
			*len = (size_t)PQgetlength(s->res, s->row, i);
		return PQgetvalue(s->res, s->row, i);
	}
	if (!s->blobs[i].p) {
		s->blobs[i].p = PQunescapeBytea((const unsigned char *)PQgetvalue(s->res, s->row, i),
		                                &n);
		if (!s->blobs[i].p) {
			log_error("store: out of memory reading a blob");
			return NULL;
		}
		s->blobs[i].n = n;
	}
	if (len)
		*len = s->blobs[i].n;
	return s->blobs[i].p;
}

int db_pg_col_is_null(struct pg_stmt *s, int i)
{
	return !stmt_has_value(s, i);
}

void db_pg_done(struct pg_stmt *s)
{
	PGresult *res;
	char sql[64];

	if (!s)
		return;
	stmt_clear_result(s);
	stmt_clear_params(s);
	if (!s->transient)
		return;
	{
		struct pg_stmt **pp;

		for (pp = &s->c->transients; *pp; pp = &(*pp)->next) {
			if (*pp == s) {
				*pp = s->next;
				break;
			}
		}
	}
	if (s->c->pipe_n > 0)
		(void)pipe_finish(s->c, NULL, NULL);  /* a failure is logged, and the job's */
	if (s->prepared && snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name) < (int)sizeof(sql)) {
		res = PQexec(s->c->pq, sql);
		PQclear(res);
	}
	stmt_release(s);
	free(s);
}

int db_pg_exec(struct pg_conn *c, const char *sql)
{
	PGresult *res;
	ExecStatusType st;
	int rc = DB_OK;

	if (!c || !sql)
		return DB_ERROR;
	if (c->pipe_n > 0) {
		int at;

		/* one statement rides behind the deferred ones; several (a
		 * migration's text) need the simple protocol: flush first */
		if (strchr(sql, ';') == NULL && (rc = pipe_send_sql(c, sql)) == DB_OK) {
			int mine = c->pipe_n - 1;

			rc = pipe_finish(c, &res, &at);
			if (rc == DB_OK) {
				PQclear(res);
				return DB_OK;
			}
			/* a ROLLBACK aborted behind a failed deferred command is
			 * how the caller recovers from that failure: run it */
			if (at == mine || strncmp(sql, "ROLLBACK", 8) != 0)
				return rc;
		} else if ((rc = pipe_finish(c, NULL, NULL)) != DB_OK &&
		           strncmp(sql, "ROLLBACK", 8) != 0) {
			return rc;
		}
		rc = DB_OK;
	}
	if (!db_pg_conn_in_txn(c) && conn_check(c) != 0)
		return DB_ERROR;
	res = PQexec(c->pq, sql);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_fail(c, res, "exec", sql);
	PQclear(res);
	return rc;
}

int db_pg_exec_deferred(struct pg_conn *c, const char *sql)
{
	if (!c || !sql)
		return DB_ERROR;
	if (strchr(sql, ';') != NULL)
		return db_pg_exec(c, sql);
	if (c->pipe_n == 0 && !db_pg_conn_in_txn(c) && conn_check(c) != 0)
		return DB_ERROR;
	return pipe_send_sql(c, sql);
}

long long db_pg_changes(struct pg_conn *c)
{
	return c ? c->changes : 0;
}

int db_pg_conn_in_txn(struct pg_conn *c)
{
	PGTransactionStatusType t;

	if (!c)
		return 0;
	t = PQtransactionStatus(c->pq);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

int db_pg_conn_last_error(struct pg_conn *c)
{
	return c ? c->last_error : DB_ERROR;
}

void db_pg_conn_reset_statements(struct pg_conn *c)
{
	struct pg_stmt *s;
	size_t i;

	if (!c)
		return;
	/* Results live in this process; nothing stays open on the server.
	 * Dropping them frees memory and keeps the sqlite contract. */
	for (i = 0; i < PG_STMT_SLOTS; i++)
		if (c->slots[i].sql && c->slots[i].res)
			stmt_clear_result(&c->slots[i]);
	for (s = c->transients; s; s = s->next)
		if (s->res)
			stmt_clear_result(s);
}

/* ---- open, close, the pool --------------------------------------------- */

int db_pg_open(const char *url, int pool, struct pg_db **out, char *err, size_t errlen)
{
	struct pg_db *db;
	pthread_condattr_t ca;
	int mu = 0, cv = 0;

	*out = NULL;
	if (!PQisthreadsafe()) {
		pg_err(err, errlen, "this libpq is not thread-safe");
		return -1;
	}
	db = calloc(1, sizeof(*db));
	if (!db)
		goto fail_mem;
	db->base.dialect = DB_DIALECT_POSTGRES;
	db->pool_size = pool > 0 ? (size_t)pool : LIMIT_DB_READ_CONNECTIONS;
	db->pool_free = calloc(db->pool_size, sizeof(*db->pool_free));
	db->url = strdup(url);
	if (!db->url || !db->pool_free)
		goto fail_mem;
	if (pthread_mutex_init(&db->pool_mu, NULL) != 0)
		goto fail_mem;
	mu = 1;
	if (pthread_condattr_init(&ca) != 0)
		goto fail_mem;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	cv = pthread_cond_init(&db->pool_cv, &ca) == 0;
	pthread_condattr_destroy(&ca);
	if (!cv)
		goto fail_mem;
	if (conn_open(db->url, 0, &db->writer_conn) != 0) {
		pg_err(err, errlen, "cannot connect to the PostgreSQL database (see the log)");
		goto fail;
	}
	if (db_writer_start(&db->writer_conn->base, &db->writer) != 0) {
		pg_err(err, errlen, "cannot start the database writer (see the log)");
		goto fail;
	}
	*out = db;
	return 0;

fail_mem:
	pg_err(err, errlen, "out of memory opening the database");
fail:
	if (db) {
		conn_close(db->writer_conn);
		if (cv)
			pthread_cond_destroy(&db->pool_cv);
		if (mu)
			pthread_mutex_destroy(&db->pool_mu);
		free(db->pool_free);
		free(db->url);
		free(db);
	}
	return -1;
}

void db_pg_close(struct pg_db *db)
{
	size_t i;

	if (!db)
		return;
	db_writer_stop(db->writer);
	pthread_mutex_lock(&db->pool_mu);
	if (db->pool_nfree != db->pool_open)
		log_error("store: closing with %zu read connection(s) still lent",
		          db->pool_open - db->pool_nfree);
	for (i = 0; i < db->pool_nfree; i++)
		conn_close(db->pool_free[i]);
	db->pool_nfree = 0;
	pthread_mutex_unlock(&db->pool_mu);
	conn_close(db->writer_conn);
	pthread_cond_destroy(&db->pool_cv);
	pthread_mutex_destroy(&db->pool_mu);
	free(db->pool_free);
	free(db->url);
	free(db);
}

struct pg_conn *db_pg_read_begin(struct pg_db *db)
{
	struct pg_conn *c;
	struct timespec until;
	long wait_ms = 100;

	pthread_mutex_lock(&db->pool_mu);
	for (;;) {
		if (db->pool_nfree > 0) {
			c = db->pool_free[--db->pool_nfree];
			pthread_mutex_unlock(&db->pool_mu);
			return c;
		}
		if (db->pool_open < db->pool_size) {
			db->pool_open++;  /* reserve the slot while connecting unlocked */
			pthread_mutex_unlock(&db->pool_mu);
			if (conn_open(db->url, 1, &c) == 0)
				return c;
			pthread_mutex_lock(&db->pool_mu);
			db->pool_open--;
			pthread_cond_signal(&db->pool_cv);
			/* Logged; wait (a lent connection may come back) and retry. */
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += wait_ms / 1000;
			until.tv_nsec += (wait_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			(void)pthread_cond_timedwait(&db->pool_cv, &db->pool_mu, &until);
			if (wait_ms < PG_OPEN_RETRY_MAX_MS)
				wait_ms *= 2;
			continue;
		}
		db->pool_waits++;
		pthread_cond_wait(&db->pool_cv, &db->pool_mu);
	}
}

void db_pg_read_end(struct pg_db *db, struct pg_conn *c)
{
	if (!db || !c)
		return;
	(void)pipe_finish(c, NULL, NULL);  /* a failure is logged */
	db_pg_conn_reset_statements(c);
	if (db_pg_conn_in_txn(c)) {
		log_warn("store: read connection returned inside a transaction; rolling back");
		(void)db_pg_exec(c, "ROLLBACK");
	}
	pthread_mutex_lock(&db->pool_mu);
	if (db->pool_nfree >= db->pool_size) {
		pthread_mutex_unlock(&db->pool_mu);
		log_error("store: a read connection was returned twice");
		abort();
	}
	db->pool_free[db->pool_nfree++] = c;
	pthread_cond_signal(&db->pool_cv);
	pthread_mutex_unlock(&db->pool_mu);
}

int db_pg_write(struct pg_db *db, db_write_fn fn, void *arg, int rerunnable)
{
	return db_writer_submit(db->writer, fn, arg, rerunnable);
}

int db_pg_write_async(struct pg_db *db, db_write_fn fn, void *arg, int rerunnable,
                      db_done_fn done, void *done_arg)
{
	return db_writer_submit_async(db->writer, fn, arg, rerunnable, done, done_arg);
}

void db_pg_stats(struct pg_db *db, struct db_stats *out)
{
	db_writer_stats(db ? db->writer : NULL, out);
}

void db_pg_pool_stats(struct pg_db *db, struct db_pool_stats *out)
{
	pthread_mutex_lock(&db->pool_mu);
	out->size = db->pool_size;
	out->open = db->pool_open;
	out->in_use = db->pool_open - db->pool_nfree;
	out->waits = db->pool_waits;
	pthread_mutex_unlock(&db->pool_mu);
}

int db_pg_ping(struct pg_db *db)
{
	struct pg_conn *c = db_pg_read_begin(db);
	PGresult *res;
	int ok;

	/* conn_check reconnects a connection the server dropped meanwhile */
	if (conn_check(c) != 0) {
		db_pg_read_end(db, c);
		return -1;
	}
	res = PQexec(c->pq, "SELECT 1");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	db_pg_read_end(db, c);
	return ok ? 0 : -1;
}
