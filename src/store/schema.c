/*
 * schema.c — the database schema as ordered migrations.
 *
 * A migration is never edited once released: a change is a new entry.
 * Timestamps are INTEGER seconds since the epoch (UTC). Emails and phones
 * live in their own tables whose primary keys make "unique by email and by
 * phone" a database constraint, not a hope. Multi-choice answers live in
 * person_choices so filters use an index. people_fts is the FTS5 index for
 * the staff search (name, emails, phone digits, ZIP), kept by store_people.c.
 */
#include "store/sql.h"
#include "store/schema_intake.h"
#include "store/schema_mail.h"
#include "store/schema_pipeline.h"
#include "store/schema_races.h"

static const char schema_v1_sqlite[] =
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY,"
	" email TEXT NOT NULL UNIQUE,"
	" password_hash TEXT NOT NULL,"
	" role TEXT NOT NULL,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL,"
	" password_changed_at INTEGER NOT NULL);"

	"CREATE TABLE people ("
	" id INTEGER PRIMARY KEY,"
	" first_name TEXT NOT NULL,"
	" last_name TEXT NOT NULL,"
	" preferred_name TEXT,"
	" address1 TEXT, address2 TEXT, city TEXT, state TEXT, zip TEXT,"
	" birth_date TEXT, age_range TEXT,"
	" issues TEXT, why_run TEXT,"
	" demographics BLOB,"                 /* nonce || crypto_secretbox(JSON) */
	" consent_email INTEGER NOT NULL DEFAULT 0,"
	" consent_sms INTEGER NOT NULL DEFAULT 0,"
	" consent_share INTEGER NOT NULL DEFAULT 0,"
	" source TEXT, ref_code TEXT,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"
	"CREATE INDEX people_created ON people(created_at);"
	"CREATE INDEX people_state ON people(state, created_at);"
	"CREATE INDEX people_source ON people(source, created_at);"
	"CREATE INDEX people_name ON people(last_name, first_name);"

	"CREATE TABLE person_emails ("
	" email TEXT PRIMARY KEY,"            /* normalized */
	" person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX person_emails_person ON person_emails(person_id);"

	"CREATE TABLE person_phones ("
	" phone TEXT PRIMARY KEY,"            /* E.164 */
	" person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX person_phones_person ON person_phones(person_id);"

	"CREATE TABLE person_choices ("
	" person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" field TEXT NOT NULL,"               /* office_interests, help_wanted */
	" code TEXT NOT NULL,"
	" PRIMARY KEY (person_id, field, code));"
	"CREATE INDEX person_choices_code ON person_choices(field, code, person_id);"

	"CREATE TABLE submissions ("
	" id INTEGER PRIMARY KEY,"
	" person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,"
	" kind TEXT NOT NULL,"                /* signup, intake, nomination */
	" status TEXT NOT NULL,"              /* accepted, held */
	" hold_reason TEXT,"                  /* why a held submission was held */
	" source TEXT, ref_code TEXT,"
	" payload TEXT NOT NULL,"             /* JSON of the typed answers, sensitive ones removed */
	" sensitive BLOB,"                    /* nonce || crypto_secretbox(JSON of sensitive answers) */
	" ip_hash TEXT,"
	" received_at INTEGER NOT NULL);"
	"CREATE INDEX submissions_person ON submissions(person_id, received_at);"
	"CREATE INDEX submissions_received ON submissions(received_at);"

	"CREATE TABLE duplicate_flags ("
	" id INTEGER PRIMARY KEY,"
	" person_a INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" person_b INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" submission_id INTEGER REFERENCES submissions(id) ON DELETE SET NULL,"
	" reason TEXT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'open',"  /* open, merged, dismissed */
	" created_at INTEGER NOT NULL,"
	" resolved_at INTEGER,"
	" resolved_by INTEGER REFERENCES users(id));"
	"CREATE INDEX duplicate_flags_status ON duplicate_flags(status, created_at);"
	"CREATE INDEX duplicate_flags_a ON duplicate_flags(person_a);"
	"CREATE INDEX duplicate_flags_b ON duplicate_flags(person_b);"

	"CREATE TABLE notes ("
	" id INTEGER PRIMARY KEY,"
	" person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" author_id INTEGER REFERENCES users(id),"
	" body TEXT NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX notes_person ON notes(person_id, created_at);"

	"CREATE TABLE sessions ("
	" token_hash TEXT PRIMARY KEY,"       /* hex of a hash of the cookie's token */
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" created_at INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"      /* absolute expiry */
	"CREATE INDEX sessions_user ON sessions(user_id);"

	"CREATE TABLE login_failures ("
	" key TEXT PRIMARY KEY,"              /* 'acct:<email>' or 'ip:<hash>' */
	" window_start INTEGER NOT NULL,"
	" count INTEGER NOT NULL);"

	"CREATE TABLE audit_log ("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" user_id INTEGER REFERENCES users(id),"
	" action TEXT NOT NULL,"              /* e.g. person.note_add, person.merge */
	" entity TEXT NOT NULL,"
	" entity_id INTEGER,"
	" before TEXT,"                       /* JSON or NULL */
	" after TEXT,"                        /* JSON or NULL */
	" prev_hash TEXT NOT NULL,"
	" hash TEXT NOT NULL);"
	"CREATE INDEX audit_log_at ON audit_log(at);"

	"CREATE VIRTUAL TABLE people_fts USING fts5("
	" name, contact, zip, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');";

