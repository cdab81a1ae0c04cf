/*
 * store_pipeline.c — all SQL for the recruitment pipeline. See
 * store_pipeline.h.
 *
 * Invariants: every statement is constant text with "?" parameters in the
 * subset SQLite and PostgreSQL 15 share (CAST(? AS TEXT) IS NULL where a
 * parameter may be NULL, so PostgreSQL knows its type; COALESCE, count,
 * ON CONFLICT, RETURNING; no engine-only function). Every statement from
 * db_prepare() is finished with db_done() on every path (sp_prepare,
 * sp_exec and sp_rows do it for their callers).
 *
 * Bind formats (sp_prepare, sp_exec): one letter per parameter, in order:
 *   i  long long
 *   d  long long id, 0 binds NULL
 *   t  const char * text, NULL binds NULL
 * Row formats (sp_rows, sp_row): one letter per column, in order:
 *   i  integer        z  integer, NULL read as 0
 *   t  text or null   b  integer read as true/false
 * Pass long long for i and d: the values travel through varargs.
 *
 * Threading: no state of its own. Functions taking a struct db_conn run on
 * whatever thread owns it (a reader, or the writer inside a job).
 */
#include "store/store_pipeline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/limits.h"
#include "store/sql.h"

_Static_assert(STORE_PIPELINE_DUPLICATE == DB_CONSTRAINT, "store_pipeline.h mirrors DB_CONSTRAINT");

static int sp_error(int rc)
{
	return rc < 0 ? rc : DB_ERROR;
}

static int sp_bindv(struct db_stmt *s, const char *fmt, va_list ap)
{
	int i, bad = 0;
	long long v;
	const char *t;

	for (i = 0; fmt[i]; i++) {
		switch (fmt[i]) {
		case 'i':
			bad |= db_bind_int(s, i + 1, va_arg(ap, long long)) != DB_OK;
			break;
		case 'd':
			v = va_arg(ap, long long);
			bad |= (v > 0 ? db_bind_int(s, i + 1, v) : db_bind_null(s, i + 1)) != DB_OK;
			break;
		case 't':
			t = va_arg(ap, const char *);
			bad |= db_bind_text(s, i + 1, t) != DB_OK;
			break;
		default:
			bad = 1;
		}
	}
	return bad ? DB_ERROR : 0;
}

/* Prepares sql and binds its parameters (see the formats above). Returns
 * the statement, or NULL (nothing left open). */
static struct db_stmt *sp_prepare(struct db_conn *c, const char *sql, const char *fmt, ...)
{
	struct db_stmt *s = db_prepare(c, sql);
	va_list ap;
	int rc;

	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	rc = sp_bindv(s, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		db_done(s);
		return NULL;
	}
	return s;
}

/* Runs a statement without rows. Returns the number of rows it changed
 * (capped to int), or < 0. */
static int sp_exec(struct db_conn *c, const char *sql, const char *fmt, ...)
{
	struct db_stmt *s = db_prepare(c, sql);
	va_list ap;
	long long n;
	int rc;

	if (s == NULL)
		return DB_ERROR;
	va_start(ap, fmt);
	rc = sp_bindv(s, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		db_done(s);
		return rc;
	}
	rc = db_step(s);
	db_done(s);
	if (rc != DB_DONE)
		return sp_error(rc);
	n = db_changes(c);
	return n > 1000000 ? 1000000 : (int)n;
}

/* Runs a write without rows whose job needs only "done or failed" (not
 * the rows it changed): on PostgreSQL it rides with the job's next round
 * trip (db_step_deferred). Returns 0 or < 0. */
static int sp_exec_deferred(struct db_conn *c, const char *sql, const char *fmt, ...)
{
	struct db_stmt *s = db_prepare(c, sql);
	va_list ap;
	int rc;

	if (s == NULL)
		return DB_ERROR;
	va_start(ap, fmt);
	rc = sp_bindv(s, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		db_done(s);
		return rc;
	}
	rc = db_step_deferred(s);
	db_done(s);
	return rc == DB_DONE ? 0 : sp_error(rc);
}

/* Reads the current row of s into a new object. */
static json_t *sp_row_object(struct db_stmt *s, const char *const *names, const char *kinds)
{
	json_t *row = json_object(), *v;
	const char *t;
	int i;

	if (row == NULL)
		return NULL;
	for (i = 0; kinds[i]; i++) {
		switch (kinds[i]) {
		case 'i':
			v = json_integer(db_col_int(s, i));
			break;
		case 'z':
			v = json_integer(db_col_is_null(s, i) ? 0 : db_col_int(s, i));
			break;
		case 'b':
			v = json_boolean(db_col_int(s, i) != 0);
			break;
		default:
			t = db_col_text(s, i);
			v = t ? json_string(t) : json_null();
			break;
		}
		if (v == NULL || json_object_set_new(row, names[i], v) < 0) {
			json_decref(row);
			return NULL;
		}
	}
	return row;
}

/* Reads every row of s into a new array *out; finishes s. */
static int sp_rows(struct db_stmt *s, const char *const *names, const char *kinds, json_t **out)
{
	json_t *arr, *row;
	int rc;

	*out = NULL;
	if (s == NULL)
		return DB_ERROR;
	arr = json_array();
	if (arr == NULL) {
		db_done(s);
		return DB_ERROR;
	}
	while ((rc = db_step(s)) == DB_ROW) {
		row = sp_row_object(s, names, kinds);
		if (row == NULL || json_array_append_new(arr, row) < 0) {
			rc = DB_ERROR;
			break;
		}
	}
	db_done(s);
	if (rc != DB_DONE) {
		json_decref(arr);
		return sp_error(rc);
	}
	*out = arr;
	return 0;
}

/* Reads the one row of s into *out; finishes s. Returns 1, 0 if none, < 0. */
static int sp_row(struct db_stmt *s, const char *const *names, const char *kinds, json_t **out)
{
	int rc;

	*out = NULL;
	if (s == NULL)
		return DB_ERROR;
	rc = db_step(s);
	if (rc == DB_ROW) {
		*out = sp_row_object(s, names, kinds);
		db_done(s);
		return *out ? 1 : DB_ERROR;
	}
	db_done(s);
	return rc == DB_DONE ? 0 : sp_error(rc);
}

