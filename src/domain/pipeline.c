/*
 * pipeline.c — the recruitment pipeline's rules. See pipeline.h.
 *
 * Every change runs as ONE writer job (store_pipeline_write) that checks
 * what it needs on the writer's own connection (the person still exists,
 * the stage is active, the account is active), writes, queues its mail and
 * appends its audit entry — so a change and its record commit together,
 * and a check cannot go stale between reading and writing.
 *
 * Input from people (titles, tags, notes, names) is trimmed, checked to be
 * UTF-8 without control characters and held to a limit of lib/limits.h
 * before any job starts; the web layer shows *problem back next to the form.
 *
 * Threading: no state of its own; job functions run on the store's writer
 * thread and touch only their job struct and the connection given.
 */
#include "domain/pipeline.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/auth.h"
#include "domain/funnel.h"
#include "domain/people.h"
#include "domain/person.h"
#include "domain/roles.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "store/store_audit.h"
#include "store/store_mail.h"
#include "store/store_people.h"
#include "store/store_pipeline.h"

#define PL_DAY 86400LL
#define PL_HISTORY_MAX 100        /* moves, calls and tasks the call sheet shows */
#define PL_SOON_SECONDS (3 * PL_DAY) /* a task due within this is "due soon" */
#define PL_JOB_ERROR (-1)
#define PL_DROPOFF_KEY "dropoff_days"

const struct pipeline_choice pipeline_outcomes[] = {
	{ "reached",        "Reached" },
	{ "no_answer",      "No answer" },
	{ "voicemail",      "Left voicemail" },
	{ "wrong_number",   "Wrong number" },
	{ "not_interested", "Not interested" },
	{ "call_back",      "Call back later" },
	{ NULL, NULL },
};

const struct pipeline_choice pipeline_timelines[] = {
	{ "this_year", "This year" },
	{ "next_year", "Next year" },
	{ "two_plus",  "In two years or more" },
	{ "unsure",    "Not sure yet" },
	{ NULL, NULL },
};

const struct pipeline_choice pipeline_needs[] = {
	{ "training",  "Training" },
	{ "mentor",    "A mentor" },
	{ "money",     "Money" },
	{ "race_help", "Help finding a race" },
	{ NULL, NULL },
};

const char *pipeline_choice_label(const struct pipeline_choice *list, const char *code)
{
	if (code == NULL)
		return NULL;
	for (; list->code; list++)
		if (strcmp(list->code, code) == 0)
			return list->label;
	return NULL;
}

static long long pl_now(void)
{
	return (long long)time(NULL);
}

static long long pl_viewer_id(const struct staff_user *viewer)
{
	return viewer ? viewer->id : 0;
}

static int pl_can(const struct staff_user *viewer, unsigned perm)
{
	return viewer && (viewer->perms & perm) == perm;
}

/* Maps a job's result to the caller's: negative → logged error. */
static int pl_result(const char *what, int rc)
{
	if (rc < 0) {
		log_error("%s: database error %d", what, rc);
		return PIPELINE_ERROR;
	}
	return rc;
}

/* NULL for NULL or all-blank text; else a trimmed copy (caller frees) of
 * at most max bytes of UTF-8 without control characters other than
 * newlines and tabs (multiline) — *bad set when the text breaks that. */
static char *pl_text(const char *in, size_t max, int multiline, int *bad)
{
	const char *s, *e;
	size_t i, n;

	if (in == NULL)
		return NULL;
	for (s = in; *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'); e--)
		;
	n = (size_t)(e - s);
	if (n == 0)
		return NULL;
	if (n > max || !utf8_valid_text(s, n)) {
		*bad = 1;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && !(multiline && (ch == '\n' || ch == '\r' || ch == '\t'))) || ch == 0x7f) {
			*bad = 1;
			return NULL;
		}
	}
	return strndup(s, n);
}

/* Parses a decimal integer in [min, max]. Returns 0 or -1. */
static int pl_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parses YYYY-MM-DD (a real day) to the last second of that day, UTC. */
static int pl_parse_day_end(const char *s, long long *out)
{
	struct tm tm, back;
	time_t t;
	int i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[5] - '0') * 10 + (s[6] - '0') - 1;
	tm.tm_mday = (s[8] - '0') * 10 + (s[9] - '0');
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1)
		return -1;
	back = tm;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != back.tm_mday || tm.tm_mon != back.tm_mon)
		return -1;
	*out = (long long)t + PL_DAY - 1;
	return 0;
}

/* "YYYY-MM" of t (UTC) into out[8]. */
static void pl_month(long long t, char out[8])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 8, "%Y-%m", &tm) != 7)
		memcpy(out, "1970-01", 8);
}

/* The id of an active stage (from a job's stage list), or 0. */
static long long pl_active_stage(json_t *stages, long long id, const char **label)
{
	json_t *st;
	size_t i;

	json_array_foreach(stages, i, st) {
		if (json_integer_value(json_object_get(st, "id")) == id &&
		    json_is_true(json_object_get(st, "active"))) {
			if (label)
				*label = json_string_value(json_object_get(st, "label"));
			return id;
		}
	}
	return 0;
}

static int pl_audit(struct db_conn *c, long long user, const char *action, const char *entity,
                    long long id, json_t *before, json_t *after)
{
	int rc = store_audit_append(c, user, action, entity, id, before, after);

	json_decref(before);
	json_decref(after);
	return rc;
}

/* ---- signup ---- */

int pipeline_signup_enter(struct db_conn *c, long long person_id, const char *state, long long at)
{
	struct store_pipeline_entry e;
	char month[8];
	long long assignee = 0;
	int rc;

	pl_month(at, month);
	memset(&e, 0, sizeof(e));
	e.person_id = person_id;
	e.state = state && *state ? state : NULL;
	e.at = at;
	e.signup_month = month;
	e.call_role = role_name(ROLE_VOLUNTEER);
	e.default_capacity = LIMIT_VOLUNTEER_CAPACITY_DEFAULT;
	rc = store_pipeline_enter(c, &e, &assignee);
	return rc < 0 ? rc : 0;
}

/* ---- reading ---- */

int pipeline_may_open(struct db *db, const struct staff_user *viewer, long long person_id)
{
	struct db_conn *c;
	int rc;

	if (viewer == NULL)
		return 0;
	if (pl_can(viewer, PERM_PEOPLE_READ_ALL))
		return 1;
	c = store_pipeline_read_begin(db);
	rc = store_pipeline_is_assigned(c, person_id, viewer->id);
	store_pipeline_read_end(db, c);
	if (rc < 0) {
		log_error("pipeline_may_open: database error %d", rc);
		return -1;
	}
	return rc;
}

int pipeline_stages(struct db *db, json_t **rows)
{
	struct db_conn *c = store_pipeline_read_begin(db);
	int rc = store_stages_list(c, rows);

	store_pipeline_read_end(db, c);
	return pl_result("pipeline_stages", rc) == 0 ? 0 : -1;
}

