/*
 * test_people.c — the people core against a real SQLite database: signup
 * dedupe (new, merged by email in any case, merged by phone, flagged when
 * email and phone point at two people, exact under 16 concurrent threads),
 * demographics sealed at rest and shown only with PERM_DEMOGRAPHICS_READ,
 * search (text, email, phone, ZIP, every filter, sorts, paging, hostile
 * FTS input, index use), notes, merges, flag dismissal, held submissions,
 * counts, and the audit log's hash chain.
 *
 * Each test gets a fresh database file in its own mkdtemp() directory,
 * removed afterwards. Test-only SQL (reading raw columns, tampering with
 * the audit log) goes through store/sql.h like the store's own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "domain/audit.h"
#include "domain/auth.h"
#include "domain/keys.h"
#include "domain/intake.h"
#include "domain/people.h"
#include "domain/person.h"
#include "domain/roles.h"
#include "domain/sealed.h"
#include "lib/limits.h"
#include "store/db.h"
#include "store/sql.h"
#include "store/store_audit.h"
#include "store/store_people.h"
#include "store/store_search_queue.h"

struct fixture {
	char        dir[64];
	char        path[128];
	struct db  *db;
	struct keys keys;
};

static const struct staff_user viewer_staff = {
	.id = 1, .email = "staff@example.org", .role = ROLE_STAFF,
	.perms = PERM_PEOPLE_READ | PERM_PEOPLE_WRITE | PERM_PEOPLE_MERGE | PERM_DEMOGRAPHICS_READ
};
static const struct staff_user viewer_volunteer = {
	.id = 2, .email = "volunteer@example.org", .role = ROLE_VOLUNTEER,
	.perms = PERM_PEOPLE_READ | PERM_PEOPLE_WRITE
};

/* ---- fixture ---- */

/* Runs the SQL of arg in a writer job. The statement cache knows SQL by
 * its address: each text needs a buffer of its own. */
static int exec_run(struct db_conn *c, void *arg)
{
	struct db_stmt *s = db_prepare(c, arg);
	int rc;

	if (s == NULL)
		return -1;
	rc = db_step(s);
	db_done(s);
	return rc == DB_DONE ? 0 : -1;
}

static const char add_users_sql[] =
	"INSERT INTO users (id, email, password_hash, role, created_at,"
	" password_changed_at) VALUES (1, 'staff@example.org', 'x', 'staff', 0, 0),"
	" (2, 'volunteer@example.org', 'x', 'volunteer', 0, 0)";

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256];
	int applied = 0;

	if (fx == NULL || sodium_init() < 0)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/onramp-people-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "sqlite:%s/t.db", fx->dir);
	if (db_open(fx->path, &fx->db, err, sizeof(err)) < 0) {
		fprintf(stderr, "db_open: %s\n", err);
		return -1;
	}
	if (db_migrate(fx->db, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "db_migrate: %s\n", err);
		return -1;
	}
	if (db_write(fx->db, exec_run, (void *)add_users_sql) < 0)
		return -1;
	randombytes_buf(fx->keys.demographics, sizeof(fx->keys.demographics));
	randombytes_buf(fx->keys.csrf, sizeof(fx->keys.csrf));
	randombytes_buf(fx->keys.ip_hash, sizeof(fx->keys.ip_hash));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char p[160];
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	size_t i;

	db_close(fx->db);
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s/t.db%s", fx->dir, suffixes[i]);
		unlink(p);
	}
	rmdir(fx->dir);
	sodium_memzero(&fx->keys, sizeof(fx->keys));
	free(fx);
	return 0;
}

/* ---- helpers ---- */

/* A normalized person, as person_validate() gives it. phone may be NULL. */
static json_t *person_new(const char *first, const char *last, const char *email,
                          const char *phone, const char *zip, const char *state)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b}",
	                      "first_name", first, "last_name", last, "email", email,
	                      "zip", zip, "state", state,
	                      "consent_email", 0, "consent_sms", 0, "consent_share", 0);

	assert_non_null(p);
	if (phone)
		assert_int_equal(json_object_set_new(p, "phone", json_string(phone)), 0);
	return p;
}

static void set_str(json_t *o, const char *k, const char *v)
{
	assert_int_equal(json_object_set_new(o, k, json_string(v)), 0);
}

static void set_codes(json_t *o, const char *k, const char *a, const char *b)
{
	json_t *arr = json_array();

	assert_non_null(arr);
	json_array_append_new(arr, json_string(a));
	if (b)
		json_array_append_new(arr, json_string(b));
	assert_int_equal(json_object_set_new(o, k, arr), 0);
}

/* Signs person up (raw = a copy of it) with meta; returns the result. */
static struct signup_result signup_meta(struct fixture *fx, json_t *person,
                                        const struct signup_meta *meta)
{
	struct signup_result res;
	json_t *raw = json_deep_copy(person);

	assert_non_null(raw);
	assert_int_equal(people_signup(fx->db, &fx->keys, person, raw, meta, &res), 0);
	json_decref(raw);
	return res;
}

static struct signup_result signup(struct fixture *fx, json_t *person)
{
	struct signup_meta meta = { .source = "web", .kind = "signup" };

	return signup_meta(fx, person, &meta);
}

/* Runs a one-value SELECT with an optional integer ?1 on a read connection. */
static long long q_int(struct fixture *fx, const char *sql, long long arg)
{
	struct db_conn *c = db_read_begin(fx->db);
	struct db_stmt *s = db_prepare(c, sql);
	long long v = -1;

	assert_non_null(s);
	if (strchr(sql, '?'))
		assert_int_equal(db_bind_int(s, 1, arg), DB_OK);
	if (db_step(s) == DB_ROW)
		v = db_col_int(s, 0);
	db_done(s);
	db_read_end(fx->db, c);
	return v;
}

static long long count_people(struct fixture *fx)
{
	return q_int(fx, "SELECT count(*) FROM people", 0);
}

static json_t *get_person(struct fixture *fx, const struct staff_user *viewer, long long id)
{
	json_t *p = NULL;

	assert_int_equal(people_get(fx->db, &fx->keys, viewer, id, &p), 0);
	assert_non_null(p);
	return p;
}

static const char *str_of(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int array_has(json_t *arr, const char *v)
{
	size_t i;
	json_t *x;

	json_array_foreach(arr, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), v) == 0)
			return 1;
	return 0;
}

/* Runs a search; returns the rows (caller decrefs) and sets *total. */
static json_t *search(struct fixture *fx, const struct people_query *q, long long *total)
{
	json_t *rows = NULL;

	assert_int_equal(people_search(fx->db, q, &rows, total), 0);
	assert_true(json_is_array(rows));
	return rows;
}

static long long search_q(struct fixture *fx, const char *text, long long *first_id)
{
	struct people_query q = { 0 };
	long long total = -1;
	json_t *rows;

	q.q = text;
	q.page = 1;
	q.per_page = 50;
	rows = search(fx, &q, &total);
	assert_int_equal((long long)json_array_size(rows), total < 50 ? total : 50);
	if (first_id)
		*first_id = json_array_size(rows)
			? json_integer_value(json_object_get(json_array_get(rows, 0), "id")) : 0;
	json_decref(rows);
	return total;
}

/* ---- signup and dedupe ---- */

