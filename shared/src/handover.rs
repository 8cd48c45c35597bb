//! The weekly hand-over sheet (交班会): a grid's week built from its records — visits, campaign
//! visits, reports and where they stand, verifications, desk requests, patrol time, the
//! work-log notes (流水账) and the grid leader's remarks. One builder, run by the admin API
//! over the server's records and by the device over its own.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::{IncidentAction, Record, ReferenceData, Role, ServiceAction, Visit};
use crate::patrol_week::{patrol_week, PatrolWeek};
use crate::time::Timestamp;
use crate::workflow::{fold_incident, fold_service};

/// One line of the sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SheetLine {
    /// Record id.
    pub id: Uuid,
    /// When.
    pub at: Timestamp,
    /// Who (worker, reporter, author).
    pub by: Uuid,
    /// Their name.
    pub by_name: String,
    /// What, ready to show: the address visited, the category, the note.
    pub text: String,
    /// Where it stands (status name) or what came of it.
    pub state: String,
}

/// One worker's week in figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkerWeek {
    /// Worker.
    pub worker_id: Uuid,
    /// Name.
    pub name: String,
    /// Visits made.
    pub visits: u32,
    /// Of them, done for a campaign (阶段性任务).
    pub campaign_visits: u32,
    /// Problems reported.
    pub reports: u32,
    /// Checks on site (核查) made.
    pub verifications: u32,
    /// Desk requests registered or completed.
    pub desk_requests: u32,
    /// Patrol time against the rule.
    pub patrol: PatrolWeek,
}

/// A grid's week for the hand-over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HandoverSheet {
    /// Grid.
    pub grid_id: Uuid,
    /// Its name.
    pub grid_name: String,
    /// The week's Monday.
    pub week: NaiveDate,
    /// Its Sunday.
    pub week_end: NaiveDate,
    /// Each worker of the grid (and anyone who worked in it that week).
    pub workers: Vec<WorkerWeek>,
    /// Visits.
    pub visits: Vec<SheetLine>,
    /// Problems reported, with their status now.
    pub reports: Vec<SheetLine>,
    /// Checks on site: passed or not.
    pub verifications: Vec<SheetLine>,
    /// Desk requests, with their status now.
    pub desk_requests: Vec<SheetLine>,
    /// Patrols: the state is the minutes patrolled.
    pub patrols: Vec<SheetLine>,
    /// Work-log notes (流水账).
    pub notes: Vec<SheetLine>,
    /// The grid leader's remarks.
    pub remarks: Vec<SheetLine>,
}

/// The campaign a visit was made for. Hook: the campaigns work adds `Visit::campaign_id`;
/// once merged this returns it, and the sheet's campaign counts follow.
pub fn campaign_of(_visit: &Visit) -> Option<Uuid> {
    None
}

