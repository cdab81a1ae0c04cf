/*
 * auth.c — staff accounts, passwords, sessions and login throttling.
 *
 * Passwords are hashed with argon2id (crypto_pwhash_str, INTERACTIVE
 * limits). A hash takes ~100 ms and 64 MiB, so at most
 * LIMIT_HASHING_CONCURRENCY run at once (a counting semaphore built from a
 * mutex and a condition variable); the rest wait their turn. Hashing always
 * happens on the request's own thread, never inside a db_write() job: the
 * one writer thread must not wait on argon2.
 *
 * Login: the failure counters ('acct:<email>', 'ip:<hash of the address>')
 * are read first and a throttled attempt is refused without looking at the
 * password. An unknown email is verified against a dummy hash so the answer
 * takes as long as for a real account. Every failure counts against both
 * keys in one write; a success clears the account's counter.
 *
 * Sessions: the cookie holds 32 random bytes as unpadded base64url (43
 * characters); the database holds only the hex BLAKE2b hash of that text,
 * so a copy of the database gives no usable cookie. A session lives until
 * its absolute expiry, or until it has been idle LIMIT_SESSION_IDLE_SECONDS;
 * last_seen is written at most once a minute (AUTH_TOUCH_SECONDS) so a busy
 * session does not cost a write per request.
 *
 * Two-factor (RFC 6238, domain/totp.c): with it on, a right password
 * creates no session but a half-signed-in record (login_pending, hashed
 * token, LIMIT_LOGIN_PENDING_SECONDS); auth_login_totp completes it, and
 * the step of the code is stored so a code works once. Wrong codes count
 * like wrong passwords. Secrets are sealed under keys->totp.
 * Password change needs the current password (throttled like a login) and
 * ends every session of the account in the same write that stores the new
 * hash, creating a fresh one for the browser that made the change.
 *
 * Invariants: no password, token or hash is ever logged; local copies of
 * passwords, tokens and hashes are wiped with sodium_memzero.
 * Threading: every function may be called from any thread; the only shared
 * state is the hashing semaphore and the dummy hash (made once).
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "domain/auth.h"
#include "domain/normalize.h"
#include "lib/limits.h"
#include "lib/utf8.h"
#include "lib/log.h"
#include "domain/keys.h"
#include "domain/totp.h"
#include "store/store_security.h"
#include "store/store_users.h"

#define AUTH_TOUCH_SECONDS   60   /* least time between two last_seen writes */
#define AUTH_TOKEN_BYTES     32   /* random bytes in a session token */
#define AUTH_TOKEN_CHARS     43   /* their unpadded base64url length */
#define AUTH_IP_HASH_BYTES   16   /* BLAKE2b bytes of an address in a throttle key */
#define AUTH_KEY_MAX         (LIMIT_EMAIL + 8) /* "acct:" + email, or "ip:" + hex */

/* ---- the hashing semaphore ---- */

static pthread_mutex_t auth_hash_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  auth_hash_cond = PTHREAD_COND_INITIALIZER;
static int             auth_hash_busy;

static void auth_hash_slot_take(void)
{
	pthread_mutex_lock(&auth_hash_mutex);
	while (auth_hash_busy >= LIMIT_HASHING_CONCURRENCY)
		pthread_cond_wait(&auth_hash_cond, &auth_hash_mutex);
	auth_hash_busy++;
	pthread_mutex_unlock(&auth_hash_mutex);
}

static void auth_hash_slot_give(void)
{
	pthread_mutex_lock(&auth_hash_mutex);
	auth_hash_busy--;
	pthread_cond_signal(&auth_hash_cond);
	pthread_mutex_unlock(&auth_hash_mutex);
}

/* Hashes password into out (crypto_pwhash_STRBYTES). Returns 0 or -1 (out of
 * memory: argon2id needs MEMLIMIT_INTERACTIVE bytes). */
static int auth_password_hash(const char *password, char out[crypto_pwhash_STRBYTES])
{
	int rc;

	auth_hash_slot_take();
	rc = crypto_pwhash_str(out, password, strlen(password),
	                       crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                       crypto_pwhash_MEMLIMIT_INTERACTIVE);
	auth_hash_slot_give();
	return rc == 0 ? 0 : -1;
}

/* Returns 1 if password matches hash, else 0. */
static int auth_password_verify(const char *hash, const char *password)
{
	int rc;

	auth_hash_slot_take();
	rc = crypto_pwhash_str_verify(hash, password, strlen(password));
	auth_hash_slot_give();
	return rc == 0;
}

/* ---- one-time set-up: libsodium, and the dummy hash ---- */

static pthread_once_t auth_once = PTHREAD_ONCE_INIT;
static int auth_ready;        /* sodium_init succeeded */

static void auth_init_run(void)
{
	if (sodium_init() < 0) {
		log_error("auth: libsodium failed to initialise");
		return;
	}
	auth_ready = 1;
}

static int auth_init(void)
{
	pthread_once(&auth_once, auth_init_run);
	return auth_ready ? 0 : -1;
}

