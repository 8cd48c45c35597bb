//! The work-log day view (工作日志/流水账): the worker's own notes for a day, with the
//! visits made and problems reported that day, in time order.

use gridwalk_shared::{time::Timestamp, workflow::fold_incident, Record};
use serde::Serialize;
use uuid::Uuid;

use crate::store::{meta, queries};
use crate::{Client, Error, Result};

/// One line of a work day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkItem {
    /// A line written in the work log.
    Note {
        /// When.
        at: Timestamp,
        /// What.
        text: String,
    },
    /// A visit made.
    Visit {
        /// When it started.
        at: Timestamp,
        /// Visit id.
        visit_id: Uuid,
        /// Household visited.
        household_id: Uuid,
        /// Its address.
        address: String,
    },
    /// A problem reported.
    Report {
        /// When it was reported.
        at: Timestamp,
        /// Incident id.
        incident_id: Uuid,
        /// Category code.
        category: String,
        /// Status name now.
        status: String,
    },
}

impl WorkItem {
    fn at(&self) -> Timestamp {
        match self {
            WorkItem::Note { at, .. }
            | WorkItem::Visit { at, .. }
            | WorkItem::Report { at, .. } => *at,
        }
    }
}

/// The signed-in user's day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkDay {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Today's local date, for the UI's "next day" limit.
    pub today: String,
    /// Everything done that day, oldest first.
    pub items: Vec<WorkItem>,
}

impl Client {
    /// The signed-in user's work day `date` (`YYYY-MM-DD`; `None`: today).
    pub fn work_day(&self, date: Option<&str>) -> Result<WorkDay> {
        let (user, reference, visits, incidents, log, date, today) = {
            let store = self.store();
            let conn = store.conn();
            let user = meta::credentials(conn)?.ok_or(Error::NotEnrolled)?.user;
            let reference = meta::reference(conn)?.ok_or(Error::NoReference)?;
            let today = reference.calendar.local_date(self.clock.now()).to_string();
            let date = date.unwrap_or(&today).to_string();
            chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                .map_err(|_| Error::Usage(format!("`{date}` is not a date (YYYY-MM-DD)")))?;
            let log = queries::work_log_of(conn, user.id, &date)?;
            let visits = queries::visits(conn, None)?;
            let incidents = queries::incidents(conn)?;
            (user, reference, visits, incidents, log, date, today)
        };
        let mut items = Vec::new();
        if let Some(id) = log {
            if let Some(Record::WorkLog(day)) = self.record(id)?.map(|v| v.record) {
                items.extend(day.entries.into_iter().map(|e| WorkItem::Note {
                    at: e.at,
                    text: e.text,
                }));
            }
        }
        for visit in visits
            .iter()
            .filter(|v| v.worker_id == user.id && v.day == date)
        {
            let address = queries::household(self.store().conn(), visit.household_id)?
                .map(|h| h.address)
                .unwrap_or_default();
            items.push(WorkItem::Visit {
                at: visit.started_at,
                visit_id: visit.id,
                household_id: visit.household_id,
                address,
            });
        }
        for row in incidents.iter().filter(|i| i.reporter_id == user.id) {
            let Some(Record::Incident(incident)) = self.record(row.id)?.map(|v| v.record) else {
                continue;
            };
            let Some(at) = fold_incident(&incident.events).reported_at else {
                continue;
            };
            if reference.calendar.local_date(at).to_string() == date {
                items.push(WorkItem::Report {
                    at,
                    incident_id: row.id,
                    category: row.category.clone(),
                    status: row.status.clone(),
                });
            }
        }
        items.sort_by_key(WorkItem::at);
        Ok(WorkDay { date, today, items })
    }
}
