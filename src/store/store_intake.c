/*
 * store_intake.c — all SQL for intake forms, their leads' links,
 * idempotency keys, rejected leads and the compliance counters.
 *
 * Invariants: every statement is constant text with "?" parameters, in the
 * subset SQLite and PostgreSQL share; the one place the dialects differ (the
 * export's list of a person's emails and phones) picks between two constant
 * texts with db_conn_dialect(). Every statement from db_prepare() is
 * finished with db_done() on every path. The counters are written only by
 * the triggers of migration 3, never here.
 *
 * Threading: no state of its own. Functions taking a struct db_conn run on
 * whatever thread owns that connection (a reader, or the writer in a job).
 */
#include "store/store_intake.h"

#include <stdlib.h>
#include <string.h>

#include "lib/limits.h"
#include "store/sql.h"

static int store_intake_step_error(int rc)
{
	return rc < 0 ? rc : DB_ERROR;
}

int store_intake_write(struct db *db, store_intake_job_fn fn, void *arg)
{
	return db_write(db, fn, arg);
}

int store_intake_write_async(struct db *db, store_intake_job_fn fn, void *arg,
                             void (*done)(void *done_arg, int result), void *done_arg)
{
	return db_write_async(db, fn, arg, 0, done, done_arg);
}

struct db_conn *store_intake_read_begin(struct db *db)
{
	return db_read_begin(db);
}

void store_intake_read_end(struct db *db, struct db_conn *c)
{
	db_read_end(db, c);
}

/* obj[key] = copy of text column col (left out when NULL). */
static int store_intake_set_text(json_t *obj, const char *key, struct db_stmt *s, int col)
{
	const char *v = db_col_text(s, col);
	json_t *j;

	if (v == NULL)
		return 0;
	j = json_string(v);
	if (j == NULL)
		return DB_ERROR;
	return json_object_set_new(obj, key, j) == 0 ? 0 : DB_ERROR;
}

static int store_intake_set_int(json_t *obj, const char *key, long long v)
{
	return json_object_set_new(obj, key, json_integer(v)) == 0 ? 0 : DB_ERROR;
}

/* ---- forms ---- */

#define STORE_INTAKE_FORM_COLS \
	"id, name, owner, key_hint, auth, mapping, tags, rate_per_minute, active, created_at," \
	" updated_at, secret FROM intake_forms"

/* Binds f's settings as parameters 1..9: name, owner, auth, secret,
 * mapping, tags, rate_per_minute, active, at. */
static int store_intake_bind_form(struct db_stmt *s, const struct store_intake_form *f,
                                  long long at)
{
	int bad = 0;

	bad |= db_bind_text(s, 1, f->name) != DB_OK;
	bad |= db_bind_text(s, 2, f->owner ? f->owner : "") != DB_OK;
	bad |= db_bind_text(s, 3, f->auth ? f->auth : "key") != DB_OK;
	bad |= db_bind_blob(s, 4, f->secret_len ? f->secret : NULL, f->secret_len) != DB_OK;
	bad |= db_bind_text(s, 5, f->mapping ? f->mapping : "{}") != DB_OK;
	bad |= db_bind_text(s, 6, f->tags ? f->tags : "[]") != DB_OK;
	bad |= db_bind_int(s, 7, f->rate_per_minute) != DB_OK;
	bad |= db_bind_int(s, 8, f->active ? 1 : 0) != DB_OK;
	bad |= db_bind_int(s, 9, at) != DB_OK;
	return bad ? DB_ERROR : 0;
}

int store_intake_form_insert(struct db_conn *c, const struct store_intake_form *f,
                             const char *key_hash, const char *key_hint, long long at,
                             long long *id)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO intake_forms (name, owner, auth, secret, mapping, tags, rate_per_minute,"
		" active, created_at, updated_at, key_hash, key_hint)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (store_intake_bind_form(s, f, at) < 0 || db_bind_int(s, 10, at) != DB_OK ||
	    db_bind_text(s, 11, key_hash) != DB_OK || db_bind_text(s, 12, key_hint) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		*id = db_col_int(s, 0);
	db_done(s);
	return rc == DB_ROW ? 0 : store_intake_step_error(rc);
}

