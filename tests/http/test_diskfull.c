/*
 * test_diskfull.c — a write failing on a full disk: a clear 503, the typed
 * answers kept, and no corruption.
 *
 * The server's directory (database, WAL, key, log) is put on a tiny tmpfs
 * mounted for this test (`mount -t tmpfs -o size=…`: the suite runs as
 * root in CI). Once a filler file has taken every free byte, each page
 * that writes is asked to write: the public signup (503 with the form and
 * every answer kept), a note (503, the text kept), adding an account, and
 * a login (its session is a write). After the filler is removed the
 * database passes PRAGMA integrity_check, what was acknowledged before is
 * still there, and the same server takes signups again — no restart.
 *
 * SQLite only (the PostgreSQL run has no file of ours to fill): on that
 * run this program runs no test. If the tmpfs cannot be mounted (not
 * root), it fails, saying so, rather than pass without checking anything.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "harness.h"

static char mnt[64];
static char filler[128];
static struct server *srv;

static int setup(void **state)
{
	static struct harness_opts opts;

	(void)state;
	snprintf(mnt, sizeof(mnt), "/tmp/onramp-full-XXXXXX");
	if (mkdtemp(mnt) == NULL)
		return -1;
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=6m,mode=0700") != 0) {
		fprintf(stderr, "# cannot mount a tmpfs on %s (%s): this test needs root\n", mnt,
		        strerror(errno));
		rmdir(mnt);
		return -1;
	}
	opts.dir_parent = mnt;
	srv = harness_start(&opts);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	return srv ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	int rc = harness_stop(srv);
	srv = NULL;
	unlink(filler);
	if (umount(mnt) != 0)
		fprintf(stderr, "# umount %s: %s\n", mnt, strerror(errno));
	rmdir(mnt);
	return rc;
}

/* Takes every free byte of the tmpfs. Returns the bytes written. */
static long long fill_disk(void)
{
	static char block[64 * 1024];
	long long total = 0;
	int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	assert_true(fd >= 0);
	memset(block, 'x', sizeof(block));
	while ((n = write(fd, block, sizeof(block))) > 0)
		total += n;
	/* the last partial block */
	while ((n = write(fd, block, 512)) > 0)
		total += n;
	while ((n = write(fd, block, 1)) > 0)
		total += n;
	assert_int_equal(errno, ENOSPC);
	close(fd);
	return total;
}

static long signup_post(struct client *c, const char *email)
{
	const char *t = client_csrf(c);

	assert_non_null(t);
	return client_post_form(c, "/signup", "csrf", t, "first_name", "Rosalind", "last_name", "Okafor",
	                        "email", email, "zip", "53703", "state", "WI",
	                        "why_run", "The bus routes in my district were cut in half.", NULL);
}

static void test_full_disk_answers_503_and_keeps_everything(void **state)
{
	(void)state;
	char value[256], token[256], check[64];
	long long person;

	/* Before: one acknowledged signup, staff and admin signed in. */
	struct client *pub = client_new(srv);
	assert_int_equal(signup_post(pub, "before-full@example.org"), 303);
	person = harness_person_by_email(srv, "before-full@example.org");
	assert_true(person > 0);
	struct client *staff = client_new(srv);
	assert_int_equal(client_login(staff, H_STAFF_EMAIL, H_STAFF_PASS), 303);
	struct client *admin = client_new(srv);
	assert_int_equal(client_login(admin, H_ADMIN_EMAIL, H_ADMIN_PASS), 303);
	char path[64];
	snprintf(path, sizeof(path), "/staff/people/%lld", person);
	assert_int_equal(client_get(staff, path), 200);
	assert_int_equal(csrf_from(client_body(staff), token, sizeof(token)), 0);

	assert_true(fill_disk() > 0);

	/* The public signup: 503, the form again with every answer. */
	signup_post(pub, "during-full@example.org");
	H_ASSERT_STATUS(pub, 503);
	assert_int_equal(html_input_value(client_body(pub), "first_name", value, sizeof(value)), 0);
	assert_string_equal(value, "Rosalind");
	assert_int_equal(html_input_value(client_body(pub), "email", value, sizeof(value)), 0);
	assert_string_equal(value, "during-full@example.org");
	assert_int_equal(html_textarea_value(client_body(pub), "why_run", value, sizeof(value)), 0);
	assert_string_equal(value, "The bus routes in my district were cut in half.");

	/* A note: 503, the text kept. */
	char note_path[80];
	snprintf(note_path, sizeof(note_path), "/staff/people/%lld/notes", person);
	client_post_form(staff, note_path, "csrf", token, "text", "Called, left a voicemail.", NULL);
	H_ASSERT_STATUS(staff, 503);
	assert_non_null(strstr(client_body(staff), "Called, left a voicemail."));

	/* Adding an account: 503, not "your input is wrong". */
	assert_int_equal(client_get(admin, "/staff/users"), 200);
	assert_int_equal(csrf_from(client_body(admin), token, sizeof(token)), 0);
	client_post_form(admin, "/staff/users", "csrf", token, "email", "new.person@example.org",
	                 "role", "volunteer", "password", "saffron kayak meadow 62", NULL);
	H_ASSERT_STATUS(admin, 503);

	/* A login needs to write its session: 503. */
	struct client *late = client_new(srv);
	client_login(late, H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS);
	H_ASSERT_STATUS(late, 503);
	assert_true(harness_alive(srv));

	/* Space again: nothing lost, nothing corrupt, the same server works on. */
	assert_int_equal(unlink(filler), 0);
	assert_int_equal(harness_db_text(srv, "PRAGMA integrity_check", NULL, check, sizeof(check)), 0);
	assert_string_equal(check, "ok");
	assert_int_equal(harness_person_by_email(srv, "before-full@example.org"), person);
	assert_true(harness_person_by_email(srv, "during-full@example.org") < 0);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM users WHERE email = ?1",
	                                "new.person@example.org"), 0);
	assert_int_equal(signup_post(pub, "after-full@example.org"), 303);
	assert_true(harness_person_by_email(srv, "after-full@example.org") > 0);
	assert_int_equal(client_login(late, H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS), 303);
	client_free(pub);
	client_free(staff);
	client_free(admin);
	client_free(late);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_disk_answers_503_and_keeps_everything),
	};
	if (harness_pg() != NULL) {
		printf("# test_diskfull: SQLite only; nothing to run on PostgreSQL\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
