//! The weekly patrol rule (巡查要求): how much a worker patrolled in a week, cut into
//! half-days, and whether that meets the deployment's [`PatrolRule`]. One function, used by
//! the phone, the hand-over and the admin API alike (docs/assessment.md).
//!
//! - A half-day is local 00:00–12:00 or 12:00–24:00 (the calendar's time zone). A patrol is
//!   cut at those boundaries, so one spanning noon counts towards both halves.
//! - A half-day counts when the patrol time in it (several patrols add up) reaches
//!   `min_minutes`.
//! - A patrol still running (no end) counts nothing until it ends.
//! - Public holidays lower the requirement in proportion to the week's working days, rounded
//!   down: `required = min(half_days, ⌊half_days × working_days / 5⌋)`. A normal week (5
//!   working days) needs 3; a week with one holiday (4) needs 2; the Spring Festival week
//!   (0) needs none; a week with a make-up workday (6) still needs 3. Patrols on a holiday or
//!   weekend count like any other.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::WorkCalendar;
use crate::model::{Patrol, PatrolRule};

const HALF_DAY_MS: i64 = 12 * 3_600_000;

/// Patrol time in one half-day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HalfDay {
    /// Local date.
    pub date: NaiveDate,
    /// Afternoon (12:00–24:00) rather than morning.
    pub afternoon: bool,
    /// Minutes patrolled in it.
    pub minutes: u32,
    /// Whether it reaches the rule's minimum.
    pub counts: bool,
}

/// A worker's patrol week against the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PatrolWeek {
    /// Worker.
    pub worker_id: Uuid,
    /// The week's Monday.
    pub week: NaiveDate,
    /// Finished patrol time in the week, in minutes.
    pub minutes: u32,
    /// Patrols finished (or partly) in the week.
    pub patrols: u32,
    /// Whether a patrol is running (not counted yet).
    pub running: bool,
    /// Half-days with patrol time, in order.
    pub half_days: Vec<HalfDay>,
    /// Half-days that count.
    pub counted: u32,
    /// Working days in the week (after holidays and make-up workdays).
    pub working_days: u32,
    /// Half-days the week needs.
    pub required: u32,
    /// Whether the rule is met.
    pub met: bool,
}

/// The Monday of the week holding `date`.
pub fn week_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// Half-days the week starting `monday` needs under `rule`.
pub fn required_half_days(
    rule: &PatrolRule,
    calendar: &WorkCalendar,
    monday: NaiveDate,
) -> (u32, u32) {
    let working = (0..7)
        .filter(|d| calendar.is_working_day(monday + Duration::days(*d)))
        .count() as u32;
    (working, (rule.half_days * working / 5).min(rule.half_days))
}

/// `worker`'s patrols (any others in `patrols` are skipped) in the week starting `monday`.
pub fn patrol_week<'a>(
    patrols: impl IntoIterator<Item = &'a Patrol>,
    worker: Uuid,
    monday: NaiveDate,
    rule: &PatrolRule,
    calendar: &WorkCalendar,
) -> PatrolWeek {
    let offset_ms = i64::from(calendar.utc_offset_minutes) * 60_000;
    let local_ms = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
            .unwrap_or_default()
    };
    let (week_start, week_end) = (local_ms(monday), local_ms(monday + Duration::days(7)));
    let mut per_half: std::collections::BTreeMap<i64, i64> = Default::default();
    let (mut count, mut running) = (0, false);
    for p in patrols.into_iter().filter(|p| p.worker_id == worker) {
        let start = (p.started_at.millis() + offset_ms).max(week_start);
        let Some(end) = p.ended_at else {
            running |= start < week_end;
            continue;
        };
        let end = (end.millis() + offset_ms).min(week_end);
        if end <= start {
            continue;
        }
        count += 1;
        let mut at = start;
        while at < end {
            let half = at.div_euclid(HALF_DAY_MS);
            let cut = ((half + 1) * HALF_DAY_MS).min(end);
            *per_half.entry(half).or_default() += cut - at;
            at = cut;
        }
    }
    let min_ms = i64::from(rule.min_minutes) * 60_000;
    let half_days: Vec<HalfDay> = per_half
        .iter()
        .map(|(half, ms)| HalfDay {
            date: monday + Duration::days((half * HALF_DAY_MS - week_start).div_euclid(86_400_000)),
            afternoon: half % 2 == 1,
            minutes: (ms / 60_000) as u32,
            counts: *ms >= min_ms,
        })
        .collect();
    let counted = half_days.iter().filter(|h| h.counts).count() as u32;
    let (working_days, required) = required_half_days(rule, calendar, monday);
    PatrolWeek {
        worker_id: worker,
        week: monday,
        minutes: (per_half.values().sum::<i64>() / 60_000) as u32,
        patrols: count,
        running,
        half_days,
        counted,
        working_days,
        required,
        met: counted >= required,
    }
}

#[cfg(test)]
mod tests;
