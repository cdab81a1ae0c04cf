/*
 * store_mail.c — all SQL for mail templates, the outbox and unsubscribes.
 * See store_mail.h.
 *
 * Exactly-once sending across processes: a sender first reads due ids
 * (store_mail_due, a plain read), then claims each with one conditional
 * UPDATE in a write job (store_mail_claim): "… WHERE id = ? AND status =
 * 'queued' AND (leased_until IS NULL OR leased_until < now)". On SQLite the
 * single writer serializes claims; on PostgreSQL a second UPDATE of the same
 * row waits for the first to commit and then re-checks its WHERE, which no
 * longer holds — so exactly one claimer sees a changed row. A sender that
 * dies keeps the row until its lease ends; then another may take it
 * (at-least-once for that rare case, never twice otherwise).
 *
 * Invariants: constant SQL with "?" parameters, valid on SQLite and
 * PostgreSQL, except a person's enqueue on PostgreSQL: one statement with a
 * data-modifying CTE (chosen by db_conn_dialect), since every statement is
 * a round trip from the one writer connection there; every prepared
 * statement is finished with db_done() on every path. Threading: no state of its own.
 */
#include "store/store_mail.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "store/sql.h"
#include "store/store_audit.h"

/* ---- helpers ---- */

/* One column of a row as json: 'i' integer, 't' text, 'b' 0/1 as bool.
 * NULL columns are left out. */
struct store_mail_col {
	const char *name;
	char        type;
};

static int store_mail_row(struct db_stmt *s, const struct store_mail_col *cols, size_t n,
                          json_t **out)
{
	json_t *row = json_object();
	size_t i;
	int rc = 0;

	if (row == NULL)
		return DB_ERROR;
	for (i = 0; i < n && rc == 0; i++) {
		if (db_col_is_null(s, (int)i))
			continue;
		if (cols[i].type == 'i')
			rc = json_object_set_new(row, cols[i].name, json_integer(db_col_int(s, (int)i)));
		else if (cols[i].type == 'b')
			rc = json_object_set_new(row, cols[i].name,
			                         json_boolean(db_col_int(s, (int)i) != 0));
		else
			rc = json_object_set_new(row, cols[i].name,
			                         json_string(db_col_text(s, (int)i)));
	}
	if (rc != 0) {
		json_decref(row);
		return DB_ERROR;
	}
	*out = row;
	return 0;
}

#define STORE_MAIL_NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* Steps a statement that returns no rows; finishes it. */
static int store_mail_run(struct db_stmt *s)
{
	int rc = db_step(s);

	db_done(s);
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
}

/* ---- units of work ---- */

int store_mail_write(struct db *db, store_mail_job_fn fn, void *arg)
{
	return db_write(db, fn, arg);
}

struct db_conn *store_mail_read_begin(struct db *db)
{
	return db_read_begin(db);
}

void store_mail_read_end(struct db *db, struct db_conn *c)
{
	db_read_end(db, c);
}

/* ---- unsubscribes ---- */

int store_mail_unsubscribed(struct db_conn *c, const char *email)
{
	struct db_stmt *s = db_prepare(c, "SELECT 1 FROM mail_unsubscribes WHERE email = ?");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, email);
	rc = db_step(s);
	db_done(s);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
}

/* 1 if any email of person_id is unsubscribed. */
static int store_mail_person_unsubscribed(struct db_conn *c, long long person_id)
{
	struct db_stmt *s = db_prepare(c,
		"SELECT 1 FROM person_emails e JOIN mail_unsubscribes u ON u.email = e.email"
		" WHERE e.person_id = ? LIMIT 1");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, person_id);
	rc = db_step(s);
	db_done(s);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
}

