/*
 * store_pipeline.h — the recruitment pipeline's rows (store layer; all of
 * their SQL lives in store_pipeline.c): stages, each person's place in the
 * pipeline and its history, calls, tasks, tags, saved views, volunteers'
 * call settings, pipeline settings, and the queries behind "My calls", the
 * drop-off page and the funnel report.
 *
 * As in store_people.h, the domain (domain/pipeline.c) decides everything
 * and runs its rules inside one writer job (store_pipeline_write), calling
 * the row-level functions below on the job's connection, so a logged call,
 * the stage move it causes, its follow-up task, its mail and its audit
 * entry commit together or not at all. Reads borrow a pooled connection.
 *
 * Values cross this boundary as stored: seconds since the epoch, ids
 * (0 meaning "none" where a column may be NULL), codes as text.
 * Return values: 0 on success (or 1/0 for found/not found, done/nothing to
 * do, where noted), or a negative enum db_rc (store/sql.h). json values
 * returned through out-pointers are new references the caller
 * json_decref()s. Threading: no state of its own; any thread may call.
 */
#ifndef ONRAMP_STORE_PIPELINE_H
#define ONRAMP_STORE_PIPELINE_H

#include <stddef.h>

#include <jansson.h>

struct db;
struct db_conn;

/* The negative result a caller above the store acts on (the value of
 * DB_CONSTRAINT in store/sql.h, which only the store includes). */
#define STORE_PIPELINE_DUPLICATE (-2)

/* ---- units of work ---- */

typedef int (*store_pipeline_job_fn)(struct db_conn *c, void *arg);
/* Runs fn(c, arg) on the writer connection; returns once it is durably
 * committed: fn's value, or a negative enum db_rc (nothing fn wrote
 * exists). From inside a job it runs fn at once, nested. */
int store_pipeline_write(struct db *db, store_pipeline_job_fn fn, void *arg);
/* Lends a read connection (never NULL); give it back with _read_end. */
struct db_conn *store_pipeline_read_begin(struct db *db);
void store_pipeline_read_end(struct db *db, struct db_conn *c);

/* ---- stages ---- */

/* Sets *rows to every stage by position: [{id, code, label, position,
 * in_queue, funnel, active}] (the last three true/false). */
int store_stages_list(struct db_conn *c, json_t **rows);
/* Adds a stage. Sets *id. STORE_PIPELINE_DUPLICATE if the code exists. */
int store_stage_insert(struct db_conn *c, const char *code, const char *label, long long position,
                       int in_queue, int funnel, long long at, long long *id);
/* Changes stage id. Returns 1, 0 if there is no such stage, or < 0. */
int store_stage_update(struct db_conn *c, long long id, const char *label, long long position,
                       int in_queue, int funnel, int active);

/* ---- a person's place in the pipeline ---- */

struct store_pipeline_entry {
	long long   person_id;
	const char *state;            /* the person's state code, or NULL */
	long long   at;               /* when they signed up */
	const char *signup_month;     /* "YYYY-MM" of at, UTC */
	const char *call_role;        /* the role that takes calls by default ("volunteer") */
	long long   default_capacity; /* a volunteer's capacity without settings */
};

/* Puts a person at the first active stage (lowest position), records the
 * entry in the history and assigns them by the rules: among active
 * accounts with call settings, or of call_role, whose queue (people
 * assigned to them in in_queue stages) is below their capacity and whose
 * states include the person's (an account with a state list first, then
 * those taking any state), the one assigned least recently (round robin).
 * *assignee is the account (0: nobody has room; the person waits in the
 * unassigned queue). Returns 1, 0 if the person was already in the
 * pipeline (nothing changed), or < 0. */
int store_pipeline_enter(struct db_conn *c, const struct store_pipeline_entry *e,
                         long long *assignee);
/* Assigns person_id by the rules above, as store_pipeline_enter does
 * (for a person already in the pipeline). Sets *assignee (0: nobody). */
int store_pipeline_autoassign(struct db_conn *c, long long person_id, const char *call_role,
                              long long default_capacity, long long at, long long *assignee);
/* Loads person_id's place: {person_id, stage_id, stage_code, stage_label,
 * stage_position, stage_since, assignee_id (0 none), assignee_email (null),
 * first_call_at, last_call_at (0 if none), entered_at}. Returns 1, 0, < 0. */
