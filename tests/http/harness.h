/*
 * harness.h — drives the real onramp binary for the HTTP integration tests.
 *
 * A test program starts a server (harness_start): a fresh mkdtemp()
 * directory holds its SQLite file and key file; `onramp migrate` and
 * `onramp user add` prepare it, then `onramp serve` listens on a free
 * loopback port, learned from the one line it prints when ready. Each test
 * talks to it through its own client (libcurl, its own cookie jar, no
 * redirect following, so statuses and Location headers are seen as sent),
 * or through raw sockets for requests curl refuses to make. The database is
 * inspected through separate READ-ONLY SQLite connections, never changed.
 *
 * Invariants: the server process is always reaped (SIGTERM, then SIGKILL
 * after a timeout) and its directory removed by harness_stop(); it also
 * receives SIGTERM if the test program dies (PR_SET_PDEATHSIG).
 * Threading: single-threaded, like cmocka.
 * Memory: strings returned by the client helpers point into the client and
 * stay valid until its next request or client_free(), unless said otherwise.
 */
#ifndef ONRAMP_TEST_HARNESS_H
#define ONRAMP_TEST_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"

/* The accounts every server starts with (long passwords, not common ones). */
#define H_ADMIN_EMAIL     "admin@example.org"
#define H_ADMIN_PASS      "quiet harbor lantern 42"
#define H_STAFF_EMAIL     "staff@example.org"
#define H_STAFF_PASS      "amber meadow compass 17"
#define H_VOLUNTEER_EMAIL "volunteer@example.org"
#define H_VOLUNTEER_PASS  "silver orchard kettle 93"

#define H_PATH_MAX 512

struct harness_opts {
	int         signup_rate;  /* ONRAMP_SIGNUP_RATE; 0 = unlimited (the default here) */
	const char *extra_env[8]; /* more "NAME=value" settings for serve, NULL-terminated */
	const char *dir_parent;   /* make the server's directory here (a small tmpfs); NULL: $TMPDIR or /tmp */
	/* A second node: serve from this running server's database and key
	 * (PostgreSQL only) instead of a fresh one; its accounts already exist. */
	const struct server *same_db;
};

struct server {
	char  dir[H_PATH_MAX];      /* the temporary directory */
	char  db_path[H_PATH_MAX];  /* dir/onramp.db */
	char  db_url[H_PATH_MAX];   /* sqlite:dir/onramp.db */
	char  key_path[H_PATH_MAX]; /* dir/onramp.key */
	char  log_path[H_PATH_MAX]; /* dir/server.log: the server's stderr */
	char  base[64];             /* http://127.0.0.1:PORT */
	int   port;
	pid_t pid;                  /* 0 when not running */
	int   out_fd;               /* read end of the server's stdout */
	int   signup_rate;
	const char *extra_env[8];
	char  pg_db[64];            /* PostgreSQL: the database's name, "" on SQLite */
	int   owns_db;              /* created the PostgreSQL database (drops it at stop) */
};

/* The PostgreSQL server the suite runs against the second time: the value of
 * ONRAMP_TEST_PG (postgres://USER@HOST:PORT, no database), or NULL when this
 * run is on SQLite. With it set, every harness_start() creates a fresh
 * database on that server (dropped by harness_stop()) and serves from it;
 * the harness_db_* readers below then query it through libpq ("?1" in their
 * SQL works on both). */
const char *harness_pg(void);

/* PostgreSQL only (harness_pg() set): creates a new, empty database on the
 * test server, writing its name into name and its URL into url. Drop it
 * with harness_pg_drop(). Returns 0, or -1 (printing why). */
int harness_pg_create(char *name, size_t namelen, char *url, size_t urllen);
/* Drops database name (closing its connections). Returns 0 or -1. */
int harness_pg_drop(const char *name);

/* Returns the onramp binary to test: $ONRAMP_BIN, else ./build/onramp. */
const char *harness_bin(void);

/* Creates the directory, migrates, adds the three accounts above and starts
 * `onramp serve`, waiting (up to 60 s) for its listening line. opts may be
 * NULL. Returns a new server (free with harness_stop()), or NULL after
 * printing why to stderr. */
struct server *harness_start(const struct harness_opts *opts);

/* Stops the server (SIGTERM; SIGKILL after 15 s), reaps it, removes its
 * directory and frees srv. Returns 0 if the server exited with status 0 on
 * SIGTERM, -1 otherwise (its log is printed to stderr then). NULL is a no-op
 * returning 0. */
int harness_stop(struct server *srv);

/* Prints the last lines of the server's log to stderr (for failures). */
void harness_dump_log(const struct server *srv);

/* Returns 1 if the server process is still running, else 0. */
int harness_alive(struct server *srv);

/* Kills the server with SIGKILL (a crash: no clean shutdown) and reaps it;
 * its directory and database stay. Returns 0, or -1 if it was not running. */
int harness_kill(struct server *srv);