int store_pipeline_write(struct db *db, store_pipeline_job_fn fn, void *arg)
{
	return db_write(db, fn, arg);
}

struct db_conn *store_pipeline_read_begin(struct db *db)
{
	return db_read_begin(db);
}

void store_pipeline_read_end(struct db *db, struct db_conn *c)
{
	db_read_end(db, c);
}

/* ---- stages ---- */

int store_stages_list(struct db_conn *c, json_t **rows)
{
	static const char *const names[] = {
		"id", "code", "label", "position", "in_queue", "funnel", "active",
	};

	return sp_rows(sp_prepare(c, "SELECT id, code, label, position, in_queue, funnel, active"
	                             " FROM pipeline_stages ORDER BY position, id", ""),
	               names, "ittibbb", rows);
}

int store_stage_insert(struct db_conn *c, const char *code, const char *label, long long position,
                       int in_queue, int funnel, long long at, long long *id)
{
	long long found;
	int rc;

	/* Look first, so a taken code is an answer, not a logged error. */
	rc = db_step_int(sp_prepare(c, "SELECT id FROM pipeline_stages WHERE code = ?", "t", code), &found);
	if (rc != 0)
		return rc < 0 ? rc : DB_CONSTRAINT;
	rc = db_step_int(sp_prepare(c, "INSERT INTO pipeline_stages (code, label, position, in_queue, funnel,"
	                          " active, created_at) VALUES (?, ?, ?, ?, ?, 1, ?) RETURNING id",
	                       "tiiiii", code, label, position, (long long)(in_queue != 0),
	                       (long long)(funnel != 0), at), id);
	return rc == 1 ? 0 : sp_error(rc);
}

int store_stage_update(struct db_conn *c, long long id, const char *label, long long position,
                       int in_queue, int funnel, int active)
{
	long long was = 0;
	int n;

	/* On PostgreSQL, other nodes' assignments wait until this commits
	 * (and this waits for theirs): each then counts its person by the
	 * stage's in_queue as it stands after the other. SQLite has one
	 * writer. */
	if (db_conn_dialect(c) == DB_DIALECT_POSTGRES &&
	    (n = sp_exec(c, "LOCK TABLE person_pipeline IN SHARE ROW EXCLUSIVE MODE", "")) < 0)
		return n;
	if ((n = db_step_int(sp_prepare(c, "SELECT in_queue FROM pipeline_stages WHERE id = ?", "i", id),
	                     &was)) <= 0)
		return n;
	n = sp_exec(c, "UPDATE pipeline_stages SET label = ?, position = ?, in_queue = ?, funnel = ?,"
	               " active = ? WHERE id = ?", "tiiiii", label, position,
	            (long long)(in_queue != 0), (long long)(funnel != 0), (long long)(active != 0), id);
	if (n <= 0 || (was != 0) == (in_queue != 0))
		return n < 0 ? n : n > 0;
	/* The stage joins or leaves the queues: so do the people in it. */
	n = sp_exec(c, "INSERT INTO volunteer_load (user_id, queued)"
	               " SELECT assignee_id, ? * count(*) FROM person_pipeline"
	               " WHERE stage_id = ? AND assignee_id IS NOT NULL GROUP BY assignee_id"
	               " ON CONFLICT (user_id) DO UPDATE SET queued = volunteer_load.queued + excluded.queued",
	            "ii", in_queue ? 1LL : -1LL, id);
	return n < 0 ? n : 1;
}

/* ---- a person's place ---- */

/* A person's place in the pipeline, as sp_place reads it. */
struct sp_place {
	long long stage, since;
	long long assignee;  /* 0: nobody */
};

/* Reads person_id's place. 1 if they have one, 0 if not, or < 0. */
static int sp_place(struct db_conn *c, long long person_id, struct sp_place *p)
{
	struct db_stmt *s = sp_prepare(c, "SELECT stage_id, stage_since, COALESCE(assignee_id, 0)"
	                                  " FROM person_pipeline WHERE person_id = ?", "i", person_id);
	int rc;

	if (s == NULL)
		return DB_ERROR;
	rc = db_step(s);
	if (rc == DB_ROW) {
		p->stage = db_col_int(s, 0);
		p->since = db_col_int(s, 1);
		p->assignee = db_col_int(s, 2);
	}
	db_done(s);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : sp_error(rc);
}

/* Adds delta to user's queue size (volunteer_load) if stage is in the
 * queues; user 0 is nobody. Every change to who has someone in which
 * stage comes through here. */
static int sp_load_add(struct db_conn *c, long long user, long long stage, long long delta)
{
	int rc;

	if (user <= 0)
		return 0;
	rc = sp_exec(c, "INSERT INTO volunteer_load (user_id, queued)"
	                " SELECT ?, ? FROM pipeline_stages WHERE id = ? AND in_queue = 1"
	                " ON CONFLICT (user_id) DO UPDATE SET queued = volunteer_load.queued + excluded.queued",
	             "iii", user, delta, stage);
	return rc < 0 ? rc : 0;
}

/* The statements that change a person's place name the place they read
 * (stage and assignee) in their WHERE: on PostgreSQL another node may have
 * changed it since, and then the statement changes nothing and the job is
 * run again (DB_RETRY), reading the place anew, so the queue sizes move
 * from the place that really was. */
#define SP_PLACE_WAS " AND stage_id = ? AND COALESCE(assignee_id, 0) = ?"

/* Gives person_id, whose place is *p, to user (0: nobody), and moves the
 * queue sizes with them. 1 if it changed, 0 if it was user's already. */
