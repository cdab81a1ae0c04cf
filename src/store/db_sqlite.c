/*
 * db_sqlite.c — the SQLite engine: connections, statements, the read pool,
 * open/close and online backup. With sqlite_walbuf.c (the writer's VFS), the
 * only file that calls sqlite3_*.
 *
 * One struct sq_db is one database file with:
 * - one writer connection, owned by the group-commit writer (db_writer.c);
 * - up to pool_size read connections (ONRAMP_DB_POOL), opened on demand and
 *   lent to one thread at a time by db_sqlite_read_begin()/db_sqlite_read_end(). They are
 *   opened with PRAGMA query_only, so a write that bypasses the writer fails
 *   loudly instead of racing it.
 *
 * Every connection: WAL (readers never block the writer and see the newest
 * committed group), synchronous=FULL (a commit is on disk before db_write
 * returns, so an acknowledged signup survives kill -9 and power loss),
 * foreign keys on, a busy timeout for other processes (the CLI), and
 * SQLite's defensive mode (no writable_schema tricks, no untrusted schema
 * functions). Connections use SQLITE_OPEN_NOMUTEX: each is used by one
 * thread at a time, which the pool and the writer guarantee.
 *
 * Statements are cached per connection in an open-addressing table keyed by
 * the SQL text's address (area files pass string literals), so a hot query
 * is compiled once per connection. Entries are never removed before the
 * connection closes, so the table needs no tombstones; when it is full a
 * statement is prepared uncached and finalized by db_sqlite_done().
 *
 * Errors are logged once, here, with sqlite3_errmsg() and the constant SQL
 * text, never with bound values (they may be personal data). A constraint
 * failure is an expected outcome for callers (duplicate email) and is
 * logged at debug level only.
 *
 * Threading: the pool is guarded by pool_mu; a struct sq_conn and its
 * statements belong to whichever thread borrowed it.
 */
#include "store/db_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The preupdate hook (db_sqlite_conn_observe_rows) is declared only when
 * this is set; Debian's libsqlite3 is built with it (PRAGMA compile_options
 * lists ENABLE_PREUPDATE_HOOK). */
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include <sqlite3.h>

#include "lib/limits.h"
#include "lib/log.h"
#include "store/sqlite_walbuf.h"

#define DB_STMT_SLOTS      512  /* power of two */
#define DB_STMT_CACHE_MAX  384  /* fill at most 3/4 of the slots */
#define DB_BACKUP_PAGES    1024 /* pages copied per backup step */
#define DB_OPEN_RETRY_MAX_MS 2000

struct sq_stmt {
	struct db_stmt   base;     /* dialect: first, see db_engine.h */
	const char      *sql;      /* cache key: the SQL text's address; NULL = free slot */
	sqlite3_stmt    *st;
	struct sq_conn  *c;
	int              transient; /* not cached: db_sqlite_done() finalizes and frees it */
	size_t           observed;  /* the row observer's mark when the statement began */
	struct sq_stmt  *next;      /* transient statements not yet done */
};

struct sq_conn {
	struct db_conn   base;     /* dialect: first, see db_engine.h */
	sqlite3         *sq;
	int              last_error;
	size_t           cached;
	int              cache_full_logged;
	struct sq_stmt  *transients;
	/* The writer's durability hand-off (db_sqlite_conn_defer_sync): the
	 * WAL, opened by the syncing thread alone; -1 until its first sync. */
	int              wal_fd;
	int              sync_deferred;
	char            *wal_path;
	/* db_sqlite_conn_observe_rows: told of every row change; row_op is
	 * the change being reported (which row db_sqlite_row_* reads). */
	const struct db_row_observer *observer;
	int              row_op;
	struct sq_stmt   slots[DB_STMT_SLOTS];
};

struct sq_db {
	struct db          base;       /* dialect: first, see db_engine.h */
	char              *path;
	struct sq_conn    *writer_conn;
	struct db_writer  *writer;
	pthread_mutex_t    pool_mu;
	pthread_cond_t     pool_cv;    /* a connection came back or a slot freed */
	struct sq_conn   **pool_free;  /* pool_size slots */
	size_t             pool_size;  /* most read connections open at once */
	size_t             pool_nfree;
	size_t             pool_open;  /* open or being opened, lent or free */
	unsigned long long pool_waits; /* borrowers that had to wait */
};

/* The writer; a reader (pool); the search indexer's connection
 * (store_search_queue.c), which reads the database and writes only the
 * search index beside it. */
enum conn_role { CONN_WRITER, CONN_READER, CONN_INDEX };

/* The search index's file: the database's path and this (beside its -wal
 * and -shm). Derived data, rebuilt when missing. */
#define DB_SEARCH_SUFFIX "-search"


