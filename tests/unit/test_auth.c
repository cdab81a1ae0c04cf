/*
 * test_auth.c — accounts, password rules, login throttling and sessions
 * (domain/auth.c over store/store_users.c).
 *
 * Each database test gets a fresh SQLite file in its own mkdtemp()
 * directory, removed afterwards. Expiry is tested by moving the rows'
 * timestamps back with test-only SQL through store/sql.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "domain/auth.h"
#include "lib/limits.h"
#include "store/db.h"
#include "store/sql.h"

#define GOOD_PASSWORD "lantern orbit marmalade"
#define ADMIN_EMAIL   "Ada.Admin@Example.org"
#define ADMIN_NORM    "ada.admin@example.org"

struct fixture {
	char       dir[64];
	struct db *db;
};

static int setup_db(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char url[128], err[256];
	int applied = 0;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/onramp-auth-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		goto fail;
	snprintf(url, sizeof(url), "sqlite:%s/test.db", f->dir);
	if (db_open(url, &f->db, err, sizeof(err)) != 0) {
		fprintf(stderr, "db_open: %s\n", err);
		goto fail;
	}
	if (db_migrate(f->db, &applied, err, sizeof(err)) != 0) {
		fprintf(stderr, "db_migrate: %s\n", err);
		goto fail;
	}
	*state = f;
	return 0;
fail:
	if (f->db != NULL)
		db_close(f->db);
	rmdir(f->dir);
	free(f);
	return -1;
}

static int teardown_db(void **state)
{
	struct fixture *f = *state;
	DIR *d;
	struct dirent *e;
	char path[512];

	db_close(f->db);
	d = opendir(f->dir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- test-only SQL ---- */

struct set_job {
	const char *sql;   /* one int parameter */
	long long   value;
};

static int set_job_run(struct db_conn *c, void *arg)
{
	struct set_job *job = arg;
	struct db_stmt *s = db_prepare(c, job->sql);
	int rc;

	if (s == NULL)
		return -1;
	db_bind_int(s, 1, job->value);
	rc = db_step(s);
	db_done(s);
	return rc == DB_DONE ? 0 : -1;
}

/* Runs an UPDATE with one integer parameter (sql must be a literal). */
static void sql_set(struct db *db, const char *sql, long long value)
{
	struct set_job job = { sql, value };

	assert_int_equal(db_write(db, set_job_run, &job), 0);
}

/* Runs a SELECT of one integer without parameters; -1 when no row. */
static long long sql_int(struct db *db, const char *sql)
{
	struct db_conn *c = db_read_begin(db);
	struct db_stmt *s = db_prepare(c, sql);
	long long v = -1;

	assert_non_null(s);
	if (db_step(s) == DB_ROW)
		v = db_col_int(s, 0);
	db_done(s);
	db_read_end(db, c);
	return v;
}

/* Copies the text of the first row's first column into out ("" when none). */
static void sql_text(struct db *db, const char *sql, char *out, size_t outlen)
{
	struct db_conn *c = db_read_begin(db);
	struct db_stmt *s = db_prepare(c, sql);

	assert_non_null(s);
	out[0] = '\0';
	if (db_step(s) == DB_ROW && db_col_text(s, 0) != NULL)
		snprintf(out, outlen, "%s", db_col_text(s, 0));
	db_done(s);
	db_read_end(db, c);
}