static int sp_reassign(struct db_conn *c, long long person_id, const struct sp_place *p,
                       long long user, long long at)
{
	int n;

	if (p->assignee == user)
		return 0;
	n = sp_exec(c, "UPDATE person_pipeline SET assignee_id = ?, assigned_at = ? WHERE person_id = ?"
	               SP_PLACE_WAS, "diiii", user, at, person_id, p->stage, p->assignee);
	if (n <= 0)
		return n < 0 ? n : DB_RETRY;
	if ((n = sp_load_add(c, p->assignee, p->stage, -1)) < 0 ||
	    (n = sp_load_add(c, user, p->stage, 1)) < 0)
		return n;
	return 1;
}

/* The account to give the next person of state (NULL: none) to; see
 * store_pipeline_enter. Sets *user (0 if nobody has room). The candidates
 * come unordered and the first in the round robin's order is chosen here:
 * an ORDER BY over these expressions makes SQLite build a temporary b-tree
 * on every run, even with nobody to sort, which cost each new lead ~4 us of
 * the writer's time. */
static int sp_pick_volunteer(struct db_conn *c, const char *state, const char *call_role,
                             long long default_capacity, long long *user)
{
	struct db_stmt *s = sp_prepare(c,
		"SELECT u.id, CASE WHEN COALESCE(v.states, '') = '' THEN 1 ELSE 0 END,"
		" COALESCE(v.last_assigned_seq, 0)"
		" FROM users u LEFT JOIN volunteer_settings v ON v.user_id = u.id"
		" WHERE u.disabled = 0 AND (v.user_id IS NOT NULL OR u.role = ?)"
		" AND (COALESCE(v.states, '') = ''"
		"  OR (' ' || v.states || ' ') LIKE ('% ' || CAST(? AS TEXT) || ' %'))"
		" AND COALESCE(v.capacity, ?) > COALESCE((SELECT queued FROM volunteer_load l"
		"  WHERE l.user_id = u.id), 0)",
		"tti", call_role, state, default_capacity);
	long long best_anywhere = 0, best_seq = 0, id, anywhere, seq;
	int rc;

	*user = 0;
	if (s == NULL)
		return DB_ERROR;
	/* Those who cover the person's state before those who cover every
	 * state; then the longest since their last turn; then the oldest. */
	while ((rc = db_step(s)) == DB_ROW) {
		id = db_col_int(s, 0);
		anywhere = db_col_int(s, 1);
		seq = db_col_int(s, 2);
		if (*user == 0 || anywhere < best_anywhere ||
		    (anywhere == best_anywhere && (seq < best_seq || (seq == best_seq && id < *user)))) {
			*user = id;
			best_anywhere = anywhere;
			best_seq = seq;
		}
	}
	db_done(s);
	if (rc != DB_DONE) {
		*user = 0;
		return sp_error(rc);
	}
	return 0;
}

/* Notes that user was just given someone: the round robin's turn moves on. */
static int sp_turn_taken(struct db_conn *c, long long user, long long default_capacity,
                         long long at)
{
	long long seq = 0;
	int rc;

	rc = db_step_int(sp_prepare(c, "SELECT COALESCE(MAX(last_assigned_seq), 0) + 1"
	                          " FROM volunteer_settings", ""), &seq);
	if (rc < 0)
		return rc;
	rc = sp_exec(c, "INSERT INTO volunteer_settings (user_id, capacity, states, last_assigned_seq,"
	                " updated_at) VALUES (?, ?, '', ?, ?) ON CONFLICT (user_id) DO UPDATE"
	                " SET last_assigned_seq = excluded.last_assigned_seq",
	             "iiii", user, default_capacity, seq, at);
	return rc < 0 ? rc : 0;
}

