/*
 * store_users.c — all SQL for staff accounts, sessions and login failures.
 *
 * Invariants: the SQL is constant text with "?" parameters, valid for both
 * SQLite and PostgreSQL (upsert with ON CONFLICT), so no dialect switch is
 * needed yet. Every statement obtained with db_prepare() is finished with
 * db_done() on every path, and every read connection is given back.
 * Writes that belong together run in one db_write() job (one savepoint).
 * Threading: no state of its own; reads borrow a pooled connection, writes
 * run on the writer thread (store/sql.h).
 */
#include <string.h>

#include "store/sql.h"
#include "store/store_audit.h"
#include "store/store_users.h"

_Static_assert(STORE_USERS_DUPLICATE == DB_CONSTRAINT, "store_users.h mirrors DB_CONSTRAINT");
_Static_assert(STORE_USERS_FULL == DB_FULL, "store_users.h mirrors DB_FULL");

/* Copies a column's text into a fixed buffer. A value that does not fit
 * means the row was not written by us: an error, never a silent cut. */
static int store_users_copy_text(char *dst, size_t dstlen, const char *src)
{
	size_t n;

	if (src == NULL) {
		dst[0] = '\0';
		return 0;
	}
	n = strlen(src);
	if (n >= dstlen)
		return DB_ERROR;
	memcpy(dst, src, n + 1);
	return 0;
}

/* ---- accounts ---- */

struct store_user_insert_job {
	long long   actor_id;
	const char *email;
	const char *role;
	const char *password_hash;
	json_t     *audit_after;
	long long   id;
};

static int store_user_insert_run(struct db_conn *c, void *arg)
{
	struct store_user_insert_job *job = arg;
	struct db_stmt *s;
	long long now = db_now();
	int rc;

	/* Look first, so a taken email is an answer, not a logged error. */
	s = db_prepare(c, "SELECT 1 FROM users WHERE email = ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, job->email);
	rc = db_step(s);
	db_done(s);
	if (rc == DB_ROW)
		return DB_CONSTRAINT;
	if (rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;

	s = db_prepare(c, "INSERT INTO users (email, password_hash, role, disabled, created_at,"
	                  " password_changed_at) VALUES (?, ?, ?, 0, ?, ?) RETURNING id");
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, job->email) != DB_OK ||
	    db_bind_text(s, 2, job->password_hash) != DB_OK ||
	    db_bind_text(s, 3, job->role) != DB_OK ||
	    db_bind_int(s, 4, now) != DB_OK ||
	    db_bind_int(s, 5, now) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		job->id = db_col_int(s, 0);
	db_done(s);
	if (rc != DB_ROW)
		return rc < 0 ? rc : DB_ERROR;

	return store_audit_append(c, job->actor_id, "user.add", "user", job->id,
	                          NULL, job->audit_after);
}

int store_user_insert(struct db *db, long long actor_id, const char *email, const char *role,
                      const char *password_hash, json_t *audit_after, long long *id_out)
{
	struct store_user_insert_job job = {
		.actor_id = actor_id, .email = email, .role = role,
		.password_hash = password_hash, .audit_after = audit_after, .id = 0,
	};
	int rc = db_write(db, store_user_insert_run, &job);

	if (rc < 0)
		return rc;
	if (id_out != NULL)
		*id_out = job.id;
	return 0;
}

int store_user_find_by_email(struct db *db, const char *email, struct store_user *out)
{
	struct db_conn *c = db_read_begin(db);
	struct db_stmt *s;
	int rc, found = 0;

	memset(out, 0, sizeof(*out));
	s = db_prepare(c, "SELECT id, email, role, password_hash, disabled, totp_enabled FROM users"
	                  " WHERE email = ?");
	if (s == NULL) {
		rc = DB_ERROR;
		goto done;
	}
	db_bind_text(s, 1, email);
	rc = db_step(s);
	if (rc == DB_ROW) {
		out->id = db_col_int(s, 0);
		out->disabled = db_col_int(s, 4) != 0;
		out->totp_enabled = db_col_int(s, 5) != 0;
		if (store_users_copy_text(out->email, sizeof(out->email), db_col_text(s, 1)) != 0 ||
		    store_users_copy_text(out->role, sizeof(out->role), db_col_text(s, 2)) != 0 ||
		    store_users_copy_text(out->password_hash, sizeof(out->password_hash),
		                          db_col_text(s, 3)) != 0)
			rc = DB_ERROR;
		else
			found = 1;
	}
	db_done(s);
done:
	db_read_end(db, c);
	if (found)
		return 1;
	if (rc == DB_DONE)
		return 0;
	memset(out, 0, sizeof(*out));
	return rc < 0 ? rc : DB_ERROR;
}

int store_user_list(struct db *db, json_t **rows)
{
	struct db_conn *c = db_read_begin(db);
	struct db_stmt *s;
	json_t *arr = json_array();
	int rc = DB_ERROR;

	*rows = NULL;
	if (arr == NULL)
		goto done;
	s = db_prepare(c, "SELECT id, email, role, disabled, created_at FROM users ORDER BY id");
	if (s == NULL)
		goto done;
	while ((rc = db_step(s)) == DB_ROW) {
		const char *email = db_col_text(s, 1), *role = db_col_text(s, 2);
		json_t *row = json_pack("{s:I, s:s, s:s, s:b, s:I}",
		                        "id", (json_int_t)db_col_int(s, 0),
		                        "email", email != NULL ? email : "",
		                        "role", role != NULL ? role : "",
		                        "disabled", db_col_int(s, 3) != 0,
		                        "created_at", (json_int_t)db_col_int(s, 4));
		if (row == NULL || json_array_append_new(arr, row) != 0) {
			rc = DB_ERROR;
			break;
		}
	}
	db_done(s);
done:
	db_read_end(db, c);
	if (rc != DB_DONE) {
		json_decref(arr);
		return rc < 0 ? rc : DB_ERROR;
	}
	*rows = arr;
	return 0;
}

/* ---- login failures ---- */

static int store_login_failures_read_one(struct db_conn *c, const char *key,
                                         long long window_floor, long long *count)
{
	struct db_stmt *s;
	int rc;

	*count = 0;
	if (key == NULL)
		return 0;
	s = db_prepare(c, "SELECT count FROM login_failures WHERE key = ? AND window_start > ?");
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, key) != DB_OK || db_bind_int(s, 2, window_floor) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		*count = db_col_int(s, 0);
	db_done(s);
	if (rc == DB_ROW || rc == DB_DONE)
		return 0;
	return rc < 0 ? rc : DB_ERROR;
}

