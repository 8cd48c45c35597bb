//! The incident closed loop through the shared validation: who may add which event, by role
//! and relationship, and that random offline interleavings fold to one state everywhere.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use automerge::AutoCommit;
use gridwalk_shared::model::{
    Department, Incident, IncidentAction, IncidentCategory, IncidentEvent, Level, OrgKind, OrgUnit,
    Record, RecordKind, ReferenceData, Role, Satisfaction, User,
};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::validate::{validate_change, validate_record, Actor};
use gridwalk_shared::workflow::{fold_incident, IncidentStatus, SYSTEM_USER};
use gridwalk_shared::{doc, ValidationError};
use proptest::prelude::*;
use uuid::Uuid;

const STREET: Uuid = Uuid::from_u128(0x100);
const COMMUNITY: Uuid = Uuid::from_u128(0x200);
const GRID: Uuid = Uuid::from_u128(0x301);
const OTHER_GRID: Uuid = Uuid::from_u128(0x302);
const DEPT: Uuid = Uuid::from_u128(0x800);
const OTHER_DEPT: Uuid = Uuid::from_u128(0x801);

fn user(n: u128, role: Role, scope_id: Uuid) -> User {
    User {
        id: Uuid::from_u128(0x600 + n),
        login: format!("u{n}"),
        name: format!("u{n}"),
        role,
        scope_id,
    }
}

fn reporter() -> User {
    user(1, Role::GridWorker, GRID)
}
fn colleague() -> User {
    user(2, Role::GridWorker, GRID)
}
fn outsider() -> User {
    user(3, Role::GridWorker, OTHER_GRID)
}
fn staff() -> User {
    user(4, Role::Department, DEPT)
}
fn other_staff() -> User {
    user(5, Role::Department, OTHER_DEPT)
}
fn admin() -> User {
    user(6, Role::Admin, COMMUNITY)
}

fn unit(id: Uuid, kind: OrgKind, parent: Option<Uuid>) -> OrgUnit {
    OrgUnit {
        id,
        kind,
        name: format!("{kind:?}"),
        parent,
        boundary: None,
    }
}

fn reference() -> ReferenceData {
    ReferenceData {
        version: 1,
        units: vec![
            unit(STREET, OrgKind::Street, None),
            unit(COMMUNITY, OrgKind::Community, Some(STREET)),
            unit(GRID, OrgKind::Grid, Some(COMMUNITY)),
            unit(OTHER_GRID, OrgKind::Grid, Some(COMMUNITY)),
        ],
        departments: [DEPT, OTHER_DEPT]
            .into_iter()
            .map(|id| Department {
                id,
                name: "城管科".into(),
                unit_id: STREET,
            })
            .collect(),
        users: vec![
            reporter(),
            colleague(),
            outsider(),
            staff(),
            other_staff(),
            admin(),
        ],
        categories: vec![IncidentCategory {
            code: "env.garbage".into(),
            name: "暴露垃圾".into(),
            group: "环境卫生".into(),
        }],
        ..ReferenceData::default()
    }
}

fn actor(user: &User) -> Actor {
    Actor {
        user_id: user.id,
        role: user.role,
        scope_id: user.scope_id,
    }
}

fn due() -> Option<Timestamp> {
    Some(Timestamp::from_millis(1_800_000_000_000))
}

fn dispatch(department: Uuid) -> IncidentAction {
    IncidentAction::Dispatch {
        level: Level::Street,
        department_id: Some(department),
        assignee_id: None,
        due: due(),
    }
}

/// One incident moved through the loop by validated events.
struct Case {
    incident: Incident,
    reference: ReferenceData,
    clock: i64,
}

