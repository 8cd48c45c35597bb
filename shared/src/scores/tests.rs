//! The scoreboard over a fixed week, against numbers worked out by hand.

use super::*;
use crate::model::{
    Department, Household, Incident, IncidentEvent, Level, OrgUnit, Patrol, User, Visit,
};

fn ts(text: &str) -> Timestamp {
    Timestamp::from(
        chrono::DateTime::parse_from_rfc3339(text)
            .expect("valid test time")
            .with_timezone(&chrono::Utc),
    )
}

fn at(day: u32, hour: u32) -> Timestamp {
    ts(&format!("2026-11-{day:02}T{hour:02}:00:00+08:00"))
}

const STREET: Uuid = Uuid::from_u128(1);
const COMMUNITY: Uuid = Uuid::from_u128(2);
const G1: Uuid = Uuid::from_u128(11);
const G2: Uuid = Uuid::from_u128(12);
const W1: Uuid = Uuid::from_u128(21);
const W2: Uuid = Uuid::from_u128(22);
const D1: Uuid = Uuid::from_u128(31);
const D2: Uuid = Uuid::from_u128(32);

fn reference() -> ReferenceData {
    let unit = |id, kind, name: &str, parent| OrgUnit {
        id,
        kind,
        name: name.into(),
        parent,
        boundary: None,
    };
    let user = |id, scope_id| User {
        id,
        login: format!("u{id}"),
        name: format!("worker {id}"),
        role: Role::GridWorker,
        scope_id,
    };
    let dept = |id, name: &str| Department {
        id,
        name: name.into(),
        unit_id: STREET,
    };
    ReferenceData {
        units: vec![
            unit(STREET, OrgKind::Street, "街道", None),
            unit(COMMUNITY, OrgKind::Community, "社区", Some(STREET)),
            unit(G1, OrgKind::Grid, "一网格", Some(COMMUNITY)),
            unit(G2, OrgKind::Grid, "二网格", Some(COMMUNITY)),
        ],
        users: vec![user(W1, G1), user(W2, G2)],
        departments: vec![dept(D1, "城管科"), dept(D2, "住建科")],
        ..Default::default()
    }
}

fn household(n: u128, grid: Uuid) -> Record {
    Record::Household(Household {
        id: Uuid::from_u128(100 + n),
        grid_id: grid,
        building_id: Uuid::nil(),
        address: format!("{n}号"),
        head: String::new(),
        phone: String::new(),
        tags: vec![],
        members: vec![],
        notes: String::new(),
    })
}

fn visit(household: u128, grid: Uuid, worker: Uuid, when: Timestamp) -> Record {
    Record::Visit(Visit {
        id: Uuid::now_v7(),
        grid_id: grid,
        household_id: Uuid::from_u128(100 + household),
        worker_id: worker,
        started_at: when,
        ended_at: Some(when),
        location: None,
        template_id: None,
        template_version: None,
        answers: Default::default(),
        notes: String::new(),
        photos: vec![],
        audio: vec![],
        follow_up: false,
        campaign: None,
    })
}

fn dispatch(department: Uuid, due: Timestamp) -> IncidentAction {
    IncidentAction::Dispatch {
        level: Level::Street,
        department_id: Some(department),
        assignee_id: None,
        due: Some(due),
    }
}

fn incident(grid: Uuid, events: Vec<(Timestamp, IncidentAction)>) -> Record {
    Record::Incident(Incident {
        id: Uuid::now_v7(),
        grid_id: grid,
        category: "env.garbage".into(),
        description: "垃圾".into(),
        location: None,
        photos: vec![],
        audio: vec![],
        reporter_id: W1,
        events: events
            .into_iter()
            .map(|(at, action)| IncidentEvent {
                id: Uuid::now_v7(),
                at,
                by: W1,
                action,
                note: String::new(),
                photos: vec![],
                location: None,
            })
            .collect(),
        received: Default::default(),
    })
}

fn patrol(day: u32, worker: Uuid) -> Record {
    Record::Patrol(Patrol {
        id: Uuid::now_v7(),
        grid_id: G1,
        worker_id: worker,
        started_at: at(day, 9),
        ended_at: Some(at(day, 11)),
        track: vec![],
        visit_ids: vec![],
        incident_ids: vec![],
    })
}

