//! The grid worker's day on the home screen: households due a visit, tasks, own open reports.

use std::collections::HashMap;

use gridwalk_shared::{
    model::{Role, User},
    natural::natural_key,
    schedule::{urgency, NextVisit},
    time::Timestamp,
    workflow::IncidentStatus,
};
use serde::Serialize;
use uuid::Uuid;

use crate::store::{meta, queries};
use crate::{CampaignTask, Client, Error, HouseholdRow, IncidentRow, Result, VisitRow};

/// Households offered on the home screen for today.
pub const TODAY_LIST: usize = 10;

/// A household on today's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DueHousehold {
    /// The household.
    pub household: HouseholdRow,
    /// Its latest visit, if any.
    pub last_visit: Option<Timestamp>,
    /// The latest visit asked for a follow-up.
    pub follow_up: bool,
    /// A visit draft is waiting to be finished.
    pub draft: bool,
    /// Its next visit under the visit rules (due date, overdue).
    pub next: Option<NextVisit>,
}

/// Something waiting for the signed-in worker.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Task {
    /// A visit draft to finish.
    FinishDraft {
        /// The household.
        household: HouseholdRow,
        /// When the draft was last saved.
        saved_at: Timestamp,
    },
    /// A household whose latest visit asked for a follow-up.
    FollowUp {
        /// The household.
        household: HouseholdRow,
        /// When it was visited.
        visited_at: Timestamp,
    },
    /// A problem in my grid was reported handled by someone else: check it on site (待核查).
    Verify {
        /// The incident.
        incident: IncidentRow,
    },
    /// A problem the grid handles itself, dispatched or being handled.
    Handle {
        /// The incident.
        incident: IncidentRow,
    },
    /// A campaign task (阶段性任务) to do by its deadline.
    Campaign {
        /// The task.
        task: CampaignTask,
    },
}

/// The home screen's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Today {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Own visits today.
    pub visits_today: usize,
    /// Today's list: drafts first, then follow-ups, never visited, then by due date.
    pub due: Vec<DueHousehold>,
    /// All households due a visit.
    pub due_total: usize,
    /// Tasks: drafts first, then campaign tasks by deadline, follow-ups, checks, handling.
    pub tasks: Vec<Task>,
    /// Own reports not closed yet, most recently updated first.
    pub open_reports: Vec<IncidentRow>,
}

/// The latest visit of each household (visits come newest first).
fn latest_visits(visits: &[VisitRow]) -> HashMap<Uuid, &VisitRow> {
    let mut latest = HashMap::new();
    for visit in visits {
        latest.entry(visit.household_id).or_insert(visit);
    }
    latest
}

/// Whether `incident` waits for `user` to check it on site (待核查): handled by someone else
/// in a grid of theirs, and they walk grids.
pub(crate) fn awaits_my_check(user: &User, scope: &[Uuid], incident: &IncidentRow) -> bool {
    let mine = incident.reporter_id == user.id || incident.handler_id == Some(user.id);
    matches!(user.role, Role::GridWorker | Role::GridLeader)
        && !mine
        && scope.contains(&incident.grid_id)
        && incident.status == IncidentStatus::Handled.as_str()
}

impl Client {
    /// Today's list, tasks and open reports of the signed-in user.
    pub fn today(&self) -> Result<Today> {
        let households = self.households()?;
        let drafts = self.visit_drafts()?;
        let (user, reference, visits, incidents) = {
            let store = self.store();
            let conn = store.conn();
            let user = meta::credentials(conn)?.ok_or(Error::NotEnrolled)?.user;
            let reference = meta::reference(conn)?.ok_or(Error::NoReference)?;
            (
                user,
                reference,
                queries::visits(conn, None)?,
                queries::incidents(conn)?,
            )
        };
        let now = self.clock.now();
        let today = reference.calendar.local_date(now);
        let date = today.to_string();
        let next = crate::due::next_visits(self.store().conn(), &reference, &visits, today)?;
        let latest = latest_visits(&visits);
        let by_id: HashMap<Uuid, &HouseholdRow> = households.iter().map(|h| (h.id, h)).collect();

        let mut tasks: Vec<Task> = drafts
            .iter()
            .filter_map(|d| {
                by_id.get(&d.household_id).map(|h| Task::FinishDraft {
                    household: (*h).clone(),
                    saved_at: d.saved_at,
                })
            })
            .collect();
        tasks.extend(
            self.campaign_tasks()?
                .into_iter()
                .map(|task| Task::Campaign { task }),
        );
        let mut due: Vec<DueHousehold> = households
            .iter()
            .filter_map(|h| {
                let last = latest.get(&h.id);
                let follow_up = last.is_some_and(|v| v.follow_up);
                let draft = drafts.iter().any(|d| d.household_id == h.id);
                let next = next.get(&h.id).cloned();
                let stale = next.as_ref().is_none_or(|n| n.due);
                (stale || follow_up || draft).then(|| DueHousehold {
                    household: h.clone(),
                    last_visit: last.map(|v| v.started_at),
                    follow_up,
                    draft,
                    next,
                })
            })
            .collect();
        due.sort_by_cached_key(|d| {
            (
                !d.draft,
                !d.follow_up,
                d.next.as_ref().map_or((2, None), urgency),
                d.last_visit,
                natural_key(&d.household.address),
            )
        });
        for d in due.iter().filter(|d| d.follow_up && !d.draft) {
            if let Some(visited_at) = d.last_visit {
                tasks.push(Task::FollowUp {
                    household: d.household.clone(),
                    visited_at,
                });
            }
        }
        let scope = reference.subtree(user.scope_id);
        for incident in &incidents {
            let status = incident.status.as_str();
            if awaits_my_check(&user, &scope, incident) {
                tasks.push(Task::Verify {
                    incident: incident.clone(),
                });
            } else if incident.level == "grid"
                && scope.contains(&incident.grid_id)
                && matches!(status, "dispatched" | "handling")
            {
                tasks.push(Task::Handle {
                    incident: incident.clone(),
                });
            }
        }
        let open_reports = incidents
            .into_iter()
            .filter(|i| i.reporter_id == user.id && i.status != IncidentStatus::Closed.as_str())
            .collect();
        let due_total = due.len();
        due.truncate(TODAY_LIST);
        Ok(Today {
            visits_today: visits
                .iter()
                .filter(|v| v.worker_id == user.id && v.day == date)
                .count(),
            date,
            due,
            due_total,
            tasks,
            open_reports,
        })
    }
}