int pipeline_person(struct db *db, long long person_id, json_t **out)
{
	struct db_conn *c;
	json_t *o = json_object(), *v = NULL;
	int rc;

	*out = NULL;
	if (o == NULL)
		return PIPELINE_ERROR;
	c = store_pipeline_read_begin(db);
	rc = store_pipeline_load(c, person_id, &v);
	if (rc < 0)
		goto done;
	json_object_set_new(o, "place", rc == 1 ? v : json_null());
	if ((rc = store_pipeline_history(c, person_id, PL_HISTORY_MAX, &v)) < 0)
		goto done;
	json_object_set_new(o, "history", v);
	if ((rc = store_calls_list(c, person_id, PL_HISTORY_MAX, &v)) < 0)
		goto done;
	json_object_set_new(o, "calls", v);
	if ((rc = store_tasks_list(c, 0, person_id, 1, PL_HISTORY_MAX, &v)) < 0)
		goto done;
	json_object_set_new(o, "tasks", v);
	if ((rc = store_person_tags(c, person_id, &v)) < 0)
		goto done;
	json_object_set_new(o, "tags", v);
	rc = 0;
done:
	store_pipeline_read_end(db, c);
	if (rc < 0) {
		json_decref(o);
		return pl_result("pipeline_person", rc);
	}
	*out = o;
	return PIPELINE_OK;
}

/* ---- logging a call ---- */

struct pl_call_job {
	long long         user_id;
	struct store_call call;
	long long         stage;        /* 0: stay */
	const char       *task_title;   /* NULL: no follow-up */
	long long         task_due;
	long long         call_id;
};

/* Queues the reminder of a task due at due for user (a day before, or now). */
static int pl_mail_task_reminder(struct db_conn *c, long long user, long long task_id,
                                 const char *title, long long due, long long now)
{
	long long when = due - LIMIT_TASK_REMINDER_SECONDS;
	json_t *vars = json_pack("{s:I, s:s, s:I}", "task_id", (json_int_t)task_id, "title", title,
	                         "due_at", (json_int_t)due);
	int rc;

	if (vars == NULL)
		return PL_JOB_ERROR;
	rc = store_mail_enqueue(c, "task_reminder", 0, user, vars, when > now ? when : 0);
	json_decref(vars);
	return rc;
}

static int pl_call_run(struct db_conn *c, void *arg)
{
	struct pl_call_job *job = arg;
	json_t *place = NULL, *stages = NULL, *after, *vars;
	long long now = job->call.at, task_id = 0, from;
	const char *to_label = NULL;
	char reason[96];
	int rc;

	rc = store_pipeline_load(c, job->call.person_id, &place);
	if (rc <= 0)
		return rc < 0 ? rc : PIPELINE_NOT_FOUND;
	from = json_integer_value(json_object_get(place, "stage_id"));
	json_decref(place);
	if (job->stage > 0) {
		if ((rc = store_stages_list(c, &stages)) < 0)
			return rc;
		rc = pl_active_stage(stages, job->stage, &to_label) ? 0 : PIPELINE_INVALID;
		if (rc == 0)
			snprintf(reason, sizeof(reason), "call: %s",
			         pipeline_choice_label(pipeline_outcomes, job->call.outcome));
		json_decref(stages);
		if (rc != 0)
			return rc;
	}
	if (job->task_title) {
		if ((rc = store_task_insert(c, job->call.person_id, job->user_id, job->task_title,
		                            job->task_due, job->user_id, now, &task_id)) < 0 ||
		    (rc = pl_mail_task_reminder(c, job->user_id, task_id, job->task_title, job->task_due,
		                                now)) < 0)
			return rc;
		vars = json_pack("{s:I}", "follow_up_at", (json_int_t)job->task_due);
		if (vars == NULL)
			return PL_JOB_ERROR;
		rc = store_mail_enqueue(c, "call_follow_up", job->call.person_id, 0, vars, 0);
		json_decref(vars);
		if (rc < 0)
			return rc;
	}
	job->call.task_id = task_id;
	job->call.next_stage = job->stage;
	if ((rc = store_call_insert(c, &job->call, &job->call_id)) < 0 ||
	    (rc = store_pipeline_called(c, job->call.person_id, now)) < 0)
		return rc;
	if (job->stage > 0 && job->stage != from &&
	    (rc = store_pipeline_move(c, job->call.person_id, job->stage, job->user_id, reason, now)) < 0)
		return rc;
	after = json_pack("{s:I, s:s, s:I, s:I, s:I}", "call_id", (json_int_t)job->call_id,
	                  "outcome", job->call.outcome, "stage_from", (json_int_t)from,
	                  "stage_to", (json_int_t)(job->stage > 0 ? job->stage : from),
	                  "task_id", (json_int_t)task_id);
	if (after == NULL)
		return PL_JOB_ERROR;
	rc = pl_audit(c, job->user_id, "call.log", "person", job->call.person_id, NULL, after);
	return rc < 0 ? rc : PIPELINE_OK;
}

int pipeline_call_log(struct db *db, const struct staff_user *viewer, long long person_id,
                      const struct pipeline_call_input *in, const char **problem,
                      long long *call_id)
{
	const struct person_field *offices = person_field_find("office_interests");
	struct pl_call_job job;
	char needs[128] = "";
	char *notes = NULL, *title = NULL;
	long long v;
	size_t i, used = 0;
	int bad = 0, rc;

	*problem = NULL;
	*call_id = 0;
	memset(&job, 0, sizeof(job));
	job.user_id = pl_viewer_id(viewer);
	job.call.person_id = person_id;
	job.call.caller_id = job.user_id;
	job.call.at = pl_now();
	if (!pipeline_choice_label(pipeline_outcomes, in->outcome)) {
		*problem = "Choose how the call went.";
		return PIPELINE_INVALID;
	}
	job.call.outcome = in->outcome;
	if (in->office && *in->office) {
		if (!offices || !person_choice_label(offices, in->office)) {
			*problem = "Choose an office from the list.";
			return PIPELINE_INVALID;
		}
		job.call.office = in->office;
	}
	if (in->timeline && *in->timeline) {
		if (!pipeline_choice_label(pipeline_timelines, in->timeline)) {
			*problem = "Choose a timeline from the list.";
			return PIPELINE_INVALID;
		}
		job.call.timeline = in->timeline;
	}
	if (in->readiness && *in->readiness) {
		if (pl_parse_int(in->readiness, 1, 5, &v) < 0) {
			*problem = "Readiness is a number from 1 to 5.";
			return PIPELINE_INVALID;
		}
		job.call.readiness = (int)v;
	}
	for (i = 0; i < in->n_needs && i < sizeof(in->needs) / sizeof(in->needs[0]); i++) {
		size_t n;

		if (!pipeline_choice_label(pipeline_needs, in->needs[i])) {
			*problem = "Choose needs from the list.";
			return PIPELINE_INVALID;
		}
		n = strlen(in->needs[i]);
		if (strstr(needs, in->needs[i]) != NULL || used + n + 2 > sizeof(needs))
			continue;
		if (used)
			needs[used++] = ' ';
		memcpy(needs + used, in->needs[i], n + 1);
		used += n;
	}
	job.call.needs = used ? needs : NULL;
	if (in->next_stage && *in->next_stage &&
	    pl_parse_int(in->next_stage, 1, LLONG_MAX, &job.stage) < 0) {
		*problem = "Choose the next stage from the list.";
		return PIPELINE_INVALID;
	}
	notes = pl_text(in->notes, LIMIT_LONG_TEXT, 1, &bad);
	if (bad) {
		*problem = "The notes are too long (at most 5000 characters) or contain characters we can't store.";
		return PIPELINE_INVALID;
	}
	job.call.notes = notes;
	title = pl_text(in->task_title, LIMIT_TASK_TITLE, 0, &bad);
	if (bad) {
		*problem = "Keep the follow-up to one line of at most 200 characters.";
		rc = PIPELINE_INVALID;
		goto done;
	}
	if (title || (in->task_due && *in->task_due)) {
		if (!title) {
			*problem = "Say what the follow-up is, or leave its date empty.";
			rc = PIPELINE_INVALID;
			goto done;
		}
		if (pl_parse_day_end(in->task_due, &job.task_due) < 0) {
			*problem = "Give the follow-up a due date (YYYY-MM-DD).";
			rc = PIPELINE_INVALID;
			goto done;
		}
		job.task_title = title;
	}
	rc = pl_result("pipeline_call_log", store_pipeline_write(db, pl_call_run, &job));
	if (rc == PIPELINE_INVALID)
		*problem = "That stage no longer exists. Reload the page and choose again.";
	if (rc == PIPELINE_OK)
		*call_id = job.call_id;
done:
	free(notes);
	free(title);
	return rc;
}

