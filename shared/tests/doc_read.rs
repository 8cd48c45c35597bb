//! `doc::read` (one pass over the document's current state) against autosurgeon's `hydrate`,
//! the reader it replaced: for random records of every kind, after concurrent edits, and on
//! documents that do not fit, both give the same answer.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::collections::BTreeMap;

use automerge::{transaction::Transactable, AutoCommit, ROOT};
use gridwalk_shared::doc;
use gridwalk_shared::model::{Answer, Household, Visit};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::{Record, RecordKind};
use proptest::prelude::*;
use uuid::Uuid;

/// What autosurgeon reads from `doc` as `kind` (`None` if it refuses).
fn hydrated(doc: &AutoCommit, kind: RecordKind) -> Option<Record> {
    Some(match kind {
        RecordKind::Household => Record::Household(autosurgeon::hydrate(doc).ok()?),
        RecordKind::Visit => Record::Visit(autosurgeon::hydrate(doc).ok()?),
        RecordKind::Incident => Record::Incident(autosurgeon::hydrate(doc).ok()?),
        RecordKind::ServiceRequest => Record::ServiceRequest(autosurgeon::hydrate(doc).ok()?),
        RecordKind::WorkLog => Record::WorkLog(autosurgeon::hydrate(doc).ok()?),
        RecordKind::Notice => Record::Notice(autosurgeon::hydrate(doc).ok()?),
        RecordKind::NoticeDelivery => Record::NoticeDelivery(autosurgeon::hydrate(doc).ok()?),
        RecordKind::Patrol => Record::Patrol(autosurgeon::hydrate(doc).ok()?),
        RecordKind::Handover => Record::Handover(autosurgeon::hydrate(doc).ok()?),
        RecordKind::Campaign => Record::Campaign(autosurgeon::hydrate(doc).ok()?),
    })
}

/// Both readers agree on `doc` read as `kind`; returns what they read.
fn agree(doc: &AutoCommit, kind: RecordKind) -> Option<Record> {
    let fast = doc::read(doc, kind).ok();
    assert_eq!(fast, hydrated(doc, kind), "the readers differ on {kind:?}");
    fast
}

const KINDS: [RecordKind; 10] = [
    RecordKind::Household,
    RecordKind::Visit,
    RecordKind::Incident,
    RecordKind::ServiceRequest,
    RecordKind::WorkLog,
    RecordKind::Notice,
    RecordKind::NoticeDelivery,
    RecordKind::Patrol,
    RecordKind::Handover,
    RecordKind::Campaign,
];

mod records;

use records::record;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Every record reads back as written, the same as autosurgeon reads it, and read as any
    /// other kind both readers refuse it or read the same.
    #[test]
    fn records_read_back_as_written(record in record()) {
        let document = doc::create(&record).unwrap();
        prop_assert_eq!(agree(&document, record.kind()), Some(record.clone()));
        for kind in KINDS.into_iter().filter(|k| *k != record.kind()) {
            agree(&document, kind);
        }
    }

    /// Two replicas change the same record at once: after the merge both readers pick the
    /// same of the concurrent values.
    #[test]
    fn concurrent_edits_read_the_same(base in record(), left in record(), right in record()) {
        let kind = base.kind();
        let mut a = doc::create(&base).unwrap();
        let mut b = a.fork();
        for (replica, edit) in [(&mut a, left), (&mut b, right)] {
            if edit.kind() == kind {
                doc::write(replica, &edit).unwrap();
            }
        }
        a.merge(&mut b).unwrap();
        prop_assert!(agree(&a, kind).is_some());
    }
}

/// A document whose fields have the wrong types is refused by both, with the field named.
#[test]
fn misshapen_documents_are_refused_with_the_field_named() {
    let mut good = doc::create(&Record::Household(Household {
        id: Uuid::from_u128(1),
        grid_id: Uuid::from_u128(2),
        building_id: Uuid::from_u128(3),
        address: "幸福路18号1号楼1单元101".into(),
        head: "张伟".into(),
        phone: "13800000000".into(),
        tags: vec!["独居老人".into()],
        members: vec![],
        notes: String::new(),
    }))
    .unwrap();
    assert!(agree(&good, RecordKind::Household).is_some());

    let mut wrong_type = good.fork();
    wrong_type.put(ROOT, "phone", 13_800_000_000_i64).unwrap();
    let mut missing = good.fork();
    missing.delete(ROOT, "notes").unwrap();
    let mut short_id = good.fork();
    short_id.put(ROOT, "grid_id", vec![1u8, 2, 3]).unwrap();
    let mut not_a_list = good.fork();
    not_a_list.put(ROOT, "tags", "a,b").unwrap();

    for (document, field) in [
        (&wrong_type, "phone"),
        (&missing, "notes"),
        (&short_id, "grid_id"),
        (&not_a_list, "tags"),
    ] {
        assert!(agree(document, RecordKind::Household).is_none());
        let message = doc::read(document, RecordKind::Household)
            .unwrap_err()
            .to_string();
        assert!(message.contains(field), "{message}");
    }
    assert!(agree(&AutoCommit::new(), RecordKind::Visit).is_none());
}

/// Each checklist answer is one JSON string scalar in the visit's document (not a map), and
/// an answer that is not valid JSON is refused with the item named.
#[test]
fn answers_are_one_json_scalar_each() {
    use automerge::{ReadDoc, ScalarValue, Value};
    let visit = Visit {
        id: Uuid::from_u128(1),
        grid_id: Uuid::from_u128(2),
        household_id: Uuid::from_u128(3),
        worker_id: Uuid::from_u128(4),
        started_at: Timestamp::from_millis(1_773_104_400_000),
        ended_at: None,
        location: None,
        template_id: None,
        template_version: None,
        answers: BTreeMap::from([
            ("safety.gas_leak".to_string(), Answer::YesNo(true)),
            (
                "safety.hazards".to_string(),
                Answer::Choices(vec!["用电隐患".into(), "无".into()]),
            ),
        ]),
        notes: String::new(),
        photos: vec![],
        audio: vec![],
        follow_up: false,
        campaign: None,
    };
    let mut document = doc::create(&Record::Visit(visit.clone())).unwrap();
    let (_, answers) = document.get(ROOT, "answers").unwrap().unwrap();
    match document
        .get(&answers, "safety.gas_leak")
        .unwrap()
        .unwrap()
        .0
    {
        Value::Scalar(s) => {
            assert_eq!(*s, ScalarValue::from(r#"{"kind":"yes_no","value":true}"#));
        }
        other => panic!("an answer is stored as {other:?}"),
    }
    assert_eq!(
        agree(&document, RecordKind::Visit),
        Some(Record::Visit(visit))
    );

    document.put(&answers, "safety.gas_leak", "yes").unwrap();
    assert!(agree(&document, RecordKind::Visit).is_none());
    let message = doc::read(&document, RecordKind::Visit)
        .unwrap_err()
        .to_string();
    assert!(message.contains("safety.gas_leak"), "{message}");
}
