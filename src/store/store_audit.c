/*
 * store_audit.c — the audit log's rows and its hash chain.
 *
 * Each entry's hash is SHA-256 (libsodium crypto_hash_sha256, lower-case
 * hex) over a canonical serialization of (prev_hash, at, user_id, action,
 * entity, entity_id, before, after): every field is written as an 8-byte
 * big-endian length followed by its bytes, integers as decimal text, and
 * SQL NULL as the length 2^64-1 with no bytes — so no two different entries
 * serialize alike (no separator can be forged inside a value, and NULL is
 * not the empty string). prev_hash is the newest entry's hash, or 64 zeros
 * for the first entry.
 *
 * Invariants: store_audit_append() runs on the writer connection inside the
 * job that makes the change, so reading the newest hash and inserting the
 * next entry cannot interleave with another append (the single writer
 * serializes jobs), and the entry commits with the change or not at all.
 * Threading: no state of its own.
 */
#include "store/store_audit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/limits.h"
#include "store/sql.h"

#define AUDIT_HASH_HEX 64  /* hex characters of a SHA-256 */
/* Sorted keys: the same change always serializes (and hashes) alike. */
#define AUDIT_JSON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

static const char audit_zero_hash[AUDIT_HASH_HEX + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* Feeds one length-prefixed field (s == NULL for SQL NULL) to the hash. */
static void store_audit_feed(crypto_hash_sha256_state *st, const char *s)
{
	unsigned char len[8];
	uint64_t n = s ? (uint64_t)strlen(s) : UINT64_MAX;
	int i;

	for (i = 7; i >= 0; i--) {
		len[i] = (unsigned char)(n & 0xff);
		n >>= 8;
	}
	crypto_hash_sha256_update(st, len, sizeof(len));
	if (s)
		crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s));
}

/* Feeds an integer field (has == 0 for SQL NULL) as decimal text. */
static void store_audit_feed_int(crypto_hash_sha256_state *st, int has, long long v)
{
	char num[32];

	if (!has) {
		store_audit_feed(st, NULL);
		return;
	}
	snprintf(num, sizeof(num), "%lld", v); /* 21 chars at most: cannot truncate */
	store_audit_feed(st, num);
}

/* One entry as stored; user_id / entity_id 0 with has_* 0 mean NULL. */
struct audit_entry {
	const char *prev_hash;
	long long   at;
	int         has_user;
	long long   user_id;
	const char *action;
	const char *entity;
	int         has_entity_id;
	long long   entity_id;
	const char *before;
	const char *after;
};

/* Computes the entry's hash as hex into out[AUDIT_HASH_HEX + 1]. */
static void store_audit_hash(const struct audit_entry *e, char out[AUDIT_HASH_HEX + 1])
{
	crypto_hash_sha256_state st;
	unsigned char digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	store_audit_feed(&st, e->prev_hash);
	store_audit_feed_int(&st, 1, e->at);
	store_audit_feed_int(&st, e->has_user, e->user_id);
	store_audit_feed(&st, e->action);
	store_audit_feed(&st, e->entity);
	store_audit_feed_int(&st, e->has_entity_id, e->entity_id);
	store_audit_feed(&st, e->before);
	store_audit_feed(&st, e->after);
	crypto_hash_sha256_final(&st, digest);
	sodium_bin2hex(out, AUDIT_HASH_HEX + 1, digest, sizeof(digest));
}