static void test_signup_new(void **state)
{
	struct fixture *fx = *state;
	struct signup_meta meta = { .source = "newsletter", .ref = "REF42", .kind = "signup",
	                            .ip_hash = "iphash", .received_at = 1700000000 };
	json_t *p = person_new("Jane", "Doe", "jane@example.com", "+15551234567", "12345", "CA");
	json_t *got, *sub;
	struct signup_result res;
	long long queued = -1;

	set_codes(p, "office_interests", "school_board", "city_council");
	set_codes(p, "help_wanted", "training", NULL);
	json_object_set_new(p, "consent_email", json_true());
	res = signup_meta(fx, p, &meta);
	assert_int_equal(res.outcome, SIGNUP_NEW);
	assert_true(res.person_id > 0);
	assert_true(res.submission_id > 0);
	assert_int_equal(count_people(fx), 1);
	/* the ids the inserts reported are the rows' own (SQLite reads them
	 * without RETURNING, past the counters' TEMP triggers) */
	assert_int_equal(q_int(fx, "SELECT max(id) FROM people", 0), res.person_id);
	assert_int_equal(q_int(fx, "SELECT person_id FROM submissions WHERE id = ?", res.submission_id),
	                 res.person_id);
	assert_int_equal(q_int(fx, "SELECT created_at FROM people WHERE id = ?", res.person_id),
	                 1700000000);
	/* Logged for the search index in the signup's own commit; a search
	 * (or anything calling store_search_catch_up) indexes them. */
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people_fts_log WHERE person_id = ?",
	                       res.person_id), 1);
	assert_int_equal(search_q(fx, "Jane", NULL), 1);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people_fts WHERE rowid = ?", res.person_id), 1);
	assert_int_equal(store_search_queued(fx->db, &queued), 0);
	assert_int_equal(queued, 0);

	got = get_person(fx, &viewer_volunteer, res.person_id);
	assert_string_equal(str_of(got, "first_name"), "Jane");
	assert_string_equal(str_of(got, "name"), "Jane Doe");
	assert_string_equal(str_of(got, "source"), "newsletter");
	assert_string_equal(str_of(got, "ref_code"), "REF42");
	assert_true(json_is_true(json_object_get(got, "consent_email")));
	assert_true(json_is_false(json_object_get(got, "consent_sms")));
	assert_true(array_has(json_object_get(got, "emails"), "jane@example.com"));
	assert_true(array_has(json_object_get(got, "phones"), "+15551234567"));
	assert_true(array_has(json_object_get(got, "office_interests"), "school_board"));
	assert_true(array_has(json_object_get(got, "office_interests"), "city_council"));
	assert_true(array_has(json_object_get(got, "help_wanted"), "training"));
	assert_int_equal(json_array_size(json_object_get(got, "submissions")), 1);
	sub = json_array_get(json_object_get(got, "submissions"), 0);
	assert_string_equal(str_of(sub, "kind"), "signup");
	assert_string_equal(str_of(sub, "status"), "accepted");
	assert_string_equal(str_of(sub, "source"), "newsletter");
	assert_int_equal(json_integer_value(json_object_get(sub, "received_at")), 1700000000);
	assert_string_equal(str_of(json_object_get(sub, "answers"), "first_name"), "Jane");
	assert_int_equal(json_array_size(json_object_get(got, "notes")), 0);
	assert_int_equal(json_array_size(json_object_get(got, "flags")), 0);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM submissions WHERE ip_hash = 'iphash'", 0), 1);
	json_decref(got);
	json_decref(p);

	got = NULL;
	assert_int_equal(people_get(fx->db, &fx->keys, &viewer_staff, 999999, &got), 1);
	assert_null(got);
}

/* Through person_validate, as the signup page does: the same address in
 * another case is the same person. */
static void test_signup_same_email_other_case_merges(void **state)
{
	struct fixture *fx = *state;
	json_t *raw1 = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "first_name", "Ana",
	                         "last_name", "Ruiz", "email", "Ana.Ruiz@Example.com",
	                         "zip", "90210", "state", "CA", "city", "");
	json_t *raw2 = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "first_name", "Ana",
	                         "last_name", "Ruiz", "email", "  ana.ruiz@EXAMPLE.COM ",
	                         "zip", "90210", "state", "CA", "city", "Los Angeles");
	json_t *n1 = NULL, *n2 = NULL, *errs = NULL, *got;
	struct signup_meta meta = { .kind = "signup" };
	struct signup_result r1, r2;

	assert_int_equal(person_validate(raw1, &n1, &errs), 0);
	assert_int_equal(person_validate(raw2, &n2, &errs), 0);
	assert_int_equal(people_signup(fx->db, &fx->keys, n1, raw1, &meta, &r1), 0);
	assert_int_equal(people_signup(fx->db, &fx->keys, n2, raw2, &meta, &r2), 0);
	assert_int_equal(r1.outcome, SIGNUP_NEW);
	assert_int_equal(r2.outcome, SIGNUP_MERGED);
	assert_int_equal(r2.person_id, r1.person_id);
	assert_true(r2.submission_id != r1.submission_id);
	assert_int_equal(count_people(fx), 1);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM submissions WHERE person_id = ?", r1.person_id), 2);
	got = get_person(fx, &viewer_staff, r1.person_id);
	/* The newer, non-empty answer filled the empty field. */
	assert_string_equal(str_of(got, "city"), "Los Angeles");
	assert_int_equal(json_array_size(json_object_get(got, "emails")), 1);
	assert_int_equal(json_array_size(json_object_get(got, "submissions")), 2);
	/* Newest first, each with what was typed. */
	assert_string_equal(str_of(json_object_get(json_array_get(json_object_get(got, "submissions"), 0),
	                                           "answers"), "email"), "  ana.ruiz@EXAMPLE.COM ");
	json_decref(got);
	json_decref(n1);
	json_decref(n2);
	json_decref(raw1);
	json_decref(raw2);
}

/* store_people_update on SQLite is two statements (the indexed columns only
 * when one changed): either way every column and every people index must
 * end up with the new values. */
struct update_job {
	long long id;
	json_t   *row;
};

static int update_run(struct db_conn *c, void *arg)
{
	struct update_job *j = arg;

	return store_people_update(c, j->id, j->row, NULL, 0);
}

/* The stored row of person id, read on a read connection (caller decrefs). */
static json_t *load_row(struct fixture *fx, long long id)
{
	struct db_conn *c = db_read_begin(fx->db);
	json_t *row = NULL;

	assert_int_equal(store_people_load(c, id, &row, NULL, NULL), 1);
	db_read_end(fx->db, c);
	assert_non_null(row);
	return row;
}

static void test_update_plain_and_indexed_columns(void **state)
{
	struct fixture *fx = *state;
	json_t *p = person_new("Mia", "Okafor", "mia@example.com", NULL, "10001", "NY");
	struct signup_result res = signup(fx, p);
	struct update_job job;
	json_t *row;

	job.id = res.person_id;
	/* Only columns no index covers: the city and updated_at. */
	row = load_row(fx, res.person_id);
	json_object_set_new(row, "city", json_string("New York"));
	json_object_set_new(row, "updated_at", json_integer(1800000000));
	job.row = row;
	assert_int_equal(db_write(fx->db, update_run, &job), 0);
	json_decref(row);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people WHERE id = ? AND city = 'New York'"
	                           " AND updated_at = 1800000000 AND last_name = 'Okafor'"
	                           " AND state = 'NY'", res.person_id), 1);
	/* Then indexed ones: the name, the state and the source. */
	row = load_row(fx, res.person_id);
	json_object_set_new(row, "last_name", json_string("Okafor-Reyes"));
	json_object_set_new(row, "state", json_string("NJ"));
	json_object_set_new(row, "source", json_string("partner"));
	job.row = row;
	assert_int_equal(db_write(fx->db, update_run, &job), 0);
	json_decref(row);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people INDEXED BY people_name"
	                           " WHERE last_name = 'Okafor-Reyes' AND id = ?", res.person_id), 1);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people INDEXED BY people_name"
	                           " WHERE last_name = 'Okafor'", 0), 0);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people INDEXED BY people_state"
	                           " WHERE state = 'NJ' AND id = ?", res.person_id), 1);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people INDEXED BY people_source"
	                           " WHERE source = 'partner' AND id = ?", res.person_id), 1);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people WHERE id = ? AND city = 'New York'",
	                       res.person_id), 1);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM pragma_integrity_check"
	                           " WHERE integrity_check <> 'ok'", 0), 0);
	json_decref(p);
}

