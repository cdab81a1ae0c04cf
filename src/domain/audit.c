/*
 * audit.c — reading the audit log for the admin page. See audit.h.
 *
 * Entries are written by the domain functions that make changes (through
 * store_audit_append, inside their own writer jobs); this file only lists
 * them. Paging is clamped here so a request cannot ask for an unbounded
 * page. Threading: no state; any thread.
 */
#include "domain/audit.h"

#include "lib/limits.h"
#include "lib/log.h"
#include "store/store_audit.h"

int audit_list(struct db *db, int page, int per_page, json_t **rows, long long *total)
{
	int rc;

	*rows = NULL;
	*total = 0;
	if (page < 1)
		page = 1;
	if (per_page < 1)
		per_page = LIMIT_PAGE_SIZE_DEFAULT;
	if (per_page > LIMIT_PAGE_SIZE_MAX)
		per_page = LIMIT_PAGE_SIZE_MAX;
	rc = store_audit_page(db, page, per_page, rows, total);
	if (rc < 0) {
		log_error("audit_list: database error %d", rc);
		return -1;
	}
	return 0;
}

int audit_verify(struct db *db, long long *entries, long long *first_bad)
{
	int rc = store_audit_verify_db(db, first_bad, entries);

	if (rc < 0) {
		log_error("audit_verify: database error %d", rc);
		return -1;
	}
	return rc == 1 ? 1 : 0;
}