int store_pipeline_load(struct db_conn *c, long long person_id, json_t **row);
/* Returns 1 if person_id is assigned to user_id, 0 if not, or < 0. */
int store_pipeline_is_assigned(struct db_conn *c, long long person_id, long long user_id);
/* Moves person_id to stage to_stage, recording who (0 for the system),
 * why (may be NULL) and how long they were in the stage they leave.
 * Returns 1 if moved, 0 if they are already there or not in the pipeline,
 * or < 0. */
int store_pipeline_move(struct db_conn *c, long long person_id, long long to_stage, long long by,
                        const char *reason, long long at);
/* Assigns person_id to user_id (0: unassigns). Returns 1 if it changed,
 * 0 if it was already so or the person is not in the pipeline, or < 0. */
int store_pipeline_assign(struct db_conn *c, long long person_id, long long user_id, long long at);
/* Records a call at time at: first_call_at (if unset) and last_call_at. */
int store_pipeline_called(struct db_conn *c, long long person_id, long long at);
/* Sets *rows to person_id's moves, newest first: [{at, from_label (null
 * for the entry), to_label, by_email (null), reason (null)}]. */
int store_pipeline_history(struct db_conn *c, long long person_id, int limit, json_t **rows);
/* Moves drop's calls, tasks, tags and history to keep (a merge), keeping
 * the earlier of the two places' first call; drop's own place goes with
 * drop. Call before drop is deleted. */
int store_pipeline_absorb(struct db_conn *c, long long keep, long long drop);

/* ---- calls ---- */

struct store_call {
	long long   person_id;
	long long   caller_id;
	long long   at;
	const char *outcome;
	const char *office;       /* NULL if not discussed */
	const char *timeline;
	int         readiness;    /* 1..5, 0 if not asked */
	const char *needs;        /* space-separated codes, or NULL */
	const char *notes;
	long long   next_stage;   /* 0: none recommended */
	long long   task_id;      /* 0: no follow-up */
};
/* Inserts a call. Sets *id. */
int store_call_insert(struct db_conn *c, const struct store_call *call, long long *id);
/* Sets *rows to person_id's newest limit calls: [{id, at, caller_email
 * (null), outcome, office, timeline, readiness (0 none), needs, notes,
 * next_stage_label (null)}] (absent text: null). */
int store_calls_list(struct db_conn *c, long long person_id, int limit, json_t **rows);

/* ---- tasks ---- */

/* Adds a task (person_id 0: about nobody in particular). Sets *id. */
int store_task_insert(struct db_conn *c, long long person_id, long long assignee,
                      const char *title, long long due_at, long long by, long long at,
                      long long *id);
/* Loads task id: {id, person_id (0), assignee_id, title, due_at, done_at
 * (0 when open)}. Returns 1, 0, < 0. */
int store_task_load(struct db_conn *c, long long id, json_t **row);
/* Marks task id done at done_at, or open again with done_at 0.
 * Returns 1 if it changed, 0 if not, or < 0. */
int store_task_set_done(struct db_conn *c, long long id, long long done_at);
/* Sets *rows to tasks, open ones first by due date, then done ones newest
 * first: of assignee (0: anyone), about person_id (0: anyone), open only
 * unless include_done. [{id, person_id (0), person_name (null),
 * assignee_id, assignee_email, title, due_at, done_at (0)}]. */
int store_tasks_list(struct db_conn *c, long long assignee, long long person_id, int include_done,
                     int limit, json_t **rows);

/* ---- tags ---- */

/* Finds or creates the tag name. Sets *id. */
int store_tag_ensure(struct db_conn *c, const char *name, long long at, long long *id);
/* Finds tag name. Returns 1 and *id, 0, or < 0. */
int store_tag_find(struct db_conn *c, const char *name, long long *id);
/* Tags / untags a person. Returns 1 if it changed, 0 if not, or < 0. */
int store_person_tag_add(struct db_conn *c, long long person_id, long long tag_id);
int store_person_tag_remove(struct db_conn *c, long long person_id, long long tag_id);
/* Counts person_id's tags into *n. */
int store_person_tag_count(struct db_conn *c, long long person_id, long long *n);
/* Sets *rows to person_id's tag names, sorted: ["…"]. */
int store_person_tags(struct db_conn *c, long long person_id, json_t **rows);
/* Sets *rows to every tag with how many people carry it: [{id, name, count}]. */
int store_tags_list(struct db_conn *c, json_t **rows);

/* ---- saved views ---- */

/* Saves a named people-list query string. Sets *id. */
int store_view_insert(struct db_conn *c, long long owner, const char *name, const char *query,
                      long long at, long long *id);
