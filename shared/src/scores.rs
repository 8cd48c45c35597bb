//! The assessment scoreboard (效能考核): scores per grid, community and department over a
//! period, from the records and the street's [`ScoreWeights`]. docs/assessment.md has the
//! formula; this is its one implementation, for the admin API and the phone alike.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::{IncidentAction, OrgKind, Record, ReferenceData, Role, ScoreWeights};
use crate::patrol_week::{patrol_week, week_of};
use crate::time::Timestamp;
use crate::workflow::{fold_incident, fold_order};

/// How long a scoring period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
    /// A calendar quarter.
    Quarter,
}

/// A scoring period: its first and last local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Period {
    /// Week, month or quarter.
    pub kind: PeriodKind,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
}

impl Period {
    /// Parses `week`, `month` or `quarter`.
    pub fn parse_kind(text: &str) -> Option<PeriodKind> {
        match text {
            "week" => Some(PeriodKind::Week),
            "month" => Some(PeriodKind::Month),
            "quarter" => Some(PeriodKind::Quarter),
            _ => None,
        }
    }

    /// The period of `kind` holding `date`.
    pub fn containing(kind: PeriodKind, date: NaiveDate) -> Period {
        let first_of = |month: u32| NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date);
        let (from, months) = match kind {
            PeriodKind::Week => {
                let from = week_of(date);
                return Period {
                    kind,
                    from,
                    to: from + Duration::days(6),
                };
            }
            PeriodKind::Month => (first_of(date.month()), 1),
            PeriodKind::Quarter => (first_of((date.month() - 1) / 3 * 3 + 1), 3),
        };
        let to = from
            .checked_add_months(chrono::Months::new(months))
            .map_or(from, |next| next - Duration::days(1));
        Period { kind, from, to }
    }

    /// Its length in weeks (days / 7).
    pub fn weeks(&self) -> f64 {
        ((self.to - self.from).num_days() + 1) as f64 / 7.0
    }
}

/// A grid's score and the figures behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GridScore {
    /// Grid.
    pub grid_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its community.
    pub community_id: Option<Uuid>,
    /// Households in the grid.
    pub households: u32,
    /// Of them, visited in the period.
    pub households_visited: u32,
    /// Visits in the period.
    pub visits: u32,
    /// Problems reported in the period.
    pub reports: u32,
    /// Reports expected (weights' `reports_per_week` × weeks).
    pub reports_target: f64,
    /// Of the period's reports, handled by now (not open).
    pub reports_handled: u32,
    /// Worker-weeks the patrol rule applied to (weeks begun by now).
    pub patrol_weeks: u32,
    /// Of them, meeting the rule.
    pub patrol_weeks_met: u32,
    /// 信息采集, 0–1.
    pub collection: f64,
    /// 走访巡查, 0–1.
    pub visits_patrols: f64,
    /// 事件处置, 0–1.
    pub handling: f64,
    /// Weighted score, 0–100.
    pub score: f64,
    /// Place in the ranking, from 1.
    pub rank: u32,
}

/// A community's score: the mean of its grids'.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CommunityScore {
    /// Community.
    pub community_id: Uuid,
    /// Its name.
    pub name: String,
    /// Grids scored.
    pub grids: u32,
    /// Mean grid score, 0–100.
    pub score: f64,
    /// Place in the ranking, from 1.
    pub rank: u32,
}

/// A department's score from the items routed to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DepartmentScore {
    /// Department.
    pub department_id: Uuid,
    /// Its name.
    pub name: String,
    /// Items routed to it in the period (dispatch, transfer or escalation).
    pub routed: u32,
    /// Of them, accepted (受理).
    pub accepted: u32,
    /// Of them, reported handled by their due time (按时办结).
    pub on_time: u32,
    /// accepted / routed.
    pub acceptance_rate: f64,
    /// on_time / routed.
    pub on_time_rate: f64,
    /// Weighted score, 0–100.
    pub score: f64,
    /// Place in the ranking, from 1.
    pub rank: u32,
}

/// The whole scoreboard of a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Scoreboard {
    /// The period.
    pub period: Period,
    /// The weights used.
    pub weights: ScoreWeights,
    /// Grids, best first.
    pub grids: Vec<GridScore>,
    /// Communities, best first.
    pub communities: Vec<CommunityScore>,
    /// Departments with routed items, best first.
    pub departments: Vec<DepartmentScore>,
}