int store_mail_unsubscribe(struct db_conn *c, const char *email, const char *method,
                           long long at, long long *person_id)
{
	struct db_stmt *s;
	json_t *after;
	int rc, fresh;

	*person_id = 0;
	s = db_prepare(c, "SELECT person_id FROM person_emails WHERE email = ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, email);
	rc = db_step(s);
	if (rc == DB_ROW)
		*person_id = db_col_int(s, 0);
	db_done(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return rc < 0 ? rc : DB_ERROR;

	s = db_prepare(c, "INSERT INTO mail_unsubscribes (email, person_id, method, at)"
	                  " VALUES (?, ?, ?, ?) ON CONFLICT (email) DO NOTHING");
	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, email);
	if (*person_id > 0)
		db_bind_int(s, 2, *person_id);
	else
		db_bind_null(s, 2);
	db_bind_text(s, 3, method);
	db_bind_int(s, 4, at);
	if ((rc = store_mail_run(s)) < 0)
		return rc;
	fresh = db_changes(c) > 0;

	if (*person_id > 0) {
		s = db_prepare(c, "UPDATE people SET consent_email = 0, updated_at = ?"
		                  " WHERE id = ? AND consent_email <> 0");
		if (s == NULL)
			return DB_ERROR;
		db_bind_int(s, 1, at);
		db_bind_int(s, 2, *person_id);
		if ((rc = store_mail_run(s)) < 0)
			return rc;
	}
	s = db_prepare(c, "UPDATE mail_outbox SET status = 'suppressed', last_error = 'unsubscribed',"
	                  " leased_until = NULL WHERE status = 'queued' AND kind = 'marketing'"
	                  " AND (to_addr = ? OR person_id = ?)");
	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, email);
	db_bind_int(s, 2, *person_id > 0 ? *person_id : -1);
	if ((rc = store_mail_run(s)) < 0)
		return rc;

	if (fresh) {
		/* The person's own act, not a staff write: user 0, no address in
		 * the log beyond what the person row already holds. */
		after = json_pack("{s:s, s:b}", "method", method, "consent_email", 0);
		if (after == NULL)
			return DB_ERROR;
		rc = store_audit_append(c, 0, "mail.unsubscribe", "person", *person_id, NULL, after);
		json_decref(after);
		if (rc < 0)
			return rc;
	}
	return fresh;
}

/* ---- enqueue ---- */

/* The template's kind into kind (size n). Returns 1, 0 if none, or < 0. */
static int store_mail_template_kind(struct db_conn *c, const char *code, char *kind, size_t n)
{
	struct db_stmt *s = db_prepare(c, "SELECT kind FROM mail_templates WHERE code = ?");
	const char *k;
	int rc;

	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, code);
	rc = db_step(s);
	if (rc == DB_ROW) {
		k = db_col_text(s, 0);
		if (k == NULL || strlen(k) >= n) {
			db_done(s);
			return DB_ERROR;
		}
		memcpy(kind, k, strlen(k) + 1);
		db_done(s);
		return 1;
	}
	db_done(s);
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
}

/* The recipient: a person's email want (when theirs; else their oldest)
 * and their consent, or a staff user's email (an enabled account). *addr is malloc'd (NULL: nobody to
 * write to). */
static int store_mail_recipient(struct db_conn *c, long long person_id, long long user_id,
                                const char *want, char **addr, int *consent)
{
	struct db_stmt *s;
	const char *a;
	int rc;

	*addr = NULL;
	*consent = 0;
	if (person_id > 0 && want) {
		/* the address asked for, if it is one of theirs; else their oldest */
		s = db_prepare(c, "SELECT COALESCE((SELECT email FROM person_emails WHERE person_id = p.id"
		                  " AND email = ?), (SELECT email FROM person_emails WHERE person_id = p.id"
		                  " ORDER BY created_at, email LIMIT 1)), p.consent_email"
		                  " FROM people p WHERE p.id = ?");
		if (s == NULL)
			return DB_ERROR;
		db_bind_text(s, 1, want);
		db_bind_int(s, 2, person_id);
	} else if (person_id > 0)
		s = db_prepare(c, "SELECT (SELECT email FROM person_emails WHERE person_id = p.id"
		                  " ORDER BY created_at, email LIMIT 1), p.consent_email"
		                  " FROM people p WHERE p.id = ?");
	else
		s = db_prepare(c, "SELECT email, 1 FROM users WHERE id = ? AND disabled = 0");
	if (s == NULL)
		return DB_ERROR;
	if (!(person_id > 0 && want))
		db_bind_int(s, 1, person_id > 0 ? person_id : user_id);
	rc = db_step(s);
	if (rc == DB_ROW) {
		a = db_col_text(s, 0);
		*consent = db_col_int(s, 1) != 0;
		if (a && *a && (*addr = strdup(a)) == NULL) {
			db_done(s);
			return DB_ERROR;
		}
		rc = DB_DONE;
	}
	db_done(s);
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
}