/* ---- moves and assignment ---- */

struct pl_move_job {
	long long   user_id;
	long long   person_id;
	long long   stage;
	const char *reason;
};

static int pl_move_run(struct db_conn *c, void *arg)
{
	struct pl_move_job *job = arg;
	json_t *place = NULL, *stages = NULL;
	long long from;
	int rc;

	rc = store_pipeline_load(c, job->person_id, &place);
	if (rc <= 0)
		return rc < 0 ? rc : PIPELINE_NOT_FOUND;
	from = json_integer_value(json_object_get(place, "stage_id"));
	json_decref(place);
	if ((rc = store_stages_list(c, &stages)) < 0)
		return rc;
	rc = pl_active_stage(stages, job->stage, NULL) ? 0 : PIPELINE_INVALID;
	json_decref(stages);
	if (rc != 0)
		return rc;
	rc = store_pipeline_move(c, job->person_id, job->stage, job->user_id, job->reason, pl_now());
	if (rc <= 0)
		return rc < 0 ? rc : PIPELINE_OK;  /* already there: nothing to record */
	rc = pl_audit(c, job->user_id, "person.stage", "person", job->person_id,
	              json_pack("{s:I}", "stage_id", (json_int_t)from),
	              json_pack("{s:I, s:s?}", "stage_id", (json_int_t)job->stage, "reason", job->reason));
	return rc < 0 ? rc : PIPELINE_OK;
}

int pipeline_move(struct db *db, const struct staff_user *viewer, long long person_id,
                  long long stage_id, const char *reason, const char **problem)
{
	struct pl_move_job job;
	char *why;
	int bad = 0, rc;

	*problem = NULL;
	why = pl_text(reason, LIMIT_SHORT_TEXT, 0, &bad);
	if (bad) {
		*problem = "Keep the reason to one line of at most 200 characters.";
		return PIPELINE_INVALID;
	}
	job.user_id = pl_viewer_id(viewer);
	job.person_id = person_id;
	job.stage = stage_id;
	job.reason = why;
	rc = pl_result("pipeline_move", store_pipeline_write(db, pl_move_run, &job));
	if (rc == PIPELINE_INVALID)
		*problem = "Choose a stage from the list.";
	free(why);
	return rc;
}

struct pl_assign_job {
	long long user_id;
	long long person_id;
	long long to;        /* 0: by the rules */
};

/* Assigns one person inside a job; sets *before and *after to the
 * assignees. Returns 0, PIPELINE_NOT_FOUND, or < 0. */
static int pl_assign_one(struct db_conn *c, long long person_id, long long to, long long now,
                         long long *before, long long *after)
{
	json_t *place = NULL;
	int rc;

	rc = store_pipeline_load(c, person_id, &place);
	if (rc <= 0)
		return rc < 0 ? rc : PIPELINE_NOT_FOUND;
	*before = json_integer_value(json_object_get(place, "assignee_id"));
	json_decref(place);
	if (to > 0) {
		*after = to;
		rc = store_pipeline_assign(c, person_id, to, now);
		return rc < 0 ? rc : 0;
	}
	/* Back to the rules: unassign first, so the person's own slot does not
	 * count against their current volunteer's capacity. */
	if ((rc = store_pipeline_assign(c, person_id, 0, now)) < 0)
		return rc;
	return store_pipeline_autoassign(c, person_id, role_name(ROLE_VOLUNTEER),
	                                 LIMIT_VOLUNTEER_CAPACITY_DEFAULT, now, after);
}

/* Checks that user is an active account. Returns 0, PIPELINE_INVALID, < 0. */
static int pl_check_user(struct db_conn *c, long long user)
{
	char role[32];
	int rc = store_pipeline_user(c, user, role, sizeof(role));

	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : PIPELINE_INVALID;
}

static int pl_assign_run(struct db_conn *c, void *arg)
{
	struct pl_assign_job *job = arg;
	long long before = 0, after = 0;
	int rc;

	if (job->to > 0 && (rc = pl_check_user(c, job->to)) != 0)
		return rc;
	rc = pl_assign_one(c, job->person_id, job->to, pl_now(), &before, &after);
	if (rc < 0 || rc == PIPELINE_NOT_FOUND)
		return rc;
	if (before == after)
		return PIPELINE_OK;
	rc = pl_audit(c, job->user_id, "person.assign", "person", job->person_id,
	              json_pack("{s:I}", "assignee_id", (json_int_t)before),
	              json_pack("{s:I}", "assignee_id", (json_int_t)after));
	return rc < 0 ? rc : PIPELINE_OK;
}

int pipeline_assign(struct db *db, const struct staff_user *viewer, long long person_id,
                    long long user_id, const char **problem)
{
	struct pl_assign_job job = { pl_viewer_id(viewer), person_id, user_id > 0 ? user_id : 0 };
	int rc = pl_result("pipeline_assign", store_pipeline_write(db, pl_assign_run, &job));

	*problem = rc == PIPELINE_INVALID ? "Choose an active account to assign to." : NULL;
	return rc;
}

/* ---- tasks ---- */

struct pl_task_job {
	long long   user_id;
	long long   person_id;
	long long   assignee;
	const char *title;
	long long   due;
	long long   task_id;
	int         done;
	int         may_manage;
};

static int pl_task_add_run(struct db_conn *c, void *arg)
{
	struct pl_task_job *job = arg;
	json_t *place = NULL;
	long long now = pl_now();
	int rc;

	if ((rc = pl_check_user(c, job->assignee)) != 0)
		return rc;
	if (job->person_id > 0) {
		rc = store_pipeline_load(c, job->person_id, &place);
		json_decref(place);
		if (rc <= 0)
			return rc < 0 ? rc : PIPELINE_NOT_FOUND;
	}
	if ((rc = store_task_insert(c, job->person_id, job->assignee, job->title, job->due,
	                            job->user_id, now, &job->task_id)) < 0 ||
	    (rc = pl_mail_task_reminder(c, job->assignee, job->task_id, job->title, job->due, now)) < 0)
		return rc;
	rc = pl_audit(c, job->user_id, "task.add", "task", job->task_id, NULL,
	              json_pack("{s:I, s:I, s:s, s:I}", "person_id", (json_int_t)job->person_id,
	                        "assignee_id", (json_int_t)job->assignee, "title", job->title,
	                        "due_at", (json_int_t)job->due));
	return rc < 0 ? rc : PIPELINE_OK;
}