int store_intake_form_update(struct db_conn *c, long long id, const struct store_intake_form *f,
                             long long at)
{
	struct db_stmt *s = db_prepare(c,
		"UPDATE intake_forms SET name = ?, owner = ?, auth = ?, secret = ?, mapping = ?,"
		" tags = ?, rate_per_minute = ?, active = ?, updated_at = ? WHERE id = ?");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (store_intake_bind_form(s, f, at) < 0 || db_bind_int(s, 10, id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	if ((rc = db_run(s)) < 0)
		return rc;
	return db_changes(c) > 0 ? 1 : 0;
}

int store_intake_form_set_key(struct db_conn *c, long long id, const char *key_hash,
                              const char *key_hint, long long at)
{
	struct db_stmt *s = db_prepare(c,
		"UPDATE intake_forms SET key_hash = ?, key_hint = ?, updated_at = ? WHERE id = ?");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, key_hash) != DB_OK || db_bind_text(s, 2, key_hint) != DB_OK ||
	    db_bind_int(s, 3, at) != DB_OK || db_bind_int(s, 4, id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	if ((rc = db_run(s)) < 0)
		return rc;
	return db_changes(c) > 0 ? 1 : 0;
}

/* Reads the current row of a STORE_INTAKE_FORM_COLS statement. */
static int store_intake_form_row(struct db_stmt *s, json_t **row, unsigned char **secret,
                                 size_t *secret_len)
{
	json_t *obj = json_object();
	const void *blob;
	size_t len = 0;

	if (obj == NULL)
		return DB_ERROR;
	if (store_intake_set_int(obj, "id", db_col_int(s, 0)) < 0 ||
	    store_intake_set_text(obj, "name", s, 1) < 0 ||
	    store_intake_set_text(obj, "owner", s, 2) < 0 ||
	    store_intake_set_text(obj, "key_hint", s, 3) < 0 ||
	    store_intake_set_text(obj, "auth", s, 4) < 0 ||
	    store_intake_set_text(obj, "mapping", s, 5) < 0 ||
	    store_intake_set_text(obj, "tags", s, 6) < 0 ||
	    store_intake_set_int(obj, "rate_per_minute", db_col_int(s, 7)) < 0 ||
	    json_object_set_new(obj, "active", json_boolean(db_col_int(s, 8) != 0)) < 0 ||
	    store_intake_set_int(obj, "created_at", db_col_int(s, 9)) < 0 ||
	    store_intake_set_int(obj, "updated_at", db_col_int(s, 10)) < 0)
		goto fail;
	if (secret) {
		*secret = NULL;
		*secret_len = 0;
		if (!db_col_is_null(s, 11)) {
			blob = db_col_blob(s, 11, &len);
			if (blob && len) {
				*secret = malloc(len);
				if (*secret == NULL)
					goto fail;
				memcpy(*secret, blob, len);
				*secret_len = len;
			}
		}
	}
	*row = obj;
	return 0;
fail:
	json_decref(obj);
	return DB_ERROR;
}

/* Runs a one-row form lookup bound to an int (by_id) or a text. */
static int store_intake_form_get(struct db_stmt *s, long long id, const char *text, json_t **row,
                                 unsigned char **secret, size_t *secret_len)
{
	int rc;

	*row = NULL;
	if (s == NULL)
		return DB_ERROR;
	if ((text ? db_bind_text(s, 1, text) : db_bind_int(s, 1, id)) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		rc = store_intake_form_row(s, row, secret, secret_len) < 0 ? DB_ERROR : 1;
	else
		rc = rc == DB_DONE ? 0 : store_intake_step_error(rc);
	db_done(s);
	return rc;
}

int store_intake_form_load(struct db_conn *c, long long id, json_t **row,
                           unsigned char **secret, size_t *secret_len)
{
	return store_intake_form_get(db_prepare(c, "SELECT " STORE_INTAKE_FORM_COLS " WHERE id = ?"),
	                             id, NULL, row, secret, secret_len);
}

int store_intake_form_by_key(struct db_conn *c, const char *key_hash, json_t **row,
                             unsigned char **secret, size_t *secret_len)
{
	return store_intake_form_get(
		db_prepare(c, "SELECT " STORE_INTAKE_FORM_COLS " WHERE key_hash = ?"), 0, key_hash,
		row, secret, secret_len);
}

int store_intake_forms_list(struct db_conn *c, json_t **rows)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT f.id, f.name, f.owner, f.key_hint, f.auth, f.mapping, f.tags,"
		" f.rate_per_minute, f.active, f.created_at, f.updated_at, NULL,"
		" COALESCE(l.value, 0), COALESCE(r.value, 0) FROM intake_forms f"
		" LEFT JOIN intake_counters l ON l.name = 'form_leads' AND l.bucket = CAST(f.id AS TEXT)"
		" LEFT JOIN intake_counters r ON r.name = 'form_rejected' AND r.bucket = CAST(f.id AS TEXT)"
		" ORDER BY f.name, f.id");
	json_t *arr = NULL, *row = NULL;
	int rc;

	*rows = NULL;
	if (s == NULL)
		return DB_ERROR;
	arr = json_array();
	if (arr == NULL)
		goto fail;
	while ((rc = db_step(s)) == DB_ROW) {
		if (store_intake_form_row(s, &row, NULL, NULL) < 0)
			goto fail;
		if (store_intake_set_int(row, "leads", db_col_int(s, 12)) < 0 ||
		    store_intake_set_int(row, "rejected", db_col_int(s, 13)) < 0 ||
		    json_array_append_new(arr, row) < 0) {
			json_decref(row);
			goto fail;
		}
	}
	if (rc != DB_DONE)
		goto fail;
	db_done(s);
	*rows = arr;
	return 0;
fail:
	db_done(s);
	json_decref(arr);
	return DB_ERROR;
}

/* ---- a lead's own rows ---- */

/* SQLite's bulk job at the end of a group (db_write_defer): once
 * LIMIT_INTAKE_FORM_LIST_AT submissions wait, they join form_submissions
 * in one statement, sorted by form, so each form's page is written once
 * for all of them. SQLite's single writer commits ids in order, so the
 * watermark (intake_index_state) is exact. */
static int store_intake_form_list_due(struct db_conn *c, long long key)
{
	long long upto = 0, last = 0;
	struct db_stmt *s;
	int rc;

	(void)key;
	if ((rc = db_step_int(db_prepare(c, "SELECT v FROM intake_index_state"
	                                    " WHERE k = 'form_submissions_upto'"), &upto)) < 0 ||
	    (rc = db_step_int(db_prepare(c, "SELECT coalesce(max(id), 0) FROM submissions"),
	                      &last)) < 0)
		return rc;
	if (last - upto < LIMIT_INTAKE_FORM_LIST_AT)
		return 0;
	/* (OR IGNORE: after a copy-data the list may hold some already) */
	s = db_prepare(c, "INSERT OR IGNORE INTO form_submissions (form_id, submission_id)"
	                  " SELECT form_id, id FROM submissions WHERE id > ?1 AND id <= ?2"
	                  " AND form_id IS NOT NULL ORDER BY form_id, id");
	if (s == NULL || db_bind_int(s, 1, upto) != DB_OK || db_bind_int(s, 2, last) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	if ((rc = db_run(s)) < 0)
		return rc;
	return db_exec_cached_int(c, "UPDATE intake_index_state SET v = ?"
	                             " WHERE k = 'form_submissions_upto'", last);
}

int store_intake_form_list_add(struct db_conn *c, long long form_id, long long submission_id)
{
	struct db_stmt *s;

	if (db_conn_dialect(c) == DB_DIALECT_SQLITE)
		return db_write_defer(c, store_intake_form_list_due, 0);
	/* PostgreSQL: row by row (nodes' ids may commit out of order) */
	s = db_prepare(c, "INSERT INTO form_submissions (form_id, submission_id) VALUES (?, ?)");
	if (s == NULL || db_bind_int(s, 1, form_id) != DB_OK ||
	    db_bind_int(s, 2, submission_id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return db_run(s);
}

int store_intake_idem_find(struct db_conn *c, long long form_id, const char *key,
                           long long *person_id, long long *submission_id)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT person_id, submission_id FROM intake_idempotency WHERE form_id = ? AND key = ?");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, form_id) != DB_OK || db_bind_text(s, 2, key) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW) {
		*person_id = db_col_int(s, 0);
		*submission_id = db_col_int(s, 1);
	}
	db_done(s);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : store_intake_step_error(rc);
}

int store_intake_idem_insert(struct db_conn *c, long long form_id, const char *key,
                             long long person_id, long long submission_id, long long at)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO intake_idempotency (form_id, key, person_id, submission_id, created_at)"
		" VALUES (?, ?, ?, ?, ?)");

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, form_id) != DB_OK || db_bind_text(s, 2, key) != DB_OK ||
	    db_bind_int(s, 3, person_id) != DB_OK || db_bind_int(s, 4, submission_id) != DB_OK ||
	    db_bind_int(s, 5, at) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return db_run(s);
}

