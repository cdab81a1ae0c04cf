/*
 * schema_mail.c — migration 5: nominations, mail templates, the outbox and
 * unsubscribes.
 *
 * nominations: one row per public nomination. The accept link's token is
 * stored only as a hash (hex SHA-256), so a database read does not give
 * anyone the links. nominee_person_id is the "nominated by …" record, not
 * counted as a signup until accepted (it has only a 'nomination'
 * submission); accepted_person_id is who the accepted signup landed in.
 *
 * mail_templates: the editable templates, seeded here with the built-in
 * defaults (subject and text body are Mustache; kind is 'transactional' —
 * mail the person asked for, always sent — or 'marketing' — sent only to
 * people who consented and never unsubscribed).
 *
 * mail_outbox: every message, written in the same job as the change that
 * causes it. status: queued → sent | failed | suppressed. A sender claims a
 * row by setting leased_until in the future (see store_mail.c), so several
 * server processes never send one row twice. subject/body/message_id are
 * filled with what was rendered when it was sent.
 *
 * mail_unsubscribes: addresses that must get no marketing mail, ever.
 */
#include "store/schema_mail.h"

/* The defaults, shared by both dialects (plain INSERTs). Apostrophes are
 * doubled for SQL; bodies are plain text with Mustache tags. */
#define SCHEMA_MAIL_DEFAULTS(NOW)                                                          \
	"INSERT INTO mail_templates (code, name, kind, subject, body, updated_at) VALUES "    \
	"('signup_confirmation', 'Signup confirmation', 'transactional',"                    \
	" 'We got your answers, {{first_name}}',"                                             \
	" 'Hi {{first_name}},\n\nThank you for telling {{org_name}} you want to run for office."  \
	" We got your answers.\n\nA volunteer will get in touch soon to talk about next steps."   \
	" You don''t need any experience: we will help with training, mentors and finding a race.\n\n" \
	"{{org_name}}\n', " NOW "),"                                                          \
	"('welcome_day0', 'Welcome series: day 0', 'marketing',"                             \
	" 'Welcome to {{org_name}}',"                                                         \
	" 'Hi {{first_name}},\n\nWelcome! Thousands of first-time candidates started exactly where"   \
	" you are today. Over the next week we will send you two short notes about how running"      \
	" for local office works.\n\n{{org_name}}\n', " NOW "),"                               \
	"('welcome_day2', 'Welcome series: day 2', 'marketing',"                             \
	" 'Which office could you run for?',"                                                 \
	" 'Hi {{first_name}},\n\nSchool boards, city councils, county offices: most of the offices"  \
	" on your ballot are local, and many go uncontested. On your intro call we will look at the" \
	" ones near you.\n\n{{org_name}}\n', " NOW "),"                                       \
	"('welcome_day5', 'Welcome series: day 5', 'marketing',"                             \
	" 'Your first steps',"                                                                \
	" 'Hi {{first_name}},\n\nThe first steps are small: talk to one of our volunteers, pick a"   \
	" race, and learn the filing deadline. Reply to this message if you have a question.\n\n"    \
	"{{org_name}}\n', " NOW "),"                                                          \
	"('nomination_invite', 'Nomination invitation', 'transactional',"                    \
	" '{{nominator_name}} thinks you should run for office',"                             \
	" 'Hi {{nominee_name}},\n\n{{nominator_name}} nominated you to run for office with"          \
	" {{org_name}}.\n\n{{#reason}}They wrote: {{reason}}\n\n{{/reason}}If you are curious, tell"  \
	" us a little about yourself here:\n{{accept_url}}\n\nIf you are not interested, ignore this" \
	" message: we will not write again.\n\n{{org_name}}\n', " NOW "),"                    \
	"('call_follow_up', 'Call follow-up', 'transactional',"                              \
	" 'Thanks for talking with us, {{first_name}}',"                                      \
	" 'Hi {{first_name}},\n\nThank you for your call with {{org_name}}. We enjoyed hearing"    \
	" about your plans.\n\n{{#follow_up_at_date}}We will be in touch again around"              \
	" {{follow_up_at_date}}.\n\n{{/follow_up_at_date}}{{org_name}}\n', " NOW "),"           \
	"('task_reminder', 'Task reminder (volunteers)', 'transactional',"                   \
	" 'Reminder: {{title}}',"                                                             \
	" 'Hello,\n\nA task assigned to you{{#due_at_date}} is due {{due_at_date}}{{/due_at_date}}:"  \
	"\n\n{{title}}\n\nYour tasks: {{base_url}}/staff\n\n{{org_name}}\n', " NOW "),"       \
	"('filing_deadline', 'Filing deadline reminder', 'transactional',"                   \
	" 'Filing closes {{close_date}}{{#office}}: {{office}}{{/office}}',"                  \
	" 'Hi {{first_name}},\n\nThe filing deadline{{#office}} for {{office}}{{/office}}"          \
	"{{#election}} ({{election}}){{/election}} is {{close_date}}.\n\n{{#filing_where}}Where to"  \
	" file: {{filing_where}}\n{{/filing_where}}{{#filing_how}}How: {{filing_how}}\n"            \
	"{{/filing_how}}\nReply to this message if you want help with the paperwork.\n\n"           \
	"{{org_name}}\n', " NOW ");"