static void add_admin(struct db *db)
{
	char err[256] = "";

	assert_int_equal(auth_user_add(db, NULL, ADMIN_EMAIL, ROLE_ADMIN, GOOD_PASSWORD,
	                               err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

/* ---- password rules (no database) ---- */

static void test_password_too_short_or_long(void **state)
{
	char big[LIMIT_PASSWORD_MAX + 2];
	const char *why;

	(void)state;
	assert_non_null(auth_password_problem(NULL));
	assert_non_null(auth_password_problem(""));
	why = auth_password_problem("k7#Qm2!vL9x");   /* 11 bytes */
	assert_non_null(why);
	assert_non_null(strstr(why, "12"));
	assert_null(auth_password_problem("k7#Qm2!vL9xZ")); /* 12 bytes */

	memset(big, 'x', sizeof(big) - 1);
	for (size_t i = 0; i + 1 < sizeof(big); i++)
		big[i] = (char)('a' + (i * 7 + i / 26) % 26);
	big[sizeof(big) - 1] = '\0';                   /* 1025 bytes */
	assert_non_null(auth_password_problem(big));
	big[LIMIT_PASSWORD_MAX] = '\0';                /* 1024 bytes */
	assert_null(auth_password_problem(big));
}

static void test_password_common_rejected(void **state)
{
	static const char *const weak[] = {
		"password1234", "Password1234", "PASSWORD2024!", "P@ssw0rd2024!", "p@$$w0rd12345",
		"qwerty123456", "iloveyou2024", "Welcome12345", "letmein!!!!!", "Summer2024!!",
		"123456789012", "1q2w3e4r5t6y", "mypassword12", "Onramp2024!!", "runforsomething",
		"Democracy2024", "1234567890123", "football1234!",
	};
	for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		const char *why = auth_password_problem(weak[i]);
		if (why == NULL)
			fail_msg("accepted a weak password: %s", weak[i]);
	}
	(void)state;
	const char *why = auth_password_problem("Trustno1!2345");
	assert_non_null(why);
	assert_non_null(strstr(why, "common"));
}

static void test_common_list_is_well_formed_and_enforced(void **state)
{
	(void)state;
	assert_true(auth_common_passwords_count >= 200);
	for (size_t i = 0; i < auth_common_passwords_count; i++) {
		const char *e = auth_common_passwords[i];
		int letters_only = 1;
		char pw[64];

		assert_true(strlen(e) >= 4);
		for (const char *p = e; *p != '\0'; p++) {
			assert_false(*p >= 'A' && *p <= 'Z');
			assert_false(*p == ' ');
			if (!(*p >= 'a' && *p <= 'z'))
				letters_only = 0;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(auth_common_passwords[j], e) == 0)
				fail_msg("duplicate entry %s", e);
		/* A word dressed up with a capital and digits is still refused. */
		if (letters_only) {
			snprintf(pw, sizeof(pw), "%c%s2024!!!!!!!!", e[0] - 'a' + 'A', e + 1);
			if (auth_password_problem(pw) == NULL)
				fail_msg("accepted %s", pw);
		}
	}
	/* Whole-string entries of at least 12 characters are refused as they are. */
	assert_non_null(auth_password_problem("a1b2c3d4e5f6"));
	assert_non_null(auth_password_problem("A1B2C3D4E5F6"));
}

static void test_password_sequence_rejected(void **state)
{
	static const char *const seq[] = {
		"abcdefghijklm", "ABCDEFGHIJKL", "zyxwvutsrqpo", "123456789012", "987654321098",
		"qwertyuiopasdf", "QWERTYUIOPAS", "asdfghjklzxc", "1qaz2wsx3edc4rfv", "lkjhgfdsapoiu",
		"azertyuiopqsd",
	};
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		const char *why = auth_password_problem(seq[i]);
		if (why == NULL)
			fail_msg("accepted a sequence: %s", seq[i]);
		if (strstr(why, "sequence") == NULL)
			fail_msg("%s refused for another reason: %s", seq[i], why);
	}
	(void)state;
}

static void test_password_repeats_rejected(void **state)
{
	const char *why;

	(void)state;
	why = auth_password_problem("aaaaaaaaaaaaaaa");
	assert_non_null(why);
	assert_non_null(strstr(why, "one character"));
	why = auth_password_problem("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"); /* éééééé */
	assert_non_null(why);
	assert_non_null(strstr(why, "one character"));
	assert_non_null(auth_password_problem("abcabcabcabc"));
	assert_non_null(auth_password_problem("xk9xk9xk9xk9"));
	assert_non_null(auth_password_problem("Zebra7Zebra7"));
}

static void test_password_invalid_utf8_rejected(void **state)
{
	(void)state;
	assert_non_null(auth_password_problem("valid words \xff\xfe here"));
	assert_non_null(auth_password_problem("overlong \xc0\xaf slash!"));
	assert_non_null(auth_password_problem("surrogate \xed\xa0\x80 here"));
	assert_non_null(auth_password_problem("cut at the end \xe2\x82"));
}

static void test_password_email_part_rejected(void **state)
{
	const char *why;

	(void)state;
	why = auth_password_problem_for("maria.gonzalez!!", "Maria.Gonzalez@example.org");
	assert_non_null(why);
	assert_non_null(strstr(why, "email"));
	assert_non_null(auth_password_problem_for("Xy7 MARIA.GONZALEZ 2", "maria.gonzalez@example.org"));
	/* Short local parts (< 4) are not a rule: too many false hits. */
	assert_null(auth_password_problem_for("bob tangerine harbor", "bob@example.org"));
	assert_null(auth_password_problem_for(GOOD_PASSWORD, "maria.gonzalez@example.org"));
	assert_null(auth_password_problem_for(GOOD_PASSWORD, NULL));
}

static void test_good_passwords_accepted(void **state)
{
	static const char *const good[] = {
		GOOD_PASSWORD, "correct horse battery staple", "Tr0ub4dor&3 nebula",
		"k7#Qm2!vL9xZ", "\xc3\xa5\xc3\xa4\xc3\xb6 mountain lantern", "9rT$wq2!Lp0z",
		"my dog eats figs at noon",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *why = auth_password_problem(good[i]);
		if (why != NULL)
			fail_msg("refused %s: %s", good[i], why);
	}
	(void)state;
}

/* ---- accounts ---- */

static void test_user_add_then_login(void **state)
{
	struct fixture *f = *state;
	struct staff_user u;
	char token[64], hash[256];

	add_admin(f->db);
	assert_int_equal(auth_login(f->db, "  ADA.admin@example.ORG ", GOOD_PASSWORD, "192.0.2.1",
	                            token, &u), AUTH_OK);
	assert_int_equal(strlen(token), 43);
	assert_true(u.id > 0);
	assert_string_equal(u.email, ADMIN_NORM);
	assert_int_equal(u.role, ROLE_ADMIN);
	assert_int_equal(u.perms, role_permissions(ROLE_ADMIN));

	/* The stored password is an argon2id hash, not the password. */
	sql_text(f->db, "SELECT password_hash FROM users", hash, sizeof(hash));
	assert_int_equal(strncmp(hash, "$argon2id$", 10), 0);
	assert_null(strstr(hash, GOOD_PASSWORD));
	sql_text(f->db, "SELECT email FROM users", hash, sizeof(hash));
	assert_string_equal(hash, ADMIN_NORM);
}

static void test_user_add_refuses_bad_input(void **state)
{
	struct fixture *f = *state;
	char err[256];

	err[0] = '\0';
	assert_int_equal(auth_user_add(f->db, NULL, "not-an-email", ROLE_STAFF, GOOD_PASSWORD,
	                               err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
	err[0] = '\0';
	assert_int_equal(auth_user_add(f->db, NULL, "a@example.org", ROLE_NONE, GOOD_PASSWORD,
	                               err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
	err[0] = '\0';
	assert_int_equal(auth_user_add(f->db, NULL, "a@example.org", ROLE_COUNT, GOOD_PASSWORD,
	                               err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
	err[0] = '\0';
	assert_int_equal(auth_user_add(f->db, NULL, "a@example.org", ROLE_STAFF, "password1234",
	                               err, sizeof(err)), -1);
	assert_non_null(strstr(err, "common"));
	err[0] = '\0';
	assert_int_equal(auth_user_add(f->db, NULL, "lantern.keeper@example.org", ROLE_STAFF,
	                               "lantern.keeper 42", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "email"));
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM users"), 0);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit_log"), 0);
}

static void test_duplicate_user_refused(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";

	add_admin(f->db);
	assert_int_equal(auth_user_add(f->db, NULL, "ADA.ADMIN@example.org", ROLE_STAFF,
	                               "a different good passphrase", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists"));
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM users"), 1);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit_log"), 1);
}

static void test_user_add_is_audited_without_hash(void **state)
{
	struct fixture *f = *state;
	struct staff_user actor;
	char err[256] = "", text[1024];
	json_t *after;
	json_error_t jerr;

	add_admin(f->db);
	memset(&actor, 0, sizeof(actor));
	actor.id = sql_int(f->db, "SELECT id FROM users");
	actor.role = ROLE_ADMIN;
	assert_int_equal(auth_user_add(f->db, &actor, "Vic.Volunteer@example.org", ROLE_VOLUNTEER,
	                               "quiet river pebble song", err, sizeof(err)), 0);

	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit_log WHERE action = 'user.add'"), 2);
	sql_text(f->db, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1", text, sizeof(text));
	assert_string_equal(text, "user.add");
	sql_text(f->db, "SELECT entity FROM audit_log ORDER BY id DESC LIMIT 1", text, sizeof(text));
	assert_string_equal(text, "user");
	assert_int_equal(sql_int(f->db, "SELECT user_id FROM audit_log ORDER BY id DESC LIMIT 1"),
	                 actor.id);
	assert_int_equal(sql_int(f->db, "SELECT entity_id FROM audit_log ORDER BY id DESC LIMIT 1"),
	                 sql_int(f->db, "SELECT id FROM users WHERE email = 'vic.volunteer@example.org'"));

	sql_text(f->db, "SELECT after FROM audit_log ORDER BY id DESC LIMIT 1", text, sizeof(text));
	after = json_loads(text, 0, &jerr);
	assert_non_null(after);
	assert_string_equal(json_string_value(json_object_get(after, "email")),
	                    "vic.volunteer@example.org");
	assert_string_equal(json_string_value(json_object_get(after, "role")), "volunteer");
	assert_null(json_object_get(after, "password_hash"));
	assert_null(json_object_get(after, "password"));
	json_decref(after);
	assert_null(strstr(text, "$argon2"));
	assert_null(strstr(text, "quiet river"));
	/* No audit entry anywhere holds a hash or a password. */
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit_log WHERE after LIKE '%argon2%'"
	                                " OR before LIKE '%argon2%' OR after LIKE '%quiet river%'"), 0);
}

static void test_users_list(void **state)
{
	struct fixture *f = *state;
	char err[256];
	json_t *rows = NULL, *row;

	add_admin(f->db);
	assert_int_equal(auth_user_add(f->db, NULL, "sam.staff@example.org", ROLE_STAFF,
	                               "quiet river pebble song", err, sizeof(err)), 0);
	assert_int_equal(auth_users_list(f->db, &rows), 0);
	assert_true(json_is_array(rows));
	assert_int_equal(json_array_size(rows), 2);
	row = json_array_get(rows, 0);
	assert_true(json_integer_value(json_object_get(row, "id")) > 0);
	assert_string_equal(json_string_value(json_object_get(row, "email")), ADMIN_NORM);
	assert_string_equal(json_string_value(json_object_get(row, "role")), "admin");
	assert_true(json_integer_value(json_object_get(row, "created_at")) > 1600000000);
	assert_null(json_object_get(row, "password_hash"));
	row = json_array_get(rows, 1);
	assert_string_equal(json_string_value(json_object_get(row, "role")), "staff");
	json_decref(rows);
}

/* ---- login ---- */

static void test_wrong_password_and_unknown_email(void **state)
{
	struct fixture *f = *state;
	struct staff_user u;
	char token[64];

	add_admin(f->db);
	memset(token, 'x', sizeof(token));
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, "lantern orbit marmaladE", "192.0.2.1",
	                            token, &u), AUTH_BAD_CREDENTIALS);
	assert_string_equal(token, "");
	assert_int_equal(u.id, 0);
	assert_int_equal(auth_login(f->db, "nobody@example.org", GOOD_PASSWORD, "192.0.2.1",
	                            token, &u), AUTH_BAD_CREDENTIALS);
	assert_int_equal(auth_login(f->db, "not an email", GOOD_PASSWORD, "192.0.2.1",
	                            token, &u), AUTH_BAD_CREDENTIALS);
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, "", "192.0.2.1", token, &u),
	                 AUTH_BAD_CREDENTIALS);
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, NULL, "192.0.2.1", token, &u),
	                 AUTH_BAD_CREDENTIALS);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM sessions"), 0);
	/* Failures are counted; the address is stored hashed, not as typed. */
	assert_int_equal(sql_int(f->db, "SELECT count FROM login_failures"
	                                " WHERE key = 'acct:ada.admin@example.org'"), 3);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM login_failures"
	                                " WHERE key LIKE '%192.0.2.1%'"), 0);
	assert_int_equal(sql_int(f->db, "SELECT max(count) FROM login_failures WHERE key LIKE 'ip:%'"), 5);
}