int store_intake_recent(struct db_conn *c, long long form_id, int limit, json_t **rows)
{
	/* The form's list, and on SQLite the submissions newer than the
	 * list's watermark (at most LIMIT_INTAKE_FORM_LIST_AT and a group:
	 * a short walk back from the newest id). PostgreSQL's list is whole. */
	struct db_stmt *s = db_conn_dialect(c) == DB_DIALECT_POSTGRES ? db_prepare(c,
		"SELECT s.id, s.person_id, p.first_name, p.last_name, s.received_at, s.custom"
		" FROM form_submissions f JOIN submissions s ON s.id = f.submission_id"
		" LEFT JOIN people p ON p.id = s.person_id"
		" WHERE f.form_id = ?1 ORDER BY f.submission_id DESC LIMIT ?2") : db_prepare(c,
		"SELECT s.id, s.person_id, p.first_name, p.last_name, s.received_at, s.custom"
		" FROM submissions s LEFT JOIN people p ON p.id = s.person_id"
		" WHERE s.id IN ("
		"  SELECT id FROM (SELECT id FROM submissions WHERE form_id = ?1 AND id >"
		"   (SELECT v FROM intake_index_state WHERE k = 'form_submissions_upto')"
		"   ORDER BY id DESC LIMIT ?2) t"
		"  UNION ALL SELECT submission_id FROM (SELECT submission_id FROM form_submissions"
		"   WHERE form_id = ?1 ORDER BY submission_id DESC LIMIT ?2) u)"
		" ORDER BY s.id DESC LIMIT ?2");
	json_t *arr = NULL, *row;
	const char *first, *last;
	int rc;

	*rows = NULL;
	if (s == NULL)
		return DB_ERROR;
	arr = json_array();
	if (arr == NULL || db_bind_int(s, 1, form_id) != DB_OK || db_bind_int(s, 2, limit) != DB_OK)
		goto fail;
	while ((rc = db_step(s)) == DB_ROW) {
		row = json_object();
		if (row == NULL || json_array_append_new(arr, row) < 0)
			goto fail;
		first = db_col_text(s, 2);
		last = db_col_text(s, 3);
		if (store_intake_set_int(row, "submission_id", db_col_int(s, 0)) < 0 ||
		    store_intake_set_int(row, "person_id", db_col_int(s, 1)) < 0 ||
		    json_object_set_new(row, "first_name", json_string(first ? first : "")) < 0 ||
		    json_object_set_new(row, "last_name", json_string(last ? last : "")) < 0 ||
		    store_intake_set_int(row, "received_at", db_col_int(s, 4)) < 0 ||
		    store_intake_set_text(row, "custom", s, 5) < 0)
			goto fail;
	}
	if (rc != DB_DONE)
		goto fail;
	db_done(s);
	*rows = arr;
	return 0;
fail:
	db_done(s);
	json_decref(arr);
	return DB_ERROR;
}

