/*
 * harness.c — starts the real onramp binary and talks to it (see harness.h).
 *
 * Processes: every child (the server, each CLI run) gets a clean ONRAMP_*
 * environment built here, so settings of the person running the tests never
 * leak in. The server's stdout is a pipe read only until its listening line;
 * its stderr goes to a log file in the test directory, printed on failure.
 * HTTP: one libcurl easy handle per client, an in-memory cookie jar, no
 * redirect following, no "Expect: 100-continue".
 * Database: read-only SQLite connections opened per query, so the harness
 * never holds a lock the server could wait on. With ONRAMP_TEST_PG set, a
 * fresh PostgreSQL database per server (CREATE DATABASE through libpq),
 * read through a libpq connection per query, dropped at stop.
 * Threading: single-threaded (cmocka runs tests one after another).
 */
#include "harness.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#define LISTEN_PREFIX    "onramp: listening on http://127.0.0.1:"
#define START_TIMEOUT_MS 60000
#define STOP_TIMEOUT_MS  15000
#define CLI_TIMEOUT_MS   120000
#define BODY_MAX         (16 * 1024 * 1024)
#define HEADERS_MAX      64

extern char **environ;

/* ---- small utilities ---- */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (p == NULL) {
		fprintf(stderr, "harness: out of memory\n");
		abort();
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (p == NULL) {
		fprintf(stderr, "harness: out of memory\n");
		abort();
	}
	return p;
}

/* snprintf that reports truncation as -1. */
static int fmt(char *out, size_t outlen, const char *f, ...) __attribute__((format(printf, 3, 4)));
static int fmt(char *out, size_t outlen, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(out, outlen, f, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

static void copy_str(char *out, size_t outlen, const char *s, size_t len)
{
	if (outlen == 0)
		return;
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

const char *harness_bin(void)
{
	const char *bin = getenv("ONRAMP_BIN");
	return (bin != NULL && bin[0] != '\0') ? bin : "./build/onramp";
}

/* ---- child processes ---- */

/* In a freshly forked child: drops every inherited ONRAMP_* variable, then
 * sets the server's settings and the extra ones. */
static void child_env(const struct server *srv, const char *const *env)
{
	for (;;) {
		char name[256];
		int found = 0;
		for (char **e = environ; *e != NULL; e++) {
			if (strncmp(*e, "ONRAMP_", 7) == 0) {
				const char *eq = strchr(*e, '=');
				size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
				copy_str(name, sizeof(name), *e, n);
				found = 1;
				break;
			}
		}
		if (!found)
			break;
		unsetenv(name);
	}
	if (srv != NULL) {
		char rate[32];
		setenv("ONRAMP_DB", srv->db_url, 1);
		setenv("ONRAMP_KEY_FILE", srv->key_path, 1);
		setenv("ONRAMP_LISTEN", "127.0.0.1:0", 1);
		snprintf(rate, sizeof(rate), "%d", srv->signup_rate);
		setenv("ONRAMP_SIGNUP_RATE", rate, 1);
		/* The suites sign the admin in many times a minute; a one-time code
		 * cannot be typed twice in 30 s. Tests of the requirement itself
		 * pass "ONRAMP_ADMIN_2FA=required" in extra_env (applied below). */
		setenv("ONRAMP_ADMIN_2FA", "optional", 1);
		for (size_t i = 0; i < 8 && srv->extra_env[i] != NULL; i++)
			putenv((char *)srv->extra_env[i]);
	}
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		putenv((char *)env[i]);
}

/* Reads what is available on fd into out (keeping it NUL-terminated).
 * Returns 1 at EOF, 0 otherwise. */
static int drain_fd(int fd, char *out, size_t outlen, size_t *used)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	if (n < 0)
		return (errno == EINTR || errno == EAGAIN) ? 0 : 1;
	if (n == 0)
		return 1;
	size_t room = outlen - 1 - *used;
	size_t take = (size_t)n < room ? (size_t)n : room;
	memcpy(out + *used, tmp, take);
	*used += take;
	out[*used] = '\0';
	return 0;
}

static int wait_child(pid_t pid, int timeout_ms, int *status_out)
{
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (WIFEXITED(st))
				*status_out = WEXITSTATUS(st);
			else if (WIFSIGNALED(st))
				*status_out = 128 + WTERMSIG(st);
			else
				*status_out = -1;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() > deadline)
			return -1;
		sleep_ms(20);
	}
}

