//! What the phone's grid map draws besides the org's own geometry (issue 15): the open
//! incidents in scope at their fixes, those waiting for my check on site marked. Buildings and
//! their coverage come with [`Client::my_grids`].

use gridwalk_shared::model::{Location, Record};
use gridwalk_shared::workflow::IncidentStatus;
use serde::Serialize;

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

impl Client {
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