int pipeline_task_add(struct db *db, const struct staff_user *viewer, long long person_id,
                      long long assignee, const char *title, const char *due_day,
                      const char **problem, long long *task_id)
{
	struct pl_task_job job;
	char *t;
	int bad = 0, rc;

	*problem = NULL;
	*task_id = 0;
	memset(&job, 0, sizeof(job));
	t = pl_text(title, LIMIT_TASK_TITLE, 0, &bad);
	if (t == NULL) {
		*problem = "Say what the task is, in one line of at most 200 characters.";
		return PIPELINE_INVALID;
	}
	if (pl_parse_day_end(due_day, &job.due) < 0) {
		free(t);
		*problem = "Give the task a due date (YYYY-MM-DD).";
		return PIPELINE_INVALID;
	}
	job.user_id = pl_viewer_id(viewer);
	job.person_id = person_id;
	job.assignee = assignee > 0 ? assignee : job.user_id;
	job.title = t;
	/* Without PERM_PIPELINE_MANAGE a user gives tasks only to themselves. */
	if (job.assignee != job.user_id && !pl_can(viewer, PERM_PIPELINE_MANAGE)) {
		free(t);
		return PIPELINE_DENIED;
	}
	rc = pl_result("pipeline_task_add", store_pipeline_write(db, pl_task_add_run, &job));
	if (rc == PIPELINE_INVALID)
		*problem = "Choose an active account for the task.";
	if (rc == PIPELINE_OK)
		*task_id = job.task_id;
	free(t);
	return rc;
}

static int pl_task_done_run(struct db_conn *c, void *arg)
{
	struct pl_task_job *job = arg;
	json_t *task = NULL;
	int rc;

	rc = store_task_load(c, job->task_id, &task);
	if (rc <= 0)
		return rc < 0 ? rc : PIPELINE_NOT_FOUND;
	if (json_integer_value(json_object_get(task, "assignee_id")) != job->user_id &&
	    !job->may_manage) {
		json_decref(task);
		return PIPELINE_DENIED;
	}
	rc = store_task_set_done(c, job->task_id, job->done ? pl_now() : 0);
	if (rc <= 0) {
		json_decref(task);
		return rc < 0 ? rc : PIPELINE_OK;
	}
	rc = pl_audit(c, job->user_id, job->done ? "task.done" : "task.reopen", "task", job->task_id,
	              task, json_pack("{s:b}", "done", job->done));
	return rc < 0 ? rc : PIPELINE_OK;
}

int pipeline_task_set_done(struct db *db, const struct staff_user *viewer, long long task_id,
                           int done)
{
	struct pl_task_job job;

	memset(&job, 0, sizeof(job));
	job.user_id = pl_viewer_id(viewer);
	job.task_id = task_id;
	job.done = done != 0;
	job.may_manage = pl_can(viewer, PERM_PIPELINE_MANAGE);
	return pl_result("pipeline_task_set_done", store_pipeline_write(db, pl_task_done_run, &job));
}

int pipeline_tasks(struct db *db, long long assignee, int include_done, json_t **rows)
{
	struct db_conn *c = store_pipeline_read_begin(db);
	long long now = pl_now();
	json_t *row;
	size_t i;
	int rc = store_tasks_list(c, assignee, 0, include_done, LIMIT_PAGE_SIZE_MAX, rows);

	store_pipeline_read_end(db, c);
	if (rc < 0)
		return pl_result("pipeline_tasks", rc);
	json_array_foreach(*rows, i, row) {
		long long due = json_integer_value(json_object_get(row, "due_at"));
		int open = json_integer_value(json_object_get(row, "done_at")) == 0;

		json_object_set_new(row, "done", json_boolean(!open));
		json_object_set_new(row, "overdue", json_boolean(open && due < now));
		json_object_set_new(row, "due_soon", json_boolean(open && due >= now &&
		                                                  due < now + PL_SOON_SECONDS));
	}
	return 0;
}

/* ---- tags ---- */

/* A tag as stored: trimmed, ASCII letters lower-cased, at most LIMIT_TAG
 * bytes, one line. Caller frees. NULL with *bad for unusable input. */