/* Loads view id: {id, owner_id (0), name, query}. Returns 1, 0, < 0. */
int store_view_load(struct db_conn *c, long long id, json_t **row);
/* Deletes view id. Returns 1, 0 if none, or < 0. */
int store_view_delete(struct db_conn *c, long long id);
/* Sets *rows to every view by name: [{id, name, query, owner_email (null), created_at}]
 * and *count to their number. */
int store_views_list(struct db_conn *c, json_t **rows, long long *count);

/* ---- volunteers ---- */

/* Sets *rows to the accounts that take calls (active accounts of call_role
 * or with call settings), by email: [{id, email, role, capacity, states,
 * load, has_settings}] — load being the people in their queue. */
int store_volunteers_list(struct db_conn *c, const char *call_role, long long default_capacity,
                          json_t **rows);
/* Loads user_id's call settings: {capacity, states} with the defaults for
 * an account without settings. Returns 1 if the account exists and is
 * active, 0 if not, or < 0. */
int store_volunteer_load(struct db_conn *c, long long user_id, long long default_capacity,
                         json_t **row);
/* Sets user_id's capacity and states (space-separated codes, "" = any). */
int store_volunteer_settings_set(struct db_conn *c, long long user_id, long long capacity,
                                 const char *states, long long at);

/* ---- settings ---- */

/* Reads setting key into *value. Returns 1, 0 if unset, or < 0. */
int store_pipeline_setting_get(struct db_conn *c, const char *key, long long *value);
int store_pipeline_setting_set(struct db_conn *c, const char *key, long long value);

/* ---- lists ---- */

/* Sets *rows to user_id's calls to make, most urgent first: people
 * assigned to them in an in_queue stage or with an open task; those with a
 * task due before soon first (earliest due first), then by signup age
 * (oldest first). [{id, name, first_name, last_name, preferred_name, state,
 * phone (null), created_at, stage_label, last_call_at (0), due_at (0)}]. */
int store_my_calls(struct db_conn *c, long long user_id, long long soon, int limit,
                   json_t **rows);

/* The drop-off: people in an in_queue stage never called and in the
 * pipeline since before cutoff. Sets *people (oldest first, at most limit:
 * [{id, name, state, entered_at, assignee_email (null), stage_label}]),
 * *by_volunteer ([{assignee_id (0), email (null), count}], largest first),
 * *by_state ([{state (null), count}], largest first) and *total. */
int store_dropoff(struct db_conn *c, long long cutoff, int limit, json_t **people,
                  json_t **by_volunteer, json_t **by_state, long long *total);

/* ---- the funnel ----
 * month ("YYYY-MM") and source filter by signup month and source; NULL for
 * all. */

/* Sets *rows to [{position, count}]: how many people have each highest
 * funnel position reached (max_position). */
int store_funnel_reached(struct db_conn *c, const char *month, const char *source,
                         json_t **rows);
/* Sets *rows to [{stage_id, count}]: how many people are in each stage now. */
int store_funnel_current(struct db_conn *c, const char *month, const char *source,
                         json_t **rows);
/* The median time people spent in stage_id before leaving it (seconds):
 * *n the number of such stays, *median (0 when n is 0; for an even n the
 * mean of the two middle stays, rounded down). */
int store_funnel_median(struct db_conn *c, long long stage_id, const char *month,
                        const char *source, long long *median, long long *n);
/* Calls fn once per completed stay of the people matching month and source
 * (a move out of a stage: its stage and how long it lasted, in seconds),
 * ordered by stage id, then by length. fn returning < 0 stops the walk and
 * becomes its result. For filtered reports; unfiltered medians use
 * store_funnel_median, which walks an index instead. */
typedef int (*store_funnel_stay_fn)(long long stage_id, long long seconds, void *arg);
int store_funnel_stays(struct db_conn *c, const char *month, const char *source,
                       store_funnel_stay_fn fn, void *arg);
/* Sets *rows to [{cohort, position, count}]: people per (signup month —
 * by_source 0, newest first — or source — by_source 1, "" for none) and
 * highest position reached. */
int store_funnel_cohorts(struct db_conn *c, int by_source, json_t **rows);

/* ---- accounts (read) ---- */

/* Finds an active account: copies its role name into role (rolelen bytes).
 * Returns 1, 0 if there is no such active account, or < 0. */
int store_pipeline_user(struct db_conn *c, long long user_id, char *role, size_t rolelen);

#endif
