//! What the app's screens read: visit drafts, today's list, the household card, the grid
//! overview and the work-log day.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use gridwalk_shared::{
    model::{Answer, Location},
    time::{Clock, Timestamp},
    Record,
};
use tempfile::TempDir;

use super::fixture::*;
use crate::media::audio::tests::wav;
use crate::{Client, Error, NewIncident, NewVisit, Task};

/// A clock the test moves; starts at 2026-03-02 09:00 Beijing time.
struct MovingClock(AtomicI64);

impl MovingClock {
    fn new() -> Arc<MovingClock> {
        Arc::new(MovingClock(AtomicI64::new(1_772_413_200_000)))
    }
    fn advance_days(&self, days: i64) {
        self.0.fetch_add(days * 86_400_000, Ordering::SeqCst);
    }
}

impl Clock for MovingClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

fn with_households(
    dir: &std::path::Path,
    clock: Arc<dyn Clock>,
    n: usize,
) -> (Client, Vec<uuid::Uuid>) {
    let client = Client::open_with_clock(dir, clock).unwrap();
    drop(signed_in(dir, &worker1(), TestClock::new()));
    let homes: Vec<Record> = (0..n)
        .map(|i| Record::Household(household(GRID1, &format!("幸福路1号{}01", i + 1))))
        .collect();
    deliver(&client, &homes);
    (client, homes.iter().map(Record::id).collect())
}

fn yes() -> Answer {
    Answer::YesNo(true)
}

#[test]
fn a_visit_draft_survives_a_restart_and_finishes_once() {
    let dir = TempDir::new().unwrap();
    let clock = MovingClock::new();
    let (client, homes) = with_households(dir.path(), clock.clone(), 1);
    let mut draft = client.open_visit_draft(homes[0]).unwrap();
    assert_eq!(draft.template_id, Some(TEMPLATE));
    assert!(
        client.visit_drafts().unwrap().is_empty(),
        "opening stores nothing"
    );
    draft.notes = "老人独居，身体尚可".into();
    draft.location = Some(Location {
        lat: 39.9,
        lon: 116.4,
        accuracy_m: Some(8.0),
        at: clock.now(),
        adjusted_from: None,
    });
    let note = client.add_audio(wav(1), None).unwrap();
    draft.audio = vec![note.hash.clone()];
    client.save_visit_draft(draft.clone()).unwrap();
    drop(client);

    let client = Client::open_with_clock(dir.path(), clock.clone()).unwrap();
    let mut again = client.open_visit_draft(homes[0]).unwrap();
    assert_eq!(again.visit_id, draft.visit_id);
    assert_eq!(again.notes, "老人独居，身体尚可");
    assert_eq!(
        again.audio,
        vec![note.hash.clone()],
        "the audio note survives"
    );
    let missing = client.finish_visit_draft(homes[0]);
    assert!(matches!(missing, Err(Error::Refused(_))), "{missing:?}");
    assert_eq!(
        client.visit_drafts().unwrap().len(),
        1,
        "a refused finish keeps the draft"
    );

    again.answers.insert("fire.extinguisher".into(), yes());
    client.save_visit_draft(again).unwrap();
    let id = client.finish_visit_draft(homes[0]).unwrap();
    assert_eq!(id, draft.visit_id);
    assert!(client.visit_drafts().unwrap().is_empty());
    let Some(Record::Visit(visit)) = client.record(id).unwrap().map(|v| v.record) else {
        panic!("no visit");
    };
    assert_eq!(visit.answers.get("fire.extinguisher"), Some(&yes()));
    assert_eq!(visit.notes, "老人独居，身体尚可");
    assert_eq!(visit.audio, vec![note.hash]);
    assert!(visit.ended_at.is_some());
    assert!(client.pending_changes().unwrap() > 0);
    assert!(matches!(
        client.finish_visit_draft(homes[0]),
        Err(Error::Usage(_))
    ));
    assert_eq!(client.visits(Some(homes[0])).unwrap().len(), 1);
}

