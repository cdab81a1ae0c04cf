/*
 * schema_pipeline.c — migration 4: the recruitment pipeline (stages, each
 * person's place in it and its history, calls, tasks, tags, saved views,
 * volunteers' call settings, pipeline settings), in both dialects;
 * migration 10, the index that finds a new signup's first stage;
 * migration 11, stage_events_from without the signups' events; and
 * migration 14, each volunteer's queue size kept as it changes.
 *
 * Invariants: timestamps are seconds since the epoch; booleans are 0/1
 * integers; person_pipeline holds at most one row per person (its primary
 * key), created when the person first signs up (domain/pipeline.c) and, for
 * people who existed before this migration, by the backfill at its end.
 * stage_events.time_in_from is how long the person had been in the stage
 * they left, so the funnel's median time in a stage is an ordered walk of
 * stage_events_from instead of a window over every event. max_position is
 * the highest funnel position the person ever reached (the funnel counts
 * "reached", not "is in now").
 */
#include "store/sql.h"
#include "store/schema_pipeline.h"

#define PIPELINE_DEFAULT_STAGES \
	"INSERT INTO pipeline_stages (code, label, position, in_queue, funnel, active, created_at)" \
	" VALUES ('signed_up', 'Signed up', 10, 1, 1, 1, 0)," \
	" ('contacted', 'Contacted', 20, 1, 1, 1, 0)," \
	" ('one_on_one', '1:1 done', 30, 0, 1, 1, 0)," \
	" ('exploring', 'Exploring a race', 40, 0, 1, 1, 0)," \
	" ('filed', 'Filed / declared', 50, 0, 1, 1, 0)," \
	" ('on_ballot', 'On the ballot', 60, 0, 1, 1, 0)," \
	" ('endorsed', 'Endorsed', 70, 0, 1, 1, 0)," \
	" ('won', 'Won', 80, 0, 1, 1, 0)," \
	" ('lost', 'Lost', 85, 0, 0, 1, 0)," \
	" ('serving', 'Serving', 90, 0, 1, 1, 0)," \
	" ('running_again', 'Running again or for higher office', 100, 0, 1, 1, 0)," \
	" ('not_now', 'Not running now', 200, 0, 0, 1, 0);"

const char schema_v4_pipeline_sqlite[] =
	"CREATE TABLE pipeline_stages ("
	" id INTEGER PRIMARY KEY,"
	" code TEXT NOT NULL UNIQUE,"
	" label TEXT NOT NULL,"
	" position INTEGER NOT NULL,"
	" in_queue INTEGER NOT NULL DEFAULT 0,"   /* people here are in the call queue */
	" funnel INTEGER NOT NULL DEFAULT 1,"     /* a step of the funnel (0: a side exit) */
	" active INTEGER NOT NULL DEFAULT 1,"
	" created_at INTEGER NOT NULL);"
	PIPELINE_DEFAULT_STAGES

	"CREATE TABLE person_pipeline ("
	" person_id INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,"
	" stage_id INTEGER NOT NULL REFERENCES pipeline_stages(id),"
	" stage_since INTEGER NOT NULL,"
	" max_position INTEGER NOT NULL,"
	" signup_month TEXT NOT NULL,"            /* YYYY-MM (UTC) of entering */
	" assignee_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
	" assigned_at INTEGER,"
	" first_call_at INTEGER,"
	" last_call_at INTEGER,"
	" entered_at INTEGER NOT NULL);"
	"CREATE INDEX person_pipeline_assignee ON person_pipeline(assignee_id, stage_id);"
	"CREATE INDEX person_pipeline_stage ON person_pipeline(stage_id);"
	"CREATE INDEX person_pipeline_uncalled ON person_pipeline(first_call_at, entered_at);"
	"CREATE INDEX person_pipeline_month ON person_pipeline(signup_month);"

	"CREATE TABLE stage_events ("
	" id INTEGER PRIMARY KEY,"
	" person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" from_stage_id INTEGER REFERENCES pipeline_stages(id),"
	" to_stage_id INTEGER NOT NULL REFERENCES pipeline_stages(id),"
	" at INTEGER NOT NULL,"
	" by_user INTEGER REFERENCES users(id) ON DELETE SET NULL,"
	" reason TEXT,"
	" time_in_from INTEGER);"
	"CREATE INDEX stage_events_person ON stage_events(person_id, at);"
	"CREATE INDEX stage_events_from ON stage_events(from_stage_id, time_in_from);"

	"CREATE TABLE tasks ("
	" id INTEGER PRIMARY KEY,"
	" person_id INTEGER REFERENCES people(id) ON DELETE CASCADE,"
	" assignee_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" title TEXT NOT NULL,"
	" due_at INTEGER NOT NULL,"
	" done_at INTEGER,"
	" created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX tasks_assignee ON tasks(assignee_id, done_at, due_at);"
	"CREATE INDEX tasks_person ON tasks(person_id, done_at, due_at);"

	"CREATE TABLE calls ("
	" id INTEGER PRIMARY KEY,"
	" person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" caller_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
	" at INTEGER NOT NULL,"
	" outcome TEXT NOT NULL,"
	" office TEXT, timeline TEXT,"
	" readiness INTEGER,"                     /* 1..5, NULL if not asked */
	" needs TEXT,"                            /* space-separated codes */
	" notes TEXT,"
	" next_stage_id INTEGER REFERENCES pipeline_stages(id),"
	" task_id INTEGER REFERENCES tasks(id) ON DELETE SET NULL);"
	"CREATE INDEX calls_person ON calls(person_id, at);"
	"CREATE INDEX calls_caller ON calls(caller_id, at);"

	"CREATE TABLE tags ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE person_tags ("
	" person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,"
	" PRIMARY KEY (person_id, tag_id));"
	"CREATE INDEX person_tags_tag ON person_tags(tag_id, person_id);"

	"CREATE TABLE saved_views ("
	" id INTEGER PRIMARY KEY,"
	" owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
	" name TEXT NOT NULL,"
	" query TEXT NOT NULL,"                   /* the people list's query string */
	" created_at INTEGER NOT NULL);"

	"CREATE TABLE volunteer_settings ("
	" user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	" capacity INTEGER NOT NULL,"             /* people in their queue at most; 0 pauses */
	" states TEXT NOT NULL DEFAULT '',"       /* space-separated state codes; '' = any */
	" last_assigned_seq INTEGER NOT NULL DEFAULT 0,"
	" updated_at INTEGER NOT NULL);"

	"CREATE TABLE pipeline_settings ("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL);"

	/* Everyone already signed up enters at the first stage. */
	"INSERT INTO person_pipeline (person_id, stage_id, stage_since, max_position, signup_month,"
	" entered_at)"
	" SELECT p.id, s.id, p.created_at, s.position, strftime('%Y-%m', p.created_at, 'unixepoch'),"
	" p.created_at FROM people p, pipeline_stages s WHERE s.code = 'signed_up';"
	"INSERT INTO stage_events (person_id, from_stage_id, to_stage_id, at, reason)"
	" SELECT person_id, NULL, stage_id, entered_at, 'signup' FROM person_pipeline;";