/* PostgreSQL: a person's message in one round trip instead of up to
 * five (template kind, recipient, two unsubscribe checks, insert). The
 * same decisions as the statements below, taken by the server: the
 * address asked for when it is theirs, else their oldest; nothing without
 * an address; marketing only with consent and no unsubscribe of any of
 * their addresses or of the chosen one. The row always comes back: the
 * template's kind (NULL: no such template) and how many were queued. */
static const char store_mail_enqueue_person_pg_sql[] =
	"WITH t AS (SELECT kind FROM mail_templates WHERE code = ?1),"
	" r AS (SELECT COALESCE((SELECT email FROM person_emails WHERE person_id = p.id"
	" AND email = ?2), (SELECT email FROM person_emails WHERE person_id = p.id"
	" ORDER BY created_at, email LIMIT 1)) AS addr, p.consent_email AS consent"
	" FROM people p WHERE p.id = ?3),"
	" ins AS (INSERT INTO mail_outbox (template_code, kind, person_id, user_id, to_addr,"
	" vars, status, send_after, attempts, created_at)"
	" SELECT ?1, t.kind, ?3, NULL, r.addr, ?4, 'queued', ?5, 0, ?6 FROM t, r"
	" WHERE r.addr IS NOT NULL AND (t.kind <> 'marketing' OR (r.consent <> 0"
	" AND NOT EXISTS (SELECT 1 FROM person_emails e JOIN mail_unsubscribes u"
	" ON u.email = e.email WHERE e.person_id = ?3)"
	" AND NOT EXISTS (SELECT 1 FROM mail_unsubscribes WHERE email = r.addr)))"
	" RETURNING 1)"
	" SELECT (SELECT kind FROM t), (SELECT count(*) FROM ins)";