int harness_cli(const struct server *srv, const char *const *env, const char *stdin_text,
                struct cli_result *r, const char *const *argv)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	size_t nout = 0, nerr = 0;
	pid_t pid = -1;

	signal(SIGPIPE, SIG_IGN);
	r->status = -1;
	r->out[0] = r->err[0] = '\0';
	if (pipe(in) < 0 || pipe(out) < 0 || pipe(err) < 0)
		goto fail;
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		const char *args[32];
		size_t n = 0;
		args[n++] = harness_bin();
		for (size_t i = 0; argv[i] != NULL && n < 31; i++)
			args[n++] = argv[i];
		args[n] = NULL;
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[0]); close(in[1]); close(out[0]); close(out[1]); close(err[0]); close(err[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		child_env(srv, env);
		execv(args[0], (char *const *)args);
		fprintf(stderr, "harness: cannot run %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(in[0]); in[0] = -1;
	close(out[1]); out[1] = -1;
	close(err[1]); err[1] = -1;
	if (stdin_text != NULL) {
		size_t len = strlen(stdin_text), off = 0;
		while (off < len) {
			ssize_t w = write(in[1], stdin_text + off, len - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				break; /* the child did not read it all: its business */
			}
			off += (size_t)w;
		}
	}
	close(in[1]); in[1] = -1;

	long long deadline = now_ms() + CLI_TIMEOUT_MS;
	int out_eof = 0, err_eof = 0;
	while (!(out_eof && err_eof)) {
		struct pollfd p[2] = { { out_eof ? -1 : out[0], POLLIN, 0 },
		                       { err_eof ? -1 : err[0], POLLIN, 0 } };
		int left = (int)(deadline - now_ms());
		if (left <= 0) {
			fprintf(stderr, "harness: %s %s timed out\n", harness_bin(), argv[0]);
			kill(pid, SIGKILL);
			break;
		}
		if (poll(p, 2, left) < 0 && errno != EINTR)
			break;
		if (!out_eof && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			out_eof = drain_fd(out[0], r->out, sizeof(r->out), &nout);
		if (!err_eof && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			err_eof = drain_fd(err[0], r->err, sizeof(r->err), &nerr);
	}
	close(out[0]);
	close(err[0]);
	if (wait_child(pid, 10000, &r->status) < 0) {
		kill(pid, SIGKILL);
		int ignored;
		wait_child(pid, 10000, &ignored);
		r->status = -1;
	}
	return r->status;

fail:
	fprintf(stderr, "harness: cannot start a child: %s\n", strerror(errno));
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0) close(in[i]);
		if (out[i] >= 0) close(out[i]);
		if (err[i] >= 0) close(err[i]);
	}
	return -1;
}

int harness_user_add(const struct server *srv, const char *email, const char *role,
                     const char *password)
{
	struct cli_result *r = xcalloc(1, sizeof(*r));
	char line[1100];
	const char *argv[] = { "user", "add", "--email", email, "--role", role, NULL };
	int rc = -1;

	if (fmt(line, sizeof(line), "%s\n", password) < 0)
		goto done;
	if (harness_cli(srv, NULL, line, r, argv) != 0) {
		fprintf(stderr, "harness: onramp user add %s exited %d: %s%s\n", email, r->status,
		        r->out, r->err);
		goto done;
	}
	rc = 0;
done:
	free(r);
	return rc;
}

/* ---- PostgreSQL ---- */

const char *harness_pg(void)
{
	const char *v = getenv("ONRAMP_TEST_PG");
	return (v != NULL && v[0] != '\0') ? v : NULL;
}

/* Connects to database name on the test server. NULL after printing why. */
static PGconn *pg_connect(const char *name)
{
	char url[H_PATH_MAX];
	PGconn *pg;

	if (harness_pg() == NULL || fmt(url, sizeof(url), "%s/%s", harness_pg(), name) < 0)
		return NULL;
	pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "harness: cannot connect to %s: %s", url, PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

/* Runs sql without parameters on database name. Returns 0 or -1. */
static int pg_exec_on(const char *name, const char *sql)
{
	PGconn *pg = pg_connect(name);
	PGresult *res;
	int ok;

	if (pg == NULL)
		return -1;
	res = PQexec(pg, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "harness: \"%s\": %s", sql, PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	return ok ? 0 : -1;
}

/* Rewrites SQLite's "?1" / "?" parameters to PostgreSQL's "$1". */
int harness_pg_create(char *name, size_t namelen, char *url, size_t urllen)
{
	static unsigned serial;
	char sql[128];

	if (harness_pg() == NULL) {
		fprintf(stderr, "harness: harness_pg_create needs ONRAMP_TEST_PG\n");
		return -1;
	}
	if (fmt(name, namelen, "onramp_x%ld_%u", (long)getpid(), ++serial) < 0 ||
	    fmt(url, urllen, "%s/%s", harness_pg(), name) < 0 ||
	    fmt(sql, sizeof(sql), "CREATE DATABASE %s", name) < 0)
		return -1;
	return pg_exec_on("postgres", sql);
}

int harness_pg_drop(const char *name)
{
	char sql[128];

	if (harness_pg() == NULL || fmt(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
	                                name) < 0)
		return -1;
	return pg_exec_on("postgres", sql);
}

static int pg_sql(const char *sql, char *out, size_t outlen)
{
	size_t o = 0;

	for (const char *p = sql; *p; p++) {
		if (o + 3 >= outlen)
			return -1;
		if (*p == '?') {
			out[o++] = '$';
			if (!(p[1] >= '0' && p[1] <= '9'))
				out[o++] = '1';
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
	return 0;
}

/* Runs sql (param bound to $1 as text, may be NULL) on srv's database.
 * format 0: text results, 1: binary. Returns the result (PQclear it) or
 * NULL after printing why. */
static PGresult *pg_query(const struct server *srv, const char *sql, const char *param,
                          int format)
{
	char text[4096];
	PGconn *pg;
	PGresult *res;
	const char *values[1] = { param };

	if (pg_sql(sql, text, sizeof(text)) < 0)
		return NULL;
	pg = pg_connect(srv->pg_db);
	if (pg == NULL)
		return NULL;
	res = PQexecParams(pg, text, param ? 1 : 0, NULL, values, NULL, NULL, format);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "harness: \"%s\": %s", text, PQerrorMessage(pg));
		PQclear(res);
		res = NULL;
	}
	PQfinish(pg);
	return res;
}

/* ---- the server ---- */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static void remove_dir(const char *dir)
{
	if (dir[0] != '\0')
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Reads the server's stdout until the listening line. Returns the port or -1. */
static int read_port(struct server *srv)
{
	char line[1024];
	size_t used = 0;
	long long deadline = now_ms() + START_TIMEOUT_MS;

	line[0] = '\0';
	for (;;) {
		char *nl = strchr(line, '\n');
		if (nl != NULL) {
			*nl = '\0';
			if (strncmp(line, LISTEN_PREFIX, strlen(LISTEN_PREFIX)) == 0) {
				char *end;
				const char *digits = line + strlen(LISTEN_PREFIX);
				errno = 0;
				long port = strtol(digits, &end, 10);
				if (errno != 0 || end == digits || port <= 0 || port > 65535 ||
				    (*end != '\0' && *end != '/'))
					goto bad;
				return (int)port;
			}
			goto bad;
		}
		int left = (int)(deadline - now_ms());
		if (left <= 0) {
			fprintf(stderr, "harness: no listening line within %d ms\n", START_TIMEOUT_MS);
			return -1;
		}
		struct pollfd p = { srv->out_fd, POLLIN, 0 };
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			return -1;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			if (used + 1 >= sizeof(line))
				goto bad;
			if (drain_fd(srv->out_fd, line, sizeof(line), &used) && strchr(line, '\n') == NULL) {
				fprintf(stderr, "harness: the server closed stdout before listening\n");
				return -1;
			}
		}
	}
bad:
	fprintf(stderr, "harness: unexpected first line from serve: \"%s\"\n", line);
	return -1;
}

struct server *harness_start(const struct harness_opts *opts)
{
	struct server *srv = xcalloc(1, sizeof(*srv));
	struct cli_result *r = xcalloc(1, sizeof(*r));
	int outp[2] = { -1, -1 };
	const char *tmp = getenv("TMPDIR");

	signal(SIGPIPE, SIG_IGN);
	srv->out_fd = -1;
	if (opts != NULL) {
		srv->signup_rate = opts->signup_rate;
		for (size_t i = 0; i < 7 && opts->extra_env[i] != NULL; i++)
			srv->extra_env[i] = opts->extra_env[i];
	}
	const struct server *shared = opts != NULL ? opts->same_db : NULL;
	if (opts != NULL && opts->dir_parent != NULL)
		tmp = opts->dir_parent;
	if (fmt(srv->dir, sizeof(srv->dir), "%s/onramp-http-XXXXXX",
	        (tmp != NULL && tmp[0] != '\0') ? tmp : "/tmp") < 0 || mkdtemp(srv->dir) == NULL) {
		fprintf(stderr, "harness: mkdtemp: %s\n", strerror(errno));
		srv->dir[0] = '\0';
		goto fail;
	}
	if (fmt(srv->db_path, sizeof(srv->db_path), "%s/onramp.db", srv->dir) < 0 ||
	    fmt(srv->db_url, sizeof(srv->db_url), "sqlite:%s", srv->db_path) < 0 ||
	    fmt(srv->key_path, sizeof(srv->key_path), "%s/onramp.key", srv->dir) < 0 ||
	    fmt(srv->log_path, sizeof(srv->log_path), "%s/server.log", srv->dir) < 0)
		goto fail;
	if (shared != NULL) {
		/* another node of the same installation: its database and key */
		if (shared->pg_db[0] == '\0') {
			fprintf(stderr, "harness: a second node needs PostgreSQL (ONRAMP_TEST_PG)\n");
			goto fail;
		}
		memcpy(srv->pg_db, shared->pg_db, sizeof(srv->pg_db));
		memcpy(srv->db_url, shared->db_url, sizeof(srv->db_url));
		memcpy(srv->key_path, shared->key_path, sizeof(srv->key_path));
	} else if (harness_pg() != NULL) {
		static unsigned serial;
		char sql[128];

		if (fmt(srv->pg_db, sizeof(srv->pg_db), "onramp_%ld_%u", (long)getpid(), ++serial) < 0 ||
		    fmt(srv->db_url, sizeof(srv->db_url), "%s/%s", harness_pg(), srv->pg_db) < 0 ||
		    fmt(sql, sizeof(sql), "CREATE DATABASE %s", srv->pg_db) < 0 ||
		    pg_exec_on("postgres", sql) < 0)
			goto fail;
		srv->owns_db = 1;
	}

	const char *migrate[] = { "migrate", NULL };
	if (harness_cli(srv, NULL, NULL, r, migrate) != 0) {
		fprintf(stderr, "harness: onramp migrate exited %d: %s%s\n", r->status, r->out, r->err);
		goto fail;
	}
	if (shared == NULL &&
	    (harness_user_add(srv, H_ADMIN_EMAIL, "admin", H_ADMIN_PASS) < 0 ||
	     harness_user_add(srv, H_STAFF_EMAIL, "staff", H_STAFF_PASS) < 0 ||
	     harness_user_add(srv, H_VOLUNTEER_EMAIL, "volunteer", H_VOLUNTEER_PASS) < 0))
		goto fail;

	if (pipe(outp) < 0)
		goto fail;
	int logfd = open(srv->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0)
		goto fail;
	pid_t pid = fork();
	if (pid < 0) {
		close(logfd);
		goto fail;
	}
	if (pid == 0) {
		const char *args[] = { harness_bin(), "serve", NULL };
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(outp[1], 1);
		dup2(logfd, 2);
		close(outp[0]);
		close(outp[1]);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		child_env(srv, NULL);
		if (getenv("HARNESS_SERVER_STDERR") != NULL)
			dup2(STDERR_FILENO, 2);
		execv(args[0], (char *const *)args);
		fprintf(stderr, "harness: cannot run %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(logfd);
	close(outp[1]);
	outp[1] = -1;
	srv->pid = pid;
	srv->out_fd = outp[0];
	outp[0] = -1;
	srv->port = read_port(srv);
	if (srv->port < 0) {
		harness_dump_log(srv);
		goto fail;
	}
	if (fmt(srv->base, sizeof(srv->base), "http://127.0.0.1:%d", srv->port) < 0)
		goto fail;
	free(r);
	return srv;

fail:
	if (outp[0] >= 0) close(outp[0]);
	if (outp[1] >= 0) close(outp[1]);
	free(r);
	harness_stop(srv);
	return NULL;
}

void harness_dump_log(const struct server *srv)
{
	FILE *f = fopen(srv->log_path, "r");
	char line[1024];
	char *ring[40] = { 0 };
	size_t n = 0;

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		free(ring[n % 40]);
		ring[n % 40] = xstrdup(line);
		n++;
	}
	fclose(f);
	fprintf(stderr, "# --- last lines of the server log (%s) ---\n", srv->log_path);
	for (size_t i = n > 40 ? n - 40 : 0; i < n; i++)
		fprintf(stderr, "# %s", ring[i % 40]);
	for (size_t i = 0; i < 40; i++)
		free(ring[i]);
}

int harness_kill(struct server *srv)
{
	int st;

	if (srv == NULL || srv->pid <= 0)
		return -1;
	kill(srv->pid, SIGKILL);
	while (waitpid(srv->pid, &st, 0) < 0 && errno == EINTR)
		;
	srv->pid = 0;
	if (srv->out_fd >= 0) {
		close(srv->out_fd);
		srv->out_fd = -1;
	}
	return 0;
}

int harness_restart(struct server *srv)
{
	int outp[2], logfd;
	pid_t pid;

	if (srv == NULL || srv->pid > 0 || pipe(outp) < 0)
		return -1;
	logfd = open(srv->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		close(outp[0]);
		close(outp[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(logfd);
		close(outp[0]);
		close(outp[1]);
		return -1;
	}
	if (pid == 0) {
		const char *args[] = { harness_bin(), "serve", NULL };
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(outp[1], 1);
		dup2(logfd, 2);
		close(outp[0]);
		close(outp[1]);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		child_env(srv, NULL);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	close(logfd);
	close(outp[1]);
	srv->pid = pid;
	srv->out_fd = outp[0];
	srv->port = read_port(srv);
	if (srv->port < 0 || fmt(srv->base, sizeof(srv->base), "http://127.0.0.1:%d", srv->port) < 0) {
		harness_dump_log(srv);
		return -1;
	}
	return 0;
}

int harness_alive(struct server *srv)
{
	if (srv == NULL || srv->pid <= 0)
		return 0;
	int st;
	pid_t r = waitpid(srv->pid, &st, WNOHANG);
	if (r == srv->pid) {
		fprintf(stderr, "harness: the server died (%s %d)\n",
		        WIFSIGNALED(st) ? "signal" : "exit status",
		        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		srv->pid = 0;
		return 0;
	}
	return 1;
}

int harness_stop(struct server *srv)
{
	int rc = 0;

	if (srv == NULL)
		return 0;
	if (srv->pid > 0) {
		int status = -1;
		kill(srv->pid, SIGTERM);
		if (wait_child(srv->pid, STOP_TIMEOUT_MS, &status) < 0) {
			fprintf(stderr, "harness: the server ignored SIGTERM for %d ms; killing it\n",
			        STOP_TIMEOUT_MS);
			kill(srv->pid, SIGKILL);
			wait_child(srv->pid, STOP_TIMEOUT_MS, &status);
			rc = -1;
		} else if (status != 0) {
			fprintf(stderr, "harness: the server exited with status %d on SIGTERM\n", status);
			rc = -1;
		}
		srv->pid = 0;
	} else if (srv->port > 0) {
		rc = -1; /* it had died earlier */
	}
	if (rc != 0)
		harness_dump_log(srv);
	if (srv->out_fd >= 0)
		close(srv->out_fd);
	if (getenv("HARNESS_KEEP") != NULL) {
		fprintf(stderr, "harness: kept %s%s%s\n", srv->dir, srv->owns_db ? " and database " : "",
		        srv->owns_db ? srv->pg_db : "");
	} else {
		remove_dir(srv->dir);
		if (srv->owns_db) {
			char sql[128];

			if (fmt(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", srv->pg_db) == 0)
				(void)pg_exec_on("postgres", sql);
		}
	}
	free(srv);
	return rc;
}

/* ---- the database, read-only ---- */

static sqlite3 *db_open_ro(const char *path)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "harness: cannot open %s: %s\n", path, db ? sqlite3_errmsg(db) : "?");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql, const char *param)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "harness: SQL error in \"%s\": %s\n", sql, sqlite3_errmsg(db));
		return NULL;
	}
	if (param != NULL && sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

long long harness_db_file_int(const char *path, const char *sql, const char *param)
{
	long long v = -1;
	sqlite3 *db = db_open_ro(path);
	sqlite3_stmt *st = NULL;

	if (db == NULL)
		return -1;
	st = db_prepare(db, sql, param);
	if (st == NULL)
		goto done;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		fprintf(stderr, "harness: \"%s\": %s\n", sql, sqlite3_errmsg(db));
done:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

long long harness_db_int(const struct server *srv, const char *sql, const char *param)
{
	if (srv->pg_db[0] != '\0') {
		PGresult *res = pg_query(srv, sql, param, 0);
		long long v = -1;

		if (res != NULL && PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0)) {
			const char *t = PQgetvalue(res, 0, 0);
			v = (t[0] == 't' || t[0] == 'f') ? (t[0] == 't') : strtoll(t, NULL, 10);
		}
		PQclear(res);
		return v;
	}
	return harness_db_file_int(srv->db_path, sql, param);
}

long long harness_queue_size_mismatches(const struct server *srv, long long *total)
{
	*total = harness_db_int(srv, "SELECT COALESCE(sum(queued), 0) FROM volunteer_load", NULL);
	return harness_db_int(srv,
		"SELECT count(*) FROM users u WHERE COALESCE((SELECT queued FROM volunteer_load l"
		" WHERE l.user_id = u.id), 0) <> (SELECT count(*) FROM person_pipeline pp"
		" JOIN pipeline_stages st ON st.id = pp.stage_id"
		" WHERE pp.assignee_id = u.id AND st.in_queue = 1)", NULL);
}

int harness_db_exec(const struct server *srv, const char *sql)
{
	if (srv->pg_db[0] != '\0') {
		PGresult *res = pg_query(srv, sql, NULL, 0);
		int ok = res != NULL;

		PQclear(res);
		return ok ? 0 : -1;
	}
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	if (sqlite3_open_v2(srv->db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "harness: cannot open %s\n", srv->db_path);
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "harness: \"%s\": %s\n", sql, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

int harness_db_text(const struct server *srv, const char *sql, const char *param,
                    char *out, size_t outlen)
{
	int ret = -1;
	sqlite3 *db;
	sqlite3_stmt *st = NULL;

	if (outlen > 0)
		out[0] = '\0';
	if (srv->pg_db[0] != '\0') {
		PGresult *res = pg_query(srv, sql, param, 0);

		if (res != NULL && PQntuples(res) > 0 && PQnfields(res) > 0) {
			if (!PQgetisnull(res, 0, 0))
				copy_str(out, outlen, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
			ret = 0;
		}
		PQclear(res);
		return ret;
	}
	db = db_open_ro(srv->db_path);
	if (db == NULL)
		return -1;
	st = db_prepare(db, sql, param);
	if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		if (t != NULL)
			copy_str(out, outlen, (const char *)t, (size_t)sqlite3_column_bytes(st, 0));
		ret = 0;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret;
}

long long harness_db_rows_containing(const struct server *srv, const char *sql, const char *needle)
{
	long long n = 0;
	size_t nlen = strlen(needle);
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int rc;

	if (srv->pg_db[0] != '\0') {
		/* binary results: a bytea column's own bytes, not its hex text */
		PGresult *res = pg_query(srv, sql, NULL, 1);

		if (res == NULL)
			return -1;
		for (int i = 0; i < PQntuples(res); i++)
			if (!PQgetisnull(res, i, 0) &&
			    memmem(PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0), needle, nlen))
				n++;
		PQclear(res);
		return n;
	}
	db = db_open_ro(srv->db_path);
	if (db == NULL)
		return -1;
	st = db_prepare(db, sql, NULL);
	if (st == NULL) {
		n = -1;
		goto done;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		if (p != NULL && memmem(p, len, needle, nlen) != NULL)
			n++;
	}
	if (rc != SQLITE_DONE)
		n = -1;
done:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static int file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	size_t nlen = strlen(needle);
	char *data = NULL;
	size_t cap = 0, len = 0;
	int found = 0;

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	for (;;) {
		if (len + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			char *p = realloc(data, cap);
			if (p == NULL) {
				found = -1;
				goto done;
			}
			data = p;
		}
		size_t n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	found = memmem(data, len, needle, nlen) != NULL;
done:
	free(data);
	fclose(f);
	return found;
}

/* Scans every regular file directly in dir; 1 if one holds needle. */
static int dir_files_contain(const char *dir, const char *needle)
{
	char path[H_PATH_MAX * 2];
	struct dirent *e;
	DIR *d = opendir(dir);
	int found = 0;

	if (d == NULL)
		return -1;
	while (!found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || fmt(path, sizeof(path), "%s/%s", dir, e->d_name) < 0)
			continue;
		int r = file_contains(path, needle);
		if (r < 0 && errno != EISDIR)
			continue;
		found = r > 0;
	}
	closedir(d);
	return found;
}

int harness_db_files_contain(const struct server *srv, const char *needle)
{
	if (srv->pg_db[0] != '\0') {
		const char *data = getenv("ONRAMP_TEST_PG_DATA");
		char dir[H_PATH_MAX * 2];
		long long oid;
		int a, b;

		if (data == NULL || pg_exec_on(srv->pg_db, "CHECKPOINT") < 0)
			return -1;
		oid = harness_db_int(srv, "SELECT oid FROM pg_database WHERE datname = current_database()",
		                     NULL);
		if (oid <= 0 || fmt(dir, sizeof(dir), "%s/base/%lld", data, oid) < 0)
			return -1;
		a = dir_files_contain(dir, needle);
		if (fmt(dir, sizeof(dir), "%s/pg_wal", data) < 0)
			return -1;
		b = dir_files_contain(dir, needle);
		if (a < 0 || b < 0)
			return -1;
		return a || b;
	}
	char wal[H_PATH_MAX + 8];
	int a = file_contains(srv->db_path, needle);
	if (fmt(wal, sizeof(wal), "%s-wal", srv->db_path) < 0)
		return -1;
	int b = file_contains(wal, needle);
	if (a < 0 || b < 0)
		return -1;
	return a || b;
}

long long harness_count_people(const struct server *srv)
{
	return harness_db_int(srv, "SELECT count(*) FROM people", NULL);
}

long long harness_count_submissions(const struct server *srv)
{
	return harness_db_int(srv, "SELECT count(*) FROM submissions", NULL);
}

long long harness_person_by_email(const struct server *srv, const char *email)
{
	return harness_db_int(srv, "SELECT person_id FROM person_emails WHERE email = ?1", email);
}

/* ---- forms ---- */

void form_init(struct form *f)
{
	memset(f, 0, sizeof(*f));
}

void form_free(struct form *f)
{
	for (size_t i = 0; i < f->count; i++) {
		free(f->names[i]);
		free(f->values[i]);
	}
	f->count = 0;
}

int form_add(struct form *f, const char *name, const char *value)
{
	if (f->count >= FORM_MAX_FIELDS)
		return -1;
	f->names[f->count] = xstrdup(name);
	f->values[f->count] = xstrdup(value);
	f->count++;
	return 0;
}

int form_set(struct form *f, const char *name, const char *value)
{
	int found = 0;
	for (size_t i = 0; i < f->count; i++) {
		if (strcmp(f->names[i], name) == 0) {
			free(f->values[i]);
			f->values[i] = xstrdup(value);
			found = 1;
		}
	}
	return found ? 0 : form_add(f, name, value);
}

void form_remove(struct form *f, const char *name)
{
	size_t j = 0;
	for (size_t i = 0; i < f->count; i++) {
		if (strcmp(f->names[i], name) == 0) {
			free(f->names[i]);
			free(f->values[i]);
			continue;
		}
		f->names[j] = f->names[i];
		f->values[j] = f->values[i];
		j++;
	}
	f->count = j;
}

const char *form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->count; i++)
		if (strcmp(f->names[i], name) == 0)
			return f->values[i];
	return NULL;
}

static void url_encode(buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_addc(out, (char)*p);
		} else if (*p == ' ') {
			buf_addc(out, '+');
		} else {
			buf_addc(out, '%');
			buf_addc(out, hex[*p >> 4]);
			buf_addc(out, hex[*p & 15]);
		}
	}
}

int form_encode(const struct form *f, buf *out)
{
	for (size_t i = 0; i < f->count; i++) {
		if (i > 0)
			buf_addc(out, '&');
		url_encode(out, f->names[i]);
		buf_addc(out, '=');
		url_encode(out, f->values[i]);
	}
	return buf_failed(out) ? -1 : 0;
}

/* ---- the HTTP client ---- */

struct client {
	struct server *srv;
	CURL          *curl;
	long           status;
	buf            body;
	size_t         n_headers;
	char          *hnames[HEADERS_MAX];
	char          *hvalues[HEADERS_MAX];
	char           csrf[256];
	char           location[2048];
};

static void client_reset_headers(struct client *c)
{
	for (size_t i = 0; i < c->n_headers; i++) {
		free(c->hnames[i]);
		free(c->hvalues[i]);
	}
	c->n_headers = 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct client *c = userdata;
	size_t n = size * nmemb;
	if (buf_add(&c->body, data, n) < 0)
		return 0; /* too big: abort the transfer */
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct client *c = userdata;
	size_t n = size * nmemb;

	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* a new response (after a 100 Continue, say): forget the last */
		client_reset_headers(c);
		buf_reset(&c->body);
		return n;
	}
	const char *colon = memchr(data, ':', n);
	if (colon == NULL || c->n_headers >= HEADERS_MAX)
		return n;
	const char *v = colon + 1, *end = data + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	char *name = xcalloc(1, (size_t)(colon - data) + 1);
	char *value = xcalloc(1, (size_t)(end - v) + 1);
	memcpy(name, data, (size_t)(colon - data));
	memcpy(value, v, (size_t)(end - v));
	c->hnames[c->n_headers] = name;
	c->hvalues[c->n_headers] = value;
	c->n_headers++;
	return n;
}

struct client *client_new(struct server *srv)
{
	static int curl_ready;
	struct client *c = xcalloc(1, sizeof(*c));

	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}
	c->srv = srv;
	buf_init(&c->body, BODY_MAX);
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		fprintf(stderr, "harness: curl_easy_init failed\n");
		abort();
	}
	curl_easy_setopt(c->curl, CURLOPT_COOKIEFILE, "");
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_PATH_AS_IS, 1L); /* send "/../" as written */
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "onramp-http-tests/1");
	return c;
}

void client_free(struct client *c)
{
	if (c == NULL)
		return;
	client_reset_headers(c);
	buf_free(&c->body);
	curl_easy_cleanup(c->curl);
	free(c);
}

/* Performs the request prepared on c->curl. */
static long client_perform(struct client *c, const char *path, struct curl_slist *hdrs)
{
	char url[4096];
	char errbuf[CURL_ERROR_SIZE] = "";

	client_reset_headers(c);
	buf_reset(&c->body);
	c->status = 0;
	if (fmt(url, sizeof(url), "%s%s", c->srv->base, path) < 0)
		return 0;
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdrs);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status);
	if (rc != CURLE_OK && c->status == 0)
		fprintf(stderr, "harness: %s: %s\n", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	return c->status;
}

