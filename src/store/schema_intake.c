/*
 * schema_intake.c — migration 3: the universal lead intake.
 *
 * intake_forms is the registry (a form's key is stored only as a hash; its
 * optional shared secret sealed). intake_submissions tied a submission to
 * its form and partner and kept the payload's unmapped (custom) fields;
 * since migration 13 (below) the submission holds them itself.
 * intake_idempotency makes a retried post count once: one row per
 * (form, Idempotency-Key), written in the same job as the lead.
 * rejected_leads keeps what failed validation, sealed, for fix-and-replay.
 *
 * intake_counters holds the compliance counts. They are kept by triggers,
 * so every path that adds or removes a person, an email, a phone or a
 * submission — signup, intake, staff merge, demo data — changes the count
 * in the same statement, hence the same transaction: the counters equal a
 * recount at every commit, and no code path can forget them. Rows:
 *   ('people', '')  ('emails', '')  ('phones', '')  ('leads', '')
 *   ('leads_day', DAY)   accepted submissions per UTC day (DAY = at / 86400)
 *   ('form_leads', FORM_ID)  ('partner_leads', OWNER)  ('form_rejected', FORM_ID)
 * The migration seeds them from the rows already there.
 */
#include "store/schema_intake.h"

/* The SQLite triggers that count the email and phone keys: made by
 * migration 3, and again by migration 15, which rebuilds their tables
 * (dropping a table drops its triggers). */
#define INTAKE_COUNT_EMAILS_SQLITE \
	"CREATE TRIGGER intake_count_emails_ins AFTER INSERT ON person_emails BEGIN" \
	" UPDATE intake_counters SET value = value + 1 WHERE name = 'emails' AND bucket = ''; END;" \
	"CREATE TRIGGER intake_count_emails_del AFTER DELETE ON person_emails BEGIN" \
	" UPDATE intake_counters SET value = value - 1 WHERE name = 'emails' AND bucket = ''; END;"
#define INTAKE_COUNT_PHONES_SQLITE \
	"CREATE TRIGGER intake_count_phones_ins AFTER INSERT ON person_phones BEGIN" \
	" UPDATE intake_counters SET value = value + 1 WHERE name = 'phones' AND bucket = ''; END;" \
	"CREATE TRIGGER intake_count_phones_del AFTER DELETE ON person_phones BEGIN" \
	" UPDATE intake_counters SET value = value - 1 WHERE name = 'phones' AND bucket = ''; END;"