static void test_signup_same_phone_new_email_merges(void **state)
{
	struct fixture *fx = *state;
	json_t *p1 = person_new("Sam", "Lee", "sam@old.example", "+15550001111", "10001", "NY");
	json_t *p2 = person_new("Samuel", "Lee", "sam@new.example", "+15550001111", "10001", "NY");
	struct signup_result r1, r2;
	json_t *got;

	set_codes(p1, "office_interests", "county", NULL);
	set_codes(p2, "office_interests", "judicial", "county");
	json_object_set_new(p1, "consent_sms", json_true());
	json_object_set_new(p2, "consent_sms", json_false());
	json_object_set_new(p2, "consent_share", json_true());
	r1 = signup(fx, p1);
	r2 = signup(fx, p2);
	assert_int_equal(r2.outcome, SIGNUP_MERGED);
	assert_int_equal(r2.person_id, r1.person_id);
	assert_int_equal(count_people(fx), 1);
	got = get_person(fx, &viewer_staff, r1.person_id);
	assert_int_equal(json_array_size(json_object_get(got, "emails")), 2);
	assert_true(array_has(json_object_get(got, "emails"), "sam@old.example"));
	assert_true(array_has(json_object_get(got, "emails"), "sam@new.example"));
	assert_int_equal(json_array_size(json_object_get(got, "phones")), 1);
	/* Newer answers win; choices are the union; consents stay given. */
	assert_string_equal(str_of(got, "first_name"), "Samuel");
	assert_int_equal(json_array_size(json_object_get(got, "office_interests")), 2);
	assert_true(array_has(json_object_get(got, "office_interests"), "judicial"));
	assert_true(json_is_true(json_object_get(got, "consent_sms")));
	assert_true(json_is_true(json_object_get(got, "consent_share")));
	json_decref(got);
	/* The new email now finds them too. */
	assert_int_equal(search_q(fx, "sam@new.example", NULL), 1);

	/* And the email alone with a new phone adds that phone. */
	json_decref(p1);
	p1 = person_new("Sam", "Lee", "sam@old.example", "+15550002222", "10001", "NY");
	r2 = signup(fx, p1);
	assert_int_equal(r2.outcome, SIGNUP_MERGED);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM person_phones WHERE person_id = ?", r1.person_id), 2);
	json_decref(p1);
	json_decref(p2);
}

static void test_signup_conflict_flags(void **state)
{
	struct fixture *fx = *state;
	json_t *a = person_new("Alice", "Adams", "alice@example.com", "+15551110000", "11111", "TX");
	json_t *b = person_new("Bob", "Brown", "bob@example.com", "+15552220000", "22222", "WA");
	json_t *mix = person_new("Alicia", "Brown", "alice@example.com", "+15552220000", "33333", "OR");
	json_t *before_a, *before_b, *after_a, *after_b, *flags = NULL, *f, *pa;
	struct signup_result ra, rb, rm, rm2;

	ra = signup(fx, a);
	rb = signup(fx, b);
	before_a = get_person(fx, &viewer_staff, ra.person_id);
	before_b = get_person(fx, &viewer_staff, rb.person_id);
	rm = signup(fx, mix);
	assert_int_equal(rm.outcome, SIGNUP_FLAGGED);
	assert_int_equal(rm.person_id, ra.person_id);
	assert_int_equal(count_people(fx), 2);
	assert_int_equal(q_int(fx, "SELECT person_id FROM submissions WHERE id = ?", rm.submission_id),
	                 ra.person_id);

	after_a = get_person(fx, &viewer_staff, ra.person_id);
	after_b = get_person(fx, &viewer_staff, rb.person_id);
	/* Neither person changed: same fields and identifiers. */
	assert_string_equal(str_of(after_a, "first_name"), "Alice");
	assert_string_equal(str_of(after_a, "zip"), "11111");
	assert_true(json_equal(json_object_get(before_a, "emails"), json_object_get(after_a, "emails")));
	assert_true(json_equal(json_object_get(before_a, "phones"), json_object_get(after_a, "phones")));
	assert_true(json_equal(json_object_get(before_b, "emails"), json_object_get(after_b, "emails")));
	assert_true(json_equal(json_object_get(before_b, "phones"), json_object_get(after_b, "phones")));
	assert_string_equal(str_of(after_b, "first_name"), "Bob");
	assert_int_equal(json_integer_value(json_object_get(before_a, "updated_at")),
	                 json_integer_value(json_object_get(after_a, "updated_at")));
	/* The submission is in A's history; both pages show the flag. */
	assert_int_equal(json_array_size(json_object_get(after_a, "submissions")), 2);
	assert_int_equal(json_array_size(json_object_get(after_a, "flags")), 1);
	f = json_array_get(json_object_get(after_a, "flags"), 0);
	assert_int_equal(json_integer_value(json_object_get(f, "other_id")), rb.person_id);
	assert_string_equal(str_of(f, "other_name"), "Bob Brown");
	assert_int_equal(json_array_size(json_object_get(after_b, "flags")), 1);

	assert_int_equal(people_flags_open(fx->db, &flags), 0);
	assert_int_equal(json_array_size(flags), 1);
	f = json_array_get(flags, 0);
	assert_int_equal(json_integer_value(json_object_get(f, "person_a")), ra.person_id);
	assert_int_equal(json_integer_value(json_object_get(f, "person_b")), rb.person_id);
	assert_string_equal(str_of(f, "name_a"), "Alice Adams");
	assert_string_equal(str_of(f, "name_b"), "Bob Brown");
	{
		char want[96];
		snprintf(want, sizeof(want), "email matches #%lld, phone matches #%lld",
		         ra.person_id, rb.person_id);
		assert_string_equal(str_of(f, "reason"), want);
	}
	json_decref(flags);

	/* The same conflict again: attached and flagged, but one open flag per pair. */
	rm2 = signup(fx, mix);
	assert_int_equal(rm2.outcome, SIGNUP_FLAGGED);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM duplicate_flags WHERE status = 'open'", 0), 1);
	pa = get_person(fx, &viewer_staff, ra.person_id);
	assert_int_equal(json_array_size(json_object_get(pa, "submissions")), 3);
	json_decref(pa);

	json_decref(before_a);
	json_decref(before_b);
	json_decref(after_a);
	json_decref(after_b);
	json_decref(a);
	json_decref(b);
	json_decref(mix);
}

struct race_arg {
	struct fixture *fx;
	int             ok;
	long long       person_id;
};

static void *race_thread(void *p)
{
	struct race_arg *arg = p;
	json_t *person = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "first_name", "Rae",
	                           "last_name", "Race", "email", "rae@example.com",
	                           "phone", "+15557770000", "zip", "55555", "state", "MN");
	json_t *raw = json_deep_copy(person);
	struct signup_meta meta = { .kind = "signup" };
	struct signup_result res;

	arg->ok = person && raw &&
	          people_signup(arg->fx->db, &arg->fx->keys, person, raw, &meta, &res) == 0;
	if (arg->ok)
		arg->person_id = res.person_id;
	json_decref(person);
	json_decref(raw);
	return NULL;
}

static void test_signup_concurrent_same_person(void **state)
{
	struct fixture *fx = *state;
	pthread_t th[16];
	struct race_arg args[16];
	int i;

	for (i = 0; i < 16; i++) {
		args[i].fx = fx;
		args[i].ok = 0;
		args[i].person_id = 0;
		assert_int_equal(pthread_create(&th[i], NULL, race_thread, &args[i]), 0);
	}
	for (i = 0; i < 16; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 16; i++) {
		assert_true(args[i].ok);
		assert_int_equal(args[i].person_id, args[0].person_id);
	}
	assert_int_equal(count_people(fx), 1);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM submissions", 0), 16);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM submissions WHERE person_id = ?",
	                       args[0].person_id), 16);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM person_emails", 0), 1);
	assert_int_equal(store_search_catch_up(fx->db), 0);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people_fts", 0), 1);
}

/* ---- demographics ---- */

/* Reads a blob column of one row into a malloc'd copy. */
static unsigned char *read_blob(struct fixture *fx, const char *sql, long long id, size_t *len)
{
	struct db_conn *c = db_read_begin(fx->db);
	struct db_stmt *s = db_prepare(c, sql);
	unsigned char *copy = NULL;
	const void *b;

	*len = 0;
	assert_non_null(s);
	assert_int_equal(db_bind_int(s, 1, id), DB_OK);
	if (db_step(s) == DB_ROW && (b = db_col_blob(s, 0, len)) != NULL && *len) {
		copy = malloc(*len);
		assert_non_null(copy);
		memcpy(copy, b, *len);
	}
	db_done(s);
	db_read_end(fx->db, c);
	return copy;
}

static char *read_text(struct fixture *fx, const char *sql, long long id)
{
	struct db_conn *c = db_read_begin(fx->db);
	struct db_stmt *s = db_prepare(c, sql);
	char *copy = NULL;

	assert_non_null(s);
	assert_int_equal(db_bind_int(s, 1, id), DB_OK);
	if (db_step(s) == DB_ROW && db_col_text(s, 0))
		copy = strdup(db_col_text(s, 0));
	db_done(s);
	db_read_end(fx->db, c);
	return copy;
}

