//! Deadline queries over the record index (SQLite).

use gridwalk_shared::workflow::IncidentStatus;
use rusqlite::{params, Connection};
use uuid::Uuid;

use crate::DbResult;

/// Open incidents due before `before_ms`, oldest due first.
pub(crate) fn overdue_incidents(
    conn: &Connection,
    before_ms: i64,
    limit: usize,
) -> DbResult<Vec<Uuid>> {
    let open: Vec<&str> = IncidentStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(IncidentStatus::as_str)
        .collect();
    let mut stmt = conn.prepare_cached(
        "SELECT doc_id FROM record_index
          WHERE kind = 'incident' AND due IS NOT NULL AND due < ?1
            AND status IN (SELECT value FROM json_each(?2))
          ORDER BY due LIMIT ?3",
    )?;
    let ids = stmt
        .query_map(
            params![
                before_ms,
                serde_json::Value::from(open).to_string(),
                limit as i64
            ],
            |r| r.get::<_, String>(0),
        )?
        .collect::<Result<Vec<_>, _>>()?;
    ids.iter()
        .map(|id| {
            Uuid::parse_str(id).map_err(|e| {
                gridwalk_store::StoreError::Other(format!("bad id in record_index: {e}")).into()
            })
        })
        .collect()
}