int store_login_failures_get(struct db *db, const char *key_a, const char *key_b,
                             long long window_floor, long long *count_a, long long *count_b)
{
	struct db_conn *c = db_read_begin(db);
	int rc;

	*count_b = 0;
	rc = store_login_failures_read_one(c, key_a, window_floor, count_a);
	if (rc == 0)
		rc = store_login_failures_read_one(c, key_b, window_floor, count_b);
	db_read_end(db, c);
	return rc;
}

struct store_login_failure_job {
	const char *keys[2];
	long long   now;
	long long   window_floor;
};

static int store_login_failure_add_run(struct db_conn *c, void *arg)
{
	struct store_login_failure_job *job = arg;
	struct db_stmt *s;
	size_t i;
	int rc;

	/* Forget expired windows first (keeps the table to live windows). */
	s = db_prepare(c, "DELETE FROM login_failures WHERE window_start <= ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, job->window_floor);
	rc = db_step(s);
	db_done(s);
	if (rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;

	for (i = 0; i < 2; i++) {
		if (job->keys[i] == NULL)
			continue;
		/* The expired-window case cannot hit after the DELETE above, but
		 * the upsert stays correct on its own. */
		s = db_prepare(c, "INSERT INTO login_failures (key, window_start, count) VALUES (?, ?, 1)"
		                  " ON CONFLICT (key) DO UPDATE SET"
		                  " count = CASE WHEN login_failures.window_start <= ? THEN 1"
		                  " ELSE login_failures.count + 1 END,"
		                  " window_start = CASE WHEN login_failures.window_start <= ? THEN ?"
		                  " ELSE login_failures.window_start END");
		if (s == NULL)
			return DB_ERROR;
		if (db_bind_text(s, 1, job->keys[i]) != DB_OK ||
		    db_bind_int(s, 2, job->now) != DB_OK ||
		    db_bind_int(s, 3, job->window_floor) != DB_OK ||
		    db_bind_int(s, 4, job->window_floor) != DB_OK ||
		    db_bind_int(s, 5, job->now) != DB_OK) {
			db_done(s);
			return DB_ERROR;
		}
		rc = db_step(s);
		db_done(s);
		if (rc != DB_DONE)
			return rc < 0 ? rc : DB_ERROR;
	}
	return 0;
}

int store_login_failure_add(struct db *db, const char *key_a, const char *key_b,
                            long long now, long long window_floor)
{
	struct store_login_failure_job job = {
		.keys = { key_a, key_b }, .now = now, .window_floor = window_floor,
	};
	int rc = db_write(db, store_login_failure_add_run, &job);

	return rc < 0 ? rc : 0;
}

/* ---- sessions ---- */

struct store_session_create_job {
	const char *token_hash;
	long long   user_id;
	long long   now;
	long long   expires_at;
	long long   idle_floor;
	const char *clear_key;
};

static int store_session_create_run(struct db_conn *c, void *arg)
{
	struct store_session_create_job *job = arg;
	struct db_stmt *s;
	int rc;

	s = db_prepare(c, "DELETE FROM sessions WHERE user_id = ? AND (expires_at <= ? OR last_seen <= ?)");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, job->user_id);
	db_bind_int(s, 2, job->now);
	db_bind_int(s, 3, job->idle_floor);
	rc = db_step(s);
	db_done(s);
	if (rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;

	s = db_prepare(c, "INSERT INTO sessions (token_hash, user_id, created_at, last_seen, expires_at)"
	                  " VALUES (?, ?, ?, ?, ?)");
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, job->token_hash) != DB_OK ||
	    db_bind_int(s, 2, job->user_id) != DB_OK ||
	    db_bind_int(s, 3, job->now) != DB_OK ||
	    db_bind_int(s, 4, job->now) != DB_OK ||
	    db_bind_int(s, 5, job->expires_at) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	db_done(s);
	if (rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;

	if (job->clear_key != NULL) {
		s = db_prepare(c, "DELETE FROM login_failures WHERE key = ?");
		if (s == NULL)
			return DB_ERROR;
		db_bind_text(s, 1, job->clear_key);
		rc = db_step(s);
		db_done(s);
		if (rc != DB_DONE)
			return rc < 0 ? rc : DB_ERROR;
	}
	return 0;
}

int store_session_create(struct db *db, const char *token_hash, long long user_id,
                         long long now, long long expires_at, long long idle_floor,
                         const char *clear_key)
{
	struct store_session_create_job job = {
		.token_hash = token_hash, .user_id = user_id, .now = now,
		.expires_at = expires_at, .idle_floor = idle_floor, .clear_key = clear_key,
	};
	int rc = db_write(db, store_session_create_run, &job);

	return rc < 0 ? rc : 0;
}

int store_session_find(struct db *db, const char *token_hash, struct store_session *out)
{
	struct db_conn *c = db_read_begin(db);
	struct db_stmt *s;
	int rc, found = 0;

	memset(out, 0, sizeof(*out));
	s = db_prepare(c, "SELECT s.created_at, s.last_seen, s.expires_at, u.id, u.email, u.role,"
	                  " u.disabled, u.totp_enabled FROM sessions s JOIN users u ON u.id = s.user_id"
	                  " WHERE s.token_hash = ?");
	if (s == NULL) {
		rc = DB_ERROR;
		goto done;
	}
	db_bind_text(s, 1, token_hash);
	rc = db_step(s);
	if (rc == DB_ROW) {
		out->created_at = db_col_int(s, 0);
		out->last_seen = db_col_int(s, 1);
		out->expires_at = db_col_int(s, 2);
		out->user.id = db_col_int(s, 3);
		out->user.disabled = db_col_int(s, 6) != 0;
		out->user.totp_enabled = db_col_int(s, 7) != 0;
		if (store_users_copy_text(out->user.email, sizeof(out->user.email), db_col_text(s, 4)) != 0 ||
		    store_users_copy_text(out->user.role, sizeof(out->user.role), db_col_text(s, 5)) != 0)
			rc = DB_ERROR;
		else
			found = 1;
	}
	db_done(s);
done:
	db_read_end(db, c);
	if (found)
		return 1;
	if (rc == DB_DONE)
		return 0;
	memset(out, 0, sizeof(*out));
	return rc < 0 ? rc : DB_ERROR;
}

struct store_session_key_job {
	const char *token_hash;
	long long   now;
};

static int store_session_touch_run(struct db_conn *c, void *arg)
{
	struct store_session_key_job *job = arg;
	struct db_stmt *s;
	int rc;

	/* last_seen only moves forward, whatever order touches commit in. */
	s = db_prepare(c, "UPDATE sessions SET last_seen = ? WHERE token_hash = ? AND last_seen < ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, job->now);
	db_bind_text(s, 2, job->token_hash);
	db_bind_int(s, 3, job->now);
	rc = db_step(s);
	db_done(s);
	if (rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;
	return 0;
}

int store_session_touch(struct db *db, const char *token_hash, long long now)
{
	struct store_session_key_job job = { .token_hash = token_hash, .now = now };
	int rc = db_write(db, store_session_touch_run, &job);

	return rc < 0 ? rc : 0;
}

static int store_session_delete_run(struct db_conn *c, void *arg)
{
	struct store_session_key_job *job = arg;
	struct db_stmt *s;
	int rc;

	s = db_prepare(c, "DELETE FROM sessions WHERE token_hash = ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, job->token_hash);
	rc = db_step(s);
	db_done(s);
	if (rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;
	return 0;
}

int store_session_delete(struct db *db, const char *token_hash)
{
	struct store_session_key_job job = { .token_hash = token_hash, .now = 0 };
	int rc = db_write(db, store_session_delete_run, &job);

	return rc < 0 ? rc : 0;
}