const char schema_mail_sqlite[] =
	"CREATE TABLE nominations ("
	" id INTEGER PRIMARY KEY,"
	" token_hash TEXT NOT NULL UNIQUE,"
	" nominee_person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,"
	" nominator_person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,"
	" nominator_name TEXT NOT NULL,"
	" nominee_name TEXT NOT NULL,"
	" reason TEXT,"
	" status TEXT NOT NULL DEFAULT 'invited',"   /* invited, accepted */
	" created_at INTEGER NOT NULL,"
	" accepted_at INTEGER,"
	" accepted_person_id INTEGER REFERENCES people(id) ON DELETE SET NULL);"
	"CREATE INDEX nominations_nominee ON nominations(nominee_person_id);"
	"CREATE INDEX nominations_nominator ON nominations(nominator_person_id);"
	"CREATE INDEX nominations_accepted ON nominations(accepted_person_id);"

	"CREATE TABLE mail_templates ("
	" id INTEGER PRIMARY KEY,"
	" code TEXT NOT NULL UNIQUE,"
	" name TEXT NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('transactional', 'marketing')),"
	" subject TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL);"

	"CREATE TABLE mail_outbox ("
	" id INTEGER PRIMARY KEY,"
	" template_code TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,"
	" user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
	" to_addr TEXT NOT NULL,"
	" vars TEXT,"
	" status TEXT NOT NULL DEFAULT 'queued',"   /* queued, sent, failed, suppressed */
	" send_after INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" leased_until INTEGER,"
	" last_error TEXT,"
	" subject TEXT, body TEXT, message_id TEXT,"
	" created_at INTEGER NOT NULL,"
	" sent_at INTEGER);"
	"CREATE INDEX mail_outbox_due ON mail_outbox(status, send_after);"
	"CREATE INDEX mail_outbox_person ON mail_outbox(person_id);"
	"CREATE INDEX mail_outbox_to ON mail_outbox(to_addr, status);"

	"CREATE TABLE mail_unsubscribes ("
	" email TEXT PRIMARY KEY,"
	" person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,"
	" method TEXT NOT NULL,"                     /* link, one_click */
	" at INTEGER NOT NULL);"

	SCHEMA_MAIL_DEFAULTS("0");

const char schema_mail_postgres[] =
	"CREATE TABLE nominations ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" token_hash TEXT NOT NULL UNIQUE,"
	" nominee_person_id BIGINT REFERENCES people(id) ON DELETE SET NULL,"
	" nominator_person_id BIGINT REFERENCES people(id) ON DELETE SET NULL,"
	" nominator_name TEXT NOT NULL,"
	" nominee_name TEXT NOT NULL,"
	" reason TEXT,"
	" status TEXT NOT NULL DEFAULT 'invited',"
	" created_at BIGINT NOT NULL,"
	" accepted_at BIGINT,"
	" accepted_person_id BIGINT REFERENCES people(id) ON DELETE SET NULL);"
	"CREATE INDEX nominations_nominee ON nominations(nominee_person_id);"
	"CREATE INDEX nominations_nominator ON nominations(nominator_person_id);"
	"CREATE INDEX nominations_accepted ON nominations(accepted_person_id);"

	"CREATE TABLE mail_templates ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" code TEXT NOT NULL UNIQUE,"
	" name TEXT NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('transactional', 'marketing')),"
	" subject TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" updated_by BIGINT REFERENCES users(id) ON DELETE SET NULL);"

	"CREATE TABLE mail_outbox ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" template_code TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" person_id BIGINT REFERENCES people(id) ON DELETE SET NULL,"
	" user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,"
	" to_addr TEXT NOT NULL,"
	" vars TEXT,"
	" status TEXT NOT NULL DEFAULT 'queued',"
	" send_after BIGINT NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" leased_until BIGINT,"
	" last_error TEXT,"
	" subject TEXT, body TEXT, message_id TEXT,"
	" created_at BIGINT NOT NULL,"
	" sent_at BIGINT);"
	"CREATE INDEX mail_outbox_due ON mail_outbox(status, send_after);"
	"CREATE INDEX mail_outbox_person ON mail_outbox(person_id);"
	"CREATE INDEX mail_outbox_to ON mail_outbox(to_addr, status);"

	"CREATE TABLE mail_unsubscribes ("
	" email TEXT PRIMARY KEY,"
	" person_id BIGINT REFERENCES people(id) ON DELETE SET NULL,"
	" method TEXT NOT NULL,"
	" at BIGINT NOT NULL);"

	SCHEMA_MAIL_DEFAULTS("0");