/* Made on the first login attempt (not at start-up, not for the CLI). */
static pthread_once_t auth_dummy_once = PTHREAD_ONCE_INIT;
static int  auth_dummy_ready; /* auth_dummy_hash holds a hash */
static char auth_dummy_hash[crypto_pwhash_STRBYTES];

static void auth_dummy_run(void)
{
	unsigned char raw[24];
	char secret[sizeof(raw) * 2 + 1];

	/* A hash of a password nobody knows, with the same parameters as real
	 * ones, so verifying against it costs what a real verification does. */
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(secret, sizeof(secret), raw, sizeof(raw));
	if (auth_password_hash(secret, auth_dummy_hash) == 0)
		auth_dummy_ready = 1;
	else
		log_error("auth: cannot make the dummy password hash (out of memory?)");
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(secret, sizeof(secret));
}

/* Spends the time of one verification on nothing, for unknown accounts. */
static void auth_password_verify_dummy(const char *password)
{
	pthread_once(&auth_dummy_once, auth_dummy_run);
	if (auth_dummy_ready)
		(void)auth_password_verify(auth_dummy_hash, password);
}

/* ---- password rules ---- */

/* Decodes UTF-8 (strictly, lib/utf8.h) into at most cap code points.
 * Returns how many, or -1 if the text is not valid UTF-8 or too long. */
static long auth_utf8_decode(const unsigned char *s, size_t len, uint32_t *cps, size_t cap)
{
	size_t i = 0, n = 0;

	while (i < len) {
		int used;

		if (n == cap)
			return -1;
		used = utf8_decode(s + i, len - i, &cps[n]);
		if (used < 0)
			return -1;
		n++;
		i += (size_t)used;
	}
	return (long)n;
}

static uint32_t auth_fold(uint32_t cp)
{
	return (cp >= 'A' && cp <= 'Z') ? cp + ('a' - 'A') : cp;
}

static int auth_is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

/* +1 if b follows a (0-9 and a-z wrap around), -1 if it precedes a, else 0. */
static int auth_cp_step(uint32_t a, uint32_t b)
{
	if (b == a + 1 || (a == '9' && b == '0') || (a == 'z' && b == 'a'))
		return 1;
	if (a == b + 1 || (a == '0' && b == '9') || (a == 'a' && b == 'z'))
		return -1;
	return 0;
}

/* 1 if the folded code points run up or down one at a time (abcdef…, 98765…). */
static int auth_is_run(const uint32_t *cps, size_t n)
{
	int dir;
	size_t i;

	if (n < 2)
		return 0;
	dir = auth_cp_step(cps[0], cps[1]);
	if (dir == 0)
		return 0;
	for (i = 2; i < n; i++)
		if (auth_cp_step(cps[i - 1], cps[i]) != dir)
			return 0;
	return 1;
}

/* 1 if the code points repeat a unit at least twice (abcabc…, passwordpassword). */
static int auth_is_periodic(const uint32_t *cps, size_t n)
{
	size_t p, i;

	for (p = 1; p * 2 <= n; p++) {
		for (i = p; i < n; i++)
			if (cps[i] != cps[i - p])
				break;
		if (i == n)
			return 1;
	}
	return 0;
}

/* Rows and columns of common keyboards: a password that is a stretch of one
 * of these (either direction) is a walk across the keys, not a secret. */
static const char *const auth_keyboard_walks[] = {
	"qwertyuiopasdfghjklzxcvbnm",
	"azertyuiopqsdfghjklmwxcvbn",
	"qwertzuiopasdfghjklyxcvbnm",
	"1234567890qwertyuiopasdfghjklzxcvbnm",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
	"qazwsxedcrfvtgbyhnujmikolp",
	"zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0",
	"1q2w3e4r5t6y7u8i9o0p",
	"q1w2e3r4t5y6u7i8o9p0",
	"a1s2d3f4g5h6j7k8l9",
	"!@#$%^&*()_+",
	"`1234567890-=",
	"qwertyuiop[]\\asdfghjkl;'zxcvbnm,./",
};

static int auth_is_walk(const char *low, size_t n)
{
	char rev[64];
	size_t i, k, wl;

	for (i = 0; i < sizeof(auth_keyboard_walks) / sizeof(auth_keyboard_walks[0]); i++) {
		const char *w = auth_keyboard_walks[i];

		wl = strlen(w);
		if (n > wl)
			continue;
		if (strstr(w, low) != NULL)
			return 1;
		for (k = 0; k < wl && k < sizeof(rev) - 1; k++)
			rev[k] = w[wl - 1 - k];
		rev[k] = '\0';
		if (strstr(rev, low) != NULL)
			return 1;
	}
	return 0;
}

/* Look-alike characters people substitute for letters. which selects the
 * reading of '1' (0: i, 1: l), the one ambiguous substitution. */