fn ratio(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        1.0
    } else {
        f64::from(part) / f64::from(whole)
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Weighted mean of `parts` (value, weight) on a 0–100 scale, to one decimal.
fn weighted(parts: &[(f64, f64)]) -> f64 {
    let total: f64 = parts.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return 0.0;
    }
    round1(100.0 * parts.iter().map(|(v, w)| v * w).sum::<f64>() / total)
}

fn rank_by<T>(
    items: &mut [T],
    score: impl Fn(&T) -> f64,
    name: impl Fn(&T) -> String,
    set: impl Fn(&mut T, u32),
) {
    items.sort_by(|a, b| {
        score(b)
            .total_cmp(&score(a))
            .then_with(|| name(a).cmp(&name(b)))
    });
    for (i, item) in items.iter_mut().enumerate() {
        set(item, i as u32 + 1);
    }
}

/// The scoreboard of `grids` (every grid of the reference data if empty) over `period`,
/// counting patrol weeks begun by `now`.
pub fn scoreboard(
    records: &[Record],
    reference: &ReferenceData,
    period: Period,
    grids: &[Uuid],
    now: Timestamp,
) -> Scoreboard {
    let cal = &reference.calendar;
    let w = reference.score_weights;
    let in_period = |at: Timestamp| (period.from..=period.to).contains(&cal.local_date(at));
    let grid_ids: Vec<Uuid> = match grids {
        [] => reference
            .units
            .iter()
            .filter(|u| u.kind == OrgKind::Grid)
            .map(|u| u.id)
            .collect(),
        some => some.to_vec(),
    };
    let today = cal.local_date(now);
    let mondays: Vec<NaiveDate> =
        std::iter::successors(Some(week_of(period.from)), |d| Some(*d + Duration::days(7)))
            .take_while(|d| *d <= period.to.min(today))
            .filter(|d| *d >= period.from)
            .collect();
    let patrols: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Record::Patrol(p) => Some(p),
            _ => None,
        })
        .collect();
    let mut out: Vec<GridScore> = grid_ids
        .iter()
        .map(|&grid| {
            let households = records
                .iter()
                .filter(|r| matches!(r, Record::Household(h) if h.grid_id == grid))
                .count() as u32;
            let visits: Vec<_> = records
                .iter()
                .filter_map(|r| match r {
                    Record::Visit(v) if v.grid_id == grid && in_period(v.started_at) => Some(v),
                    _ => None,
                })
                .collect();
            let visited: HashSet<Uuid> = visits.iter().map(|v| v.household_id).collect();
            let (mut reports, mut handled) = (0, 0);
            for r in records {
                if let Record::Incident(i) = r {
                    let state = fold_incident(&i.events);
                    if i.grid_id == grid && state.reported_at.is_some_and(in_period) {
                        reports += 1;
                        handled += u32::from(!state.status.is_open());
                    }
                }
            }
            let workers: Vec<Uuid> = reference
                .users
                .iter()
                .filter(|u| {
                    u.scope_id == grid && matches!(u.role, Role::GridWorker | Role::GridLeader)
                })
                .map(|u| u.id)
                .collect();
            let (mut weeks, mut met) = (0, 0);
            for worker in &workers {
                for monday in &mondays {
                    weeks += 1;
                    met += u32::from(
                        patrol_week(
                            patrols.iter().copied(),
                            *worker,
                            *monday,
                            &reference.patrol_rule,
                            cal,
                        )
                        .met,
                    );
                }
            }
            let target = w.reports_per_week * period.weeks();
            let collection = if target > 0.0 {
                (f64::from(reports) / target).min(1.0)
            } else {
                1.0
            };
            let coverage = if households == 0 {
                0.0
            } else {
                f64::from(visited.len() as u32) / f64::from(households)
            };
            let visits_patrols = (coverage.min(1.0) + ratio(met, weeks)) / 2.0;
            let handling = ratio(handled, reports);
            GridScore {
                grid_id: grid,
                name: reference
                    .unit(grid)
                    .map(|u| u.name.clone())
                    .unwrap_or_default(),
                community_id: reference.unit(grid).and_then(|u| u.parent),
                households,
                households_visited: visited.len() as u32,
                visits: visits.len() as u32,
                reports,
                reports_target: round1(target),
                reports_handled: handled,
                patrol_weeks: weeks,
                patrol_weeks_met: met,
                collection,
                visits_patrols,
                handling,
                score: weighted(&[
                    (collection, w.collection),
                    (visits_patrols, w.visits_patrols),
                    (handling, w.handling),
                ]),
                rank: 0,
            }
        })
        .collect();
    rank_by(&mut out, |g| g.score, |g| g.name.clone(), |g, r| g.rank = r);
    let mut by_community: BTreeMap<Uuid, Vec<f64>> = BTreeMap::new();
    for g in &out {
        if let Some(c) = g.community_id {
            by_community.entry(c).or_default().push(g.score);
        }
    }
    let mut communities: Vec<CommunityScore> = by_community
        .into_iter()
        .map(|(id, scores)| CommunityScore {
            community_id: id,
            name: reference
                .unit(id)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            grids: scores.len() as u32,
            score: round1(scores.iter().sum::<f64>() / scores.len() as f64),
            rank: 0,
        })
        .collect();
    rank_by(
        &mut communities,
        |c| c.score,
        |c| c.name.clone(),
        |c, r| c.rank = r,
    );
    let mut departments = department_scores(records, reference, &in_period);
    rank_by(
        &mut departments,
        |d| d.score,
        |d| d.name.clone(),
        |d, r| d.rank = r,
    );
    Scoreboard {
        period,
        weights: w,
        grids: out,
        communities,
        departments,
    }
}

