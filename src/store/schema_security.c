/*
 * schema_security.c — migration 2 (security): two-factor sign-in.
 *
 * users gains the TOTP columns: totp_secret holds nonce || crypto_secretbox
 * of the raw RFC 6238 secret (key: the "totp" purpose key, domain/keys.c),
 * set when enrollment starts; totp_enabled becomes 1 once the person has
 * typed a valid code from it; totp_last_step is the newest 30-second time
 * step accepted, so a code is usable once.
 *
 * login_pending holds the half-signed-in state between the password and the
 * code: a short-lived server-side record named by the hash of a random
 * cookie token, never a flag in the cookie itself. attempts caps wrong
 * codes per record.
 *
 * Both texts describe the same schema: INTEGER/BLOB on SQLite, BIGINT/BYTEA
 * on PostgreSQL.
 */
#include "store/sql.h"

const char schema_v2_security_sqlite[] =
	"ALTER TABLE users ADD COLUMN totp_secret BLOB;"
	"ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE login_pending ("
	" token_hash TEXT PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX login_pending_user ON login_pending(user_id);"
	"CREATE INDEX login_pending_expires ON login_pending(expires_at);";

const char schema_v2_security_postgres[] =
	"ALTER TABLE users ADD COLUMN totp_secret BYTEA;"
	"ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;"
	"CREATE TABLE login_pending ("
	" token_hash TEXT PRIMARY KEY,"
	" user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" created_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX login_pending_user ON login_pending(user_id);"
	"CREATE INDEX login_pending_expires ON login_pending(expires_at);";