/* The same schema for PostgreSQL: identity ids, BIGINT times and keys,
 * BYTEA for sealed bytes. The staff search's FTS5 table becomes
 * people_search: one tsvector per person (name weight A, contact B, ZIP
 * C) under a GIN index, queried with prefix terms (see store_people.c). */
static const char schema_v1_postgres[] =
	"CREATE TABLE users ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" email TEXT NOT NULL UNIQUE,"
	" password_hash TEXT NOT NULL,"
	" role TEXT NOT NULL,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" created_at BIGINT NOT NULL,"
	" password_changed_at BIGINT NOT NULL);"

	"CREATE TABLE people ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" first_name TEXT NOT NULL,"
	" last_name TEXT NOT NULL,"
	" preferred_name TEXT,"
	" address1 TEXT, address2 TEXT, city TEXT, state TEXT, zip TEXT,"
	" birth_date TEXT, age_range TEXT,"
	" issues TEXT, why_run TEXT,"
	" demographics BYTEA,"
	" consent_email INTEGER NOT NULL DEFAULT 0,"
	" consent_sms INTEGER NOT NULL DEFAULT 0,"
	" consent_share INTEGER NOT NULL DEFAULT 0,"
	" source TEXT, ref_code TEXT,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL);"
	"CREATE INDEX people_created ON people(created_at);"
	"CREATE INDEX people_state ON people(state, created_at);"
	"CREATE INDEX people_source ON people(source, created_at);"
	"CREATE INDEX people_name ON people(last_name, first_name);"

	"CREATE TABLE person_emails ("
	" email TEXT PRIMARY KEY,"
	" person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" created_at BIGINT NOT NULL);"
	"CREATE INDEX person_emails_person ON person_emails(person_id);"

	"CREATE TABLE person_phones ("
	" phone TEXT PRIMARY KEY,"
	" person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" created_at BIGINT NOT NULL);"
	"CREATE INDEX person_phones_person ON person_phones(person_id);"

	"CREATE TABLE person_choices ("
	" person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" field TEXT NOT NULL,"
	" code TEXT NOT NULL,"
	" PRIMARY KEY (person_id, field, code));"
	"CREATE INDEX person_choices_code ON person_choices(field, code, person_id);"

	"CREATE TABLE submissions ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" person_id BIGINT REFERENCES people(id) ON DELETE SET NULL,"
	" kind TEXT NOT NULL,"
	" status TEXT NOT NULL,"
	" hold_reason TEXT,"
	" source TEXT, ref_code TEXT,"
	" payload TEXT NOT NULL,"
	" sensitive BYTEA,"
	" ip_hash TEXT,"
	" received_at BIGINT NOT NULL);"
	"CREATE INDEX submissions_person ON submissions(person_id, received_at);"
	"CREATE INDEX submissions_received ON submissions(received_at);"

	"CREATE TABLE duplicate_flags ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" person_a BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" person_b BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" submission_id BIGINT REFERENCES submissions(id) ON DELETE SET NULL,"
	" reason TEXT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'open',"
	" created_at BIGINT NOT NULL,"
	" resolved_at BIGINT,"
	" resolved_by BIGINT REFERENCES users(id));"
	"CREATE INDEX duplicate_flags_status ON duplicate_flags(status, created_at);"
	"CREATE INDEX duplicate_flags_a ON duplicate_flags(person_a);"
	"CREATE INDEX duplicate_flags_b ON duplicate_flags(person_b);"

	"CREATE TABLE notes ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" author_id BIGINT REFERENCES users(id),"
	" body TEXT NOT NULL,"
	" created_at BIGINT NOT NULL);"
	"CREATE INDEX notes_person ON notes(person_id, created_at);"

	"CREATE TABLE sessions ("
	" token_hash TEXT PRIMARY KEY,"
	" user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" created_at BIGINT NOT NULL,"
	" last_seen BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL);"
	"CREATE INDEX sessions_user ON sessions(user_id);"

	"CREATE TABLE login_failures ("
	" key TEXT PRIMARY KEY,"
	" window_start BIGINT NOT NULL,"
	" count INTEGER NOT NULL);"

	"CREATE TABLE audit_log ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" at BIGINT NOT NULL,"
	" user_id BIGINT REFERENCES users(id),"
	" action TEXT NOT NULL,"
	" entity TEXT NOT NULL,"
	" entity_id BIGINT,"
	" before TEXT,"
	" after TEXT,"
	" prev_hash TEXT NOT NULL,"
	" hash TEXT NOT NULL);"
	"CREATE INDEX audit_log_at ON audit_log(at);"

	"CREATE TABLE people_search ("
	" person_id BIGINT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,"
	" doc TSVECTOR NOT NULL);"
	"CREATE INDEX people_search_doc ON people_search USING GIN (doc);";