static void test_sixth_attempt_is_throttled(void **state)
{
	struct fixture *f = *state;
	struct staff_user u;
	char token[64];

	add_admin(f->db);
	for (int i = 0; i < LIMIT_LOGIN_FAILS_PER_ACCOUNT; i++)
		assert_int_equal(auth_login(f->db, ADMIN_EMAIL, "wrong guess number", "192.0.2.1",
		                            token, &u), AUTH_BAD_CREDENTIALS);
	/* The right password, even from another address, no longer helps. */
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "198.51.100.7", token, &u),
	                 AUTH_THROTTLED);
	assert_string_equal(token, "");
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM sessions"), 0);

	/* Once the window has passed, the account opens again. */
	sql_set(f->db, "UPDATE login_failures SET window_start = window_start - ?",
	        LIMIT_LOGIN_WINDOW_SECONDS + 1);
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "198.51.100.7", token, &u),
	                 AUTH_OK);
}

static void test_success_clears_account_counter(void **state)
{
	struct fixture *f = *state;
	struct staff_user u;
	char token[64];

	add_admin(f->db);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < LIMIT_LOGIN_FAILS_PER_ACCOUNT - 1; i++)
			assert_int_equal(auth_login(f->db, ADMIN_EMAIL, "wrong guess number", "192.0.2.1",
			                            token, &u), AUTH_BAD_CREDENTIALS);
		assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "192.0.2.1", token, &u),
		                 AUTH_OK);
		assert_int_equal(sql_int(f->db, "SELECT count(*) FROM login_failures"
		                                " WHERE key LIKE 'acct:%'"), 0);
	}
}

