/*
 * store_people.c — all SQL for people, emails, phones, choices, submissions,
 * duplicate flags, notes and the people_fts search index.
 *
 * Invariants: every statement is constant text with "?" parameters (the
 * search statements are assembled from constant fragments at compile time;
 * nothing is built from input at run time). Every statement from
 * db_prepare() is finished with db_done() on every path. people_fts holds
 * exactly one row per person (rowid = people.id), rewritten by
 * store_people_fts_refresh() whenever a name, contact or ZIP changes and
 * deleted with the person.
 *
 * Search: one statement per (driving index, sort order), chosen by which
 * filters are present, so SQLite always walks an index that narrows the
 * rows or already gives the order — never a full scan plus sort of every
 * person (see the plans in test_people.c: test_search_plans_use_indexes).
 *
 * PostgreSQL: the search index is people_search (one tsvector per person:
 * name weight A, contact B, ZIP C, GIN-indexed). Its text is cut into words
 * here the way FTS5's unicode61 tokenizer cuts it (every ASCII character
 * that is not a letter or a digit separates words), so both engines find
 * the same people; a query term becomes a prefix phrase ('ana' <-> 'ex':*)
 * and the terms are ANDed, as in FTS5.
 *
 * Threading: no state of its own. Functions taking a struct db_conn run on
 * whatever thread owns that connection (a reader, or the writer inside a
 * job).
 */
#include "store/store_people.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "store/sql.h"
#include "store/store_pipeline.h"
#include "store/store_search_queue.h"

_Static_assert(STORE_PEOPLE_RETRY == DB_RETRY, "store_people.h mirrors DB_RETRY");

/* Longest text of one person's search "contact" column. A person may in
 * principle collect many emails through merges; past this, further ones are
 * left out of the index (they still dedupe: person_emails is the truth). */
#define STORE_FTS_CONTACT_MAX (8 * (LIMIT_EMAIL + 1) + 8 * 48)
/* Longest FTS5 query built from a search: each input byte becomes at most
 * two bytes, plus quotes, star and space per term. */
#define STORE_FTS_QUERY_MAX (4 * LIMIT_SHORT_TEXT + 64)

/* Maps a db_step() result that is not the expected one to an error. */
static int store_people_step_error(int rc)
{
	return rc < 0 ? rc : DB_ERROR;
}

/* The same for a write whose job needs only "done or failed" (no rows, no
 * db_changes): on PostgreSQL it rides with the job's next round trip. */
static int store_people_run_deferred(struct db_stmt *s)
{
	int rc = db_step_deferred(s);

	db_done(s);
	return rc == DB_DONE ? 0 : store_people_step_error(rc);
}

int store_people_write(struct db *db, store_people_job_fn fn, void *arg)
{
	return db_write(db, fn, arg);
}

int store_people_write_rerunnable(struct db *db, store_people_job_fn fn, void *arg)
{
	return db_write_rerunnable(db, fn, arg);
}

int store_people_write_async(struct db *db, store_people_job_fn fn, void *arg,
                             void (*done)(void *done_arg, int result), void *done_arg)
{
	return db_write_async(db, fn, arg, 1, done, done_arg);
}

struct db_conn *store_people_read_begin(struct db *db)
{
	return db_read_begin(db);
}

void store_people_read_end(struct db *db, struct db_conn *c)
{
	db_read_end(db, c);
}

/* Binds v, or NULL for an id of 0 (foreign keys to users and people use
 * NULL for "none"). */
static int store_people_bind_id(struct db_stmt *s, int i, long long v)
{
	return v > 0 ? db_bind_int(s, i, v) : db_bind_null(s, i);
}

/* Sets obj[key] to a copy of a text column, leaving NULL out. */
static int store_people_set_text(json_t *obj, const char *key, struct db_stmt *s, int col)
{
	const char *v = db_col_text(s, col);
	json_t *j;

	if (v == NULL)
		return 0;
	j = json_string(v);
	if (j == NULL)
		return DB_ERROR;  /* not UTF-8: the row was not written by us */
	return json_object_set_new(obj, key, j) == 0 ? 0 : DB_ERROR;
}

/* Like store_people_set_text, but a NULL column becomes json null. */
static int store_people_set_text_or_null(json_t *obj, const char *key, struct db_stmt *s, int col)
{
	if (db_col_is_null(s, col))
		return json_object_set_new(obj, key, json_null()) == 0 ? 0 : DB_ERROR;
	return store_people_set_text(obj, key, s, col);
}

static int store_people_set_int(json_t *obj, const char *key, long long v)
{
	return json_object_set_new(obj, key, json_integer(v)) == 0 ? 0 : DB_ERROR;
}

/* ---- lookups by identifier ---- */

static int store_people_find_one(struct db_stmt *s, const char *value, long long *person_id)
{
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, value) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return db_step_int(s, person_id);
}

int store_people_find_by_email(struct db_conn *c, const char *email, long long *person_id)
{
	return store_people_find_one(
		db_prepare(c, "SELECT person_id FROM person_emails WHERE email = ?"), email, person_id);
}

int store_people_find_by_phone(struct db_conn *c, const char *phone, long long *person_id)
{
	return store_people_find_one(
		db_prepare(c, "SELECT person_id FROM person_phones WHERE phone = ?"), phone, person_id);
}

/* ---- people rows ---- */

/* The text columns in the order of the statements below (parameters 1..14). */
static const char *const store_people_text_cols[] = {
	"first_name", "last_name", "preferred_name", "address1", "address2", "city", "state",
	"zip", "birth_date", "age_range", "issues", "why_run", "source", "ref_code",
};
#define STORE_PEOPLE_NTEXT \
	((int)(sizeof(store_people_text_cols) / sizeof(store_people_text_cols[0])))
/* Then consent_email, consent_sms, consent_share (15..17), demographics
 * (18), created_at (19), updated_at (20). */
static const char *const store_people_consent_cols[] = {
	"consent_email", "consent_sms", "consent_share",
};

#define STORE_PEOPLE_INSERT \
	"INSERT INTO people (first_name, last_name, preferred_name, address1, address2, city," \
	" state, zip, birth_date, age_range, issues, why_run, source, ref_code," \
	" consent_email, consent_sms, consent_share, demographics, created_at, updated_at)" \
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
/* PostgreSQL reads the new id from RETURNING; SQLite from db_last_insert_id. */
static const char store_people_insert_sql[] = STORE_PEOPLE_INSERT " RETURNING id";
static const char store_people_insert_sqlite[] = STORE_PEOPLE_INSERT;

/* PostgreSQL: one statement; an update that leaves every indexed column as
 * it was is a heap-only tuple update there and touches no index. */
static const char store_people_update_sql[] =
	"UPDATE people SET first_name = ?, last_name = ?, preferred_name = ?, address1 = ?,"
	" address2 = ?, city = ?, state = ?, zip = ?, birth_date = ?, age_range = ?, issues = ?,"
	" why_run = ?, source = ?, ref_code = ?, consent_email = ?, consent_sms = ?,"
	" consent_share = ?, demographics = ?, created_at = ?, updated_at = ? WHERE id = ?";

/* SQLite: two statements. SQLite rewrites the entries of every index whose
 * column an UPDATE assigns, even to the value it already has: one statement
 * setting every column would rewrite all the people indexes for each repeat
 * signup, dirtying a random leaf page of each (most of a busy intake's
 * write-ahead log). So the first statement sets only the columns no index
 * covers, and the second the indexed ones (first_name, last_name, state,
 * source, created_at: the people indexes of schema.c and schema_search.c)
 * only when one of them differs from the stored value; ?21 is the id. */
static const char store_people_update_plain_sql[] =
	"UPDATE people SET preferred_name = ?3, address1 = ?4, address2 = ?5, city = ?6,"
	" zip = ?8, birth_date = ?9, age_range = ?10, issues = ?11, why_run = ?12,"
	" ref_code = ?14, consent_email = ?15, consent_sms = ?16, consent_share = ?17,"
	" demographics = ?18, updated_at = ?20 WHERE id = ?21";

static const char store_people_update_indexed_sql[] =
	"UPDATE people SET first_name = ?1, last_name = ?2, state = ?7, source = ?13,"
	" created_at = ?19 WHERE id = ?21 AND (first_name IS NOT ?1 OR last_name IS NOT ?2"
	" OR state IS NOT ?7 OR source IS NOT ?13 OR created_at IS NOT ?19)";

static const char store_people_load_sql[] =
	"SELECT first_name, last_name, preferred_name, address1, address2, city, state, zip,"
	" birth_date, age_range, issues, why_run, source, ref_code,"
	" consent_email, consent_sms, consent_share, demographics, created_at, updated_at"
	" FROM people WHERE id = ?";