/* ---- rejected leads ---- */

int store_intake_rejected_insert(struct db_conn *c, long long form_id, const void *input,
                                 size_t input_len, const char *errors, long long at,
                                 long long *id)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO rejected_leads (form_id, input, errors, status, received_at)"
		" VALUES (?, ?, ?, 'open', ?) RETURNING id");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, form_id) != DB_OK || db_bind_blob(s, 2, input, input_len) != DB_OK ||
	    db_bind_text(s, 3, errors) != DB_OK || db_bind_int(s, 4, at) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		*id = db_col_int(s, 0);
	db_done(s);
	return rc == DB_ROW ? 0 : store_intake_step_error(rc);
}

int store_intake_rejected_list(struct db_conn *c, long long form_id, int limit, json_t **rows)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT id, form_id, errors, received_at FROM rejected_leads"
		" WHERE status = 'open' AND (? = 0 OR form_id = ?)"
		" ORDER BY received_at DESC, id DESC LIMIT ?");
	json_t *arr = NULL, *row;
	int rc;

	*rows = NULL;
	if (s == NULL)
		return DB_ERROR;
	arr = json_array();
	if (arr == NULL || db_bind_int(s, 1, form_id) != DB_OK ||
	    db_bind_int(s, 2, form_id) != DB_OK || db_bind_int(s, 3, limit) != DB_OK)
		goto fail;
	while ((rc = db_step(s)) == DB_ROW) {
		row = json_object();
		if (row == NULL || json_array_append_new(arr, row) < 0)
			goto fail;
		if (store_intake_set_int(row, "id", db_col_int(s, 0)) < 0 ||
		    store_intake_set_int(row, "form_id", db_col_int(s, 1)) < 0 ||
		    store_intake_set_text(row, "errors", s, 2) < 0 ||
		    store_intake_set_int(row, "received_at", db_col_int(s, 3)) < 0)
			goto fail;
	}
	if (rc != DB_DONE)
		goto fail;
	db_done(s);
	*rows = arr;
	return 0;