static void test_throttling_by_ip_across_accounts(void **state)
{
	struct fixture *f = *state;
	struct staff_user u;
	char token[64], email[64];

	add_admin(f->db);
	/* One address guessing many accounts, each below its own limit. */
	for (int i = 0; i < LIMIT_LOGIN_FAILS_PER_IP; i++) {
		snprintf(email, sizeof(email), "target%d@example.org", i);
		assert_int_equal(auth_login(f->db, email, "wrong guess number", "203.0.113.9",
		                            token, &u), AUTH_BAD_CREDENTIALS);
	}
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "203.0.113.9", token, &u),
	                 AUTH_THROTTLED);
	assert_int_equal(auth_login(f->db, "target99@example.org", "x", "203.0.113.9", token, &u),
	                 AUTH_THROTTLED);
	/* Other addresses are not affected. */
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "203.0.113.10", token, &u),
	                 AUTH_OK);
}

static void test_disabled_account_cannot_log_in(void **state)
{
	struct fixture *f = *state;
	struct staff_user u;
	char token[64];

	add_admin(f->db);
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "192.0.2.1", token, &u), AUTH_OK);
	sql_set(f->db, "UPDATE users SET disabled = ?", 1);
	/* The live session dies with the account ... */
	assert_int_equal(auth_session_check(f->db, token, &u), -1);
	/* ... and no new one can start. */
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "192.0.2.1", token, &u),
	                 AUTH_BAD_CREDENTIALS);
	assert_string_equal(token, "");
}

