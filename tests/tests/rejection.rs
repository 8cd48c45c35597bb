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

    let incident = phone
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: "垃圾桶满溢".into(),
            location: None,
        })
        .unwrap();
    phone.sync().await.unwrap();
    tablet.sync().await.unwrap();

    // Offline, the phone handles it itself while the tablet dispatches it to the community.
    phone
        .add_incident_event(incident, IncidentAction::Feedback, "已自行清理")
        .unwrap();
    let dispatch = IncidentAction::Dispatch {
        level: Level::Community,
        department_id: None,
        assignee_id: None,
        due: None,
    };
    tablet
        .add_incident_event(incident, dispatch, "分拨社区")
        .unwrap();
    assert!(tablet.sync().await.unwrap().rejected.is_empty());

    // Merged, the dispatch falls after the feedback and is no longer legal: refused whole.
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
        2,
        "report + dispatch, as on the server"
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
