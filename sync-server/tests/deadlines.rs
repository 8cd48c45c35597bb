//! Deadlines of the closed loop on a real SQLite store: the server's dispatch takes its due
//! time from the deployment's calendar (a holiday, a make-up workday, a report just before
//! midnight in Asia/Shanghai), and the overdue 督办 is written exactly once per due time.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::collections::HashMap;

use automerge::Automerge;
use chrono::NaiveDate;
use gridwalk_server::store::{Store, StoredDoc};
use gridwalk_server::sync::{check_upload, urge_overdue, DocLocks, Receipt};
use gridwalk_shared::calendar::WorkCalendar;
use gridwalk_shared::model::{
    Department, Incident, IncidentAction, IncidentCategory, IncidentEvent, Level, OrgKind, OrgUnit,
    Record, RecordKind, ReferenceData, Role, RoutingRule, User,
};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::validate::Actor;
use gridwalk_shared::workflow::{fold_incident, IncidentStatus, SYSTEM_USER};
use gridwalk_shared::{doc, wire::DocUpload};
use gridwalk_store_sqlite::SqliteStore;
use serde_bytes::ByteBuf;
use uuid::Uuid;

const STREET: Uuid = Uuid::from_u128(0x100);
const COMMUNITY: Uuid = Uuid::from_u128(0x200);
const GRID: Uuid = Uuid::from_u128(0x301);
const DEPT: Uuid = Uuid::from_u128(0x800);
const WORKER: Uuid = Uuid::from_u128(0x601);

fn ts(text: &str) -> Timestamp {
    Timestamp::from(
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&chrono::Utc),
    )
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// A street whose calendar has the 2026 National Day week off (1–7 Oct) and Saturday
/// 10 Oct worked; garbage goes to the street's 城管科 with 2 working days.
fn reference() -> ReferenceData {
    let unit = |id, kind, parent| OrgUnit {
        id,
        kind,
        name: format!("{kind:?}"),
        parent,
        boundary: None,
    };
    let mut calendar = WorkCalendar::default();
    for d in 1..=7 {
        calendar.holidays.insert(date(&format!("2026-10-0{d}")));
    }
    calendar.workdays.insert(date("2026-10-10"));
    ReferenceData {
        version: 1,
        units: vec![
            unit(STREET, OrgKind::Street, None),
            unit(COMMUNITY, OrgKind::Community, Some(STREET)),
            unit(GRID, OrgKind::Grid, Some(COMMUNITY)),
        ],
        departments: vec![Department {
            id: DEPT,
            name: "城管科".into(),
            unit_id: STREET,
        }],
        users: vec![User {
            id: WORKER,
            login: "worker1".into(),
            name: "张伟".into(),
            role: Role::GridWorker,
            scope_id: GRID,
        }],
        categories: vec![IncidentCategory {
            code: "env.garbage".into(),
            name: "暴露垃圾".into(),
            group: "环境卫生".into(),
        }],
        routing: vec![RoutingRule {
            category: "env.garbage".into(),
            area_id: STREET,
            level: Level::Street,
            department_id: Some(DEPT),
            days: 2,
        }],
        calendar,
        ..ReferenceData::default()
    }
}

fn report(at: Timestamp) -> Record {
    Record::Incident(Incident {
        id: Uuid::now_v7(),
        grid_id: GRID,
        category: "env.garbage".into(),
        description: "楼道堆放杂物".into(),
        location: None,
        photos: vec![],
        audio: vec![],
        reporter_id: WORKER,
        events: vec![IncidentEvent {
            id: Uuid::now_v7(),
            at,
            by: WORKER,
            action: IncidentAction::Report,
            note: String::new(),
            photos: vec![],
            location: None,
        }],
        received: Default::default(),
    })
}

fn upload(record: &Record) -> DocUpload {
    let mut document = doc::create(record).unwrap();
    DocUpload {
        doc_id: record.id(),
        kind: record.kind(),
        scope: record.scope(),
        changes: document
            .get_changes(&[])
            .iter()
            .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
            .collect(),
    }
}

async fn stored_incident(store: &SqliteStore, id: Uuid) -> Incident {
    let held: Vec<StoredDoc> = store.load_docs(vec![id]).await.unwrap();
    let document = Automerge::load(&held[0].snapshot).unwrap();
    match doc::read(&document, RecordKind::Incident).unwrap() {
        Record::Incident(i) => i,
        other => panic!("not an incident: {other:?}"),
    }
}