static void db_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes a one-line reason into err (truncated to fit; a cut reason is
 * still a reason). */
static void db_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

/* Maps an SQLite result code to an enum db_rc. */
static int conn_classify(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:         return DB_OK;
	case SQLITE_CONSTRAINT: return DB_CONSTRAINT;
	case SQLITE_FULL:
	case SQLITE_IOERR:      return DB_FULL;
	default:                return DB_ERROR;
	}
}

/* Records and logs a failure of rc on c while doing what with sql (constant
 * text, may be NULL). Returns the enum db_rc. */
static int conn_fail(struct sq_conn *c, int rc, const char *what, const char *sql)
{
	int cls = conn_classify(rc);

	if (cls == DB_OK)
		cls = DB_ERROR;
	c->last_error = cls;
	if (cls == DB_CONSTRAINT)
		log_debug("store: %s: %s [%.120s]", what, sqlite3_errmsg(c->sq), sql ? sql : "");
	else
		log_error("store: %s: %s (%s) [%.120s]", what, sqlite3_errmsg(c->sq),
		          sqlite3_errstr(rc), sql ? sql : "");
	return cls;
}

/* ---- statements ---------------------------------------------------- */

static size_t stmt_hash(const char *sql)
{
	uint64_t x = (uint64_t)(uintptr_t)sql;

	x ^= x >> 29;
	x *= UINT64_C(0x9e3779b97f4a7c15);
	x ^= x >> 32;
	return (size_t)(x & (DB_STMT_SLOTS - 1));
}

/* Returns the slot holding sql, or the free slot where it would go, or NULL
 * if the table has no free slot on sql's probe path (cannot happen while
 * DB_STMT_CACHE_MAX < DB_STMT_SLOTS, but stays safe). */
static struct sq_stmt *stmt_slot(struct sq_conn *c, const char *sql)
{
	size_t i = stmt_hash(sql), n;

	for (n = 0; n < DB_STMT_SLOTS; n++) {
		struct sq_stmt *s = &c->slots[i];

		if (s->sql == sql || s->sql == NULL)
			return s;
		i = (i + 1) & (DB_STMT_SLOTS - 1);
	}
	return NULL;
}

/* 1 if the rest of the SQL text after the first statement is blank. */
static int stmt_tail_blank(const char *tail)
{
	for (; tail && *tail; tail++)
		if (*tail != ' ' && *tail != '\t' && *tail != '\n' && *tail != '\r' && *tail != ';')
			return 0;
	return 1;
}

struct sq_stmt *db_sqlite_prepare(struct sq_conn *c, const char *sql)
{
	struct sq_stmt *slot, *s;
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int rc, cache;

	if (!c || !sql)
		return NULL;
	slot = stmt_slot(c, sql);
	if (slot && slot->sql == sql) {
		/* reset returns the previous step's error, already reported */
		(void)sqlite3_reset(slot->st);
		sqlite3_clear_bindings(slot->st);
		return slot;
	}
	cache = slot != NULL && c->cached < DB_STMT_CACHE_MAX;
	rc = sqlite3_prepare_v3(c->sq, sql, -1, cache ? SQLITE_PREPARE_PERSISTENT : 0, &st, &tail);
	if (rc != SQLITE_OK) {
		conn_fail(c, rc, "prepare", sql);
		return NULL;
	}
	if (!st || !stmt_tail_blank(tail)) {
		sqlite3_finalize(st);
		c->last_error = DB_ERROR;
		log_error("store: prepare: need exactly one statement [%.120s]", sql);
		return NULL;
	}
	if (cache) {
		slot->base.dialect = DB_DIALECT_SQLITE;
		slot->sql = sql;
		slot->st = st;
		slot->c = c;
		slot->transient = 0;
		c->cached++;
		return slot;
	}
	if (!c->cache_full_logged) {
		log_warn("store: statement cache full (%d); preparing uncached", DB_STMT_CACHE_MAX);
		c->cache_full_logged = 1;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		sqlite3_finalize(st);
		c->last_error = DB_ERROR;
		log_error("store: out of memory preparing a statement");
		return NULL;
	}
	s->base.dialect = DB_DIALECT_SQLITE;
	s->sql = sql;
	s->st = st;
	s->c = c;
	s->transient = 1;
	s->next = c->transients;
	c->transients = s;
	return s;
}

static int stmt_bind_result(struct sq_stmt *s, int rc)
{
	if (rc == SQLITE_OK)
		return DB_OK;
	return conn_fail(s->c, rc, "bind", sqlite3_sql(s->st));
}

int db_sqlite_bind_int(struct sq_stmt *s, int i, long long v)
{
	if (!s)
		return DB_ERROR;
	return stmt_bind_result(s, sqlite3_bind_int64(s->st, i, (sqlite3_int64)v));
}