/* Binds parameters 1..20 from row and demo. */
static int store_people_bind_row(struct db_stmt *s, json_t *row, const void *demo, size_t demolen)
{
	int i, bad = 0;
	const char *v;
	json_t *j;

	for (i = 0; i < STORE_PEOPLE_NTEXT; i++) {
		v = json_string_value(json_object_get(row, store_people_text_cols[i]));
		bad |= db_bind_text(s, i + 1, v && *v ? v : NULL) != DB_OK;
	}
	for (i = 0; i < 3; i++) {
		j = json_object_get(row, store_people_consent_cols[i]);
		bad |= db_bind_int(s, STORE_PEOPLE_NTEXT + 1 + i, json_is_true(j) ? 1 : 0) != DB_OK;
	}
	bad |= db_bind_blob(s, 18, demo && demolen ? demo : NULL, demolen) != DB_OK;
	bad |= db_bind_int(s, 19, json_integer_value(json_object_get(row, "created_at"))) != DB_OK;
	bad |= db_bind_int(s, 20, json_integer_value(json_object_get(row, "updated_at"))) != DB_OK;
	return bad ? DB_ERROR : 0;
}

/* Steps an INSERT whose new id the caller needs: RETURNING id on
 * PostgreSQL, the connection's last rowid on SQLite. Finishes s. */
static int store_people_insert_id(struct db_conn *c, struct db_stmt *s, long long *id)
{
	int want = db_conn_dialect(c) == DB_DIALECT_SQLITE ? DB_DONE : DB_ROW;
	int rc = db_step(s);

	if (rc == want)
		*id = want == DB_ROW ? db_col_int(s, 0) : db_last_insert_id(c);
	db_done(s);
	return rc == want ? 0 : store_people_step_error(rc);
}

int store_people_insert(struct db_conn *c, json_t *row, const void *demo, size_t demolen,
                        long long *id)
{
	struct db_stmt *s = db_prepare(c, db_conn_dialect(c) == DB_DIALECT_SQLITE
	                                      ? store_people_insert_sqlite : store_people_insert_sql);

	if (s == NULL)
		return DB_ERROR;
	if (store_people_bind_row(s, row, demo, demolen) < 0) {
		db_done(s);
		return DB_ERROR;
	}
	return store_people_insert_id(c, s, id);
}

/* Runs one of the two update statements with parameters 1..21. */
static int store_people_update_step(struct db_conn *c, const char *sql, long long id,
                                    json_t *row, const void *demo, size_t demolen)
{
	struct db_stmt *s = db_prepare(c, sql);

	if (s == NULL)
		return DB_ERROR;
	if (store_people_bind_row(s, row, demo, demolen) < 0 || db_bind_int(s, 21, id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return db_run(s);
}

int store_people_update(struct db_conn *c, long long id, json_t *row, const void *demo,
                        size_t demolen)
{
	int rc;

	if (db_conn_dialect(c) == DB_DIALECT_POSTGRES)
		return store_people_update_step(c, store_people_update_sql, id, row, demo, demolen);
	rc = store_people_update_step(c, store_people_update_plain_sql, id, row, demo, demolen);
	if (rc < 0)
		return rc;
	return store_people_update_step(c, store_people_update_indexed_sql, id, row, demo, demolen);
}

int store_people_load(struct db_conn *c, long long id, json_t **row, unsigned char **demo,
                      size_t *demolen)
{
	struct db_stmt *s;
	json_t *obj = NULL;
	const void *blob;
	size_t bloblen = 0;
	unsigned char *copy = NULL;
	int i, rc;

	*row = NULL;
	if (demo) {
		*demo = NULL;
		*demolen = 0;
	}
	s = db_prepare(c, store_people_load_sql);
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc != DB_ROW) {
		db_done(s);
		return rc == DB_DONE ? 0 : store_people_step_error(rc);
	}
	rc = DB_ERROR;
	obj = json_object();
	if (obj == NULL || store_people_set_int(obj, "id", id) < 0)
		goto fail;
	for (i = 0; i < STORE_PEOPLE_NTEXT; i++)
		if (store_people_set_text(obj, store_people_text_cols[i], s, i) < 0)
			goto fail;
	for (i = 0; i < 3; i++)
		if (json_object_set_new(obj, store_people_consent_cols[i],
		                        json_boolean(db_col_int(s, STORE_PEOPLE_NTEXT + i) != 0)) < 0)
			goto fail;
	if (demo && !db_col_is_null(s, 17)) {
		blob = db_col_blob(s, 17, &bloblen);
		if (blob && bloblen) {
			copy = malloc(bloblen);
			if (copy == NULL)
				goto fail;
			memcpy(copy, blob, bloblen);
		}
	}
	if (store_people_set_int(obj, "created_at", db_col_int(s, 18)) < 0 ||
	    store_people_set_int(obj, "updated_at", db_col_int(s, 19)) < 0)
		goto fail;
	db_done(s);
	*row = obj;
	if (demo && copy) {
		*demo = copy;
		*demolen = bloblen;
	}
	return 1;
fail:
	db_done(s);
	json_decref(obj);
	free(copy);
	return rc;
}

/* Inserts (value, id, at) unless value is taken. Returns 1 added, 0 taken. */
static int store_people_claim(struct db_conn *c, struct db_stmt *s, long long id,
                              const char *value, long long at)
{
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, value) != DB_OK || db_bind_int(s, 2, id) != DB_OK ||
	    db_bind_int(s, 3, at) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_run(s);
	if (rc < 0)
		return rc;
	return db_changes(c) > 0 ? 1 : 0;
}

int store_people_email_add(struct db_conn *c, long long id, const char *email, long long at)
{
	return store_people_claim(c, db_prepare(c,
		"INSERT INTO person_emails (email, person_id, created_at) VALUES (?, ?, ?)"
		" ON CONFLICT (email) DO NOTHING"), id, email, at);
}

int store_people_phone_add(struct db_conn *c, long long id, const char *phone, long long at)
{
	return store_people_claim(c, db_prepare(c,
		"INSERT INTO person_phones (phone, person_id, created_at) VALUES (?, ?, ?)"
		" ON CONFLICT (phone) DO NOTHING"), id, phone, at);
}

int store_people_choice_add(struct db_conn *c, long long id, const char *field, const char *code)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO person_choices (person_id, field, code) VALUES (?, ?, ?)"
		" ON CONFLICT DO NOTHING");

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, id) != DB_OK || db_bind_text(s, 2, field) != DB_OK ||
	    db_bind_text(s, 3, code) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	return store_people_run_deferred(s);
}

/* Collects column 0 of every row of s (bound to id at 1) into a new array. */
static int store_people_column_array(struct db_stmt *s, long long id, json_t **out)
{
	json_t *arr = NULL;
	const char *v;
	int rc;

	*out = NULL;
	if (s == NULL)
		return DB_ERROR;
	arr = json_array();
	if (arr == NULL || db_bind_int(s, 1, id) != DB_OK)
		goto fail;
	while ((rc = db_step(s)) == DB_ROW) {
		v = db_col_text(s, 0);
		if (v == NULL || json_array_append_new(arr, json_string(v)) < 0)
			goto fail;
	}
	if (rc != DB_DONE)
		goto fail;
	db_done(s);
	*out = arr;
	return 0;
fail:
	db_done(s);
	json_decref(arr);
	return DB_ERROR;
}

int store_people_contacts(struct db_conn *c, long long id, json_t *into)
{
	json_t *emails = NULL, *phones = NULL;

	if (store_people_column_array(db_prepare(c,
		"SELECT email FROM person_emails WHERE person_id = ? ORDER BY created_at, email"),
		id, &emails) < 0)
		return DB_ERROR;
	if (store_people_column_array(db_prepare(c,
		"SELECT phone FROM person_phones WHERE person_id = ? ORDER BY created_at, phone"),
		id, &phones) < 0) {
		json_decref(emails);
		return DB_ERROR;
	}
	if (json_object_set_new(into, "emails", emails) < 0) {
		json_decref(phones);
		return DB_ERROR;
	}
	return json_object_set_new(into, "phones", phones) == 0 ? 0 : DB_ERROR;
}

int store_people_choices(struct db_conn *c, long long id, json_t *into)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT field, code FROM person_choices WHERE person_id = ? ORDER BY field, code");
	const char *field, *code;
	json_t *arr;
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, id) != DB_OK)
		goto fail;
	while ((rc = db_step(s)) == DB_ROW) {
		field = db_col_text(s, 0);
		code = db_col_text(s, 1);
		if (field == NULL || code == NULL)
			goto fail;
		arr = json_object_get(into, field);
		if (!json_is_array(arr)) {
			arr = json_array();
			if (arr == NULL || json_object_set_new(into, field, arr) < 0)
				goto fail;
		}
		if (json_array_append_new(arr, json_string(code)) < 0)
			goto fail;
	}
	if (rc != DB_DONE)
		goto fail;
	db_done(s);
	return 0;
fail:
	db_done(s);
	return DB_ERROR;
}

/* ---- the search index ---- */

/* Appends the searchable forms of an E.164 phone: all its digits, for US
 * numbers the ten national digits, and the last seven (the local number),
 * so a prefix query of any of those finds it. */