/* Starts `onramp serve` again on the same directory, database and key
 * (after harness_kill), waiting for its listening line; srv->port and
 * srv->base change. Returns 0 or -1 (printing why). */
int harness_restart(struct server *srv);

/* ---- running the command line ---- */

struct cli_result {
	int  status;       /* exit status, or 128+signal, or -1 if it could not run */
	char out[16384];   /* stdout (truncated to fit, NUL-terminated) */
	char err[16384];   /* stderr */
};

/* Runs onramp with argv (argv[0] is the first argument after the binary,
 * NULL-terminated), the environment of srv (ONRAMP_DB, ONRAMP_KEY_FILE; srv
 * may be NULL for none) plus env ("NAME=value" strings, NULL-terminated, may
 * be NULL), and stdin_text on stdin (NULL for an empty stdin). Waits up to
 * 120 s. Returns r->status. */
int harness_cli(const struct server *srv, const char *const *env, const char *stdin_text,
                struct cli_result *r, const char *const *argv);

/* Adds an account with `onramp user add` (works while the server runs).
 * Returns 0 or -1 (printing the reason). */
int harness_user_add(const struct server *srv, const char *email, const char *role,
                     const char *password);

/* ---- reading the database (read-only) ---- */

/* Runs sql (one optional text parameter bound to ?1, may be NULL) and returns
 * the first column of the first row as an integer; -1 on error or no row. */
long long harness_db_int(const struct server *srv, const char *sql, const char *param);
/* Accounts whose kept queue size (volunteer_load) differs from a count of
 * the people assigned to them in an in_queue stage (0 when they all agree);
 * *total gets the sum of the kept sizes. -1 on error. */
long long harness_queue_size_mismatches(const struct server *srv, long long *total);
/* Same, on an SQLite file given by path (for backups). */
long long harness_db_file_int(const char *path, const char *sql, const char *param);
/* Copies the first column of the first row as text into out ("" for NULL).
 * Returns 0, or -1 on error or no row. */
int harness_db_text(const struct server *srv, const char *sql, const char *param,
                    char *out, size_t outlen);
/* Returns the number of rows of sql whose first column (text or blob)
 * contains needle's bytes, or -1 on error. */
long long harness_db_rows_containing(const struct server *srv, const char *sql,
                                     const char *needle);
/* Returns 1 if needle's bytes occur anywhere in the database file or its
 * write-ahead log, 0 if not, -1 if they cannot be read. On PostgreSQL: in
 * the files of the server's data directory (ONRAMP_TEST_PG_DATA) holding
 * this database and the write-ahead log, after a CHECKPOINT. */
int harness_db_files_contain(const struct server *srv, const char *needle);

/* Runs one statement that changes the database (tests that play an
 * attacker with direct access to it). Returns 0 or -1 (printing why). */
int harness_db_exec(const struct server *srv, const char *sql);

/* Convenience counts. */
long long harness_count_people(const struct server *srv);
long long harness_count_submissions(const struct server *srv);
/* The person id owning an (already normalized) email, or -1. */
long long harness_person_by_email(const struct server *srv, const char *email);

/* ---- forms ---- */

#define FORM_MAX_FIELDS 64

/* An ordered list of name=value pairs (names may repeat: checkbox groups).
 * Strings are copied into the form. */
struct form {
	char  *names[FORM_MAX_FIELDS];
	char  *values[FORM_MAX_FIELDS];
	size_t count;
};

void form_init(struct form *f);
void form_free(struct form *f);
/* Appends name=value. Returns 0, or -1 when full. */
int form_add(struct form *f, const char *name, const char *value);
/* Replaces the value of every field named name (adds it if absent). */
int form_set(struct form *f, const char *name, const char *value);
/* Removes every field named name. */
void form_remove(struct form *f, const char *name);
/* Returns the first value of name, or NULL. */
const char *form_get(const struct form *f, const char *name);
/* Appends the application/x-www-form-urlencoded encoding to out. */
int form_encode(const struct form *f, buf *out);

/* ---- the HTTP client ---- */

struct client;

/* A client of srv with an empty cookie jar. Never NULL (aborts on OOM). */
struct client *client_new(struct server *srv);
void client_free(struct client *c);

/* Requests; each returns the status (0 on a transport error) and keeps the
 * response for the accessors below. path is relative to the server
 * ("/signup?x=1"). */
long client_get(struct client *c, const char *path);
/* Any method without a body (e.g. "DELETE", "HEAD"). */
long client_request(struct client *c, const char *method, const char *path);
long client_post(struct client *c, const char *path, const struct form *f);
/* POST name, value pairs, NULL-terminated, URL-encoded. */
long client_post_form(struct client *c, const char *path, ...) __attribute__((sentinel));
/* POST a raw body with the given Content-Type. */
long client_post_raw(struct client *c, const char *path, const char *content_type,
                     const char *body, size_t len);
/* As client_post_raw, plus extra request headers ("Name: value" strings,
 * NULL-terminated; headers may be NULL). */