fail:
	db_done(s);
	json_decref(arr);
	return DB_ERROR;
}

int store_intake_rejected_load(struct db_conn *c, long long id, json_t **row,
                               unsigned char **input, size_t *input_len)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT id, form_id, errors, status, received_at, person_id, input"
		" FROM rejected_leads WHERE id = ?");
	json_t *obj = NULL;
	const void *blob;
	size_t len = 0;
	int rc;

	*row = NULL;
	*input = NULL;
	*input_len = 0;
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc != DB_ROW) {
		db_done(s);
		return rc == DB_DONE ? 0 : store_intake_step_error(rc);
	}
	obj = json_object();
	if (obj == NULL || store_intake_set_int(obj, "id", db_col_int(s, 0)) < 0 ||
	    store_intake_set_int(obj, "form_id", db_col_int(s, 1)) < 0 ||
	    store_intake_set_text(obj, "errors", s, 2) < 0 ||
	    store_intake_set_text(obj, "status", s, 3) < 0 ||
	    store_intake_set_int(obj, "received_at", db_col_int(s, 4)) < 0 ||
	    (!db_col_is_null(s, 5) && store_intake_set_int(obj, "person_id", db_col_int(s, 5)) < 0))
		goto fail;
	blob = db_col_blob(s, 6, &len);
	if (blob && len) {
		*input = malloc(len);
		if (*input == NULL)
			goto fail;
		memcpy(*input, blob, len);
		*input_len = len;
	}
	db_done(s);
	*row = obj;
	return 1;
fail:
	db_done(s);
	json_decref(obj);
	return DB_ERROR;
}

int store_intake_rejected_resolve(struct db_conn *c, long long id, long long person_id,
                                  long long by, long long at)
{
	struct db_stmt *s = db_prepare(c,
		"UPDATE rejected_leads SET status = 'replayed', person_id = ?, replayed_by = ?,"
		" replayed_at = ? WHERE id = ? AND status = 'open'");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, person_id) != DB_OK ||
	    (by > 0 ? db_bind_int(s, 2, by) : db_bind_null(s, 2)) != DB_OK ||
	    db_bind_int(s, 3, at) != DB_OK || db_bind_int(s, 4, id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	if ((rc = db_run(s)) < 0)
		return rc;
	return db_changes(c) > 0 ? 1 : 0;
}

/* ---- counts ---- */

