//! Walk-in service requests and work logs.

use gridwalk_shared::{
    model::{Satisfaction, ServiceAction},
    workflow::ServiceStatus,
    Record,
};
use tempfile::TempDir;

use super::fixture::*;
use crate::{Error, NewServiceRequest, RecordState};

#[test]
fn a_walk_in_request_runs_its_workflow() {
    let dir = TempDir::new().unwrap();
    let client = signed_in(dir.path(), &desk1(), TestClock::new());
    let id = client
        .register_service_request(NewServiceRequest {
            item_id: SERVICE,
            resident_name: "刘阿姨".into(),
            resident_phone: "13700000000".into(),
            materials_received: vec!["身份证".into()],
        })
        .unwrap();
    let state = |c: &crate::Client| match c.record(id).unwrap().unwrap().state {
        Some(RecordState::Service(s)) => s,
        other => panic!("no service state: {other:?}"),
    };
    assert_eq!(state(&client).status, ServiceStatus::Registered);
    assert_eq!(state(&client).responsible_id, Some(desk1().id));
    let row = &client.service_requests().unwrap()[0];
    assert_eq!(row.status, "registered");
    // Three working days from Monday 2 March 2026, end of day Beijing time.
    assert_eq!(
        row.due.map(|d| d.to_string()),
        Some("2026-03-05T15:59:59.000Z".to_string())
    );

    let rate_early = client.add_service_event(
        id,
        ServiceAction::Rate {
            satisfaction: Satisfaction::Satisfied,
        },
        "",
    );
    assert!(matches!(rate_early, Err(Error::Refused(e)) if e.code == "illegal_transition"));
    client
        .add_service_event(
            id,
            ServiceAction::Complete { on_the_spot: true },
            "当场办结",
        )
        .unwrap();
    client
        .add_service_event(
            id,
            ServiceAction::Rate {
                satisfaction: Satisfaction::Satisfied,
            },
            "",
        )
        .unwrap();
    assert_eq!(state(&client).status, ServiceStatus::Rated);
    assert_eq!(client.service_requests().unwrap()[0].status, "rated");
    assert_eq!(client.pending_changes().unwrap(), 3);
}

#[test]
fn materials_outside_the_catalogue_are_refused() {
    let dir = TempDir::new().unwrap();
    let client = signed_in(dir.path(), &desk1(), TestClock::new());
    let refused = client.register_service_request(NewServiceRequest {
        item_id: SERVICE,
        resident_name: "刘阿姨".into(),
        materials_received: vec!["结婚证".into()],
        ..NewServiceRequest::default()
    });
    assert!(matches!(refused, Err(Error::Refused(e)) if e.code == "invalid_record"));
    assert!(client.service_requests().unwrap().is_empty());
    assert_eq!(client.pending_changes().unwrap(), 0);
}

#[test]
fn a_days_work_log_is_one_record() {
    let dir = TempDir::new().unwrap();
    let client = signed_in(dir.path(), &worker1(), TestClock::new());
    let first = client.add_work_log("走访3户").unwrap();
    let second = client.add_work_log("处理楼道堆物").unwrap();
    assert_eq!(first, second);
    let Record::WorkLog(day) = client.record(first).unwrap().unwrap().record else {
        panic!("not a work log")
    };
    assert_eq!(day.date, "2026-03-02");
    assert_eq!(day.entries.len(), 2);
    assert_eq!(day.worker_id, worker1().id);
    assert_eq!(client.pending_changes().unwrap(), 2);
}