static void store_people_phone_tokens(buf *b, const char *phone)
{
	char digits[24];
	size_t n = 0, i;

	for (i = 0; phone[i] && n < sizeof(digits) - 1; i++)
		if (phone[i] >= '0' && phone[i] <= '9')
			digits[n++] = phone[i];
	digits[n] = '\0';
	if (n == 0)
		return;
	buf_addc(b, ' ');
	buf_add(b, digits, n);
	if (n == 11 && digits[0] == '1') {
		buf_addc(b, ' ');
		buf_add(b, digits + 1, 10);
	}
	if (n > 7) {
		buf_addc(b, ' ');
		buf_add(b, digits + n - 7, 7);
	}
}

/* Appends column 0 of each row of s (bound to id) to b, as long as it fits. */
static int store_people_fts_collect(struct db_stmt *s, long long id, buf *b, int phones)
{
	const char *v;
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	while ((rc = db_step(s)) == DB_ROW) {
		v = db_col_text(s, 0);
		/* Leave room for the worst case of one more entry. */
		if (v == NULL || b->len + LIMIT_EMAIL + 64 > b->max)
			continue;
		if (phones) {
			store_people_phone_tokens(b, v);
		} else {
			buf_addc(b, ' ');
			buf_adds(b, v);
		}
	}
	db_done(s);
	return rc == DB_DONE ? 0 : store_people_step_error(rc);
}

/* Appends text to b with every ASCII character that is neither a letter
 * nor a digit turned into a space: the word boundaries of FTS5's unicode61
 * tokenizer, so PostgreSQL's parser sees the same words. */
static void store_people_words(buf *b, const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p; p++) {
		if (*p < 0x80 && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		                   (*p >= '0' && *p <= '9')))
			buf_addc(b, ' ');
		else
			buf_addc(b, (char)*p);
	}
}

/* PostgreSQL: writes person id's row of people_search. */
static int store_people_search_put(struct db_conn *c, long long id, buf *name, buf *contact,
                                   const char *zip)
{
	struct db_stmt *s;
	buf wn, wc, wz;
	int rc = DB_ERROR;

	buf_init(&wn, name->max);
	buf_init(&wc, contact->max);
	buf_init(&wz, LIMIT_ZIP + 1);
	store_people_words(&wn, buf_str(name));
	store_people_words(&wc, buf_str(contact));
	store_people_words(&wz, zip);
	if (buf_failed(&wn) || buf_failed(&wc) || buf_failed(&wz))
		goto done;
	s = db_prepare(c,
		"INSERT INTO people_search (person_id, doc) VALUES (?1,"
		" setweight(to_tsvector('simple', ?2), 'A') ||"
		" setweight(to_tsvector('simple', ?3), 'B') ||"
		" setweight(to_tsvector('simple', ?4), 'C'))"
		" ON CONFLICT (person_id) DO UPDATE SET doc = excluded.doc");
	if (s == NULL)
		goto done;
	if (db_bind_int(s, 1, id) != DB_OK || db_bind_text(s, 2, buf_str(&wn)) != DB_OK ||
	    db_bind_text(s, 3, buf_str(&wc)) != DB_OK || db_bind_text(s, 4, buf_str(&wz)) != DB_OK) {
		db_done(s);
		goto done;
	}
	rc = store_people_run_deferred(s);
done:
	buf_free(&wn);
	buf_free(&wc);
	buf_free(&wz);
	return rc;
}

int store_people_fts_refresh(struct db_conn *c, long long id)
{
	struct db_stmt *s;
	buf name, contact;
	char zip[LIMIT_ZIP + 1] = "";
	const char *v;
	int rc;

	buf_init(&name, 3 * LIMIT_NAME + 8);
	buf_init(&contact, STORE_FTS_CONTACT_MAX);
	/* SQLite (the indexer's connection): the old row goes first, so a
	 * person merged away or deleted since is simply gone from the index. */
	if (db_conn_dialect(c) == DB_DIALECT_SQLITE &&
	    (rc = db_exec_cached_int(c, "DELETE FROM people_fts WHERE rowid = ?", id)) < 0)
		goto fail;
	rc = DB_ERROR;
	s = db_prepare(c, "SELECT first_name, last_name, preferred_name, zip FROM people WHERE id = ?");
	if (s == NULL)
		goto fail;
	if (db_bind_int(s, 1, id) != DB_OK) {
		db_done(s);
		goto fail;
	}
	rc = db_step(s);
	if (rc != DB_ROW) {
		db_done(s);
		rc = rc == DB_DONE ? 0 : store_people_step_error(rc); /* no such person: nothing to index */
		goto fail;
	}
	buf_adds(&name, db_col_text(s, 0) ? db_col_text(s, 0) : "");
	buf_addc(&name, ' ');
	buf_adds(&name, db_col_text(s, 1) ? db_col_text(s, 1) : "");
	if ((v = db_col_text(s, 2)) != NULL) {
		buf_addc(&name, ' ');
		buf_adds(&name, v);
	}
	if ((v = db_col_text(s, 3)) != NULL && strlen(v) < sizeof(zip))
		memcpy(zip, v, strlen(v) + 1);
	db_done(s);
	rc = DB_ERROR;
	if (buf_failed(&name))
		goto fail;

	if ((rc = store_people_fts_collect(db_prepare(c,
		"SELECT email FROM person_emails WHERE person_id = ? ORDER BY created_at, email"),
		id, &contact, 0)) < 0)
		goto fail;
	if ((rc = store_people_fts_collect(db_prepare(c,
		"SELECT phone FROM person_phones WHERE person_id = ? ORDER BY created_at, phone"),
		id, &contact, 1)) < 0)
		goto fail;
	rc = DB_ERROR;
	if (buf_failed(&contact))
		goto fail;

	if (db_conn_dialect(c) == DB_DIALECT_POSTGRES) {
		rc = store_people_search_put(c, id, &name, &contact, zip);
		goto fail;
	}
	rc = DB_ERROR;
	s = db_prepare(c, "INSERT INTO people_fts (rowid, name, contact, zip) VALUES (?, ?, ?, ?)");
	if (s == NULL)
		goto fail;
	if (db_bind_int(s, 1, id) != DB_OK || db_bind_text(s, 2, buf_str(&name)) != DB_OK ||
	    db_bind_text(s, 3, buf_str(&contact)) != DB_OK || db_bind_text(s, 4, zip) != DB_OK) {
		db_done(s);
		goto fail;
	}
	rc = db_run(s);
fail:
	buf_free(&name);
	buf_free(&contact);
	return rc;
}

int store_people_search_text(json_t *row, const char *email, const char *phone,
                             struct store_search_text *t)
{
	buf name, contact;
	const char *v, *zip;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	buf_init(&name, 3 * LIMIT_NAME + 8);
	buf_init(&contact, STORE_FTS_CONTACT_MAX);
	/* The same text store_people_fts_refresh() builds from the rows. */
	v = json_string_value(json_object_get(row, "first_name"));
	buf_adds(&name, v ? v : "");
	buf_addc(&name, ' ');
	v = json_string_value(json_object_get(row, "last_name"));
	buf_adds(&name, v ? v : "");
	v = json_string_value(json_object_get(row, "preferred_name"));
	if (v && *v) {
		buf_addc(&name, ' ');
		buf_adds(&name, v);
	}
	buf_addc(&contact, ' ');
	buf_adds(&contact, email);
	if (phone)
		store_people_phone_tokens(&contact, phone);
	zip = json_string_value(json_object_get(row, "zip"));
	if (zip == NULL || strlen(zip) > LIMIT_ZIP)
		zip = "";
	if (!buf_failed(&name) && !buf_failed(&contact) &&
	    (t->name = buf_take(&name)) != NULL && (t->contact = buf_take(&contact)) != NULL &&
	    (t->zip = strdup(zip)) != NULL)
		rc = 0;
	buf_free(&name);
	buf_free(&contact);
	if (rc < 0)
		store_people_search_text_free(t);
	return rc;
}

void store_people_search_text_free(struct store_search_text *t)
{
	free(t->name);
	free(t->contact);
	free(t->zip);
	memset(t, 0, sizeof(*t));
}

int store_people_fts_insert(struct db_conn *c, long long id, const struct store_search_text *t)
{
	struct db_stmt *s;
	buf name, contact;
	int rc = DB_ERROR;

	/* SQLite: the index is written by its own thread from the log; a new
	 * person's row carries their text, so it is indexed without reading
	 * anything back (store_search_queue.c). */
	if (db_conn_dialect(c) == DB_DIALECT_SQLITE) {
		s = db_prepare(c, "INSERT INTO people_fts_log (person_id, name, contact, zip)"
		                  " VALUES (?, ?, ?, ?)");
		if (s == NULL || db_bind_int(s, 1, id) != DB_OK || db_bind_text(s, 2, t->name) != DB_OK ||
		    db_bind_text(s, 3, t->contact) != DB_OK || db_bind_text(s, 4, t->zip) != DB_OK) {
			db_done(s);
			return DB_ERROR;
		}
		return db_run(s);
	}
	buf_init(&name, 3 * LIMIT_NAME + 8);
	buf_init(&contact, STORE_FTS_CONTACT_MAX);
	buf_adds(&name, t->name);
	buf_adds(&contact, t->contact);
	if (!buf_failed(&name) && !buf_failed(&contact))
		rc = store_people_search_put(c, id, &name, &contact, t->zip);
	buf_free(&name);
	buf_free(&contact);
	return rc;
}

