/*
 * schema_tables.c — the list of schema_tables.h: every table, parents
 * before children, for `onramp copy-data`.
 *
 * Keep it beside the migrations: a migration that creates a table or adds
 * a column adds it here too (tests/unit/test_pg_copy.c fails until it
 * does, and copy-data refuses to run, rather than leave data behind). The
 * SQL of each entry is built at compile time from its name and column list,
 * so every statement is constant text.
 *
 * Order: users and people first, then what hangs off them; the seeded
 * tables (SCHEMA_COPY_REPLACE) where their children need them;
 * intake_counters last, because the PostgreSQL triggers count every person,
 * email, phone and lead the copy inserts before it, and the source's
 * counters then replace what they counted.
 */
#include "store/schema_tables.h"

#define COPY_SQL(name, kind, types, cols, params, order, identity)                    \
	{ name, kind, types, cols,                                                     \
	  "SELECT " cols " FROM " name " ORDER BY " order,                             \
	  "INSERT INTO " name " (" cols ") VALUES (" params ")",                       \
	  "SELECT count(*) FROM " name,                                                \
	  "SELECT 1 FROM " name " LIMIT 1",                                            \
	  "DELETE FROM " name,                                                         \
	  identity }

/* A table whose id is an identity column on PostgreSQL. */
#define COPY_TABLE_ID(name, kind, types, cols, params, order)                         \
	COPY_SQL(name, kind, types, cols, params, order,                               \
	         "SELECT setval(pg_get_serial_sequence('" name "', 'id'),"             \
	         " COALESCE((SELECT max(id) FROM " name "), 0) + 1, false)")
#define COPY_TABLE(name, kind, types, cols, params, order)                            \
	COPY_SQL(name, kind, types, cols, params, order, NULL)