static void test_demographics_sealed_and_gated(void **state)
{
	struct fixture *fx = *state;
	json_t *p = person_new("Dee", "Mo", "dee@example.com", NULL, "44444", "OH");
	json_t *got, *demo, *answers, *opened = NULL;
	struct signup_result r;
	unsigned char *blob;
	size_t len;
	char *text, *dump;

	set_str(p, "gender", "nonbinary");
	set_str(p, "pronouns", "xe/xem-unique");
	set_codes(p, "race_ethnicity", "asian", "white");
	set_str(p, "veteran", "yes");
	r = signup(fx, p);

	/* At rest: sealed blobs, no plain text anywhere. */
	blob = read_blob(fx, "SELECT demographics FROM people WHERE id = ?", r.person_id, &len);
	assert_non_null(blob);
	assert_null(memmem(blob, len, "nonbinary", 9));
	assert_null(memmem(blob, len, "xe/xem-unique", 13));
	assert_int_equal(sealed_decrypt_json(fx->keys.demographics, blob, len, &opened), 0);
	assert_string_equal(str_of(opened, "gender"), "nonbinary");
	json_decref(opened);
	free(blob);
	blob = read_blob(fx, "SELECT sensitive FROM submissions WHERE id = ?", r.submission_id, &len);
	assert_non_null(blob);
	assert_null(memmem(blob, len, "nonbinary", 9));
	free(blob);
	text = read_text(fx, "SELECT payload FROM submissions WHERE id = ?", r.submission_id);
	assert_non_null(text);
	assert_null(strstr(text, "nonbinary"));
	assert_null(strstr(text, "xe/xem-unique"));
	assert_null(strstr(text, "gender"));
	assert_null(strstr(text, "race_ethnicity"));
	assert_non_null(strstr(text, "Dee"));
	free(text);
	/* The choice table holds only non-sensitive choices. */
	assert_int_equal(q_int(fx, "SELECT count(*) FROM person_choices WHERE field = 'race_ethnicity'", 0), 0);

	/* Staff (PERM_DEMOGRAPHICS_READ) see them. */
	got = get_person(fx, &viewer_staff, r.person_id);
	demo = json_object_get(got, "demographics");
	assert_true(json_is_object(demo));
	assert_string_equal(str_of(demo, "gender"), "nonbinary");
	assert_string_equal(str_of(demo, "pronouns"), "xe/xem-unique");
	assert_true(array_has(json_object_get(demo, "race_ethnicity"), "asian"));
	answers = json_object_get(json_array_get(json_object_get(got, "submissions"), 0), "answers");
	assert_string_equal(str_of(answers, "veteran"), "yes");
	json_decref(got);

	/* A volunteer sees none of it, anywhere in the page. */
	got = get_person(fx, &viewer_volunteer, r.person_id);
	assert_null(json_object_get(got, "demographics"));
	dump = json_dumps(got, 0);
	assert_non_null(dump);
	assert_null(strstr(dump, "nonbinary"));
	assert_null(strstr(dump, "xe/xem-unique"));
	assert_null(strstr(dump, "veteran"));
	free(dump);
	json_decref(got);
	/* Nor does a page rendered for nobody. */
	got = get_person(fx, NULL, r.person_id);
	assert_null(json_object_get(got, "demographics"));
	json_decref(got);

	/* A later answer merges into the sealed demographics (newer wins). */
	json_object_del(p, "gender");
	json_object_del(p, "race_ethnicity");
	set_str(p, "pronouns", "they/them");
	set_str(p, "lgbtq", "yes");
	signup(fx, p);
	got = get_person(fx, &viewer_staff, r.person_id);
	demo = json_object_get(got, "demographics");
	assert_string_equal(str_of(demo, "gender"), "nonbinary");
	assert_string_equal(str_of(demo, "pronouns"), "they/them");
	assert_string_equal(str_of(demo, "lgbtq"), "yes");
	assert_string_equal(str_of(demo, "veteran"), "yes");
	json_decref(got);
	json_decref(p);
}

/* ---- search ---- */

struct seed {
	const char *first, *last, *email, *phone, *zip, *state, *source, *office, *help;
	long long   at;
};

/* 2023-01-10, 2023-02-15, 2023-03-20 … at noon UTC. */
static const struct seed seeds[] = {
	{ "Maria", "Garcia", "maria@example.com", "+15125550101", "78701", "TX", "web",
	  "school_board", "training", 1673352000 },
	{ "Marcus", "Hill", "marcus@example.com", "+12065550102", "98101", "WA", "email",
	  "city_council", "mentorship", 1676462400 },
	{ "Priya", "Shah", "priya@example.com", NULL, "10001", "NY", "web",
	  "school_board", "seed_money", 1679313600 },
	{ "Tom", "Anders", "tom@example.com", "+13125550104", "60601", "IL", "event",
	  "judicial", "training", 1681992000 },
	{ "Zoë", "Ngô", "zoe@example.com", "+15125550105", "78702", "TX", "web",
	  "county", "networking", 1684584000 },
};

static void seed_people(struct fixture *fx, long long ids[5])
{
	size_t i;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		const struct seed *s = &seeds[i];
		struct signup_meta meta = { .source = s->source, .kind = "signup", .received_at = s->at };
		json_t *p = person_new(s->first, s->last, s->email, s->phone, s->zip, s->state);
		struct signup_result r;

		set_codes(p, "office_interests", s->office, NULL);
		set_codes(p, "help_wanted", s->help, NULL);
		r = signup_meta(fx, p, &meta);
		assert_int_equal(r.outcome, SIGNUP_NEW);
		ids[i] = r.person_id;
		json_decref(p);
	}
}

static void test_search_text_email_phone_zip(void **state)
{
	struct fixture *fx = *state;
	long long ids[5], first;

	seed_people(fx, ids);
	assert_int_equal(search_q(fx, NULL, NULL), 5);
	assert_int_equal(search_q(fx, "   ", NULL), 5);
	/* Name prefixes, any case, across first and last names. */
	assert_int_equal(search_q(fx, "mar", NULL), 2);
	assert_int_equal(search_q(fx, "MARIA", &first), 1);
	assert_int_equal(first, ids[0]);
	assert_int_equal(search_q(fx, "mar gar", &first), 1);
	assert_int_equal(first, ids[0]);
	assert_int_equal(search_q(fx, "shah", &first), 1);
	assert_int_equal(first, ids[2]);
	/* Diacritics folded: "zoe ngo" finds Zoë Ngô. */
	assert_int_equal(search_q(fx, "zoe ngo", &first), 1);
	assert_int_equal(first, ids[4]);
	/* Exact email, in any case; a partial email finds nobody by email. */
	assert_int_equal(search_q(fx, "Priya@Example.com", &first), 1);
	assert_int_equal(first, ids[2]);
	assert_int_equal(search_q(fx, "nobody@example.com", NULL), 0);
	/* Phone digits in any common form; 7+ digits only. */
	assert_int_equal(search_q(fx, "(512) 555-0101", &first), 1);
	assert_int_equal(first, ids[0]);
	assert_int_equal(search_q(fx, "+1 512 555 0105", &first), 1);
	assert_int_equal(first, ids[4]);
	assert_int_equal(search_q(fx, "5125550", NULL), 2);
	assert_int_equal(search_q(fx, "555-0104", &first), 1);
	assert_int_equal(first, ids[3]);
	/* ZIP (and ZIP prefix). */
	assert_int_equal(search_q(fx, "10001", &first), 1);
	assert_int_equal(first, ids[2]);
	assert_int_equal(search_q(fx, "7870", NULL), 2);
	/* Nothing. */
	assert_int_equal(search_q(fx, "xylophone", NULL), 0);
}

static void test_search_hostile_fts_input(void **state)
{
	struct fixture *fx = *state;
	static const char *const inputs[] = {
		"\"", "\"\"", "*", "**", "(", ")", "()", "maria)", "(maria", "\"maria",
		"maria\"", "ma\"ria", "a OR b", "maria OR tom", "NOT maria", "maria AND",
		"NEAR(maria tom)", "-maria", "^maria", "maria:", "contact:", "name : maria",
		"{name}: x", "+", "maria*", "*maria", "'", "\\", "%", "_", "— –", "\xc3\xa9",
		"1 2 3 4 5 6", "@", "a@", "@b", "x\"@y", "((((((((", "\"*\"*\"*",
	};
	long long ids[5];
	size_t i;

	seed_people(fx, ids);
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		search_q(fx, inputs[i], NULL);  /* asserts the call succeeds */
	/* Operators are plain words: "maria OR tom" means both words, so nobody. */
	assert_int_equal(search_q(fx, "maria OR tom", NULL), 0);
	assert_int_equal(search_q(fx, "maria*", NULL), 1);
	assert_int_equal(search_q(fx, "(maria)", NULL), 1);
	assert_int_equal(search_q(fx, "\"maria\"", NULL), 1);
	/* Too long to be anything: no rows, no error. */
	{
		char longq[LIMIT_SHORT_TEXT + 10];
		memset(longq, 'a', sizeof(longq) - 1);
		longq[sizeof(longq) - 1] = '\0';
		assert_int_equal(search_q(fx, longq, NULL), 0);
	}
}

