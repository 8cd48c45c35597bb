use super::*;
use crate::time::Timestamp;

fn ts(text: &str) -> Timestamp {
    Timestamp::from(
        chrono::DateTime::parse_from_rfc3339(text)
            .expect("valid test time")
            .with_timezone(&chrono::Utc),
    )
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("valid test date")
}

const WORKER: Uuid = Uuid::from_u128(7);

/// A patrol from `from` to `to` (Beijing local times on `day`); `to: None` is still running.
fn patrol(day: &str, from: &str, to: Option<&str>) -> Patrol {
    Patrol {
        id: Uuid::now_v7(),
        grid_id: Uuid::from_u128(1),
        worker_id: WORKER,
        started_at: ts(&format!("{day}T{from}:00+08:00")),
        ended_at: to.map(|t| ts(&format!("{day}T{t}:00+08:00"))),
        track: vec![],
        visit_ids: vec![],
        incident_ids: vec![],
    }
}

fn week(patrols: &[Patrol], calendar: &WorkCalendar) -> PatrolWeek {
    // Monday 23 November 2026.
    patrol_week(
        patrols,
        WORKER,
        date("2026-11-23"),
        &PatrolRule::default(),
        calendar,
    )
}

#[test]
fn three_half_days_of_two_hours_meet_the_rule() {
    let patrols = [
        patrol("2026-11-23", "09:00", Some("11:00")),
        patrol("2026-11-24", "14:00", Some("16:30")),
        patrol("2026-11-26", "08:30", Some("10:29")),
    ];
    let w = week(&patrols[..2], &WorkCalendar::default());
    assert_eq!((w.counted, w.required, w.met), (2, 3, false));
    let w = week(&patrols, &WorkCalendar::default());
    // The third is one minute short of two hours.
    assert_eq!((w.counted, w.required, w.met), (2, 3, false));
    assert_eq!(w.minutes, 120 + 150 + 119);
    let mut enough = patrols.clone();
    enough[2] = patrol("2026-11-26", "08:30", Some("10:30"));
    let w = week(&enough, &WorkCalendar::default());
    assert_eq!(
        (w.counted, w.required, w.met, w.working_days),
        (3, 3, true, 5)
    );
    assert_eq!(w.half_days[1].date, date("2026-11-24"));
    assert!(w.half_days[1].afternoon && !w.half_days[0].afternoon);
}

#[test]
fn a_holiday_in_the_week_lowers_the_requirement() {
    let mut calendar = WorkCalendar::default();
    calendar.holidays.insert(date("2026-11-25"));
    let patrols = [
        patrol("2026-11-23", "09:00", Some("11:00")),
        patrol("2026-11-24", "14:00", Some("16:00")),
    ];
    let w = week(&patrols, &calendar);
    // 4 working days: ⌊3 × 4 / 5⌋ = 2 half-days.
    assert_eq!(
        (w.working_days, w.required, w.counted, w.met),
        (4, 2, 2, true)
    );
    // A patrol on the holiday itself counts like any other.
    let on_holiday = [patrol("2026-11-25", "09:00", Some("11:00"))];
    assert_eq!(week(&on_holiday, &calendar).counted, 1);
    // A whole week off needs nothing; a make-up workday never raises it above the rule.
    for d in 23..=27 {
        calendar.holidays.insert(date(&format!("2026-11-{d}")));
    }
    let w = week(&[], &calendar);
    assert_eq!((w.working_days, w.required, w.met), (0, 0, true));
    let mut extra = WorkCalendar::default();
    extra.workdays.insert(date("2026-11-28"));
    assert_eq!(week(&[], &extra).required, 3);
}

#[test]
fn a_patrol_spanning_noon_is_cut_into_both_half_days() {
    let w = week(
        &[patrol("2026-11-23", "11:00", Some("14:00"))],
        &WorkCalendar::default(),
    );
    let halves: Vec<(bool, u32, bool)> = w
        .half_days
        .iter()
        .map(|h| (h.afternoon, h.minutes, h.counts))
        .collect();
    assert_eq!(halves, vec![(false, 60, false), (true, 120, true)]);
    assert_eq!((w.minutes, w.counted, w.patrols), (180, 1, 1));
}

#[test]
fn two_short_patrols_in_one_half_day_add_up() {
    let patrols = [
        patrol("2026-11-23", "08:00", Some("09:00")),
        patrol("2026-11-23", "10:00", Some("11:30")),
    ];
    let w = week(&patrols, &WorkCalendar::default());
    assert_eq!(w.half_days.len(), 1);
    assert_eq!((w.half_days[0].minutes, w.counted), (150, 1));
    // Two hours split across two half-days count in neither.
    let split = [
        patrol("2026-11-23", "10:00", Some("11:00")),
        patrol("2026-11-23", "13:00", Some("14:00")),
    ];
    assert_eq!(week(&split, &WorkCalendar::default()).counted, 0);
}

#[test]
fn an_unfinished_patrol_counts_nothing_until_it_ends() {
    let w = week(
        &[patrol("2026-11-23", "09:00", None)],
        &WorkCalendar::default(),
    );
    assert!(w.running);
    assert_eq!((w.minutes, w.counted, w.patrols), (0, 0, 0));
}

#[test]
fn only_the_weeks_part_of_a_patrol_and_only_the_workers_own_count() {
    // Sunday 29th 23:00 → Monday 30th 02:00: one hour falls in the week.
    let mut late = patrol("2026-11-29", "23:00", None);
    late.ended_at = Some(ts("2026-11-30T02:00:00+08:00"));
    let mut other = patrol("2026-11-24", "08:00", Some("11:00"));
    other.worker_id = Uuid::from_u128(8);
    let w = week(&[late, other], &WorkCalendar::default());
    assert_eq!((w.minutes, w.patrols), (60, 1));
    assert_eq!(week_of(date("2026-11-29")), date("2026-11-23"));
    assert_eq!(week_of(date("2026-11-23")), date("2026-11-23"));
}