const struct schema_table schema_tables[] = {
	COPY_TABLE_ID("users", SCHEMA_COPY_EMPTY, "itttiiibii",
	           "id, email, password_hash, role, disabled, created_at, "
	           "password_changed_at, totp_secret, totp_enabled, totp_last_step",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE_ID("people", SCHEMA_COPY_EMPTY, "ittttttttttttbiiittii",
	           "id, first_name, last_name, preferred_name, address1, address2, "
	           "city, state, zip, birth_date, age_range, issues, why_run, "
	           "demographics, consent_email, consent_sms, consent_share, source, "
	           "ref_code, created_at, updated_at",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE("person_emails", SCHEMA_COPY_EMPTY, "tii",
	           "email, person_id, created_at",
	           "?, ?, ?", "email"),
	COPY_TABLE("person_phones", SCHEMA_COPY_EMPTY, "tii",
	           "phone, person_id, created_at",
	           "?, ?, ?", "phone"),
	COPY_TABLE("person_choices", SCHEMA_COPY_EMPTY, "itt",
	           "person_id, field, code",
	           "?, ?, ?", "person_id, field, code"),
	COPY_TABLE_ID("intake_forms", SCHEMA_COPY_EMPTY, "itttttbttiiii",
	           "id, name, owner, key_hash, key_hint, auth, secret, mapping, tags, "
	           "rate_per_minute, active, created_at, updated_at",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE_ID("submissions", SCHEMA_COPY_EMPTY, "iittttttbtiittt",
	           "id, person_id, kind, status, hold_reason, source, ref_code, "
	           "payload, sensitive, ip_hash, received_at, form_id, partner, custom, tags",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE("form_submissions", SCHEMA_COPY_EMPTY, "ii",
	           "form_id, submission_id",
	           "?, ?", "form_id, submission_id"),
	COPY_TABLE("intake_index_state", SCHEMA_COPY_REPLACE, "ti",
	           "k, v",
	           "?, ?", "k"),
	COPY_TABLE_ID("duplicate_flags", SCHEMA_COPY_EMPTY, "iiiittiii",
	           "id, person_a, person_b, submission_id, reason, status, "
	           "created_at, resolved_at, resolved_by",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE_ID("notes", SCHEMA_COPY_EMPTY, "iiiti",
	           "id, person_id, author_id, body, created_at",
	           "?, ?, ?, ?, ?", "id"),
	COPY_TABLE("sessions", SCHEMA_COPY_EMPTY, "tiiii",
	           "token_hash, user_id, created_at, last_seen, expires_at",
	           "?, ?, ?, ?, ?", "token_hash"),
	COPY_TABLE("login_failures", SCHEMA_COPY_EMPTY, "tii",
	           "key, window_start, count",
	           "?, ?, ?", "key"),
	COPY_TABLE("login_pending", SCHEMA_COPY_EMPTY, "tiiii",
	           "token_hash, user_id, created_at, expires_at, attempts",
	           "?, ?, ?, ?, ?", "token_hash"),
	COPY_TABLE_ID("audit_log", SCHEMA_COPY_EMPTY, "iiittitttt",
	           "id, at, user_id, action, entity, entity_id, before, after, "
	           "prev_hash, hash",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE("intake_idempotency", SCHEMA_COPY_EMPTY, "itiii",
	           "form_id, key, person_id, submission_id, created_at",
	           "?, ?, ?, ?, ?", "form_id, key"),
	COPY_TABLE_ID("rejected_leads", SCHEMA_COPY_EMPTY, "iibttiiii",
	           "id, form_id, input, errors, status, received_at, replayed_at, "
	           "replayed_by, person_id",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE_ID("pipeline_stages", SCHEMA_COPY_REPLACE, "ittiiiii",
	           "id, code, label, position, in_queue, funnel, active, created_at",
	           "?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE("person_pipeline", SCHEMA_COPY_EMPTY, "iiiitiiiii",
	           "person_id, stage_id, stage_since, max_position, signup_month, "
	           "assignee_id, assigned_at, first_call_at, last_call_at, "
	           "entered_at",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?", "person_id"),
	COPY_TABLE_ID("stage_events", SCHEMA_COPY_EMPTY, "iiiiiiti",
	           "id, person_id, from_stage_id, to_stage_id, at, by_user, reason, "
	           "time_in_from",
	           "?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE_ID("tasks", SCHEMA_COPY_EMPTY, "iiitiiii",
	           "id, person_id, assignee_id, title, due_at, done_at, created_by, "
	           "created_at",
	           "?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE_ID("calls", SCHEMA_COPY_EMPTY, "iiiitttittii",
	           "id, person_id, caller_id, at, outcome, office, timeline, "
	           "readiness, needs, notes, next_stage_id, task_id",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE_ID("tags", SCHEMA_COPY_EMPTY, "iti",
	           "id, name, created_at",
	           "?, ?, ?", "id"),
	COPY_TABLE("person_tags", SCHEMA_COPY_EMPTY, "ii",
	           "person_id, tag_id",
	           "?, ?", "person_id, tag_id"),
	COPY_TABLE_ID("saved_views", SCHEMA_COPY_EMPTY, "iitti",
	           "id, owner_id, name, query, created_at",
	           "?, ?, ?, ?, ?", "id"),
	COPY_TABLE("volunteer_settings", SCHEMA_COPY_EMPTY, "iitii",
	           "user_id, capacity, states, last_assigned_seq, updated_at",
	           "?, ?, ?, ?, ?", "user_id"),
	COPY_TABLE("volunteer_load", SCHEMA_COPY_EMPTY, "ii",
	           "user_id, queued",
	           "?, ?", "user_id"),
	COPY_TABLE("pipeline_settings", SCHEMA_COPY_EMPTY, "tt",
	           "key, value",
	           "?, ?", "key"),
	COPY_TABLE_ID("nominations", SCHEMA_COPY_EMPTY, "itiittttiii",
	           "id, token_hash, nominee_person_id, nominator_person_id, "
	           "nominator_name, nominee_name, reason, status, created_at, "
	           "accepted_at, accepted_person_id",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE_ID("mail_templates", SCHEMA_COPY_REPLACE, "itttttii",
	           "id, code, name, kind, subject, body, updated_at, updated_by",
	           "?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE_ID("mail_outbox", SCHEMA_COPY_EMPTY, "ittiitttiiittttii",
	           "id, template_code, kind, person_id, user_id, to_addr, vars, "
	           "status, send_after, attempts, leased_until, last_error, subject, "
	           "body, message_id, created_at, sent_at",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE("mail_unsubscribes", SCHEMA_COPY_EMPTY, "titi",
	           "email, person_id, method, at",
	           "?, ?, ?, ?", "email"),
	COPY_TABLE("divisions", SCHEMA_COPY_EMPTY, "tttttbi",
	           "id, name, type, parent_id, state, boundary, updated_at",
	           "?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE_ID("offices", SCHEMA_COPY_EMPTY, "ittttiitiitti",
	           "id, code, name, level, division_id, seats, term_years, salary, "
	           "partisan, min_age, residency, filing_requirements, updated_at",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE_ID("elections", SCHEMA_COPY_EMPTY, "ittttiiitti",
	           "id, code, state, name, kind, election_day, filing_opens, "
	           "filing_closes, filing_where, filing_how, updated_at",
	           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE_ID("races", SCHEMA_COPY_EMPTY, "iiittiii",
	           "id, office_id, election_id, incumbent, candidates, "
	           "candidate_count, uncontested_last, updated_at",
	           "?, ?, ?, ?, ?, ?, ?, ?", "id"),
	COPY_TABLE("person_races", SCHEMA_COPY_EMPTY, "iiiti",
	           "person_id, race_id, target, source, created_at",
	           "?, ?, ?, ?, ?", "person_id, race_id"),
	COPY_TABLE("race_deadline_tasks", SCHEMA_COPY_EMPTY, "iiiii",
	           "person_id, race_id, days_before, task_id, created_at",
	           "?, ?, ?, ?, ?", "person_id, race_id, days_before"),
	COPY_TABLE("zip_centroids", SCHEMA_COPY_EMPTY, "tiiti",
	           "zip, lat_e6, lon_e6, state, updated_at",
	           "?, ?, ?, ?, ?", "zip"),
	COPY_TABLE("races_meta", SCHEMA_COPY_REPLACE, "ti",
	           "key, value",
	           "?, ?", "key"),
	COPY_TABLE("rate_limits", SCHEMA_COPY_EMPTY, "tii",
	           "key, window_start, count",
	           "?, ?, ?", "key"),
	COPY_TABLE("intake_counters", SCHEMA_COPY_REPLACE, "tti",
	           "name, bucket, value",
	           "?, ?, ?", "name, bucket"),
};
const size_t schema_tables_count = sizeof(schema_tables) / sizeof(schema_tables[0]);

const char *const schema_tables_derived[] = {
	"schema_migrations",
	"people_search",
	"people_fts_log",
};
const size_t schema_tables_derived_count =
	sizeof(schema_tables_derived) / sizeof(schema_tables_derived[0]);