int db_sqlite_bind_text(struct sq_stmt *s, int i, const char *v)
{
	if (!s)
		return DB_ERROR;
	if (!v)
		return stmt_bind_result(s, sqlite3_bind_null(s->st, i));
	return stmt_bind_result(s, sqlite3_bind_text64(s->st, i, v, strlen(v),
	                                               SQLITE_TRANSIENT, SQLITE_UTF8));
}

int db_sqlite_bind_blob(struct sq_stmt *s, int i, const void *p, size_t n)
{
	if (!s)
		return DB_ERROR;
	if (!p)
		return stmt_bind_result(s, sqlite3_bind_null(s->st, i));
	return stmt_bind_result(s, sqlite3_bind_blob64(s->st, i, p, (sqlite3_uint64)n,
	                                               SQLITE_TRANSIENT));
}

int db_sqlite_bind_null(struct sq_stmt *s, int i)
{
	if (!s)
		return DB_ERROR;
	return stmt_bind_result(s, sqlite3_bind_null(s->st, i));
}

int db_sqlite_step(struct sq_stmt *s)
{
	int rc;

	const struct db_row_observer *o;

	if (!s)
		return DB_ERROR;
	o = s->c->observer;
	if (o && !sqlite3_stmt_busy(s->st))
		s->observed = o->mark(o->arg);
	rc = sqlite3_step(s->st);
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	/* SQLite undid the statement's own changes; the observer forgets
	 * what it was told of them. */
	if (o)
		o->undo(o->arg, s->observed);
	return conn_fail(s->c, rc, "step", sqlite3_sql(s->st));
}

long long db_sqlite_col_int(struct sq_stmt *s, int i)
{
	return s ? (long long)sqlite3_column_int64(s->st, i) : 0;
}

const char *db_sqlite_col_text(struct sq_stmt *s, int i)
{
	return s ? (const char *)sqlite3_column_text(s->st, i) : NULL;
}

const void *db_sqlite_col_blob(struct sq_stmt *s, int i, size_t *len)
{
	const void *p;
	int n;

	if (len)
		*len = 0;
	if (!s)
		return NULL;
	/* blob first, then bytes: the order SQLite documents as safe */
	p = sqlite3_column_blob(s->st, i);
	n = sqlite3_column_bytes(s->st, i);
	if (len && n > 0)
		*len = (size_t)n;
	return p;
}

int db_sqlite_col_is_null(struct sq_stmt *s, int i)
{
	return !s || sqlite3_column_type(s->st, i) == SQLITE_NULL;
}