impl Case {
    fn reported() -> Case {
        let mut case = Case {
            incident: Incident {
                id: Uuid::from_u128(0x900),
                grid_id: GRID,
                category: "env.garbage".into(),
                description: "楼道堆放杂物".into(),
                location: None,
                photos: vec![],
                audio: vec![],
                reporter_id: reporter().id,
                events: vec![],
                received: Default::default(),
            },
            reference: reference(),
            clock: 1_790_000_000_000,
        };
        let report = case.event(&actor(&reporter()), IncidentAction::Report, "");
        case.incident.events.push(report);
        let created = Record::Incident(case.incident.clone());
        validate_record(&created, &case.reference).unwrap();
        validate_change(None, &created, &actor(&reporter()), &case.reference).unwrap();
        case
    }

    fn event(&mut self, by: &Actor, action: IncidentAction, note: &str) -> IncidentEvent {
        self.clock += 60_000;
        IncidentEvent {
            id: Uuid::now_v7(),
            at: Timestamp::from_millis(self.clock),
            by: by.user_id,
            action,
            note: note.into(),
            photos: vec![],
            location: None,
        }
    }

    /// Adds an event as `by` if validation lets it; the incident is unchanged otherwise.
    fn act(
        &mut self,
        by: Actor,
        action: IncidentAction,
        note: &str,
    ) -> Result<(), ValidationError> {
        let old = Record::Incident(self.incident.clone());
        let mut next = self.incident.clone();
        next.events.push(self.event(&by, action, note));
        let new = Record::Incident(next.clone());
        validate_record(&new, &self.reference)?;
        validate_change(Some(&old), &new, &by, &self.reference)?;
        self.incident = next;
        Ok(())
    }

    fn status(&self) -> IncidentStatus {
        fold_incident(&self.incident.events).status
    }
}

fn refused(result: Result<(), ValidationError>, code: &str) {
    match result {
        Err(e) => assert_eq!(e.code, code, "{e}"),
        Ok(()) => panic!("expected a refusal with `{code}`"),
    }
}

#[test]
fn the_whole_loop_by_the_right_people() {
    let mut c = Case::reported();
    c.act(Actor::system(), dispatch(DEPT), "").unwrap();
    c.act(actor(&staff()), IncidentAction::Accept, "").unwrap();
    c.act(actor(&staff()), IncidentAction::Feedback, "已清理")
        .unwrap();
    assert_eq!(c.status(), IncidentStatus::Handled);
    c.act(
        actor(&colleague()),
        IncidentAction::Verify { passed: true },
        "",
    )
    .unwrap();
    let rating = IncidentAction::Evaluate {
        satisfaction: Satisfaction::Satisfied,
    };
    c.act(actor(&reporter()), rating, "").unwrap();
    c.act(actor(&admin()), IncidentAction::Close, "").unwrap();
    assert_eq!(c.status(), IncidentStatus::Closed);
    refused(
        c.act(actor(&admin()), IncidentAction::Comment, "再看看"),
        "illegal_transition",
    );
}