const char schema_intake_sqlite[] =
	"CREATE TABLE intake_forms ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" owner TEXT NOT NULL DEFAULT '',"       /* '' for the organization, else the partner */
	" key_hash TEXT NOT NULL UNIQUE,"        /* hex BLAKE2b-256 of the form key */
	" key_hint TEXT NOT NULL,"               /* the key's first characters, to tell keys apart */
	" auth TEXT NOT NULL DEFAULT 'key',"     /* key, header, hmac */
	" secret BLOB,"                          /* sealed shared secret for header/hmac */
	" mapping TEXT NOT NULL DEFAULT '{}',"   /* JSON {payload name: person field} */
	" tags TEXT NOT NULL DEFAULT '[]',"      /* JSON array of default tags */
	" rate_per_minute INTEGER NOT NULL DEFAULT 6000,"
	" active INTEGER NOT NULL DEFAULT 1,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"

	"CREATE TABLE intake_submissions ("
	" submission_id INTEGER PRIMARY KEY REFERENCES submissions(id) ON DELETE CASCADE,"
	" form_id INTEGER NOT NULL REFERENCES intake_forms(id),"
	" partner TEXT NOT NULL,"
	" custom TEXT,"                          /* JSON of the unmapped fields, or NULL */
	" tags TEXT,"                            /* JSON array, or NULL */
	" received_at INTEGER NOT NULL);"
	"CREATE INDEX intake_submissions_form ON intake_submissions(form_id, received_at);"

	"CREATE TABLE intake_idempotency ("
	" form_id INTEGER NOT NULL REFERENCES intake_forms(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL,"
	" person_id INTEGER NOT NULL,"
	" submission_id INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" PRIMARY KEY (form_id, key));"

	"CREATE TABLE rejected_leads ("
	" id INTEGER PRIMARY KEY,"
	" form_id INTEGER NOT NULL REFERENCES intake_forms(id),"
	" input BLOB NOT NULL,"                  /* sealed JSON of the mapped input */
	" errors TEXT NOT NULL,"                 /* JSON {field: message} */
	" status TEXT NOT NULL DEFAULT 'open',"  /* open, replayed */
	" received_at INTEGER NOT NULL,"
	" replayed_at INTEGER,"
	" replayed_by INTEGER REFERENCES users(id),"
	" person_id INTEGER);"
	"CREATE INDEX rejected_leads_form ON rejected_leads(form_id, status, received_at);"

	"CREATE TABLE intake_counters ("
	" name TEXT NOT NULL,"
	" bucket TEXT NOT NULL,"
	" value INTEGER NOT NULL,"
	" PRIMARY KEY (name, bucket));"
	"INSERT INTO intake_counters (name, bucket, value) SELECT 'people', '', COUNT(*) FROM people;"
	"INSERT INTO intake_counters (name, bucket, value) SELECT 'emails', '', COUNT(*) FROM person_emails;"
	"INSERT INTO intake_counters (name, bucket, value) SELECT 'phones', '', COUNT(*) FROM person_phones;"
	"INSERT INTO intake_counters (name, bucket, value)"
	" SELECT 'leads', '', COUNT(*) FROM submissions WHERE status = 'accepted';"
	"INSERT INTO intake_counters (name, bucket, value)"
	" SELECT 'leads_day', CAST(received_at / 86400 AS TEXT), COUNT(*) FROM submissions"
	" WHERE status = 'accepted' GROUP BY received_at / 86400;"

	"CREATE TRIGGER intake_count_people_ins AFTER INSERT ON people BEGIN"
	" UPDATE intake_counters SET value = value + 1 WHERE name = 'people' AND bucket = ''; END;"
	"CREATE TRIGGER intake_count_people_del AFTER DELETE ON people BEGIN"
	" UPDATE intake_counters SET value = value - 1 WHERE name = 'people' AND bucket = ''; END;"
	INTAKE_COUNT_EMAILS_SQLITE
	INTAKE_COUNT_PHONES_SQLITE
	"CREATE TRIGGER intake_count_leads_ins AFTER INSERT ON submissions"
	" WHEN NEW.status = 'accepted' BEGIN"
	" UPDATE intake_counters SET value = value + 1 WHERE name = 'leads' AND bucket = '';"
	" INSERT INTO intake_counters (name, bucket, value)"
	" VALUES ('leads_day', CAST(NEW.received_at / 86400 AS TEXT), 1)"
	" ON CONFLICT (name, bucket) DO UPDATE SET value = value + 1; END;"
	"CREATE TRIGGER intake_count_leads_del AFTER DELETE ON submissions"
	" WHEN OLD.status = 'accepted' BEGIN"
	" UPDATE intake_counters SET value = value - 1 WHERE name = 'leads' AND bucket = '';"
	" UPDATE intake_counters SET value = value - 1"
	" WHERE name = 'leads_day' AND bucket = CAST(OLD.received_at / 86400 AS TEXT); END;"
	"CREATE TRIGGER intake_count_form_ins AFTER INSERT ON intake_submissions BEGIN"
	" INSERT INTO intake_counters (name, bucket, value)"
	" VALUES ('form_leads', CAST(NEW.form_id AS TEXT), 1)"
	" ON CONFLICT (name, bucket) DO UPDATE SET value = value + 1;"
	" INSERT INTO intake_counters (name, bucket, value) VALUES ('partner_leads', NEW.partner, 1)"
	" ON CONFLICT (name, bucket) DO UPDATE SET value = value + 1; END;"
	"CREATE TRIGGER intake_count_form_del AFTER DELETE ON intake_submissions BEGIN"
	" UPDATE intake_counters SET value = value - 1"
	" WHERE name = 'form_leads' AND bucket = CAST(OLD.form_id AS TEXT);"
	" UPDATE intake_counters SET value = value - 1"
	" WHERE name = 'partner_leads' AND bucket = OLD.partner; END;"
	"CREATE TRIGGER intake_count_rejected_ins AFTER INSERT ON rejected_leads BEGIN"
	" INSERT INTO intake_counters (name, bucket, value)"
	" VALUES ('form_rejected', CAST(NEW.form_id AS TEXT), 1)"
	" ON CONFLICT (name, bucket) DO UPDATE SET value = value + 1; END;";

/* PostgreSQL: the same tables; the counters are kept by trigger functions.
 * intake_count_rows(name) counts rows of a table under one name;
 * intake_count_leads and intake_count_form keep the bucketed counts. */