static char auth_unleet(char c, int which)
{
	switch (c) {
	case '0': return 'o';
	case '1': return which ? 'l' : 'i';
	case '!': return 'i';
	case '3': return 'e';
	case '4': case '@': return 'a';
	case '5': case '$': return 's';
	case '7': case '+': return 't';
	case '8': return 'b';
	case '9': return 'g';
	default: return c;
	}
}

/* 1 if word is on the common list, or is an entry of 4+ letters with at
 * most three letters added around or inside it (mypassword, passwordx). */
static int auth_is_common_word(const char *word, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < auth_common_passwords_count; i++) {
		const char *e = auth_common_passwords[i];
		size_t el = strlen(e);

		if (el == n && memcmp(e, word, n) == 0)
			return 1;
		if (el >= 4 && el < n && n - el <= 3 && strstr(word, e) != NULL)
			return 1;
	}
	return 0;
}

/* 1 if s[0..n) holds no ASCII letter (only digits, symbols, other scripts). */
static int auth_no_letters(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (auth_is_lower((unsigned char)s[i]))
			return 0;
	return 1;
}

/* 1 if low is a list entry with only digits and symbols around it
 * (trustno1!2345, ##123456789##). */
static int auth_is_padded_entry(const char *low, size_t n)
{
	size_t i;

	for (i = 0; i < auth_common_passwords_count; i++) {
		const char *e = auth_common_passwords[i];
		const char *p = strstr(low, e);
		size_t el = strlen(e);

		if (p != NULL && auth_no_letters(low, (size_t)(p - low)) &&
		    auth_no_letters(p + el, n - (size_t)(p - low) - el))
			return 1;
	}
	return 0;
}

/* low is the password in ASCII lower case (other bytes as they were). */
static int auth_is_common(const char *low, size_t n)
{
	char core[LIMIT_PASSWORD_MAX + 1];
	size_t start = 0, end = n, i, m;
	int which, hit = 0;

	if (auth_is_common_word(low, n) || auth_is_padded_entry(low, n))
		return 1;
	/* The core: the password without the digits and symbols people tack
	 * on at either end (Password2024!, !!welcome123). */
	while (start < end && !auth_is_lower((unsigned char)low[start]) &&
	       (unsigned char)low[start] < 0x80)
		start++;
	while (end > start && !auth_is_lower((unsigned char)low[end - 1]) &&
	       (unsigned char)low[end - 1] < 0x80)
		end--;
	for (which = 0; which < 2 && !hit; which++) {
		/* Undo look-alikes, then keep only the letters (p@ss w0rd → password). */
		m = 0;
		for (i = start; i < end; i++) {
			char c = auth_unleet(low[i], which);
			if (auth_is_lower((unsigned char)c))
				core[m++] = c;
		}
		core[m] = '\0';
		hit = auth_is_common_word(core, m);
	}
	sodium_memzero(core, sizeof(core));
	return hit;
}

/* 1 if the password contains the email's local part (>= 4 characters). */
static int auth_has_email_part(const char *low, const char *email)
{
	char local[LIMIT_EMAIL + 1];
	const char *at;
	size_t n, i;
	int hit;

	if (email == NULL)
		return 0;
	while (*email == ' ' || *email == '\t')
		email++;
	at = strchr(email, '@');
	n = at != NULL ? (size_t)(at - email) : strlen(email);
	if (n < 4 || n > LIMIT_EMAIL)
		return 0;
	for (i = 0; i < n; i++)
		local[i] = (char)auth_fold((unsigned char)email[i]);
	local[n] = '\0';
	hit = strstr(low, local) != NULL;
	sodium_memzero(local, sizeof(local));
	return hit;
}

const char *auth_password_problem_for(const char *password, const char *email)
{
	uint32_t cps[LIMIT_PASSWORD_MAX];
	char low[LIMIT_PASSWORD_MAX + 1];
	const char *problem = NULL;
	size_t len, i;
	long n;

	if (password == NULL || password[0] == '\0')
		return "Enter a password.";
	len = strlen(password);
	if (len < LIMIT_PASSWORD_MIN)
		return "Use at least 12 characters (a few unrelated words make a good password).";
	if (len > LIMIT_PASSWORD_MAX)
		return "Use at most 1024 characters.";
	n = auth_utf8_decode((const unsigned char *)password, len, cps, LIMIT_PASSWORD_MAX);
	if (n < 0)
		return "The password contains characters that are not valid text.";
	for (i = 0; i < (size_t)n; i++)
		cps[i] = auth_fold(cps[i]);
	for (i = 0; i < len; i++)
		low[i] = (char)auth_fold((unsigned char)password[i]);
	low[len] = '\0';

	for (i = 1; i < (size_t)n && cps[i] == cps[0]; i++)
		;
	if (i == (size_t)n) {
		problem = "Don't use one character over and over.";
		goto done;
	}
	if (auth_is_periodic(cps, (size_t)n)) {
		problem = "Don't repeat a short pattern (abcabc…).";
		goto done;
	}
	if (auth_is_run(cps, (size_t)n) || auth_is_walk(low, len)) {
		problem = "Don't use a simple sequence like abcdef, 123456 or qwerty.";
		goto done;
	}
	if (auth_is_common(low, len)) {
		problem = "That password is too common; pick something less guessable.";
		goto done;
	}
	if (auth_has_email_part(low, email)) {
		problem = "Don't use your email address in the password.";
		goto done;
	}
done:
	sodium_memzero(cps, sizeof(cps));
	sodium_memzero(low, sizeof(low));
	return problem;
}