#[test]
fn refusals_by_relationship() {
    let mut c = Case::reported();
    // A dispatch without a due time.
    let no_due = IncidentAction::Dispatch {
        level: Level::Street,
        department_id: Some(DEPT),
        assignee_id: None,
        due: None,
    };
    refused(c.act(actor(&admin()), no_due, ""), "missing_due");
    // A grid worker may not dispatch.
    refused(c.act(actor(&reporter()), dispatch(DEPT), ""), "forbidden");
    c.act(actor(&admin()), dispatch(DEPT), "").unwrap();
    // A department accepting an item routed elsewhere (it cannot even see it).
    refused(
        c.act(actor(&other_staff()), IncidentAction::Accept, ""),
        "out_of_scope",
    );
    c.act(actor(&staff()), IncidentAction::Accept, "").unwrap();
    // Two staff accepting: the second is out of place.
    refused(
        c.act(actor(&staff()), IncidentAction::Accept, ""),
        "illegal_transition",
    );
    c.act(actor(&staff()), IncidentAction::Feedback, "已清理")
        .unwrap();
    // The reporter verifying their own report; someone of another grid.
    refused(
        c.act(
            actor(&reporter()),
            IncidentAction::Verify { passed: true },
            "",
        ),
        "forbidden",
    );
    refused(
        c.act(
            actor(&outsider()),
            IncidentAction::Verify { passed: true },
            "",
        ),
        "out_of_scope",
    );
    // A failed check needs a reason.
    refused(
        c.act(
            actor(&colleague()),
            IncidentAction::Verify { passed: false },
            "",
        ),
        "reason_required",
    );
    c.act(
        actor(&colleague()),
        IncidentAction::Verify { passed: true },
        "",
    )
    .unwrap();
    // A grid worker closing a department's item.
    refused(
        c.act(actor(&colleague()), IncidentAction::Close, ""),
        "forbidden",
    );
    // The department may not rate its own work.
    let rating = IncidentAction::Evaluate {
        satisfaction: Satisfaction::Satisfied,
    };
    refused(c.act(actor(&staff()), rating, ""), "forbidden");
    // Devices may not forge server events.
    let mut forged = c.event(&actor(&admin()), IncidentAction::Urge, "");
    forged.by = SYSTEM_USER;
    let old = Record::Incident(c.incident.clone());
    let mut next = c.incident.clone();
    next.events.push(forged);
    let err = validate_change(
        Some(&old),
        &Record::Incident(next),
        &actor(&admin()),
        &c.reference,
    )
    .unwrap_err();
    assert_eq!(err.code, "forbidden");
}

#[test]
fn return_and_redispatch_then_failed_check_and_reopen() {
    let mut c = Case::reported();
    c.act(Actor::system(), dispatch(DEPT), "").unwrap();
    refused(
        c.act(actor(&staff()), IncidentAction::Return, ""),
        "reason_required",
    );
    c.act(actor(&staff()), IncidentAction::Return, "不属于本科室")
        .unwrap();
    assert_eq!(c.status(), IncidentStatus::Returned);
    // The returning department no longer holds it.
    refused(
        c.act(actor(&staff()), IncidentAction::Accept, ""),
        "out_of_scope",
    );
    c.act(actor(&admin()), dispatch(OTHER_DEPT), "").unwrap();
    c.act(actor(&other_staff()), IncidentAction::Accept, "")
        .unwrap();
    c.act(actor(&other_staff()), IncidentAction::Feedback, "已处理")
        .unwrap();
    c.act(
        actor(&colleague()),
        IncidentAction::Verify { passed: false },
        "仍有垃圾",
    )
    .unwrap();
    assert_eq!(c.status(), IncidentStatus::VerifyFailed);
    c.act(actor(&colleague()), IncidentAction::Reopen, "请重新清理")
        .unwrap();
    assert_eq!(c.status(), IncidentStatus::Handling);
    c.act(
        actor(&other_staff()),
        IncidentAction::Feedback,
        "已彻底清理",
    )
    .unwrap();
    c.act(
        actor(&colleague()),
        IncidentAction::Verify { passed: true },
        "",
    )
    .unwrap();
    let unhappy = IncidentAction::Evaluate {
        satisfaction: Satisfaction::Dissatisfied,
    };
    c.act(actor(&reporter()), unhappy, "").unwrap();
    refused(
        c.act(actor(&admin()), IncidentAction::Close, ""),
        "illegal_transition",
    );
    c.act(actor(&reporter()), IncidentAction::Reopen, "居民不满意")
        .unwrap();
    assert_eq!(c.status(), IncidentStatus::Handling);
}

#[test]
fn handled_on_the_spot_is_checked_by_a_colleague_and_closed_in_the_grid() {
    let mut c = Case::reported();
    c.act(actor(&reporter()), IncidentAction::SelfHandle, "已当场清理")
        .unwrap();
    assert_eq!(c.status(), IncidentStatus::Handled);
    refused(
        c.act(
            actor(&reporter()),
            IncidentAction::Verify { passed: true },
            "",
        ),
        "forbidden",
    );
    c.act(
        actor(&colleague()),
        IncidentAction::Verify { passed: true },
        "",
    )
    .unwrap();
    c.act(actor(&colleague()), IncidentAction::Close, "")
        .unwrap();
    assert_eq!(c.status(), IncidentStatus::Closed);
}