#[test]
fn a_draft_answer_that_does_not_fit_is_refused() {
    let dir = TempDir::new().unwrap();
    let (client, homes) = with_households(dir.path(), MovingClock::new(), 1);
    let mut draft = client.open_visit_draft(homes[0]).unwrap();
    draft
        .answers
        .insert("fire.extinguisher".into(), Answer::Text("有".into()));
    assert!(matches!(
        client.save_visit_draft(draft),
        Err(Error::Refused(_))
    ));
    assert!(client.visit_drafts().unwrap().is_empty());
    client.discard_visit_draft(homes[0]).unwrap();
    assert!(matches!(
        client.open_visit_draft(gridwalk_shared::time::new_id()),
        Err(Error::NotFound(_))
    ));
}

#[test]
fn today_lists_due_households_tasks_and_open_reports() {
    let dir = TempDir::new().unwrap();
    let clock = MovingClock::new();
    let (client, homes) = with_households(dir.path(), clock.clone(), 3);
    let today = client.today().unwrap();
    assert_eq!(today.date, "2026-03-02");
    assert_eq!(today.due_total, 3, "never visited: all due");
    assert!(today.tasks.is_empty());

    let visit = |home, follow_up| NewVisit {
        household_id: home,
        follow_up,
        answers: [("fire.extinguisher".to_string(), yes())].into(),
        template: Some((TEMPLATE, 1)),
        ..NewVisit::default()
    };
    client.add_visit(visit(homes[0], false)).unwrap();
    client.add_visit(visit(homes[1], true)).unwrap();
    let draft = client.open_visit_draft(homes[2]).unwrap();
    client.save_visit_draft(draft).unwrap();
    client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: "楼道堆放杂物".into(),
            location: None,
        })
        .unwrap();

    let today = client.today().unwrap();
    assert_eq!(today.visits_today, 2);
    let due: Vec<_> = today.due.iter().map(|d| d.household.id).collect();
    assert_eq!(
        due,
        [homes[2], homes[1]],
        "draft first, then the follow-up; visited one is not due"
    );
    assert!(
        matches!(&today.tasks[0], Task::FinishDraft { household, .. } if household.id == homes[2])
    );
    assert!(
        matches!(&today.tasks[1], Task::FollowUp { household, .. } if household.id == homes[1])
    );
    assert_eq!(today.open_reports.len(), 1);

    clock.advance_days(31);
    let later = client.today().unwrap();
    assert_eq!(later.due_total, 3, "a month later everyone is due again");
    assert_eq!(later.visits_today, 0);
}

#[test]
fn the_household_card_grid_overview_and_search() {
    let dir = TempDir::new().unwrap();
    let (client, homes) = with_households(dir.path(), MovingClock::new(), 2);
    client
        .add_visit(NewVisit {
            household_id: homes[0],
            note: "一切正常".into(),
            ..NewVisit::default()
        })
        .unwrap();
    let card = client.household_card(homes[0]).unwrap();
    assert_eq!(card.household.id, homes[0]);
    assert_eq!(card.visits.len(), 1);
    assert_eq!(card.visits[0].worker, "worker1");
    assert_eq!(card.visits[0].notes, "一切正常");
    assert_eq!(card.grid.map(|g| g.name), Some("第一网格".to_string()));
    assert!(card.conflicts.is_empty());
    assert!(card.draft.is_none());

    let grids = client.my_grids().unwrap();
    assert_eq!(grids.len(), 1, "worker1 walks one grid");
    assert_eq!(grids[0].buildings[0].households, 2);
    assert_eq!(grids[0].buildings[0].visited, 1);
    assert_eq!(client.households_in(BUILDING1).unwrap().len(), 2);
    assert_eq!(client.search_households("201").unwrap().len(), 1);
    assert_eq!(client.search_households("张三").unwrap().len(), 2);
    assert!(client.search_households("  ").unwrap().is_empty());
}

