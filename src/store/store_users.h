/*
 * store_users.h — staff accounts, sessions and login-failure counters
 * (store layer; all of their SQL lives in store_users.c).
 *
 * The domain (domain/auth.c) decides everything: what is hashed, what counts
 * as a failure, when a session is live. These calls only read and write
 * rows. Writes go through db_write() (one job each, so what belongs together
 * commits together: an account and its audit entry; a new session and the
 * clearing of the account's failure counter). Never called with a password:
 * only its argon2id hash reaches this layer, and only a hash of a session
 * token.
 *
 * Return values are 0 (or 1/0 for found/not found where noted) or a negative
 * enum db_rc (store/sql.h): STORE_USERS_DUPLICATE (DB_CONSTRAINT) for a
 * duplicate, STORE_USERS_FULL (DB_FULL) when the disk is full, another
 * negative value for anything else.
 * Threading: every function may be called from any thread.
 */
#ifndef ONRAMP_STORE_USERS_H
#define ONRAMP_STORE_USERS_H

#include <jansson.h>

#include "lib/limits.h"

struct db;

/* The negative results callers above the store act on (the same values as
 * DB_CONSTRAINT and DB_FULL in store/sql.h, which only the store includes). */
#define STORE_USERS_DUPLICATE (-2)  /* the email (or token hash) is taken */
#define STORE_USERS_FULL      (-3)  /* disk full or I/O error: answer 503 */

/* Longest stored password hash, with its NUL (libsodium's crypto_pwhash_STRBYTES). */
#define STORE_PASSWORD_HASH_MAX 128
/* Longest stored role name, with its NUL. */
#define STORE_ROLE_MAX 32
/* A session token's hash in hex (64 chars) with its NUL. */
#define STORE_TOKEN_HASH_MAX 65

struct store_user {
	long long id;
	char      email[LIMIT_EMAIL + 1];
	char      role[STORE_ROLE_MAX];
	char      password_hash[STORE_PASSWORD_HASH_MAX];
	int       disabled;
	int       totp_enabled; /* two-factor sign-in is on (migration 2) */
};

struct store_session {
	long long        created_at;
	long long        last_seen;
	long long        expires_at;
	struct store_user user;  /* the session's account (password_hash left empty) */
};

/* Inserts an account (email already normalized, role a role name) and, in the
 * same db_write job, the audit entry (action "user.add", entity "user",
 * user_id actor_id or 0 for the CLI, after = audit_after, borrowed). Sets
 * *id_out. Returns 0, STORE_USERS_DUPLICATE when the email is taken, or < 0. */
int store_user_insert(struct db *db, long long actor_id, const char *email, const char *role,
                      const char *password_hash, json_t *audit_after, long long *id_out);

/* Finds an account by normalized email. Returns 1 and fills *out, 0 if there
 * is none, or < 0. */
int store_user_find_by_email(struct db *db, const char *email, struct store_user *out);

/* Lists every account, oldest first, as a new json array (caller decrefs) of
 * {id, email, role, disabled (bool), created_at}. Returns 0 or < 0. */
int store_user_list(struct db *db, json_t **rows);

/* Reads the failure counts of two login_failures keys (either may be NULL,
 * giving 0) counting only windows that started after window_floor (a window
 * that started at or before it has expired). Returns 0 or < 0. */
int store_login_failures_get(struct db *db, const char *key_a, const char *key_b,
                             long long window_floor, long long *count_a, long long *count_b);

/* Counts one failure under each non-NULL key in one job: a key whose window
 * started at or before window_floor restarts at now with count 1; else its
 * count grows by one. Expired rows of other keys are deleted on the way, so
 * the table holds only live windows. Returns 0 or < 0. */
int store_login_failure_add(struct db *db, const char *key_a, const char *key_b,
                            long long now, long long window_floor);

/* Creates a session row for user_id and, in the same job, deletes the
 * login_failures row clear_key (may be NULL) and the user's sessions that
 * expired before now (absolute expiry, or idle since idle_floor).
 * Returns 0, STORE_USERS_DUPLICATE if token_hash exists, or < 0. */
int store_session_create(struct db *db, const char *token_hash, long long user_id,
                         long long now, long long expires_at, long long idle_floor,
                         const char *clear_key);

/* Finds a session by token hash with its account. Returns 1 and fills *out,
 * 0 if there is none, or < 0. */
int store_session_find(struct db *db, const char *token_hash, struct store_session *out);

/* Sets a session's last_seen to now. Returns 0 (also when it is gone) or < 0. */
int store_session_touch(struct db *db, const char *token_hash, long long now);

/* Deletes a session. Returns 0 (also when it did not exist) or < 0. */
int store_session_delete(struct db *db, const char *token_hash);

#endif
