-- Gridwalk server schema, version 1 (PostgreSQL). Run on every open, under an advisory lock,
-- so every statement is idempotent. Times are epoch milliseconds (BIGINT), as in SQLite.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reference (
    id      INT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    data    TEXT NOT NULL
);
-- One row per document: its current whole state and routing.
CREATE TABLE IF NOT EXISTS docs (
    doc_id     UUID PRIMARY KEY,
    kind       TEXT NOT NULL,
    scope      UUID NOT NULL,
    department UUID,
    snapshot   BYTEA NOT NULL,
    seq        BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_by_scope ON docs (scope, doc_id);
CREATE INDEX IF NOT EXISTS docs_by_department ON docs (department) WHERE department IS NOT NULL;
-- The change log devices page through by sequence. Sequences are handed out by `log_top`
-- at the end of each commit, in commit order (docs/storage-postgres.md).
CREATE TABLE IF NOT EXISTS changes (
    seq       BIGINT PRIMARY KEY,
    doc_id    UUID NOT NULL,
    device_id UUID NOT NULL,
    data      BYTEA NOT NULL,
    kind      TEXT NOT NULL,
    scope     UUID NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_scope_seq ON changes (scope, seq) INCLUDE (device_id);
CREATE INDEX IF NOT EXISTS changes_by_doc_seq ON changes (doc_id, seq) INCLUDE (device_id);
-- The change log's high-water mark: the one counter every commit takes its sequences from.
CREATE TABLE IF NOT EXISTS log_top (
    id  INT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO log_top (id, seq) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS devices (
    device_id    UUID PRIMARY KEY,
    user_id      UUID NOT NULL,
    name         TEXT NOT NULL,
    app_version  TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_sync_at BIGINT,
    revoked_at   BIGINT
);
-- When the device's re-send window after a restore opened (added after version 1's first cut).
ALTER TABLE devices ADD COLUMN IF NOT EXISTS recovery_opened BIGINT;
CREATE INDEX IF NOT EXISTS devices_by_user ON devices (user_id);
CREATE TABLE IF NOT EXISTS enroll_codes (
    code_hash  TEXT PRIMARY KEY,
    user_id    UUID NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    device_id  UUID
);
-- One query row per document, derived from its record (dashboards, queues, exports).
CREATE TABLE IF NOT EXISTS record_index (
    doc_id       UUID PRIMARY KEY,
    kind         TEXT NOT NULL,
    scope        UUID NOT NULL,
    department   UUID,
    status       TEXT,
    category     TEXT,
    level        TEXT,
    actor        UUID,
    subject      UUID,
    at           BIGINT,
    due          BIGINT,
    done_at      BIGINT,
    satisfaction TEXT,
    json         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS record_index_by_kind ON record_index (kind, scope, at);
CREATE INDEX IF NOT EXISTS record_index_by_due ON record_index (due) WHERE due IS NOT NULL;
-- Which documents reference which blobs; the device whose round first carried it, and when.
CREATE TABLE IF NOT EXISTS blob_refs (
    blob      TEXT NOT NULL,
    doc_id    UUID NOT NULL,
    device_id UUID,
    since     BIGINT,
    PRIMARY KEY (blob, doc_id)
);
CREATE INDEX IF NOT EXISTS blob_refs_by_doc ON blob_refs (doc_id);
-- Admin web: accounts (with the lock-out state every node shares), sessions, API tokens.
CREATE TABLE IF NOT EXISTS admin_accounts (
    user_id       UUID PRIMARY KEY,
    password_hash TEXT NOT NULL,
    failures      BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    updated_at    BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS admin_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    UUID NOT NULL,
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS admin_sessions_by_user ON admin_sessions (user_id);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    UUID NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_live ON api_tokens (user_id, name)
    WHERE revoked_at IS NULL;
CREATE TABLE IF NOT EXISTS device_status (
    device_id   UUID PRIMARY KEY,
    pending     BIGINT NOT NULL,
    reported_at BIGINT NOT NULL
);
-- Every admin action and sign-in. Append-only: the triggers refuse edits and deletions.
CREATE TABLE IF NOT EXISTS audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor_id    UUID,
    actor_login TEXT NOT NULL,
    actor_scope UUID,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    ok          BOOLEAN NOT NULL,
    ip          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_by_at ON audit_log (at);
CREATE OR REPLACE FUNCTION gridwalk_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION gridwalk_audit_append_only();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION gridwalk_audit_append_only();
-- Open311 API keys (one live key per name) and the requests filed with them.
CREATE TABLE IF NOT EXISTS open311_keys (
    key_hash   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    unit_id    UUID NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX IF NOT EXISTS open311_keys_live ON open311_keys (name)
    WHERE revoked_at IS NULL;
CREATE TABLE IF NOT EXISTS open311_requests (
    incident_id UUID PRIMARY KEY,
    token       TEXT NOT NULL UNIQUE,
    key_name    TEXT NOT NULL,
    address     TEXT,
    media_url   TEXT,
    contact     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
-- The schema version this database was last brought to (kept out of `meta`, which moves
-- with a deployment between backends).
CREATE TABLE IF NOT EXISTS schema_version (
    id      INT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO schema_version (id, version) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;
