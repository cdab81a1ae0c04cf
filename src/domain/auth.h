/*
 * auth.h — staff accounts, passwords, sessions and login throttling.
 *
 * Passwords: argon2id (libsodium crypto_pwhash_str, INTERACTIVE limits),
 * at most LIMIT_HASHING_CONCURRENCY hashes at once (a semaphore), since each
 * takes ~100 ms and all of a CPU's cache.
 * Sessions: a 32-byte random token in the cookie; the database stores only
 * its hash, with idle and absolute expiry (lib/limits.h). Login throttling
 * counts failures per account and per IP in the database, so it holds
 * across several server processes.
 */
#ifndef ONRAMP_AUTH_H
#define ONRAMP_AUTH_H

#include <stddef.h>

#include <jansson.h>

#include "domain/roles.h"

struct db;

struct staff_user {
	long long id;
	char      email[256];
	enum role role;
	unsigned  perms;   /* role_permissions(role) */
};

enum auth_result {
	AUTH_OK = 0,
	AUTH_BAD_CREDENTIALS,   /* wrong email or password (same answer for both) */
	AUTH_THROTTLED,         /* too many failures: try again later */
	AUTH_ERROR,             /* database or internal error */
};

/* Checks a password's strength: LIMIT_PASSWORD_MIN..MAX bytes, not a common
 * password. Returns NULL if acceptable, else a message for the person. */
const char *auth_password_problem(const char *password);
/* The same, and also refuses a password equal to or containing the local
 * part (before the @) of the account's email when that is >= 4 characters.
 * email may be NULL. Returns NULL or a message (a static string). */
const char *auth_password_problem_for(const char *password, const char *email);

/* The compiled-in list of common passwords and words (common_passwords.c),
 * lower-case ASCII, used by auth_password_problem. */
extern const char *const auth_common_passwords[];
extern const size_t auth_common_passwords_count;

/* Creates an account; actor is the admin doing it (audited), or NULL from the
 * CLI. Returns 0; -1 with a one-line reason in err (duplicate email, weak
 * password, bad role, database error). */
int auth_user_add(struct db *db, const struct staff_user *actor, const char *email,
                  enum role role, const char *password, char *err, size_t errlen);

/* Lists accounts: array of {id, email, role, created_at}. Returns 0 or -1. */
int auth_users_list(struct db *db, json_t **rows);

/* Verifies email+password from ip. On AUTH_OK creates a session and writes
 * its raw token (43 chars base64url + NUL) into token_out[64] and the user. */
enum auth_result auth_login(struct db *db, const char *email, const char *password,
                            const char *ip, char token_out[64], struct staff_user *user_out);

/* Looks up a session by raw token, extending its idle expiry. Returns 0 and
 * fills user_out; -1 if there is no live session. */
int auth_session_check(struct db *db, const char *token, struct staff_user *user_out);

/* Ends the session (no error if it does not exist). */
int auth_logout(struct db *db, const char *token);

#endif