const char schema_intake_postgres[] =
	"CREATE TABLE intake_forms ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" owner TEXT NOT NULL DEFAULT '',"
	" key_hash TEXT NOT NULL UNIQUE,"
	" key_hint TEXT NOT NULL,"
	" auth TEXT NOT NULL DEFAULT 'key',"
	" secret BYTEA,"
	" mapping TEXT NOT NULL DEFAULT '{}',"
	" tags TEXT NOT NULL DEFAULT '[]',"
	" rate_per_minute BIGINT NOT NULL DEFAULT 6000,"
	" active INTEGER NOT NULL DEFAULT 1,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL);"

	"CREATE TABLE intake_submissions ("
	" submission_id BIGINT PRIMARY KEY REFERENCES submissions(id) ON DELETE CASCADE,"
	" form_id BIGINT NOT NULL REFERENCES intake_forms(id),"
	" partner TEXT NOT NULL,"
	" custom TEXT,"
	" tags TEXT,"
	" received_at BIGINT NOT NULL);"
	"CREATE INDEX intake_submissions_form ON intake_submissions(form_id, received_at);"

	"CREATE TABLE intake_idempotency ("
	" form_id BIGINT NOT NULL REFERENCES intake_forms(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL,"
	" person_id BIGINT NOT NULL,"
	" submission_id BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" PRIMARY KEY (form_id, key));"

	"CREATE TABLE rejected_leads ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" form_id BIGINT NOT NULL REFERENCES intake_forms(id),"
	" input BYTEA NOT NULL,"
	" errors TEXT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'open',"
	" received_at BIGINT NOT NULL,"
	" replayed_at BIGINT,"
	" replayed_by BIGINT REFERENCES users(id),"
	" person_id BIGINT);"
	"CREATE INDEX rejected_leads_form ON rejected_leads(form_id, status, received_at);"

	"CREATE TABLE intake_counters ("
	" name TEXT NOT NULL,"
	" bucket TEXT NOT NULL,"
	" value BIGINT NOT NULL,"
	" PRIMARY KEY (name, bucket));"
	"INSERT INTO intake_counters (name, bucket, value) SELECT 'people', '', COUNT(*) FROM people;"
	"INSERT INTO intake_counters (name, bucket, value) SELECT 'emails', '', COUNT(*) FROM person_emails;"
	"INSERT INTO intake_counters (name, bucket, value) SELECT 'phones', '', COUNT(*) FROM person_phones;"
	"INSERT INTO intake_counters (name, bucket, value)"
	" SELECT 'leads', '', COUNT(*) FROM submissions WHERE status = 'accepted';"
	"INSERT INTO intake_counters (name, bucket, value)"
	" SELECT 'leads_day', CAST(received_at / 86400 AS TEXT), COUNT(*) FROM submissions"
	" WHERE status = 'accepted' GROUP BY received_at / 86400;"

	"CREATE FUNCTION intake_count_rows() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" BEGIN"
	"  UPDATE intake_counters SET value = value + CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END"
	"  WHERE name = TG_ARGV[0] AND bucket = '';"
	"  RETURN NULL;"
	" END $f$;"
	"CREATE TRIGGER intake_count_people AFTER INSERT OR DELETE ON people"
	" FOR EACH ROW EXECUTE FUNCTION intake_count_rows('people');"
	"CREATE TRIGGER intake_count_emails AFTER INSERT OR DELETE ON person_emails"
	" FOR EACH ROW EXECUTE FUNCTION intake_count_rows('emails');"
	"CREATE TRIGGER intake_count_phones AFTER INSERT OR DELETE ON person_phones"
	" FOR EACH ROW EXECUTE FUNCTION intake_count_rows('phones');"

	"CREATE FUNCTION intake_count_leads() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" BEGIN"
	"  IF TG_OP = 'INSERT' THEN"
	"   IF NEW.status = 'accepted' THEN"
	"    UPDATE intake_counters SET value = value + 1 WHERE name = 'leads' AND bucket = '';"
	"    INSERT INTO intake_counters (name, bucket, value)"
	"    VALUES ('leads_day', CAST(NEW.received_at / 86400 AS TEXT), 1)"
	"    ON CONFLICT (name, bucket) DO UPDATE SET value = intake_counters.value + 1;"
	"   END IF;"
	"  ELSIF OLD.status = 'accepted' THEN"
	"   UPDATE intake_counters SET value = value - 1 WHERE name = 'leads' AND bucket = '';"
	"   UPDATE intake_counters SET value = value - 1"
	"   WHERE name = 'leads_day' AND bucket = CAST(OLD.received_at / 86400 AS TEXT);"
	"  END IF;"
	"  RETURN NULL;"
	" END $f$;"
	"CREATE TRIGGER intake_count_leads AFTER INSERT OR DELETE ON submissions"
	" FOR EACH ROW EXECUTE FUNCTION intake_count_leads();"

	"CREATE FUNCTION intake_count_form() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" BEGIN"
	"  IF TG_OP = 'INSERT' THEN"
	"   INSERT INTO intake_counters (name, bucket, value)"
	"   VALUES ('form_leads', CAST(NEW.form_id AS TEXT), 1)"
	"   ON CONFLICT (name, bucket) DO UPDATE SET value = intake_counters.value + 1;"
	"   INSERT INTO intake_counters (name, bucket, value) VALUES ('partner_leads', NEW.partner, 1)"
	"   ON CONFLICT (name, bucket) DO UPDATE SET value = intake_counters.value + 1;"
	"  ELSE"
	"   UPDATE intake_counters SET value = value - 1"
	"   WHERE name = 'form_leads' AND bucket = CAST(OLD.form_id AS TEXT);"
	"   UPDATE intake_counters SET value = value - 1"
	"   WHERE name = 'partner_leads' AND bucket = OLD.partner;"
	"  END IF;"
	"  RETURN NULL;"
	" END $f$;"
	"CREATE TRIGGER intake_count_form AFTER INSERT OR DELETE ON intake_submissions"
	" FOR EACH ROW EXECUTE FUNCTION intake_count_form();"

	"CREATE FUNCTION intake_count_rejected() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" BEGIN"
	"  INSERT INTO intake_counters (name, bucket, value)"
	"  VALUES ('form_rejected', CAST(NEW.form_id AS TEXT), 1)"
	"  ON CONFLICT (name, bucket) DO UPDATE SET value = intake_counters.value + 1;"
	"  RETURN NULL;"
	" END $f$;"
	"CREATE TRIGGER intake_count_rejected AFTER INSERT ON rejected_leads"
	" FOR EACH ROW EXECUTE FUNCTION intake_count_rejected();";

