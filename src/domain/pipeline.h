/*
 * pipeline.h — the recruitment pipeline: stages and each person's place in
 * them, the call queue and its assignment rules, call logging, tasks, tags,
 * saved views, bulk actions, the drop-off list and the funnel report.
 *
 * Rules (pipeline.c):
 *  - A new signup enters the first stage and is assigned at once, inside
 *    the signup's own write job (pipeline_signup_enter): to an active
 *    account that takes calls (role volunteer by default, or anyone staff
 *    gave call settings) whose queue — people assigned to them in an
 *    in_queue stage — is below their capacity and whose states include the
 *    person's (accounts with a state list before those taking any state),
 *    round robin among them. Nobody with room: the person waits unassigned.
 *  - Without PERM_PEOPLE_READ_ALL a user may open only the people assigned
 *    to them (pipeline_may_open), and change tasks only their own.
 *  - Every staff change — a call, a move, an assignment, a task, a tag, a
 *    view, a bulk action, a setting — is written with its audit entry in the
 *    same job; a logged call's follow-up and a task's reminder are queued in
 *    the mail outbox in that job too.
 *
 * Results: PIPELINE_OK (0), PIPELINE_NOT_FOUND (1), PIPELINE_INVALID (2,
 * with *problem set to a sentence for the person), PIPELINE_DENIED (3), or
 * PIPELINE_ERROR (-1, logged). Returned json values are new references the
 * caller json_decref()s. Threading: no state of its own; any thread.
 */
#ifndef ONRAMP_PIPELINE_H
#define ONRAMP_PIPELINE_H

#include <stddef.h>

#include <jansson.h>

struct db;
struct db_conn;
struct people_query;
struct staff_user;

enum pipeline_result {
	PIPELINE_ERROR     = -1,
	PIPELINE_OK        = 0,
	PIPELINE_NOT_FOUND = 1,
	PIPELINE_INVALID   = 2,
	PIPELINE_DENIED    = 3,
};

/* A code and what people read for it; lists end with {NULL, NULL}. */
struct pipeline_choice {
	const char *code;
	const char *label;
};
extern const struct pipeline_choice pipeline_outcomes[];   /* reached, no_answer, … */
extern const struct pipeline_choice pipeline_timelines[];  /* this_year, next_year, … */
extern const struct pipeline_choice pipeline_needs[];      /* training, mentor, money, race_help */
/* The label of code in list, or NULL. */
const char *pipeline_choice_label(const struct pipeline_choice *list, const char *code);

/* The signup hook: puts person_id (state may be NULL; at = signup time)
 * into the pipeline and assigns them by the rules. Call only inside the
 * signup's write job, on its connection. Returns 0 or a negative enum db_rc. */
int pipeline_signup_enter(struct db_conn *c, long long person_id, const char *state, long long at);

/* 1 if viewer may open person_id (PERM_PEOPLE_READ_ALL, or assigned to
 * them), 0 if not, -1 on error. */
int pipeline_may_open(struct db *db, const struct staff_user *viewer, long long person_id);

/* Every stage by position: [{id, code, label, position, in_queue, funnel,
 * active}]. Returns 0 or -1. */
int pipeline_stages(struct db *db, json_t **rows);

/* Everything the call sheet shows about person_id: {place: {stage_id,
 * stage_label, stage_since, assignee_id, assignee_email, first_call_at,
 * last_call_at, …} or null, history: [...], calls: [...], tasks: [...],
 * tags: ["…"]}. Returns PIPELINE_OK or PIPELINE_ERROR. */
int pipeline_person(struct db *db, long long person_id, json_t **out);

/* A call as logged by a volunteer. Codes from the lists above (office from
 * the person field office_interests); NULL or "" for anything not asked. */
struct pipeline_call_input {
	const char *outcome;        /* required */
	const char *office;
	const char *timeline;
	const char *readiness;      /* "1".."5" */
	const char *needs[8];
	size_t      n_needs;
	const char *notes;
	const char *next_stage;     /* a stage id, or "" to stay */
	const char *task_title;     /* a follow-up task, or "" */
	const char *task_due;       /* YYYY-MM-DD, required with a title */
};
/* Logs a call on person_id by viewer: the call, the recommended move (the
 * history says "call: <outcome>"), the follow-up task (assigned to the
 * caller, with its reminder mail) and the follow-up mail to the person, one
 * audit entry "call.log". Sets *call_id. */