/// Each department's routed, accepted and on-time items: an item is one assignment of an
/// incident to the department (dispatch, transfer or escalation) made in the period; it is
/// accepted if an `accept` follows while it is with the department, on time if a `feedback`
/// (or handling on the spot) follows by its due time.
fn department_scores(
    records: &[Record],
    reference: &ReferenceData,
    in_period: &dyn Fn(Timestamp) -> bool,
) -> Vec<DepartmentScore> {
    let mut tally: BTreeMap<Uuid, (u32, u32, u32)> = BTreeMap::new();
    for r in records {
        let Record::Incident(i) = r else { continue };
        // (department, due, counted, still to accept, still to finish)
        let mut with: Option<(Uuid, Option<Timestamp>, bool, bool, bool)> = None;
        for e in fold_order(&i.events) {
            match &e.action {
                IncidentAction::Dispatch {
                    department_id, due, ..
                }
                | IncidentAction::Transfer {
                    department_id, due, ..
                }
                | IncidentAction::Escalate {
                    department_id, due, ..
                } => {
                    with = department_id.map(|d| (d, *due, in_period(e.at), true, true));
                    if let Some((d, _, true, _, _)) = with {
                        tally.entry(d).or_default().0 += 1;
                    }
                }
                IncidentAction::Accept => {
                    if let Some((d, _, counted, pending @ true, _)) = with.as_mut() {
                        *pending = false;
                        if *counted {
                            tally.entry(*d).or_default().1 += 1;
                        }
                    }
                }
                IncidentAction::Feedback | IncidentAction::SelfHandle => {
                    if let Some((d, due, counted, _, pending @ true)) = with.as_mut() {
                        *pending = false;
                        if *counted && due.is_none_or(|due| e.at <= due) {
                            tally.entry(*d).or_default().2 += 1;
                        }
                    }
                }
                IncidentAction::Return => with = None,
                _ => {}
            }
        }
    }
    let w = reference.score_weights;
    tally
        .into_iter()
        .map(|(id, (routed, accepted, on_time))| {
            let (acceptance_rate, on_time_rate) = (ratio(accepted, routed), ratio(on_time, routed));
            DepartmentScore {
                department_id: id,
                name: reference
                    .departments
                    .iter()
                    .find(|d| d.id == id)
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                routed,
                accepted,
                on_time,
                acceptance_rate,
                on_time_rate,
                score: weighted(&[(acceptance_rate, w.acceptance), (on_time_rate, w.on_time)]),
                rank: 0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
