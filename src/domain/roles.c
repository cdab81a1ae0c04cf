/*
 * roles.c — the table of staff roles and the permissions each one grants.
 *
 * Invariants: ROLE_NONE grants nothing; every other role is one row of
 * role_table, so adding a role (mentor, partner) is one line here plus its
 * enum value. Callers ask for permissions, never compare roles.
 * Threading: pure functions over constant data; safe from any thread.
 */
#include <string.h>

#include "domain/roles.h"

struct role_row {
	enum role   role;
	const char *name;
	unsigned    perms;
};

#define ROLE_PERMS_VOLUNTEER (PERM_PEOPLE_READ | PERM_PEOPLE_WRITE)
#define ROLE_PERMS_STAFF     (ROLE_PERMS_VOLUNTEER | PERM_PEOPLE_MERGE | PERM_DEMOGRAPHICS_READ | \
                              PERM_PEOPLE_READ_ALL | PERM_PIPELINE_MANAGE | PERM_MAIL_MANAGE)
#define ROLE_PERMS_ADMIN     (ROLE_PERMS_STAFF | PERM_AUDIT_READ | PERM_USERS_ADMIN | \
                              PERM_PIPELINE_ADMIN)

static const struct role_row role_table[] = {
	{ ROLE_NONE,      "none",      0 },
	{ ROLE_VOLUNTEER, "volunteer", ROLE_PERMS_VOLUNTEER },
	{ ROLE_STAFF,     "staff",     ROLE_PERMS_STAFF },
	{ ROLE_ADMIN,     "admin",     ROLE_PERMS_ADMIN },
};

static const struct role_row *role_row_find(enum role role)
{
	size_t i;

	for (i = 0; i < sizeof(role_table) / sizeof(role_table[0]); i++)
		if (role_table[i].role == role)
			return &role_table[i];
	return NULL;
}

enum role role_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return ROLE_NONE;
	/* Row 0 is "none", which is not a role anyone can be given. */
	for (i = 1; i < sizeof(role_table) / sizeof(role_table[0]); i++)
		if (strcmp(role_table[i].name, name) == 0)
			return role_table[i].role;
	return ROLE_NONE;
}

const char *role_name(enum role role)
{
	const struct role_row *r = role_row_find(role);

	return r != NULL ? r->name : "none";
}

unsigned role_permissions(enum role role)
{
	const struct role_row *r = role_row_find(role);

	return r != NULL ? r->perms : 0;
}

int role_can(enum role role, unsigned perm)
{
	return (role_permissions(role) & perm) == perm;
}
