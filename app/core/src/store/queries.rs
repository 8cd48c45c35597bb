//! Small query tables derived from documents, so lists never load every document.

use gridwalk_shared::{
    calendar::WorkCalendar,
    model::{Level, ReferenceData},
    schedule::household_tags,
    time::Timestamp,
    workflow::{fold_incident, fold_service},
    Record,
};
use rusqlite::{params, Connection, Row};
use serde::Serialize;
use uuid::Uuid;

use super::{opt_uuid_at, uuid_at};
use crate::Result;

/// Clearing a document's rows from every query table (one statement each, prepared once).
const CLEAR: [&str; 5] = [
    "DELETE FROM households WHERE id = ?1",
    "DELETE FROM visits WHERE id = ?1",
    "DELETE FROM incidents WHERE id = ?1",
    "DELETE FROM service_requests WHERE id = ?1",
    "DELETE FROM work_logs WHERE id = ?1",
];

/// One household in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HouseholdRow {
    /// Record id.
    pub id: Uuid,
    /// Grid.
    pub grid_id: Uuid,
    /// Building.
    pub building_id: Uuid,
    /// Address.
    pub address: String,
    /// Head of household.
    pub head: String,
    /// Phone.
    pub phone: String,
    /// Some field holds concurrent values the user should settle.
    pub has_conflict: bool,
}

/// One visit in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VisitRow {
    /// Record id.
    pub id: Uuid,
    /// Grid.
    pub grid_id: Uuid,
    /// Household visited.
    pub household_id: Uuid,
    /// Worker.
    pub worker_id: Uuid,
    /// Start.
    pub started_at: Timestamp,
    /// Local day of the start, `YYYY-MM-DD`.
    pub day: String,
    /// Needs a follow-up.
    pub follow_up: bool,
}

/// One incident in a list, with its folded state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct IncidentRow {
    /// Record id.
    pub id: Uuid,
    /// Grid.
    pub grid_id: Uuid,
    /// Category code.
    pub category: String,
    /// Status name (`workflow::IncidentStatus::as_str`).
    pub status: String,
    /// Level name (`grid`, `community`, `street`, `city`).
    pub level: String,
    /// Department it is with.
    pub department_id: Option<Uuid>,
    /// Due time.
    pub due: Option<Timestamp>,
    /// Reporter.
    pub reporter_id: Uuid,
    /// Time of the last applied event.
    pub updated_at: Option<Timestamp>,
    /// Who reported it handled.
    pub handler_id: Option<Uuid>,
}

/// One walk-in service request in a list, with its folded state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ServiceRequestRow {
    /// Record id.
    pub id: Uuid,
    /// Community.
    pub community_id: Uuid,
    /// Catalogue item.
    pub item_id: Uuid,
    /// Status name (`workflow::ServiceStatus::as_str`).
    pub status: String,
    /// Responsible desk worker.
    pub responsible_id: Option<Uuid>,
    /// Due time.
    pub due: Option<Timestamp>,
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Grid => "grid",
        Level::Community => "community",
        Level::Street => "street",
        Level::City => "city",
    }
}

/// Deletes the query rows of a document.
pub(crate) fn clear(conn: &Connection, id: Uuid) -> Result<()> {
    let id = id.to_string();
    for sql in CLEAR {
        conn.prepare_cached(sql)?.execute([&id])?;
    }
    Ok(())
}

/// Writes the query row of `record` (after [`clear`]).
pub(crate) fn derive(
    conn: &Connection,
    record: &Record,
    has_conflict: bool,
    reference: Option<&ReferenceData>,
) -> Result<()> {
    let id = record.id().to_string();
    match record {
        Record::Household(h) => conn.prepare_cached(
            "INSERT INTO households (id, grid_id, building_id, address, head, phone, has_conflict,
                                     tags)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
                id,
                h.grid_id.to_string(),
                h.building_id.to_string(),
                h.address,
                h.head,
                h.phone,
                has_conflict,
                serde_json::to_string(&household_tags(h).collect::<Vec<_>>())?
            ],
        )?,
        Record::Visit(v) => {
            let default = WorkCalendar::default();
            let calendar = reference.map_or(&default, |r| &r.calendar);
            conn.prepare_cached(
                "INSERT INTO visits (id, grid_id, household_id, worker_id, started_at, day, follow_up,
                                     campaign_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                    id,
                    v.grid_id.to_string(),
                    v.household_id.to_string(),
                    v.worker_id.to_string(),
                    v.started_at.millis(),
                    calendar.local_date(v.started_at).to_string(),
                    v.follow_up,
                    v.campaign.as_ref().map(|c| c.campaign_id.to_string())
                ],
            )?
        }
        Record::Incident(i) => {
            let state = fold_incident(&i.events);
            conn.prepare_cached(
                "INSERT INTO incidents (id, grid_id, category, status, level, department_id, due,
                                        reporter_id, updated_at, handler_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                    id,
                    i.grid_id.to_string(),
                    i.category,
                    state.status.as_str(),
                    level_name(state.level),
                    state.department_id.map(|d| d.to_string()),
                    state.due.map(|t| t.millis()),
                    i.reporter_id.to_string(),
                    state.updated_at.map(|t| t.millis()),
                    state.handler_id.map(|h| h.to_string())
                ],
            )?
        }
        Record::ServiceRequest(s) => {
            let state = fold_service(&s.events);
            conn.prepare_cached(
                "INSERT INTO service_requests (id, community_id, item_id, status, responsible_id, due)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                    id,
                    s.community_id.to_string(),
                    s.item_id.to_string(),
                    state.status.as_str(),
                    state.responsible_id.map(|d| d.to_string()),
                    s.due.map(|t| t.millis())
                ],
            )?
        }
        // Read from their documents (`records::of_kind`): a worker holds few.
        Record::Patrol(_) | Record::Handover(_) => 0,
        Record::WorkLog(w) => conn.prepare_cached(
            "INSERT INTO work_logs (id, scope_id, worker_id, date, entries)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
                id,
                w.scope_id.to_string(),
                w.worker_id.to_string(),
                w.date,
                w.entries.len() as i64
            ],
        )?,
        // Few per device: listed from their documents (`crate::notices`), no query table.
        Record::Notice(_) | Record::NoticeDelivery(_) => 0,
        // Campaigns are few: read from their documents.
        Record::Campaign(_) => 0,
    };
    Ok(())
}

