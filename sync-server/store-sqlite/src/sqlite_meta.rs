//! The SQLite store's bookkeeping: ids kept in `meta` and schema migrations.

use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use crate::{parse_uuid, DbResult};

/// The id kept under `key` in `meta`, made (random) the first time.
pub(crate) fn meta_id(conn: &Connection, key: &str) -> DbResult<Uuid> {
    let stored = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
            r.get::<_, String>(0)
        })
        .optional()?;
    match stored {
        Some(text) => parse_uuid(&text),
        None => {
            let id = Uuid::now_v7();
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                [key.to_string(), id.to_string()],
            )?;
            Ok(id)
        }
    }
}

/// Brings a store made by an earlier version up to the current schema.
pub(crate) fn migrate(conn: &Connection) -> DbResult<()> {
    let has_scope: bool = conn
        .prepare("SELECT 1 FROM pragma_table_info('changes') WHERE name = 'scope'")?
        .exists([])?;
    if !has_scope {
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             ALTER TABLE changes ADD COLUMN kind TEXT NOT NULL DEFAULT '';
             ALTER TABLE changes ADD COLUMN scope TEXT NOT NULL DEFAULT '';
             UPDATE changes SET
                kind = (SELECT kind FROM docs WHERE docs.doc_id = changes.doc_id),
                scope = (SELECT scope FROM docs WHERE docs.doc_id = changes.doc_id);
             COMMIT;",
        )?;
    }
    // The log is paged through these two covering indexes (see `log_page`); the first
    // version indexed (scope, seq) only, which the page query could not use.
    conn.execute_batch(
        "DROP INDEX IF EXISTS changes_by_scope;
         CREATE INDEX IF NOT EXISTS changes_by_scope_seq ON changes (scope, seq, device_id);
         CREATE INDEX IF NOT EXISTS changes_by_doc_seq ON changes (doc_id, seq, device_id);",
    )?;
    let refs_have_device: bool = conn
        .prepare("SELECT 1 FROM pragma_table_info('blob_refs') WHERE name = 'device_id'")?
        .exists([])?;
    if !refs_have_device {
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             ALTER TABLE blob_refs ADD COLUMN device_id TEXT;
             ALTER TABLE blob_refs ADD COLUMN since INTEGER;
             COMMIT;",
        )?;
    }
    let devices_have_recovery: bool = conn
        .prepare("SELECT 1 FROM pragma_table_info('devices') WHERE name = 'recovery_opened'")?
        .exists([])?;
    if !devices_have_recovery {
        conn.execute("ALTER TABLE devices ADD COLUMN recovery_opened INTEGER", [])?;
    }
    Ok(())
}

/// The epochs the store had before restores from backup gave it new ones.
pub(crate) fn past_epochs(conn: &Connection) -> DbResult<Vec<Uuid>> {
    Ok(conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'past_epochs'",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default())
}
