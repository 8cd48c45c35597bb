//! Creating, editing and reading records; validation refusals change nothing.

use gridwalk_shared::{
    model::{Answer, IncidentAction, Location},
    workflow::IncidentStatus,
    Record,
};
use tempfile::TempDir;

use super::fixture::*;
use crate::{Error, NewIncident, NewVisit, RecordState};

fn refused_code(result: crate::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::Refused(e)) => e.code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn visit_is_stored_with_outbox_and_query_rows() {
    let dir = TempDir::new().unwrap();
    let clock = TestClock::new();
    let client = signed_in(dir.path(), &worker1(), clock.clone());
    let home = household(GRID1, "幸福路1号101");
    deliver(&client, &[Record::Household(home.clone())]);
    assert_eq!(client.pending_changes().unwrap(), 0);

    let location = Location {
        lat: 39.9,
        lon: 116.4,
        accuracy_m: None,
        at: clock.now_ts(),
        adjusted_from: None,
    };
    let id = client
        .add_visit(NewVisit {
            household_id: home.id,
            note: "独居老人，身体良好".into(),
            location: Some(location.clone()),
            answers: [("fire.extinguisher".to_string(), Answer::YesNo(true))].into(),
            template: Some((TEMPLATE, 1)),
            follow_up: true,
        })
        .unwrap();
    assert_eq!(client.pending_changes().unwrap(), 1);

    let view = client.record(id).unwrap().unwrap();
    let Record::Visit(visit) = view.record else {
        panic!("not a visit")
    };
    assert_eq!(visit.grid_id, GRID1);
    assert_eq!(visit.worker_id, worker1().id);
    assert_eq!(visit.notes, "独居老人，身体良好");
    assert_eq!(visit.location, Some(location));
    assert_eq!(visit.started_at, clock.now_ts());
    assert!(view.state.is_none());

    let rows = client.visits(Some(home.id)).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, id);
    assert_eq!(rows[0].day, "2026-03-02");
    assert!(rows[0].follow_up);
}

#[test]
fn a_dragged_position_keeps_its_fix_and_may_not_move_far() {
    use gridwalk_shared::model::GpsFix;
    let dir = TempDir::new().unwrap();
    let clock = TestClock::new();
    let client = signed_in(dir.path(), &worker1(), clock.clone());
    let home = household(GRID1, "幸福路1号101");
    deliver(&client, &[Record::Household(home.clone())]);
    // GPS put the phone 0.002° (222 m) south, to 250 m; the worker moved it to the door.
    let moved = |south: f64| Location {
        lat: 39.9,
        lon: 116.4,
        accuracy_m: None,
        at: clock.now_ts(),
        adjusted_from: Some(GpsFix {
            lat: 39.9 - south,
            lon: 116.4,
            accuracy_m: Some(250.0),
        }),
    };
    let visit = |location| NewVisit {
        household_id: home.id,
        location: Some(location),
        ..NewVisit::default()
    };
    let id = client.add_visit(visit(moved(0.002))).unwrap();
    let Record::Visit(stored) = client.record(id).unwrap().unwrap().record else {
        panic!("not a visit")
    };
    assert_eq!(stored.location, Some(moved(0.002)), "the fix is kept");
    // 0.02° is 2.2 km: not a correction but another place.
    let far = client.add_visit(visit(moved(0.02))).unwrap_err();
    assert!(far.to_string().contains("at most 1000 m"), "{far}");
    assert_eq!(client.visits(Some(home.id)).unwrap().len(), 1);
}

#[test]
fn a_checklist_answer_that_does_not_fit_is_refused_and_changes_nothing() {
    let dir = TempDir::new().unwrap();
    let client = signed_in(dir.path(), &worker1(), TestClock::new());
    let home = household(GRID1, "幸福路1号101");
    deliver(&client, &[Record::Household(home.clone())]);
    let visit = NewVisit {
        household_id: home.id,
        answers: [("fire.extinguisher".to_string(), Answer::Text("有".into()))].into(),
        template: Some((TEMPLATE, 1)),
        ..NewVisit::default()
    };
    assert_eq!(refused_code(client.add_visit(visit)), "invalid_record");
    assert_eq!(client.pending_changes().unwrap(), 0);
    assert!(client.visits(None).unwrap().is_empty());
}