const char *auth_password_problem(const char *password)
{
	return auth_password_problem_for(password, NULL);
}

/* ---- helpers ---- */

static void auth_set_err(char *err, size_t errlen, const char *msg)
{
	if (err == NULL || errlen == 0)
		return;
	/* A cut message is still NUL-terminated and still says why. */
	(void)snprintf(err, errlen, "%s", msg);
}

/* A session token is exactly AUTH_TOKEN_CHARS of the base64url alphabet;
 * anything else is refused before it costs a hash or a query. */
static int auth_token_valid(const char *token)
{
	size_t i;

	if (token == NULL)
		return 0;
	for (i = 0; i < AUTH_TOKEN_CHARS; i++) {
		char c = token[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return token[AUTH_TOKEN_CHARS] == '\0';
}

/* Writes the hex BLAKE2b-256 of the token (what the database keeps). */
static void auth_token_hash(const char *token, char out[STORE_TOKEN_HASH_MAX])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
	sodium_bin2hex(out, STORE_TOKEN_HASH_MAX, h, sizeof(h));
	sodium_memzero(h, sizeof(h));
}

/* Builds 'ip:<hex hash>' so raw addresses never sit in the database (the
 * caller may pass the address or its keyed hash). Returns 0, or -1 if
 * there is no address. */
static int auth_ip_key(const char *ip, char out[AUTH_KEY_MAX])
{
	unsigned char h[AUTH_IP_HASH_BYTES];
	char hex[AUTH_IP_HASH_BYTES * 2 + 1];

	if (ip == NULL || ip[0] == '\0')
		return -1;
	crypto_generichash(h, sizeof(h), (const unsigned char *)ip, strlen(ip), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	(void)snprintf(out, AUTH_KEY_MAX, "ip:%s", hex);
	return 0;
}

static void auth_user_fill(struct staff_user *out, long long id, const char *email, enum role role,
                           int totp_enabled)
{
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->totp_enabled = totp_enabled;
	(void)snprintf(out->email, sizeof(out->email), "%s", email);
	out->role = role;
	out->perms = role_permissions(role);
}

/* ---- accounts ---- */

int auth_user_add(struct db *db, const struct staff_user *actor, const char *email,
                  enum role role, const char *password, char *err, size_t errlen)
{
	char norm[LIMIT_EMAIL + 1];
	char hash[crypto_pwhash_STRBYTES];
	json_t *after = NULL;
	const char *problem;
	int rc = -1, src;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(hash, 0, sizeof(hash));
	if (auth_init() != 0) {
		auth_set_err(err, errlen, "internal error (crypto library)");
		goto fail;
	}
	if (email == NULL || normalize_email(email, norm, sizeof(norm)) != 0) {
		auth_set_err(err, errlen, "Enter a valid email address.");
		goto fail;
	}
	if (role <= ROLE_NONE || role >= ROLE_COUNT) {
		auth_set_err(err, errlen, "Choose a role: volunteer, staff or admin.");
		goto fail;
	}
	problem = auth_password_problem_for(password, norm);
	if (problem != NULL) {
		auth_set_err(err, errlen, problem);
		goto fail;
	}
	/* Hashing happens here, on the caller's thread, before the write job. */
	if (auth_password_hash(password, hash) != 0) {
		log_error("auth: password hashing failed (out of memory?)");
		auth_set_err(err, errlen, "internal error (password hashing)");
		goto fail;
	}
	after = json_pack("{s:s, s:s}", "email", norm, "role", role_name(role));
	if (after == NULL) {
		auth_set_err(err, errlen, "internal error (out of memory)");
		goto fail;
	}
	src = store_user_insert(db, actor != NULL ? actor->id : 0, norm, role_name(role), hash,
	                        after, NULL);
	if (src == STORE_USERS_DUPLICATE) {
		auth_set_err(err, errlen, "An account with that email exists.");
		goto fail;
	}
	if (src != 0) {
		log_error("auth: adding an account failed (db rc %d)", src);
		auth_set_err(err, errlen, src == STORE_USERS_FULL ? "the database is full or failing"
		                                         : "database error");
		rc = -2; /* not the person's fault: the page answers 503 */
		goto fail;
	}
	log_info("auth: account added (role %s) by user %lld", role_name(role),
	         actor != NULL ? actor->id : 0);
	rc = 0;
fail:
	json_decref(after);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

int auth_users_list(struct db *db, json_t **rows)
{
	int rc = store_user_list(db, rows);

	if (rc != 0) {
		log_error("auth: listing accounts failed (db rc %d)", rc);
		return -1;
	}
	return 0;
}

/* ---- login ---- */

enum auth_result auth_login(struct db *db, const char *email, const char *password,
                            const char *ip, char token_out[64], struct staff_user *user_out)
{
	char norm[LIMIT_EMAIL + 1];
	char acct_key[AUTH_KEY_MAX], ip_key[AUTH_KEY_MAX];
	char token_hash[STORE_TOKEN_HASH_MAX];
	unsigned char raw[AUTH_TOKEN_BYTES];
	struct store_user user;
	const char *acct = NULL, *ipk = NULL;
	long long now = (long long)time(NULL);
	long long floor_at = now - LIMIT_LOGIN_WINDOW_SECONDS;
	long long acct_fails = 0, ip_fails = 0;
	enum auth_result result = AUTH_ERROR;
	enum role role = ROLE_NONE;
	int found = 0, ok = 0, rc;

	memset(&user, 0, sizeof(user));
	memset(token_hash, 0, sizeof(token_hash));
	memset(raw, 0, sizeof(raw));
	if (token_out != NULL)
		token_out[0] = '\0';
	if (user_out != NULL)
		memset(user_out, 0, sizeof(*user_out));
	if (token_out == NULL || user_out == NULL || auth_init() != 0)
		goto done;
	if (password == NULL)
		password = "";

	if (email != NULL && normalize_email(email, norm, sizeof(norm)) == 0) {
		(void)snprintf(acct_key, sizeof(acct_key), "acct:%s", norm);
		acct = acct_key;
	}
	if (auth_ip_key(ip, ip_key) == 0)
		ipk = ip_key;

	rc = store_login_failures_get(db, acct, ipk, floor_at, &acct_fails, &ip_fails);
	if (rc != 0) {
		log_error("auth: reading login failures failed (db rc %d)", rc);
		goto done;
	}
	if (acct_fails >= LIMIT_LOGIN_FAILS_PER_ACCOUNT || ip_fails >= LIMIT_LOGIN_FAILS_PER_IP) {
		log_info("auth: login throttled (%s)",
		         acct_fails >= LIMIT_LOGIN_FAILS_PER_ACCOUNT ? "account" : "address");
		result = AUTH_THROTTLED;
		goto done;
	}

	if (acct != NULL) {
		found = store_user_find_by_email(db, norm, &user);
		if (found < 0) {
			log_error("auth: reading an account failed (db rc %d)", found);
			goto done;
		}
		role = found ? role_parse(user.role) : ROLE_NONE;
	}
	/* One argon2id verification whatever happens, so the time taken does
	 * not tell whether the account exists, or is disabled. */
	if (found && user.password_hash[0] != '\0' && strlen(password) <= LIMIT_PASSWORD_MAX)
		ok = auth_password_verify(user.password_hash, password);
	else
		auth_password_verify_dummy(password);
	if (!ok || user.disabled || role == ROLE_NONE) {
		/* If the failure cannot be counted, refuse outright: a failing
		 * database must not switch throttling off. */
		rc = store_login_failure_add(db, acct, ipk, now, floor_at);
		if (rc != 0) {
			log_error("auth: recording a login failure failed (db rc %d)", rc);
			goto done;
		}
		result = AUTH_BAD_CREDENTIALS;
		goto done;
	}

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token_out, 64, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	auth_token_hash(token_out, token_hash);
	if (user.totp_enabled) {
		/* Half signed in: a server-side record the code must complete. */
		rc = store_login_pending_create(db, token_hash, user.id, now,
		                                now + LIMIT_LOGIN_PENDING_SECONDS);
		if (rc != 0) {
			log_error("auth: recording a pending login failed (db rc %d)", rc);
			sodium_memzero(token_out, 64);
			goto done;
		}
		auth_user_fill(user_out, user.id, user.email, role, 1);
		result = AUTH_TOTP_NEEDED;
		goto done;
	}
	rc = store_session_create(db, token_hash, user.id, now,
	                          now + LIMIT_SESSION_ABSOLUTE_SECONDS,
	                          now - LIMIT_SESSION_IDLE_SECONDS, acct);
	if (rc != 0) {
		log_error("auth: creating a session failed (db rc %d)", rc);
		sodium_memzero(token_out, 64);
		goto done;
	}
	auth_user_fill(user_out, user.id, user.email, role, user.totp_enabled);
	log_info("auth: user %lld signed in", user.id);
	result = AUTH_OK;
done:
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(token_hash, sizeof(token_hash));
	sodium_memzero(&user, sizeof(user));
	return result;
}

/* ---- sessions ---- */

int auth_session_check(struct db *db, const char *token, struct staff_user *user_out)
{
	char token_hash[STORE_TOKEN_HASH_MAX];
	struct store_session sess;
	long long now = (long long)time(NULL);
	enum role role;
	int rc, result = -1;

	if (user_out != NULL)
		memset(user_out, 0, sizeof(*user_out));
	memset(&sess, 0, sizeof(sess));
	if (user_out == NULL || !auth_token_valid(token) || auth_init() != 0)
		return -1;
	auth_token_hash(token, token_hash);

	rc = store_session_find(db, token_hash, &sess);
	if (rc < 0)
		log_error("auth: reading a session failed (db rc %d)", rc);
	if (rc != 1)
		goto done;
	role = role_parse(sess.user.role);
	if (now >= sess.expires_at || now - sess.last_seen >= LIMIT_SESSION_IDLE_SECONDS ||
	    sess.user.disabled || role == ROLE_NONE) {
		/* Dead for good: drop it now rather than keep a useless row. */
		rc = store_session_delete(db, token_hash);
		if (rc != 0)
			log_warn("auth: deleting a dead session failed (db rc %d)", rc);
		goto done;
	}
	if (now - sess.last_seen >= AUTH_TOUCH_SECONDS) {
		/* A failed touch only brings the idle expiry nearer: not fatal. */
		rc = store_session_touch(db, token_hash, now);
		if (rc != 0)
			log_warn("auth: updating a session's last use failed (db rc %d)", rc);
	}
	auth_user_fill(user_out, sess.user.id, sess.user.email, role, sess.user.totp_enabled);
	result = 0;
done:
	sodium_memzero(token_hash, sizeof(token_hash));
	return result;
}

int auth_logout(struct db *db, const char *token)
{
	char token_hash[STORE_TOKEN_HASH_MAX];
	int rc;

	/* A malformed token cannot name a session: nothing to end. */
	if (!auth_token_valid(token) || auth_init() != 0)
		return 0;
	auth_token_hash(token, token_hash);
	rc = store_session_delete(db, token_hash);
	sodium_memzero(token_hash, sizeof(token_hash));
	if (rc != 0) {
		log_error("auth: ending a session failed (db rc %d)", rc);
		return -1;
	}
	return 0;
}

/* ---- two-factor sign-in ---- */

/* Makes a fresh session token into token_out and its hash. */
static void auth_token_new(char token_out[64], char hash[STORE_TOKEN_HASH_MAX])
{
	unsigned char raw[AUTH_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token_out, 64, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	auth_token_hash(token_out, hash);
}

int auth_login_pending_check(struct db *db, const char *pending_token, struct staff_user *user_out)
{
	char hash[STORE_TOKEN_HASH_MAX];
	struct store_user u;
	long long attempts;
	int rc;

	memset(user_out, 0, sizeof(*user_out));
	if (!auth_token_valid(pending_token) || auth_init() != 0)
		return -1;
	auth_token_hash(pending_token, hash);
	rc = store_login_pending_find(db, hash, (long long)time(NULL), &u, &attempts);
	sodium_memzero(hash, sizeof(hash));
	if (rc < 0)
		log_error("auth: reading a pending login failed (db rc %d)", rc);
	if (rc != 1 || u.disabled || role_parse(u.role) == ROLE_NONE)
		return -1;
	auth_user_fill(user_out, u.id, u.email, role_parse(u.role), u.totp_enabled);
	return 0;
}

enum auth_result auth_login_totp(struct db *db, const struct keys *keys, const char *pending_token,
                                 const char *code, const char *ip, char token_out[64],
                                 struct staff_user *user_out)
{
	char pending_hash[STORE_TOKEN_HASH_MAX], session_hash[STORE_TOKEN_HASH_MAX];
	char acct_key[AUTH_KEY_MAX], ip_key[AUTH_KEY_MAX], clean[TOTP_DIGITS + 1];
	unsigned char secret[TOTP_SECRET_BYTES];
	struct store_user u;
	struct store_totp t;
	const char *ipk = NULL;
	long long now = (long long)time(NULL), floor_at = now - LIMIT_LOGIN_WINDOW_SECONDS;
	long long attempts = 0, acct_fails = 0, ip_fails = 0, step = 0;
	enum auth_result result = AUTH_ERROR;
	enum role role;
	int rc, ok = 0;

	token_out[0] = '\0';
	memset(user_out, 0, sizeof(*user_out));
	memset(&t, 0, sizeof(t));
	memset(secret, 0, sizeof(secret));
	memset(session_hash, 0, sizeof(session_hash));
	if (!auth_token_valid(pending_token) || auth_init() != 0)
		return AUTH_PENDING_GONE;
	auth_token_hash(pending_token, pending_hash);
	rc = store_login_pending_find(db, pending_hash, now, &u, &attempts);
	if (rc < 0) {
		log_error("auth: reading a pending login failed (db rc %d)", rc);
		goto done;
	}
	role = rc == 1 ? role_parse(u.role) : ROLE_NONE;
	if (rc != 1 || u.disabled || role == ROLE_NONE || !u.totp_enabled) {
		result = AUTH_PENDING_GONE;
		goto done;
	}
	(void)snprintf(acct_key, sizeof(acct_key), "acct:%s", u.email);
	if (auth_ip_key(ip, ip_key) == 0)
		ipk = ip_key;
	rc = store_login_failures_get(db, acct_key, ipk, floor_at, &acct_fails, &ip_fails);
	if (rc != 0) {
		log_error("auth: reading login failures failed (db rc %d)", rc);
		goto done;
	}
	if (acct_fails >= LIMIT_LOGIN_FAILS_PER_ACCOUNT || ip_fails >= LIMIT_LOGIN_FAILS_PER_IP) {
		result = AUTH_THROTTLED;
		goto done;
	}
	rc = store_totp_get(db, u.id, &t);
	if (rc != 1 || !t.enabled || totp_open(keys->totp, t.sealed, t.sealed_len, secret) != 0) {
		log_error("auth: user %lld has two-factor on but no readable secret (db rc %d)", u.id, rc);
		goto done;
	}
	if (totp_code_clean(code, clean) == 0)
		ok = totp_verify(secret, clean, now, t.last_step, &step);
	if (!ok) {
		rc = store_login_pending_fail(db, pending_hash, LIMIT_TOTP_ATTEMPTS, acct_key, ipk, now,
		                              floor_at);
		if (rc != 0) {
			log_error("auth: recording a wrong code failed (db rc %d)", rc);
			goto done;
		}
		result = attempts + 1 >= LIMIT_TOTP_ATTEMPTS ? AUTH_PENDING_GONE : AUTH_BAD_CREDENTIALS;
		goto done;
	}
	auth_token_new(token_out, session_hash);
	rc = store_login_pending_finish(db, pending_hash, u.id, step, session_hash, now,
	                                now + LIMIT_SESSION_ABSOLUTE_SECONDS,
	                                now - LIMIT_SESSION_IDLE_SECONDS, acct_key);
	if (rc == STORE_TOTP_REPLAYED) {
		/* Another request used this step first: the code is spent. */
		sodium_memzero(token_out, 64);
		result = AUTH_BAD_CREDENTIALS;
		goto done;
	}
	if (rc != 0) {
		log_error("auth: completing a two-step login failed (db rc %d)", rc);
		sodium_memzero(token_out, 64);
		goto done;
	}
	auth_user_fill(user_out, u.id, u.email, role, 1);
	log_info("auth: user %lld signed in (two-factor)", u.id);
	result = AUTH_OK;
done:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(clean, sizeof(clean));
	sodium_memzero(&t, sizeof(t));
	sodium_memzero(pending_hash, sizeof(pending_hash));
	sodium_memzero(session_hash, sizeof(session_hash));
	return result;
}

int auth_totp_setup(struct db *db, const struct keys *keys, const struct staff_user *user,
                    const char *issuer, char b32[40], buf *uri)
{
	unsigned char secret[TOTP_SECRET_BYTES], sealed[TOTP_SEALED_BYTES];
	struct store_totp t;
	int rc, result = -1;

	b32[0] = '\0';
	memset(secret, 0, sizeof(secret));
	if (auth_init() != 0)
		return -1;
	rc = store_totp_get(db, user->id, &t);
	if (rc != 1) {
		log_error("auth: reading two-factor state failed (db rc %d)", rc);
		goto done;
	}
	if (t.enabled) {
		result = 1;
		goto done;
	}
	/* Resume a waiting secret (a reload must not change the QR code a
	 * person may have scanned already); make one if there is none. */
	if (t.sealed_len == 0 || totp_open(keys->totp, t.sealed, t.sealed_len, secret) != 0) {
		totp_secret_new(secret);
		if (totp_seal(keys->totp, secret, sealed) != 0)
			goto done;
		rc = store_totp_setup(db, user->id, sealed, sizeof(sealed));
		if (rc == 1) {
			result = 1;
			goto done;
		}
		if (rc != 0) {
			log_error("auth: storing a two-factor secret failed (db rc %d)", rc);
			goto done;
		}
	}
	totp_base32(secret, b32);
	if (totp_uri(uri, issuer, user->email, secret) != 0)
		goto done;
	result = 0;
done:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(&t, sizeof(t));
	return result;
}

enum auth_result auth_totp_enable(struct db *db, const struct keys *keys,
                                  const struct staff_user *user, const char *code)
{
	unsigned char secret[TOTP_SECRET_BYTES];
	char clean[TOTP_DIGITS + 1];
	struct store_totp t;
	long long step = 0;
	enum auth_result result = AUTH_ERROR;
	int rc;

	memset(secret, 0, sizeof(secret));
	memset(clean, 0, sizeof(clean));
	if (auth_init() != 0)
		return AUTH_ERROR;
	rc = store_totp_get(db, user->id, &t);
	if (rc != 1) {
		log_error("auth: reading two-factor state failed (db rc %d)", rc);
		goto done;
	}
	if (t.enabled || t.sealed_len == 0 || totp_open(keys->totp, t.sealed, t.sealed_len, secret) != 0 ||
	    totp_code_clean(code, clean) != 0 ||
	    !totp_verify(secret, clean, (long long)time(NULL), t.last_step, &step)) {
		result = AUTH_BAD_CREDENTIALS;
		goto done;
	}
	rc = store_totp_enable(db, user->id, t.sealed, t.sealed_len, step);
	if (rc < 0) {
		log_error("auth: turning two-factor on failed (db rc %d)", rc);
		goto done;
	}
	result = rc == 0 ? AUTH_OK : AUTH_BAD_CREDENTIALS;
	if (rc == 0)
		log_info("auth: user %lld turned two-factor on", user->id);
done:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(clean, sizeof(clean));
	sodium_memzero(&t, sizeof(t));
	return result;
}

int auth_totp_reset(struct db *db, const struct staff_user *actor, const char *email)
{
	char norm[LIMIT_EMAIL + 1];
	int rc;

	if (email == NULL || normalize_email(email, norm, sizeof(norm)) != 0)
		return 0;
	rc = store_totp_reset_by_email(db, actor != NULL ? actor->id : 0, norm);
	if (rc < 0) {
		log_error("auth: resetting two-factor failed (db rc %d)", rc);
		return -1;
	}
	if (rc == 1)
		log_info("auth: two-factor reset for an account by user %lld", actor ? actor->id : 0);
	return rc == 1 ? 1 : 0;
}

/* ---- password change and ending sessions ---- */

enum auth_result auth_password_change(struct db *db, const struct staff_user *user,
                                      const char *current, const char *new_password,
                                      const char *ip, char token_out[64], const char **problem)
{
	char acct_key[AUTH_KEY_MAX], ip_key[AUTH_KEY_MAX];
	char hash[crypto_pwhash_STRBYTES], session_hash[STORE_TOKEN_HASH_MAX];
	struct store_user u;
	const char *ipk = NULL;
	long long now = (long long)time(NULL), floor_at = now - LIMIT_LOGIN_WINDOW_SECONDS;
	long long acct_fails = 0, ip_fails = 0;
	enum auth_result result = AUTH_ERROR;
	int rc, ok = 0;

	token_out[0] = '\0';
	*problem = NULL;
	memset(&u, 0, sizeof(u));
	memset(hash, 0, sizeof(hash));
	memset(session_hash, 0, sizeof(session_hash));
	if (auth_init() != 0)
		return AUTH_ERROR;
	if (current == NULL)
		current = "";
	(void)snprintf(acct_key, sizeof(acct_key), "acct:%s", user->email);
	if (auth_ip_key(ip, ip_key) == 0)
		ipk = ip_key;
	rc = store_login_failures_get(db, acct_key, ipk, floor_at, &acct_fails, &ip_fails);
	if (rc != 0) {
		log_error("auth: reading login failures failed (db rc %d)", rc);
		goto done;
	}
	if (acct_fails >= LIMIT_LOGIN_FAILS_PER_ACCOUNT || ip_fails >= LIMIT_LOGIN_FAILS_PER_IP) {
		result = AUTH_THROTTLED;
		goto done;
	}
	rc = store_user_find_by_email(db, user->email, &u);
	if (rc != 1 || u.id != user->id) {
		log_error("auth: reading the account for a password change failed (db rc %d)", rc);
		goto done;
	}
	if (strlen(current) <= LIMIT_PASSWORD_MAX)
		ok = auth_password_verify(u.password_hash, current);
	if (!ok) {
		rc = store_login_failure_add(db, acct_key, ipk, now, floor_at);
		if (rc != 0) {
			log_error("auth: recording a failed password check failed (db rc %d)", rc);
			goto done;
		}
		result = AUTH_BAD_CREDENTIALS;
		goto done;
	}
	*problem = auth_password_problem_for(new_password, user->email);
	if (*problem == NULL && strcmp(current, new_password) == 0)
		*problem = "Choose a password different from the current one.";
	if (*problem != NULL) {
		result = AUTH_WEAK_PASSWORD;
		goto done;
	}
	if (auth_password_hash(new_password, hash) != 0) {
		log_error("auth: password hashing failed (out of memory?)");
		goto done;
	}
	auth_token_new(token_out, session_hash);
	rc = store_user_password_set(db, user->id, hash, session_hash, now,
	                             now + LIMIT_SESSION_ABSOLUTE_SECONDS);
	if (rc != 0) {
		log_error("auth: storing a new password failed (db rc %d)", rc);
		sodium_memzero(token_out, 64);
		goto done;
	}
	log_info("auth: user %lld changed their password; other sessions ended", user->id);
	result = AUTH_OK;
done:
	sodium_memzero(hash, sizeof(hash));
	sodium_memzero(session_hash, sizeof(session_hash));
	sodium_memzero(&u, sizeof(u));
	return result;
}

int auth_logout_all(struct db *db, const struct staff_user *user)
{
	int rc = store_sessions_end_all(db, user->id);

	if (rc < 0) {
		log_error("auth: ending every session failed (db rc %d)", rc);
		return -1;
	}
	log_info("auth: user %lld logged out everywhere (%d sessions)", user->id, rc);
	return rc;
}