int store_pipeline_autoassign(struct db_conn *c, long long person_id, const char *call_role,
                              long long default_capacity, long long at, long long *assignee)
{
	char state[8] = "";
	struct db_stmt *s;
	const char *v;
	int rc;

	*assignee = 0;
	s = sp_prepare(c, "SELECT state FROM people WHERE id = ?", "i", person_id);
	if (s == NULL)
		return DB_ERROR;
	rc = db_step(s);
	if (rc == DB_ROW && (v = db_col_text(s, 0)) != NULL && strlen(v) < sizeof(state))
		memcpy(state, v, strlen(v) + 1);
	db_done(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return sp_error(rc);
	rc = sp_pick_volunteer(c, state[0] ? state : NULL, call_role, default_capacity, assignee);
	if (rc < 0 || *assignee == 0)
		return rc;
	if ((rc = store_pipeline_assign(c, person_id, *assignee, at)) < 0)
		return rc;
	return sp_turn_taken(c, *assignee, default_capacity, at);
}

int store_pipeline_enter(struct db_conn *c, const struct store_pipeline_entry *e,
                         long long *assignee)
{
	long long stage = 0, position = 0;
	struct db_stmt *s;
	int rc;

	*assignee = 0;
	s = sp_prepare(c, "SELECT id, position FROM pipeline_stages WHERE active = 1"
	                  " ORDER BY position, id LIMIT 1", "");
	if (s == NULL)
		return DB_ERROR;
	rc = db_step(s);
	if (rc == DB_ROW) {
		stage = db_col_int(s, 0);
		position = db_col_int(s, 1);
	}
	db_done(s);
	if (rc != DB_ROW)
		return sp_error(rc);  /* no active stage: admins may not remove them all */

	rc = sp_exec(c, "INSERT INTO person_pipeline (person_id, stage_id, stage_since, max_position,"
	                " signup_month, entered_at) VALUES (?, ?, ?, ?, ?, ?)"
	                " ON CONFLICT (person_id) DO NOTHING",
	             "iiiiti", e->person_id, stage, e->at, position, e->signup_month, e->at);
	if (rc <= 0)
		return rc;
	/* No RETURNING: nothing reads the id, and a RETURNING clause makes
	 * SQLite open a statement journal for the INSERT. */
	rc = sp_exec_deferred(c, "INSERT INTO stage_events (person_id, from_stage_id, to_stage_id,"
	                         " at, reason) VALUES (?, NULL, ?, ?, 'signup')",
	                      "iii", e->person_id, stage, e->at);
	if (rc < 0)
		return rc;
	rc = sp_pick_volunteer(c, e->state, e->call_role, e->default_capacity, assignee);
	if (rc < 0)
		return rc;
	if (*assignee > 0) {
		struct sp_place p = { .stage = stage, .since = e->at, .assignee = 0 };

		if ((rc = sp_reassign(c, e->person_id, &p, *assignee, e->at)) < 0 ||
		    (rc = sp_turn_taken(c, *assignee, e->default_capacity, e->at)) < 0)
			return rc;
	}
	return 1;
}

int store_pipeline_load(struct db_conn *c, long long person_id, json_t **row)
{
	static const char *const names[] = {
		"person_id", "stage_id", "stage_code", "stage_label", "stage_position", "stage_since",
		"assignee_id", "assignee_email", "first_call_at", "last_call_at", "entered_at",
	};

	return sp_row(sp_prepare(c,
		"SELECT pp.person_id, pp.stage_id, st.code, st.label, st.position, pp.stage_since,"
		" pp.assignee_id, u.email, pp.first_call_at, pp.last_call_at, pp.entered_at"
		" FROM person_pipeline pp JOIN pipeline_stages st ON st.id = pp.stage_id"
		" LEFT JOIN users u ON u.id = pp.assignee_id WHERE pp.person_id = ?", "i", person_id),
		names, "iittiiztzzi", row);
}

int store_pipeline_is_assigned(struct db_conn *c, long long person_id, long long user_id)
{
	long long one;

	return db_step_int(sp_prepare(c, "SELECT 1 FROM person_pipeline WHERE person_id = ?"
	                            " AND assignee_id = ?", "ii", person_id, user_id), &one);
}

int store_pipeline_move(struct db_conn *c, long long person_id, long long to_stage, long long by,
                        const char *reason, long long at)
{
	struct sp_place p;
	long long id;
	int rc;

	if ((rc = sp_place(c, person_id, &p)) <= 0 || p.stage == to_stage)
		return rc < 0 ? rc : 0;
	rc = sp_exec(c, "UPDATE person_pipeline SET stage_id = ?, stage_since = ?,"
	                " max_position = CASE WHEN (SELECT funnel FROM pipeline_stages WHERE id = ?) = 1"
	                "  AND (SELECT position FROM pipeline_stages WHERE id = ?) > max_position"
	                "  THEN (SELECT position FROM pipeline_stages WHERE id = ?) ELSE max_position END"
	                " WHERE person_id = ?" SP_PLACE_WAS,
	             "iiiiiiii", to_stage, at, to_stage, to_stage, to_stage, person_id, p.stage, p.assignee);
	if (rc == 0)
		return DB_RETRY;
	if (rc < 0 || (rc = sp_load_add(c, p.assignee, p.stage, -1)) < 0 ||
	    (rc = sp_load_add(c, p.assignee, to_stage, 1)) < 0)
		return rc;
	rc = db_step_int(sp_prepare(c, "INSERT INTO stage_events (person_id, from_stage_id, to_stage_id, at,"
	                          " by_user, reason, time_in_from) VALUES (?, ?, ?, ?, ?, ?, ?)"
	                          " RETURNING id",
	                       "iiiidti", person_id, p.stage, to_stage, at, by, reason,
	                       at > p.since ? at - p.since : 0LL), &id);
	return rc == 1 ? 1 : sp_error(rc);
}

int store_pipeline_assign(struct db_conn *c, long long person_id, long long user_id, long long at)
{
	struct sp_place p;
	int rc = sp_place(c, person_id, &p);

	return rc <= 0 ? rc : sp_reassign(c, person_id, &p, user_id, at);
}

int store_pipeline_called(struct db_conn *c, long long person_id, long long at)
{
	int n = sp_exec(c, "UPDATE person_pipeline SET first_call_at = COALESCE(first_call_at, ?),"
	                   " last_call_at = ? WHERE person_id = ?", "iii", at, at, person_id);

	return n < 0 ? n : 0;
}

int store_pipeline_history(struct db_conn *c, long long person_id, int limit, json_t **rows)
{
	static const char *const names[] = { "at", "from_label", "to_label", "by_email", "reason" };

	return sp_rows(sp_prepare(c,
		"SELECT e.at, f.label, t.label, u.email, e.reason FROM stage_events e"
		" LEFT JOIN pipeline_stages f ON f.id = e.from_stage_id"
		" JOIN pipeline_stages t ON t.id = e.to_stage_id"
		" LEFT JOIN users u ON u.id = e.by_user"
		" WHERE e.person_id = ? ORDER BY e.at DESC, e.id DESC LIMIT ?",
		"ii", person_id, (long long)limit), names, "itttt", rows);
}

int store_pipeline_absorb(struct db_conn *c, long long keep, long long drop)
{
	struct sp_place p;
	static const char *const moves[] = {
		"UPDATE calls SET person_id = ? WHERE person_id = ?",
		"UPDATE tasks SET person_id = ? WHERE person_id = ?",
		"UPDATE stage_events SET person_id = ? WHERE person_id = ?",
		"INSERT INTO person_tags (person_id, tag_id) SELECT ?, tag_id FROM person_tags"
		" WHERE person_id = ? ON CONFLICT DO NOTHING",
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		if ((rc = sp_exec(c, moves[i], "ii", keep, drop)) < 0)
			return rc;
	rc = sp_exec(c, "UPDATE person_pipeline SET"
	                " first_call_at = (SELECT min(x) FROM (SELECT first_call_at AS x FROM person_pipeline"
	                "  WHERE person_id IN (?, ?)) m),"
	                " last_call_at = (SELECT max(x) FROM (SELECT last_call_at AS x FROM person_pipeline"
	                "  WHERE person_id IN (?, ?)) m)"
	                " WHERE person_id = ?", "iiiii", keep, drop, keep, drop, keep);
	if (rc < 0)
		return rc;
	/* drop's own row goes now (not with the person, by the cascade), so
	 * its assignee's queue size goes down with it */
	if ((rc = sp_place(c, drop, &p)) <= 0)
		return rc;
	if ((rc = sp_exec(c, "DELETE FROM person_pipeline WHERE person_id = ?" SP_PLACE_WAS, "iii",
	                  drop, p.stage, p.assignee)) <= 0)
		return rc < 0 ? rc : DB_RETRY;
	return sp_load_add(c, p.assignee, p.stage, -1);
}

/* ---- calls ---- */

int store_call_insert(struct db_conn *c, const struct store_call *call, long long *id)
{
	int rc = db_step_int(sp_prepare(c,
		"INSERT INTO calls (person_id, caller_id, at, outcome, office, timeline, readiness, needs,"
		" notes, next_stage_id, task_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		"iditttdttdd", call->person_id, call->caller_id, call->at, call->outcome, call->office,
		call->timeline, (long long)call->readiness, call->needs, call->notes, call->next_stage,
		call->task_id), id);

	return rc == 1 ? 0 : sp_error(rc);
}

int store_calls_list(struct db_conn *c, long long person_id, int limit, json_t **rows)
{
	static const char *const names[] = {
		"id", "at", "caller_email", "outcome", "office", "timeline", "readiness", "needs", "notes",
		"next_stage_label",
	};

	return sp_rows(sp_prepare(c,
		"SELECT k.id, k.at, u.email, k.outcome, k.office, k.timeline, k.readiness, k.needs, k.notes,"
		" st.label FROM calls k LEFT JOIN users u ON u.id = k.caller_id"
		" LEFT JOIN pipeline_stages st ON st.id = k.next_stage_id"
		" WHERE k.person_id = ? ORDER BY k.at DESC, k.id DESC LIMIT ?",
		"ii", person_id, (long long)limit), names, "iittttzttt", rows);
}

/* ---- tasks ---- */

int store_task_insert(struct db_conn *c, long long person_id, long long assignee,
                      const char *title, long long due_at, long long by, long long at,
                      long long *id)
{
	int rc = db_step_int(sp_prepare(c,
		"INSERT INTO tasks (person_id, assignee_id, title, due_at, done_at, created_by, created_at)"
		" VALUES (?, ?, ?, ?, NULL, ?, ?) RETURNING id",
		"ditidi", person_id, assignee, title, due_at, by, at), id);

	return rc == 1 ? 0 : sp_error(rc);
}

int store_task_load(struct db_conn *c, long long id, json_t **row)
{
	static const char *const names[] = {
		"id", "person_id", "assignee_id", "title", "due_at", "done_at",
	};

	return sp_row(sp_prepare(c, "SELECT id, person_id, assignee_id, title, due_at, done_at"
	                            " FROM tasks WHERE id = ?", "i", id), names, "izitiz", row);
}

int store_task_set_done(struct db_conn *c, long long id, long long done_at)
{
	int n;

	if (done_at > 0)
		n = sp_exec(c, "UPDATE tasks SET done_at = ? WHERE id = ? AND done_at IS NULL", "ii",
		            done_at, id);
	else
		n = sp_exec(c, "UPDATE tasks SET done_at = NULL WHERE id = ? AND done_at IS NOT NULL",
		            "i", id);
	return n < 0 ? n : n > 0;
}

int store_tasks_list(struct db_conn *c, long long assignee, long long person_id, int include_done,
                     int limit, json_t **rows)
{
	static const char *const names[] = {
		"id", "person_id", "person_name", "assignee_id", "assignee_email", "title", "due_at",
		"done_at",
	};

	return sp_rows(sp_prepare(c,
		"SELECT t.id, t.person_id,"
		" CASE WHEN p.id IS NULL THEN NULL ELSE COALESCE(p.preferred_name, p.first_name) || ' ' ||"
		"  p.last_name END,"
		" t.assignee_id, u.email, t.title, t.due_at, t.done_at"
		" FROM tasks t LEFT JOIN people p ON p.id = t.person_id JOIN users u ON u.id = t.assignee_id"
		" WHERE (CAST(? AS BIGINT) = 0 OR t.assignee_id = ?)"
		" AND (CAST(? AS BIGINT) = 0 OR t.person_id = ?)"
		" AND (CAST(? AS BIGINT) = 1 OR t.done_at IS NULL)"
		" ORDER BY CASE WHEN t.done_at IS NULL THEN 0 ELSE 1 END,"
		" CASE WHEN t.done_at IS NULL THEN t.due_at ELSE -t.done_at END, t.id LIMIT ?",
		"iiiiii", assignee, assignee, person_id, person_id, (long long)(include_done != 0),
		(long long)limit), names, "iztittiz", rows);
}

/* ---- tags ---- */

int store_tag_find(struct db_conn *c, const char *name, long long *id)
{
	return db_step_int(sp_prepare(c, "SELECT id FROM tags WHERE name = ?", "t", name), id);
}

int store_tag_ensure(struct db_conn *c, const char *name, long long at, long long *id)
{
	int rc = store_tag_find(c, name, id);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = db_step_int(sp_prepare(c, "INSERT INTO tags (name, created_at) VALUES (?, ?) RETURNING id",
	                       "ti", name, at), id);
	return rc == 1 ? 0 : sp_error(rc);
}

int store_person_tag_add(struct db_conn *c, long long person_id, long long tag_id)
{
	int n = sp_exec(c, "INSERT INTO person_tags (person_id, tag_id) VALUES (?, ?)"
	                   " ON CONFLICT DO NOTHING", "ii", person_id, tag_id);

	return n < 0 ? n : n > 0;
}

int store_person_tag_remove(struct db_conn *c, long long person_id, long long tag_id)
{
	int n = sp_exec(c, "DELETE FROM person_tags WHERE person_id = ? AND tag_id = ?", "ii",
	                person_id, tag_id);

	return n < 0 ? n : n > 0;
}

int store_person_tag_count(struct db_conn *c, long long person_id, long long *n)
{
	int rc = db_step_int(sp_prepare(c, "SELECT count(*) FROM person_tags WHERE person_id = ?", "i",
	                           person_id), n);

	return rc == 1 ? 0 : sp_error(rc);
}

int store_person_tags(struct db_conn *c, long long person_id, json_t **rows)
{
	struct db_stmt *s = sp_prepare(c, "SELECT t.name FROM person_tags pt JOIN tags t"
	                                  " ON t.id = pt.tag_id WHERE pt.person_id = ? ORDER BY t.name",
	                               "i", person_id);
	json_t *arr;
	const char *v;
	int rc;

	*rows = NULL;
	if (s == NULL)
		return DB_ERROR;
	arr = json_array();
	while (arr && (rc = db_step(s)) == DB_ROW) {
		v = db_col_text(s, 0);
		if (v == NULL || json_array_append_new(arr, json_string(v)) < 0) {
			rc = DB_ERROR;
			break;
		}
	}
	if (arr == NULL)
		rc = DB_ERROR;
	db_done(s);
	if (rc != DB_DONE) {
		json_decref(arr);
		return sp_error(rc);
	}
	*rows = arr;
	return 0;
}

int store_tags_list(struct db_conn *c, json_t **rows)
{
	static const char *const names[] = { "id", "name", "count" };

	return sp_rows(sp_prepare(c, "SELECT t.id, t.name, (SELECT count(*) FROM person_tags pt"
	                             " WHERE pt.tag_id = t.id) FROM tags t ORDER BY t.name", ""),
	               names, "iti", rows);
}

/* ---- saved views ---- */

int store_view_insert(struct db_conn *c, long long owner, const char *name, const char *query,
                      long long at, long long *id)
{
	int rc = db_step_int(sp_prepare(c, "INSERT INTO saved_views (owner_id, name, query, created_at)"
	                              " VALUES (?, ?, ?, ?) RETURNING id", "dtti", owner, name, query,
	                           at), id);

	return rc == 1 ? 0 : sp_error(rc);
}

int store_view_load(struct db_conn *c, long long id, json_t **row)
{
	static const char *const names[] = { "id", "owner_id", "name", "query" };

	return sp_row(sp_prepare(c, "SELECT id, owner_id, name, query FROM saved_views WHERE id = ?",
	                         "i", id), names, "iztt", row);
}

int store_view_delete(struct db_conn *c, long long id)
{
	int n = sp_exec(c, "DELETE FROM saved_views WHERE id = ?", "i", id);

	return n < 0 ? n : n > 0;
}

int store_views_list(struct db_conn *c, json_t **rows, long long *count)
{
	static const char *const names[] = { "id", "name", "query", "owner_email", "created_at" };
	int rc = sp_rows(sp_prepare(c, "SELECT v.id, v.name, v.query, u.email, v.created_at"
	                               " FROM saved_views v LEFT JOIN users u ON u.id = v.owner_id"
	                               " ORDER BY v.name, v.id", ""), names, "ittti", rows);

	if (rc == 0)
		*count = (long long)json_array_size(*rows);
	return rc;
}

/* ---- volunteers ---- */

int store_volunteers_list(struct db_conn *c, const char *call_role, long long default_capacity,
                          json_t **rows)
{
	static const char *const names[] = {
		"id", "email", "role", "capacity", "states", "load", "has_settings",
	};

	return sp_rows(sp_prepare(c,
		"SELECT u.id, u.email, u.role, COALESCE(v.capacity, ?), COALESCE(v.states, ''),"
		" COALESCE((SELECT queued FROM volunteer_load l WHERE l.user_id = u.id), 0),"
		" CASE WHEN v.user_id IS NULL THEN 0 ELSE 1 END"
		" FROM users u LEFT JOIN volunteer_settings v ON v.user_id = u.id"
		" WHERE u.disabled = 0 AND (v.user_id IS NOT NULL OR u.role = ?) ORDER BY u.email",
		"it", default_capacity, call_role), names, "ittitib", rows);
}

int store_volunteer_load(struct db_conn *c, long long user_id, long long default_capacity,
                         json_t **row)
{
	static const char *const names[] = { "id", "email", "capacity", "states" };

	return sp_row(sp_prepare(c, "SELECT u.id, u.email, COALESCE(v.capacity, ?), COALESCE(v.states, '')"
	                            " FROM users u LEFT JOIN volunteer_settings v ON v.user_id = u.id"
	                            " WHERE u.id = ? AND u.disabled = 0", "ii", default_capacity, user_id),
	              names, "itit", row);
}

int store_volunteer_settings_set(struct db_conn *c, long long user_id, long long capacity,
                                 const char *states, long long at)
{
	int n = sp_exec(c, "INSERT INTO volunteer_settings (user_id, capacity, states, last_assigned_seq,"
	                   " updated_at) VALUES (?, ?, ?, 0, ?) ON CONFLICT (user_id) DO UPDATE"
	                   " SET capacity = excluded.capacity, states = excluded.states,"
	                   " updated_at = excluded.updated_at",
	                "iiti", user_id, capacity, states ? states : "", at);

	return n < 0 ? n : 0;
}

/* ---- settings ---- */

int store_pipeline_setting_get(struct db_conn *c, const char *key, long long *value)
{
	struct db_stmt *s = sp_prepare(c, "SELECT value FROM pipeline_settings WHERE key = ?", "t", key);
	const char *v;
	char *end;
	int rc;

	if (s == NULL)
		return DB_ERROR;
	rc = db_step(s);
	if (rc == DB_ROW) {
		v = db_col_text(s, 0);
		*value = v ? strtoll(v, &end, 10) : 0;
		rc = v && *v && *end == '\0' ? 1 : DB_ERROR;
		db_done(s);
		return rc;
	}
	db_done(s);
	return rc == DB_DONE ? 0 : sp_error(rc);
}

int store_pipeline_setting_set(struct db_conn *c, const char *key, long long value)
{
	char text[24];
	int n;

	if (snprintf(text, sizeof(text), "%lld", value) >= (int)sizeof(text))
		return DB_ERROR;
	n = sp_exec(c, "INSERT INTO pipeline_settings (key, value) VALUES (?, ?)"
	               " ON CONFLICT (key) DO UPDATE SET value = excluded.value", "tt", key, text);
	return n < 0 ? n : 0;
}

/* ---- lists ---- */

int store_my_calls(struct db_conn *c, long long user_id, long long soon, int limit,
                   json_t **rows)
{
	static const char *const names[] = {
		"id", "first_name", "last_name", "preferred_name", "state", "created_at", "stage_label",
		"last_call_at", "phone", "due_at",
	};

	return sp_rows(sp_prepare(c,
		"SELECT q.* FROM (SELECT p.id AS id, p.first_name AS first_name, p.last_name AS last_name,"
		" p.preferred_name AS preferred_name, p.state AS state, p.created_at AS created_at,"
		" st.label AS stage_label, pp.last_call_at AS last_call_at,"
		" (SELECT ph.phone FROM person_phones ph WHERE ph.person_id = p.id"
		"  ORDER BY ph.created_at, ph.phone LIMIT 1) AS phone,"
		" (SELECT min(t.due_at) FROM tasks t WHERE t.person_id = p.id AND t.done_at IS NULL"
		"  AND t.assignee_id = pp.assignee_id) AS due_at"
		" FROM person_pipeline pp JOIN people p ON p.id = pp.person_id"
		" JOIN pipeline_stages st ON st.id = pp.stage_id"
		" WHERE pp.assignee_id = ? AND (st.in_queue = 1 OR EXISTS (SELECT 1 FROM tasks t2"
		"  WHERE t2.person_id = p.id AND t2.assignee_id = pp.assignee_id AND t2.done_at IS NULL))) q"
		" ORDER BY CASE WHEN q.due_at IS NOT NULL AND q.due_at < ? THEN q.due_at ELSE ? END,"
		" q.created_at, q.id LIMIT ?",
		"iiii", user_id, soon, soon, (long long)limit), names, "itttttiztz", rows);
}

int store_dropoff(struct db_conn *c, long long cutoff, int limit, json_t **people,
                  json_t **by_volunteer, json_t **by_state, long long *total)
{
	static const char *const pnames[] = {
		"id", "first_name", "last_name", "state", "entered_at", "assignee_email", "stage_label",
	};
	static const char *const vnames[] = { "assignee_id", "email", "count" };
	static const char *const snames[] = { "state", "count" };
	int rc;

	*people = *by_volunteer = *by_state = NULL;
	*total = 0;
	rc = sp_rows(sp_prepare(c,
		"SELECT p.id, p.first_name, p.last_name, p.state, pp.entered_at, u.email, st.label"
		" FROM person_pipeline pp JOIN people p ON p.id = pp.person_id"
		" JOIN pipeline_stages st ON st.id = pp.stage_id"
		" LEFT JOIN users u ON u.id = pp.assignee_id"
		" WHERE pp.first_call_at IS NULL AND pp.entered_at < ? AND st.in_queue = 1"
		" ORDER BY pp.entered_at, p.id LIMIT ?", "ii", cutoff, (long long)limit),
		pnames, "itttitt", people);
	if (rc < 0)
		return rc;
	rc = sp_rows(sp_prepare(c,
		"SELECT COALESCE(pp.assignee_id, 0), u.email, count(*) FROM person_pipeline pp"
		" JOIN pipeline_stages st ON st.id = pp.stage_id"
		" LEFT JOIN users u ON u.id = pp.assignee_id"
		" WHERE pp.first_call_at IS NULL AND pp.entered_at < ? AND st.in_queue = 1"
		" GROUP BY COALESCE(pp.assignee_id, 0), u.email ORDER BY count(*) DESC, u.email",
		"i", cutoff), vnames, "iti", by_volunteer);
	if (rc < 0)
		goto fail;
	rc = sp_rows(sp_prepare(c,
		"SELECT p.state, count(*) FROM person_pipeline pp JOIN people p ON p.id = pp.person_id"
		" JOIN pipeline_stages st ON st.id = pp.stage_id"
		" WHERE pp.first_call_at IS NULL AND pp.entered_at < ? AND st.in_queue = 1"
		" GROUP BY p.state ORDER BY count(*) DESC, p.state", "i", cutoff),
		snames, "ti", by_state);
	if (rc < 0)
		goto fail;
	rc = db_step_int(sp_prepare(c,
		"SELECT count(*) FROM person_pipeline pp JOIN pipeline_stages st ON st.id = pp.stage_id"
		" WHERE pp.first_call_at IS NULL AND pp.entered_at < ? AND st.in_queue = 1", "i", cutoff),
		total);
	if (rc == 1)
		return 0;
	rc = sp_error(rc);
fail:
	json_decref(*people);
	json_decref(*by_volunteer);
	json_decref(*by_state);
	*people = *by_volunteer = *by_state = NULL;
	return rc;
}

/* ---- the funnel ---- */

#define SP_FUNNEL_FILTER \
	" (CAST(? AS TEXT) IS NULL OR pp.signup_month = ?)" \
	" AND (CAST(? AS TEXT) IS NULL OR p.source = ?)"

int store_funnel_reached(struct db_conn *c, const char *month, const char *source,
                         json_t **rows)
{
	static const char *const names[] = { "position", "count" };

	return sp_rows(sp_prepare(c,
		"SELECT pp.max_position, count(*) FROM person_pipeline pp"
		" JOIN people p ON p.id = pp.person_id WHERE" SP_FUNNEL_FILTER
		" GROUP BY pp.max_position ORDER BY pp.max_position",
		"tttt", month, month, source, source), names, "ii", rows);
}

int store_funnel_current(struct db_conn *c, const char *month, const char *source,
                         json_t **rows)
{
	static const char *const names[] = { "stage_id", "count" };

	return sp_rows(sp_prepare(c,
		"SELECT pp.stage_id, count(*) FROM person_pipeline pp"
		" JOIN people p ON p.id = pp.person_id WHERE" SP_FUNNEL_FILTER
		" GROUP BY pp.stage_id ORDER BY pp.stage_id",
		"tttt", month, month, source, source), names, "ii", rows);
}

int store_funnel_median(struct db_conn *c, long long stage_id, const char *month,
                        const char *source, long long *median, long long *n)
{
	struct db_stmt *s;
	long long a = 0, b = 0;
	int rc, got = 0;

	*median = 0;
	*n = 0;
	if (month == NULL && source == NULL)
		rc = db_step_int(sp_prepare(c, "SELECT count(*) FROM stage_events WHERE from_stage_id = ?"
		                          " AND time_in_from IS NOT NULL", "i", stage_id), n);
	else
		rc = db_step_int(sp_prepare(c,
			"SELECT count(*) FROM stage_events e JOIN person_pipeline pp ON pp.person_id = e.person_id"
			" JOIN people p ON p.id = e.person_id WHERE e.from_stage_id = ?"
			" AND e.time_in_from IS NOT NULL AND" SP_FUNNEL_FILTER,
			"itttt", stage_id, month, month, source, source), n);
	if (rc != 1)
		return sp_error(rc);
	if (*n == 0)
		return 0;
	/* The middle one (odd n) or the two middle ones (even n), walking the
	 * stage_events_from index in order. */
	if (month == NULL && source == NULL)
		s = sp_prepare(c, "SELECT time_in_from FROM stage_events WHERE from_stage_id = ?"
		                  " AND time_in_from IS NOT NULL ORDER BY time_in_from LIMIT ? OFFSET ?",
		               "iii", stage_id, *n % 2 ? 1LL : 2LL, (*n - 1) / 2);
	else
		s = sp_prepare(c,
			"SELECT e.time_in_from FROM stage_events e JOIN person_pipeline pp"
			" ON pp.person_id = e.person_id JOIN people p ON p.id = e.person_id"
			" WHERE e.from_stage_id = ? AND e.time_in_from IS NOT NULL AND" SP_FUNNEL_FILTER
			" ORDER BY e.time_in_from LIMIT ? OFFSET ?",
			"ittttii", stage_id, month, month, source, source, *n % 2 ? 1LL : 2LL, (*n - 1) / 2);
	if (s == NULL)
		return DB_ERROR;
	while ((rc = db_step(s)) == DB_ROW) {
		if (got == 0)
			a = db_col_int(s, 0);
		else
			b = db_col_int(s, 0);
		got++;
	}
	db_done(s);
	if (rc != DB_DONE || got == 0)
		return sp_error(rc == DB_DONE ? DB_ERROR : rc);
	*median = got == 1 ? a : a + (b - a) / 2;
	return 0;
}

/* Filtered stays: one statement per filter shape, each with plain
 * equalities so the engine starts from the filter's index (people_source,
 * person_pipeline_month) and sorts the few matching stays, instead of
 * walking every stay in stage order ("+" keeps it from using
 * stage_events_from for the ORDER BY). */
#define SP_STAYS_COLS "SELECT e.from_stage_id, e.time_in_from "
#define SP_STAYS_WHERE " e.from_stage_id IS NOT NULL AND e.time_in_from IS NOT NULL"
#define SP_STAYS_ORDER " ORDER BY +e.from_stage_id, e.time_in_from"

int store_funnel_stays(struct db_conn *c, const char *month, const char *source,
                       store_funnel_stay_fn fn, void *arg)
{
	struct db_stmt *s;
	int rc, frc;

	if (month && source)
		s = sp_prepare(c, SP_STAYS_COLS "FROM person_pipeline pp JOIN people p ON p.id = pp.person_id"
		                  " JOIN stage_events e ON e.person_id = pp.person_id"
		                  " WHERE pp.signup_month = ? AND p.source = ? AND" SP_STAYS_WHERE
		                  SP_STAYS_ORDER, "tt", month, source);
	else if (month)
		s = sp_prepare(c, SP_STAYS_COLS "FROM person_pipeline pp"
		                  " JOIN stage_events e ON e.person_id = pp.person_id"
		                  " WHERE pp.signup_month = ? AND" SP_STAYS_WHERE SP_STAYS_ORDER, "t", month);
	else if (source)
		s = sp_prepare(c, SP_STAYS_COLS "FROM people p JOIN stage_events e ON e.person_id = p.id"
		                  " WHERE p.source = ? AND" SP_STAYS_WHERE SP_STAYS_ORDER, "t", source);
	else
		s = sp_prepare(c, SP_STAYS_COLS "FROM stage_events e WHERE" SP_STAYS_WHERE SP_STAYS_ORDER, "");
	if (s == NULL)
		return DB_ERROR;
	while ((rc = db_step(s)) == DB_ROW) {
		frc = fn(db_col_int(s, 0), db_col_int(s, 1), arg);
		if (frc < 0) {
			db_done(s);
			return frc;
		}
	}
	db_done(s);
	return rc == DB_DONE ? 0 : sp_error(rc);
}

int store_funnel_cohorts(struct db_conn *c, int by_source, json_t **rows)
{
	static const char *const names[] = { "cohort", "position", "count" };

	if (by_source)
		return sp_rows(sp_prepare(c,
			"SELECT COALESCE(p.source, ''), pp.max_position, count(*) FROM person_pipeline pp"
			" JOIN people p ON p.id = pp.person_id"
			" GROUP BY COALESCE(p.source, ''), pp.max_position"
			" ORDER BY COALESCE(p.source, ''), pp.max_position", ""), names, "tii", rows);
	return sp_rows(sp_prepare(c,
		"SELECT signup_month, max_position, count(*) FROM person_pipeline"
		" GROUP BY signup_month, max_position ORDER BY signup_month DESC, max_position", ""),
		names, "tii", rows);
}

/* ---- accounts ---- */

int store_pipeline_user(struct db_conn *c, long long user_id, char *role, size_t rolelen)
{
	struct db_stmt *s = sp_prepare(c, "SELECT role FROM users WHERE id = ? AND disabled = 0", "i",
	                               user_id);
	const char *v;
	int rc;

	if (s == NULL)
		return DB_ERROR;
	rc = db_step(s);
	if (rc == DB_ROW) {
		v = db_col_text(s, 0);
		if (v == NULL || strlen(v) >= rolelen) {
			db_done(s);
			return DB_ERROR;
		}
		memcpy(role, v, strlen(v) + 1);
		db_done(s);
		return 1;
	}
	db_done(s);
	return rc == DB_DONE ? 0 : sp_error(rc);
}