long client_request(struct client *c, const char *method, const char *path)
{
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->curl, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST,
	                 (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) ? NULL : method);
	long st = client_perform(c, path, NULL);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(c->curl, CURLOPT_NOBODY, 0L);
	return st;
}

long client_get(struct client *c, const char *path)
{
	return client_request(c, "GET", path);
}

long client_post_raw(struct client *c, const char *path, const char *content_type,
                     const char *body, size_t len)
{
	char ct[256];
	struct curl_slist *hdrs = NULL;

	if (fmt(ct, sizeof(ct), "Content-Type: %s", content_type) < 0)
		return 0;
	hdrs = curl_slist_append(hdrs, ct);
	curl_easy_setopt(c->curl, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->curl, CURLOPT_COPYPOSTFIELDS, body);
	return client_perform(c, path, hdrs);
}

long client_post_headers(struct client *c, const char *path, const char *content_type,
                         const char *body, size_t len, const char *const *headers)
{
	char ct[256];
	struct curl_slist *hdrs = NULL;
	size_t i;

	if (fmt(ct, sizeof(ct), "Content-Type: %s", content_type) < 0)
		return 0;
	hdrs = curl_slist_append(hdrs, ct);
	for (i = 0; headers && headers[i]; i++)
		hdrs = curl_slist_append(hdrs, headers[i]);
	curl_easy_setopt(c->curl, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->curl, CURLOPT_COPYPOSTFIELDS, body);
	return client_perform(c, path, hdrs);
}