/* The ids of rows, in order, into out; returns how many. */
static size_t row_ids(json_t *rows, long long *out, size_t max)
{
	size_t i;

	for (i = 0; i < json_array_size(rows) && i < max; i++)
		out[i] = json_integer_value(json_object_get(json_array_get(rows, i), "id"));
	return i;
}

static void test_search_filters_sort_paging(void **state)
{
	struct fixture *fx = *state;
	struct people_query q;
	long long ids[5], got[10], total;
	json_t *rows, *r0;

	seed_people(fx, ids);

	memset(&q, 0, sizeof(q));
	q.state = "TX";
	rows = search(fx, &q, &total);
	assert_int_equal(total, 2);
	assert_int_equal(row_ids(rows, got, 10), 2);
	assert_int_equal(got[0], ids[4]);  /* newest first by default */
	assert_int_equal(got[1], ids[0]);
	r0 = json_array_get(rows, 0);
	assert_string_equal(str_of(r0, "name"), "Zoë Ngô");
	assert_string_equal(str_of(r0, "email"), "zoe@example.com");
	assert_string_equal(str_of(r0, "phone"), "+15125550105");
	assert_string_equal(str_of(r0, "zip"), "78702");
	assert_string_equal(str_of(r0, "state"), "TX");
	assert_int_equal(json_integer_value(json_object_get(r0, "created_at")), seeds[4].at);
	assert_true(array_has(json_object_get(r0, "office_interests"), "county"));
	json_decref(rows);

	memset(&q, 0, sizeof(q));
	q.office = "school_board";
	rows = search(fx, &q, &total);
	assert_int_equal(total, 2);
	row_ids(rows, got, 10);
	assert_int_equal(got[0], ids[2]);
	assert_int_equal(got[1], ids[0]);
	json_decref(rows);

	memset(&q, 0, sizeof(q));
	q.help = "training";
	rows = search(fx, &q, &total);
	assert_int_equal(total, 2);
	json_decref(rows);
	q.office = "judicial";
	rows = search(fx, &q, &total);
	assert_int_equal(total, 1);
	row_ids(rows, got, 10);
	assert_int_equal(got[0], ids[3]);
	json_decref(rows);

	memset(&q, 0, sizeof(q));
	q.source = "web";
	rows = search(fx, &q, &total);
	assert_int_equal(total, 3);
	json_decref(rows);
	q.state = "TX";
	q.office = "county";
	rows = search(fx, &q, &total);
	assert_int_equal(total, 1);
	json_decref(rows);

	/* Dates: from/to are inclusive UTC days. */
	memset(&q, 0, sizeof(q));
	q.from = "2023-02-15";
	q.to = "2023-03-20";
	rows = search(fx, &q, &total);
	assert_int_equal(total, 2);
	row_ids(rows, got, 10);
	assert_int_equal(got[0], ids[2]);
	assert_int_equal(got[1], ids[1]);
	json_decref(rows);
	q.from = "2023-04-21";
	q.to = NULL;
	rows = search(fx, &q, &total);
	assert_int_equal(total, 1);
	json_decref(rows);
	q.from = "2023-02-30";  /* not a day: ignored */
	rows = search(fx, &q, &total);
	assert_int_equal(total, 5);
	json_decref(rows);
	q.from = "garbage";
	q.to = "2023-01-10";
	rows = search(fx, &q, &total);
	assert_int_equal(total, 1);
	json_decref(rows);
	/* Dates with a state and with text. */
	q.from = "2023-01-01";
	q.to = "2023-01-31";
	q.state = "TX";
	rows = search(fx, &q, &total);
	assert_int_equal(total, 1);
	json_decref(rows);
	q.state = NULL;
	q.q = "zoe";
	rows = search(fx, &q, &total);
	assert_int_equal(total, 0);
	json_decref(rows);

	/* Sorts. */
	memset(&q, 0, sizeof(q));
	q.sort = "oldest";
	rows = search(fx, &q, &total);
	assert_int_equal(row_ids(rows, got, 10), 5);
	assert_int_equal(got[0], ids[0]);
	assert_int_equal(got[4], ids[4]);
	json_decref(rows);
	q.sort = "name";  /* Anders, Garcia, Hill, Ngô, Shah */
	rows = search(fx, &q, &total);
	row_ids(rows, got, 10);
	assert_int_equal(got[0], ids[3]);
	assert_int_equal(got[1], ids[0]);
	assert_int_equal(got[2], ids[1]);
	assert_int_equal(got[3], ids[4]);
	assert_int_equal(got[4], ids[2]);
	json_decref(rows);
	q.sort = "state";  /* IL, NY, TX (Garcia, Ngô), WA */
	rows = search(fx, &q, &total);
	row_ids(rows, got, 10);
	assert_int_equal(got[0], ids[3]);
	assert_int_equal(got[1], ids[2]);
	assert_int_equal(got[2], ids[0]);
	assert_int_equal(got[3], ids[4]);
	assert_int_equal(got[4], ids[1]);
	json_decref(rows);
	q.sort = "id; DROP TABLE people";  /* not in the whitelist: newest */
	rows = search(fx, &q, &total);
	row_ids(rows, got, 10);
	assert_int_equal(got[0], ids[4]);
	json_decref(rows);
	q.q = "mar";
	q.sort = "name";
	rows = search(fx, &q, &total);
	assert_int_equal(row_ids(rows, got, 10), 2);
	assert_int_equal(got[0], ids[0]);  /* Garcia before Hill */
	json_decref(rows);

	/* Paging: the total is of all matches; pages do not overlap. */
	memset(&q, 0, sizeof(q));
	q.sort = "oldest";
	q.per_page = 2;
	q.page = 1;
	rows = search(fx, &q, &total);
	assert_int_equal(total, 5);
	assert_int_equal(row_ids(rows, got, 10), 2);
	assert_int_equal(got[0], ids[0]);
	json_decref(rows);
	q.page = 3;
	rows = search(fx, &q, &total);
	assert_int_equal(total, 5);
	assert_int_equal(row_ids(rows, got, 10), 1);
	assert_int_equal(got[0], ids[4]);
	json_decref(rows);
	q.page = 4;
	rows = search(fx, &q, &total);
	assert_int_equal(total, 5);
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	/* Out-of-range page sizes are clamped, never an error. */
	q.page = -3;
	q.per_page = 100000;
	rows = search(fx, &q, &total);
	assert_int_equal(json_array_size(rows), 5);
	json_decref(rows);
}

/* The search index's log (store_search_queue.c): the indexer takes it in
 * order, a logged person deleted since leaves no row, a catch-up indexes a
 * log longer than one chunk, and the background thread keeps up without
 * any search asking. */