/* Migration 13: a lead's form link lives in its submission (form_id,
 * partner, custom, tags), one row and one statement fewer per lead; the
 * list of a form's submissions is form_submissions, which SQLite's writer
 * fills in bulk (store_intake.c: thousands of rows sorted by form touch a
 * few hundred pages, where one row per lead touched a page of its own per
 * lead) and PostgreSQL row by row; intake_index_state says how far the
 * bulk has got. The counting triggers move with the rows. */
const char schema_v13_intake_fold_sqlite[] =
	"ALTER TABLE submissions ADD COLUMN form_id INTEGER REFERENCES intake_forms(id);"
	"ALTER TABLE submissions ADD COLUMN partner TEXT;"
	"ALTER TABLE submissions ADD COLUMN custom TEXT;"
	"ALTER TABLE submissions ADD COLUMN tags TEXT;"
	"UPDATE submissions SET form_id = i.form_id, partner = i.partner, custom = i.custom,"
	" tags = i.tags FROM intake_submissions i WHERE i.submission_id = submissions.id;"
	"DROP TRIGGER intake_count_form_ins;"
	"DROP TRIGGER intake_count_form_del;"
	"DROP TABLE intake_submissions;"
	"CREATE TABLE form_submissions ("
	" form_id INTEGER NOT NULL,"
	" submission_id INTEGER NOT NULL,"
	" PRIMARY KEY (form_id, submission_id)) WITHOUT ROWID;"
	"INSERT INTO form_submissions (form_id, submission_id)"
	" SELECT form_id, id FROM submissions WHERE form_id IS NOT NULL ORDER BY form_id, id;"
	"CREATE TABLE intake_index_state (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
	"INSERT INTO intake_index_state (k, v)"
	" SELECT 'form_submissions_upto', coalesce(max(id), 0) FROM submissions;"
	"CREATE TRIGGER intake_count_form_ins AFTER INSERT ON submissions"
	" WHEN NEW.form_id IS NOT NULL BEGIN"
	" INSERT INTO intake_counters (name, bucket, value)"
	" VALUES ('form_leads', CAST(NEW.form_id AS TEXT), 1)"
	" ON CONFLICT (name, bucket) DO UPDATE SET value = value + 1;"
	" INSERT INTO intake_counters (name, bucket, value) VALUES ('partner_leads', NEW.partner, 1)"
	" ON CONFLICT (name, bucket) DO UPDATE SET value = value + 1; END;"
	"CREATE TRIGGER intake_count_form_del AFTER DELETE ON submissions"
	" WHEN OLD.form_id IS NOT NULL BEGIN"
	" UPDATE intake_counters SET value = value - 1"
	" WHERE name = 'form_leads' AND bucket = CAST(OLD.form_id AS TEXT);"
	" UPDATE intake_counters SET value = value - 1"
	" WHERE name = 'partner_leads' AND bucket = OLD.partner; END;";