/* ---- merging ---- */

/* Runs one of the absorb statements: ?1 keep, ?2 drop, and for those that
 * close flags ?3 at, ?4 by. */
static int store_people_absorb_step(struct db_conn *c, const char *sql, long long keep,
                                    long long drop, int with_resolution, long long by, long long at)
{
	struct db_stmt *s = db_prepare(c, sql);

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, keep) != DB_OK || db_bind_int(s, 2, drop) != DB_OK ||
	    (with_resolution && (db_bind_int(s, 3, at) != DB_OK ||
	                         store_people_bind_id(s, 4, by) != DB_OK))) {
		db_done(s);
		return DB_ERROR;
	}
	return db_run(s);
}

int store_people_absorb(struct db_conn *c, long long keep, long long drop, long long by,
                        long long at)
{
	/* Order matters: close the pair's flags before repointing drop's flags
	 * to keep, and move everything before the delete (whose cascades would
	 * otherwise take drop's rows with it). */
	static const char *const moves[] = {
		"UPDATE person_emails SET person_id = ?1 WHERE person_id = ?2",
		"UPDATE person_phones SET person_id = ?1 WHERE person_id = ?2",
		"INSERT INTO person_choices (person_id, field, code)"
		" SELECT ?1, field, code FROM person_choices WHERE person_id = ?2"
		" ON CONFLICT DO NOTHING",
		"UPDATE submissions SET person_id = ?1 WHERE person_id = ?2",
		"UPDATE notes SET person_id = ?1 WHERE person_id = ?2",
	};
	static const char *const flag_moves[] = {
		"UPDATE duplicate_flags SET person_a = ?1 WHERE person_a = ?2",
		"UPDATE duplicate_flags SET person_b = ?1 WHERE person_b = ?2",
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		if ((rc = store_people_absorb_step(c, moves[i], keep, drop, 0, 0, 0)) < 0)
			return rc;
	rc = store_people_absorb_step(c,
		"UPDATE duplicate_flags SET status = 'merged', resolved_at = ?3, resolved_by = ?4"
		" WHERE status = 'open' AND ((person_a = ?1 AND person_b = ?2)"
		" OR (person_a = ?2 AND person_b = ?1))", keep, drop, 1, by, at);
	if (rc < 0)
		return rc;
	for (i = 0; i < sizeof(flag_moves) / sizeof(flag_moves[0]); i++)
		if ((rc = store_people_absorb_step(c, flag_moves[i], keep, drop, 0, 0, 0)) < 0)
			return rc;
	/* The pipeline's calls, tasks, tags and history move too (h-pipeline). */
	if ((rc = store_pipeline_absorb(c, keep, drop)) < 0)
		return rc;
	if ((rc = db_exec_cached_int(c, "DELETE FROM people WHERE id = ?", drop)) < 0)
		return rc;
	/* PostgreSQL's people_search row went with the person (ON DELETE
	 * CASCADE); SQLite's index, in its own file, hears of it. */
	return db_conn_dialect(c) == DB_DIALECT_SQLITE ? store_search_queue_add(c, drop) : 0;
}

/* ---- submissions ---- */

#define STORE_SUBMISSION_INSERT \
	"INSERT INTO submissions (person_id, kind, status, hold_reason, source, ref_code," \
	" payload, sensitive, ip_hash, received_at, form_id, partner, custom, tags)" \
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

int store_submission_insert(struct db_conn *c, const struct store_submission *sub, long long *id)
{
	struct db_stmt *s = db_prepare(c, db_conn_dialect(c) == DB_DIALECT_SQLITE
	                                      ? STORE_SUBMISSION_INSERT
	                                      : STORE_SUBMISSION_INSERT " RETURNING id");
	int bad = 0;

	if (s == NULL)
		return DB_ERROR;
	bad |= store_people_bind_id(s, 1, sub->person_id) != DB_OK;
	bad |= db_bind_text(s, 2, sub->kind) != DB_OK;
	bad |= db_bind_text(s, 3, sub->status) != DB_OK;
	bad |= db_bind_text(s, 4, sub->hold_reason) != DB_OK;
	bad |= db_bind_text(s, 5, sub->source) != DB_OK;
	bad |= db_bind_text(s, 6, sub->ref_code) != DB_OK;
	bad |= db_bind_text(s, 7, sub->payload) != DB_OK;
	bad |= db_bind_blob(s, 8, sub->sensitive_len ? sub->sensitive : NULL, sub->sensitive_len) != DB_OK;
	bad |= db_bind_text(s, 9, sub->ip_hash) != DB_OK;
	bad |= db_bind_int(s, 10, sub->received_at) != DB_OK;
	bad |= store_people_bind_id(s, 11, sub->form_id) != DB_OK;
	bad |= db_bind_text(s, 12, sub->partner) != DB_OK;
	bad |= db_bind_text(s, 13, sub->custom) != DB_OK;
	bad |= db_bind_text(s, 14, sub->tags) != DB_OK;
	if (bad) {
		db_done(s);
		return DB_ERROR;
	}
	return store_people_insert_id(c, s, id);
}

int store_submissions_each(struct db_conn *c, long long person_id, int limit,
                           store_submission_fn fn, void *arg)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT id, person_id, kind, status, hold_reason, source, ref_code, payload,"
		" sensitive, ip_hash, received_at FROM submissions WHERE person_id = ?"
		" ORDER BY received_at DESC, id DESC LIMIT ?");
	struct store_submission sub;
	int rc, frc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, person_id) != DB_OK || db_bind_int(s, 2, limit) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	while ((rc = db_step(s)) == DB_ROW) {
		memset(&sub, 0, sizeof(sub));
		sub.id = db_col_int(s, 0);
		sub.person_id = db_col_int(s, 1);
		sub.kind = db_col_text(s, 2);
		sub.status = db_col_text(s, 3);
		sub.hold_reason = db_col_text(s, 4);
		sub.source = db_col_text(s, 5);
		sub.ref_code = db_col_text(s, 6);
		sub.payload = db_col_text(s, 7);
		if (!db_col_is_null(s, 8))
			sub.sensitive = db_col_blob(s, 8, &sub.sensitive_len);
		sub.ip_hash = db_col_text(s, 9);
		sub.received_at = db_col_int(s, 10);
		frc = fn(&sub, arg);
		if (frc < 0) {
			db_done(s);
			return frc;
		}
	}
	db_done(s);
	return rc == DB_DONE ? 0 : store_people_step_error(rc);
}

/* ---- notes ---- */

int store_note_insert(struct db_conn *c, long long person_id, long long author_id,
                      const char *body, long long at, long long *id)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO notes (person_id, author_id, body, created_at) VALUES (?, ?, ?, ?)"
		" RETURNING id");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, person_id) != DB_OK || store_people_bind_id(s, 2, author_id) != DB_OK ||
	    db_bind_text(s, 3, body) != DB_OK || db_bind_int(s, 4, at) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		*id = db_col_int(s, 0);
	db_done(s);
	return rc == DB_ROW ? 0 : store_people_step_error(rc);
}

int store_notes_list(struct db_conn *c, long long person_id, int limit, json_t **rows)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT n.id, n.body, u.email, n.created_at FROM notes n"
		" LEFT JOIN users u ON u.id = n.author_id"
		" WHERE n.person_id = ? ORDER BY n.created_at DESC, n.id DESC LIMIT ?");
	json_t *arr = NULL, *row;
	int rc;

	*rows = NULL;
	if (s == NULL)
		return DB_ERROR;
	arr = json_array();
	if (arr == NULL || db_bind_int(s, 1, person_id) != DB_OK || db_bind_int(s, 2, limit) != DB_OK)
		goto fail;
	while ((rc = db_step(s)) == DB_ROW) {
		row = json_object();
		if (row == NULL || json_array_append_new(arr, row) < 0)
			goto fail;
		if (store_people_set_int(row, "id", db_col_int(s, 0)) < 0 ||
		    store_people_set_text(row, "body", s, 1) < 0 ||
		    store_people_set_text_or_null(row, "author_email", s, 2) < 0 ||
		    store_people_set_int(row, "created_at", db_col_int(s, 3)) < 0)
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

/* ---- duplicate flags ---- */

int store_flag_insert(struct db_conn *c, long long person_a, long long person_b,
                      long long submission_id, const char *reason, long long at, long long *id)
{
	struct db_stmt *s = db_prepare(c,
		"INSERT INTO duplicate_flags (person_a, person_b, submission_id, reason, status,"
		" created_at) VALUES (?, ?, ?, ?, 'open', ?) RETURNING id");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, person_a) != DB_OK || db_bind_int(s, 2, person_b) != DB_OK ||
	    store_people_bind_id(s, 3, submission_id) != DB_OK ||
	    db_bind_text(s, 4, reason) != DB_OK || db_bind_int(s, 5, at) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		*id = db_col_int(s, 0);
	db_done(s);
	return rc == DB_ROW ? 0 : store_people_step_error(rc);
}

