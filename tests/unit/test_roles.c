/*
 * test_roles.c — the role → permission table (domain/roles.c).
 *
 * Checks what each role may and may not do, the names both ways, and that
 * anything unknown gets nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "domain/roles.h"

#define PERM_ALL (PERM_PEOPLE_READ | PERM_PEOPLE_WRITE | PERM_PEOPLE_MERGE | \
                  PERM_DEMOGRAPHICS_READ | PERM_AUDIT_READ | PERM_USERS_ADMIN | \
                  PERM_PEOPLE_READ_ALL | PERM_PIPELINE_MANAGE | PERM_PIPELINE_ADMIN | \
                  PERM_MAIL_MANAGE)

static void test_volunteer_reads_and_writes_people_only(void **state)
{
	(void)state;
	assert_true(role_can(ROLE_VOLUNTEER, PERM_PEOPLE_READ));
	assert_true(role_can(ROLE_VOLUNTEER, PERM_PEOPLE_WRITE));
	assert_true(role_can(ROLE_VOLUNTEER, PERM_PEOPLE_READ | PERM_PEOPLE_WRITE));
	assert_false(role_can(ROLE_VOLUNTEER, PERM_DEMOGRAPHICS_READ));
	assert_false(role_can(ROLE_VOLUNTEER, PERM_AUDIT_READ));
	assert_false(role_can(ROLE_VOLUNTEER, PERM_PEOPLE_MERGE));
	assert_false(role_can(ROLE_VOLUNTEER, PERM_USERS_ADMIN));
	/* A volunteer opens only the people assigned to them. */
	assert_false(role_can(ROLE_VOLUNTEER, PERM_PEOPLE_READ_ALL));
	assert_false(role_can(ROLE_VOLUNTEER, PERM_PIPELINE_MANAGE));
	assert_int_equal(role_permissions(ROLE_VOLUNTEER), PERM_PEOPLE_READ | PERM_PEOPLE_WRITE);
}

static void test_staff_adds_merge_and_demographics(void **state)
{
	(void)state;
	assert_int_equal(role_permissions(ROLE_STAFF),
	                 PERM_PEOPLE_READ | PERM_PEOPLE_WRITE | PERM_PEOPLE_MERGE |
	                 PERM_DEMOGRAPHICS_READ | PERM_PEOPLE_READ_ALL | PERM_PIPELINE_MANAGE |
	                 PERM_MAIL_MANAGE);
	assert_false(role_can(ROLE_STAFF, PERM_PIPELINE_ADMIN));
	assert_true(role_can(ROLE_STAFF, PERM_DEMOGRAPHICS_READ));
	assert_true(role_can(ROLE_STAFF, PERM_PEOPLE_MERGE));
	assert_false(role_can(ROLE_STAFF, PERM_AUDIT_READ));
	assert_false(role_can(ROLE_STAFF, PERM_USERS_ADMIN));
	/* Every bit must be held: one missing bit denies the whole request. */
	assert_false(role_can(ROLE_STAFF, PERM_PEOPLE_READ | PERM_USERS_ADMIN));
}

static void test_admin_has_everything(void **state)
{
	(void)state;
	assert_int_equal(role_permissions(ROLE_ADMIN), PERM_ALL);
	assert_true(role_can(ROLE_ADMIN, PERM_ALL));
	assert_true(role_can(ROLE_ADMIN, PERM_AUDIT_READ));
	assert_true(role_can(ROLE_ADMIN, PERM_USERS_ADMIN));
}

static void test_roles_are_nested(void **state)
{
	(void)state;
	/* Each role holds every permission of the one below it. */
	assert_int_equal(role_permissions(ROLE_STAFF) & role_permissions(ROLE_VOLUNTEER),
	                 role_permissions(ROLE_VOLUNTEER));
	assert_int_equal(role_permissions(ROLE_ADMIN) & role_permissions(ROLE_STAFF),
	                 role_permissions(ROLE_STAFF));
}

static void test_none_and_unknown_get_nothing(void **state)
{
	(void)state;
	assert_int_equal(role_permissions(ROLE_NONE), 0);
	assert_false(role_can(ROLE_NONE, PERM_PEOPLE_READ));
	assert_int_equal(role_permissions(ROLE_COUNT), 0);
	assert_int_equal(role_permissions((enum role)99), 0);
	assert_false(role_can((enum role)99, PERM_PEOPLE_READ));
}

static void test_parse_and_name_round_trip(void **state)
{
	(void)state;
	assert_int_equal(role_parse("volunteer"), ROLE_VOLUNTEER);
	assert_int_equal(role_parse("staff"), ROLE_STAFF);
	assert_int_equal(role_parse("admin"), ROLE_ADMIN);
	assert_string_equal(role_name(ROLE_VOLUNTEER), "volunteer");
	assert_string_equal(role_name(ROLE_STAFF), "staff");
	assert_string_equal(role_name(ROLE_ADMIN), "admin");
	assert_string_equal(role_name(ROLE_NONE), "none");
	assert_string_equal(role_name((enum role)99), "none");
	for (int r = ROLE_VOLUNTEER; r < ROLE_COUNT; r++)
		assert_int_equal(role_parse(role_name((enum role)r)), r);
}

static void test_parse_refuses_anything_else(void **state)
{
	(void)state;
	assert_int_equal(role_parse(NULL), ROLE_NONE);
	assert_int_equal(role_parse(""), ROLE_NONE);
	assert_int_equal(role_parse("none"), ROLE_NONE);
	assert_int_equal(role_parse("Admin"), ROLE_NONE);
	assert_int_equal(role_parse("admin "), ROLE_NONE);
	assert_int_equal(role_parse("administrator"), ROLE_NONE);
	assert_int_equal(role_parse("root"), ROLE_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_volunteer_reads_and_writes_people_only),
		cmocka_unit_test(test_staff_adds_merge_and_demographics),
		cmocka_unit_test(test_admin_has_everything),
		cmocka_unit_test(test_roles_are_nested),
		cmocka_unit_test(test_none_and_unknown_get_nothing),
		cmocka_unit_test(test_parse_and_name_round_trip),
		cmocka_unit_test(test_parse_refuses_anything_else),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