long client_post(struct client *c, const char *path, const struct form *f)
{
	buf b;
	long st = 0;

	buf_init(&b, BODY_MAX);
	if (form_encode(f, &b) == 0)
		st = client_post_raw(c, path, "application/x-www-form-urlencoded", buf_str(&b), b.len);
	buf_free(&b);
	return st;
}

long client_post_form(struct client *c, const char *path, ...)
{
	struct form f;
	va_list ap;
	const char *name;

	form_init(&f);
	va_start(ap, path);
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);
		form_add(&f, name, value ? value : "");
	}
	va_end(ap);
	long st = client_post(c, path, &f);
	form_free(&f);
	return st;
}

long client_status(const struct client *c)
{
	return c->status;
}

const char *client_body(const struct client *c)
{
	return buf_str(&c->body);
}

size_t client_body_len(const struct client *c)
{
	return c->body.len;
}

const char *client_header_nth(const struct client *c, const char *name, size_t n)
{
	for (size_t i = 0; i < c->n_headers; i++)
		if (strcasecmp(c->hnames[i], name) == 0 && n-- == 0)
			return c->hvalues[i];
	return NULL;
}

const char *client_header(const struct client *c, const char *name)
{
	return client_header_nth(c, name, 0);
}

const char *client_set_cookie(const struct client *c, const char *name)
{
	size_t nlen = strlen(name);
	const char *v;
	for (size_t i = 0; (v = client_header_nth(c, "Set-Cookie", i)) != NULL; i++)
		if (strncmp(v, name, nlen) == 0 && v[nlen] == '=')
			return v;
	return NULL;
}

