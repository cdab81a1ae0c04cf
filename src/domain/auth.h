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
#include "lib/buf.h"

struct db;

struct staff_user {
	long long id;
	char      email[256];
	enum role role;
	unsigned  perms;   /* role_permissions(role) */
	int       totp_enabled; /* two-factor sign-in is on for the account */
};

enum auth_result {
	AUTH_OK = 0,
	AUTH_BAD_CREDENTIALS,   /* wrong email or password (same answer for both) */
	AUTH_THROTTLED,         /* too many failures: try again later */
	AUTH_ERROR,             /* database or internal error (disk full included): answer 503 */
	AUTH_TOTP_NEEDED,       /* password right, two-factor on: ask for the code */
	AUTH_PENDING_GONE,      /* the half-signed-in record expired or was used up */
	AUTH_WEAK_PASSWORD,     /* the new password is refused (see the message) */
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
 * password, bad role); -2 with a reason when the database failed (disk
 * full, I/O error: a 503, not the person's mistake). */
int auth_user_add(struct db *db, const struct staff_user *actor, const char *email,
                  enum role role, const char *password, char *err, size_t errlen);

/* Lists accounts: array of {id, email, role, created_at}. Returns 0 or -1. */
int auth_users_list(struct db *db, json_t **rows);

/* Verifies email+password from ip. On AUTH_OK creates a session and writes
 * its raw token (43 chars base64url + NUL) into token_out[64] and the user.
 * When the account has two-factor on, creates no session: returns
 * AUTH_TOTP_NEEDED with the token of a half-signed-in record (valid
 * LIMIT_LOGIN_PENDING_SECONDS, server side) in token_out, for
 * auth_login_totp. A new session never reuses a token: the id rotates at
 * every login. */
enum auth_result auth_login(struct db *db, const char *email, const char *password,
                            const char *ip, char token_out[64], struct staff_user *user_out);

/* Looks up a session by raw token, extending its idle expiry. Returns 0 and
 * fills user_out; -1 if there is no live session. */
int auth_session_check(struct db *db, const char *token, struct staff_user *user_out);

/* Ends the session (no error if it does not exist). */
int auth_logout(struct db *db, const char *token);

/* ---- two-factor sign-in, password change, ending sessions ---- */

struct keys;

/* The second step of a login: pending_token from AUTH_TOTP_NEEDED and the
 * code typed (spaces allowed). AUTH_OK: a session is created (token_out,
 * user_out) and the code's time step is used up. AUTH_BAD_CREDENTIALS: a
 * wrong or already used code (counted against the account and the address;
 * after LIMIT_TOTP_ATTEMPTS the record is gone). AUTH_PENDING_GONE: no live
 * record: start again with the password. AUTH_THROTTLED, AUTH_ERROR. */
enum auth_result auth_login_totp(struct db *db, const struct keys *keys, const char *pending_token,
                                 const char *code, const char *ip, char token_out[64],
                                 struct staff_user *user_out);

/* Returns 0 and the account when pending_token names a live half-signed-in
 * record, -1 otherwise. */
int auth_login_pending_check(struct db *db, const char *pending_token, struct staff_user *user_out);

/* Starts (or resumes) two-factor enrollment for user: makes and stores a
 * sealed secret unless one is waiting for confirmation, and gives it back
 * in base32 (b32, 40 bytes) and as an otpauth:// URI appended to uri
 * (issuer: the organization's name). Returns 0, 1 when two-factor is
 * already on (nothing given back), or -1 (database error). */
int auth_totp_setup(struct db *db, const struct keys *keys, const struct staff_user *user,
                    const char *issuer, char b32[40], buf *uri);

/* Confirms enrollment with a code from the waiting secret. AUTH_OK (on),
 * AUTH_BAD_CREDENTIALS (wrong code, or no secret waiting), AUTH_ERROR. */
enum auth_result auth_totp_enable(struct db *db, const struct keys *keys,
                                  const struct staff_user *user, const char *code);

/* Recovery (`onramp user reset-2fa`): turns two-factor off for email and
 * ends its sessions, audited with actor (NULL: the CLI). Returns 1 done,
 * 0 no such account, -1 error. */
int auth_totp_reset(struct db *db, const struct staff_user *actor, const char *email);

/* Changes user's password after checking current (throttled like a login,
 * per account). Ends every session of the account and, on AUTH_OK, writes
 * the token of a fresh session for this browser into token_out[64].
 * AUTH_BAD_CREDENTIALS (current wrong), AUTH_WEAK_PASSWORD (*problem says
 * why), AUTH_THROTTLED, AUTH_ERROR. */
enum auth_result auth_password_change(struct db *db, const struct staff_user *user,
                                      const char *current, const char *new_password,
                                      const char *ip, char token_out[64], const char **problem);

/* Ends every session of user (log out everywhere), audited. Returns the
 * number ended, or -1. */
int auth_logout_all(struct db *db, const struct staff_user *user);

#endif