static char *pl_tag_name(const char *in, int *bad)
{
	char *t = pl_text(in, LIMIT_TAG, 0, bad), *p;

	if (t == NULL) {
		*bad = 1;
		return NULL;
	}
	for (p = t; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return t;
}

struct pl_tag_job {
	long long   user_id;
	long long   person_id;
	const char *name;
	int         add;
};

static int pl_tag_run(struct db_conn *c, void *arg)
{
	struct pl_tag_job *job = arg;
	json_t *place = NULL;
	long long tag = 0, n = 0;
	int rc;

	rc = store_pipeline_load(c, job->person_id, &place);
	json_decref(place);
	if (rc <= 0)
		return rc < 0 ? rc : PIPELINE_NOT_FOUND;
	if (job->add) {
		if ((rc = store_person_tag_count(c, job->person_id, &n)) < 0)
			return rc;
		if (n >= LIMIT_TAGS_PER_PERSON)
			return PIPELINE_INVALID;
		if ((rc = store_tag_ensure(c, job->name, pl_now(), &tag)) < 0 ||
		    (rc = store_person_tag_add(c, job->person_id, tag)) < 0)
			return rc;
	} else {
		rc = store_tag_find(c, job->name, &tag);
		if (rc <= 0)
			return rc < 0 ? rc : PIPELINE_OK;
		if ((rc = store_person_tag_remove(c, job->person_id, tag)) < 0)
			return rc;
	}
	if (rc == 0)
		return PIPELINE_OK;
	rc = pl_audit(c, job->user_id, job->add ? "person.tag" : "person.untag", "person",
	              job->person_id, NULL, json_pack("{s:s}", "tag", job->name));
	return rc < 0 ? rc : PIPELINE_OK;
}

static int pl_tag(struct db *db, const struct staff_user *viewer, long long person_id,
                  const char *name, int add, const char **problem)
{
	struct pl_tag_job job;
	char *t;
	int bad = 0, rc;

	*problem = NULL;
	t = pl_tag_name(name, &bad);
	if (t == NULL) {
		*problem = "A tag is one word or short phrase of at most 40 characters.";
		return PIPELINE_INVALID;
	}
	job.user_id = pl_viewer_id(viewer);
	job.person_id = person_id;
	job.name = t;
	job.add = add;
	rc = pl_result("pipeline_tag", store_pipeline_write(db, pl_tag_run, &job));
	if (rc == PIPELINE_INVALID)
		*problem = "This person has as many tags as they can have. Remove one first.";
	free(t);
	return rc;
}

int pipeline_tag_add(struct db *db, const struct staff_user *viewer, long long person_id,
                     const char *name, const char **problem)
{
	return pl_tag(db, viewer, person_id, name, 1, problem);
}

int pipeline_tag_remove(struct db *db, const struct staff_user *viewer, long long person_id,
                        const char *name)
{
	const char *problem;

	return pl_tag(db, viewer, person_id, name, 0, &problem);
}

/* ---- My calls ---- */

int pipeline_my_calls(struct db *db, const struct staff_user *viewer, json_t **rows)
{
	struct db_conn *c;
	long long now = pl_now();
	json_t *row;
	size_t i;
	int rc;

	*rows = NULL;
	if (viewer == NULL)
		return PIPELINE_ERROR;
	c = store_pipeline_read_begin(db);
	rc = store_my_calls(c, viewer->id, now + PL_SOON_SECONDS, LIMIT_MY_CALLS_MAX, rows);
	store_pipeline_read_end(db, c);
	if (rc < 0)
		return pl_result("pipeline_my_calls", rc);
	json_array_foreach(*rows, i, row) {
		long long due = json_integer_value(json_object_get(row, "due_at"));
		const char *first = json_string_value(json_object_get(row, "first_name"));
		const char *pref = json_string_value(json_object_get(row, "preferred_name"));
		const char *last = json_string_value(json_object_get(row, "last_name"));
		buf b;

		buf_init(&b, 3 * LIMIT_NAME + 4);
		buf_adds(&b, pref && *pref ? pref : first ? first : "");
		buf_addc(&b, ' ');
		buf_adds(&b, last ? last : "");
		json_object_set_new(row, "name", json_string(buf_failed(&b) ? "" : buf_str(&b)));
		buf_free(&b);
		json_object_set_new(row, "overdue", json_boolean(due > 0 && due < now));
		json_object_set_new(row, "due_soon", json_boolean(due >= now && due < now + PL_SOON_SECONDS));
	}
	return PIPELINE_OK;
}

/* ---- bulk actions ---- */

enum pl_bulk_action { PL_BULK_TAG, PL_BULK_UNTAG, PL_BULK_ASSIGN, PL_BULK_STAGE };

struct pl_bulk_job {
	long long           user_id;
	enum pl_bulk_action action;
	const char         *action_name;
	const char         *filter_text;
	const char         *tag;
	long long           target;     /* user or stage id; 0 = by the rules */
	json_t             *ids;        /* the people matched */
	long long           changed;
};

static int pl_bulk_run(struct db_conn *c, void *arg)
{
	struct pl_bulk_job *job = arg;
	json_t *changed = json_array(), *stages = NULL, *place, *v;
	long long now = pl_now(), id, tag = 0, before, after;
	size_t i;
	int rc = PL_JOB_ERROR;

	if (changed == NULL)
		return PL_JOB_ERROR;
	if (job->action == PL_BULK_ASSIGN && job->target > 0 && (rc = pl_check_user(c, job->target)) != 0)
		goto done;
	if (job->action == PL_BULK_STAGE) {
		if ((rc = store_stages_list(c, &stages)) < 0)
			goto done;
		rc = pl_active_stage(stages, job->target, NULL) ? 0 : PIPELINE_INVALID;
		json_decref(stages);
		if (rc != 0)
			goto done;
	}
	if (job->action == PL_BULK_TAG && (rc = store_tag_ensure(c, job->tag, now, &tag)) < 0)
		goto done;
	if (job->action == PL_BULK_UNTAG) {
		rc = store_tag_find(c, job->tag, &tag);
		if (rc < 0)
			goto done;
		if (rc == 0) {
			rc = PIPELINE_OK;  /* nobody carries it: nothing to change or record */
			goto done;
		}
	}
	json_array_foreach(job->ids, i, v) {
		id = json_integer_value(v);
		place = NULL;
		rc = store_pipeline_load(c, id, &place);
		json_decref(place);
		if (rc < 0)
			goto done;
		if (rc == 0)
			continue;  /* merged away since the list was read */
		switch (job->action) {
		case PL_BULK_TAG:
			rc = store_person_tag_add(c, id, tag);
			break;
		case PL_BULK_UNTAG:
			rc = store_person_tag_remove(c, id, tag);
			break;
		case PL_BULK_ASSIGN:
			rc = pl_assign_one(c, id, job->target, now, &before, &after);
			if (rc >= 0)
				rc = before != after;
			break;
		case PL_BULK_STAGE:
			rc = store_pipeline_move(c, id, job->target, job->user_id, "bulk action", now);
			break;
		}
		if (rc < 0)
			goto done;
		if (rc > 0 && json_array_append_new(changed, json_integer(id)) < 0) {
			rc = PL_JOB_ERROR;
			goto done;
		}
	}
	job->changed = (long long)json_array_size(changed);
	rc = pl_audit(c, job->user_id, job->action_name, "people", 0,
	              json_pack("{s:s}", "filter", job->filter_text ? job->filter_text : ""),
	              json_pack("{s:s?, s:I, s:O, s:I}", "tag", job->tag, "target",
	                        (json_int_t)job->target, "people", changed,
	                        "count", (json_int_t)job->changed));
	rc = rc < 0 ? rc : PIPELINE_OK;
done:
	json_decref(changed);
	return rc;
}

int pipeline_bulk(struct db *db, const struct staff_user *viewer, const struct people_query *filter,
                  const char *filter_text, const char *action, const char *value,
                  long long *changed, const char **problem)
{
	struct pl_bulk_job job;
	struct people_query q;
	json_t *rows = NULL, *row;
	long long total = 0;
	char *tag = NULL;
	size_t i;
	int bad = 0, rc = PIPELINE_INVALID;

	*changed = 0;
	*problem = NULL;
	memset(&job, 0, sizeof(job));
	job.user_id = pl_viewer_id(viewer);
	job.filter_text = filter_text;
	if (action && (strcmp(action, "tag") == 0 || strcmp(action, "untag") == 0)) {
		job.action = action[0] == 't' ? PL_BULK_TAG : PL_BULK_UNTAG;
		job.action_name = action[0] == 't' ? "bulk.tag" : "bulk.untag";
		tag = pl_tag_name(value, &bad);
		if (tag == NULL) {
			*problem = "A tag is one word or short phrase of at most 40 characters.";
			return PIPELINE_INVALID;
		}
		job.tag = tag;
	} else if (action && strcmp(action, "assign") == 0) {
		job.action = PL_BULK_ASSIGN;
		job.action_name = "bulk.assign";
		if (pl_parse_int(value, 0, LLONG_MAX, &job.target) < 0) {
			*problem = "Choose who to assign them to.";
			return PIPELINE_INVALID;
		}
	} else if (action && strcmp(action, "stage") == 0) {
		job.action = PL_BULK_STAGE;
		job.action_name = "bulk.stage";
		if (pl_parse_int(value, 1, LLONG_MAX, &job.target) < 0) {
			*problem = "Choose the stage to move them to.";
			return PIPELINE_INVALID;
		}
	} else {
		*problem = "Choose what to do with these people.";
		return PIPELINE_INVALID;
	}

	job.ids = json_array();
	if (job.ids == NULL)
		goto fail;
	q = *filter;
	q.per_page = LIMIT_PAGE_SIZE_MAX;
	q.sort = "oldest";
	for (q.page = 1;; q.page++) {
		if (people_search(db, &q, &rows, &total) < 0) {
			rc = PIPELINE_ERROR;
			goto fail;
		}
		if (total > LIMIT_BULK_MAX) {
			*problem = "That is too many people for one bulk action (at most 5000): narrow the filters.";
			goto fail;
		}
		json_array_foreach(rows, i, row)
			json_array_append(job.ids, json_object_get(row, "id"));
		if (json_array_size(rows) < (size_t)q.per_page) {
			json_decref(rows);
			rows = NULL;
			break;
		}
		json_decref(rows);
		rows = NULL;
	}
	rc = pl_result("pipeline_bulk", store_pipeline_write(db, pl_bulk_run, &job));
	if (rc == PIPELINE_INVALID)
		*problem = job.action == PL_BULK_STAGE ? "Choose a stage from the list."
		                                       : "Choose an active account to assign to.";
	*changed = job.changed;
fail:
	json_decref(rows);
	json_decref(job.ids);
	free(tag);
	return rc;
}

/* ---- saved views ---- */

int pipeline_views(struct db *db, json_t **rows)
{
	struct db_conn *c = store_pipeline_read_begin(db);
	long long n = 0;
	int rc = store_views_list(c, rows, &n);

	store_pipeline_read_end(db, c);
	return pl_result("pipeline_views", rc) == 0 ? 0 : -1;
}

struct pl_view_job {
	long long   user_id;
	const char *name;
	const char *query;
	long long   id;
};

static int pl_view_save_run(struct db_conn *c, void *arg)
{
	struct pl_view_job *job = arg;
	json_t *rows = NULL;
	long long n = 0;
	int rc;

	if ((rc = store_views_list(c, &rows, &n)) < 0)
		return rc;
	json_decref(rows);
	if (n >= LIMIT_VIEWS_MAX)
		return PIPELINE_INVALID;
	if ((rc = store_view_insert(c, job->user_id, job->name, job->query, pl_now(), &job->id)) < 0)
		return rc;
	rc = pl_audit(c, job->user_id, "view.add", "saved_view", job->id, NULL,
	              json_pack("{s:s, s:s}", "name", job->name, "query", job->query));
	return rc < 0 ? rc : PIPELINE_OK;
}

int pipeline_view_save(struct db *db, const struct staff_user *viewer, const char *name,
                       const char *query, const char **problem)
{
	struct pl_view_job job;
	char *n;
	int bad = 0, rc;

	*problem = NULL;
	n = pl_text(name, LIMIT_VIEW_NAME, 0, &bad);
	if (n == NULL) {
		*problem = "Give the view a name of at most 80 characters.";
		return PIPELINE_INVALID;
	}
	if (query == NULL || strlen(query) > LIMIT_URL_MAX || !utf8_valid_text(query, strlen(query))) {
		free(n);
		*problem = "These filters are too long to save.";
		return PIPELINE_INVALID;
	}
	memset(&job, 0, sizeof(job));
	job.user_id = pl_viewer_id(viewer);
	job.name = n;
	job.query = query;
	rc = pl_result("pipeline_view_save", store_pipeline_write(db, pl_view_save_run, &job));
	if (rc == PIPELINE_INVALID)
		*problem = "There are too many saved views: delete one first.";
	free(n);
	return rc;
}

static int pl_view_delete_run(struct db_conn *c, void *arg)
{
	struct pl_view_job *job = arg;
	json_t *view = NULL;
	int rc;

	rc = store_view_load(c, job->id, &view);
	if (rc <= 0)
		return rc < 0 ? rc : PIPELINE_NOT_FOUND;
	if ((rc = store_view_delete(c, job->id)) < 0) {
		json_decref(view);
		return rc;
	}
	rc = pl_audit(c, job->user_id, "view.delete", "saved_view", job->id, view, NULL);
	return rc < 0 ? rc : PIPELINE_OK;
}

int pipeline_view_delete(struct db *db, const struct staff_user *viewer, long long view_id)
{
	struct pl_view_job job;

	memset(&job, 0, sizeof(job));
	job.user_id = pl_viewer_id(viewer);
	job.id = view_id;
	return pl_result("pipeline_view_delete", store_pipeline_write(db, pl_view_delete_run, &job));
}

/* ---- volunteers ---- */

int pipeline_volunteers(struct db *db, json_t **rows)
{
	struct db_conn *c = store_pipeline_read_begin(db);
	int rc = store_volunteers_list(c, role_name(ROLE_VOLUNTEER), LIMIT_VOLUNTEER_CAPACITY_DEFAULT,
	                               rows);

	store_pipeline_read_end(db, c);
	return pl_result("pipeline_volunteers", rc) == 0 ? 0 : -1;
}

struct pl_volunteer_job {
	long long   user_id;
	long long   target;
	long long   capacity;
	const char *states;
};

static int pl_volunteer_run(struct db_conn *c, void *arg)
{
	struct pl_volunteer_job *job = arg;
	json_t *before = NULL;
	int rc;

	rc = store_volunteer_load(c, job->target, LIMIT_VOLUNTEER_CAPACITY_DEFAULT, &before);
	if (rc <= 0)
		return rc < 0 ? rc : PIPELINE_NOT_FOUND;
	if ((rc = store_volunteer_settings_set(c, job->target, job->capacity, job->states,
	                                       pl_now())) < 0) {
		json_decref(before);
		return rc;
	}
	rc = pl_audit(c, job->user_id, "volunteer.settings", "user", job->target, before,
	              json_pack("{s:I, s:s}", "capacity", (json_int_t)job->capacity,
	                        "states", job->states));
	return rc < 0 ? rc : PIPELINE_OK;
}

int pipeline_volunteer_set(struct db *db, const struct staff_user *viewer, long long user_id,
                           const char *capacity, const char *states, const char **problem)
{
	const struct person_field *sf = person_field_find("state");
	struct pl_volunteer_job job;
	char out[3 * 64 + 1], code[3];
	const char *p;
	size_t used = 0, n;

	*problem = NULL;
	memset(&job, 0, sizeof(job));
	if (pl_parse_int(capacity, 0, LIMIT_VOLUNTEER_CAPACITY_MAX, &job.capacity) < 0) {
		*problem = "Capacity is a whole number from 0 (no new people) to 1000.";
		return PIPELINE_INVALID;
	}
	out[0] = '\0';
	for (p = states ? states : ""; *p;) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (n = 0; p[n] && p[n] != ' ' && p[n] != ',' && p[n] != '\t'; n++)
			;
		if (n != 2 || used + 4 > sizeof(out)) {
			*problem = "List states as two-letter codes, like \"WI MN IA\".";
			return PIPELINE_INVALID;
		}
		code[0] = (char)(p[0] >= 'a' && p[0] <= 'z' ? p[0] - 'a' + 'A' : p[0]);
		code[1] = (char)(p[1] >= 'a' && p[1] <= 'z' ? p[1] - 'a' + 'A' : p[1]);
		code[2] = '\0';
		if (!sf || !person_choice_label(sf, code)) {
			*problem = "List states as two-letter codes, like \"WI MN IA\".";
			return PIPELINE_INVALID;
		}
		if (!strstr(out, code)) {
			if (used)
				out[used++] = ' ';
			memcpy(out + used, code, 3);
			used += 2;
		}
		p += n;
	}
	job.user_id = pl_viewer_id(viewer);
	job.target = user_id;
	job.states = out;
	return pl_result("pipeline_volunteer_set", store_pipeline_write(db, pl_volunteer_run, &job));
}

