/*
 * roles.h — staff roles and what each may do.
 *
 * Authorization is by permission, never by comparing roles, so a new role
 * (mentor, partner) is one row in roles.c. Every route checks a permission
 * on the server (web/authz.c); templates only hide what the server denies.
 */
#ifndef ONRAMP_ROLES_H
#define ONRAMP_ROLES_H

enum role {
	ROLE_NONE = 0,     /* anonymous visitor */
	ROLE_VOLUNTEER,
	ROLE_STAFF,
	ROLE_ADMIN,
	ROLE_COUNT
};

enum permission {
	PERM_PEOPLE_READ        = 1u << 0, /* list and open people */
	PERM_PEOPLE_WRITE       = 1u << 1, /* notes, edits */
	PERM_PEOPLE_MERGE       = 1u << 2, /* resolve duplicate flags */
	PERM_DEMOGRAPHICS_READ  = 1u << 3, /* see self-identified demographics */
	PERM_AUDIT_READ         = 1u << 4,
	PERM_USERS_ADMIN        = 1u << 5, /* create accounts, change roles */
	/* The pipeline (bits 12..14). Without PERM_PEOPLE_READ_ALL a user opens
	 * only the people assigned to them (web/page_person.c, page_call.c). */
	PERM_PEOPLE_READ_ALL    = 1u << 12, /* open any person, not only one's own */
	PERM_PIPELINE_MANAGE    = 1u << 13, /* assign, bulk actions, drop-off, funnel, volunteers */
	PERM_PIPELINE_ADMIN     = 1u << 14, /* configure the pipeline's stages */
	/* Mail (bit 16): the outbox (messages hold addresses) and templates. */
	PERM_MAIL_MANAGE        = 1u << 16, /* read the outbox, edit mail templates */
};

/* Parses "admin", "staff", "volunteer"; returns ROLE_NONE for anything else. */
enum role role_parse(const char *name);
/* Returns the role's name ("admin" …), or "none". */
const char *role_name(enum role role);
/* Returns the permission bits of the role. */
unsigned role_permissions(enum role role);
/* Returns 1 if the role has every bit of perm. */
int role_can(enum role role, unsigned perm);

#endif