int pipeline_call_log(struct db *db, const struct staff_user *viewer, long long person_id,
                      const struct pipeline_call_input *in, const char **problem,
                      long long *call_id);

/* Moves person_id to stage_id (audited "person.stage", with reason). */
int pipeline_move(struct db *db, const struct staff_user *viewer, long long person_id,
                  long long stage_id, const char *reason, const char **problem);
/* Assigns person_id to user_id, or back to the rules with user_id 0
 * ("person.assign"). */
int pipeline_assign(struct db *db, const struct staff_user *viewer, long long person_id,
                    long long user_id, const char **problem);

/* Adds a task for assignee (0: the viewer) about person_id (0: nobody),
 * due on due_day (YYYY-MM-DD, the end of that day UTC), audited
 * "task.add", with a reminder mail a day before it is due. */
int pipeline_task_add(struct db *db, const struct staff_user *viewer, long long person_id,
                      long long assignee, const char *title, const char *due_day,
                      const char **problem, long long *task_id);
/* Marks a task done (done 1) or open again (done 0), "task.done" /
 * "task.reopen". Only its assignee or PERM_PIPELINE_MANAGE: else DENIED. */
int pipeline_task_set_done(struct db *db, const struct staff_user *viewer, long long task_id,
                           int done);
/* Tasks of assignee (0: everyone's), open only unless include_done, each
 * with overdue (bool, against now). Returns 0 or -1. */
int pipeline_tasks(struct db *db, long long assignee, int include_done, json_t **rows);

/* Tags / untags person_id ("person.tag", "person.untag"). */
int pipeline_tag_add(struct db *db, const struct staff_user *viewer, long long person_id,
                     const char *name, const char **problem);
int pipeline_tag_remove(struct db *db, const struct staff_user *viewer, long long person_id,
                        const char *name);

/* The viewer's calls to make, most urgent first (store_my_calls), each
 * with name, overdue and due_soon. Returns 0 or -1. */
int pipeline_my_calls(struct db *db, const struct staff_user *viewer, json_t **rows);

/* Applies action ("tag", "untag", "assign", "stage") with value (a tag
 * name, a user id or 0 for the rules, a stage id) to every person matching
 * filter (all pages, at most LIMIT_BULK_MAX, else INVALID), in one job with
 * one audit entry "bulk.<action>" listing the filter and the people
 * changed. Sets *changed. */
int pipeline_bulk(struct db *db, const struct staff_user *viewer, const struct people_query *filter,
                  const char *filter_text, const char *action, const char *value,
                  long long *changed, const char **problem);

/* Saved views: named query strings of the people list. */
int pipeline_views(struct db *db, json_t **rows);
int pipeline_view_save(struct db *db, const struct staff_user *viewer, const char *name,
                       const char *query, const char **problem);
int pipeline_view_delete(struct db *db, const struct staff_user *viewer, long long view_id);

/* Accounts that take calls with their capacity, states and load. */
int pipeline_volunteers(struct db *db, json_t **rows);
/* Sets user_id's capacity (0..LIMIT_VOLUNTEER_CAPACITY_MAX, as text) and
 * states (space- or comma-separated codes, "" for any), "volunteer.settings". */
int pipeline_volunteer_set(struct db *db, const struct staff_user *viewer, long long user_id,
                           const char *capacity, const char *states, const char **problem);

/* The drop-off report: {days, total, people: [...], by_volunteer: [...],
 * by_state: [...]} of signups not called within the configured N days. */
int pipeline_dropoff(struct db *db, json_t **report);
/* Sets N (1..LIMIT_DROPOFF_DAYS_MAX, as text), "pipeline.settings". */
int pipeline_dropoff_days_set(struct db *db, const struct staff_user *viewer, const char *days,
                              const char **problem);

/* Adds (id 0) or changes a stage ("stage.add", "stage.update"). code is
 * [a-z0-9_]+ and only read when adding; position as text. */
int pipeline_stage_save(struct db *db, const struct staff_user *viewer, long long id,
                        const char *code, const char *label, const char *position, int in_queue,
                        int funnel, int active, const char **problem);

/* The funnel report for people who signed up in month ("YYYY-MM", NULL
 * for all) from source (NULL for all): {steps: [{stage_id, label,
 * position, reached, current, conversion_permille (-1: none), median_seconds,
 * median_n}], side: [{label, current}], total, by_month: [{cohort,
 * reached: [n per step]}], by_source: [...]}. Returns 0 or -1. */
int pipeline_funnel(struct db *db, const char *month, const char *source, json_t **report);

#endif
