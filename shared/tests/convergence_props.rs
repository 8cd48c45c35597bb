//! Property tests: random offline schedules over three replicas of the same records converge,
//! and workflow folding does not depend on the order events arrive in.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use automerge::{AutoCommit, ReadDoc};
use gridwalk_shared::model::{
    Household, Incident, IncidentAction, IncidentEvent, Level, Record, RecordKind,
};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::{doc, workflow};
use proptest::prelude::*;
use uuid::Uuid;

const FIELDS: [&str; 4] = ["phone", "notes", "head", "address"];

#[derive(Debug, Clone)]
enum Step {
    /// Replica `r` edits a household field offline.
    Edit { r: usize, field: usize, value: u8 },
    /// Replica `r` appends an incident event offline.
    Event { r: usize, action: u8, at: u16 },
    /// Replica `a` receives everything replica `b` has (one sync leg).
    Merge { a: usize, b: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..3usize, 0..FIELDS.len(), any::<u8>()).prop_map(|(r, field, value)| Step::Edit {
            r,
            field,
            value
        }),
        (0..3usize, 0..6u8, any::<u16>()).prop_map(|(r, action, at)| Step::Event { r, action, at }),
        (0..3usize, 0..3usize).prop_map(|(a, b)| Step::Merge { a, b }),
    ]
}

fn household() -> Record {
    Record::Household(Household {
        id: Uuid::from_u128(1),
        grid_id: Uuid::from_u128(2),
        building_id: Uuid::from_u128(3),
        address: "幸福路18号1号楼1单元101".into(),
        head: "张伟".into(),
        phone: "13800000000".into(),
        tags: vec![],
        members: vec![],
        notes: String::new(),
    })
}

fn incident() -> Record {
    Record::Incident(Incident {
        id: Uuid::from_u128(4),
        grid_id: Uuid::from_u128(2),
        category: "env.garbage".into(),
        description: "暴露垃圾".into(),
        location: None,
        photos: vec![],
        audio: vec![],
        reporter_id: Uuid::from_u128(5),
        events: vec![IncidentEvent {
            id: Uuid::from_u128(6),
            at: Timestamp::from_millis(1_000),
            by: Uuid::from_u128(5),
            action: IncidentAction::Report,
            note: String::new(),
            photos: vec![],
            location: None,
        }],
        received: Default::default(),
    })
}

fn action(n: u8) -> IncidentAction {
    match n {
        0 => IncidentAction::Dispatch {
            level: Level::Community,
            department_id: None,
            assignee_id: None,
            due: None,
        },
        1 => IncidentAction::Accept,
        2 => IncidentAction::Feedback,
        3 => IncidentAction::Verify { passed: true },
        4 => IncidentAction::Close,
        _ => IncidentAction::Comment,
    }
}

struct Replica {
    household: AutoCommit,
    incident: AutoCommit,
}