static void test_search_queue_drains(void **state)
{
	struct fixture *fx = *state;
	char log_sql[512], people_sql[512];
	json_t *p;
	struct signup_result res;
	long long n = -1;
	int i;

	/* ids no person has (deleted since they were logged) */
	assert_int_equal(store_search_catch_up(fx->db), 0);
	snprintf(log_sql, sizeof(log_sql),
	         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
	         " INSERT INTO people_fts_log (person_id) SELECT 1000000 + i FROM n", 100);
	assert_int_equal(db_write(fx->db, exec_run, log_sql), 0);
	assert_int_equal(store_search_queued(fx->db, &n), 0);
	assert_int_equal(n, 100);
	p = person_new("Queue", "Reacher", "reacher@example.com", NULL, "30301", "GA");
	res = signup(fx, p);
	json_decref(p);
	assert_int_equal(res.outcome, SIGNUP_NEW);
	assert_int_equal(store_search_queued(fx->db, &n), 0);
	assert_int_equal(n, 101);
	assert_int_equal(store_search_catch_up(fx->db), 0);
	assert_int_equal(store_search_queued(fx->db, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people_fts WHERE rowid = ?", res.person_id), 1);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people_fts", 0), 1);

	/* More people logged than one chunk indexes: a catch-up takes them all,
	 * and the log is trimmed behind it (its last row stays). */
	snprintf(people_sql, sizeof(people_sql),
	         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
	         " INSERT INTO people (first_name, last_name, zip, created_at, updated_at)"
	         " SELECT 'Bulk', 'Person' || i, '10001', 1600000000, 1600000000 FROM n",
	         LIMIT_SEARCH_QUEUE_CHUNK + 10);
	assert_int_equal(db_write(fx->db, exec_run, people_sql), 0);
	assert_int_equal(db_write(fx->db, exec_run,
		"INSERT INTO people_fts_log (person_id) SELECT id FROM people"
		" WHERE first_name = 'Bulk'"), 0);
	assert_int_equal(store_search_catch_up(fx->db), 0);
	assert_int_equal(store_search_queued(fx->db, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people_fts", 0), LIMIT_SEARCH_QUEUE_CHUNK + 11);
	assert_true(q_int(fx, "SELECT count(*) FROM people_fts_log", 0) < LIMIT_SEARCH_QUEUE_CHUNK);
	assert_int_equal(search_q(fx, "Person4105", NULL), 1);

	/* In the background: a signup is indexed with no search asking. */
	assert_int_equal(store_search_start(fx->db), 0);
	p = person_new("Back", "Ground", "background@example.com", NULL, "30301", "GA");
	res = signup(fx, p);
	json_decref(p);
	for (i = 0; i < 500 && q_int(fx, "SELECT count(*) FROM people_fts WHERE rowid = ?",
	                             res.person_id) == 0; i++)
		usleep(10000);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people_fts WHERE rowid = ?", res.person_id), 1);
}

/* A form's newest leads (intake_form_recent): the list SQLite's writer
 * fills in bulk (store_intake.c) and the newer tail read from the
 * submissions agree, in order, for two forms whose leads interleave. */
static void test_form_list_bulk_and_tail(void **state)
{
	struct fixture *fx = *state;
	struct intake_form_spec spec = { "Form A", "Partner A", "key", NULL, NULL, 600000, 1 };
	char key[INTAKE_TOKEN_TEXT], secret[INTAKE_TOKEN_TEXT], err[256], sql[512];
	struct intake_form *form = NULL;
	struct intake_result r;
	long long a = 0, b = 0, newest = 0, n;
	json_t *payload, *rows = NULL;
	size_t i;

	spec.mapping = json_object();
	assert_int_equal(intake_form_create(fx->db, &fx->keys, NULL, &spec, &a, key, secret, err,
	                                    sizeof(err)), 0);
	spec.name = "Form B";
	assert_int_equal(intake_form_create(fx->db, &fx->keys, NULL, &spec, &b, key, secret, err,
	                                    sizeof(err)), 0);
	/* more leads than one bulk takes, alternating A and B */
	snprintf(sql, sizeof(sql),
	         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
	         " INSERT INTO submissions (kind, status, payload, received_at, form_id, partner)"
	         " SELECT 'intake', 'accepted', '{}', 1600000000 + i,"
	         " CASE i %% 2 WHEN 0 THEN %lld ELSE %lld END, 'Partner A' FROM n",
	         LIMIT_INTAKE_FORM_LIST_AT + 100, a, b);
	assert_int_equal(db_write(fx->db, exec_run, sql), 0);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM form_submissions", 0), 0);
	/* a lead through the intake: its group's end puts them all on their lists */
	assert_int_equal(intake_form_lookup(fx->db, &fx->keys, key, &form), 0);
	payload = json_pack("{s:s, s:s, s:s, s:s, s:s}", "first_name", "Tail", "last_name", "Lead",
	                    "email", "tail.lead@example.org", "zip", "10001", "state", "NY");
	assert_int_equal(intake_accept(fx->db, &fx->keys, form, payload, NULL, NULL, &r), 0);
	json_decref(payload);
	assert_int_equal(r.outcome, INTAKE_NEW);
	n = q_int(fx, "SELECT count(*) FROM form_submissions", 0);
	assert_true(n >= LIMIT_INTAKE_FORM_LIST_AT);
	/* the next lead waits in the tail: not on the list yet, still found */
	payload = json_pack("{s:s, s:s, s:s, s:s, s:s}", "first_name", "Tail", "last_name", "Later",
	                    "email", "tail.later@example.org", "zip", "10001", "state", "NY");
	assert_int_equal(intake_accept(fx->db, &fx->keys, form, payload, NULL, NULL, &r), 0);
	json_decref(payload);
	intake_form_release(form);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM form_submissions WHERE submission_id = ?",
	                       r.submission_id), 0);
	/* the newest of B: the one just posted (from the tail or the list),
	 * then B's older ones, newest first, none of A's */
	assert_int_equal(intake_form_recent(fx->db, b, 5, &rows), 0);
	assert_int_equal(json_array_size(rows), 5);
	newest = json_integer_value(json_object_get(json_array_get(rows, 0), "submission_id"));
	assert_int_equal(newest, r.submission_id);
	for (i = 1; i < 5; i++) {
		long long id = json_integer_value(json_object_get(json_array_get(rows, i), "submission_id"));

		assert_true(id < newest);
		assert_int_equal(q_int(fx, "SELECT form_id FROM submissions WHERE id = ?", id), b);
		newest = id;
	}
	json_decref(rows);
	/* the counters followed every row (the SQL ones through the writer too) */
	assert_int_equal(q_int(fx, "SELECT value FROM intake_counters WHERE name = 'form_leads'"
	                           " AND bucket = CAST(? AS TEXT)", a),
	                 q_int(fx, "SELECT count(*) FROM submissions WHERE form_id = ?", a));
	json_decref(spec.mapping);
}

/* Many people so the planner's choices are the ones it makes on real data. */
static int bulk_people_run(struct db_conn *c, void *arg)
{
	struct db_stmt *s = db_prepare(c,
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
		" INSERT INTO people (first_name, last_name, state, zip, source, created_at, updated_at)"
		" SELECT 'F' || i, 'L' || i, CASE i % 3 WHEN 0 THEN 'CA' WHEN 1 THEN 'NY' ELSE 'TX' END,"
		" '9' || i, 'src' || (i % 7), 1600000000 + i * 60, 1600000000 + i * 60 FROM n");
	int rc;

	(void)arg;
	if (s == NULL)
		return -1;
	rc = db_step(s);
	db_done(s);
	if (rc != DB_DONE)
		return -1;
	s = db_prepare(c, "ANALYZE");
	if (s == NULL)
		return -1;
	rc = db_step(s);
	db_done(s);
	return rc == DB_DONE ? 0 : -1;
}

/* Asserts no step of the plan reads every row of a table without an index
 * ("SCAN p" alone), and — when no_sort is set — that the page query itself
 * does not sort: the subquery that picks the page's ids (pg, its steps one
 * level under "MATERIALIZE pg") walks an index that gives the order. The
 * outer query's sort of that one page, and a correlated subquery's small
 * sort of one person's emails, are allowed. must_contain names the index
 * the plan must use. */
static void assert_plan(struct fixture *fx, const struct store_people_filter *f, int no_sort,
                        const char *must_contain)
{
	struct db_conn *c = db_read_begin(fx->db);
	json_t *plan = NULL, *step;
	size_t i, depth;
	int found = must_contain == NULL, in_pg = 0, page_step, bad;
	const char *d;
	char *all;

	assert_int_equal(store_people_search_plan(c, f, &plan), 0);
	db_read_end(fx->db, c);
	assert_true(json_array_size(plan) > 0);
	all = json_dumps(plan, 0);
	json_array_foreach(plan, i, step) {
		d = json_string_value(step);
		depth = strspn(d, " ") / 2;
		d += strspn(d, " ");
		if (depth == 0)
			in_pg = strcmp(d, "MATERIALIZE pg") == 0 || strcmp(d, "CO-ROUTINE pg") == 0;
		page_step = in_pg && depth == 1;
		bad = strcmp(d, "SCAN p") == 0 || strcmp(d, "SCAN people") == 0 ||
		      strcmp(d, "SCAN c") == 0 ||
		      (no_sort && page_step && strstr(d, "TEMP B-TREE FOR ORDER BY") != NULL);
		if (bad) {
			print_error("unexpected plan step \"%s\" in %s\n", d, all);
			fail();
		}
		if (must_contain && strstr(d, must_contain))
			found = 1;
	}
	if (!found) {
		print_error("plan lacks \"%s\": %s\n", must_contain, all);
		fail();
	}
	free(all);
	json_decref(plan);
}