static int store_mail_enqueue_person_pg(struct db_conn *c, const char *template_code,
                                        long long person_id, json_t *vars,
                                        long long send_after, long long now)
{
	struct db_stmt *s;
	char *vtext = NULL;
	int rc;

	if (vars && (vtext = json_dumps(vars, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return DB_ERROR;
	s = db_prepare(c, store_mail_enqueue_person_pg_sql);
	if (s == NULL) {
		free(vtext);
		return DB_ERROR;
	}
	db_bind_text(s, 1, template_code);
	db_bind_text(s, 2, json_string_value(json_object_get(vars, "to_addr")));
	db_bind_int(s, 3, person_id);
	db_bind_text(s, 4, vtext);
	db_bind_int(s, 5, send_after > 0 ? send_after : now);
	db_bind_int(s, 6, now);
	rc = db_step(s);
	if (rc == DB_ROW) {
		if (db_col_is_null(s, 0))
			log_error("mail: no template '%s'; nothing queued", template_code);
		rc = 0;
	} else {
		rc = rc < 0 ? rc : DB_ERROR;
	}
	db_done(s);
	free(vtext);
	return rc;
}

/* The same for several templates at once: ?1 the codes and ?2 their
 * send_after as arrays, in order; the rows that come back are the codes
 * without a template, to log. */
static const char store_mail_enqueue_each_pg_sql[] =
	"WITH m AS (SELECT code, send_after, ord FROM unnest(?1::text[], ?2::bigint[])"
	" WITH ORDINALITY AS m(code, send_after, ord)),"
	" t AS (SELECT m.code, m.send_after, m.ord, mt.kind FROM m"
	" LEFT JOIN mail_templates mt ON mt.code = m.code),"
	" r AS (SELECT COALESCE((SELECT email FROM person_emails WHERE person_id = p.id"
	" AND email = ?3), (SELECT email FROM person_emails WHERE person_id = p.id"
	" ORDER BY created_at, email LIMIT 1)) AS addr, p.consent_email AS consent"
	" FROM people p WHERE p.id = ?4),"
	" ins AS (INSERT INTO mail_outbox (template_code, kind, person_id, user_id, to_addr,"
	" vars, status, send_after, attempts, created_at)"
	" SELECT t.code, t.kind, ?4, NULL, r.addr, ?5, 'queued', t.send_after, 0, ?6 FROM t, r"
	" WHERE t.kind IS NOT NULL AND r.addr IS NOT NULL AND (t.kind <> 'marketing'"
	" OR (r.consent <> 0 AND NOT EXISTS (SELECT 1 FROM person_emails e"
	" JOIN mail_unsubscribes u ON u.email = e.email WHERE e.person_id = ?4)"
	" AND NOT EXISTS (SELECT 1 FROM mail_unsubscribes WHERE email = r.addr)))"
	" ORDER BY t.ord RETURNING 1)"
	" SELECT code FROM t WHERE kind IS NULL ORDER BY ord";

/* Appends "{a,b,…}" (codes) or "{1,2,…}" (numbers) to out (size outlen).
 * Returns 0, or -1 if it does not fit or a code has other characters. */
static int store_mail_array(char *out, size_t outlen, const char *const *codes,
                            const long long *nums, size_t n)
{
	size_t i, o = 0;
	const char *p;
	int k;

	if (outlen < 3)
		return -1;
	out[o++] = '{';
	for (i = 0; i < n; i++) {
		if (i > 0 && o < outlen)
			out[o++] = ',';
		if (codes) {
			for (p = codes[i]; *p; p++)
				if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
					return -1;
			k = snprintf(out + o, outlen - o, "%s", codes[i]);
		} else {
			k = snprintf(out + o, outlen - o, "%lld", nums[i]);
		}
		if (k < 0 || (size_t)k >= outlen - o)
			return -1;
		o += (size_t)k;
	}
	if (o + 2 > outlen)
		return -1;
	out[o++] = '}';
	out[o] = '\0';
	return 0;
}

int store_mail_enqueue_each(struct db_conn *c, const char *const *codes,
                            const long long *send_after, size_t n, long long person_id,
                            json_t *vars)
{
	char names[STORE_MAIL_SERIES_MAX * 40], times[STORE_MAIL_SERIES_MAX * 24];
	long long when[STORE_MAIL_SERIES_MAX], now = db_now();
	char *vtext = NULL;
	struct db_stmt *s;
	size_t i;
	int rc = 0;

	if (person_id <= 0 || n > STORE_MAIL_SERIES_MAX)
		return DB_ERROR;
	if (db_conn_dialect(c) != DB_DIALECT_POSTGRES) {
		for (i = 0; i < n && rc >= 0; i++)
			rc = store_mail_enqueue(c, codes[i], person_id, 0, vars, send_after[i]);
		return rc;
	}
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		when[i] = send_after[i] > 0 ? send_after[i] : now;
	if (store_mail_array(names, sizeof(names), codes, NULL, n) < 0 ||
	    store_mail_array(times, sizeof(times), NULL, when, n) < 0) {
		log_error("mail: a template code is too long or not [a-z0-9_]");
		return DB_ERROR;
	}
	if (vars && (vtext = json_dumps(vars, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return DB_ERROR;
	s = db_prepare(c, store_mail_enqueue_each_pg_sql);
	if (s == NULL) {
		free(vtext);
		return DB_ERROR;
	}
	db_bind_text(s, 1, names);
	db_bind_text(s, 2, times);
	db_bind_text(s, 3, json_string_value(json_object_get(vars, "to_addr")));
	db_bind_int(s, 4, person_id);
	db_bind_text(s, 5, vtext);
	db_bind_int(s, 6, now);
	while ((rc = db_step(s)) == DB_ROW)
		log_error("mail: no template '%s'; nothing queued", db_col_text(s, 0));
	db_done(s);
	free(vtext);
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
}

int store_mail_enqueue(struct db_conn *c, const char *template_code, long long person_id,
                       long long user_id, json_t *vars, long long send_after)
{
	struct db_stmt *s;
	char kind[32], *addr = NULL, *vtext = NULL;
	long long now = db_now();
	int rc, consent, marketing;

	if (template_code == NULL || (person_id <= 0 && user_id <= 0))
		return DB_ERROR;
	if (person_id > 0 && db_conn_dialect(c) == DB_DIALECT_POSTGRES)
		return store_mail_enqueue_person_pg(c, template_code, person_id, vars, send_after,
		                                    now);
	rc = store_mail_template_kind(c, template_code, kind, sizeof(kind));
	if (rc <= 0) {
		if (rc == 0)
			log_error("mail: no template '%s'; nothing queued", template_code);
		return rc < 0 ? rc : 0;
	}
	marketing = strcmp(kind, "marketing") == 0;
	if ((rc = store_mail_recipient(c, person_id, user_id,
	                               json_string_value(json_object_get(vars, "to_addr")), &addr,
	                               &consent)) < 0)
		return rc;
	if (addr == NULL)
		return 0;  /* no address (a nominee known by phone only, a disabled account) */
	if (marketing) {
		if (person_id <= 0 || !consent)
			goto skip;
		if ((rc = store_mail_person_unsubscribed(c, person_id)) != 0)
			goto out;
		if ((rc = store_mail_unsubscribed(c, addr)) != 0)
			goto out;
	}
	if (vars && (vtext = json_dumps(vars, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	s = db_prepare(c, "INSERT INTO mail_outbox (template_code, kind, person_id, user_id, to_addr,"
	                  " vars, status, send_after, attempts, created_at)"
	                  " VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, 0, ?)");
	if (s == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_text(s, 1, template_code);
	db_bind_text(s, 2, kind);
	if (person_id > 0)
		db_bind_int(s, 3, person_id);
	else
		db_bind_null(s, 3);
	if (user_id > 0 && person_id <= 0)
		db_bind_int(s, 4, user_id);
	else
		db_bind_null(s, 4);
	db_bind_text(s, 5, addr);
	db_bind_text(s, 6, vtext);
	db_bind_int(s, 7, send_after > 0 ? send_after : now);
	db_bind_int(s, 8, now);
	rc = store_mail_run(s);
	goto out;
skip:
	rc = 0;
out:
	free(addr);
	free(vtext);
	/* "1" from an unsubscribe check means: skipped, not an error. */
	return rc < 0 ? rc : 0;
}

/* ---- templates ---- */

int store_mail_templates_list(struct db_conn *c, json_t **rows)
{
	static const struct store_mail_col cols[] = {
		{ "id", 'i' }, { "code", 't' }, { "name", 't' }, { "kind", 't' }, { "subject", 't' },
		{ "updated_at", 'i' },
	};
	struct db_stmt *s;
	json_t *list, *row;
	int rc;

	*rows = NULL;
	s = db_prepare(c, "SELECT id, code, name, kind, subject, updated_at FROM mail_templates"
	                  " ORDER BY name, id");
	if (s == NULL)
		return DB_ERROR;
	list = json_array();
	if (list == NULL) {
		db_done(s);
		return DB_ERROR;
	}
	while ((rc = db_step(s)) == DB_ROW) {
		if ((rc = store_mail_row(s, cols, STORE_MAIL_NCOLS(cols), &row)) < 0 ||
		    json_array_append_new(list, row) < 0) {
			rc = DB_ERROR;
			break;
		}
	}
	db_done(s);
	if (rc != DB_DONE) {
		json_decref(list);
		return rc < 0 ? rc : DB_ERROR;
	}
	*rows = list;
	return 0;
}

int store_mail_template_load(struct db_conn *c, long long id, const char *code, json_t **row)
{
	static const struct store_mail_col cols[] = {
		{ "id", 'i' }, { "code", 't' }, { "name", 't' }, { "kind", 't' }, { "subject", 't' },
		{ "body", 't' }, { "updated_at", 'i' }, { "updated_by_email", 't' },
	};
	struct db_stmt *s;
	int rc;

	*row = NULL;
	if (id > 0) {
		s = db_prepare(c, "SELECT t.id, t.code, t.name, t.kind, t.subject, t.body, t.updated_at,"
		                  " u.email FROM mail_templates t LEFT JOIN users u ON u.id = t.updated_by"
		                  " WHERE t.id = ?");
		if (s == NULL)
			return DB_ERROR;
		db_bind_int(s, 1, id);
	} else {
		s = db_prepare(c, "SELECT t.id, t.code, t.name, t.kind, t.subject, t.body, t.updated_at,"
		                  " u.email FROM mail_templates t LEFT JOIN users u ON u.id = t.updated_by"
		                  " WHERE t.code = ?");
		if (s == NULL)
			return DB_ERROR;
		db_bind_text(s, 1, code ? code : "");
	}
	rc = db_step(s);
	if (rc == DB_ROW)
		rc = store_mail_row(s, cols, STORE_MAIL_NCOLS(cols), row) < 0 ? DB_ERROR : 1;
	else if (rc == DB_DONE)
		rc = 0;
	else if (rc >= 0)
		rc = DB_ERROR;
	db_done(s);
	return rc;
}

int store_mail_template_update(struct db_conn *c, long long id, const char *subject,
                               const char *body, const char *kind, long long by, long long at)
{
	struct db_stmt *s = db_prepare(c, "UPDATE mail_templates SET subject = ?, body = ?, kind = ?,"
	                                  " updated_at = ?, updated_by = ? WHERE id = ?");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, subject);
	db_bind_text(s, 2, body);
	db_bind_text(s, 3, kind);
	db_bind_int(s, 4, at);
	if (by > 0)
		db_bind_int(s, 5, by);
	else
		db_bind_null(s, 5);
	db_bind_int(s, 6, id);
	if ((rc = store_mail_run(s)) < 0)
		return rc;
	return db_changes(c) > 0 ? 1 : 0;
}

/* ---- the outbox ---- */

int store_mail_due(struct db_conn *c, long long now, long long *ids, int max, int *n)
{
	struct db_stmt *s;
	int rc = DB_DONE;

	*n = 0;
	s = db_prepare(c, "SELECT id FROM mail_outbox WHERE status = 'queued' AND send_after <= ?"
	                  " AND (leased_until IS NULL OR leased_until < ?)"
	                  " ORDER BY send_after, id LIMIT ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, now);
	db_bind_int(s, 2, now);
	db_bind_int(s, 3, max);
	while (*n < max && (rc = db_step(s)) == DB_ROW)
		ids[(*n)++] = db_col_int(s, 0);
	if (*n == max)
		rc = DB_DONE;
	db_done(s);
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : DB_ERROR);
}

int store_mail_claim(struct db_conn *c, long long id, long long now, long long lease_until)
{
	struct db_stmt *s = db_prepare(c, "UPDATE mail_outbox SET leased_until = ?,"
	                                  " attempts = attempts + 1 WHERE id = ? AND status = 'queued'"
	                                  " AND send_after <= ?"
	                                  " AND (leased_until IS NULL OR leased_until < ?)");
	int rc;

	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, lease_until);
	db_bind_int(s, 2, id);
	db_bind_int(s, 3, now);
	db_bind_int(s, 4, now);
	if ((rc = store_mail_run(s)) < 0)
		return rc;
	return db_changes(c) == 1 ? 1 : 0;
}

int store_mail_load(struct db_conn *c, long long id, json_t **row)
{
	static const struct store_mail_col cols[] = {
		{ "id", 'i' }, { "template_code", 't' }, { "kind", 't' }, { "person_id", 'i' },
		{ "user_id", 'i' }, { "to_addr", 't' }, { "vars", 't' }, { "status", 't' },
		{ "send_after", 'i' }, { "attempts", 'i' }, { "last_error", 't' }, { "subject", 't' },
		{ "body", 't' }, { "message_id", 't' }, { "created_at", 'i' }, { "sent_at", 'i' },
		{ "tmpl_subject", 't' }, { "tmpl_body", 't' }, { "first_name", 't' },
		{ "last_name", 't' }, { "preferred_name", 't' }, { "consent_email", 'b' },
		{ "unsubscribed", 'b' },
	};
	struct db_stmt *s;
	json_t *vars;
	const char *vtext;
	int rc;

	*row = NULL;
	s = db_prepare(c,
		"SELECT o.id, o.template_code, o.kind, o.person_id, o.user_id, o.to_addr, o.vars,"
		" o.status, o.send_after, o.attempts, o.last_error, o.subject, o.body, o.message_id,"
		" o.created_at, o.sent_at, t.subject, t.body, p.first_name, p.last_name,"
		" p.preferred_name, COALESCE(p.consent_email, 0),"
		" CASE WHEN EXISTS (SELECT 1 FROM mail_unsubscribes u WHERE u.email = o.to_addr)"
		"  OR EXISTS (SELECT 1 FROM person_emails e JOIN mail_unsubscribes u2"
		"   ON u2.email = e.email WHERE e.person_id = o.person_id) THEN 1 ELSE 0 END"
		" FROM mail_outbox o LEFT JOIN mail_templates t ON t.code = o.template_code"
		" LEFT JOIN people p ON p.id = o.person_id WHERE o.id = ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_int(s, 1, id);
	rc = db_step(s);
	if (rc == DB_ROW)
		rc = store_mail_row(s, cols, STORE_MAIL_NCOLS(cols), row) < 0 ? DB_ERROR : 1;
	else if (rc == DB_DONE)
		rc = 0;
	else if (rc >= 0)
		rc = DB_ERROR;
	db_done(s);
	if (rc != 1)
		return rc;
	/* vars travel as an object, not as text */
	vtext = json_string_value(json_object_get(*row, "vars"));
	vars = vtext ? json_loads(vtext, 0, NULL) : json_object();
	if (!json_is_object(vars)) {
		json_decref(vars);
		vars = json_object();
	}
	if (vars == NULL || json_object_set_new(*row, "vars", vars) < 0) {
		json_decref(*row);
		*row = NULL;
		return DB_ERROR;
	}
	return 1;
}

int store_mail_finish(struct db_conn *c, long long id, enum store_mail_outcome outcome,
                      const char *subject, const char *body, const char *message_id,
                      const char *error, long long next_at, long long at)
{
	struct db_stmt *s;

	switch (outcome) {
	case STORE_MAIL_SENT:
		s = db_prepare(c, "UPDATE mail_outbox SET status = 'sent', subject = ?, body = ?,"
		                  " message_id = ?, sent_at = ?, last_error = NULL, leased_until = NULL"
		                  " WHERE id = ?");
		if (s == NULL)
			return DB_ERROR;
		db_bind_text(s, 1, subject);
		db_bind_text(s, 2, body);
		db_bind_text(s, 3, message_id);
		db_bind_int(s, 4, at);
		db_bind_int(s, 5, id);
		break;
	case STORE_MAIL_RETRY:
		s = db_prepare(c, "UPDATE mail_outbox SET status = 'queued', send_after = ?,"
		                  " last_error = ?, leased_until = NULL WHERE id = ?");
		if (s == NULL)
			return DB_ERROR;
		db_bind_int(s, 1, next_at);
		db_bind_text(s, 2, error);
		db_bind_int(s, 3, id);
		break;
	case STORE_MAIL_FAILED:
	case STORE_MAIL_SUPPRESSED:
		s = db_prepare(c, "UPDATE mail_outbox SET status = ?, last_error = ?, leased_until = NULL"
		                  " WHERE id = ?");
		if (s == NULL)
			return DB_ERROR;
		db_bind_text(s, 1, outcome == STORE_MAIL_FAILED ? "failed" : "suppressed");
		db_bind_text(s, 2, error);
		db_bind_int(s, 3, id);
		break;
	default:
		return DB_ERROR;
	}
	return store_mail_run(s);
}

int store_mail_list(struct db_conn *c, const char *status, int limit, long long offset,
                    json_t **rows, long long *total)
{
	static const struct store_mail_col cols[] = {
		{ "id", 'i' }, { "template_code", 't' }, { "kind", 't' }, { "to_addr", 't' },
		{ "status", 't' }, { "send_after", 'i' }, { "attempts", 'i' }, { "created_at", 'i' },
		{ "sent_at", 'i' }, { "last_error", 't' },
	};
	struct db_stmt *s;
	json_t *list, *row;
	int rc;

	*rows = NULL;
	*total = 0;
	/* One text for both "all" (status "") and one status. */
	s = db_prepare(c, "SELECT count(*) FROM mail_outbox WHERE (status = ? OR ? = '')");
	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, status ? status : "");
	db_bind_text(s, 2, status ? status : "");
	rc = db_step(s);
	if (rc == DB_ROW)
		*total = db_col_int(s, 0);
	db_done(s);
	if (rc != DB_ROW)
		return rc < 0 ? rc : DB_ERROR;

	s = db_prepare(c, "SELECT id, template_code, kind, to_addr, status, send_after, attempts,"
	                  " created_at, sent_at, last_error FROM mail_outbox"
	                  " WHERE (status = ? OR ? = '') ORDER BY id DESC LIMIT ? OFFSET ?");
	if (s == NULL)
		return DB_ERROR;
	db_bind_text(s, 1, status ? status : "");
	db_bind_text(s, 2, status ? status : "");
	db_bind_int(s, 3, limit);
	db_bind_int(s, 4, offset);
	list = json_array();
	if (list == NULL) {
		db_done(s);
		return DB_ERROR;
	}
	while ((rc = db_step(s)) == DB_ROW) {
		if (store_mail_row(s, cols, STORE_MAIL_NCOLS(cols), &row) < 0 ||
		    json_array_append_new(list, row) < 0) {
			rc = DB_ERROR;
			break;
		}
	}
	db_done(s);
	if (rc != DB_DONE) {
		json_decref(list);
		return rc < 0 ? rc : DB_ERROR;
	}
	*rows = list;
	return 0;
}

int store_mail_counts(struct db_conn *c, json_t **counts)
{
	static const char *const names[] = { "queued", "sent", "failed", "suppressed" };
	struct db_stmt *s;
	json_t *obj = json_object();
	const char *st;
	size_t i;
	int rc;

	*counts = NULL;
	if (obj == NULL)
		return DB_ERROR;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (json_object_set_new(obj, names[i], json_integer(0)) < 0)
			goto fail;
	s = db_prepare(c, "SELECT status, count(*) FROM mail_outbox GROUP BY status");
	if (s == NULL)
		goto fail;
	while ((rc = db_step(s)) == DB_ROW) {
		st = db_col_text(s, 0);
		if (st && json_object_set_new(obj, st, json_integer(db_col_int(s, 1))) < 0) {
			rc = DB_ERROR;
			break;
		}
	}
	db_done(s);
	if (rc != DB_DONE)
		goto fail;
	*counts = obj;
	return 0;
fail:
	json_decref(obj);
	return DB_ERROR;
}
