-- Admin web tables (embedded SQLite): accounts, sessions, the audit log.
-- Web sign-in for users with a password (admins, department staff).
CREATE TABLE IF NOT EXISTS admin_accounts (
    user_id       TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,
    updated_at    INTEGER NOT NULL
);
-- Signed-in browsers: the cookie's hash, the user and the CSRF token.
CREATE TABLE IF NOT EXISTS admin_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS admin_sessions_by_user ON admin_sessions (user_id);
-- API tokens for other systems (`Authorization: Bearer`): the token's hash, whose it is, its
-- name (one live token per user and name) and when it was revoked.
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_live ON api_tokens (user_id, name)
    WHERE revoked_at IS NULL;
-- What each device last reported about itself (unsent changes after its last round).
CREATE TABLE IF NOT EXISTS device_status (
    device_id   TEXT PRIMARY KEY,
    pending     INTEGER NOT NULL,
    reported_at INTEGER NOT NULL
);
-- Every admin action and sign-in. Append-only: the triggers refuse edits and deletions.
CREATE TABLE IF NOT EXISTS audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor_id    TEXT,
    actor_login TEXT NOT NULL,
    actor_scope TEXT,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    ok          INTEGER NOT NULL,
    ip          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_by_at ON audit_log (at);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
-- Open311 API keys (`api_key`): the key's hash, its name (one live key per name), the org
-- unit it files into and reads, and when it was revoked.
CREATE TABLE IF NOT EXISTS open311_keys (
    key_hash   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    unit_id    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS open311_keys_live ON open311_keys (name)
    WHERE revoked_at IS NULL;
-- Requests filed over Open311: the incident, its tracking token, the key's name, and what the
-- submitter gave that the incident does not hold (contact details stay on the server).
CREATE TABLE IF NOT EXISTS open311_requests (
    incident_id TEXT PRIMARY KEY,
    token       TEXT NOT NULL UNIQUE,
    key_name    TEXT NOT NULL,
    address     TEXT,
    media_url   TEXT,
    contact     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