/// The hand-over sheet of `grid` for the week starting `monday`, from `records` (any others
/// are skipped): one builder for server and device.
pub fn handover_sheet<'a>(
    records: impl IntoIterator<Item = &'a Record> + Clone,
    reference: &ReferenceData,
    grid: Uuid,
    monday: NaiveDate,
) -> HandoverSheet {
    let cal = &reference.calendar;
    let week_end = monday + Duration::days(6);
    let in_week = |at: Timestamp| (monday..=week_end).contains(&cal.local_date(at));
    let name = |id: Uuid| {
        reference
            .user(id)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let line = |id, at, by, text: String, state: String| SheetLine {
        id,
        at,
        by,
        by_name: name(by),
        text,
        state,
    };
    let community = reference.unit(grid).and_then(|u| u.parent);
    let mut workers: Vec<Uuid> = reference
        .users
        .iter()
        .filter(|u| u.scope_id == grid && matches!(u.role, Role::GridWorker | Role::GridLeader))
        .map(|u| u.id)
        .collect();
    let addresses: std::collections::HashMap<Uuid, &str> = records
        .clone()
        .into_iter()
        .filter_map(|r| match r {
            Record::Household(h) => Some((h.id, h.address.as_str())),
            _ => None,
        })
        .collect();
    let mut sheet = HandoverSheet {
        grid_id: grid,
        grid_name: reference
            .unit(grid)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        week: monday,
        week_end,
        workers: Vec::new(),
        visits: Vec::new(),
        reports: Vec::new(),
        verifications: Vec::new(),
        desk_requests: Vec::new(),
        patrols: Vec::new(),
        notes: Vec::new(),
        remarks: Vec::new(),
    };
    let mut patrols = Vec::new();
    let mut campaign = Vec::new();
    for record in records.clone() {
        match record {
            Record::Visit(v) if v.grid_id == grid && in_week(v.started_at) => {
                let address = addresses.get(&v.household_id).copied().unwrap_or_default();
                sheet.visits.push(line(
                    v.id,
                    v.started_at,
                    v.worker_id,
                    address.into(),
                    v.notes.clone(),
                ));
                if campaign_of(v).is_some() {
                    campaign.push(v.worker_id);
                }
            }
            Record::Incident(i) if i.grid_id == grid => {
                let state = fold_incident(&i.events);
                let category = reference
                    .category(&i.category)
                    .map_or(i.category.clone(), |c| c.name.clone());
                if let Some(at) = state.reported_at.filter(|t| in_week(*t)) {
                    let text = format!("{category}：{}", i.description);
                    sheet.reports.push(line(
                        i.id,
                        at,
                        i.reporter_id,
                        text,
                        state.status.as_str().into(),
                    ));
                }
                for e in i.events.iter().filter(|e| in_week(e.at)) {
                    if let IncidentAction::Verify { passed } = e.action {
                        let result = if passed { "passed" } else { "failed" };
                        sheet.verifications.push(line(
                            i.id,
                            e.at,
                            e.by,
                            category.clone(),
                            result.into(),
                        ));
                    }
                }
            }
            Record::ServiceRequest(s) if Some(s.community_id) == community => {
                let state = fold_service(&s.events).status.as_str().to_string();
                let item = reference
                    .service(s.item_id)
                    .map(|i| i.name.clone())
                    .unwrap_or_default();
                let done = s.events.iter().find(|e| {
                    in_week(e.at)
                        && matches!(
                            e.action,
                            ServiceAction::Register | ServiceAction::Complete { .. }
                        )
                });
                if let Some(e) = done {
                    sheet
                        .desk_requests
                        .push(line(s.id, e.at, e.by, item, state));
                }
            }
            Record::Patrol(p) if p.grid_id == grid => patrols.push(p),
            Record::WorkLog(w) if w.scope_id == grid || workers.contains(&w.worker_id) => {
                for e in w.entries.iter().filter(|e| in_week(e.at)) {
                    sheet
                        .notes
                        .push(line(e.id, e.at, w.worker_id, e.text.clone(), String::new()));
                }
            }
            Record::Handover(h) if h.grid_id == grid && h.week == monday.to_string() => {
                for r in &h.remarks {
                    sheet
                        .remarks
                        .push(line(r.id, r.at, r.by, r.text.clone(), String::new()));
                }
            }
            _ => {}
        }
    }
    for p in &patrols {
        let week = patrol_week([*p], p.worker_id, monday, &reference.patrol_rule, cal);
        if week.patrols > 0 || (week.running && in_week(p.started_at)) {
            let state = if week.running {
                "running".to_string()
            } else {
                week.minutes.to_string()
            };
            let text = format!(
                "{} fixes, {} visits, {} reports",
                p.track.len(),
                p.visit_ids.len(),
                p.incident_ids.len()
            );
            sheet
                .patrols
                .push(line(p.id, p.started_at, p.worker_id, text, state));
        }
    }
    let authors = [
        &sheet.visits,
        &sheet.reports,
        &sheet.verifications,
        &sheet.patrols,
        &sheet.notes,
    ];
    for by in authors.iter().flat_map(|lines| lines.iter().map(|l| l.by)) {
        if !workers.contains(&by) {
            workers.push(by);
        }
    }
    let desk_of = |w: Uuid| sheet.desk_requests.iter().filter(|l| l.by == w).count() as u32;
    let count = |lines: &[SheetLine], w: Uuid| lines.iter().filter(|l| l.by == w).count() as u32;
    sheet.workers = workers
        .into_iter()
        .filter(|w| reference.user(*w).is_none_or(|u| u.role != Role::Admin))
        .map(|w| WorkerWeek {
            worker_id: w,
            name: name(w),
            visits: count(&sheet.visits, w),
            campaign_visits: campaign.iter().filter(|c| **c == w).count() as u32,
            reports: count(&sheet.reports, w),
            verifications: count(&sheet.verifications, w),
            desk_requests: desk_of(w),
            patrol: patrol_week(
                patrols.iter().copied(),
                w,
                monday,
                &reference.patrol_rule,
                cal,
            ),
        })
        .collect();
    for lines in [
        &mut sheet.visits,
        &mut sheet.reports,
        &mut sheet.verifications,
        &mut sheet.desk_requests,
        &mut sheet.patrols,
        &mut sheet.notes,
        &mut sheet.remarks,
    ] {
        lines.sort_by_key(|l| (l.at, l.id));
    }
    sheet
}
