//! A device whose document the server refuses keeps its own version as a conflict copy, takes
//! the server's, and loses nothing.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use gridwalk_client::{Client, NewIncident};
use gridwalk_shared::model::{IncidentAction, Level, Record};
use gridwalk_tests::Deployment;

#[tokio::test]
async fn refused_document_becomes_a_conflict_copy() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let (phone_dir, tablet_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let phone = Client::open(phone_dir.path()).unwrap();
    let tablet = Client::open(tablet_dir.path()).unwrap();
    phone
        .enroll(
            &server.url,
            &deployment.enroll_code("worker1").unwrap(),
            "phone",
        )
        .await
        .unwrap();
    tablet
        .enroll(
            &server.url,
            &deployment.enroll_code("desk1").unwrap(),
            "tablet",
        )
        .await
        .unwrap();
    phone.sync().await.unwrap();

    // Littering is the grid's own to handle: the server dispatches it to the grid.
    let incident = phone
        .report_incident(NewIncident {
            category: "env.littering".into(),
            description: "绿化带乱扔垃圾".into(),
            location: None,
        })
        .unwrap();
    phone.sync().await.unwrap();
    tablet.sync().await.unwrap();

    // Offline, the phone accepts and handles it while the tablet escalates it to the street.
    phone
        .add_incident_event(incident, IncidentAction::Accept, "")
        .unwrap();
    phone
        .add_incident_event(incident, IncidentAction::Feedback, "已自行清理")
        .unwrap();
    let reference = tablet.reference().unwrap().unwrap();
    let department = reference
        .departments
        .iter()
        .find(|d| d.name == "城管科")
        .unwrap();
    let escalate = IncidentAction::Escalate {
        level: Level::Street,
        department_id: Some(department.id),
        assignee_id: None,
        due: Some(reference.calendar.due(tablet.now(), 5)),
    };
    tablet
        .add_incident_event(incident, escalate, "吹哨上报街道")
        .unwrap();
    assert!(tablet.sync().await.unwrap().rejected.is_empty());

    // Merged, the escalation falls after the feedback and is no longer legal: refused whole.
    let report = phone.sync().await.unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    let (id, code, reason) = &report.rejected[0];
    assert_eq!((*id, code.as_str()), (incident, "illegal_transition"));
    assert!(!reason.is_empty());
    assert_eq!(report.conflict_copies, 1);

    // The phone now shows the server's version and keeps its own aside.
    let view = phone.record(incident).unwrap().unwrap();
    let Record::Incident(server_version) = view.record else {
        panic!("an incident")
    };
    assert_eq!(
        server_version.events.len(),
        3,
        "report, the server's dispatch and the tablet's escalation, as on the server"
    );
    let copies = phone.conflict_copies().unwrap();
    assert_eq!(copies.len(), 1);
    let Some(Record::Incident(mine)) = &copies[0].record else {
        panic!("the local version")
    };
    assert!(
        mine.events.iter().any(|e| e.note == "已自行清理"),
        "the refused work is kept"
    );
    assert_eq!(phone.pending_changes().unwrap(), 0);
    assert!(
        phone.sync().await.unwrap().rejected.is_empty(),
        "the next sync is clean"
    );
}
