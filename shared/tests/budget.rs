//! The document budget (`validate::budget`) and the exact reader (`doc::read_exact`): real
//! use fits with room to spare; oversized texts, long lists, keys outside the schema and deep
//! nesting are refused with their stable codes.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use automerge::{transaction::Transactable, AutoCommit, ObjType, ReadDoc, ROOT};
use gridwalk_shared::doc::{self, chunks};
use gridwalk_shared::model::{
    Household, Incident, IncidentAction, IncidentEvent, Level, Member, Visit,
};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::validate::budget::{self, MAX_DOC_BYTES, MAX_SHORT_TEXT, MAX_TEXT};
use gridwalk_shared::{Record, RecordKind};
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn member(n: u128) -> Member {
    Member {
        id: id(1000 + n),
        name: format!("居民{n}号"),
        relation: ["户主", "配偶", "子女", "父母"][n as usize % 4].into(),
        birth_year: Some(1950 + n as i64),
        tags: vec!["独居老人".into()],
    }
}

fn household(members: usize) -> Household {
    Household {
        id: id(1),
        grid_id: id(2),
        building_id: id(3),
        address: "幸福路12号3号楼2单元501".into(),
        head: "张三".into(),
        phone: "13800000000".into(),
        tags: vec!["低保".into()],
        members: (0..members as u128).map(member).collect(),
        notes: String::new(),
    }
}

fn code(result: Result<(), gridwalk_shared::ValidationError>) -> String {
    result.unwrap_err().code
}

/// A household of 20 members, edited every week for five years (notes rewritten, tags,
/// phone, members moving in and out and their tags), still fits its budget by far.
#[test]
fn twenty_members_and_five_years_of_edits_fit() {
    let mut h = household(20);
    let mut document = doc::create(&Record::Household(h.clone())).unwrap();
    document.commit();
    for week in 0..5 * 52u128 {
        h.notes = format!("第{week}周走访：家中情况稳定，老人身体良好，已提醒注意用电安全。");
        if week % 4 == 0 {
            h.phone = format!("1380000{:04}", week);
        }
        let m = (week % 20) as usize;
        h.members[m].tags = match week % 3 {
            0 => vec!["独居老人".into(), "残疾人".into()],
            1 => vec!["低保".into()],
            _ => Vec::new(),
        };
        if week % 26 == 25 {
            // someone moves out, someone moves in
            h.members.remove(0);
            h.members.push(member(100 + week));
        }
        doc::write(&mut document, &Record::Household(h.clone())).unwrap();
        document.commit();
    }
    let saved = document.save_nocompress();
    let counted = chunks::check_received(&saved).unwrap();
    assert_eq!(counted.changes, 261);
    budget::check_document(counted.changes, saved.len()).unwrap();
    assert!(
        saved.len() * 10 < MAX_DOC_BYTES,
        "{} bytes is more than a tenth of the budget",
        saved.len()
    );
    let record = doc::read_exact(&document, RecordKind::Household).unwrap();
    assert_eq!(record, Record::Household(h));
    budget::check_record(&record).unwrap();
}

#[test]
fn oversized_texts_are_refused() {
    let mut h = household(2);
    h.notes = "记".repeat(MAX_TEXT);
    budget::check_record(&Record::Household(h.clone())).unwrap();
    h.notes.push('记');
    assert_eq!(
        code(budget::check_record(&Record::Household(h.clone()))),
        "field_too_long"
    );
    let mut h = household(2);
    h.members[1].name = "名".repeat(MAX_SHORT_TEXT + 1);
    assert_eq!(
        code(budget::check_record(&Record::Household(h))),
        "field_too_long"
    );
    let mut h = household(2);
    h.members[0].tags = vec!["签".repeat(MAX_SHORT_TEXT + 1)];
    assert_eq!(
        code(budget::check_record(&Record::Household(h))),
        "field_too_long"
    );
}

fn incident(events: usize, photos_each: usize) -> Incident {
    let hash = |n: usize| format!("{n:064x}");
    Incident {
        id: id(10),
        grid_id: id(2),
        category: "env.garbage".into(),
        description: "楼道堆放杂物".into(),
        location: None,
        photos: vec![],
        audio: vec![],
        reporter_id: id(11),
        events: (0..events)
            .map(|n| IncidentEvent {
                id: id(20_000 + n as u128),
                at: Timestamp::from_millis(n as i64),
                by: id(11),
                action: IncidentAction::Comment,
                note: String::new(),
                photos: (0..photos_each).map(|p| hash(n * 1000 + p)).collect(),
                location: None,
            })
            .collect(),
        received: Default::default(),
    }
}

