//! My grid → buildings → households → household card, and resident lookup at the desk.

use gridwalk_shared::{
    doc::FieldConflict,
    model::{Building, Household, Location, OrgKind, OrgUnit},
    natural::natural_key,
    time::Timestamp,
    workflow::IncidentStatus,
    Record,
};
use serde::Serialize;
use uuid::Uuid;

use crate::store::{meta, queries};
use crate::{Client, Error, HouseholdRow, IncidentRow, Result, VisitDraft};

/// Most households a search returns.
pub const SEARCH_LIMIT: usize = 50;

/// A building in the grid list, with its counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BuildingOverview {
    /// The building.
    pub building: Building,
    /// Households held in it.
    pub households: usize,
    /// Of them, visited within their visit frequency (not due a visit).
    pub visited: usize,
    /// Of them, past their due date.
    pub overdue: usize,
}

/// A grid in the signed-in user's scope with its buildings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GridOverview {
    /// The grid.
    pub grid: OrgUnit,
    /// Its buildings, by name.
    pub buildings: Vec<BuildingOverview>,
}

/// One past visit on a household card.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VisitSummary {
    /// Visit id.
    pub id: Uuid,
    /// When.
    pub started_at: Timestamp,
    /// Who visited (name from the reference data, else the id).
    pub worker: String,
    /// Notes.
    pub notes: String,
    /// Checklist items answered.
    pub answered: usize,
    /// Photos attached, by hash.
    pub photos: Vec<String>,
    /// Audio notes attached, by hash.
    pub audio: Vec<String>,
    /// Asked for a follow-up.
    pub follow_up: bool,
    /// Where it was logged.
    pub location: Option<Location>,
}

/// Everything the household card shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HouseholdCard {
    /// The household as the device holds it (concurrent values: the first one).
    pub household: Household,
    /// Fields holding concurrent values, each with every version, for the user to pick.
    pub conflicts: Vec<FieldConflict>,
    /// Its grid.
    pub grid: Option<OrgUnit>,
    /// Its building.
    pub building: Option<Building>,
    /// Visits, newest first.
    pub visits: Vec<VisitSummary>,
    /// Problems not closed yet in the household's grid.
    pub grid_open_incidents: Vec<IncidentRow>,
    /// A visit draft waiting to be finished.
    pub draft: Option<VisitDraft>,
}

impl Client {
    /// The grids in the signed-in user's scope, each with its buildings and counts.
    pub fn my_grids(&self) -> Result<Vec<GridOverview>> {
        let households = self.households()?;
        let (user, reference, visits) = {
            let store = self.store();
            let conn = store.conn();
            let user = meta::credentials(conn)?.ok_or(Error::NotEnrolled)?.user;
            let reference = meta::reference(conn)?.ok_or(Error::NoReference)?;
            (user, reference, queries::visits(conn, None)?)
        };
        let today = reference.calendar.local_date(self.clock.now());
        let next = crate::due::next_visits(self.store().conn(), &reference, &visits, today)?;
        let recent: std::collections::HashSet<Uuid> = next
            .iter()
            .filter(|(_, n)| !n.due)
            .map(|(id, _)| *id)
            .collect();
        let overdue: std::collections::HashSet<Uuid> = next
            .iter()
            .filter(|(_, n)| n.overdue)
            .map(|(id, _)| *id)
            .collect();
        let scope = reference.subtree(user.scope_id);
        let mut grids: Vec<GridOverview> = reference
            .units
            .iter()
            .filter(|u| u.kind == OrgKind::Grid && scope.contains(&u.id))
            .map(|grid| {
                let mut buildings: Vec<BuildingOverview> = reference
                    .buildings_in(grid.id)
                    .map(|b| {
                        let here = households.iter().filter(|h| h.building_id == b.id);
                        BuildingOverview {
                            building: b.clone(),
                            households: here.clone().count(),
                            visited: here.clone().filter(|h| recent.contains(&h.id)).count(),
                            overdue: here.filter(|h| overdue.contains(&h.id)).count(),
                        }
                    })
                    .collect();
                buildings.sort_by(|a, b| {
                    natural_key(&a.building.name).cmp(&natural_key(&b.building.name))
                });
                GridOverview {
                    grid: grid.clone(),
                    buildings,
                }
            })
            .collect();
        grids.sort_by_cached_key(|g| natural_key(&g.grid.name));
        Ok(grids)
    }

    /// Households in `building`, by address.
    pub fn households_in(&self, building: Uuid) -> Result<Vec<HouseholdRow>> {
        let mut rows = self.households()?;
        rows.retain(|h| h.building_id == building);
        rows.sort_by_cached_key(|h| natural_key(&h.address));
        Ok(rows)
    }

    /// Households in scope whose head of household, phone or address contains `query`
    /// (at most [`SEARCH_LIMIT`]).
    pub fn search_households(&self, query: &str) -> Result<Vec<HouseholdRow>> {
        let query = query.trim().to_lowercase();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows = self.households()?;
        rows.retain(|h| {
            [&h.head, &h.phone, &h.address]
                .iter()
                .any(|f| f.to_lowercase().contains(&query))
        });
        rows.truncate(SEARCH_LIMIT);
        Ok(rows)
    }

    /// The household card of `id`.
    pub fn household_card(&self, id: Uuid) -> Result<HouseholdCard> {
        let view = self.record(id)?.ok_or(Error::NotFound(id))?;
        let Record::Household(household) = view.record else {
            return Err(Error::WrongKind {
                id,
                expected: "household",
                actual: view.record.kind().as_str(),
            });
        };
        let reference = self.reference()?.unwrap_or_default();
        let mut visits = Vec::new();
        for row in self.visits(Some(id))? {
            let Some(Record::Visit(visit)) = self.record(row.id)?.map(|v| v.record) else {
                continue;
            };
            visits.push(VisitSummary {
                id: visit.id,
                started_at: visit.started_at,
                worker: reference
                    .user(visit.worker_id)
                    .map_or_else(|| visit.worker_id.to_string(), |u| u.name.clone()),
                notes: visit.notes,
                answered: visit.answers.len(),
                photos: visit.photos,
                audio: visit.audio,
                follow_up: visit.follow_up,
                location: visit.location,
            });
        }
        let grid_open_incidents = self
            .incidents()?
            .into_iter()
            .filter(|i| i.grid_id == household.grid_id)
            .filter(|i| {
                i.status != IncidentStatus::Closed.as_str()
                    && i.status != IncidentStatus::Evaluated.as_str()
            })
            .collect();
        let draft = self
            .visit_drafts()?
            .into_iter()
            .find(|d| d.household_id == id);
        Ok(HouseholdCard {
            grid: reference.unit(household.grid_id).cloned(),
            building: reference
                .buildings
                .iter()
                .find(|b| b.id == household.building_id)
                .cloned(),
            household,
            conflicts: view.conflicts,
            visits,
            grid_open_incidents,
            draft,
        })
    }
}