#[test]
fn escalation_goes_up_only() {
    let mut c = Case::reported();
    c.act(Actor::system(), dispatch(DEPT), "").unwrap();
    let sideways = IncidentAction::Escalate {
        level: Level::Street,
        department_id: Some(OTHER_DEPT),
        assignee_id: None,
        due: due(),
    };
    refused(c.act(actor(&admin()), sideways, ""), "illegal_transition");
    let up = IncidentAction::Escalate {
        level: Level::City,
        department_id: Some(OTHER_DEPT),
        assignee_id: None,
        due: due(),
    };
    c.act(actor(&admin()), up, "吹哨报到").unwrap();
    let state = fold_incident(&c.incident.events);
    assert_eq!(
        (state.level, state.department_id),
        (Level::City, Some(OTHER_DEPT))
    );
}

/// Who acts in the random schedules: each replica is one person's device.
fn people() -> [Actor; 4] {
    [
        actor(&admin()),
        actor(&staff()),
        actor(&colleague()),
        actor(&reporter()),
    ]
}

fn random_action(n: u8) -> (IncidentAction, &'static str) {
    match n % 9 {
        0 => (dispatch(DEPT), ""),
        1 => (IncidentAction::Accept, ""),
        2 => (IncidentAction::Feedback, "已处理"),
        3 => (IncidentAction::Verify { passed: true }, ""),
        4 => (IncidentAction::Verify { passed: false }, "不合格"),
        5 => (IncidentAction::Reopen, "重新办理"),
        6 => (
            IncidentAction::Evaluate {
                satisfaction: Satisfaction::Basically,
            },
            "",
        ),
        7 => (IncidentAction::Close, ""),
        _ => (IncidentAction::Return, "不属于本科室"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// Four devices act offline on their own copy (each event validated there first, as the
    /// app does), and merge in random legs: every replica folds the same state, and every
    /// event that state applied was legal where it fell (replaying the applied events from
    /// scratch gives the same state with nothing ignored).
    #[test]
    fn offline_interleavings_fold_to_one_state(
        steps in prop::collection::vec((0..4usize, any::<u8>(), any::<bool>(), 0..4usize), 1..40)
    ) {
        let case = Case::reported();
        let origin = doc::create(&Record::Incident(case.incident.clone())).unwrap();
        let mut origin = origin;
        let mut replicas: Vec<AutoCommit> = (0..4).map(|_| origin.fork()).collect();
        let reference = reference();
        let mut clock = 1_790_000_100_000i64;
        for (who, n, merge, from) in steps {
            if merge && who != from {
                let mut other = replicas[from].fork();
                replicas[who].merge(&mut other).unwrap();
                continue;
            }
            let Record::Incident(old) = doc::read(&replicas[who], RecordKind::Incident).unwrap() else { unreachable!() };
            let (action, note) = random_action(n);
            let by = people()[who];
            let latest = old.events.iter().map(|e| e.at.millis()).max().unwrap_or(0);
            clock += 1_000;
            let mut new = old.clone();
            new.events.push(IncidentEvent {
                id: Uuid::now_v7(),
                at: Timestamp::from_millis(clock.max(latest + 1)),
                by: by.user_id,
                action,
                note: note.into(),
                photos: vec![],
                location: None,
            });
            let (old, new) = (Record::Incident(old), Record::Incident(new));
            if validate_change(Some(&old), &new, &by, &reference).is_ok() {
                doc::write(&mut replicas[who], &new).unwrap();
            }
        }
        for a in 0..4 {
            for b in 0..4 {
                if a != b {
                    let mut other = replicas[b].fork();
                    replicas[a].merge(&mut other).unwrap();
                }
            }
        }
        let states: Vec<_> = replicas.iter().map(|r| {
            let Record::Incident(i) = doc::read(r, RecordKind::Incident).unwrap() else { unreachable!() };
            (fold_incident(&i.events), i)
        }).collect();
        for (state, _) in &states[1..] {
            prop_assert_eq!(state, &states[0].0);
        }
        let (state, incident) = &states[0];
        let applied: Vec<IncidentEvent> = incident.events.iter().filter(|e| !state.ignored.contains(&e.id)).cloned().collect();
        let replayed = fold_incident(&applied);
        prop_assert!(replayed.ignored.is_empty());
        prop_assert_eq!(replayed.status, state.status);
    }
}

/// An incident the server files for someone outside (an Open311 client): reported by the
/// server in its own name (`SYSTEM_USER`), then through the loop like any other.
fn filed_by_the_server() -> Incident {
    Incident {
        reporter_id: SYSTEM_USER,
        events: vec![],
        ..Case::reported().incident
    }
}

#[test]
fn the_server_files_an_external_report_in_its_own_name_only() {
    let reference = reference();
    let mut incident = filed_by_the_server();
    let mut case = Case {
        incident: incident.clone(),
        reference: reference.clone(),
        clock: 1_790_000_000_000,
    };
    incident
        .events
        .push(case.event(&Actor::system(), IncidentAction::Report, ""));
    let filed = Record::Incident(incident.clone());
    validate_record(&filed, &reference).unwrap();
    validate_change(None, &filed, &Actor::system(), &reference).unwrap();

    // Not in a worker's name, and no device may file one in the server's name.
    let in_workers_name = Record::Incident(Incident {
        reporter_id: reporter().id,
        ..incident.clone()
    });
    refused(
        validate_change(None, &in_workers_name, &Actor::system(), &reference),
        "forbidden",
    );
    for device in [reporter(), admin(), staff()] {
        refused(
            validate_change(None, &filed, &actor(&device), &reference),
            if device.role == Role::Department {
                "out_of_scope"
            } else {
                "forbidden"
            },
        );
    }

    // Then the loop as usual; the grid's workers may check it (nobody of them reported it).
    case.incident = incident;
    case.act(Actor::system(), dispatch(DEPT), "").unwrap();
    case.act(actor(&staff()), IncidentAction::Accept, "")
        .unwrap();
    case.act(actor(&staff()), IncidentAction::Feedback, "已清理")
        .unwrap();
    case.act(
        actor(&reporter()),
        IncidentAction::Verify { passed: true },
        "",
    )
    .unwrap();
    let rating = IncidentAction::Evaluate {
        satisfaction: Satisfaction::Satisfied,
    };
    case.act(actor(&admin()), rating, "").unwrap();
    case.act(actor(&admin()), IncidentAction::Close, "")
        .unwrap();
    assert_eq!(case.status(), IncidentStatus::Closed);
}

#[test]
fn a_resent_document_after_a_restore_is_checked_event_by_event_as_its_authors() {
    use gridwalk_shared::validate::validate_recovered;
    let mut c = Case::reported();
    c.act(Actor::system(), dispatch(DEPT), "").unwrap();
    c.act(actor(&staff()), IncidentAction::Accept, "").unwrap();
    let resent = Record::Incident(c.incident.clone());
    // The server lost it: as a creation, events in others' names are refused...
    let strict = validate_change(None, &resent, &actor(&reporter()), &c.reference);
    assert_eq!(strict.unwrap_err().code, "forbidden");
    // ...but a re-send after a restore checks each event as its author's.
    validate_recovered(None, &resent, &actor(&reporter()), &c.reference).unwrap();
    // A forged event in someone's name still has to be one they may add.
    let mut forged = c.incident.clone();
    let close = c.event(&actor(&staff()), IncidentAction::Close, "");
    forged.events.push(close);
    let refused = validate_recovered(
        None,
        &Record::Incident(forged),
        &actor(&reporter()),
        &c.reference,
    );
    assert!(refused.is_err());
}
