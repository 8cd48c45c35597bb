-- Gridwalk server schema, version 1 (embedded SQLite).
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reference (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    data    TEXT NOT NULL
);
-- One row per document: its current whole state and routing.
CREATE TABLE IF NOT EXISTS docs (
    doc_id     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    scope      TEXT NOT NULL,
    department TEXT,
    snapshot   BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_by_scope ON docs (scope, doc_id);
CREATE INDEX IF NOT EXISTS docs_by_department ON docs (department) WHERE department IS NOT NULL;
-- The change log devices page through by sequence.
CREATE TABLE IF NOT EXISTS changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id    TEXT NOT NULL,
    device_id TEXT NOT NULL,
    data      BLOB NOT NULL,
    kind      TEXT NOT NULL DEFAULT '',
    scope     TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS devices (
    device_id    TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    app_version  TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_sync_at INTEGER,
    revoked_at   INTEGER,
    recovery_opened INTEGER
);
CREATE TABLE IF NOT EXISTS enroll_codes (
    code_hash  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    device_id  TEXT
);
-- One query row per document, derived from its record (dashboards, queues, exports).
CREATE TABLE IF NOT EXISTS record_index (
    doc_id       TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    department   TEXT,
    status       TEXT,
    category     TEXT,
    level        TEXT,
    actor        TEXT,
    subject      TEXT,
    at           INTEGER,
    due          INTEGER,
    done_at      INTEGER,
    satisfaction TEXT,
    json         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS record_index_by_kind ON record_index (kind, scope, at);
-- Which documents reference which blobs (photos, audio), for download permission checks;
-- the device whose sync round first carried the reference, and when (missing uploads).
CREATE TABLE IF NOT EXISTS blob_refs (
    blob      TEXT NOT NULL,
    doc_id    TEXT NOT NULL,
    device_id TEXT,
    since     INTEGER,
    PRIMARY KEY (blob, doc_id)
);
CREATE INDEX IF NOT EXISTS blob_refs_by_doc ON blob_refs (doc_id);