fn run(steps: &[Step]) -> Vec<Replica> {
    let mut origin_h = doc::create(&household()).unwrap();
    let mut origin_i = doc::create(&incident()).unwrap();
    let h_bytes = origin_h.save();
    let i_bytes = origin_i.save();
    let mut replicas: Vec<Replica> = (0..3)
        .map(|_| Replica {
            household: AutoCommit::load(&h_bytes).unwrap(),
            incident: AutoCommit::load(&i_bytes).unwrap(),
        })
        .collect();
    for s in steps {
        match *s {
            Step::Edit { r, field, value } => {
                let rep = &mut replicas[r];
                let Record::Household(mut h) =
                    doc::read(&rep.household, RecordKind::Household).unwrap()
                else {
                    unreachable!()
                };
                h.set_field(FIELDS[field], &format!("v{value}")).unwrap();
                doc::write(&mut rep.household, &Record::Household(h)).unwrap();
            }
            Step::Event { r, action: a, at } => {
                let rep = &mut replicas[r];
                let Record::Incident(mut i) =
                    doc::read(&rep.incident, RecordKind::Incident).unwrap()
                else {
                    unreachable!()
                };
                i.events.push(IncidentEvent {
                    id: Uuid::now_v7(),
                    at: Timestamp::from_millis(2_000 + at as i64),
                    by: Uuid::from_u128(5),
                    action: action(a),
                    note: String::new(),
                    photos: vec![],
                    location: None,
                });
                doc::write(&mut rep.incident, &Record::Incident(i)).unwrap();
            }
            Step::Merge { a, b } if a != b => {
                let (mut from_h, mut from_i) =
                    (replicas[b].household.fork(), replicas[b].incident.fork());
                replicas[a].household.merge(&mut from_h).unwrap();
                replicas[a].incident.merge(&mut from_i).unwrap();
            }
            Step::Merge { .. } => {}
        }
    }
    // Everyone syncs with everyone at the end.
    for a in 0..3 {
        for b in 0..3 {
            if a != b {
                let (mut from_h, mut from_i) =
                    (replicas[b].household.fork(), replicas[b].incident.fork());
                replicas[a].household.merge(&mut from_h).unwrap();
                replicas[a].incident.merge(&mut from_i).unwrap();
            }
        }
    }
    replicas
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn three_replicas_converge(steps in prop::collection::vec(step(), 0..40)) {
        let mut replicas = run(&steps);
        let first = &mut replicas[0];
        let (h0, i0) = (
            doc::read(&first.household, RecordKind::Household).unwrap(),
            doc::read(&first.incident, RecordKind::Incident).unwrap(),
        );
        let c0 = doc::conflicts(&first.household);
        // The fields named are exactly those with several current values.
        let several: Vec<String> = first
            .household
            .keys(automerge::ROOT)
            .filter(|k| first.household.get_all(automerge::ROOT, k.as_str()).unwrap().len() > 1)
            .collect();
        let named: Vec<String> = c0.iter().map(|c| c.field.clone()).collect();
        prop_assert_eq!(named, several);
        let s0 = match &i0 { Record::Incident(i) => workflow::fold_incident(&i.events), _ => unreachable!() };
        for r in &replicas[1..] {
            prop_assert_eq!(&doc::read(&r.household, RecordKind::Household).unwrap(), &h0);
            prop_assert_eq!(&doc::read(&r.incident, RecordKind::Incident).unwrap(), &i0);
            prop_assert_eq!(&doc::conflicts(&r.household), &c0);
            let Record::Incident(i) = doc::read(&r.incident, RecordKind::Incident).unwrap() else { unreachable!() };
            prop_assert_eq!(&workflow::fold_incident(&i.events), &s0);
        }
        // No event is ever lost by merging.
        let appended = steps.iter().filter(|s| matches!(s, Step::Event { .. })).count();
        let Record::Incident(i) = i0 else { unreachable!() };
        prop_assert_eq!(i.events.len(), appended + 1);
    }

    #[test]
    fn folding_ignores_arrival_order(actions in prop::collection::vec((0..6u8, 0..50u16), 0..12), seed in any::<u64>()) {
        let Record::Incident(mut i) = incident() else { unreachable!() };
        for (a, at) in actions {
            i.events.push(IncidentEvent {
                id: Uuid::now_v7(),
                at: Timestamp::from_millis(2_000 + at as i64),
                by: Uuid::from_u128(5),
                action: action(a),
                note: String::new(),
                photos: vec![],
                location: None,
            });
        }
        let expected = workflow::fold_incident(&i.events);
        let mut shuffled = i.events.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for k in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(k, (state % (k as u64 + 1)) as usize);
        }
        prop_assert_eq!(workflow::fold_incident(&shuffled), expected);
    }
}

#[test]
fn concurrent_edits_to_one_field_keep_both_values() {
    let mut a = doc::create(&household()).unwrap();
    let mut b = a.fork();
    let Record::Household(mut ha) = doc::read(&a, RecordKind::Household).unwrap() else {
        unreachable!()
    };
    let mut hb = ha.clone();
    ha.phone = "13911111111".into();
    hb.phone = "13922222222".into();
    doc::write(&mut a, &Record::Household(ha)).unwrap();
    doc::write(&mut b, &Record::Household(hb)).unwrap();
    a.merge(&mut b).unwrap();
    let conflicts = doc::conflicts(&a);
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].field, "phone");
    let mut values = conflicts[0].values.clone();
    values.sort();
    assert_eq!(values, vec!["13911111111", "13922222222"]);
    // Picking one settles it everywhere.
    doc::resolve_text(&mut a, "phone", "13922222222").unwrap();
    assert!(doc::conflicts(&a).is_empty());
}