int store_flag_open_between(struct db_conn *c, long long a, long long b)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT 1 FROM duplicate_flags WHERE status = 'open'"
		" AND ((person_a = ?1 AND person_b = ?2) OR (person_a = ?2 AND person_b = ?1)) LIMIT 1");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, a) != DB_OK || db_bind_int(s, 2, b) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	db_done(s);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : store_people_step_error(rc);
}

int store_flag_load(struct db_conn *c, long long id, json_t **row)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT person_a, person_b, reason, status, created_at FROM duplicate_flags WHERE id = ?");
	json_t *obj = NULL;
	int rc;

	*row = NULL;
	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc != DB_ROW) {
		db_done(s);
		return rc == DB_DONE ? 0 : store_people_step_error(rc);
	}
	obj = json_object();
	if (obj == NULL || store_people_set_int(obj, "id", id) < 0 ||
	    store_people_set_int(obj, "person_a", db_col_int(s, 0)) < 0 ||
	    store_people_set_int(obj, "person_b", db_col_int(s, 1)) < 0 ||
	    store_people_set_text(obj, "reason", s, 2) < 0 ||
	    store_people_set_text(obj, "status", s, 3) < 0 ||
	    store_people_set_int(obj, "created_at", db_col_int(s, 4)) < 0) {
		db_done(s);
		json_decref(obj);
		return DB_ERROR;
	}
	db_done(s);
	*row = obj;
	return 1;
}

int store_flag_resolve(struct db_conn *c, long long id, const char *status, long long by,
                       long long at)
{
	struct db_stmt *s = db_prepare(c,
		"UPDATE duplicate_flags SET status = ?, resolved_by = ?, resolved_at = ?"
		" WHERE id = ? AND status = 'open'");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, status) != DB_OK || store_people_bind_id(s, 2, by) != DB_OK ||
	    db_bind_int(s, 3, at) != DB_OK || db_bind_int(s, 4, id) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_run(s);
	if (rc < 0)
		return rc;
	return db_changes(c) > 0 ? 1 : 0;
}

/* Sets obj[key] to "first last" from two text columns. */
static int store_people_set_name(json_t *obj, const char *key, struct db_stmt *s, int col)
{
	const char *first = db_col_text(s, col), *last = db_col_text(s, col + 1);
	buf b;
	json_t *j;

	buf_init(&b, 2 * LIMIT_NAME + 2);
	buf_adds(&b, first ? first : "");
	if (first && *first && last && *last)
		buf_addc(&b, ' ');
	buf_adds(&b, last ? last : "");
	j = buf_failed(&b) ? NULL : json_string(buf_str(&b));
	buf_free(&b);
	if (j == NULL)
		return DB_ERROR;
	return json_object_set_new(obj, key, j) == 0 ? 0 : DB_ERROR;
}

int store_flags_open_list(struct db_conn *c, int limit, json_t **rows)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT f.id, f.person_a, f.person_b, a.first_name, a.last_name, b.first_name,"
		" b.last_name, f.reason, f.created_at FROM duplicate_flags f"
		" JOIN people a ON a.id = f.person_a JOIN people b ON b.id = f.person_b"
		" WHERE f.status = 'open' ORDER BY f.created_at, f.id LIMIT ?");
	json_t *arr = NULL, *row;
	int rc;

	*rows = NULL;
	if (s == NULL)
		return DB_ERROR;
	arr = json_array();
	if (arr == NULL || db_bind_int(s, 1, limit) != DB_OK)
		goto fail;
	while ((rc = db_step(s)) == DB_ROW) {
		row = json_object();
		if (row == NULL || json_array_append_new(arr, row) < 0)
			goto fail;
		if (store_people_set_int(row, "id", db_col_int(s, 0)) < 0 ||
		    store_people_set_int(row, "person_a", db_col_int(s, 1)) < 0 ||
		    store_people_set_int(row, "person_b", db_col_int(s, 2)) < 0 ||
		    store_people_set_name(row, "name_a", s, 3) < 0 ||
		    store_people_set_name(row, "name_b", s, 5) < 0 ||
		    store_people_set_text(row, "reason", s, 7) < 0 ||
		    store_people_set_int(row, "created_at", db_col_int(s, 8)) < 0)
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

int store_flags_open_for_person(struct db_conn *c, long long person_id, int limit,
                                json_t **rows)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT f.id, o.id, o.first_name, o.last_name, f.reason, f.created_at"
		" FROM duplicate_flags f JOIN people o"
		" ON o.id = CASE WHEN f.person_a = ?1 THEN f.person_b ELSE f.person_a END"
		" WHERE f.status = 'open' AND (f.person_a = ?1 OR f.person_b = ?1)"
		" ORDER BY f.created_at, f.id LIMIT ?2");
	json_t *arr = NULL, *row;
	int rc;

	*rows = NULL;
	if (s == NULL)
		return DB_ERROR;
	arr = json_array();
	if (arr == NULL || db_bind_int(s, 1, person_id) != DB_OK || db_bind_int(s, 2, limit) != DB_OK)
		goto fail;
	while ((rc = db_step(s)) == DB_ROW) {
		row = json_object();
		if (row == NULL || json_array_append_new(arr, row) < 0)
			goto fail;
		if (store_people_set_int(row, "id", db_col_int(s, 0)) < 0 ||
		    store_people_set_int(row, "other_id", db_col_int(s, 1)) < 0 ||
		    store_people_set_name(row, "other_name", s, 2) < 0 ||
		    store_people_set_text(row, "reason", s, 4) < 0 ||
		    store_people_set_int(row, "created_at", db_col_int(s, 5)) < 0)
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

/* ---- search ----
 *
 * Parameters, the same in every search statement (each statement mentions
 * ?10, so all ten may always be bound; an optional one is tested as
 * CAST(?n AS TEXT) IS NULL, which gives PostgreSQL its type): ?1 LIMIT, ?2 OFFSET, ?3 FTS query,
 * ?4 email, ?5 state, ?6 source, ?7 from, ?8 to, ?9 office, ?10 help.
 *
 * Drivers — the index a statement walks first:
 *   FTS     the full-text index (free text or phone digits);
 *   EMAIL   person_emails' primary key (at most one person);
 *   STATE   people_state (state, created_at), with a date range;
 *   STATE_ND a state without dates: people_state for the date orders,
 *           people_state_name (state, last_name, first_name) for the name
 *           and state orders (a state's people by name without a sort);
 *   SOURCE  people_source (source, created_at);
 *   DATE    people_created (a range of signup times);
 *   ALL     the index of the sort order (people_created, people_name,
 *           people_state_name).
 * Filters that are not the driver are checked per candidate row; office and
 * help are EXISTS probes into person_choices' primary key.
 *
 * Paging: every page query picks one page of ids in a subquery (pg) that
 * reads only the sort keys, and the outer query reads that page's columns.
 * SQLite computes a row's result columns before it sorts, so without this
 * a search that must sort (text matches, a date range by name) would run
 * the email, phone and offices subqueries for every match, not for 50.
 *
 * Text on SQLite: the FTS matches are counted first (the FTS index alone,
 * about a millisecond at 1M people). Up to LIMIT_SEARCH_SORT_ROWS matches
 * are looked up and sorted (FTS driver). More — a two-letter name prefix
 * at 1M people matches tens of thousands — and the statement instead walks
 * the index the filters and order would walk without text (STATE, SOURCE,
 * DATE or ALL), keeping the ids in the match set ("+p.id IN (…)": the plus
 * stops SQLite from turning the set into rowid lookups), which stops after
 * one page because the matches are dense. Without other filters the FTS
 * count is the total.
 */

enum store_people_driver {
	DRV_FTS, DRV_EMAIL, DRV_STATE, DRV_STATE_ND, DRV_SOURCE, DRV_DATE, DRV_ALL, DRV_COUNT
};

#define SQ_COLS_AGG(AGG) \
	"SELECT p.id, p.first_name, p.last_name, p.preferred_name," \
	" (SELECT e1.email FROM person_emails e1 WHERE e1.person_id = p.id" \
	"  ORDER BY e1.created_at, e1.email LIMIT 1)," \
	" (SELECT h1.phone FROM person_phones h1 WHERE h1.person_id = p.id" \
	"  ORDER BY h1.created_at, h1.phone LIMIT 1)," \
	" p.city, p.state, p.zip, p.created_at," \
	" (SELECT " AGG " FROM person_choices c1" \
	"  WHERE c1.person_id = p.id AND c1.field = 'office_interests') "
#define SQ_COLS SQ_COLS_AGG("group_concat(c1.code, ' ')")
#define SQ_COLS_PG SQ_COLS_AGG("string_agg(c1.code, ' ' ORDER BY c1.code)")
#define SQ_CHOICES \
	" AND (CAST(?9 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM person_choices c2 WHERE c2.person_id = p.id" \
	"  AND c2.field = 'office_interests' AND c2.code = ?9))" \
	" AND (CAST(?10 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM person_choices c3 WHERE c3.person_id = p.id" \
	"  AND c3.field = 'help_wanted' AND c3.code = ?10))"
#define SQ_DATES " AND p.created_at >= ?7 AND p.created_at < ?8"
#define SQ_OPT_STATE " AND (CAST(?5 AS TEXT) IS NULL OR p.state = ?5)"
#define SQ_OPT_SOURCE " AND (CAST(?6 AS TEXT) IS NULL OR p.source = ?6)"

#define SQ_FROM_FTS \
	"FROM people_fts JOIN people p ON p.id = people_fts.rowid WHERE people_fts MATCH ?3" \
	SQ_OPT_STATE SQ_OPT_SOURCE SQ_DATES SQ_CHOICES
#define SQ_FROM_FTS_PG \
	"FROM people_search fs JOIN people p ON p.id = fs.person_id" \
	" WHERE fs.doc @@ to_tsquery('simple', ?3)" \
	SQ_OPT_STATE SQ_OPT_SOURCE SQ_DATES SQ_CHOICES
#define SQ_FROM_EMAIL \
	"FROM person_emails e JOIN people p ON p.id = e.person_id WHERE e.email = ?4" \
	SQ_OPT_STATE SQ_OPT_SOURCE SQ_DATES SQ_CHOICES
#define SQ_FROM_STATE "FROM people p WHERE p.state = ?5" SQ_OPT_SOURCE SQ_DATES SQ_CHOICES
#define SQ_FROM_STATE_ND "FROM people p WHERE p.state = ?5" SQ_OPT_SOURCE SQ_CHOICES
#define SQ_FROM_SOURCE "FROM people p WHERE p.source = ?6" SQ_DATES SQ_CHOICES
#define SQ_FROM_DATE "FROM people p WHERE 1 = 1" SQ_DATES SQ_CHOICES
#define SQ_FROM_ALL "FROM people p WHERE 1 = 1" SQ_CHOICES

#define SQ_PAGE " LIMIT ?1 OFFSET ?2"
#define SQ_NEWEST " ORDER BY p.created_at DESC, p.id DESC"
#define SQ_OLDEST " ORDER BY p.created_at, p.id"
#define SQ_NAME " ORDER BY p.last_name, p.first_name, p.id"
#define SQ_STATE " ORDER BY p.state, p.last_name, p.first_name, p.id"
/* The match set of a text search, for the index walks (SQLite only). */
#define SQ_IN_FTS " AND +p.id IN (SELECT rowid FROM people_fts WHERE people_fts MATCH ?3)"

/* One page of ids (pg), then that page's columns in the same order. */
#define SQ_PAGED(PRE, COLS, FROM, ORDER) \
	PRE COLS "FROM (SELECT p.id AS id " FROM ORDER SQ_PAGE ") pg" \
	" JOIN people p ON p.id = pg.id" ORDER
#define SQ_ROW_C(PRE, COLS, FROM) \
	{ SQ_PAGED(PRE, COLS, FROM, SQ_NEWEST), SQ_PAGED(PRE, COLS, FROM, SQ_OLDEST), \
	  SQ_PAGED(PRE, COLS, FROM, SQ_NAME), SQ_PAGED(PRE, COLS, FROM, SQ_STATE) }
#define SQ_ROW(PRE, FROM) SQ_ROW_C(PRE, SQ_COLS, FROM)
#define SQ_TABLE_C(PRE, COLS, FTS) { \
	[DRV_FTS] = SQ_ROW_C(PRE, COLS, FTS), \
	[DRV_EMAIL] = SQ_ROW_C(PRE, COLS, SQ_FROM_EMAIL), \
	[DRV_STATE] = SQ_ROW_C(PRE, COLS, SQ_FROM_STATE), \
	[DRV_STATE_ND] = SQ_ROW_C(PRE, COLS, SQ_FROM_STATE_ND), \
	[DRV_SOURCE] = SQ_ROW_C(PRE, COLS, SQ_FROM_SOURCE), \
	[DRV_DATE] = SQ_ROW_C(PRE, COLS, SQ_FROM_DATE), \
	[DRV_ALL] = SQ_ROW_C(PRE, COLS, SQ_FROM_ALL) }