#[test]
fn the_work_day_merges_notes_visits_and_reports_in_time_order() {
    let dir = TempDir::new().unwrap();
    let clock = MovingClock::new();
    let (client, homes) = with_households(dir.path(), clock.clone(), 1);
    client.add_work_log("参加社区例会").unwrap();
    clock.0.fetch_add(60_000, Ordering::SeqCst);
    client
        .add_visit(NewVisit {
            household_id: homes[0],
            ..NewVisit::default()
        })
        .unwrap();
    clock.0.fetch_add(60_000, Ordering::SeqCst);
    client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: "垃圾桶满溢".into(),
            location: None,
        })
        .unwrap();
    let day = client.work_day(None).unwrap();
    assert_eq!(day.date, "2026-03-02");
    let kinds: Vec<&str> = day
        .items
        .iter()
        .map(|i| match i {
            crate::WorkItem::Note { .. } => "note",
            crate::WorkItem::Visit { .. } => "visit",
            crate::WorkItem::Report { .. } => "report",
        })
        .collect();
    assert_eq!(kinds, ["note", "visit", "report"]);
    assert!(client
        .work_day(Some("2026-03-01"))
        .unwrap()
        .items
        .is_empty());
    assert!(matches!(
        client.work_day(Some("March")),
        Err(Error::Usage(_))
    ));
}

#[test]
fn the_grid_map_shows_open_reports_at_their_fixes_and_overdue_buildings() {
    let dir = TempDir::new().unwrap();
    let clock = MovingClock::new();
    let (client, homes) = with_households(dir.path(), clock.clone(), 2);
    client
        .add_visit(NewVisit {
            household_id: homes[0],
            ..NewVisit::default()
        })
        .unwrap();
    let fix = Location {
        lat: 39.1200,
        lon: 117.1900,
        accuracy_m: Some(8.0),
        at: clock.now(),
        adjusted_from: None,
    };
    for location in [Some(fix.clone()), None] {
        client
            .report_incident(NewIncident {
                category: "env.garbage".into(),
                description: "楼道堆放杂物".into(),
                location,
            })
            .unwrap();
    }
    let on_map = client.map_incidents().unwrap();
    assert_eq!(on_map.len(), 1, "only the report with a fix is drawn");
    assert_eq!(on_map[0].location, fix);
    assert!(!on_map[0].to_verify, "my own report is not mine to check");

    let building = |c: &Client| c.my_grids().unwrap()[0].buildings[0].clone();
    assert_eq!(
        (building(&client).visited, building(&client).overdue),
        (1, 0)
    );
    clock.advance_days(40);
    let later = building(&client);
    assert_eq!(
        (later.visited, later.overdue),
        (0, 1),
        "the monthly visit is past due"
    );
}

#[test]
fn the_tablet_map_reads_coverage_for_a_range_and_a_workers_day_as_a_track() {
    use chrono::NaiveDate;
    use gridwalk_shared::track::StopKind;
    let dir = TempDir::new().unwrap();
    let clock = MovingClock::new();
    let (client, homes) = with_households(dir.path(), clock.clone(), 2);
    let fix = |lat: f64| Location {
        lat,
        lon: 117.1900,
        accuracy_m: Some(8.0),
        at: clock.now(),
        adjusted_from: None,
    };
    client
        .add_visit(NewVisit {
            household_id: homes[0],
            location: Some(fix(39.1200)),
            ..NewVisit::default()
        })
        .unwrap();
    clock.0.fetch_add(20 * 60_000, Ordering::SeqCst);
    client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: "楼道堆放杂物".into(),
            location: Some(fix(39.1210)),
        })
        .unwrap();
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();

    let march = client.coverage(day(1), day(2)).unwrap();
    assert_eq!(march.len(), 1, "one building");
    assert_eq!((march[0].households, march[0].visited), (2, 1));
    let before = client.coverage(day(1), day(1)).unwrap();
    assert_eq!(before[0].visited, 0, "nothing visited on the 1st");

    let worker = worker1().id;
    let track = client.day_track(worker, day(2)).unwrap();
    let kinds: Vec<StopKind> = track.stops.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, vec![StopKind::Visit, StopKind::Incident]);
    assert_eq!(track.gaps, 0);
    assert!(
        (track.distance_m - 111.0).abs() < 2.0,
        "{}",
        track.distance_m
    );
    assert!(client.day_track(worker, day(3)).unwrap().stops.is_empty());
}