/* ---- drop-off ---- */

static long long pl_dropoff_days(struct db_conn *c)
{
	long long days = 0;
	int rc = store_pipeline_setting_get(c, PL_DROPOFF_KEY, &days);

	if (rc != 1 || days < 1 || days > LIMIT_DROPOFF_DAYS_MAX)
		return LIMIT_DROPOFF_DAYS_DEFAULT;
	return days;
}

int pipeline_dropoff(struct db *db, json_t **report)
{
	struct db_conn *c = store_pipeline_read_begin(db);
	json_t *people = NULL, *vols = NULL, *states = NULL;
	long long days = pl_dropoff_days(c), total = 0;
	int rc;

	*report = NULL;
	rc = store_dropoff(c, pl_now() - days * PL_DAY, LIMIT_DROPOFF_ROWS, &people, &vols, &states,
	                   &total);
	store_pipeline_read_end(db, c);
	if (rc < 0)
		return pl_result("pipeline_dropoff", rc);
	*report = json_pack("{s:I, s:I, s:o, s:o, s:o}", "days", (json_int_t)days,
	                    "total", (json_int_t)total, "people", people, "by_volunteer", vols,
	                    "by_state", states);
	return *report ? PIPELINE_OK : PIPELINE_ERROR;
}

struct pl_setting_job {
	long long user_id;
	long long value;
};

