/*
 * store_security.c — all SQL for two-factor secrets, pending logins and the
 * writes that end sessions. See store_security.h.
 *
 * Invariants: constant SQL with "?" parameters in the subset SQLite and
 * PostgreSQL share; every db_prepare() is finished with db_done() on every
 * path; each write is one db_write() job holding its audit entry. The
 * "code usable once" rule is enforced here as a conditional UPDATE
 * (totp_last_step < ?), so two requests racing with the same code cannot
 * both win: the writer runs jobs one at a time.
 * Threading: no state of its own.
 */
#include "store/store_security.h"

#include <string.h>

#include "store/sql.h"
#include "store/store_audit.h"

/* Runs a prepared statement that returns no rows. Returns 0 or < 0. */
static int sec_step_done(struct db_stmt *s)
{
	int rc = db_step(s);

	db_done(s);
	if (rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;
	return 0;
}

static int sec_copy_text(char *dst, size_t dstlen, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= dstlen)
		return DB_ERROR;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* ---- TOTP state ---- */

int store_totp_get(struct db *db, long long user_id, struct store_totp *out)
{
	struct db_conn *c = db_read_begin(db);
	struct db_stmt *s;
	const void *blob;
	size_t len = 0;
	int rc, found = 0;

	memset(out, 0, sizeof(*out));
	s = db_prepare(c, "SELECT totp_secret, totp_enabled, totp_last_step FROM users WHERE id = ?");
	if (s == NULL) {
		rc = DB_ERROR;
		goto done;
	}
	db_bind_int(s, 1, user_id);
	rc = db_step(s);
	if (rc == DB_ROW) {
		blob = db_col_is_null(s, 0) ? NULL : db_col_blob(s, 0, &len);
		if (blob != NULL && len > sizeof(out->sealed)) {
			rc = DB_ERROR;
		} else {
			if (blob != NULL && len > 0)
				memcpy(out->sealed, blob, len);
			out->sealed_len = blob != NULL ? len : 0;
			out->enabled = db_col_int(s, 1) != 0;
			out->last_step = db_col_int(s, 2);
			found = 1;
		}
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

struct sec_totp_job {
	long long            user_id;
	const unsigned char *sealed;
	size_t               len;
	long long            step;
};

static int store_totp_setup_run(struct db_conn *c, void *arg)
{
	struct sec_totp_job *job = arg;
	struct db_stmt *s;
	int rc;

	s = db_prepare(c, "UPDATE users SET totp_secret = ? WHERE id = ? AND totp_enabled = 0");
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_blob(s, 1, job->sealed, job->len) != DB_OK || db_bind_int(s, 2, job->user_id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	if (db_changes(c) == 0)
		return 1;
	return store_audit_append(c, job->user_id, "user.totp_setup", "user", job->user_id, NULL, NULL);
}

int store_totp_setup(struct db *db, long long user_id, const unsigned char *sealed, size_t len)
{
	struct sec_totp_job job = { .user_id = user_id, .sealed = sealed, .len = len, .step = 0 };

	return db_write(db, store_totp_setup_run, &job);
}

static int store_totp_enable_run(struct db_conn *c, void *arg)
{
	struct sec_totp_job *job = arg;
	struct db_stmt *s;
	int rc;

	/* The secret compared is the one the code was checked against: a setup
	 * in another tab meanwhile must not be enabled unseen. */
	s = db_prepare(c, "UPDATE users SET totp_enabled = 1, totp_last_step = ?"
	                  " WHERE id = ? AND totp_enabled = 0 AND totp_secret = ?");
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, job->step) != DB_OK || db_bind_int(s, 2, job->user_id) != DB_OK ||
	    db_bind_blob(s, 3, job->sealed, job->len) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	if (db_changes(c) == 0)
		return 1;
	return store_audit_append(c, job->user_id, "user.totp_enable", "user", job->user_id, NULL, NULL);
}

int store_totp_enable(struct db *db, long long user_id, const unsigned char *sealed, size_t len,
                      long long step)
{
	struct sec_totp_job job = { .user_id = user_id, .sealed = sealed, .len = len, .step = step };

	return db_write(db, store_totp_enable_run, &job);
}

/* Deletes every session and pending login of user_id. Returns the number
 * of sessions deleted, or < 0. */
static int sec_end_sessions(struct db_conn *c, long long user_id)
{
	struct db_stmt *s;
	long long n;
	int rc;

	s = db_prepare(c, "DELETE FROM sessions WHERE user_id = ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, user_id);
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	n = db_changes(c);
	s = db_prepare(c, "DELETE FROM login_pending WHERE user_id = ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, user_id);
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	return n > 0x7fffffff ? 0x7fffffff : (int)n;
}

struct sec_reset_job {
	long long   actor_id;
	const char *email;
	long long   user_id;
};

static int store_totp_reset_run(struct db_conn *c, void *arg)
{
	struct sec_reset_job *job = arg;
	struct db_stmt *s;
	json_t *after;
	int rc;

	s = db_prepare(c, "SELECT id FROM users WHERE email = ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, job->email);
	rc = db_step(s);
	if (rc == DB_ROW)
		job->user_id = db_col_int(s, 0);
	db_done(s);
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW)
		return rc < 0 ? rc : DB_ERROR;

	s = db_prepare(c, "UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_last_step = 0"
	                  " WHERE id = ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, job->user_id);
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	if ((rc = sec_end_sessions(c, job->user_id)) < 0)
		return rc;
	after = json_pack("{s:b}", "totp_enabled", 0);
	rc = store_audit_append(c, job->actor_id, "user.totp_reset", "user", job->user_id, NULL, after);
	json_decref(after);
	return rc < 0 ? rc : 1;
}

int store_totp_reset_by_email(struct db *db, long long actor_id, const char *email)
{
	struct sec_reset_job job = { .actor_id = actor_id, .email = email, .user_id = 0 };

	return db_write(db, store_totp_reset_run, &job);
}

/* ---- pending logins ---- */

struct sec_pending_job {
	const char *token_hash;
	long long   user_id;
	long long   now;
	long long   expires_at;
	long long   max_attempts;
	const char *keys[2];
	long long   window_floor;
	long long   step;
	const char *session_hash;
	long long   session_expires;
	long long   idle_floor;
	const char *clear_key;
};

static int store_login_pending_create_run(struct db_conn *c, void *arg)
{
	struct sec_pending_job *job = arg;
	struct db_stmt *s;
	int rc;

	s = db_prepare(c, "DELETE FROM login_pending WHERE expires_at <= ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, job->now);
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	s = db_prepare(c, "INSERT INTO login_pending (token_hash, user_id, created_at, expires_at, attempts)"
	                  " VALUES (?, ?, ?, ?, 0)");
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, job->token_hash) != DB_OK || db_bind_int(s, 2, job->user_id) != DB_OK ||
	    db_bind_int(s, 3, job->now) != DB_OK || db_bind_int(s, 4, job->expires_at) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return sec_step_done(s);
}

int store_login_pending_create(struct db *db, const char *token_hash, long long user_id,
                               long long now, long long expires_at)
{
	struct sec_pending_job job = { .token_hash = token_hash, .user_id = user_id, .now = now,
	                               .expires_at = expires_at };
	int rc = db_write(db, store_login_pending_create_run, &job);

	return rc < 0 ? rc : 0;
}

int store_login_pending_find(struct db *db, const char *token_hash, long long now,
                             struct store_user *user, long long *attempts)
{
	struct db_conn *c = db_read_begin(db);
	struct db_stmt *s;
	int rc, found = 0;

	memset(user, 0, sizeof(*user));
	*attempts = 0;
	s = db_prepare(c, "SELECT u.id, u.email, u.role, u.disabled, u.totp_enabled, p.attempts"
	                  " FROM login_pending p JOIN users u ON u.id = p.user_id"
	                  " WHERE p.token_hash = ? AND p.expires_at > ?");
	if (s == NULL) {
		rc = DB_ERROR;
		goto done;
	}
	db_bind_text(s, 1, token_hash);
	db_bind_int(s, 2, now);
	rc = db_step(s);
	if (rc == DB_ROW) {
		user->id = db_col_int(s, 0);
		user->disabled = db_col_int(s, 3) != 0;
		user->totp_enabled = db_col_int(s, 4) != 0;
		*attempts = db_col_int(s, 5);
		if (sec_copy_text(user->email, sizeof(user->email), db_col_text(s, 1)) != 0 ||
		    sec_copy_text(user->role, sizeof(user->role), db_col_text(s, 2)) != 0)
			rc = DB_ERROR;
		else
			found = 1;
	}
	db_done(s);
done:
	db_read_end(db, c);
	if (found)
		return 1;
	memset(user, 0, sizeof(*user));
	if (rc == DB_DONE)
		return 0;
	return rc < 0 ? rc : DB_ERROR;
}

/* Counts one failure under key (as store_login_failure_add in store_users.c). */
static int sec_failure_add(struct db_conn *c, const char *key, long long now, long long window_floor)
{
	struct db_stmt *s;

	s = db_prepare(c, "INSERT INTO login_failures (key, window_start, count) VALUES (?, ?, 1)"
	                  " ON CONFLICT (key) DO UPDATE SET"
	                  " count = CASE WHEN login_failures.window_start <= ? THEN 1"
	                  " ELSE login_failures.count + 1 END,"
	                  " window_start = CASE WHEN login_failures.window_start <= ? THEN ?"
	                  " ELSE login_failures.window_start END");
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, key) != DB_OK || db_bind_int(s, 2, now) != DB_OK ||
	    db_bind_int(s, 3, window_floor) != DB_OK || db_bind_int(s, 4, window_floor) != DB_OK ||
	    db_bind_int(s, 5, now) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return sec_step_done(s);
}

static int store_login_pending_fail_run(struct db_conn *c, void *arg)
{
	struct sec_pending_job *job = arg;
	struct db_stmt *s;
	size_t i;
	int rc;

	s = db_prepare(c, "UPDATE login_pending SET attempts = attempts + 1 WHERE token_hash = ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, job->token_hash);
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	s = db_prepare(c, "DELETE FROM login_pending WHERE token_hash = ? AND attempts >= ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, job->token_hash);
	db_bind_int(s, 2, job->max_attempts);
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	for (i = 0; i < 2; i++)
		if (job->keys[i] != NULL &&
		    (rc = sec_failure_add(c, job->keys[i], job->now, job->window_floor)) < 0)
			return rc;
	return 0;
}

int store_login_pending_fail(struct db *db, const char *token_hash, long long max_attempts,
                             const char *key_a, const char *key_b, long long now,
                             long long window_floor)
{
	struct sec_pending_job job = { .token_hash = token_hash, .max_attempts = max_attempts,
	                               .keys = { key_a, key_b }, .now = now,
	                               .window_floor = window_floor };
	int rc = db_write(db, store_login_pending_fail_run, &job);

	return rc < 0 ? rc : 0;
}

static int store_login_pending_finish_run(struct db_conn *c, void *arg)
{
	struct sec_pending_job *job = arg;
	struct db_stmt *s;
	int rc;

	s = db_prepare(c, "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, job->step);
	db_bind_int(s, 2, job->user_id);
	db_bind_int(s, 3, job->step);
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	if (db_changes(c) == 0)
		return STORE_TOTP_REPLAYED;

	s = db_prepare(c, "DELETE FROM login_pending WHERE token_hash = ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, job->token_hash);
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	s = db_prepare(c, "DELETE FROM sessions WHERE user_id = ? AND (expires_at <= ? OR last_seen <= ?)");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, job->user_id);
	db_bind_int(s, 2, job->now);
	db_bind_int(s, 3, job->idle_floor);
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	s = db_prepare(c, "INSERT INTO sessions (token_hash, user_id, created_at, last_seen, expires_at)"
	                  " VALUES (?, ?, ?, ?, ?)");
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, job->session_hash) != DB_OK || db_bind_int(s, 2, job->user_id) != DB_OK ||
	    db_bind_int(s, 3, job->now) != DB_OK || db_bind_int(s, 4, job->now) != DB_OK ||
	    db_bind_int(s, 5, job->session_expires) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	if (job->clear_key != NULL) {
		s = db_prepare(c, "DELETE FROM login_failures WHERE key = ?");
		if (s == NULL)
			return DB_ERROR;
		db_bind_text(s, 1, job->clear_key);
		if ((rc = sec_step_done(s)) < 0)
			return rc;
	}
	return 0;
}

int store_login_pending_finish(struct db *db, const char *pending_hash, long long user_id,
                               long long step, const char *session_hash, long long now,
                               long long expires_at, long long idle_floor, const char *clear_key)
{
	struct sec_pending_job job = { .token_hash = pending_hash, .user_id = user_id, .step = step,
	                               .session_hash = session_hash, .now = now,
	                               .session_expires = expires_at, .idle_floor = idle_floor,
	                               .clear_key = clear_key };

	return db_write(db, store_login_pending_finish_run, &job);
}

static int store_login_pending_delete_run(struct db_conn *c, void *arg)
{
	struct sec_pending_job *job = arg;
	struct db_stmt *s = db_prepare(c, "DELETE FROM login_pending WHERE token_hash = ?");

	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, job->token_hash);
	return sec_step_done(s);
}

int store_login_pending_delete(struct db *db, const char *token_hash)
{
	struct sec_pending_job job = { .token_hash = token_hash };
	int rc = db_write(db, store_login_pending_delete_run, &job);

	return rc < 0 ? rc : 0;
}

/* ---- ending sessions ---- */

struct sec_user_job {
	long long   user_id;
	const char *password_hash;
	const char *session_hash;
	long long   now;
	long long   expires_at;
};

static int store_sessions_end_all_run(struct db_conn *c, void *arg)
{
	struct sec_user_job *job = arg;
	json_t *after;
	int n, rc;

	n = sec_end_sessions(c, job->user_id);
	if (n < 0)
		return n;
	after = json_pack("{s:i}", "sessions_ended", n);
	rc = store_audit_append(c, job->user_id, "user.logout_all", "user", job->user_id, NULL, after);
	json_decref(after);
	return rc < 0 ? rc : n;
}

int store_sessions_end_all(struct db *db, long long user_id)
{
	struct sec_user_job job = { .user_id = user_id };

	return db_write(db, store_sessions_end_all_run, &job);
}

static int store_user_password_set_run(struct db_conn *c, void *arg)
{
	struct sec_user_job *job = arg;
	struct db_stmt *s;
	json_t *after;
	int n, rc;

	s = db_prepare(c, "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?");
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, job->password_hash) != DB_OK || db_bind_int(s, 2, job->now) != DB_OK ||
	    db_bind_int(s, 3, job->user_id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	if ((rc = sec_step_done(s)) < 0)
		return rc;
	if (db_changes(c) != 1)
		return DB_ERROR;
	n = sec_end_sessions(c, job->user_id);
	if (n < 0)
		return n;
	if (job->session_hash != NULL) {
		s = db_prepare(c, "INSERT INTO sessions (token_hash, user_id, created_at, last_seen, expires_at)"
		                  " VALUES (?, ?, ?, ?, ?)");
		if (s == NULL)
			return DB_ERROR;
		if (db_bind_text(s, 1, job->session_hash) != DB_OK ||
		    db_bind_int(s, 2, job->user_id) != DB_OK || db_bind_int(s, 3, job->now) != DB_OK ||
		    db_bind_int(s, 4, job->now) != DB_OK || db_bind_int(s, 5, job->expires_at) != DB_OK) {
			db_done(s);
			return DB_ERROR;
		}
		if ((rc = sec_step_done(s)) < 0)
			return rc;
	}
	/* The hash never goes into the audit log: only the fact of the change. */
	after = json_pack("{s:i}", "sessions_ended", n);
	rc = store_audit_append(c, job->user_id, "user.password_change", "user", job->user_id, NULL,
	                        after);
	json_decref(after);
	return rc < 0 ? rc : 0;
}

int store_user_password_set(struct db *db, long long user_id, const char *password_hash,
                            const char *new_session_hash, long long now, long long expires_at)
{
	struct sec_user_job job = { .user_id = user_id, .password_hash = password_hash,
	                            .session_hash = new_session_hash, .now = now,
	                            .expires_at = expires_at };
	int rc = db_write(db, store_user_password_set_run, &job);

	return rc < 0 ? rc : 0;
}