const char schema_v13_intake_fold_postgres[] =
	"ALTER TABLE submissions ADD COLUMN form_id BIGINT REFERENCES intake_forms(id),"
	" ADD COLUMN partner TEXT, ADD COLUMN custom TEXT, ADD COLUMN tags TEXT;"
	"UPDATE submissions s SET form_id = i.form_id, partner = i.partner, custom = i.custom,"
	" tags = i.tags FROM intake_submissions i WHERE i.submission_id = s.id;"
	"DROP TRIGGER intake_count_form ON intake_submissions;"
	"DROP TABLE intake_submissions;"
	"CREATE TABLE form_submissions ("
	" form_id BIGINT NOT NULL,"
	" submission_id BIGINT NOT NULL,"
	" PRIMARY KEY (form_id, submission_id));"
	"INSERT INTO form_submissions (form_id, submission_id)"
	" SELECT form_id, id FROM submissions WHERE form_id IS NOT NULL;"
	"CREATE TABLE intake_index_state (k TEXT PRIMARY KEY, v BIGINT NOT NULL);"
	"INSERT INTO intake_index_state (k, v) VALUES ('form_submissions_upto', 0);"
	"CREATE OR REPLACE FUNCTION intake_count_form() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" BEGIN"
	"  IF TG_OP = 'INSERT' THEN"
	"   IF NEW.form_id IS NOT NULL THEN"
	"    INSERT INTO intake_counters (name, bucket, value)"
	"    VALUES ('form_leads', CAST(NEW.form_id AS TEXT), 1)"
	"    ON CONFLICT (name, bucket) DO UPDATE SET value = intake_counters.value + 1;"
	"    INSERT INTO intake_counters (name, bucket, value) VALUES ('partner_leads', NEW.partner, 1)"
	"    ON CONFLICT (name, bucket) DO UPDATE SET value = intake_counters.value + 1;"
	"   END IF;"
	"  ELSIF OLD.form_id IS NOT NULL THEN"
	"   UPDATE intake_counters SET value = value - 1"
	"   WHERE name = 'form_leads' AND bucket = CAST(OLD.form_id AS TEXT);"
	"   UPDATE intake_counters SET value = value - 1"
	"   WHERE name = 'partner_leads' AND bucket = OLD.partner;"
	"  END IF;"
	"  RETURN NULL;"
	" END $f$;"
	"CREATE TRIGGER intake_count_form AFTER INSERT OR DELETE ON submissions"
	" FOR EACH ROW EXECUTE FUNCTION intake_count_form();";

/* Migration 15: the email and phone keys as WITHOUT ROWID tables on
 * SQLite. Each was a rowid table plus the index of its key, so a new lead
 * wrote two b-trees per key and every dedupe lookup searched the key's
 * index and then the table; keyed by the address itself, a key is one
 * b-tree. On the intake benchmark (bench/README) the two rowid tables
 * were 2.4 of the 51 WAL pages of a commit, and the raw inserts of a lead
 * ran 1-7% faster without them. SQLite changes a table's kind only by
 * rebuilding it: a new table, the rows copied, the old one dropped (with
 * its triggers: the implicit delete of DROP TABLE fires none, so the
 * counters stay), the new one renamed, its index and triggers made again.
 * Same columns, constraints and names, so no query changes. PostgreSQL
 * tables have no rowid b-tree: nothing to do there. */
const char schema_v15_key_tables_sqlite[] =
	"CREATE TABLE person_emails_v15 ("
	" email TEXT PRIMARY KEY,"
	" person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" created_at INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO person_emails_v15 (email, person_id, created_at)"
	" SELECT email, person_id, created_at FROM person_emails;"
	"DROP TABLE person_emails;"
	"ALTER TABLE person_emails_v15 RENAME TO person_emails;"
	"CREATE INDEX person_emails_person ON person_emails(person_id);"
	INTAKE_COUNT_EMAILS_SQLITE
	"CREATE TABLE person_phones_v15 ("
	" phone TEXT PRIMARY KEY,"
	" person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
	" created_at INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO person_phones_v15 (phone, person_id, created_at)"
	" SELECT phone, person_id, created_at FROM person_phones;"
	"DROP TABLE person_phones;"
	"ALTER TABLE person_phones_v15 RENAME TO person_phones;"
	"CREATE INDEX person_phones_person ON person_phones(person_id);"
	INTAKE_COUNT_PHONES_SQLITE;

const char schema_v15_key_tables_postgres[] = "SELECT 1;";