/// The week of Monday 23 November 2026:
/// - 一网格: 4 households, 3 of them visited (4 visits); 2 reports, one handled on the spot,
///   one dispatched to 城管科 and never accepted; its worker patrolled 3 mornings of 2 h.
/// - 二网格: 2 households, 1 visited; 1 report dispatched to 城管科, accepted and handled
///   before its due time; no patrol.
/// - 住建科 got last week's report of 一网格 this Monday, accepted it and reported it
///   handled after its due time.
fn records() -> Vec<Record> {
    use IncidentAction::*;
    let end_of = |day| ts(&format!("2026-11-{day}T23:59:59+08:00"));
    vec![
        household(1, G1),
        household(2, G1),
        household(3, G1),
        household(4, G1),
        household(5, G2),
        household(6, G2),
        visit(1, G1, W1, at(23, 10)),
        visit(2, G1, W1, at(24, 10)),
        visit(2, G1, W1, at(25, 10)),
        visit(3, G1, W1, at(26, 10)),
        visit(5, G2, W2, at(24, 15)),
        // A visit of the week before does not count.
        visit(4, G1, W1, at(20, 10)),
        incident(G1, vec![(at(23, 9), Report), (at(23, 10), SelfHandle)]),
        incident(
            G1,
            vec![(at(24, 9), Report), (at(24, 10), dispatch(D1, end_of(24)))],
        ),
        incident(
            G2,
            vec![
                (at(24, 9), Report),
                (at(24, 10), dispatch(D1, end_of(27))),
                (at(24, 11), Accept),
                (at(26, 11), Feedback),
            ],
        ),
        incident(
            G1,
            vec![
                (at(20, 9), Report),
                (at(23, 9), dispatch(D2, end_of(24))),
                (at(23, 10), Accept),
                (at(26, 10), Feedback),
            ],
        ),
        patrol(23, W1),
        patrol(25, W1),
        patrol(27, W1),
    ]
}

#[test]
fn grids_communities_and_departments_score_as_worked_out_by_hand() {
    let period = Period::containing(
        PeriodKind::Week,
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    );
    assert_eq!(period.from.to_string(), "2026-11-23");
    let board = scoreboard(&records(), &reference(), period, &[], at(30, 9));

    let g1 = &board.grids[0];
    assert_eq!((g1.grid_id, g1.rank), (G1, 1));
    assert_eq!((g1.households, g1.households_visited, g1.visits), (4, 3, 4));
    assert_eq!((g1.reports, g1.reports_handled), (2, 1));
    assert_eq!((g1.patrol_weeks, g1.patrol_weeks_met), (1, 1));
    // collection 2/2 = 1; visits and patrols (3/4 + 1)/2 = 0.875; handling 1/2:
    // 100 × (30 × 1 + 40 × 0.875 + 30 × 0.5) / 100 = 80.
    assert_eq!(
        (g1.collection, g1.visits_patrols, g1.handling),
        (1.0, 0.875, 0.5)
    );
    assert_eq!(g1.score, 80.0);

    let g2 = &board.grids[1];
    assert_eq!((g2.grid_id, g2.rank), (G2, 2));
    // collection 1/2; (1/2 + 0)/2 = 0.25; handling 1: 15 + 10 + 30 = 55.
    assert_eq!(
        (g2.collection, g2.visits_patrols, g2.handling),
        (0.5, 0.25, 1.0)
    );
    assert_eq!(g2.score, 55.0);

    assert_eq!(board.communities.len(), 1);
    assert_eq!(board.communities[0].score, 67.5);

    let d1 = &board.departments[0];
    // 城管科: 2 routed, 1 accepted, 1 on time: 40 × 0.5 + 60 × 0.5 = 50.
    assert_eq!(
        (d1.department_id, d1.routed, d1.accepted, d1.on_time),
        (D1, 2, 1, 1)
    );
    assert_eq!((d1.score, d1.rank), (50.0, 1));
    let d2 = &board.departments[1];
    // 住建科: 1 routed, accepted, late: 40 × 1 + 60 × 0 = 40.
    assert_eq!(
        (d2.department_id, d2.routed, d2.accepted, d2.on_time),
        (D2, 1, 1, 0)
    );
    assert_eq!((d2.score, d2.rank), (40.0, 2));
}

#[test]
fn weights_set_by_the_street_change_the_ranking() {
    let mut reference = reference();
    reference.score_weights.collection = 0.0;
    reference.score_weights.visits_patrols = 0.0;
    let period = Period::containing(
        PeriodKind::Week,
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    );
    let board = scoreboard(&records(), &reference, period, &[], at(30, 9));
    // Handling only: 二网格 1.0 beats 一网格 0.5.
    assert_eq!((board.grids[0].grid_id, board.grids[0].score), (G2, 100.0));
    assert_eq!((board.grids[1].grid_id, board.grids[1].score), (G1, 50.0));
}

#[test]
fn periods_cover_their_month_and_quarter() {
    let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let month = Period::containing(PeriodKind::Month, day);
    assert_eq!(
        (month.from.to_string(), month.to.to_string()),
        ("2026-11-01".into(), "2026-11-30".into())
    );
    let quarter = Period::containing(PeriodKind::Quarter, day);
    assert_eq!(
        (quarter.from.to_string(), quarter.to.to_string()),
        ("2026-10-01".into(), "2026-12-31".into())
    );
    assert_eq!(Period::parse_kind("quarter"), Some(PeriodKind::Quarter));
    assert_eq!(Period::parse_kind("year"), None);
}