#[test]
fn visits_end_when_recorded_and_need_required_answers() {
    let dir = TempDir::new().unwrap();
    let clock = TestClock::new();
    let client = signed_in(dir.path(), &worker1(), clock.clone());
    let home = household(GRID1, "幸福路1号101");
    deliver(&client, &[Record::Household(home.clone())]);
    let missing = NewVisit {
        household_id: home.id,
        template: Some((TEMPLATE, 1)),
        ..NewVisit::default()
    };
    assert_eq!(refused_code(client.add_visit(missing)), "invalid_record");
    let id = client
        .add_visit(NewVisit {
            household_id: home.id,
            ..NewVisit::default()
        })
        .unwrap();
    let Record::Visit(visit) = client.record(id).unwrap().unwrap().record else {
        panic!("not a visit")
    };
    assert_eq!(visit.ended_at, Some(clock.now_ts()));
}

#[test]
fn incident_workflow_folds_and_illegal_steps_are_refused() {
    let dir = TempDir::new().unwrap();
    let clock = TestClock::new();
    let client = signed_in(dir.path(), &worker1(), clock.clone());
    let id = client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: "楼道堆放杂物".into(),
            location: None,
        })
        .unwrap();
    let status = |client: &crate::Client| match client.record(id).unwrap().unwrap().state {
        Some(RecordState::Incident(state)) => state.status,
        other => panic!("no incident state: {other:?}"),
    };
    assert_eq!(status(&client), IncidentStatus::Reported);
    assert_eq!(client.incidents().unwrap()[0].status, "reported");

    // Accept needs a dispatch first.
    let before = client.pending_changes().unwrap();
    let refused = client.add_incident_event(id, IncidentAction::Accept, "");
    assert_eq!(refused_code(refused), "illegal_transition");
    assert_eq!(client.pending_changes().unwrap(), before);
    assert_eq!(status(&client), IncidentStatus::Reported);

    client
        .add_incident_event(id, IncidentAction::Comment, "已联系物业")
        .unwrap();
    client
        .add_incident_event(id, IncidentAction::SelfHandle, "已当场清理")
        .unwrap();
    assert_eq!(status(&client), IncidentStatus::Handled);
    // The one who handled it may not check it.
    let own_check = client.add_incident_event(id, IncidentAction::Verify { passed: true }, "");
    assert_eq!(refused_code(own_check), "forbidden");
    assert_eq!(client.incidents().unwrap()[0].status, "handled");
    assert_eq!(client.pending_changes().unwrap(), before + 2);

    // Events made within the same millisecond still fold in the order they were made.
    let Record::Incident(incident) = client.record(id).unwrap().unwrap().record else {
        panic!("not an incident")
    };
    let times: Vec<i64> = incident.events.iter().map(|e| e.at.millis()).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
}

#[test]
fn unknown_category_is_refused() {
    let dir = TempDir::new().unwrap();
    let client = signed_in(dir.path(), &worker1(), TestClock::new());
    let refused = client.report_incident(NewIncident {
        category: "no.such".into(),
        description: "x".into(),
        location: None,
    });
    assert_eq!(refused_code(refused), "invalid_record");
    assert_eq!(client.pending_changes().unwrap(), 0);
    assert!(client.incidents().unwrap().is_empty());
}

#[test]
fn leader_reports_in_a_chosen_grid() {
    let dir = TempDir::new().unwrap();
    let client = signed_in(dir.path(), &leader1(), TestClock::new());
    let new = NewIncident {
        category: "env.garbage".into(),
        description: "占道经营".into(),
        location: None,
    };
    assert!(matches!(
        client.report_incident(new.clone()),
        Err(Error::Usage(_))
    ));
    let id = client.report_incident_in(GRID2, new).unwrap();
    assert_eq!(client.incidents().unwrap()[0].id, id);
}