/* ---- sessions ---- */

static void test_session_check_logout(void **state)
{
	struct fixture *f = *state;
	struct staff_user u, s;
	char token[64], hash[128];

	add_admin(f->db);
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "192.0.2.1", token, &u), AUTH_OK);
	for (size_t i = 0; i < 43; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
		                       token[i]));
	assert_int_equal(auth_session_check(f->db, token, &s), 0);
	assert_int_equal(s.id, u.id);
	assert_string_equal(s.email, ADMIN_NORM);
	assert_int_equal(s.role, ROLE_ADMIN);
	assert_int_equal(s.perms, role_permissions(ROLE_ADMIN));

	/* Only a hash of the token is stored. */
	sql_text(f->db, "SELECT token_hash FROM sessions", hash, sizeof(hash));
	assert_int_equal(strlen(hash), 64);
	assert_null(strstr(hash, token));
	assert_int_equal(strspn(hash, "0123456789abcdef"), 64);

	assert_int_equal(auth_logout(f->db, token), 0);
	assert_int_equal(auth_session_check(f->db, token, &s), -1);
	assert_int_equal(s.id, 0);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM sessions"), 0);
	/* Ending a session twice, or a malformed one, is not an error. */
	assert_int_equal(auth_logout(f->db, token), 0);
	assert_int_equal(auth_logout(f->db, "garbage"), 0);
	assert_int_equal(auth_logout(f->db, NULL), 0);
}