/* Reads the newest entry's hash into out (64 zeros when the log is empty). */
static int store_audit_newest_hash(struct db_conn *c, char out[AUDIT_HASH_HEX + 1])
{
	struct db_stmt *s = db_prepare(c, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1");
	const char *h;
	int rc;

	if (s == NULL)
		return DB_ERROR;
	rc = db_step(s);
	if (rc == DB_ROW) {
		h = db_col_text(s, 0);
		if (h == NULL || strlen(h) != AUDIT_HASH_HEX) {
			db_done(s);
			return DB_ERROR;
		}
		memcpy(out, h, AUDIT_HASH_HEX + 1);
	} else if (rc == DB_DONE) {
		memcpy(out, audit_zero_hash, AUDIT_HASH_HEX + 1);
	}
	db_done(s);
	if (rc == DB_ROW || rc == DB_DONE)
		return 0;
	return rc < 0 ? rc : DB_ERROR;
}

int store_audit_append(struct db_conn *c, long long user_id, const char *action,
                       const char *entity, long long entity_id,
                       json_t *before, json_t *after)
{
	struct audit_entry e;
	char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
	char *before_s = NULL, *after_s = NULL;
	struct db_stmt *s = NULL;
	int rc = DB_ERROR, bad = 0;

	if (action == NULL || entity == NULL)
		goto fail;
	if (before && (before_s = json_dumps(before, AUDIT_JSON_FLAGS)) == NULL)
		goto fail;
	if (after && (after_s = json_dumps(after, AUDIT_JSON_FLAGS)) == NULL)
		goto fail;
	if ((rc = store_audit_newest_hash(c, prev)) < 0)
		goto fail;
	rc = DB_ERROR;

	memset(&e, 0, sizeof(e));
	e.prev_hash = prev;
	e.at = db_now();
	e.has_user = user_id > 0;
	e.user_id = user_id > 0 ? user_id : 0;
	e.action = action;
	e.entity = entity;
	e.has_entity_id = 1;
	e.entity_id = entity_id;
	e.before = before_s;
	e.after = after_s;
	store_audit_hash(&e, hash);

	s = db_prepare(c, "INSERT INTO audit_log (at, user_id, action, entity, entity_id, before,"
	                  " after, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (s == NULL)
		goto fail;
	bad |= db_bind_int(s, 1, e.at) != DB_OK;
	bad |= (e.has_user ? db_bind_int(s, 2, e.user_id) : db_bind_null(s, 2)) != DB_OK;
	bad |= db_bind_text(s, 3, action) != DB_OK;
	bad |= db_bind_text(s, 4, entity) != DB_OK;
	bad |= db_bind_int(s, 5, entity_id) != DB_OK;
	bad |= db_bind_text(s, 6, before_s) != DB_OK;
	bad |= db_bind_text(s, 7, after_s) != DB_OK;
	bad |= db_bind_text(s, 8, prev) != DB_OK;
	bad |= db_bind_text(s, 9, hash) != DB_OK;
	if (bad)
		goto fail;
	rc = db_step(s);
	rc = rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
fail:
	if (s)
		db_done(s);
	free(before_s);
	free(after_s);
	return rc;
}

/* Sets obj[key] to the JSON parsed from a text column (null when NULL or
 * unparsable: a listing shows what it can rather than failing). */
static int store_audit_set_json(json_t *obj, const char *key, struct db_stmt *s, int col)
{
	const char *v = db_col_text(s, col);
	json_t *j = NULL;

	if (v)
		j = json_loads(v, JSON_DECODE_ANY, NULL);
	if (j == NULL)
		j = json_null();
	return json_object_set_new(obj, key, j) == 0 ? 0 : DB_ERROR;
}

static int store_audit_set_text(json_t *obj, const char *key, struct db_stmt *s, int col)
{
	const char *v = db_col_text(s, col);
	json_t *j = v ? json_string(v) : json_null();

	if (j == NULL)
		return DB_ERROR;
	return json_object_set_new(obj, key, j) == 0 ? 0 : DB_ERROR;
}

int store_audit_list(struct db_conn *c, int page, int per_page, json_t **rows, long long *total)
{
	struct db_stmt *s = NULL;
	json_t *arr = NULL, *row;
	long long offset;
	int rc = DB_ERROR, step;

	*rows = NULL;
	*total = 0;
	if (per_page < 1)
		per_page = LIMIT_PAGE_SIZE_DEFAULT;
	if (per_page > LIMIT_PAGE_SIZE_MAX)
		per_page = LIMIT_PAGE_SIZE_MAX;
	if (page < 1)
		page = 1;
	offset = (long long)(page - 1) * per_page;
	arr = json_array();
	if (arr == NULL)
		goto fail;
	s = db_prepare(c, "SELECT a.id, a.at, u.email, a.action, a.entity, a.entity_id, a.before,"
	                  " a.after FROM audit_log a LEFT JOIN users u ON u.id = a.user_id"
	                  " ORDER BY a.id DESC LIMIT ? OFFSET ?");
	if (s == NULL)
		goto fail;
	if (db_bind_int(s, 1, per_page) != DB_OK || db_bind_int(s, 2, offset) != DB_OK)
		goto fail;
	while ((step = db_step(s)) == DB_ROW) {
		row = json_object();
		if (row == NULL || json_array_append_new(arr, row) < 0)
			goto fail;
		if (json_object_set_new(row, "id", json_integer(db_col_int(s, 0))) < 0 ||
		    json_object_set_new(row, "at", json_integer(db_col_int(s, 1))) < 0 ||
		    store_audit_set_text(row, "user_email", s, 2) < 0 ||
		    store_audit_set_text(row, "action", s, 3) < 0 ||
		    store_audit_set_text(row, "entity", s, 4) < 0 ||
		    json_object_set_new(row, "entity_id", db_col_is_null(s, 5) ? json_null()
		                        : json_integer(db_col_int(s, 5))) < 0 ||
		    store_audit_set_json(row, "before", s, 6) < 0 ||
		    store_audit_set_json(row, "after", s, 7) < 0)
			goto fail;
	}
	if (step != DB_DONE) {
		rc = step < 0 ? step : DB_ERROR;
		goto fail;
	}
	db_done(s);
	s = db_prepare(c, "SELECT count(*) FROM audit_log");
	if (s == NULL)
		goto fail;
	step = db_step(s);
	if (step != DB_ROW) {
		rc = step < 0 ? step : DB_ERROR;
		goto fail;
	}
	*total = db_col_int(s, 0);
	db_done(s);
	*rows = arr;
	return 0;
fail:
	if (s)
		db_done(s);
	json_decref(arr);
	return rc;
}

int store_audit_page(struct db *db, int page, int per_page, json_t **rows, long long *total)
{
	struct db_conn *c = db_read_begin(db);
	int rc = store_audit_list(c, page, per_page, rows, total);

	db_read_end(db, c);
	return rc;
}

/* store_audit_verify, also counting the entries checked (*entries). */
static int store_audit_verify_count(struct db_conn *c, long long *first_bad, long long *entries)
{
	struct db_stmt *s;
	struct audit_entry e;
	char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
	const char *stored_prev, *stored_hash;
	int step, broken = 0;

	*first_bad = 0;
	*entries = 0;
	memcpy(prev, audit_zero_hash, sizeof(prev));
	s = db_prepare(c, "SELECT id, at, user_id, action, entity, entity_id, before, after,"
	                  " prev_hash, hash FROM audit_log ORDER BY id");
	if (s == NULL)
		return DB_ERROR;
	while ((step = db_step(s)) == DB_ROW) {
		memset(&e, 0, sizeof(e));
		e.prev_hash = prev;
		e.at = db_col_int(s, 1);
		e.has_user = !db_col_is_null(s, 2);
		e.user_id = db_col_int(s, 2);
		e.action = db_col_text(s, 3);
		e.entity = db_col_text(s, 4);
		e.has_entity_id = !db_col_is_null(s, 5);
		e.entity_id = db_col_int(s, 5);
		e.before = db_col_text(s, 6);
		e.after = db_col_text(s, 7);
		stored_prev = db_col_text(s, 8);
		stored_hash = db_col_text(s, 9);
		store_audit_hash(&e, hash);
		if (stored_prev == NULL || stored_hash == NULL || strcmp(stored_prev, prev) != 0 ||
		    strcmp(stored_hash, hash) != 0) {
			*first_bad = db_col_int(s, 0);
			broken = 1;
			break;
		}
		memcpy(prev, hash, sizeof(prev));
		(*entries)++;
	}
	db_done(s);
	if (broken)
		return 1;
	return step == DB_DONE ? 0 : (step < 0 ? step : DB_ERROR);
}

int store_audit_verify(struct db_conn *c, long long *first_bad)
{
	long long entries = 0;

	return store_audit_verify_count(c, first_bad, &entries);
}

int store_audit_verify_db(struct db *db, long long *first_bad, long long *entries)
{
	struct db_conn *c = db_read_begin(db);
	int rc;

	*entries = 0;
	rc = store_audit_verify_count(c, first_bad, entries);
	db_read_end(db, c);
	return rc;
}