long client_post_headers(struct client *c, const char *path, const char *content_type,
                         const char *body, size_t len, const char *const *headers);

long client_status(const struct client *c);
/* The response body (NUL-terminated, "" when empty) and its length. */
const char *client_body(const struct client *c);
size_t client_body_len(const struct client *c);
/* The first response header named name (case-insensitive), value trimmed,
 * or NULL. */
const char *client_header(const struct client *c, const char *name);
/* The n-th (0-based) header named name, or NULL. */
const char *client_header_nth(const struct client *c, const char *name, size_t n);
/* The Set-Cookie header that sets cookie name, or NULL. */
const char *client_set_cookie(const struct client *c, const char *name);
/* The Location header reduced to its path ("/login?x" from an absolute URL
 * of this server), or NULL. */
const char *client_location_path(const struct client *c);

/* Copies the value of cookie name from the jar into out. Returns 0, or -1
 * when absent. */
int client_cookie_get(struct client *c, const char *name, char *out, size_t outlen);
/* Puts name=value for this server into the jar (replacing one). */
void client_cookie_put(struct client *c, const char *name, const char *value);

/* Gets a page carrying a form and returns its csrf token (pointer into the
 * client, valid until the next request), or NULL. Uses /signup, which every
 * visitor may see. */
const char *client_csrf(struct client *c);

/* Signs in through /login. Returns the POST's status (303 on success). */
long client_login(struct client *c, const char *email, const char *password);

/* ---- HTML inspection (for the server's own, well-formed markup) ---- */

/* Extracts the value of the hidden csrf input into out. Returns 0 or -1. */
int csrf_from(const char *html, char *out, size_t outlen);
/* Finds the <input> named name (for checkboxes/radios: the one with that
 * value, or the first if value is NULL) and copies its value attribute,
 * HTML-unescaped, into out. Returns 0, or -1 if there is no such input. */
int html_input_value(const char *html, const char *name, char *out, size_t outlen);
/* Returns 1 if the checkbox/radio name=value is checked, 0 if present and
 * unchecked, -1 if absent. */
int html_input_checked(const char *html, const char *name, const char *value);
/* Returns 1 if <select name=name> has value selected, 0 if present but not
 * selected, -1 if there is no such option. */
int html_option_selected(const char *html, const char *name, const char *value);
/* A choice of one: 1 if value is chosen, whether the field is drawn as a
 * <select> or as radio buttons; 0 if not chosen; -1 if absent. */
int html_choice_chosen(const char *html, const char *name, const char *value);
/* Copies the text of <textarea name=name>, HTML-unescaped. Returns 0 or -1. */
int html_textarea_value(const char *html, const char *name, char *out, size_t outlen);
/* Copies the attribute attr of the form control (input, select or textarea)
 * named name (the first one) into out. Returns 0, or -1 if the control or
 * attribute is missing. */
int html_control_attr(const char *html, const char *name, const char *attr,
                      char *out, size_t outlen);
/* Copies the text content of the element with id="id" (tags stripped,
 * unescaped, whitespace collapsed) into out. Returns 0 or -1. */
int html_text_by_id(const char *html, const char *id, char *out, size_t outlen);
/* Decodes the HTML character references of s[0..len) into out. */
void html_unescape(const char *s, size_t len, char *out, size_t outlen);

/* ---- raw sockets ---- */

/* Sends req (len bytes) to the server on a new TCP connection, then reads
 * until the server closes or timeout_ms passes. Copies the response into out
 * (NUL-terminated). Returns the HTTP status of the first response line, 0
 * if the server closed without answering, -1 on a connect error. */
int raw_request(const struct server *srv, const char *req, size_t len, char *out,
                size_t outlen, int timeout_ms);
/* Opens a TCP connection to the server from 127.0.0.1 and returns its fd
 * (close it), or -1. */
int raw_connect(const struct server *srv);

/* ---- assertions (expand where cmocka.h is included) ---- */

/* Checks a response's status, printing the response on a mismatch so a
 * failure says what the server answered. */
#define H_ASSERT_STATUS(c, want)                                                         \
	do {                                                                             \
		long h_st_ = client_status(c);                                           \
		if (h_st_ != (long)(want))                                               \
			fprintf(stderr, "# status %ld, expected %ld; Location: %s; body: %.600s\n", \
			        h_st_, (long)(want),                                     \
			        client_header(c, "Location") ? client_header(c, "Location") : "-", \
			        client_body(c));                                         \
		assert_int_equal(h_st_, (want));                                         \
	} while (0)

/* Checks that the response is a redirect with status want to path want_path
 * (the Location's path, query included). */
#define H_ASSERT_REDIRECT(c, want, want_path)                                            \
	do {                                                                             \
		H_ASSERT_STATUS(c, want);                                                \
		assert_non_null(client_location_path(c));                                \
		assert_string_equal(client_location_path(c), (want_path));               \
	} while (0)

#endif