static void test_search_plans_use_indexes(void **state)
{
	struct fixture *fx = *state;
	struct store_people_filter f;

	assert_int_equal(db_write(fx->db, bulk_people_run, NULL), 0);
	assert_int_equal(store_search_catch_up(fx->db), 0);  /* the index file, as a search has it */
#define RESET_FILTER() do { memset(&f, 0, sizeof(f)); f.from = LLONG_MIN; f.to = LLONG_MAX; \
	f.limit = 50; f.sort = STORE_PEOPLE_SORT_NEWEST; } while (0)
	RESET_FILTER();
	assert_plan(fx, &f, 1, "people_created");
	f.sort = STORE_PEOPLE_SORT_OLDEST;
	assert_plan(fx, &f, 1, "people_created");
	f.sort = STORE_PEOPLE_SORT_NAME;
	assert_plan(fx, &f, 1, "people_name");
	RESET_FILTER();
	f.state = "CA";
	assert_plan(fx, &f, 1, "people_state");
	f.from = 1600000000;
	f.to = 1600060000;
	assert_plan(fx, &f, 1, "people_state (state=? AND created_at>? AND created_at<?)");
	RESET_FILTER();
	f.source = "src1";
	assert_plan(fx, &f, 1, "people_source");
	RESET_FILTER();
	f.from = 1600000000;
	assert_plan(fx, &f, 1, "people_created (created_at>? AND created_at<?)");
	RESET_FILTER();
	f.office = "judicial";
	assert_plan(fx, &f, 1, "person_choices_code");
	RESET_FILTER();
	f.help = "training";
	assert_plan(fx, &f, 1, "person_choices_code");
	RESET_FILTER();
	f.email = "x@example.com";
	assert_plan(fx, &f, 0, "SEARCH e USING PRIMARY KEY (email=?)");
	RESET_FILTER();
	f.text = "maria";
	assert_plan(fx, &f, 0, "VIRTUAL TABLE INDEX");
	RESET_FILTER();
	f.phone_digits = "5125550101";
	f.state = "TX";
	assert_plan(fx, &f, 0, "VIRTUAL TABLE INDEX");
#undef RESET_FILTER
}

/* ---- notes, merges, flags, audit ---- */

static void test_note_add_audited(void **state)
{
	struct fixture *fx = *state;
	json_t *p = person_new("Nora", "Note", "nora@example.com", NULL, "12121", "NY");
	json_t *got, *note, *rows = NULL, *e;
	struct signup_result r = signup(fx, p);
	long long total = 0;

	assert_int_equal(people_note_add(fx->db, &viewer_staff, r.person_id, "  Called; wants training.\n"), 0);
	assert_int_equal(people_note_add(fx->db, &viewer_staff, 999999, "nobody"), 1);
	assert_int_equal(people_note_add(fx->db, &viewer_staff, r.person_id, "   "), -1);
	assert_int_equal(people_note_add(fx->db, &viewer_staff, r.person_id, "bad \xff utf8"), -1);
	got = get_person(fx, &viewer_volunteer, r.person_id);
	assert_int_equal(json_array_size(json_object_get(got, "notes")), 1);
	note = json_array_get(json_object_get(got, "notes"), 0);
	assert_string_equal(str_of(note, "body"), "Called; wants training.");
	assert_string_equal(str_of(note, "author_email"), "staff@example.org");
	json_decref(got);

	assert_int_equal(audit_list(fx->db, 1, 50, &rows, &total), 0);
	assert_int_equal(total, 1);
	e = json_array_get(rows, 0);
	assert_string_equal(str_of(e, "action"), "person.note_add");
	assert_string_equal(str_of(e, "entity"), "person");
	assert_int_equal(json_integer_value(json_object_get(e, "entity_id")), r.person_id);
	assert_string_equal(str_of(e, "user_email"), "staff@example.org");
	assert_true(json_is_null(json_object_get(e, "before")));
	assert_string_equal(str_of(json_object_get(e, "after"), "body"), "Called; wants training.");
	json_decref(rows);
	json_decref(p);
}

static void test_merge_moves_everything(void **state)
{
	struct fixture *fx = *state;
	json_t *a = person_new("Alice", "Adams", "alice@example.com", "+15551110000", "11111", "TX");
	json_t *b = person_new("Alice", "Adams-Brown", "alice.b@example.com", "+15552220000", "11111", "TX");
	json_t *mix = person_new("Alice", "Adams", "alice@example.com", "+15552220000", "11111", "TX");
	json_t *got, *rows = NULL, *e, *before, *after;
	struct signup_result ra, rb;
	long long total, first, flag_id;
	char *dump;

	set_str(b, "city", "Austin");
	set_str(b, "gender", "woman");
	set_codes(a, "office_interests", "county", NULL);
	set_codes(b, "office_interests", "judicial", NULL);
	json_object_set_new(b, "consent_email", json_true());
	ra = signup(fx, a);
	rb = signup(fx, b);
	signup(fx, mix);  /* flags the pair */
	assert_int_equal(people_note_add(fx->db, &viewer_staff, rb.person_id, "note on B"), 0);
	flag_id = q_int(fx, "SELECT id FROM duplicate_flags WHERE status = 'open'", 0);
	assert_true(flag_id > 0);

	assert_int_equal(people_merge(fx->db, &fx->keys, &viewer_staff, ra.person_id, ra.person_id), 1);
	assert_int_equal(people_merge(fx->db, &fx->keys, &viewer_staff, ra.person_id, 999999), 1);
	assert_int_equal(people_merge(fx->db, &fx->keys, &viewer_staff, 999999, rb.person_id), 1);
	assert_int_equal(people_merge(fx->db, &fx->keys, &viewer_staff, ra.person_id, rb.person_id), 0);

	assert_int_equal(count_people(fx), 1);
	got = NULL;
	assert_int_equal(people_get(fx->db, &fx->keys, &viewer_staff, rb.person_id, &got), 1);
	got = get_person(fx, &viewer_staff, ra.person_id);
	assert_string_equal(str_of(got, "last_name"), "Adams");       /* keep's value stays */
	assert_string_equal(str_of(got, "city"), "Austin");           /* filled from drop */
	assert_true(json_is_true(json_object_get(got, "consent_email")));
	assert_int_equal(json_array_size(json_object_get(got, "emails")), 2);
	assert_int_equal(json_array_size(json_object_get(got, "phones")), 2);
	assert_true(array_has(json_object_get(got, "office_interests"), "judicial"));
	assert_true(array_has(json_object_get(got, "office_interests"), "county"));
	assert_int_equal(json_array_size(json_object_get(got, "submissions")), 3);
	assert_int_equal(json_array_size(json_object_get(got, "notes")), 1);
	assert_int_equal(json_array_size(json_object_get(got, "flags")), 0);
	/* Drop's demographics moved over (keep had none). */
	assert_string_equal(str_of(json_object_get(got, "demographics"), "gender"), "woman");
	json_decref(got);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM duplicate_flags WHERE id = ? AND status = 'merged'"
	                           " AND resolved_by = 1 AND resolved_at IS NOT NULL", flag_id), 1);
	/* The index follows (once the indexer has read the log): drop's row
	 * is gone, and drop's phone and email find keep. */
	assert_int_equal(store_search_catch_up(fx->db), 0);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM people_fts", 0), 1);
	assert_int_equal(search_q(fx, "555-222-0000", &first), 1);
	assert_int_equal(first, ra.person_id);
	assert_int_equal(search_q(fx, "alice.b@example.com", &first), 1);
	assert_int_equal(first, ra.person_id);
	/* A later signup with drop's email now merges into keep. */
	assert_int_equal(signup(fx, b).person_id, ra.person_id);

	/* Audited with both people before and keep after; no demographics. */
	assert_int_equal(audit_list(fx->db, 1, 10, &rows, &total), 0);
	e = json_array_get(rows, 0);
	assert_string_equal(str_of(e, "action"), "person.merge");
	assert_int_equal(json_integer_value(json_object_get(e, "entity_id")), ra.person_id);
	before = json_object_get(e, "before");
	after = json_object_get(e, "after");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(before, "drop"), "id")),
	                 rb.person_id);
	assert_string_equal(str_of(json_object_get(before, "drop"), "demographics"), "[encrypted]");
	assert_null(json_object_get(json_object_get(before, "keep"), "demographics"));
	assert_string_equal(str_of(json_object_get(after, "keep"), "city"), "Austin");
	assert_string_equal(str_of(json_object_get(after, "keep"), "demographics"), "[encrypted]");
	assert_int_equal(json_array_size(json_object_get(json_object_get(after, "keep"), "emails")), 2);
	dump = json_dumps(rows, 0);
	assert_null(strstr(dump, "woman"));
	free(dump);
	json_decref(rows);
	json_decref(a);
	json_decref(b);
	json_decref(mix);
}