static void test_tampered_token_fails(void **state)
{
	struct fixture *f = *state;
	struct staff_user u, s;
	char token[64], bad[80];

	add_admin(f->db);
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "192.0.2.1", token, &u), AUTH_OK);

	snprintf(bad, sizeof(bad), "%s", token);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_session_check(f->db, bad, &s), -1);
	snprintf(bad, sizeof(bad), "%.42s", token);           /* one short */
	assert_int_equal(auth_session_check(f->db, bad, &s), -1);
	snprintf(bad, sizeof(bad), "%sA", token);             /* one long */
	assert_int_equal(auth_session_check(f->db, bad, &s), -1);
	snprintf(bad, sizeof(bad), "%s", token);
	bad[5] = '=';                                         /* outside the alphabet */
	assert_int_equal(auth_session_check(f->db, bad, &s), -1);
	sql_text(f->db, "SELECT token_hash FROM sessions", bad, sizeof(bad));
	assert_int_equal(auth_session_check(f->db, bad, &s), -1); /* the stored hash is no token */
	assert_int_equal(auth_session_check(f->db, "", &s), -1);
	assert_int_equal(auth_session_check(f->db, NULL, &s), -1);
	/* The real one still works. */
	assert_int_equal(auth_session_check(f->db, token, &s), 0);
}

static void test_two_sessions_are_independent(void **state)
{
	struct fixture *f = *state;
	struct staff_user u, s;
	char a[64], b[64];

	add_admin(f->db);
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "192.0.2.1", a, &u), AUTH_OK);
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "192.0.2.2", b, &u), AUTH_OK);
	assert_string_not_equal(a, b);
	assert_int_equal(auth_logout(f->db, a), 0);
	assert_int_equal(auth_session_check(f->db, a, &s), -1);
	assert_int_equal(auth_session_check(f->db, b, &s), 0);
}

static void test_absolute_expiry(void **state)
{
	struct fixture *f = *state;
	struct staff_user u, s;
	char token[64];
	long long now = (long long)time(NULL);

	add_admin(f->db);
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "192.0.2.1", token, &u), AUTH_OK);
	/* expires_at = login time + the absolute lifetime. */
	long long exp = sql_int(f->db, "SELECT expires_at FROM sessions");
	assert_true(exp >= now + LIMIT_SESSION_ABSOLUTE_SECONDS);
	assert_true(exp <= now + LIMIT_SESSION_ABSOLUTE_SECONDS + 5);

	/* Used a moment ago, but past its absolute expiry. */
	sql_set(f->db, "UPDATE sessions SET expires_at = ?", now - 1);
	assert_int_equal(auth_session_check(f->db, token, &s), -1);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM sessions"), 0);
}