static void stmt_free_transient(struct sq_stmt *s)
{
	struct sq_stmt **pp;

	for (pp = &s->c->transients; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	sqlite3_finalize(s->st);
	free(s);
}

void db_sqlite_done(struct sq_stmt *s)
{
	if (!s)
		return;
	if (s->transient) {
		stmt_free_transient(s);
		return;
	}
	(void)sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
}

int db_sqlite_exec(struct sq_conn *c, const char *sql)
{
	char *msg = NULL;
	int rc, cls;

	if (!c || !sql)
		return DB_ERROR;
	rc = sqlite3_exec(c->sq, sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return DB_OK;
	cls = conn_classify(rc);
	if (cls == DB_OK)
		cls = DB_ERROR;
	c->last_error = cls;
	if (cls == DB_CONSTRAINT)
		log_debug("store: exec: %s [%.120s]", msg ? msg : sqlite3_errstr(rc), sql);
	else
		log_error("store: exec: %s (%s) [%.120s]", msg ? msg : sqlite3_errmsg(c->sq),
		          sqlite3_errstr(rc), sql);
	sqlite3_free(msg);
	return cls;
}

int db_sqlite_conn_defer_sync(struct sq_conn *c)
{
	/* NORMAL in WAL mode: a COMMIT writes its frames to the WAL and
	 * returns without fsync; checkpoints still sync the WAL before copying
	 * it and the database after, so the file stays consistent whatever
	 * happens. db_sqlite_conn_sync makes the commits durable. */
	const char *wal;

	if (!c)
		return DB_ERROR;
	wal = sqlite3_filename_wal(sqlite3_db_filename(c->sq, "main"));
	if (wal == NULL || *wal == '\0')
		return 0;  /* no WAL file to sync (not a file database): COMMIT stays FULL */
	if ((c->wal_path = strdup(wal)) == NULL)
		return DB_ERROR;
	if (db_sqlite_exec(c, "PRAGMA synchronous=NORMAL") != DB_OK)
		return DB_ERROR;
	c->sync_deferred = 1;
	return 1;
}

/* fsyncs the directory holding path, so a file just created in it keeps
 * its name (a backup's copy, the writer's WAL). Returns 0, or -1 if the
 * directory could not be opened or synced (an fsync failure is logged). */
static int sync_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, n, rc;

	if (!slash)
		n = snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		n = snprintf(dir, sizeof(dir), "/");
	else
		n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	if (rc != 0) {
		int e = errno;

		log_warn("store: fsync of %s: %s", dir, strerror(e));
		errno = e;  /* the caller may report it too */
	}
	close(fd);
	return rc == 0 ? 0 : -1;
}

int db_sqlite_conn_sync(struct sq_conn *c)
{
	if (!c || !c->sync_deferred)
		return DB_OK;
	if (c->wal_fd < 0) {
		/* Linux flushes a file's dirty pages whichever descriptor wrote
		 * them: our own read-only descriptor of the WAL syncs what the
		 * writer's connection wrote. The WAL keeps its inode while the
		 * connection is open (SQLite rewinds and truncates it, never
		 * replaces it); the folder is synced once, for its entry. */
		if ((c->wal_fd = open(c->wal_path, O_RDONLY | O_CLOEXEC)) < 0) {
			log_error("store: cannot open the WAL to sync it: %s", strerror(errno));
			return DB_ERROR;
		}
		if (sync_parent_dir(c->wal_path) != 0) {
			log_error("store: cannot sync the database folder: %s", strerror(errno));
			return DB_ERROR;
		}
	}
	if (fdatasync(c->wal_fd) != 0) {
		log_error("store: fdatasync of the WAL failed: %s", strerror(errno));
		return DB_ERROR;
	}
	return DB_OK;
}

int db_sqlite_conn_main_triggers(struct sq_conn *c, int on)
{
	int now = -1;

	if (!c || sqlite3_db_config(c->sq, SQLITE_DBCONFIG_ENABLE_TRIGGER, on ? 1 : 0, &now) !=
	                  SQLITE_OK || now != (on ? 1 : 0))
		return DB_ERROR;
	return DB_OK;
}

/* SQLite's preupdate hook: hands changes to rows of the main schema to
 * the connection's observer. */
static void conn_preupdate(void *p, sqlite3 *sq, int op, const char *db_name, const char *table,
                           sqlite3_int64 key1, sqlite3_int64 key2)
{
	struct sq_conn *c = p;
	const struct db_row_observer *o = c->observer;

	(void)sq;
	(void)key1;
	(void)key2;
	if (!o || strcmp(db_name, "main") != 0)
		return;
	c->row_op = op;
	o->change(o->arg, &c->base,
	          op == SQLITE_INSERT ? DB_ROW_INSERT : op == SQLITE_DELETE ? DB_ROW_DELETE
	                                                                  : DB_ROW_UPDATE,
	          table);
}

int db_sqlite_conn_observe_rows(struct sq_conn *c, const struct db_row_observer *o)
{
	if (!c)
		return DB_ERROR;
	c->observer = o;
	(void)sqlite3_preupdate_hook(c->sq, o ? conn_preupdate : NULL, o ? c : NULL);
	return DB_OK;
}

/* The value of column col of the row being reported, or NULL. */
static sqlite3_value *conn_row_value(struct sq_conn *c, int col)
{
	sqlite3_value *v = NULL;
	int rc;

	if (c->row_op == SQLITE_DELETE)
		rc = sqlite3_preupdate_old(c->sq, col, &v);
	else
		rc = sqlite3_preupdate_new(c->sq, col, &v);
	return rc == SQLITE_OK ? v : NULL;
}

int db_sqlite_row_int(struct sq_conn *c, int col, long long *v)
{
	sqlite3_value *val = conn_row_value(c, col);

	if (val == NULL)
		return -1;
	*v = (long long)sqlite3_value_int64(val);
	return 0;
}

int db_sqlite_row_text(struct sq_conn *c, int col, const char **v)
{
	sqlite3_value *val = conn_row_value(c, col);

	if (val == NULL)
		return -1;
	*v = (const char *)sqlite3_value_text(val);
	return 0;
}

long long db_sqlite_last_insert_id(struct sq_conn *c)
{
	return c ? (long long)sqlite3_last_insert_rowid(c->sq) : 0;
}

long long db_sqlite_changes(struct sq_conn *c)
{
	return c ? (long long)sqlite3_changes64(c->sq) : 0;
}

int db_sqlite_conn_in_txn(struct sq_conn *c)
{
	return c && !sqlite3_get_autocommit(c->sq);
}

int db_sqlite_conn_last_error(struct sq_conn *c)
{
	return c ? c->last_error : DB_ERROR;
}

/* Only our own statements: SQLite's internal ones (FTS5's, incremental
 * blob handles) are not ours to reset. */
static void stmt_reset_if_busy(sqlite3_stmt *st)
{
	if (st && sqlite3_stmt_busy(st)) {
		log_warn("store: statement left running (missing db_done) [%.120s]",
		         sqlite3_sql(st));
		(void)sqlite3_reset(st);
	}
}

void db_sqlite_conn_reset_statements(struct sq_conn *c)
{
	struct sq_stmt *s;
	size_t i;

	if (!c)
		return;
	for (i = 0; i < DB_STMT_SLOTS; i++)
		if (c->slots[i].sql)
			stmt_reset_if_busy(c->slots[i].st);
	for (s = c->transients; s; s = s->next)
		stmt_reset_if_busy(s->st);
}

/* ---- connections --------------------------------------------------- */

static void conn_close(struct sq_conn *c)
{
	size_t i;
	int rc;

	if (!c)
		return;
	for (i = 0; i < DB_STMT_SLOTS; i++)
		if (c->slots[i].sql)
			sqlite3_finalize(c->slots[i].st);
	while (c->transients) {
		struct sq_stmt *s = c->transients;

		c->transients = s->next;
		sqlite3_finalize(s->st);
		free(s);
	}
	/* Statements we did not prepare (FTS5 keeps its own on the
	 * connection) are SQLite's to finalize: it does so while closing. */
	rc = sqlite3_close(c->sq);
	if (rc != SQLITE_OK)
		log_error("store: close: %s", sqlite3_errstr(rc));
	if (c->wal_fd >= 0)
		close(c->wal_fd);
	free(c->wal_path);
	free(c);
}

/* Reads the one-row, one-column answer of a PRAGMA into out (NUL-terminated). */
static int conn_pragma_text(struct sq_conn *c, const char *sql, char *out, size_t outlen)
{
	struct sq_stmt *s;
	const char *v;
	int rc;

	out[0] = '\0';
	s = db_sqlite_prepare(c, sql);
	if (!s)
		return -1;
	rc = db_sqlite_step(s);
	if (rc == DB_ROW) {
		v = db_sqlite_col_text(s, 0);
		if (v && snprintf(out, outlen, "%s", v) >= (int)outlen)
			out[0] = '\0';
	}
	db_sqlite_done(s);
	return rc == DB_ROW ? 0 : -1;
}

/* Process-wide SQLite settings, before the library's first use.
 * Memory statistics off: with them on, every allocation SQLite makes
 * takes one global mutex to count itself — profiled, a tenth of the
 * writer thread's time under load went to that lock, shared with every
 * reader. Nothing in Onramp reads those statistics. If something else in
 * the process (GDAL reading a GeoPackage) initialized SQLite first, the
 * call is refused and the default stays: slower, not wrong. */
static pthread_once_t conn_library_once = PTHREAD_ONCE_INIT;

static void conn_library_setup(void)
{
	if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		log_debug("store: SQLite was initialized before Onramp's settings");
	(void)sqlite3_initialize();
}

/* Attaches the search index beside path as schema "search", so queries
 * name people_fts unqualified. 0, or -1 (logged). */
static int conn_attach_search(struct sq_conn *c, const char *path)
{
	char search[PATH_MAX];
	sqlite3_stmt *st = NULL;
	int rc;

	if (snprintf(search, sizeof(search), "%s" DB_SEARCH_SUFFIX, path) >= (int)sizeof(search)) {
		log_error("store: the search index's path is too long");
		return -1;
	}
	rc = sqlite3_prepare_v2(c->sq, "ATTACH DATABASE ? AS search", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, search, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(c->sq);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK) {
		log_error("store: cannot open the search index %s: %s", search, sqlite3_errmsg(c->sq));
		return -1;
	}
	return 0;
}

/* The indexer's connection reads the database and writes only the search
 * index: a write to the main schema would take the database's write lock
 * from under the writer, so it is refused when prepared. */
static int conn_index_authorizer(void *arg, int action, const char *a1, const char *a2,
                                 const char *schema, const char *trigger)
{
	(void)arg;
	(void)a1;
	(void)a2;
	(void)trigger;
	/* (Creating a virtual table in the search schema reports its
	 * sqlite_master update under "main": that one is SQLite's own.) */
	if ((action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE) &&
	    schema != NULL && strcmp(schema, "main") == 0 && a1 != NULL &&
	    strcmp(a1, "sqlite_master") != 0)
		return SQLITE_DENY;
	return SQLITE_OK;
}

/* Opens path with every connection setting of this engine. Returns 0 and
 * *out, or -1 (logged). */
static int conn_open(const char *path, enum conn_role role, struct sq_conn **out)
{
	struct sq_conn *c;
	char mode[16];
	int rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_error("store: out of memory opening a connection");
		return -1;
	}
	c->base.dialect = DB_DIALECT_SQLITE;
	c->wal_fd = -1;
	(void)pthread_once(&conn_library_once, conn_library_setup);
	/* The writer appends each commit's WAL frames with one write
	 * (sqlite_walbuf.c); readers never write. */
	rc = sqlite3_open_v2(path, &c->sq,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                     role == CONN_WRITER ? sqlite_walbuf_vfs() : NULL);
	if (rc != SQLITE_OK) {
		log_error("store: cannot open %s: %s", path,
		          c->sq ? sqlite3_errmsg(c->sq) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(c->sq, 1);
	sqlite3_busy_timeout(c->sq, LIMIT_DB_BUSY_TIMEOUT_MS);
	sqlite3_db_config(c->sq, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(c->sq, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
	sqlite3_db_config(c->sq, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);

	if (conn_pragma_text(c, "PRAGMA journal_mode=WAL", mode, sizeof(mode)) != 0)
		goto fail;
	if (strcmp(mode, "wal") != 0) {
		log_error("store: %s: cannot use WAL (journal mode stays %s)", path, mode);
		goto fail;
	}
	if (db_sqlite_exec(c, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;") != DB_OK)
		goto fail;
	if (role == CONN_WRITER) {
		/* keep the WAL from staying huge after a burst */
		if (db_sqlite_exec(c, "PRAGMA journal_size_limit=67108864") != DB_OK)
			goto fail;
		/* Each job of a group runs in its own savepoint (unless the
		 * group shares its transaction: db_writer.c), and SQLite
		 * saves every page a job touches that the group already changed
		 * into a sub-journal — by default a temporary file once it passes
		 * 64 KiB, i.e. two write() calls per page per job: profiled, that
		 * was most of a lead's cost. temp_store=MEMORY keeps sub-journals
		 * in memory (a job's pages, freed when its savepoint ends). The
		 * page cache is large enough to hold a group's pages, and the WAL
		 * is checkpointed every 8192 pages instead of 1000. Durability is
		 * unchanged: every group is fsynced before its callers hear back
		 * (at COMMIT, or by the writer's syncer: db_sqlite_conn_defer_sync). */
		if (db_sqlite_exec(c, "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;"
		                      " PRAGMA wal_autocheckpoint=8192") != DB_OK)
			goto fail;
	} else if (role == CONN_INDEX) {
		if (conn_attach_search(c, path) != 0 ||
		    db_sqlite_exec(c, "PRAGMA search.journal_mode=WAL; PRAGMA search.synchronous=NORMAL;"
		                      " PRAGMA search.cache_size=-32768") != DB_OK)
			goto fail;
		sqlite3_set_authorizer(c->sq, conn_index_authorizer, NULL);
	} else if (conn_attach_search(c, path) != 0 ||
	           db_sqlite_exec(c, "PRAGMA query_only=ON") != DB_OK) {
		goto fail;
	}
	*out = c;
	return 0;

fail:
	if (c->sq)
		conn_close(c);
	else
		free(c);
	return -1;
}

/* ---- URLs, open, close ------------------------------------------- */

/* Creates the database file with mode 0600 if it is missing (SQLite gives
 * its -wal and -shm files the same mode), and warns if an existing one is
 * readable by others. */
static int db_file_prepare(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		db_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
		log_warn("store: %s is readable by other users (mode %03o); it holds "
		         "personal data: chmod 600 it", path, (unsigned)(st.st_mode & 0777));
	close(fd);
	return 0;
}

int db_sqlite_open(const char *path, int pool, struct sq_db **out, char *err, size_t errlen)
{
	struct sq_db *db = NULL;
	int mu = 0, cv = 0;
	pthread_condattr_t ca;

	*out = NULL;
	if (db_file_prepare(path, err, errlen) != 0)
		return -1;
	/* The search index's file, created 0600 as the database's is
	 * (every read connection attaches it). */
	{
		char search[PATH_MAX];

		if (snprintf(search, sizeof(search), "%s" DB_SEARCH_SUFFIX, path) >= (int)sizeof(search)) {
			db_err(err, errlen, "the database path is too long");
			return -1;
		}
		if (db_file_prepare(search, err, errlen) != 0)
			return -1;
	}

	db = calloc(1, sizeof(*db));
	if (!db)
		goto fail_mem;
	db->base.dialect = DB_DIALECT_SQLITE;
	db->pool_size = pool > 0 ? (size_t)pool : LIMIT_DB_READ_CONNECTIONS;
	db->pool_free = calloc(db->pool_size, sizeof(*db->pool_free));
	db->path = strdup(path);
	if (!db->path || !db->pool_free)
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

	if (conn_open(db->path, CONN_WRITER, &db->writer_conn) != 0) {
		db_err(err, errlen, "cannot open the database %s (see the log)", db->path);
		goto fail;
	}
	if (db_writer_start(&db->writer_conn->base, &db->writer) != 0) {
		db_err(err, errlen, "cannot start the database writer (see the log)");
		goto fail;
	}
	*out = db;
	return 0;

fail_mem:
	db_err(err, errlen, "out of memory opening the database");
fail:
	if (db) {
		conn_close(db->writer_conn);
		if (cv)
			pthread_cond_destroy(&db->pool_cv);
		if (mu)
			pthread_mutex_destroy(&db->pool_mu);
		free(db->pool_free);
		free(db->path);
		free(db);
	}
	return -1;
}

void db_sqlite_close(struct sq_db *db)
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
	/* the writer closes last, so its close checkpoints the WAL */
	conn_close(db->writer_conn);
	pthread_cond_destroy(&db->pool_cv);
	pthread_mutex_destroy(&db->pool_mu);
	free(db->pool_free);
	free(db->path);
	free(db);
}

/* ---- the read pool -------------------------------------------------- */

struct sq_conn *db_sqlite_index_open(struct sq_db *db)
{
	struct sq_conn *c = NULL;

	return conn_open(db->path, CONN_INDEX, &c) == 0 ? c : NULL;
}

void db_sqlite_index_close(struct sq_conn *c)
{
	conn_close(c);
}

struct sq_conn *db_sqlite_read_begin(struct sq_db *db)
{
	struct sq_conn *c;
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
			db->pool_open++;  /* reserve the slot while opening unlocked */
			pthread_mutex_unlock(&db->pool_mu);
			if (conn_open(db->path, CONN_READER, &c) == 0)
				return c;
			pthread_mutex_lock(&db->pool_mu);
			db->pool_open--;
			pthread_cond_signal(&db->pool_cv);
			/* The open failure is logged; wait (a lent connection may
			 * come back meanwhile) and try again, backing off. */
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += wait_ms / 1000;
			until.tv_nsec += (wait_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			(void)pthread_cond_timedwait(&db->pool_cv, &db->pool_mu, &until);
			if (wait_ms < DB_OPEN_RETRY_MAX_MS)
				wait_ms *= 2;
			continue;
		}
		db->pool_waits++;
		pthread_cond_wait(&db->pool_cv, &db->pool_mu);
	}
}

void db_sqlite_read_end(struct sq_db *db, struct sq_conn *c)
{
	if (!db || !c)
		return;
	/* A statement left running would pin an old snapshot (stale reads,
	 * a WAL that cannot be checkpointed); end it before lending again. */
	db_sqlite_conn_reset_statements(c);
	if (db_sqlite_conn_in_txn(c)) {
		log_warn("store: read connection returned inside a transaction; rolling back");
		(void)db_sqlite_exec(c, "ROLLBACK");
	}
	pthread_mutex_lock(&db->pool_mu);
	if (db->pool_nfree >= db->pool_size) {
		/* more returned than lent: a caller bug that must not corrupt the pool */
		pthread_mutex_unlock(&db->pool_mu);
		log_error("store: a read connection was returned twice");
		abort();
	}
	db->pool_free[db->pool_nfree++] = c;
	pthread_cond_signal(&db->pool_cv);
	pthread_mutex_unlock(&db->pool_mu);
}

/* ---- writes --------------------------------------------------------- */

int db_sqlite_write(struct sq_db *db, db_write_fn fn, void *arg, int rerunnable)
{
	if (!db || !fn)
		return DB_ERROR;
	return db_writer_submit(db->writer, fn, arg, rerunnable);
}

int db_sqlite_write_async(struct sq_db *db, db_write_fn fn, void *arg, int rerunnable,
                          db_done_fn done, void *done_arg)
{
	if (!db || !fn)
		return DB_ERROR;
	return db_writer_submit_async(db->writer, fn, arg, rerunnable, done, done_arg);
}

void db_sqlite_stats(struct sq_db *db, struct db_stats *out)
{
	db_writer_stats(db ? db->writer : NULL, out);
}

void db_sqlite_pool_stats(struct sq_db *db, struct db_pool_stats *out)
{
	pthread_mutex_lock(&db->pool_mu);
	out->size = db->pool_size;
	out->open = db->pool_open;
	out->in_use = db->pool_open - db->pool_nfree;
	out->waits = db->pool_waits;
	pthread_mutex_unlock(&db->pool_mu);
}

/* ---- backup --------------------------------------------------------- */

/* Removes a failed backup and the side files SQLite may have made for it. */
static void backup_remove(const char *path)
{
	static const char *const suffix[] = { "-journal", "-wal", "-shm" };
	char side[PATH_MAX + 16];
	size_t i;
	int n;

	(void)unlink(path);
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		n = snprintf(side, sizeof(side), "%s%s", path, suffix[i]);
		if (n > 0 && (size_t)n < sizeof(side))
			(void)unlink(side);
	}
}

int db_sqlite_backup(struct sq_db *db, const char *path, char *err, size_t errlen)
{
	struct sq_conn *src = NULL;
	sqlite3 *dst = NULL;
	sqlite3_backup *bk = NULL;
	struct sq_stmt *s;
	char check[64];
	int fd, rc, frc, created = 0, tries = 0;

	if (!db || !path || !*path) {
		db_err(err, errlen, "the backup needs a file path");
		return -1;
	}
	if (strlen(path) >= PATH_MAX) {
		db_err(err, errlen, "the backup path is too long");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			db_err(err, errlen, "%s exists", path);
		else
			db_err(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	created = 1;

	/* A fresh connection, not one of the pool: the backup holds it for
	 * its whole run. */
	if (conn_open(db->path, CONN_READER, &src) != 0) {
		db_err(err, errlen, "cannot open the database for the backup (see the log)");
		goto fail;
	}
	/* Pin one snapshot for the whole copy. The writer keeps committing to
	 * the WAL meanwhile (WAL readers never block it), and because our read
	 * transaction stays open the chunked steps below all see the same
	 * database instead of restarting whenever the writer commits. */
	if (db_sqlite_exec(src, "BEGIN") != DB_OK)
		goto fail_log;
	s = db_sqlite_prepare(src, "SELECT count(*) FROM sqlite_schema");
	if (!s)
		goto fail_log;
	rc = db_sqlite_step(s);
	db_sqlite_done(s);
	if (rc != DB_ROW)
		goto fail_log;

	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		db_err(err, errlen, "cannot open %s: %s", path,
		       dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		log_error("store: backup: cannot open %s: %s", path,
		          dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(dst, 1);
	if (sqlite3_exec(dst, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_dst;
	bk = sqlite3_backup_init(dst, "main", src->sq, "main");
	if (!bk)
		goto fail_dst;
	do {
		rc = sqlite3_backup_step(bk, DB_BACKUP_PAGES);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			if (++tries > LIMIT_DB_BUSY_TIMEOUT_MS / 10)
				break;
			sqlite3_sleep(10);
		}
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	frc = sqlite3_backup_finish(bk);
	bk = NULL;
	if (rc != SQLITE_DONE || frc != SQLITE_OK) {
		if (rc == SQLITE_DONE)
			rc = frc;
		db_err(err, errlen, "the backup failed: %s%s", sqlite3_errstr(rc),
		       conn_classify(rc) == DB_FULL ? " (disk full or I/O error)" : "");
		log_error("store: backup to %s: %s (%s)", path, sqlite3_errmsg(dst),
		          sqlite3_errstr(rc));
		goto fail;
	}
	(void)db_sqlite_exec(src, "COMMIT");
	conn_close(src);
	src = NULL;

	/* Check the copy before calling it a backup. */
	{
		sqlite3_stmt *st = NULL;

		check[0] = '\0';
		rc = sqlite3_prepare_v2(dst, "PRAGMA integrity_check", -1, &st, NULL);
		if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
			const char *v = (const char *)sqlite3_column_text(st, 0);

			if (v && snprintf(check, sizeof(check), "%s", v) >= (int)sizeof(check))
				check[sizeof(check) - 1] = '\0';
		}
		sqlite3_finalize(st);
	}
	if (strcmp(check, "ok") != 0) {
		db_err(err, errlen, "the backup copy failed its integrity check: %s",
		       check[0] ? check : sqlite3_errmsg(dst));
		log_error("store: backup to %s failed its integrity check", path);
		goto fail;
	}
	rc = sqlite3_close(dst);
	dst = NULL;
	if (rc != SQLITE_OK) {
		db_err(err, errlen, "closing the backup: %s", sqlite3_errstr(rc));
		goto fail;
	}
	if (chmod(path, 0600) != 0)
		log_warn("store: chmod 600 %s: %s", path, strerror(errno));
	(void)sync_parent_dir(path);
	log_info("store: backup written to %s", path);
	return 0;

fail_dst:
	db_err(err, errlen, "the backup failed: %s", sqlite3_errmsg(dst));
	log_error("store: backup to %s: %s", path, sqlite3_errmsg(dst));
	goto fail;
fail_log:
	db_err(err, errlen, "cannot read the database for the backup (see the log)");
fail:
	if (bk)
		sqlite3_backup_finish(bk);
	if (dst)
		sqlite3_close(dst);
	if (src) {
		if (db_sqlite_conn_in_txn(src))
			(void)db_sqlite_exec(src, "ROLLBACK");
		conn_close(src);
	}
	if (created)
		backup_remove(path);
	return -1;
}

const char *db_sqlite_version(void)
{
	return sqlite3_libversion();
}