fn collect<T>(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(args, map)?;
    Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
}

fn opt_time(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(row
        .get::<_, Option<i64>>(index)?
        .map(Timestamp::from_millis))
}

/// Every household held, ordered by address.
pub(crate) fn households(conn: &Connection) -> Result<Vec<HouseholdRow>> {
    households_where(conn, None)
}

/// The household row `id`, if held.
pub(crate) fn household(conn: &Connection, id: Uuid) -> Result<Option<HouseholdRow>> {
    Ok(households_where(conn, Some(id))?.pop())
}

fn households_where(conn: &Connection, id: Option<Uuid>) -> Result<Vec<HouseholdRow>> {
    collect(
        conn,
        "SELECT id, grid_id, building_id, address, head, phone, has_conflict
         FROM households WHERE ?1 IS NULL OR id = ?1 ORDER BY address, id",
        [id.map(|i| i.to_string())],
        |row| {
            Ok(HouseholdRow {
                id: uuid_at(row, 0)?,
                grid_id: uuid_at(row, 1)?,
                building_id: uuid_at(row, 2)?,
                address: row.get(3)?,
                head: row.get(4)?,
                phone: row.get(5)?,
                has_conflict: row.get(6)?,
            })
        },
    )
}

/// Visits, newest first; only those to `household` when given.
pub(crate) fn visits(conn: &Connection, household: Option<Uuid>) -> Result<Vec<VisitRow>> {
    collect(
        conn,
        "SELECT id, grid_id, household_id, worker_id, started_at, day, follow_up FROM visits
         WHERE ?1 IS NULL OR household_id = ?1 ORDER BY started_at DESC, id",
        [household.map(|h| h.to_string())],
        |row| {
            Ok(VisitRow {
                id: uuid_at(row, 0)?,
                grid_id: uuid_at(row, 1)?,
                household_id: uuid_at(row, 2)?,
                worker_id: uuid_at(row, 3)?,
                started_at: Timestamp::from_millis(row.get(4)?),
                day: row.get(5)?,
                follow_up: row.get(6)?,
            })
        },
    )
}

/// Incidents, most recently updated first.
pub(crate) fn incidents(conn: &Connection) -> Result<Vec<IncidentRow>> {
    collect(
        conn,
        "SELECT id, grid_id, category, status, level, department_id, due, reporter_id, updated_at,
                handler_id
         FROM incidents ORDER BY updated_at DESC, id",
        [],
        |row| {
            Ok(IncidentRow {
                id: uuid_at(row, 0)?,
                grid_id: uuid_at(row, 1)?,
                category: row.get(2)?,
                status: row.get(3)?,
                level: row.get(4)?,
                department_id: opt_uuid_at(row, 5)?,
                due: opt_time(row, 6)?,
                reporter_id: uuid_at(row, 7)?,
                updated_at: opt_time(row, 8)?,
                handler_id: opt_uuid_at(row, 9)?,
            })
        },
    )
}

/// Walk-in service requests, by due time.
pub(crate) fn service_requests(conn: &Connection) -> Result<Vec<ServiceRequestRow>> {
    collect(
        conn,
        "SELECT id, community_id, item_id, status, responsible_id, due
         FROM service_requests ORDER BY due, id",
        [],
        |row| {
            Ok(ServiceRequestRow {
                id: uuid_at(row, 0)?,
                community_id: uuid_at(row, 1)?,
                item_id: uuid_at(row, 2)?,
                status: row.get(3)?,
                responsible_id: opt_uuid_at(row, 4)?,
                due: opt_time(row, 5)?,
            })
        },
    )
}

/// The id of `worker`'s work-log record for `date`, if held.
pub(crate) fn work_log_of(conn: &Connection, worker: Uuid, date: &str) -> Result<Option<Uuid>> {
    Ok(collect(
        conn,
        "SELECT id FROM work_logs WHERE worker_id = ?1 AND date = ?2 ORDER BY id LIMIT 1",
        params![worker.to_string(), date],
        |row| uuid_at(row, 0),
    )?
    .pop())
}

/// Each household's tags (its own and its members'); `None` for rows derived before tags were
/// kept here.
pub(crate) fn household_tags_all(conn: &Connection) -> Result<Vec<(Uuid, Option<Vec<String>>)>> {
    let rows = collect(conn, "SELECT id, tags FROM households", [], |row| {
        Ok((uuid_at(row, 0)?, row.get::<_, Option<String>>(1)?))
    })?;
    Ok(rows
        .into_iter()
        .map(|(id, tags)| (id, tags.and_then(|t| serde_json::from_str(&t).ok())))
        .collect())
}

/// Visits made for campaign tasks: `(campaign id, target id, worker)`.
pub(crate) fn campaign_visits(conn: &Connection) -> Result<Vec<(Uuid, Uuid, Uuid)>> {
    collect(
        conn,
        "SELECT campaign_id, household_id, worker_id FROM visits WHERE campaign_id IS NOT NULL",
        [],
        |row| Ok((uuid_at(row, 0)?, uuid_at(row, 1)?, uuid_at(row, 2)?)),
    )
}