const char *client_location_path(const struct client *c)
{
	struct client *mc = (struct client *)c;
	const char *loc = client_header(c, "Location");
	if (loc == NULL)
		return NULL;
	const char *p = loc;
	const char *scheme = strstr(loc, "://");
	if (scheme != NULL && scheme < strchr(loc, '/') + 1) {
		p = strchr(scheme + 3, '/');
		if (p == NULL)
			p = "/";
	}
	copy_str(mc->location, sizeof(mc->location), p, strlen(p));
	return mc->location;
}

int client_cookie_get(struct client *c, const char *name, char *out, size_t outlen)
{
	struct curl_slist *list = NULL;
	int rc = -1;

	if (curl_easy_getinfo(c->curl, CURLINFO_COOKIELIST, &list) != CURLE_OK)
		return -1;
	for (struct curl_slist *l = list; l != NULL; l = l->next) {
		/* domain, tailmatch, path, secure, expires, name, value */
		const char *f = l->data;
		for (int i = 0; i < 5 && f != NULL; i++) {
			f = strchr(f, '\t');
			if (f != NULL)
				f++;
		}
		if (f == NULL)
			continue;
		const char *tab = strchr(f, '\t');
		if (tab == NULL)
			continue;
		if ((size_t)(tab - f) == strlen(name) && strncmp(f, name, strlen(name)) == 0) {
			copy_str(out, outlen, tab + 1, strlen(tab + 1));
			rc = 0;
		}
	}
	curl_slist_free_all(list);
	return rc;
}