const struct migration migrations[] = {
	{ 1, "people core, accounts, audit", schema_v1_sqlite, schema_v1_postgres },
	{ 2, "security: two-factor sign-in", schema_v2_security_sqlite, schema_v2_security_postgres },
	{ 3, "intake: forms, rejected leads, exact counters", schema_intake_sqlite, schema_intake_postgres },
	{ 4, "pipeline: stages, calls, tasks, tags, views", schema_v4_pipeline_sqlite,
	  schema_v4_pipeline_postgres },
	{ 5, "email and nominations: templates, outbox, unsubscribes", schema_mail_sqlite,
	  schema_mail_postgres },
	{ 6, "races: divisions, offices, elections, races, ZIP centroids", schema_v6_races_sqlite,
	  schema_v6_races_postgres },
	{ 7, "shared rate limits", schema_v7_ratelimit_sqlite, schema_v7_ratelimit_postgres },
	{ 8, "people list at scale: state and name index", schema_v8_search, schema_v8_search },
	{ 9, "search index queue", schema_v9_search_queue_sqlite, schema_v9_search_queue_postgres },
	{ 10, "first pipeline stage index", schema_v10_first_stage, schema_v10_first_stage },
	{ 11, "stage events: from-stage index without signups", schema_v11_stage_events_from,
	  schema_v11_stage_events_from },
	{ 12, "search index beside the database, fed by a log", schema_v12_search_log_sqlite,
	  schema_v12_search_log_postgres },
	{ 13, "intake: the form link in the submission, the form's list in bulk",
	  schema_v13_intake_fold_sqlite, schema_v13_intake_fold_postgres },
	{ 14, "volunteers' queue sizes kept as they change", schema_v14_volunteer_load_sqlite,
	  schema_v14_volunteer_load_postgres },
	{ 15, "the email and phone keys without a rowid", schema_v15_key_tables_sqlite,
	  schema_v15_key_tables_postgres },
};
const size_t migrations_count = sizeof(migrations) / sizeof(migrations[0]);