#[test]
fn household_edits_validate_and_refusals_change_nothing() {
    let dir = TempDir::new().unwrap();
    let client = signed_in(dir.path(), &worker1(), TestClock::new());
    let home = household(GRID1, "幸福路1号101");
    deliver(&client, &[Record::Household(home.clone())]);

    client
        .set_household_field(home.id, "phone", "13900000000")
        .unwrap();
    assert_eq!(client.pending_changes().unwrap(), 1);
    assert_eq!(client.households().unwrap()[0].phone, "13900000000");

    for (field, value, code) in [
        ("phone", "not a phone", "invalid_record"),
        ("grid_id", "x", "unknown_field"),
        ("address", " ", "invalid_record"),
    ] {
        let refused = client.set_household_field(home.id, field, value);
        assert_eq!(refused_code(refused), code, "{field}");
    }
    assert_eq!(client.pending_changes().unwrap(), 1);
    let Record::Household(stored) = client.record(home.id).unwrap().unwrap().record else {
        panic!("not a household")
    };
    assert_eq!(stored.phone, "13900000000");
    assert_eq!(stored.address, "幸福路1号101");

    // Setting the same value again records nothing.
    client
        .set_household_field(home.id, "phone", "13900000000")
        .unwrap();
    assert_eq!(client.pending_changes().unwrap(), 1);
}

#[test]
fn records_outside_the_scope_are_refused() {
    let dir = TempDir::new().unwrap();
    let client = signed_in(dir.path(), &worker1(), TestClock::new());
    let elsewhere = household(GRID2, "幸福路2号202");
    deliver(&client, &[Record::Household(elsewhere.clone())]);
    assert!(
        client.record(elsewhere.id).unwrap().is_none(),
        "a record of another grid is not kept"
    );
    // One the device holds inside its grid, then given to grid 2 while an edit is unsent
    // (re-gridding): it stays until that edit is acknowledged, and takes no new work.
    let home = household(GRID1, "幸福路1号101");
    let servers = super::sync::hold(&client, &Record::Household(home.clone()));
    client
        .set_household_field(home.id, "notes", "独居")
        .unwrap();
    let moved = super::sync::move_to_grid(&client, &servers, &home, GRID2);
    assert_eq!(moved.moved_out, 0, "kept while its edit is unsent");
    let visit = NewVisit {
        household_id: home.id,
        ..NewVisit::default()
    };
    assert_eq!(refused_code(client.add_visit(visit)), "out_of_scope");
    let edit = client.set_household_field(home.id, "head", "李四");
    assert_eq!(refused_code(edit), "out_of_scope");
    assert_eq!(client.pending_changes().unwrap(), 1, "only the first edit");
}

#[test]
fn households_are_listed_in_scope_by_address() {
    let dir = TempDir::new().unwrap();
    let worker = signed_in(&dir.path().join("w"), &worker1(), TestClock::new());
    let leader = signed_in(&dir.path().join("l"), &leader1(), TestClock::new());
    let homes = [
        household(GRID1, "幸福路1号302"),
        household(GRID1, "幸福路1号101"),
        household(GRID2, "幸福路2号101"),
    ]
    .map(Record::Household);
    deliver(&worker, &homes);
    deliver(&leader, &homes);
    let addresses = |c: &crate::Client| -> Vec<String> {
        c.households()
            .unwrap()
            .into_iter()
            .map(|h| h.address)
            .collect()
    };
    assert_eq!(addresses(&worker), ["幸福路1号101", "幸福路1号302"]);
    assert_eq!(
        addresses(&leader),
        ["幸福路1号101", "幸福路1号302", "幸福路2号101"]
    );
}

#[test]
fn edits_need_an_account_and_a_known_record() {
    let dir = TempDir::new().unwrap();
    let fresh = crate::Client::open(dir.path().join("fresh")).unwrap();
    let visit = NewVisit::default();
    assert!(matches!(fresh.add_visit(visit), Err(Error::NotEnrolled)));
    let client = signed_in(&dir.path().join("w"), &worker1(), TestClock::new());
    let missing = gridwalk_shared::time::new_id();
    assert!(matches!(
        client.set_household_field(missing, "head", "x"),
        Err(Error::NotFound(id)) if id == missing
    ));
    let incident = client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: "x".into(),
            location: None,
        })
        .unwrap();
    assert!(matches!(
        client.set_household_field(incident, "head", "x"),
        Err(Error::WrongKind { .. })
    ));
}