void client_cookie_put(struct client *c, const char *name, const char *value)
{
	char line[4096];
	if (fmt(line, sizeof(line), "127.0.0.1\tFALSE\t/\tFALSE\t0\t%s\t%s", name, value) == 0)
		curl_easy_setopt(c->curl, CURLOPT_COOKIELIST, line);
}

const char *client_csrf(struct client *c)
{
	if (client_get(c, "/signup") != 200)
		return NULL;
	if (csrf_from(client_body(c), c->csrf, sizeof(c->csrf)) < 0)
		return NULL;
	return c->csrf;
}

long client_login(struct client *c, const char *email, const char *password)
{
	char token[256];
	if (client_get(c, "/login") != 200 || csrf_from(client_body(c), token, sizeof(token)) < 0)
		return 0;
	return client_post_form(c, "/login", "csrf", token, "email", email, "password", password, NULL);
}

/* ---- HTML inspection ---- */

/* One start tag: [start, end) spans from '<' to just after '>'. */
struct tag {
	const char *start;
	const char *end;
};

static int is_name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == ':';
}

/* Finds the next start tag named tagname (NULL: any) at or after p, before
 * limit (NULL: the end). Returns 1 and fills t, or 0. */
static int tag_next(const char *p, const char *limit, const char *tagname, struct tag *t)
{
	size_t tlen = tagname ? strlen(tagname) : 0;
	for (; (p = strchr(p, '<')) != NULL && (limit == NULL || p < limit); p++) {
		const char *n = p + 1;
		if (tagname != NULL) {
			if (strncasecmp(n, tagname, tlen) != 0 || is_name_char(n[tlen]))
				continue;
		} else if (!isalpha((unsigned char)*n)) {
			continue;
		}
		const char *q = n;
		char quote = 0;
		for (; *q != '\0'; q++) {
			if (quote) {
				if (*q == quote)
					quote = 0;
			} else if (*q == '"' || *q == '\'') {
				quote = *q;
			} else if (*q == '>') {
				break;
			}
		}
		if (*q != '>')
			return 0;
		t->start = p;
		t->end = q + 1;
		return 1;
	}
	return 0;
}

