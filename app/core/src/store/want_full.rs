//! Documents the device asks the server to send whole on its next round (`want_full`): ones
//! it could not complete from the changes it received.

use rusqlite::Connection;
use uuid::Uuid;

use crate::Result;

/// Every document to ask for whole, in id order.
pub(crate) fn list(conn: &Connection) -> Result<Vec<Uuid>> {
    let mut stmt = conn.prepare("SELECT doc_id FROM want_full ORDER BY doc_id")?;
    let ids = stmt
        .query_map([], |row| super::uuid_at(row, 0))?
        .collect::<rusqlite::Result<Vec<Uuid>>>()?;
    Ok(ids)
}

/// Asks for `id` whole on the next round.
pub(crate) fn mark(conn: &Connection, id: Uuid) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO want_full (doc_id) VALUES (?1)",
        [id.to_string()],
    )?;
    Ok(())
}

/// `id` arrived, or is no longer wanted whole.
pub(crate) fn clear(conn: &Connection, id: Uuid) -> Result<()> {
    conn.prepare_cached("DELETE FROM want_full WHERE doc_id = ?1")?
        .execute([id.to_string()])?;
    Ok(())
}