#define SQ_TABLE(PRE) SQ_TABLE_C(PRE, SQ_COLS, SQ_FROM_FTS)
#define SQ_COUNTS_C(PRE, FTS) { \
	[DRV_FTS] = PRE "SELECT count(*) " FTS, \
	[DRV_EMAIL] = PRE "SELECT count(*) " SQ_FROM_EMAIL, \
	[DRV_STATE] = PRE "SELECT count(*) " SQ_FROM_STATE, \
	[DRV_STATE_ND] = PRE "SELECT count(*) " SQ_FROM_STATE_ND, \
	[DRV_SOURCE] = PRE "SELECT count(*) " SQ_FROM_SOURCE, \
	[DRV_DATE] = PRE "SELECT count(*) " SQ_FROM_DATE, \
	[DRV_ALL] = PRE "SELECT count(*) " SQ_FROM_ALL }
#define SQ_COUNTS(PRE) SQ_COUNTS_C(PRE, SQ_FROM_FTS)

static const char *const search_sql[DRV_COUNT][STORE_PEOPLE_SORT_COUNT] = SQ_TABLE("");
static const char *const search_count_sql[DRV_COUNT] = SQ_COUNTS("");
static const char *const search_sql_pg[DRV_COUNT][STORE_PEOPLE_SORT_COUNT] =
	SQ_TABLE_C("", SQ_COLS_PG, SQ_FROM_FTS_PG);
static const char *const search_count_sql_pg[DRV_COUNT] = SQ_COUNTS_C("", SQ_FROM_FTS_PG);
static const char *const search_plan_sql[DRV_COUNT][STORE_PEOPLE_SORT_COUNT] =
	SQ_TABLE("EXPLAIN QUERY PLAN ");
static const char *const search_count_plan_sql[DRV_COUNT] = SQ_COUNTS("EXPLAIN QUERY PLAN ");
/* The index walks of a text search with many matches, by the driver the
 * other filters give (SQLite only; see above). */
#define SQ_WALK_TABLE(PRE) { \
	[DRV_STATE] = SQ_ROW(PRE, SQ_FROM_STATE SQ_IN_FTS), \
	[DRV_STATE_ND] = SQ_ROW(PRE, SQ_FROM_STATE_ND SQ_IN_FTS), \
	[DRV_SOURCE] = SQ_ROW(PRE, SQ_FROM_SOURCE SQ_IN_FTS), \
	[DRV_DATE] = SQ_ROW(PRE, SQ_FROM_DATE SQ_IN_FTS), \
	[DRV_ALL] = SQ_ROW(PRE, SQ_FROM_ALL SQ_IN_FTS) }
#define SQ_WALK_COUNTS(PRE) { \
	[DRV_STATE] = PRE "SELECT count(*) " SQ_FROM_STATE SQ_IN_FTS, \
	[DRV_STATE_ND] = PRE "SELECT count(*) " SQ_FROM_STATE_ND SQ_IN_FTS, \
	[DRV_SOURCE] = PRE "SELECT count(*) " SQ_FROM_SOURCE SQ_IN_FTS, \
	[DRV_DATE] = PRE "SELECT count(*) " SQ_FROM_DATE SQ_IN_FTS }
static const char *const search_walk_sql[DRV_COUNT][STORE_PEOPLE_SORT_COUNT] = SQ_WALK_TABLE("");
static const char *const search_walk_count_sql[DRV_COUNT] = SQ_WALK_COUNTS("");
static const char *const search_walk_plan_sql[DRV_COUNT][STORE_PEOPLE_SORT_COUNT] =
	SQ_WALK_TABLE("EXPLAIN QUERY PLAN ");
static const char *const search_walk_count_plan_sql[DRV_COUNT] =
	SQ_WALK_COUNTS("EXPLAIN QUERY PLAN ");
/* The FTS matches alone: the deciding count, and the total of a search
 * with no other filter. */
static const char search_fts_count_sql[] =
	"SELECT count(*) FROM people_fts WHERE people_fts MATCH ?";
/* With only choice filters, count the choice rows (one per person and
 * code: the primary key) on person_choices_code instead of probing every
 * person. */
static const char search_count_office_sql[] =
	"SELECT count(*) FROM person_choices c WHERE c.field = 'office_interests' AND c.code = ?9"
	" AND (CAST(?10 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM person_choices c3 WHERE c3.person_id ="
	" c.person_id AND c3.field = 'help_wanted' AND c3.code = ?10))";
static const char search_count_help_sql[] =
	"SELECT count(*) FROM person_choices c WHERE c.field = 'help_wanted' AND c.code = ?10";
static const char search_count_office_plan_sql[] =
	"EXPLAIN QUERY PLAN "
	"SELECT count(*) FROM person_choices c WHERE c.field = 'office_interests' AND c.code = ?9"
	" AND (CAST(?10 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM person_choices c3 WHERE c3.person_id ="
	" c.person_id AND c3.field = 'help_wanted' AND c3.code = ?10))";
static const char search_count_help_plan_sql[] =
	"EXPLAIN QUERY PLAN "
	"SELECT count(*) FROM person_choices c WHERE c.field = 'help_wanted' AND c.code = ?10";
