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