/* Appends {name, bucket, value} for every row of s (3 columns). */
static int store_intake_counter_rows(struct db_stmt *s, json_t **rows)
{
	json_t *arr = NULL, *row;
	const char *name, *bucket;
	int rc;

	*rows = NULL;
	if (s == NULL)
		return DB_ERROR;
	arr = json_array();
	if (arr == NULL)
		goto fail;
	while ((rc = db_step(s)) == DB_ROW) {
		name = db_col_text(s, 0);
		bucket = db_col_text(s, 1);
		row = json_pack("{s:s, s:s, s:I}", "name", name ? name : "", "bucket",
		                bucket ? bucket : "", "value", (json_int_t)db_col_int(s, 2));
		if (row == NULL || json_array_append_new(arr, row) < 0)
			goto fail;
	}
	if (rc != DB_DONE)
		goto fail;
	db_done(s);
	*rows = arr;
	return 0;
fail:
	db_done(s);
	json_decref(arr);
	return DB_ERROR;
}

int store_intake_counters(struct db_conn *c, json_t **rows)
{
	return store_intake_counter_rows(db_prepare(c,
		"SELECT name, bucket, value FROM intake_counters WHERE value <> 0"
		" ORDER BY name, bucket"), rows);
}

int store_intake_recount(struct db_conn *c, json_t **rows)
{
	return store_intake_counter_rows(db_prepare(c,
		"SELECT name, bucket, value FROM ("
		" SELECT 'people' AS name, '' AS bucket, COUNT(*) AS value FROM people"
		" UNION ALL SELECT 'emails', '', COUNT(*) FROM person_emails"
		" UNION ALL SELECT 'phones', '', COUNT(*) FROM person_phones"
		" UNION ALL SELECT 'leads', '', COUNT(*) FROM submissions WHERE status = 'accepted'"
		" UNION ALL SELECT 'leads_day', CAST(received_at / 86400 AS TEXT), COUNT(*)"
		"  FROM submissions WHERE status = 'accepted' GROUP BY received_at / 86400"
		" UNION ALL SELECT 'form_leads', CAST(form_id AS TEXT), COUNT(*)"
		"  FROM submissions WHERE form_id IS NOT NULL GROUP BY form_id"
		" UNION ALL SELECT 'partner_leads', partner, COUNT(*)"
		"  FROM submissions WHERE form_id IS NOT NULL GROUP BY partner"
		" UNION ALL SELECT 'form_rejected', CAST(form_id AS TEXT), COUNT(*)"
		"  FROM rejected_leads GROUP BY form_id"
		") t WHERE value <> 0 ORDER BY name, bucket"), rows);
}

/* The export's one dialect difference: aggregating a person's emails and
 * phones into one sorted, ";"-separated text. */
static const char store_intake_export_sqlite[] =
	"SELECT p.id, p.first_name, p.last_name,"
	" (SELECT group_concat(email, ';') FROM"
	"   (SELECT email FROM person_emails WHERE person_id = p.id ORDER BY email)),"
	" (SELECT group_concat(phone, ';') FROM"
	"   (SELECT phone FROM person_phones WHERE person_id = p.id ORDER BY phone)),"
	" p.state, p.zip, p.created_at FROM people p ORDER BY p.id";
static const char store_intake_export_postgres[] =
	"SELECT p.id, p.first_name, p.last_name,"
	" (SELECT string_agg(email, ';' ORDER BY email) FROM person_emails WHERE person_id = p.id),"
	" (SELECT string_agg(phone, ';' ORDER BY phone) FROM person_phones WHERE person_id = p.id),"
	" p.state, p.zip, p.created_at FROM people p ORDER BY p.id";

int store_intake_export_each(struct db_conn *c, store_intake_export_fn fn, void *arg)
{
	struct db_stmt *s = db_prepare(c, db_conn_dialect(c) == DB_DIALECT_SQLITE
	                                          ? store_intake_export_sqlite
	                                          : store_intake_export_postgres);
	const char *v[4];
	int rc, frc, i;

	if (s == NULL)
		return DB_ERROR;
	while ((rc = db_step(s)) == DB_ROW) {
		for (i = 0; i < 4; i++)
			v[i] = db_col_text(s, i + 1);
		frc = fn(db_col_int(s, 0), v[0], v[1], v[2], v[3], db_col_text(s, 5),
		         db_col_text(s, 6), db_col_int(s, 7), arg);
		if (frc < 0) {
			db_done(s);
			return frc;
		}
	}
	db_done(s);
	return rc == DB_DONE ? 0 : store_intake_step_error(rc);
}
