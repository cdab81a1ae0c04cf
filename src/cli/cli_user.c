/*
 * cli_user.c — `onramp user add --email E --role R`: create a staff account;
 * `onramp user reset-2fa --email E`: turn its two-factor sign-in off.
 *
 * The password never comes from argv (other users can read a process's
 * arguments): it is asked for twice on the terminal with echo off, or read
 * as the first line of standard input when that is not a terminal (scripts).
 * The password buffer is wiped before returning.
 */
#include "cli/cli.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "domain/auth.h"
#include "domain/keys.h"
#include "lib/limits.h"
#include "store/db.h"

static const char usage[] =
	"Usage: onramp user add --email EMAIL --role admin|staff|volunteer [options]\n"
	"       onramp user reset-2fa --email EMAIL [options]\n"
	"\n"
	"reset-2fa turns two-factor sign-in off for a person who lost their phone\n"
	"and ends their sessions.\n"
	"\n"
	"add creates a staff account. The password is asked for on the terminal, or read\n"
	"from the first line of standard input (e.g. `printf '%s\\n' \"$PW\" | onramp user add …`).\n"
	"Passwords need at least 12 characters and must not be a common password.";

/* Reads one line into out (without the newline). echo_off hides typing on a
 * terminal. Returns 0, or -1 on EOF or a line longer than the buffer. */
static int read_line(char *out, size_t outlen, int echo_off)
{
	struct termios old, quiet;
	int restore = 0;
	size_t n;

	if (echo_off && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	if (!fgets(out, (int)outlen, stdin))
		out[0] = '\0', n = (size_t)-1;
	else
		n = strlen(out);
	if (restore) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n == (size_t)-1)
		return -1;
	if (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (n == outlen - 1)
		return -1; /* longer than the maximum */
	if (n > 0 && out[n - 1] == '\r')
		out[--n] = '\0';
	return 0;
}

static int read_password(char *pw, size_t pwlen)
{
	char again[LIMIT_PASSWORD_MAX + 2];
	int tty = isatty(STDIN_FILENO);
	int rc = -1;

	if (tty)
		fprintf(stderr, "Password (at least %d characters): ", LIMIT_PASSWORD_MIN);
	if (read_line(pw, pwlen, tty) < 0) {
		fprintf(stderr, "onramp: no password given (or longer than %d characters)\n", LIMIT_PASSWORD_MAX);
		goto done;
	}
	if (tty) {
		fprintf(stderr, "Password again: ");
		if (read_line(again, sizeof(again), 1) < 0 || strcmp(pw, again) != 0) {
			fprintf(stderr, "onramp: the passwords don't match\n");
			goto done;
		}
	}
	rc = 0;
done:
	sodium_memzero(again, sizeof(again));
	return rc;
}

/* `onramp user reset-2fa --email E`: recovery for a lost phone. Turns
 * two-factor sign-in off for the account and ends its sessions (audited as
 * done by the CLI); the person signs in with the password alone and, an
 * admin, must enroll again before any other staff page. */
static int cli_user_reset_2fa(const struct config *cfg, const char *email, const char *role_s)
{
	struct db *db = NULL;
	struct keys *keys = NULL;
	int rc, status = 1;

	if (!email || role_s) {
		fprintf(stderr, "onramp: user reset-2fa needs --email (and no --role)\n");
		return 2;
	}
	if (cli_open(cfg, 1, &db, &keys) != 0)
		return 1;
	rc = auth_totp_reset(db, NULL, email);
	if (rc == 1) {
		printf("onramp: two-factor sign-in is off for %s; its sessions were ended\n", email);
		status = 0;
	} else if (rc == 0) {
		fprintf(stderr, "onramp: no account with the email %s\n", email);
	} else {
		fprintf(stderr, "onramp: resetting two-factor failed (see the log)\n");
	}
	db_close(db);
	keys_free(keys);
	return status;
}

int cli_user(int argc, char **argv)
{
	struct config cfg;
	struct db *db = NULL;
	struct keys *keys = NULL;
	const char *email = NULL, *role_s = NULL, *pos[1];
	const struct cli_opt opts[] = {
		{ "email", &email, "the account's email address (its login)" },
		{ "role", &role_s, "admin, staff or volunteer" },
	};
	char password[LIMIT_PASSWORD_MAX + 2];
	char err[512];
	const char *problem;
	size_t n_pos;
	enum role role;
	int rc, status = 1;

	rc = cli_parse(argc, argv, usage, &cfg, opts, 2, pos, 1, &n_pos);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (n_pos == 1 && strcmp(pos[0], "reset-2fa") == 0)
		return cli_user_reset_2fa(&cfg, email, role_s);
	if (n_pos != 1 || strcmp(pos[0], "add") != 0) {
		fprintf(stderr, "onramp: usage: onramp user add --email EMAIL --role ROLE"
		                " | onramp user reset-2fa --email EMAIL (see --help)\n");
		return 2;
	}
	if (!email || !role_s) {
		fprintf(stderr, "onramp: user add needs --email and --role\n");
		return 2;
	}
	role = role_parse(role_s);
	if (role == ROLE_NONE) {
		fprintf(stderr, "onramp: --role must be admin, staff or volunteer\n");
		return 2;
	}
	if (read_password(password, sizeof(password)) < 0)
		goto done;
	problem = auth_password_problem(password);
	if (problem) {
		fprintf(stderr, "onramp: %s\n", problem);
		goto done;
	}
	if (cli_open(&cfg, 1, &db, &keys) != 0)
		goto done;
	if (auth_user_add(db, NULL, email, role, password, err, sizeof(err)) < 0) {
		fprintf(stderr, "onramp: %s\n", err);
		goto done;
	}
	printf("onramp: added %s (%s)\n", email, role_name(role));
	status = 0;
done:
	sodium_memzero(password, sizeof(password));
	db_close(db);
	keys_free(keys);
	return status;
}