static int pl_dropoff_days_run(struct db_conn *c, void *arg)
{
	struct pl_setting_job *job = arg;
	long long before = pl_dropoff_days(c);
	int rc = store_pipeline_setting_set(c, PL_DROPOFF_KEY, job->value);

	if (rc < 0)
		return rc;
	rc = pl_audit(c, job->user_id, "pipeline.settings", "setting", 0,
	              json_pack("{s:I}", PL_DROPOFF_KEY, (json_int_t)before),
	              json_pack("{s:I}", PL_DROPOFF_KEY, (json_int_t)job->value));
	return rc < 0 ? rc : PIPELINE_OK;
}

int pipeline_dropoff_days_set(struct db *db, const struct staff_user *viewer, const char *days,
                              const char **problem)
{
	struct pl_setting_job job = { pl_viewer_id(viewer), 0 };

	*problem = NULL;
	if (pl_parse_int(days, 1, LIMIT_DROPOFF_DAYS_MAX, &job.value) < 0) {
		*problem = "Give a number of days from 1 to 365.";
		return PIPELINE_INVALID;
	}
	return pl_result("pipeline_dropoff_days_set",
	                 store_pipeline_write(db, pl_dropoff_days_run, &job));
}

/* ---- stages ---- */

struct pl_stage_job {
	long long   user_id;
	long long   id;
	const char *code;
	const char *label;
	long long   position;
	int         in_queue, funnel, active;
};

static int pl_stage_run(struct db_conn *c, void *arg)
{
	struct pl_stage_job *job = arg;
	json_t *stages = NULL, *st, *before = NULL;
	size_t i, active = 0;
	int rc;

	if ((rc = store_stages_list(c, &stages)) < 0)
		return rc;
	json_array_foreach(stages, i, st) {
		long long id = json_integer_value(json_object_get(st, "id"));

		if (id == job->id)
			before = json_incref(st);
		else if (json_is_true(json_object_get(st, "active")))
			active++;
	}
	rc = PIPELINE_INVALID;
	if (job->id == 0 && json_array_size(stages) >= LIMIT_STAGES_MAX)
		goto done;
	if (job->id > 0 && before == NULL) {
		rc = PIPELINE_NOT_FOUND;
		goto done;
	}
	if (job->id > 0 && !job->active && active == 0)
		goto done;  /* the last active stage: new signups need somewhere to go */
	if (job->id == 0)
		rc = store_stage_insert(c, job->code, job->label, job->position, job->in_queue,
		                        job->funnel, pl_now(), &job->id);
	else
		rc = store_stage_update(c, job->id, job->label, job->position, job->in_queue, job->funnel,
		                        job->active);
	if (rc == STORE_PIPELINE_DUPLICATE) {
		rc = PIPELINE_INVALID;
		goto done;
	}
	if (rc < 0)
		goto done;
	rc = pl_audit(c, job->user_id, before ? "stage.update" : "stage.add", "stage", job->id,
	              json_incref(before),
	              json_pack("{s:s?, s:s, s:I, s:b, s:b, s:b}", "code", job->code, "label", job->label,
	                        "position", (json_int_t)job->position, "in_queue", job->in_queue,
	                        "funnel", job->funnel, "active", job->active));
	rc = rc < 0 ? rc : PIPELINE_OK;
done:
	json_decref(before);
	json_decref(stages);
	return rc;
}

int pipeline_stage_save(struct db *db, const struct staff_user *viewer, long long id,
                        const char *code, const char *label, const char *position, int in_queue,
                        int funnel, int active, const char **problem)
{
	struct pl_stage_job job;
	char *l;
	size_t i, n;
	int bad = 0, rc;

	*problem = NULL;
	memset(&job, 0, sizeof(job));
	if (id == 0) {
		n = code ? strlen(code) : 0;
		for (i = 0; i < n; i++)
			if (!((code[i] >= 'a' && code[i] <= 'z') || (code[i] >= '0' && code[i] <= '9') ||
			      code[i] == '_'))
				break;
		if (n == 0 || n > LIMIT_STAGE_CODE || i < n) {
			*problem = "A stage code is lower-case letters, digits and _ (at most 40).";
			return PIPELINE_INVALID;
		}
		job.code = code;
	}
	if (pl_parse_int(position, 0, 1000000, &job.position) < 0) {
		*problem = "The position is a whole number from 0 to 1000000.";
		return PIPELINE_INVALID;
	}
	l = pl_text(label, LIMIT_SHORT_TEXT, 0, &bad);
	if (l == NULL) {
		*problem = "Give the stage a name of at most 200 characters.";
		return PIPELINE_INVALID;
	}
	job.user_id = pl_viewer_id(viewer);
	job.id = id;
	job.label = l;
	job.in_queue = in_queue != 0;
	job.funnel = funnel != 0;
	job.active = id == 0 ? 1 : active != 0;
	rc = pl_result("pipeline_stage_save", store_pipeline_write(db, pl_stage_run, &job));
	if (rc == PIPELINE_INVALID)
		*problem = id == 0 ? "That code is taken, or there are too many stages already."
		                   : "Keep at least one stage active.";
	free(l);
	return rc;
}

/* ---- the funnel ---- */

/* Reached counts per step from hist: rows {position, count}, or rows
 * {cohort, position, count} of which only cohort's are read. */
