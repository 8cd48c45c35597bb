//! What the device's maps draw besides the org's own geometry (issue 15): the open incidents
//! in scope at their fixes, those waiting for my check on site marked; for the hall tablet,
//! visit coverage per building over a date range and a worker's day as a track (the same
//! track as the admin web's, [`gridwalk_shared::track`]). This cycle's coverage comes with
//! [`Client::my_grids`].

use chrono::{Duration, NaiveDate};
use gridwalk_shared::model::{Location, Record, RecordKind};
use gridwalk_shared::track::{day_track, DayTrack};
use gridwalk_shared::workflow::IncidentStatus;
use rusqlite::params;
use serde::Serialize;
use uuid::Uuid;

use crate::store::{meta, queries, records};
use crate::today::awaits_my_check;
use crate::{Client, Error, IncidentRow, Result};

/// An open incident with a fix, as the map draws it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MapIncident {
    /// The incident.
    pub incident: IncidentRow,
    /// Where it was reported.
    pub location: Location,
    /// Handled by someone else: for me to check on site (待核查).
    pub to_verify: bool,
}

/// A building's households and how many were visited in a date range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BuildingCoverage {
    /// The building.
    pub building_id: Uuid,
    /// Its grid.
    pub grid_id: Uuid,
    /// Households held.
    pub households: u32,
    /// Of them, visited at least once from `from` to `to`.
    pub visited: u32,
}

impl Client {
    /// Per building of the households held: how many were visited from `from` to `to`
    /// (local days, both included).
    pub fn coverage(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<BuildingCoverage>> {
        let store = self.store();
        let mut stmt = store.conn().prepare(
            "SELECT h.building_id, h.grid_id, COUNT(*),
                    SUM(EXISTS (SELECT 1 FROM visits v
                                WHERE v.household_id = h.id AND v.day BETWEEN ?1 AND ?2))
             FROM households h GROUP BY h.building_id, h.grid_id ORDER BY h.building_id",
        )?;
        let rows = stmt.query_map(params![from.to_string(), to.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, u32>(3)?,
            ))
        })?;
        let parse =
            |s: &str| Uuid::parse_str(s).map_err(|e| Error::Corrupt(format!("stored id {s}: {e}")));
        rows.map(|row| {
            let (building, grid, households, visited) = row?;
            Ok(BuildingCoverage {
                building_id: parse(&building)?,
                grid_id: parse(&grid)?,
                households,
                visited,
            })
        })
        .collect()
    }

    /// `worker`'s track on local day `date`, from the visits, reports and patrols held.
    pub fn day_track(&self, worker: Uuid, date: NaiveDate) -> Result<DayTrack> {
        let store = self.store();
        let conn = store.conn();
        let reference = meta::reference(conn)?.ok_or(Error::NoReference)?;
        let ids_where = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> Result<Vec<String>> {
            let mut stmt = conn.prepare(sql)?;
            let ids = stmt.query_map(args, |r| r.get::<_, String>(0))?;
            Ok(ids.collect::<rusqlite::Result<Vec<_>>>()?)
        };
        let (worker_text, day, before) = (
            worker.to_string(),
            date.to_string(),
            (date - Duration::days(1)).to_string(),
        );
        let mut ids = ids_where(
            "SELECT id FROM visits WHERE worker_id = ?1 AND day IN (?2, ?3)",
            &[&worker_text, &day, &before],
        )?;
        ids.extend(ids_where(
            "SELECT id FROM incidents WHERE reporter_id = ?1",
            &[&worker_text],
        )?);
        let millis = reference.calendar.day_millis(date);
        // A patrol with points in the day was last changed, and so stored here, after them.
        ids.extend(ids_where(
            "SELECT doc_id FROM docs WHERE kind = ?1 AND updated_at >= ?2",
            &[&RecordKind::Patrol.as_str(), &millis.start],
        )?);
        let mut held = Vec::new();
        for id in ids {
            if let Ok(id) = Uuid::parse_str(&id) {
                held.extend(records::load(conn, id)?.and_then(|d| d.record().ok()));
            }
        }
        Ok(day_track(&held, worker, millis))
    }

    /// Open incidents in my scope that have a fix, those to check on site first.
    pub fn map_incidents(&self) -> Result<Vec<MapIncident>> {
        let store = self.store();
        let conn = store.conn();
        let user = meta::credentials(conn)?.ok_or(Error::NotEnrolled)?.user;
        let reference = meta::reference(conn)?.ok_or(Error::NoReference)?;
        let scope = reference.subtree(user.scope_id);
        let closed = [IncidentStatus::Evaluated, IncidentStatus::Closed].map(|s| s.as_str());
        let mut out = Vec::new();
        for incident in queries::incidents(conn)? {
            if !scope.contains(&incident.grid_id) || closed.contains(&incident.status.as_str()) {
                continue;
            }
            let Some(stored) = records::load(conn, incident.id)? else {
                continue;
            };
            let Ok(Record::Incident(full)) = stored.record() else {
                continue;
            };
            if let Some(location) = full.location {
                out.push(MapIncident {
                    to_verify: awaits_my_check(&user, &scope, &incident),
                    incident,
                    location,
                });
            }
        }
        out.sort_by_key(|m| !m.to_verify);
        Ok(out)
    }
}