static void test_idle_expiry(void **state)
{
	struct fixture *f = *state;
	struct staff_user u, s;
	char token[64];
	long long now = (long long)time(NULL);

	add_admin(f->db);
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "192.0.2.1", token, &u), AUTH_OK);
	/* Just inside the idle limit: alive. */
	sql_set(f->db, "UPDATE sessions SET last_seen = ?", now - LIMIT_SESSION_IDLE_SECONDS + 30);
	assert_int_equal(auth_session_check(f->db, token, &s), 0);
	/* Idle too long: dead. */
	sql_set(f->db, "UPDATE sessions SET last_seen = ?", now - LIMIT_SESSION_IDLE_SECONDS - 1);
	assert_int_equal(auth_session_check(f->db, token, &s), -1);
	assert_int_equal(auth_session_check(f->db, token, &s), -1);
}

static void test_last_seen_written_at_most_once_a_minute(void **state)
{
	struct fixture *f = *state;
	struct staff_user u, s;
	char token[64];
	long long now = (long long)time(NULL);

	add_admin(f->db);
	assert_int_equal(auth_login(f->db, ADMIN_EMAIL, GOOD_PASSWORD, "192.0.2.1", token, &u), AUTH_OK);
	sql_set(f->db, "UPDATE sessions SET last_seen = ?", now - 30);
	assert_int_equal(auth_session_check(f->db, token, &s), 0);
	assert_int_equal(sql_int(f->db, "SELECT last_seen FROM sessions"), now - 30);

	sql_set(f->db, "UPDATE sessions SET last_seen = ?", now - 600);
	assert_int_equal(auth_session_check(f->db, token, &s), 0);
	assert_true(sql_int(f->db, "SELECT last_seen FROM sessions") >= now);
}

struct login_thread {
	struct db *db;
	enum auth_result rc;
	char token[64];
};

static void *login_thread_run(void *arg)
{
	struct login_thread *t = arg;
	struct staff_user u;

	t->rc = auth_login(t->db, ADMIN_EMAIL, GOOD_PASSWORD, "192.0.2.1", t->token, &u);
	return NULL;
}

static void test_concurrent_logins(void **state)
{
	struct fixture *f = *state;
	struct login_thread t[6];
	pthread_t th[6];
	struct staff_user s;

	add_admin(f->db);
	for (int i = 0; i < 6; i++) {
		t[i].db = f->db;
		t[i].rc = AUTH_ERROR;
		assert_int_equal(pthread_create(&th[i], NULL, login_thread_run, &t[i]), 0);
	}
	for (int i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(t[i].rc, AUTH_OK);
		assert_int_equal(auth_session_check(f->db, t[i].token, &s), 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(t[i].token, t[j].token);
	}
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM sessions"), 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_too_short_or_long),
		cmocka_unit_test(test_password_common_rejected),
		cmocka_unit_test(test_common_list_is_well_formed_and_enforced),
		cmocka_unit_test(test_password_sequence_rejected),
		cmocka_unit_test(test_password_repeats_rejected),
		cmocka_unit_test(test_password_invalid_utf8_rejected),
		cmocka_unit_test(test_password_email_part_rejected),
		cmocka_unit_test(test_good_passwords_accepted),
		cmocka_unit_test_setup_teardown(test_user_add_then_login, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_user_add_refuses_bad_input, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_duplicate_user_refused, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_user_add_is_audited_without_hash, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_users_list, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_wrong_password_and_unknown_email, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_sixth_attempt_is_throttled, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_success_clears_account_counter, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_throttling_by_ip_across_accounts, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_disabled_account_cannot_log_in, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_session_check_logout, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_tampered_token_fails, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_two_sessions_are_independent, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_absolute_expiry, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_idle_expiry, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_last_seen_written_at_most_once_a_minute, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_concurrent_logins, setup_db, teardown_db),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