const char schema_v4_pipeline_postgres[] =
	"CREATE TABLE pipeline_stages ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" code TEXT NOT NULL UNIQUE,"
	" label TEXT NOT NULL,"
	" position BIGINT NOT NULL,"
	" in_queue INTEGER NOT NULL DEFAULT 0,"
	" funnel INTEGER NOT NULL DEFAULT 1,"
	" active INTEGER NOT NULL DEFAULT 1,"
	" created_at BIGINT NOT NULL);"
	PIPELINE_DEFAULT_STAGES

	"CREATE TABLE person_pipeline ("
	" person_id BIGINT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,"
	" stage_id BIGINT NOT NULL REFERENCES pipeline_stages(id),"
	" stage_since BIGINT NOT NULL,"
	" max_position BIGINT NOT NULL,"
	" signup_month TEXT NOT NULL,"
	" assignee_id BIGINT REFERENCES users(id) ON DELETE SET NULL,"
	" assigned_at BIGINT,"
	" first_call_at BIGINT,"
	" last_call_at BIGINT,"
	" entered_at BIGINT NOT NULL);"
	"CREATE INDEX person_pipeline_assignee ON person_pipeline(assignee_id, stage_id);"
	"CREATE INDEX person_pipeline_stage ON person_pipeline(stage_id);"
	"CREATE INDEX person_pipeline_uncalled ON person_pipeline(first_call_at, entered_at);"
	"CREATE INDEX person_pipeline_month ON person_pipeline(signup_month);"

	"CREATE TABLE stage_events ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" from_stage_id BIGINT REFERENCES pipeline_stages(id),"
	" to_stage_id BIGINT NOT NULL REFERENCES pipeline_stages(id),"
	" at BIGINT NOT NULL,"
	" by_user BIGINT REFERENCES users(id) ON DELETE SET NULL,"
	" reason TEXT,"
	" time_in_from BIGINT);"
	"CREATE INDEX stage_events_person ON stage_events(person_id, at);"
	"CREATE INDEX stage_events_from ON stage_events(from_stage_id, time_in_from);"

	"CREATE TABLE tasks ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" person_id BIGINT REFERENCES people(id) ON DELETE CASCADE,"
	" assignee_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" title TEXT NOT NULL,"
	" due_at BIGINT NOT NULL,"
	" done_at BIGINT,"
	" created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,"
	" created_at BIGINT NOT NULL);"
	"CREATE INDEX tasks_assignee ON tasks(assignee_id, done_at, due_at);"
	"CREATE INDEX tasks_person ON tasks(person_id, done_at, due_at);"

	"CREATE TABLE calls ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" caller_id BIGINT REFERENCES users(id) ON DELETE SET NULL,"
	" at BIGINT NOT NULL,"
	" outcome TEXT NOT NULL,"
	" office TEXT, timeline TEXT,"
	" readiness INTEGER,"
	" needs TEXT,"
	" notes TEXT,"
	" next_stage_id BIGINT REFERENCES pipeline_stages(id),"
	" task_id BIGINT REFERENCES tasks(id) ON DELETE SET NULL);"
	"CREATE INDEX calls_person ON calls(person_id, at);"
	"CREATE INDEX calls_caller ON calls(caller_id, at);"

	"CREATE TABLE tags ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" created_at BIGINT NOT NULL);"
	"CREATE TABLE person_tags ("
	" person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" tag_id BIGINT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,"
	" PRIMARY KEY (person_id, tag_id));"
	"CREATE INDEX person_tags_tag ON person_tags(tag_id, person_id);"

	"CREATE TABLE saved_views ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL,"
	" name TEXT NOT NULL,"
	" query TEXT NOT NULL,"
	" created_at BIGINT NOT NULL);"

	"CREATE TABLE volunteer_settings ("
	" user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	" capacity BIGINT NOT NULL,"
	" states TEXT NOT NULL DEFAULT '',"
	" last_assigned_seq BIGINT NOT NULL DEFAULT 0,"
	" updated_at BIGINT NOT NULL);"

	"CREATE TABLE pipeline_settings ("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL);"

	"INSERT INTO person_pipeline (person_id, stage_id, stage_since, max_position, signup_month,"
	" entered_at)"
	" SELECT p.id, s.id, p.created_at, s.position,"
	" to_char(to_timestamp(p.created_at) AT TIME ZONE 'UTC', 'YYYY-MM'),"
	" p.created_at FROM people p, pipeline_stages s WHERE s.code = 'signed_up';"
	"INSERT INTO stage_events (person_id, from_stage_id, to_stage_id, at, reason)"
	" SELECT person_id, NULL, stage_id, entered_at, 'signup' FROM person_pipeline;";