/* With no filter at all, SQLite counts a table's b-tree directly. */
static const char search_count_all_sql[] = "SELECT count(*) FROM people";
static const char search_count_all_plan_sql[] = "EXPLAIN QUERY PLAN SELECT count(*) FROM people";

static enum store_people_driver store_people_driver(const struct store_people_filter *f)
{
	if (f->text || f->phone_digits)
		return DRV_FTS;
	if (f->email)
		return DRV_EMAIL;
	if (f->state && f->from == LLONG_MIN && f->to == LLONG_MAX)
		return DRV_STATE_ND;
	if (f->state)
		return DRV_STATE;
	if (f->source)
		return DRV_SOURCE;
	if (f->from != LLONG_MIN || f->to != LLONG_MAX)
		return DRV_DATE;
	return DRV_ALL;
}

/* Appends one quoted prefix term: "text"* with inner quotes doubled, so
 * every byte of input is data — FTS5 reads nothing between quotes as
 * syntax. */
static void store_people_fts_term(buf *q, const char *start, const char *end)
{
	if (q->len)
		buf_addc(q, ' ');
	buf_addc(q, '"');
	for (; start < end; start++) {
		if (*start == '"')
			buf_addc(q, '"');
		buf_addc(q, *start);
	}
	buf_adds(q, "\"*");
}

static int store_people_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* A byte of a word as both engines cut words: an ASCII letter or digit, or
 * any byte of a non-ASCII character. */