static void test_merge_with_keys_merges_demographics(void **state)
{
	struct fixture *fx = *state;
	json_t *a = person_new("Kay", "Keep", "kay@example.com", NULL, "11111", "TX");
	json_t *b = person_new("Kay", "Drop", "kay2@example.com", NULL, "11111", "TX");
	json_t *got, *demo;
	struct signup_result ra, rb;

	set_str(a, "gender", "woman");
	set_str(b, "gender", "man");
	set_str(b, "pronouns", "she/her");
	ra = signup(fx, a);
	rb = signup(fx, b);
	assert_int_equal(people_merge(fx->db, &fx->keys, &viewer_staff, ra.person_id,
	                                        rb.person_id), 0);
	got = get_person(fx, &viewer_staff, ra.person_id);
	demo = json_object_get(got, "demographics");
	assert_string_equal(str_of(demo, "gender"), "woman");     /* keep's value wins */
	assert_string_equal(str_of(demo, "pronouns"), "she/her"); /* drop's fills the gap */
	json_decref(got);
	json_decref(a);
	json_decref(b);
}

static void test_flag_dismiss(void **state)
{
	struct fixture *fx = *state;
	json_t *a = person_new("Ann", "One", "ann@example.com", "+15550000001", "11111", "TX");
	json_t *b = person_new("Ben", "Two", "ben@example.com", "+15550000002", "22222", "TX");
	json_t *mix = person_new("Ann", "One", "ann@example.com", "+15550000002", "11111", "TX");
	json_t *flags = NULL, *rows = NULL, *e;
	long long flag_id, total;

	signup(fx, a);
	signup(fx, b);
	signup(fx, mix);
	flag_id = q_int(fx, "SELECT id FROM duplicate_flags WHERE status = 'open'", 0);
	assert_true(flag_id > 0);
	assert_int_equal(people_flag_dismiss(fx->db, &viewer_staff, flag_id), 0);
	assert_int_equal(people_flag_dismiss(fx->db, &viewer_staff, flag_id), 1);
	assert_int_equal(people_flag_dismiss(fx->db, &viewer_staff, 999999), 1);
	assert_int_equal(people_flags_open(fx->db, &flags), 0);
	assert_int_equal(json_array_size(flags), 0);
	json_decref(flags);
	assert_int_equal(count_people(fx), 2);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM duplicate_flags WHERE id = ? AND"
	                           " status = 'dismissed' AND resolved_by = 1", flag_id), 1);
	assert_int_equal(audit_list(fx->db, 1, 10, &rows, &total), 0);
	assert_int_equal(total, 1);
	e = json_array_get(rows, 0);
	assert_string_equal(str_of(e, "action"), "flag.dismiss");
	assert_string_equal(str_of(json_object_get(e, "before"), "status"), "open");
	assert_string_equal(str_of(json_object_get(e, "after"), "status"), "dismissed");
	json_decref(rows);
	json_decref(a);
	json_decref(b);
	json_decref(mix);
}

static int tamper_run(struct db_conn *c, void *arg)
{
	struct db_stmt *s = db_prepare(c, "UPDATE audit_log SET after = '{\"body\":\"forged\"}' WHERE id = ?");
	int rc;

	if (s == NULL)
		return -1;
	db_bind_int(s, 1, *(long long *)arg);
	rc = db_step(s);
	db_done(s);
	return rc == DB_DONE ? 0 : -1;
}

static void test_audit_chain_links(void **state)
{
	struct fixture *fx = *state;
	json_t *p = person_new("Cha", "In", "chain@example.com", NULL, "12345", "CA");
	struct signup_result r = signup(fx, p);
	struct db_conn *c;
	struct db_stmt *s;
	char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
	long long bad = -1, second = 0, n = 0;
	int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(people_note_add(fx->db, &viewer_staff, r.person_id, "chain note"), 0);
	assert_int_equal(people_note_add(fx->db, NULL, r.person_id, "by the system"), 0);

	c = db_read_begin(fx->db);
	s = db_prepare(c, "SELECT id, prev_hash, hash FROM audit_log ORDER BY id");
	assert_non_null(s);
	while (db_step(s) == DB_ROW) {
		assert_string_equal(db_col_text(s, 1), prev);
		assert_int_equal(strlen(db_col_text(s, 2)), 64);
		assert_string_not_equal(db_col_text(s, 2), prev);
		memcpy(prev, db_col_text(s, 2), 65);
		if (++n == 2)
			second = db_col_int(s, 0);
	}
	db_done(s);
	assert_int_equal(n, 5);
	assert_int_equal(store_audit_verify(c, &bad), 0);
	assert_int_equal(bad, 0);
	db_read_end(fx->db, c);
	/* The system's entry has no user. */
	assert_int_equal(q_int(fx, "SELECT count(*) FROM audit_log WHERE user_id IS NULL", 0), 1);

	/* An edited entry breaks the chain at that entry. */
	assert_int_equal(db_write(fx->db, tamper_run, &second), 0);
	c = db_read_begin(fx->db);
	assert_int_equal(store_audit_verify(c, &bad), 1);
	assert_int_equal(bad, second);
	db_read_end(fx->db, c);
	json_decref(p);
}

static void test_hold_and_counts(void **state)
{
	struct fixture *fx = *state;
	struct signup_meta meta = { .source = "web", .kind = "signup", .ip_hash = "h" };
	json_t *raw = json_pack("{s:s, s:s, s:s, s:s}", "first_name", "Bot", "email", "bot@spam.example",
	                        "website", "http://spam.example", "gender", "robot");
	json_t *counts = NULL, *p;
	unsigned char *blob;
	size_t len;
	char *payload;
	long long sid;

	assert_int_equal(people_hold(fx->db, &fx->keys, raw, &meta, "honeypot"), 0);
	assert_int_equal(count_people(fx), 0);
	assert_int_equal(q_int(fx, "SELECT count(*) FROM submissions WHERE person_id IS NULL"
	                           " AND status = 'held' AND hold_reason = 'honeypot'", 0), 1);
	sid = q_int(fx, "SELECT id FROM submissions", 0);
	payload = read_text(fx, "SELECT payload FROM submissions WHERE id = ?", sid);
	assert_non_null(strstr(payload, "http://spam.example"));
	assert_null(strstr(payload, "robot"));
	free(payload);
	blob = read_blob(fx, "SELECT sensitive FROM submissions WHERE id = ?", sid, &len);
	assert_non_null(blob);
	assert_null(memmem(blob, len, "robot", 5));
	free(blob);

	/* Counts: people, today's signups (held ones are submissions too), open flags. */
	p = person_new("Cee", "Count", "cee@example.com", NULL, "12345", "CA");
	signup(fx, p);
	{
		struct signup_meta old = { .kind = "signup", .received_at = 1000000000 };
		json_t *q = person_new("Old", "Timer", "old@example.com", NULL, "12345", "CA");
		signup_meta(fx, q, &old);
		json_decref(q);
	}
	assert_int_equal(people_counts(fx->db, &counts), 0);
	assert_int_equal(json_integer_value(json_object_get(counts, "people")), 2);
	assert_int_equal(json_integer_value(json_object_get(counts, "signups_today")), 2);
	assert_int_equal(json_integer_value(json_object_get(counts, "open_flags")), 0);
	json_decref(counts);
	json_decref(p);
	json_decref(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signup_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signup_same_email_other_case_merges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_plain_and_indexed_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signup_same_phone_new_email_merges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signup_conflict_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signup_concurrent_same_person, setup, teardown),
		cmocka_unit_test_setup_teardown(test_demographics_sealed_and_gated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_text_email_phone_zip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_hostile_fts_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_filters_sort_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_plans_use_indexes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_queue_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_list_bulk_and_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_note_add_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_moves_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_with_keys_merges_demographics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flag_dismiss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_chain_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_and_counts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
