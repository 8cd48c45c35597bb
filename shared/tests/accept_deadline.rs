//! The acceptance deadline (受理时限): whoever an item is dispatched to accepts it by the end
//! of the working day it reached them, counted on the deployment's calendar.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use chrono::NaiveDate;
use gridwalk_shared::calendar::WorkCalendar;
use gridwalk_shared::model::{IncidentAction, IncidentEvent, Level};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::workflow::{fold_incident, IncidentStatus};
use uuid::Uuid;

fn ts(text: &str) -> Timestamp {
    Timestamp::from(
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&chrono::Utc),
    )
}

fn event(n: u128, at: &str, action: IncidentAction) -> IncidentEvent {
    IncidentEvent {
        id: Uuid::from_u128(n),
        at: ts(at),
        by: Uuid::from_u128(0x600),
        action,
        note: String::new(),
        photos: vec![],
        location: None,
    }
}

fn to_street(due: &str) -> IncidentAction {
    IncidentAction::Dispatch {
        level: Level::Street,
        department_id: Some(Uuid::from_u128(0x800)),
        assignee_id: None,
        due: Some(ts(due)),
    }
}

/// A calendar whose Friday 9 October 2026 is a holiday.
fn calendar() -> WorkCalendar {
    let mut calendar = WorkCalendar::default();
    calendar
        .holidays
        .insert(NaiveDate::from_ymd_opt(2026, 10, 9).unwrap());
    calendar
}

#[test]
fn a_dispatched_item_is_accepted_by_the_end_of_that_working_day() {
    let calendar = calendar();
    let mut events = vec![
        event(1, "2026-10-08T09:00:00+08:00", IncidentAction::Report),
        event(
            2,
            "2026-10-08T16:30:00+08:00",
            to_street("2026-10-15T23:59:59+08:00"),
        ),
    ];
    let state = fold_incident(&events);
    assert_eq!(state.status, IncidentStatus::Dispatched);
    let by = ts("2026-10-08T23:59:59+08:00");
    assert_eq!(state.accept_due(&calendar), Some(by));
    assert!(!state.is_late_to_accept(&calendar, ts("2026-10-08T23:00:00+08:00")));
    // Past midnight in Asia/Shanghai (still the 8th in UTC) it is late.
    assert!(state.is_late_to_accept(&calendar, ts("2026-10-09T00:30:00+08:00")));

    // Accepted: nothing is waiting to be accepted any more.
    events.push(event(
        3,
        "2026-10-09T08:00:00+08:00",
        IncidentAction::Accept,
    ));
    let state = fold_incident(&events);
    assert_eq!(state.status, IncidentStatus::Handling);
    assert_eq!(state.accept_due(&calendar), None);
    assert!(!state.is_late_to_accept(&calendar, ts("2026-10-20T00:00:00+08:00")));
}

#[test]
fn dispatched_before_a_holiday_weekend_it_is_due_on_the_next_working_day() {
    let calendar = calendar();
    // Dispatched on the holiday (Friday the 9th): the clock starts on Monday the 12th.
    let events = vec![
        event(1, "2026-10-08T09:00:00+08:00", IncidentAction::Report),
        event(
            2,
            "2026-10-09T10:00:00+08:00",
            to_street("2026-10-19T23:59:59+08:00"),
        ),
    ];
    let state = fold_incident(&events);
    assert_eq!(
        state.accept_due(&calendar),
        Some(ts("2026-10-12T23:59:59+08:00"))
    );
    assert!(!state.is_late_to_accept(&calendar, ts("2026-10-11T20:00:00+08:00")));
}

#[test]
fn a_transfer_restarts_the_acceptance_clock_and_a_return_stops_it() {
    let calendar = calendar();
    let mut events = vec![
        event(1, "2026-10-12T09:00:00+08:00", IncidentAction::Report),
        event(
            2,
            "2026-10-12T10:00:00+08:00",
            to_street("2026-10-19T23:59:59+08:00"),
        ),
        event(
            3,
            "2026-10-13T11:00:00+08:00",
            IncidentAction::Transfer {
                level: Level::Street,
                department_id: Some(Uuid::from_u128(0x801)),
                assignee_id: None,
                due: Some(ts("2026-10-20T23:59:59+08:00")),
            },
        ),
    ];
    let state = fold_incident(&events);
    assert_eq!(
        state.accept_due(&calendar),
        Some(ts("2026-10-13T23:59:59+08:00"))
    );
    events.push(event(
        4,
        "2026-10-13T12:00:00+08:00",
        IncidentAction::Return,
    ));
    let state = fold_incident(&events);
    assert_eq!(state.status, IncidentStatus::Returned);
    assert_eq!(state.accept_due(&calendar), None);
}