#[test]
fn long_lists_are_refused() {
    assert_eq!(
        code(budget::check_record(&Record::Household(household(
            budget::MAX_MEMBERS + 1
        )))),
        "list_too_long"
    );
    budget::check_record(&Record::Incident(incident(budget::MAX_EVENTS, 0))).unwrap();
    assert_eq!(
        code(budget::check_record(&Record::Incident(incident(
            budget::MAX_EVENTS + 1,
            0
        )))),
        "list_too_long"
    );
    assert_eq!(
        code(budget::check_record(&Record::Incident(incident(
            1,
            budget::MAX_PHOTOS + 1
        )))),
        "list_too_long"
    );
    // Photos per record in all: each event within its list, too many together.
    let per_event = budget::MAX_PHOTOS;
    let events = budget::MAX_BLOBS_PER_RECORD / per_event + 1;
    assert_eq!(
        code(budget::check_record(&Record::Incident(incident(
            events, per_event
        )))),
        "list_too_long"
    );
}

#[test]
fn uploads_and_documents_over_their_caps_are_refused() {
    budget::check_upload(
        budget::MAX_CHANGES_PER_DOC,
        budget::MAX_UPLOAD_BYTES_PER_DOC,
    )
    .unwrap();
    assert_eq!(
        code(budget::check_upload(budget::MAX_CHANGES_PER_DOC + 1, 0)),
        "too_many_changes"
    );
    assert_eq!(
        code(budget::check_upload(
            1,
            budget::MAX_UPLOAD_BYTES_PER_DOC + 1
        )),
        "document_too_large"
    );
    assert_eq!(
        code(budget::check_document(
            budget::MAX_CHANGES_PER_DOC as u64 + 1,
            10
        )),
        "too_many_changes"
    );
    assert_eq!(
        code(budget::check_document(1, MAX_DOC_BYTES + 1)),
        "document_too_large"
    );
}

fn visit() -> Visit {
    Visit {
        id: id(30),
        grid_id: id(2),
        household_id: id(1),
        worker_id: id(11),
        started_at: Timestamp::from_millis(1),
        ended_at: None,
        location: None,
        template_id: None,
        template_version: None,
        answers: Default::default(),
        notes: String::new(),
        photos: vec![],
        audio: vec![],
        follow_up: false,
        campaign: None,
    }
}

#[test]
fn keys_outside_the_schema_are_refused_by_the_exact_reader() {
    // At the root.
    let mut document = doc::create(&Record::Visit(visit())).unwrap();
    document.put(ROOT, "colour", "red").unwrap();
    assert_eq!(
        doc::read(&document, RecordKind::Visit).unwrap(),
        Record::Visit(visit()),
        "the lenient reader ignores it"
    );
    let refused = doc::read_exact(&document, RecordKind::Visit).unwrap_err();
    assert_eq!(refused.code(), "unknown_field");
    assert!(refused.to_string().contains("`colour`"), "{refused}");

    // Inside a list item.
    let mut document = doc::create(&Record::Household(household(3))).unwrap();
    let (_, members) = document.get(ROOT, "members").unwrap().unwrap();
    let (_, second) = document.get(&members, 1).unwrap().unwrap();
    document.put(&second, "nickname", "小明").unwrap();
    let refused = doc::read_exact(&document, RecordKind::Household).unwrap_err();
    assert!(
        refused.to_string().contains("`members[1].nickname`"),
        "{refused}"
    );

    // Beside an enum variant.
    let mut i = incident(1, 0);
    i.events[0].action = IncidentAction::Dispatch {
        level: Level::Grid,
        department_id: None,
        assignee_id: None,
        due: None,
    };
    let mut document = doc::create(&Record::Incident(i.clone())).unwrap();
    doc::read_exact(&document, RecordKind::Incident).unwrap();
    let (_, events) = document.get(ROOT, "events").unwrap().unwrap();
    let (_, event) = document.get(&events, 0).unwrap().unwrap();
    let (_, action) = document.get(&event, "action").unwrap().unwrap();
    let (_, fields) = document.get(&action, "Dispatch").unwrap().unwrap();
    document.put(&fields, "priority", 9).unwrap();
    let refused = doc::read_exact(&document, RecordKind::Incident).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("`events[0].action.Dispatch.priority`"),
        "{refused}"
    );
    assert_eq!(
        doc::read(&document, RecordKind::Incident).unwrap(),
        Record::Incident(i)
    );
}

#[test]
fn deep_nesting_is_refused_not_followed() {
    let mut document = AutoCommit::new();
    let mut obj = document.put_object(ROOT, "notes", ObjType::Map).unwrap();
    for _ in 0..10_000 {
        obj = document.put_object(&obj, "x", ObjType::List).unwrap();
        obj = document.insert_object(&obj, 0, ObjType::Map).unwrap();
    }
    for read in [doc::read::<AutoCommit>, doc::read_exact::<AutoCommit>] {
        let refused = read(&document, RecordKind::Household).unwrap_err();
        assert_eq!(refused.code(), "too_deep");
    }
    // The deepest record, an incident's dispatch, is well within the bound.
    let mut i = incident(1, 0);
    i.events[0].action = IncidentAction::Escalate {
        level: Level::Street,
        department_id: Some(id(5)),
        assignee_id: None,
        due: Some(Timestamp::from_millis(5)),
    };
    let document = doc::create(&Record::Incident(i.clone())).unwrap();
    assert_eq!(
        doc::read_exact(&document, RecordKind::Incident).unwrap(),
        Record::Incident(i)
    );
}