/* Looks for attribute attr in t. Returns 1 (value unescaped into out; "" for
 * a bare attribute) or 0 if absent. */
static int tag_attr(const struct tag *t, const char *attr, char *out, size_t outlen)
{
	const char *p = t->start + 1;
	size_t alen = strlen(attr);

	while (p < t->end && is_name_char(*p)) /* the tag name */
		p++;
	while (p < t->end) {
		while (p < t->end && (isspace((unsigned char)*p) || *p == '/'))
			p++;
		if (p >= t->end || *p == '>')
			break;
		const char *name = p;
		while (p < t->end && *p != '=' && *p != '>' && !isspace((unsigned char)*p) && *p != '/')
			p++;
		size_t nlen = (size_t)(p - name);
		const char *val = "";
		size_t vlen = 0;
		while (p < t->end && isspace((unsigned char)*p))
			p++;
		if (p < t->end && *p == '=') {
			p++;
			while (p < t->end && isspace((unsigned char)*p))
				p++;
			if (*p == '"' || *p == '\'') {
				char q = *p++;
				val = p;
				while (p < t->end && *p != q)
					p++;
				vlen = (size_t)(p - val);
				if (p < t->end)
					p++;
			} else {
				val = p;
				while (p < t->end && !isspace((unsigned char)*p) && *p != '>')
					p++;
				vlen = (size_t)(p - val);
			}
		}
		if (nlen == alen && strncasecmp(name, attr, alen) == 0) {
			if (out != NULL)
				html_unescape(val, vlen, out, outlen);
			return 1;
		}
	}
	return 0;
}

static int tag_attr_is(const struct tag *t, const char *attr, const char *want)
{
	char v[4096];
	return tag_attr(t, attr, v, sizeof(v)) && strcmp(v, want) == 0;
}

/* Finds the first tag named tagname with name=name (and value=value if not
 * NULL) in [p, limit). Returns 1 and fills t, or 0. */
static int tag_find(const char *p, const char *limit, const char *tagname, const char *name,
                    const char *value, struct tag *t)
{
	while (tag_next(p, limit, tagname, t)) {
		if (tag_attr_is(t, "name", name) && (value == NULL || tag_attr_is(t, "value", value)))
			return 1;
		p = t->end;
	}
	return 0;
}

void html_unescape(const char *s, size_t len, char *out, size_t outlen)
{
	static const struct { const char *name; const char *text; } named[] = {
		{ "amp;", "&" }, { "lt;", "<" }, { "gt;", ">" }, { "quot;", "\"" },
		{ "apos;", "'" }, { "nbsp;", " " }, { NULL, NULL },
	};
	size_t o = 0;

	if (outlen == 0)
		return;
	for (size_t i = 0; i < len && o + 1 < outlen;) {
		if (s[i] == '&') {
			const char *rest = s + i + 1;
			size_t left = len - i - 1;
			int done = 0;
			for (size_t k = 0; named[k].name != NULL; k++) {
				size_t nl = strlen(named[k].name);
				if (left >= nl && memcmp(rest, named[k].name, nl) == 0) {
					out[o++] = named[k].text[0];
					i += 1 + nl;
					done = 1;
					break;
				}
			}
			if (!done && left >= 2 && rest[0] == '#') {
				int hexa = rest[1] == 'x' || rest[1] == 'X';
				size_t j = hexa ? 2 : 1;
				unsigned long cp = 0;
				size_t digits = 0;
				while (j < left && digits < 8 && (hexa ? isxdigit((unsigned char)rest[j])
				                                        : isdigit((unsigned char)rest[j]))) {
					char ch = rest[j];
					unsigned d = (unsigned)(isdigit((unsigned char)ch) ? ch - '0'
					                        : (tolower((unsigned char)ch) - 'a' + 10));
					cp = cp * (hexa ? 16u : 10u) + d;
					j++;
					digits++;
				}
				if (digits > 0 && j < left && rest[j] == ';' && cp < 0x110000) {
					/* UTF-8 encode */
					unsigned char enc[4];
					size_t n;
					if (cp < 0x80) { enc[0] = (unsigned char)cp; n = 1; }
					else if (cp < 0x800) { enc[0] = (unsigned char)(0xC0 | (cp >> 6)); enc[1] = (unsigned char)(0x80 | (cp & 63)); n = 2; }
					else if (cp < 0x10000) { enc[0] = (unsigned char)(0xE0 | (cp >> 12)); enc[1] = (unsigned char)(0x80 | ((cp >> 6) & 63)); enc[2] = (unsigned char)(0x80 | (cp & 63)); n = 3; }
					else { enc[0] = (unsigned char)(0xF0 | (cp >> 18)); enc[1] = (unsigned char)(0x80 | ((cp >> 12) & 63)); enc[2] = (unsigned char)(0x80 | ((cp >> 6) & 63)); enc[3] = (unsigned char)(0x80 | (cp & 63)); n = 4; }
					if (o + n + 1 > outlen)
						break;
					memcpy(out + o, enc, n);
					o += n;
					i += 1 + j + 1;
					done = 1;
				}
			}
			if (done)
				continue;
		}
		out[o++] = s[i++];
	}
	out[o] = '\0';
}

