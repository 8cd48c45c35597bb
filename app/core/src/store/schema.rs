//! Table layout and migrations, tracked by SQLite's `user_version`.

use rusqlite::Connection;

use crate::Result;

/// Migrations in order; migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE reference (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    data    TEXT NOT NULL
);

CREATE TABLE docs (
    doc_id     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    scope      TEXT NOT NULL,
    data       BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE outbox (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES docs(doc_id) ON DELETE CASCADE,
    change BLOB NOT NULL
);
CREATE INDEX outbox_doc ON outbox(doc_id, id);

CREATE TABLE want_full (
    doc_id TEXT PRIMARY KEY
);

CREATE TABLE conflict_copies (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    kind   TEXT NOT NULL,
    data   BLOB NOT NULL,
    code   TEXT NOT NULL,
    reason TEXT NOT NULL,
    at     INTEGER NOT NULL
);

CREATE TABLE households (
    id           TEXT PRIMARY KEY REFERENCES docs(doc_id) ON DELETE CASCADE,
    grid_id      TEXT NOT NULL,
    building_id  TEXT NOT NULL,
    address      TEXT NOT NULL,
    head         TEXT NOT NULL,
    phone        TEXT NOT NULL,
    has_conflict INTEGER NOT NULL
);
CREATE INDEX households_address ON households(address);

CREATE TABLE visits (
    id           TEXT PRIMARY KEY REFERENCES docs(doc_id) ON DELETE CASCADE,
    grid_id      TEXT NOT NULL,
    household_id TEXT NOT NULL,
    worker_id    TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    day          TEXT NOT NULL,
    follow_up    INTEGER NOT NULL
);
CREATE INDEX visits_household ON visits(household_id, started_at);
CREATE INDEX visits_day ON visits(day);

CREATE TABLE incidents (
    id            TEXT PRIMARY KEY REFERENCES docs(doc_id) ON DELETE CASCADE,
    grid_id       TEXT NOT NULL,
    category      TEXT NOT NULL,
    status        TEXT NOT NULL,
    level         TEXT NOT NULL,
    department_id TEXT,
    due           INTEGER,
    reporter_id   TEXT NOT NULL,
    updated_at    INTEGER
);
CREATE INDEX incidents_status ON incidents(status);

CREATE TABLE service_requests (
    id             TEXT PRIMARY KEY REFERENCES docs(doc_id) ON DELETE CASCADE,
    community_id   TEXT NOT NULL,
    item_id        TEXT NOT NULL,
    status         TEXT NOT NULL,
    responsible_id TEXT,
    due            INTEGER
);
CREATE INDEX service_requests_status ON service_requests(status);

CREATE TABLE work_logs (
    id        TEXT PRIMARY KEY REFERENCES docs(doc_id) ON DELETE CASCADE,
    scope_id  TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    date      TEXT NOT NULL,
    entries   INTEGER NOT NULL
);
CREATE INDEX work_logs_date ON work_logs(worker_id, date);
"#,
    r#"
CREATE TABLE blobs (
    hash         TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    mime         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    thumbnail_of TEXT,
    uploaded     INTEGER NOT NULL,
    sent         INTEGER NOT NULL,
    duration_ms  INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX blobs_thumbnail_of ON blobs(thumbnail_of);
CREATE INDEX blobs_pending ON blobs(uploaded) WHERE uploaded = 0;

CREATE TABLE blob_refs (
    blob   TEXT NOT NULL,
    doc_id TEXT NOT NULL REFERENCES docs(doc_id) ON DELETE CASCADE,
    PRIMARY KEY (blob, doc_id)
);
CREATE INDEX blob_refs_doc ON blob_refs(doc_id);
"#,
    // Who reported an incident handled: they may not check it (核查) themselves.
    r#"
ALTER TABLE incidents ADD COLUMN handler_id TEXT;
"#,
    // Visit frequency by tag and campaigns: a household's tags (its own and its members', as
    // JSON; NULL in rows derived before, read from the document then), a visit's campaign.
    r#"
ALTER TABLE households ADD COLUMN tags TEXT;
ALTER TABLE visits ADD COLUMN campaign_id TEXT;
CREATE INDEX visits_campaign ON visits(campaign_id) WHERE campaign_id IS NOT NULL;
"#,
];

/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Sets the connection's pragmas and brings the schema up to date.
pub fn prepare(conn: &mut Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    loop {
        // Re-read inside the write lock so two processes never run the same migration.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if current > SCHEMA_VERSION {
            return Err(crate::Error::Corrupt(format!(
                "the store has schema version {current}, newer than this app's \
                 {SCHEMA_VERSION}; please update the app"
            )));
        }
        let Some(sql) = usize::try_from(current)
            .ok()
            .and_then(|i| MIGRATIONS.get(i))
        else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
    }
}