static int store_people_is_word(unsigned char ch)
{
	return ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

/* 1 if the term [start, end) ends in a word of one character (a UTF-8
 * character counts once). That word would be a one-letter prefix, which
 * at 1M people matches a sixth of them and has no prefix index (FTS5 keeps
 * them from 2 characters): it costs the list seconds and finds nothing
 * useful, so such a term is left out of the search (the page says names
 * match from 2 letters). A term of no word at all is not "short". */
static int store_people_term_short(const char *start, const char *end)
{
	const unsigned char *b = (const unsigned char *)start, *p = (const unsigned char *)end;
	int chars = 0;

	while (p > b && !store_people_is_word(p[-1]))
		p--;
	while (p > b && store_people_is_word(p[-1])) {
		p--;
		if ((*p & 0xC0) != 0x80)
			chars++;
	}
	return chars == 1;
}

/* Builds the FTS5 query: each whitespace-separated term of the text
 * becomes a quoted prefix term, the terms ANDed (a term ending in a
 * one-character word left out); phone digits become one prefix term on the
 * contact column only. */
static int store_people_fts_query(const struct store_people_filter *f, buf *q)
{
	const char *p, *start;

	if (f->text == NULL) {
		buf_adds(q, "contact :");
		store_people_fts_term(q, f->phone_digits, f->phone_digits + strlen(f->phone_digits));
		return buf_failed(q) ? -1 : 0;
	}
	p = f->text;
	for (;;) {
		while (store_people_is_space(*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p && !store_people_is_space(*p))
			p++;
		if (!store_people_term_short(start, p))
			store_people_fts_term(q, start, p);
	}
	if (q->len == 0)
		buf_adds(q, "\"\"");  /* no term left: an empty phrase, which matches nothing */
	return buf_failed(q) ? -1 : 0;
}

/* Appends one PostgreSQL prefix term: the words of [start, end) (cut as
 * store_people_words cuts them) as a phrase whose last word is a prefix,
 * 'ana' <-> 'ex':*, with weight (NULL for any) — or nothing if the term
 * has no word. Words hold no ASCII punctuation, so no quote or operator
 * of the tsquery syntax can come from input. Returns 1 if it added one. */
static int store_people_pg_term(buf *q, const char *start, const char *end, const char *weight)
{
	const unsigned char *p = (const unsigned char *)start, *e = (const unsigned char *)end;
	int words = 0;

	while (p < e) {
		while (p < e && *p < 0x80 && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		                               (*p >= '0' && *p <= '9')))
			p++;
		if (p >= e)
			break;
		if (words == 0 && q->len)
			buf_adds(q, " & ");
		else if (words > 0)
			buf_adds(q, "' <-> ");
		buf_addc(q, '\'');
		while (p < e && (*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		                 (*p >= '0' && *p <= '9')))
			buf_addc(q, (char)*p++);
		words++;
	}
	if (words == 0)
		return 0;
	buf_adds(q, "':*");
	if (weight)
		buf_adds(q, weight);
	return 1;
}

/* Builds the PostgreSQL tsquery of f (see store_people_fts_query). Sets
 * *empty when no term has a word: such a search matches nobody. */
static int store_people_pg_query(const struct store_people_filter *f, buf *q, int *empty)
{
	const char *p, *start;
	int n = 0;

	if (f->text == NULL) {
		n = store_people_pg_term(q, f->phone_digits, f->phone_digits + strlen(f->phone_digits),
		                         "B");
	} else {
		for (p = f->text;;) {
			while (store_people_is_space(*p))
				p++;
			if (*p == '\0')
				break;
			start = p;
			while (*p && !store_people_is_space(*p))
				p++;
			if (!store_people_term_short(start, p))
				n += store_people_pg_term(q, start, p, NULL);
		}
	}
	*empty = n == 0;
	return buf_failed(q) ? -1 : 0;
}

/* Picks the count statement for f (plan: its EXPLAIN QUERY PLAN twin).
 * Sets *bind when it takes the ten search parameters. */
static const char *store_people_count_sql(const struct store_people_filter *f, int plan,
                                          int pg, int *bind)
{
	enum store_people_driver drv = store_people_driver(f);

	*bind = 1;
	if (drv != DRV_ALL && pg)
		return search_count_sql_pg[drv];
	if (drv != DRV_ALL)
		return plan ? search_count_plan_sql[drv] : search_count_sql[drv];
	if (f->office)
		return plan ? search_count_office_plan_sql : search_count_office_sql;
	if (f->help)
		return plan ? search_count_help_plan_sql : search_count_help_sql;
	*bind = 0;
	return plan ? search_count_all_plan_sql : search_count_all_sql;
}

/* The driver the filters other than text give (for the index walks). */
static enum store_people_driver store_people_driver_rest(const struct store_people_filter *f)
{
	if (f->email)
		return DRV_EMAIL;
	if (f->state && f->from == LLONG_MIN && f->to == LLONG_MAX)
		return DRV_STATE_ND;
	if (f->state)
		return DRV_STATE;
	if (f->source)
		return DRV_SOURCE;
	if (f->from != LLONG_MIN || f->to != LLONG_MAX)
		return DRV_DATE;
	return DRV_ALL;
}

/* The statements one search runs: page (ten parameters), then count
 * (with the ten parameters if count_bind), or no count statement when
 * total is already known. */
struct store_people_stmts {
	const char *page;
	const char *count;
	int         count_bind;
	long long   total;
};

/* Counts the FTS matches of match alone. */
static int store_people_fts_count(struct db_conn *c, const char *match, long long *n)
{
	struct db_stmt *s = db_prepare(c, search_fts_count_sql);
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_text(s, 1, match) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		*n = db_col_int(s, 0);
	db_done(s);
	return rc == DB_ROW ? 0 : store_people_step_error(rc);
}

/* Picks the statements for f (plan: their EXPLAIN QUERY PLAN twins). A text
 * search on SQLite counts its FTS matches first (match is its FTS5 query)
 * to choose between sorting the matches and walking an index (see above). */
static int store_people_choose(struct db_conn *c, const struct store_people_filter *f,
                               const char *match, int plan, struct store_people_stmts *st)
{
	enum store_people_driver drv = store_people_driver(f), rest;
	int pg = db_conn_dialect(c) == DB_DIALECT_POSTGRES, walk, rc;
	long long m = 0;

	memset(st, 0, sizeof(*st));
	if (drv != DRV_FTS || pg) {
		st->page = pg ? search_sql_pg[drv][f->sort]
		              : plan ? search_plan_sql[drv][f->sort] : search_sql[drv][f->sort];
		st->count = store_people_count_sql(f, plan, pg, &st->count_bind);
		return 0;
	}
	if ((rc = store_people_fts_count(c, match, &m)) < 0)
		return rc;
	rest = store_people_driver_rest(f);
	walk = m > LIMIT_SEARCH_SORT_ROWS && rest != DRV_EMAIL;
	if (walk)
		st->page = plan ? search_walk_plan_sql[rest][f->sort] : search_walk_sql[rest][f->sort];
	else
		st->page = plan ? search_plan_sql[DRV_FTS][f->sort] : search_sql[DRV_FTS][f->sort];
	st->count_bind = 1;
	if (rest == DRV_ALL && f->office == NULL && f->help == NULL)
		st->total = m;  /* no other filter: the FTS count is the answer */
	else if (walk && rest != DRV_ALL)
		st->count = plan ? search_walk_count_plan_sql[rest] : search_walk_count_sql[rest];
	else
		st->count = plan ? search_count_plan_sql[DRV_FTS] : search_count_sql[DRV_FTS];
	return 0;
}

/* Binds the ten search parameters (see above). */
static int store_people_search_bind(struct db_stmt *s, const struct store_people_filter *f,
                                    const char *match)
{
	int bad = 0;

	bad |= db_bind_int(s, 1, f->limit) != DB_OK;
	bad |= db_bind_int(s, 2, f->offset) != DB_OK;
	bad |= db_bind_text(s, 3, match) != DB_OK;
	bad |= db_bind_text(s, 4, f->email) != DB_OK;
	bad |= db_bind_text(s, 5, f->state) != DB_OK;
	bad |= db_bind_text(s, 6, f->source) != DB_OK;
	bad |= db_bind_int(s, 7, f->from) != DB_OK;
	bad |= db_bind_int(s, 8, f->to) != DB_OK;
	bad |= db_bind_text(s, 9, f->office) != DB_OK;
	bad |= db_bind_text(s, 10, f->help) != DB_OK;
	return bad ? DB_ERROR : 0;
}

/* Splits a space-separated list of codes into a new array. */
static json_t *store_people_split_codes(const char *list)
{
	json_t *arr = json_array();
	const char *p = list, *start;

	if (arr == NULL)
		return NULL;
	while (p && *p) {
		while (*p == ' ')
			p++;
		start = p;
		while (*p && *p != ' ')
			p++;
		if (p > start && json_array_append_new(arr, json_stringn(start, (size_t)(p - start))) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* Reads one search result row. */
static json_t *store_people_search_row(struct db_stmt *s)
{
	json_t *row = json_object(), *codes;

	if (row == NULL)
		return NULL;
	if (store_people_set_int(row, "id", db_col_int(s, 0)) < 0 ||
	    store_people_set_text_or_null(row, "first_name", s, 1) < 0 ||
	    store_people_set_text_or_null(row, "last_name", s, 2) < 0 ||
	    store_people_set_text_or_null(row, "preferred_name", s, 3) < 0 ||
	    store_people_set_name(row, "name", s, 1) < 0 ||
	    store_people_set_text_or_null(row, "email", s, 4) < 0 ||
	    store_people_set_text_or_null(row, "phone", s, 5) < 0 ||
	    store_people_set_text_or_null(row, "city", s, 6) < 0 ||
	    store_people_set_text_or_null(row, "state", s, 7) < 0 ||
	    store_people_set_text_or_null(row, "zip", s, 8) < 0 ||
	    store_people_set_int(row, "created_at", db_col_int(s, 9)) < 0)
		goto fail;
	codes = store_people_split_codes(db_col_text(s, 10));
	if (codes == NULL || json_object_set_new(row, "office_interests", codes) < 0)
		goto fail;
	return row;
fail:
	json_decref(row);
	return NULL;
}

int store_people_search(struct db_conn *c, const struct store_people_filter *f, json_t **rows,
                        long long *total)
{
	enum store_people_driver drv = store_people_driver(f);
	int pg = db_conn_dialect(c) == DB_DIALECT_POSTGRES, empty = 0;
	struct store_people_stmts st;
	struct db_stmt *s = NULL;
	json_t *arr = NULL, *row;
	buf match;
	int rc = DB_ERROR, step;

	*rows = NULL;
	*total = 0;
	/* a tsquery spends up to 7 bytes (' <-> ') on one separator byte */
	buf_init(&match, pg ? 2 * STORE_FTS_QUERY_MAX : STORE_FTS_QUERY_MAX);
	if ((unsigned)f->sort >= STORE_PEOPLE_SORT_COUNT)
		goto fail;
	if (drv == DRV_FTS && (pg ? store_people_pg_query(f, &match, &empty)
	                          : store_people_fts_query(f, &match)) < 0)
		goto fail;
	arr = json_array();
	if (arr == NULL)
		goto fail;
	if (empty) {
		/* no word to look for: nobody matches (FTS5's empty phrase) */
		buf_free(&match);
		*rows = arr;
		return 0;
	}

	if ((rc = store_people_choose(c, f, buf_str(&match), 0, &st)) < 0)
		goto fail;
	rc = DB_ERROR;
	s = db_prepare(c, st.page);
	if (s == NULL || store_people_search_bind(s, f, drv == DRV_FTS ? buf_str(&match) : NULL) < 0)
		goto fail;
	while ((step = db_step(s)) == DB_ROW) {
		row = store_people_search_row(s);
		if (row == NULL || json_array_append_new(arr, row) < 0)
			goto fail;
	}
	if (step != DB_DONE) {
		rc = store_people_step_error(step);
		goto fail;
	}
	db_done(s);
	s = NULL;

	if (st.count == NULL) {
		*total = st.total;
		buf_free(&match);
		*rows = arr;
		return 0;
	}
	s = db_prepare(c, st.count);
	if (s == NULL)
		goto fail;
	if (st.count_bind &&
	    store_people_search_bind(s, f, drv == DRV_FTS ? buf_str(&match) : NULL) < 0)
		goto fail;
	step = db_step(s);
	if (step != DB_ROW) {
		rc = store_people_step_error(step);
		goto fail;
	}
	*total = db_col_int(s, 0);
	db_done(s);
	buf_free(&match);
	*rows = arr;
	return 0;
fail:
	if (s)
		db_done(s);
	buf_free(&match);
	json_decref(arr);
	return rc;
}

/* Appends the detail column of each plan row of s to plan, indented two
 * spaces per level of nesting (a step of a subquery is indented; a
 * top-level step is not), so a reader can tell the main query's sort from
 * a subquery's. */
static int store_people_plan_collect(struct db_stmt *s, json_t *plan)
{
	enum { PLAN_NODES_MAX = 128 };
	long long ids[PLAN_NODES_MAX];
	int depths[PLAN_NODES_MAX], n = 0, depth, i, step;
	long long id, parent;
	const char *detail;
	buf line;

	buf_init(&line, 1024);
	while ((step = db_step(s)) == DB_ROW) {
		id = db_col_int(s, 0);
		parent = db_col_int(s, 1);
		detail = db_col_text(s, 3);
		depth = 0;
		for (i = 0; i < n; i++)
			if (ids[i] == parent)
				depth = depths[i] + 1;
		if (n < PLAN_NODES_MAX) {
			ids[n] = id;
			depths[n++] = depth;
		}
		buf_reset(&line);
		for (i = 0; i < depth; i++)
			buf_adds(&line, "  ");
		buf_adds(&line, detail ? detail : "");
		if (buf_failed(&line) || json_array_append_new(plan, json_string(buf_str(&line))) < 0) {
			buf_free(&line);
			return DB_ERROR;
		}
	}
	buf_free(&line);
	return step == DB_DONE ? 0 : store_people_step_error(step);
}

int store_people_search_plan(struct db_conn *c, const struct store_people_filter *f,
                             json_t **plan)
{
	enum store_people_driver drv = store_people_driver(f);
	struct store_people_stmts st;
	struct db_stmt *s = NULL;
	json_t *arr = NULL;
	buf match;
	int rc = DB_ERROR;

	*plan = NULL;
	buf_init(&match, STORE_FTS_QUERY_MAX);
	if ((unsigned)f->sort >= STORE_PEOPLE_SORT_COUNT || db_conn_dialect(c) != DB_DIALECT_SQLITE)
		goto fail;
	if (drv == DRV_FTS && store_people_fts_query(f, &match) < 0)
		goto fail;
	arr = json_array();
	if (arr == NULL)
		goto fail;
	if ((rc = store_people_choose(c, f, buf_str(&match), 1, &st)) < 0)
		goto fail;
	rc = DB_ERROR;
	s = db_prepare(c, st.page);
	if (s == NULL || store_people_search_bind(s, f, drv == DRV_FTS ? buf_str(&match) : NULL) < 0)
		goto fail;
	if ((rc = store_people_plan_collect(s, arr)) < 0)
		goto fail;
	db_done(s);
	s = NULL;
	rc = DB_ERROR;
	if (st.count) {
		s = db_prepare(c, st.count);
		if (s == NULL)
			goto fail;
		if (st.count_bind &&
		    store_people_search_bind(s, f, drv == DRV_FTS ? buf_str(&match) : NULL) < 0)
			goto fail;
		if ((rc = store_people_plan_collect(s, arr)) < 0)
			goto fail;
		db_done(s);
	}
	buf_free(&match);
	*plan = arr;
	return 0;
fail:
	if (s)
		db_done(s);
	buf_free(&match);
	json_decref(arr);
	return rc;
}

int store_people_counts(struct db_conn *c, long long since, long long *people,
                        long long *signups, long long *open_flags)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT (SELECT count(*) FROM people),"
		" (SELECT count(*) FROM submissions WHERE received_at >= ? AND kind = 'signup'),"
		" (SELECT count(*) FROM duplicate_flags WHERE status = 'open')");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	if (db_bind_int(s, 1, since) != DB_OK) {
		db_done(s);
		return DB_ERROR;
	}
	rc = db_step(s);
	if (rc == DB_ROW) {
		*people = db_col_int(s, 0);
		*signups = db_col_int(s, 1);
		*open_flags = db_col_int(s, 2);
	}
	db_done(s);
	return rc == DB_ROW ? 0 : store_people_step_error(rc);
}