int csrf_from(const char *html, char *out, size_t outlen)
{
	struct tag t;
	if (html == NULL || !tag_find(html, NULL, "input", "csrf", NULL, &t))
		return -1;
	if (!tag_attr(&t, "value", out, outlen) || out[0] == '\0')
		return -1;
	return 0;
}

int html_input_value(const char *html, const char *name, char *out, size_t outlen)
{
	struct tag t;
	if (!tag_find(html, NULL, "input", name, NULL, &t))
		return -1;
	if (!tag_attr(&t, "value", out, outlen))
		copy_str(out, outlen, "", 0);
	return 0;
}

int html_input_checked(const char *html, const char *name, const char *value)
{
	struct tag t;
	if (!tag_find(html, NULL, "input", name, value, &t))
		return -1;
	return tag_attr(&t, "checked", NULL, 0);
}

int html_option_selected(const char *html, const char *name, const char *value)
{
	struct tag sel, opt;
	if (!tag_find(html, NULL, "select", name, NULL, &sel))
		return -1;
	const char *close = strstr(sel.end, "</select");
	if (close == NULL)
		return -1;
	const char *p = sel.end;
	while (tag_next(p, close, "option", &opt)) {
		if (tag_attr_is(&opt, "value", value))
			return tag_attr(&opt, "selected", NULL, 0);
		p = opt.end;
	}
	return -1;
}

int html_choice_chosen(const char *html, const char *name, const char *value)
{
	int r = html_option_selected(html, name, value);
	return r >= 0 ? r : html_input_checked(html, name, value);
}

int html_textarea_value(const char *html, const char *name, char *out, size_t outlen)
{
	struct tag t;
	if (!tag_find(html, NULL, "textarea", name, NULL, &t))
		return -1;
	const char *close = strstr(t.end, "</textarea");
	if (close == NULL)
		return -1;
	const char *s = t.end;
	if (*s == '\n') /* HTML drops one newline right after <textarea> */
		s++;
	html_unescape(s, (size_t)(close - s), out, outlen);
	return 0;
}

int html_control_attr(const char *html, const char *name, const char *attr,
                      char *out, size_t outlen)
{
	static const char *const kinds[] = { "input", "select", "textarea" };
	struct tag best = { NULL, NULL }, t;
	for (size_t i = 0; i < 3; i++)
		if (tag_find(html, NULL, kinds[i], name, NULL, &t) &&
		    (best.start == NULL || t.start < best.start))
			best = t;
	if (best.start == NULL)
		return -1;
	return tag_attr(&best, attr, out, outlen) ? 0 : -1;
}

int html_text_by_id(const char *html, const char *id, char *out, size_t outlen)
{
	struct tag t = { NULL, NULL };
	const char *p = html;
	int found = 0;
	while (!found && tag_next(p, NULL, NULL, &t)) {
		found = tag_attr_is(&t, "id", id);
		p = t.end;
	}
	if (!found)
		return -1;
	char tname[32] = "</";
	size_t n = 2;
	for (const char *q = t.start + 1; is_name_char(*q) && n + 1 < sizeof(tname); q++)
		tname[n++] = *q;
	tname[n] = '\0';
	const char *close = strcasestr(t.end, tname);
	if (close == NULL)
		return -1;
	/* strip tags, collapse whitespace */
	size_t cap = (size_t)(close - t.end) + 1;
	char *text = xcalloc(1, cap);
	size_t o = 0;
	int in_tag = 0, space = 1;
	for (const char *q = t.end; q < close; q++) {
		if (*q == '<') { in_tag = 1; continue; }
		if (in_tag) { if (*q == '>') in_tag = 0; continue; }
		if (isspace((unsigned char)*q)) {
			if (!space) text[o++] = ' ';
			space = 1;
			continue;
		}
		text[o++] = *q;
		space = 0;
	}
	while (o > 0 && text[o - 1] == ' ')
		o--;
	html_unescape(text, o, out, outlen);
	free(text);
	return 0;
}

/* ---- raw sockets ---- */

/* Returns 1 if out holds a complete response (headers and, when
 * Content-Length is given, the body). */
static int response_complete(const char *out, size_t len)
{
	const char *end = memmem(out, len, "\r\n\r\n", 4);
	if (end == NULL)
		return 0;
	const char *cl = strcasestr(out, "\r\ncontent-length:");
	if (cl == NULL || cl > end)
		return 0; /* read until close */
	char *e;
	long n = strtol(cl + 17, &e, 10);
	if (n < 0)
		return 1;
	return (size_t)(end + 4 - out) + (size_t)n <= len;
}

int raw_connect(const struct server *srv)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)srv->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int raw_request(const struct server *srv, const char *req, size_t len, char *out,
                size_t outlen, int timeout_ms)
{
	size_t sent = 0, got = 0;
	long long deadline = now_ms() + timeout_ms;
	int reading_only = 0, fd;

	if (outlen > 0)
		out[0] = '\0';
	if ((fd = raw_connect(srv)) < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		int left = (int)(deadline - now_ms());
		if (left <= 0)
			break;
		struct pollfd p = { fd, POLLIN | (sent < len && !reading_only ? POLLOUT : 0), 0 };
		if (poll(&p, 1, left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			/* the server answered (maybe before reading everything): stop sending */
			reading_only = 1;
			if (got + 1 >= outlen)
				break;
			ssize_t n = recv(fd, out + got, outlen - 1 - got, 0);
			if (n <= 0) {
				if (n < 0 && errno == EAGAIN)
					continue;
				break;
			}
			got += (size_t)n;
			out[got] = '\0';
			if (response_complete(out, got))
				break;
		} else if (p.revents & POLLOUT) {
			size_t chunk = len - sent < 16384 ? len - sent : 16384;
			ssize_t n = send(fd, req + sent, chunk, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				reading_only = 1; /* reset by the server: read what it said */
				continue;
			}
			sent += (size_t)n;
		}
	}
	close(fd);
	if (got < 12 || strncmp(out, "HTTP/1.", 7) != 0)
		return 0;
	char *e;
	long st = strtol(out + 9, &e, 10);
	return (st >= 100 && st <= 599) ? (int)st : 0;
}