/* store_pipeline_enter reads the first active stage for every signup:
 * with this partial index that is one index step, not a sort of the
 * stages table (2.4 us of every new lead's writer time before). */
const char schema_v10_first_stage[] =  /* the same in both dialects */
	"CREATE INDEX pipeline_stages_first ON pipeline_stages(position, id) WHERE active = 1;";

/* Every signup's stage event has no from-stage, and nothing looks those up
 * through stage_events_from: every query on it asks for one from-stage
 * (from_stage_id = ?) or for any (IS NOT NULL), which both engines read as
 * implying the index's WHERE. So the index leaves them out: one b-tree
 * insert fewer for every new lead, and an index about half the size. */
const char schema_v11_stage_events_from[] =  /* the same in both dialects */
	"DROP INDEX stage_events_from;"
	"CREATE INDEX stage_events_from ON stage_events(from_stage_id, time_in_from)"
	" WHERE from_stage_id IS NOT NULL;";

/* Each new lead picks a volunteer with room (store_pipeline.c), and before
 * this table that meant counting every candidate's queue: 50 full
 * volunteers of 25 cost the writer about 120 us per lead. volunteer_load
 * holds, for each account with anyone in its queue, how many people are
 * assigned to it in an in_queue stage; store_pipeline.c changes it in the
 * same transaction as every change to an assignment, a stage, a
 * stage's in_queue flag or a merged person's row, and a test compares it
 * with the count after each of those. */
#define SCHEMA_V14_VOLUNTEER_LOAD(id_type) \
	"CREATE TABLE volunteer_load (" \
	" user_id " id_type " PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE," \
	" queued INTEGER NOT NULL);" \
	"INSERT INTO volunteer_load (user_id, queued)" \
	" SELECT pp.assignee_id, count(*) FROM person_pipeline pp" \
	" JOIN pipeline_stages st ON st.id = pp.stage_id" \
	" WHERE pp.assignee_id IS NOT NULL AND st.in_queue = 1 GROUP BY pp.assignee_id;"

/* SQLite's rowid is the key; PostgreSQL's users.id is a BIGINT. */
const char schema_v14_volunteer_load_sqlite[] = SCHEMA_V14_VOLUNTEER_LOAD("INTEGER");
const char schema_v14_volunteer_load_postgres[] = SCHEMA_V14_VOLUNTEER_LOAD("BIGINT");
