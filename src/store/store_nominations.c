/*
 * store_nominations.c — all SQL for nominations. See store_nominations.h.
 *
 * Invariants: constant SQL with "?" parameters, the same text on SQLite
 * and PostgreSQL; every statement finished with db_done() on every path.
 * Threading: no state of its own.
 */
#include "store/store_nominations.h"

#include "store/sql.h"

int store_nomination_insert(struct db_conn *c, const struct store_nomination *n, long long *id)
{
	struct db_stmt *s = db_prepare(c, "INSERT INTO nominations (token_hash, nominee_person_id,"
	                                  " nominator_person_id, nominator_name, nominee_name, reason,"
	                                  " status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'invited', ?)"
	                                  " RETURNING id");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, n->token_hash);
	if (n->nominee_person_id > 0)
		db_bind_int(s, 2, n->nominee_person_id);
	else
		db_bind_null(s, 2);
	if (n->nominator_person_id > 0)
		db_bind_int(s, 3, n->nominator_person_id);
	else
		db_bind_null(s, 3);
	db_bind_text(s, 4, n->nominator_name);
	db_bind_text(s, 5, n->nominee_name);
	db_bind_text(s, 6, n->reason);
	db_bind_int(s, 7, n->created_at);
	rc = db_step(s);
	if (rc == DB_ROW)
		*id = db_col_int(s, 0);
	db_done(s);
	return rc == DB_ROW ? 0 : (rc < 0 ? rc : DB_ERROR);
}

/* Sets key to the integer column i unless it is NULL. */
static int store_nomination_set_int(json_t *row, const char *key, struct db_stmt *s, int i)
{
	if (db_col_is_null(s, i))
		return 0;
	return json_object_set_new(row, key, json_integer(db_col_int(s, i)));
}

static int store_nomination_set_text(json_t *row, const char *key, struct db_stmt *s, int i)
{
	const char *v = db_col_text(s, i);

	if (v == NULL)
		return 0;
	return json_object_set_new(row, key, json_string(v));
}

int store_nomination_find(struct db_conn *c, const char *token_hash, json_t **row)
{
	struct db_stmt *s = db_prepare(c, "SELECT id, nominee_person_id, nominator_person_id,"
	                                  " nominator_name, nominee_name, reason, status, created_at,"
	                                  " accepted_person_id FROM nominations WHERE token_hash = ?");
	json_t *r;
	int rc, bad = 0;

	*row = NULL;
	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, token_hash);
	rc = db_step(s);
	if (rc != DB_ROW) {
		db_done(s);
		return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
	}
	r = json_object();
	bad |= r == NULL;
	if (r) {
		bad |= store_nomination_set_int(r, "id", s, 0) < 0;
		bad |= store_nomination_set_int(r, "nominee_person_id", s, 1) < 0;
		bad |= store_nomination_set_int(r, "nominator_person_id", s, 2) < 0;
		bad |= store_nomination_set_text(r, "nominator_name", s, 3) < 0;
		bad |= store_nomination_set_text(r, "nominee_name", s, 4) < 0;
		bad |= store_nomination_set_text(r, "reason", s, 5) < 0;
		bad |= store_nomination_set_text(r, "status", s, 6) < 0;
		bad |= store_nomination_set_int(r, "created_at", s, 7) < 0;
		bad |= store_nomination_set_int(r, "accepted_person_id", s, 8) < 0;
	}
	db_done(s);
	if (bad) {
		json_decref(r);
		return DB_ERROR;
	}
	*row = r;
	return 1;
}

int store_nomination_accept(struct db_conn *c, long long id, long long person_id, long long at)
{
	struct db_stmt *s = db_prepare(c, "UPDATE nominations SET status = 'accepted', accepted_at = ?,"
	                                  " accepted_person_id = ? WHERE id = ? AND status = 'invited'");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, at);
	db_bind_int(s, 2, person_id);
	db_bind_int(s, 3, id);
	rc = db_step(s);
	db_done(s);
	if (rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;
	return db_changes(c) > 0 ? 1 : 0;
}

int store_nomination_repoint(struct db_conn *c, long long from, long long to)
{
	struct db_stmt *s = db_prepare(c, "UPDATE nominations SET nominee_person_id = ?"
	                                  " WHERE nominee_person_id = ?");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, to);
	db_bind_int(s, 2, from);
	rc = db_step(s);
	db_done(s);
	if (rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;
	s = db_prepare(c, "UPDATE nominations SET nominator_person_id = ? WHERE nominator_person_id = ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, to);
	db_bind_int(s, 2, from);
	rc = db_step(s);
	db_done(s);
	if (rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;
	s = db_prepare(c, "UPDATE mail_outbox SET person_id = ? WHERE person_id = ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, to);
	db_bind_int(s, 2, from);
	rc = db_step(s);
	db_done(s);
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
}

int store_nomination_set_person(struct db_conn *c, long long id, long long person_id)
{
	struct db_stmt *s = db_prepare(c, "UPDATE nominations SET accepted_person_id = ? WHERE id = ?");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, person_id);
	db_bind_int(s, 2, id);
	rc = db_step(s);
	db_done(s);
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
}

int store_nominations_for_person(struct db_conn *c, long long person_id, json_t **rows)
{
	struct db_stmt *s = db_prepare(c, "SELECT id, nominator_name, nominator_person_id, reason,"
	                                  " status, created_at, accepted_at FROM nominations"
	                                  " WHERE nominee_person_id = ? OR accepted_person_id = ?"
	                                  " ORDER BY created_at DESC, id DESC LIMIT 50");
	json_t *list, *r;
	int rc, bad = 0;

	*rows = NULL;
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, person_id);
	db_bind_int(s, 2, person_id);
	list = json_array();
	if (list == NULL) {
		db_done(s);
		return DB_ERROR;
	}
	while (!bad && (rc = db_step(s)) == DB_ROW) {
		r = json_object();
		bad |= r == NULL || json_array_append_new(list, r) < 0;
		if (bad)
			break;
		bad |= store_nomination_set_int(r, "id", s, 0) < 0;
		bad |= store_nomination_set_text(r, "nominator_name", s, 1) < 0;
		bad |= store_nomination_set_int(r, "nominator_person_id", s, 2) < 0;
		bad |= store_nomination_set_text(r, "reason", s, 3) < 0;
		bad |= store_nomination_set_text(r, "status", s, 4) < 0;
		bad |= store_nomination_set_int(r, "created_at", s, 5) < 0;
		bad |= store_nomination_set_int(r, "accepted_at", s, 6) < 0;
	}
	db_done(s);
	if (bad || rc != DB_DONE) {
		json_decref(list);
		return rc < 0 ? rc : DB_ERROR;
	}
	*rows = list;
	return 0;
}
