//! Visit drafts in the `meta` table, one row per household (`draft.visit.{household}`):
//! local only, never synced.

use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use crate::edit::VisitDraft;
use crate::{Error, Result};

const PREFIX: &str = "draft.visit.";

fn key(household: Uuid) -> String {
    format!("{PREFIX}{household}")
}

fn parse(text: &str) -> Result<VisitDraft> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt(format!("visit draft: {e}")))
}

/// The draft for `household`, if one is stored.
pub(crate) fn load(conn: &Connection, household: Uuid) -> Result<Option<VisitDraft>> {
    let text: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [key(household)],
            |row| row.get(0),
        )
        .optional()?;
    text.as_deref().map(parse).transpose()
}

/// Stores `draft`, replacing the household's previous one.
pub(crate) fn save(conn: &Connection, draft: &VisitDraft) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key(draft.household_id), serde_json::to_string(draft)?],
    )?;
    Ok(())
}

/// Removes the draft for `household`.
pub(crate) fn remove(conn: &Connection, household: Uuid) -> Result<()> {
    conn.execute("DELETE FROM meta WHERE key = ?1", [key(household)])?;
    Ok(())
}

/// Every stored draft, in no particular order.
pub(crate) fn all(conn: &Connection) -> Result<Vec<VisitDraft>> {
    let mut stmt = conn.prepare("SELECT value FROM meta WHERE key LIKE 'draft.visit.%'")?;
    let texts = stmt
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    texts.iter().map(|t| parse(t)).collect()
}