static int pl_reached(json_t *steps, json_t *hist, const char *cohort, long long *reached)
{
	long long pos[LIMIT_STAGES_MAX], hp[LIMIT_STAGES_MAX * 4], hc[LIMIT_STAGES_MAX * 4];
	size_t n = 0, nh = 0, i;
	json_t *v;

	json_array_foreach(steps, i, v)
		if (n < LIMIT_STAGES_MAX)
			pos[n++] = json_integer_value(json_object_get(v, "position"));
	json_array_foreach(hist, i, v) {
		const char *c = json_string_value(json_object_get(v, "cohort"));

		if (cohort && (c == NULL || strcmp(c, cohort) != 0))
			continue;
		if (nh < sizeof(hp) / sizeof(hp[0])) {
			hp[nh] = json_integer_value(json_object_get(v, "position"));
			hc[nh++] = json_integer_value(json_object_get(v, "count"));
		}
	}
	funnel_reached(pos, n, hp, hc, nh, reached);
	return (int)n;
}

/* [{cohort, reached: [..]}] for the first LIMIT_FUNNEL_COHORTS cohorts. */
static json_t *pl_cohorts(json_t *steps, json_t *hist)
{
	long long reached[LIMIT_STAGES_MAX];
	json_t *out = json_array(), *v, *list;
	const char *last = NULL, *c;
	size_t i;
	int n, k;

	json_array_foreach(hist, i, v) {
		c = json_string_value(json_object_get(v, "cohort"));
		if (c == NULL || (last && strcmp(last, c) == 0))
			continue;
		last = c;
		if (out == NULL || json_array_size(out) >= LIMIT_FUNNEL_COHORTS)
			break;
		n = pl_reached(steps, hist, c, reached);
		list = json_array();
		for (k = 0; list && k < n; k++)
			json_array_append_new(list, json_integer(reached[k]));
		json_array_append_new(out, json_pack("{s:s, s:o*}", "cohort", c, "reached", list));
	}
	return out;
}

/* Medians of a filtered report, gathered in one ordered walk of the stays
 * (store_funnel_stays): the stays of one stage arrive together, sorted. */
struct pl_medians {
	long long  stage[LIMIT_STAGES_MAX];
	long long  median[LIMIT_STAGES_MAX];
	long long  n[LIMIT_STAGES_MAX];
	size_t     count;
	long long  cur;      /* the stage being gathered, 0 before the first */
	long long *vals;
	size_t     nvals, cap;
};

static void pl_medians_close(struct pl_medians *m)
{
	if (m->cur > 0 && m->count < LIMIT_STAGES_MAX) {
		m->stage[m->count] = m->cur;
		m->median[m->count] = funnel_median(m->vals, m->nvals);
		m->n[m->count++] = (long long)m->nvals;
	}
	m->nvals = 0;
}

static int pl_medians_add(long long stage_id, long long seconds, void *arg)
{
	struct pl_medians *m = arg;
	long long *grown;

	if (stage_id != m->cur) {
		pl_medians_close(m);
		m->cur = stage_id;
	}
	if (m->nvals == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 1024;

		grown = realloc(m->vals, cap * sizeof(*grown));
		if (grown == NULL)
			return PL_JOB_ERROR;
		m->vals = grown;
		m->cap = cap;
	}
	m->vals[m->nvals++] = seconds;
	return 0;
}

/* The median and count of stage_id's stays, from a filtered walk (m) or,
 * without filters (m NULL), from the store's index walk. */
static int pl_median_of(struct db_conn *c, struct pl_medians *m, long long stage_id,
                        long long *median, long long *n)
{
	size_t i;

	if (m == NULL)
		return store_funnel_median(c, stage_id, NULL, NULL, median, n);
	*median = 0;
	*n = 0;
	for (i = 0; i < m->count; i++)
		if (m->stage[i] == stage_id) {
			*median = m->median[i];
			*n = m->n[i];
		}
	return 0;
}

int pipeline_funnel(struct db *db, const char *month, const char *source, json_t **report)
{
	long long reached[LIMIT_STAGES_MAX], median, n, total = 0;
	struct pl_medians med;
	json_t *stages = NULL, *hist = NULL, *current = NULL, *months = NULL, *sources = NULL;
	json_t *steps = NULL, *side = NULL, *st, *v, *out = NULL;
	struct db_conn *c = store_pipeline_read_begin(db);
	size_t i, j;
	int rc, nsteps, k;

	*report = NULL;
	memset(&med, 0, sizeof(med));
	if ((month || source) &&
	    (rc = store_funnel_stays(c, month, source, pl_medians_add, &med)) < 0)
		goto done;
	pl_medians_close(&med);
	if ((rc = store_stages_list(c, &stages)) < 0 ||
	    (rc = store_funnel_reached(c, month, source, &hist)) < 0 ||
	    (rc = store_funnel_current(c, month, source, &current)) < 0 ||
	    (rc = store_funnel_cohorts(c, 0, &months)) < 0 ||
	    (rc = store_funnel_cohorts(c, 1, &sources)) < 0)
		goto done;
	rc = PL_JOB_ERROR;
	steps = json_array();
	side = json_array();
	if (steps == NULL || side == NULL)
		goto done;
	json_array_foreach(stages, i, st) {
		long long id = json_integer_value(json_object_get(st, "id")), now_in = 0;

		json_array_foreach(current, j, v)
			if (json_integer_value(json_object_get(v, "stage_id")) == id)
				now_in = json_integer_value(json_object_get(v, "count"));
		total += now_in;
		if (!json_is_true(json_object_get(st, "funnel"))) {
			json_array_append_new(side, json_pack("{s:O, s:I}", "label",
			                      json_object_get(st, "label"), "current", (json_int_t)now_in));
			continue;
		}
		if (!json_is_true(json_object_get(st, "active")) && now_in == 0)
			continue;
		if ((rc = pl_median_of(c, month || source ? &med : NULL, id, &median, &n)) < 0)
			goto done;
		rc = PL_JOB_ERROR;
		json_array_append_new(steps, json_pack("{s:I, s:O, s:O, s:I, s:I, s:I}", "stage_id",
		                      (json_int_t)id, "label", json_object_get(st, "label"),
		                      "position", json_object_get(st, "position"),
		                      "current", (json_int_t)now_in, "median_seconds", (json_int_t)median,
		                      "median_n", (json_int_t)n));
	}
	nsteps = pl_reached(steps, hist, NULL, reached);
	for (k = 0; k < nsteps; k++) {
		st = json_array_get(steps, (size_t)k);
		json_object_set_new(st, "reached", json_integer(reached[k]));
		json_object_set_new(st, "conversion_permille", json_integer(k + 1 < nsteps ?
		                    funnel_conversion_permille(reached[k], reached[k + 1]) : -1));
	}
	out = json_pack("{s:o, s:o, s:I, s:o*, s:o*}", "steps", steps, "side", side,
	                "total", (json_int_t)total, "by_month", pl_cohorts(steps, months),
	                "by_source", pl_cohorts(steps, sources));
	steps = side = NULL;
	rc = out ? 0 : PL_JOB_ERROR;
done:
	store_pipeline_read_end(db, c);
	free(med.vals);
	json_decref(stages);
	json_decref(hist);
	json_decref(current);
	json_decref(months);
	json_decref(sources);
	json_decref(steps);
	json_decref(side);
	if (rc < 0) {
		json_decref(out);
		return pl_result("pipeline_funnel", rc);
	}
	*report = out;
	return PIPELINE_OK;
}