#[tokio::test]
async fn dispatch_due_follows_the_calendar_and_the_overdue_urge_is_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store.put_reference(reference(), None).await.unwrap();
    let reference = store.reference();
    let actor = Actor {
        user_id: WORKER,
        role: Role::GridWorker,
        scope_id: GRID,
    };
    // Reported Wednesday 30 Sep at 23:50 Beijing (15:50 UTC), received at 00:10 on the 1st,
    // a holiday: work starts on Thu 8th, and 2 working days after it are Fri 9th and the
    // make-up Saturday 10th.
    let record = report(ts("2026-09-30T23:50:00+08:00"));
    let receipt = Receipt {
        server_actor: store.server_actor(),
        now: ts("2026-10-01T00:10:00+08:00"),
        recovering: false,
    };
    let write = check_upload(None, &upload(&record), &actor, &reference, receipt)
        .unwrap()
        .unwrap();
    assert_eq!(write.server_changes.len(), 1, "the server's own change");
    store.commit(Uuid::now_v7(), vec![write]).await.unwrap();

    let held = stored_incident(&store, record.id()).await;
    let state = fold_incident(&held.events);
    assert_eq!(state.status, IncidentStatus::Dispatched);
    assert_eq!(state.department_id, Some(DEPT));
    assert_eq!(state.due, Some(ts("2026-10-10T23:59:59+08:00")));
    let dispatch = held.events.iter().find(|e| e.by == SYSTEM_USER).unwrap();
    assert_eq!(dispatch.at, receipt.now);
    assert_eq!(
        held.received.len(),
        2,
        "a receipt time for the report and the dispatch"
    );

    let locks = DocLocks::default();
    let live = gridwalk_server::live::Live::default();
    let urges = |i: &Incident| {
        i.events
            .iter()
            .filter(|e| e.action == IncidentAction::Urge && e.by == SYSTEM_USER)
            .count()
    };
    // Not overdue just before midnight at the end of the 10th.
    let before = urge_overdue(&store, &locks, &live, ts("2026-10-10T23:59:00+08:00")).await;
    assert_eq!(before.unwrap(), 0);
    // Overdue just after: urged once, and only once.
    let after = ts("2026-10-11T00:01:00+08:00");
    assert_eq!(urge_overdue(&store, &locks, &live, after).await.unwrap(), 1);
    let later = ts("2026-10-12T09:00:00+08:00");
    assert_eq!(urge_overdue(&store, &locks, &live, later).await.unwrap(), 0);
    let held = stored_incident(&store, record.id()).await;
    assert_eq!(urges(&held), 1);
    assert!(fold_incident(&held.events).overdue_urged);

    // The change log carries the server's changes as coming from no device.
    let mut seen = HashMap::new();
    let page = store
        .log_page(
            gridwalk_server::store::Visibility {
                units: vec![GRID],
                department: None,
            },
            Uuid::now_v7(),
            0,
            gridwalk_server::store::PageSize::rows(100),
        )
        .await
        .unwrap();
    for row in &page.rows {
        *seen.entry(row.doc_id).or_insert(0) += 1;
    }
    assert_eq!(seen.get(&record.id()), Some(&3), "report, dispatch, urge");
}

#[tokio::test]
async fn device_clocks_cannot_game_on_time_figures() {
    // A handler whose clock runs ahead claims the fix a day later than the server received
    // it; a clock far behind would put it before the acceptance it follows. Either way it
    // counts at the server's receipt time; the device's own time stays in the record.
    let reference = reference();
    let Record::Incident(mut incident) = report(ts("2026-11-02T09:00:00+08:00")) else {
        unreachable!()
    };
    let dispatch = IncidentEvent {
        id: Uuid::now_v7(),
        at: ts("2026-11-02T09:05:00+08:00"),
        by: SYSTEM_USER,
        action: IncidentAction::Dispatch {
            level: Level::Street,
            department_id: Some(DEPT),
            assignee_id: None,
            due: Some(reference.calendar.due(ts("2026-11-02T09:05:00+08:00"), 2)),
        },
        note: String::new(),
        photos: vec![],
        location: None,
    };
    let accept = IncidentEvent {
        id: Uuid::now_v7(),
        at: ts("2026-11-02T10:00:00+08:00"),
        by: Uuid::from_u128(0x700),
        action: IncidentAction::Accept,
        note: String::new(),
        photos: vec![],
        location: None,
    };
    let feedback = IncidentEvent {
        id: Uuid::now_v7(),
        at: ts("2026-11-03T10:00:00+08:00"),
        by: Uuid::from_u128(0x700),
        action: IncidentAction::Feedback,
        note: "已清理".into(),
        photos: vec![],
        location: None,
    };
    for (event, received) in [
        (&incident.events[0].clone(), "2026-11-02T09:00:01+08:00"),
        (&dispatch, "2026-11-02T09:05:00+08:00"),
        (&accept, "2026-11-02T10:00:05+08:00"),
        // A clock running ahead: claimed later than it arrived.
        (&feedback, "2026-11-02T16:00:00+08:00"),
    ] {
        incident.received.insert(event.id.to_string(), ts(received));
    }
    incident.events.extend([dispatch, accept, feedback]);
    let device = fold_incident(&incident.events);
    let accounted = gridwalk_shared::workflow::fold_incident_accounted(&incident);
    assert_eq!(device.handled_at, Some(ts("2026-11-03T10:00:00+08:00")));
    assert_eq!(accounted.handled_at, Some(ts("2026-11-02T16:00:00+08:00")));
    assert_eq!(device.status, accounted.status);
}
