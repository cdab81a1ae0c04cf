/*
 * store_security.h — two-factor secrets, half-signed-in logins, and the
 * writes that end sessions (store layer; the SQL lives in store_security.c).
 *
 * The domain (domain/auth.c) decides: it seals and opens TOTP secrets,
 * checks codes, hashes tokens and passwords. These calls only read and write
 * rows, each write in one db_write() job together with its audit entry, so
 * a change and its record commit together. Only hashes of tokens and the
 * sealed form of secrets reach this layer.
 *
 * Return values: 0 (or 1/0 for found/not found where noted) or a negative
 * enum db_rc; STORE_USERS_FULL (store_users.h) when the disk is full.
 * Threading: every function may be called from any thread.
 */
#ifndef ONRAMP_STORE_SECURITY_H
#define ONRAMP_STORE_SECURITY_H

#include <stddef.h>

#include "store/store_users.h"

/* A sealed TOTP secret is at most this many bytes (domain/totp.h: 60). */
#define STORE_TOTP_SEALED_MAX 64

/* store_login_pending_finish: the code's step was used meanwhile. */
#define STORE_TOTP_REPLAYED 1

struct store_totp {
	unsigned char sealed[STORE_TOTP_SEALED_MAX]; /* nonce || box, or empty */
	size_t        sealed_len;                    /* 0 when no secret is set */
	int           enabled;
	long long     last_step;
};

/* Reads an account's TOTP state. Returns 1 and fills *out, 0 if there is
 * no such account, or < 0. */
int store_totp_get(struct db *db, long long user_id, struct store_totp *out);

/* Stores a new sealed secret for an account that has no enabled one
 * (enrollment starting; a secret not yet confirmed is replaced), audited as
 * "user.totp_setup" by the account itself. Returns 0, 1 if the account
 * already has two-factor on (nothing changed), or < 0. */
int store_totp_setup(struct db *db, long long user_id, const unsigned char *sealed, size_t len);

/* Turns two-factor on for an account whose pending secret is the one the
 * caller checked a code against (sealed), remembering step as used;
 * audited "user.totp_enable". Returns 0, 1 if the secret changed meanwhile
 * or was already enabled (nothing changed), or < 0. */
int store_totp_enable(struct db *db, long long user_id, const unsigned char *sealed, size_t len,
                      long long step);

/* Turns two-factor off for the account with this (normalized) email:
 * secret removed, its sessions and pending logins deleted; audited
 * "user.totp_reset" by actor_id (0: the CLI). Returns 1 if the account
 * exists, 0 if not, or < 0. */
int store_totp_reset_by_email(struct db *db, long long actor_id, const char *email);

/* Creates a half-signed-in record (expired ones are deleted on the way).
 * Returns 0 or < 0. */
int store_login_pending_create(struct db *db, const char *token_hash, long long user_id,
                               long long now, long long expires_at);

/* Finds a live record (expires_at > now) with its account. Returns 1 and
 * fills *user (password_hash left empty) and *attempts, 0 if none, or < 0. */
int store_login_pending_find(struct db *db, const char *token_hash, long long now,
                             struct store_user *user, long long *attempts);

/* Counts a wrong code against the record, deleting it once attempts reach
 * max_attempts, and one failure under each non-NULL throttle key (as
 * store_login_failure_add). Returns 0 or < 0. */
int store_login_pending_fail(struct db *db, const char *token_hash, long long max_attempts,
                             const char *key_a, const char *key_b, long long now,
                             long long window_floor);

/* Completes a two-step login in one job: records step as the account's
 * last used TOTP step — only if it is newer than the one stored, else
 * returns STORE_TOTP_REPLAYED and changes nothing —, deletes the pending
 * record, creates the session (as store_session_create) and deletes the
 * throttle row clear_key (may be NULL). Returns 0, STORE_TOTP_REPLAYED, or < 0. */
int store_login_pending_finish(struct db *db, const char *pending_hash, long long user_id,
                               long long step, const char *session_hash, long long now,
                               long long expires_at, long long idle_floor, const char *clear_key);

/* Deletes a pending record. Returns 0 or < 0. */
int store_login_pending_delete(struct db *db, const char *token_hash);

/* Ends every session and pending login of user_id; audited "user.logout_all"
 * by the account itself. Returns the number of sessions ended, or < 0. */
int store_sessions_end_all(struct db *db, long long user_id);

/* Sets an account's password hash and password_changed_at, ends every one
 * of its sessions and pending logins and, when new_session_hash is not NULL,
 * creates that session for the browser that made the change (expiring at
 * expires_at); audited "user.password_change" by the account itself.
 * Returns 0 or < 0. */
int store_user_password_set(struct db *db, long long user_id, const char *password_hash,
                            const char *new_session_hash, long long now, long long expires_at);

#endif
