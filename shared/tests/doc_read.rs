//! `doc::read` (one pass over the document's current state) against autosurgeon's `hydrate`,
//! the reader it replaced: for random records of every kind, after concurrent edits, and on
//! documents that do not fit, both give the same answer.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::collections::BTreeMap;

use automerge::{transaction::Transactable, AutoCommit, ROOT};
use gridwalk_shared::doc;
use gridwalk_shared::model::{
    Answer, Audience, Campaign, CampaignKind, CampaignTarget, CampaignWork, CensusEdit, GpsFix,
    Handover, HandoverRemark, Household, HouseholdFacts, Incident, IncidentAction, IncidentEvent,
    Level, Location, Member, Notice, NoticeContent, NoticeDelivery, NoticeKind, NoticeReceipt,
    NoticeResponse, Patrol, Role, Satisfaction, ServiceAction, ServiceEvent, ServiceRequest,
    TrackPoint, Visit, WorkLogDay, WorkLogEntry,
};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::{Record, RecordKind};
use proptest::collection::{btree_map, vec};
use proptest::option;
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

fn id() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

fn time() -> impl Strategy<Value = Timestamp> {
    (0i64..4_000_000_000_000).prop_map(Timestamp::from_millis)
}

fn number() -> impl Strategy<Value = f64> {
    -1.0e7f64..1.0e7
}

fn location() -> impl Strategy<Value = Location> {
    let gps =
        (number(), number(), option::of(number())).prop_map(|(lat, lon, accuracy_m)| GpsFix {
            lat,
            lon,
            accuracy_m,
        });
    (
        number(),
        number(),
        option::of(number()),
        time(),
        option::of(gps),
    )
        .prop_map(|(lat, lon, accuracy_m, at, adjusted_from)| Location {
            lat,
            lon,
            accuracy_m,
            at,
            adjusted_from,
        })
}

fn satisfaction() -> impl Strategy<Value = Satisfaction> {
    prop_oneof![
        Just(Satisfaction::Satisfied),
        Just(Satisfaction::Basically),
        Just(Satisfaction::Dissatisfied),
    ]
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        any::<bool>().prop_map(Answer::YesNo),
        text().prop_map(Answer::Choice),
        vec(text(), 0..3).prop_map(Answer::Choices),
        text().prop_map(Answer::Text),
        number().prop_map(Answer::Number),
        vec(text(), 0..3).prop_map(Answer::Photos),
    ]
}

fn member() -> impl Strategy<Value = Member> {
    (
        id(),
        text(),
        text(),
        option::of(any::<i64>()),
        vec(text(), 0..3),
    )
        .prop_map(|(id, name, relation, birth_year, tags)| Member {
            id,
            name,
            relation,
            birth_year,
            tags,
        })
}

fn facts() -> impl Strategy<Value = HouseholdFacts> {
    (
        (text(), text(), text()),
        vec(text(), 0..3),
        vec(member(), 0..3),
    )
        .prop_map(|((head, phone, address), tags, members)| HouseholdFacts {
            head,
            phone,
            address,
            tags,
            members,
        })
}

fn campaign_work() -> impl Strategy<Value = CampaignWork> {
    (id(), option::of(id()), option::of((facts(), facts()))).prop_map(
        |(campaign_id, building_id, census)| CampaignWork {
            campaign_id,
            building_id,
            census: census.map(|(before, after)| CensusEdit { before, after }),
        },
    )
}

fn campaign() -> impl Strategy<Value = Record> {
    let kind = prop_oneof![
        Just(CampaignKind::Visit),
        Just(CampaignKind::BuildingCheck),
        Just(CampaignKind::Census),
    ];
    let target =
        (id(), text(), option::of(id())).prop_map(|(id, label, worker_id)| CampaignTarget {
            id,
            label,
            worker_id,
        });
    (
        (id(), id(), id(), id()),
        (text(), kind, time(), time()),
        (option::of(id()), option::of(any::<i64>())),
        vec(target, 0..4),
    )
        .prop_map(
            |(
                (id, campaign_id, grid_id, created_by),
                (name, kind, deadline, created_at),
                (template_id, template_version),
                targets,
            )| {
                Record::Campaign(Campaign {
                    id,
                    campaign_id,
                    grid_id,
                    name,
                    task_kind: kind,
                    deadline,
                    template_id,
                    template_version,
                    created_by,
                    created_at,
                    targets,
                })
            },
        )
}

fn household() -> impl Strategy<Value = Record> {
    let member = (
        id(),
        text(),
        text(),
        option::of(any::<i64>()),
        vec(text(), 0..3),
    )
        .prop_map(|(id, name, relation, birth_year, tags)| Member {
            id,
            name,
            relation,
            birth_year,
            tags,
        });
    (
        (id(), id(), id()),
        (text(), text(), text(), text()),
        vec(text(), 0..3),
        vec(member, 0..4),
    )
        .prop_map(
            |((id, grid_id, building_id), (address, head, phone, notes), tags, members)| {
                Record::Household(Household {
                    id,
                    grid_id,
                    building_id,
                    address,
                    head,
                    phone,
                    tags,
                    members,
                    notes,
                })
            },
        )
}

fn visit() -> impl Strategy<Value = Record> {
    (
        (id(), id(), id(), id()),
        (time(), option::of(time()), option::of(location())),
        (option::of(id()), option::of(any::<i64>())),
        btree_map("[a-d]{1,2}", answer(), 0..12),
        (text(), vec(text(), 0..3), vec(text(), 0..2), any::<bool>()),
        option::of(campaign_work()),
    )
        .prop_map(
            |(
                (id, grid_id, household_id, worker_id),
                (started_at, ended_at, location),
                (template_id, template_version),
                answers,
                (notes, photos, audio, follow_up),
                campaign,
            )| {
                Record::Visit(Visit {
                    id,
                    grid_id,
                    household_id,
                    worker_id,
                    started_at,
                    ended_at,
                    location,
                    template_id,
                    template_version,
                    answers: answers.into_iter().collect::<BTreeMap<_, _>>(),
                    notes,
                    photos,
                    audio,
                    follow_up,
                    campaign,
                })
            },
        )
}

fn incident_action() -> impl Strategy<Value = IncidentAction> {
    let level = prop_oneof![
        Just(Level::Grid),
        Just(Level::Community),
        Just(Level::Street),
        Just(Level::City),
    ];
    prop_oneof![
        Just(IncidentAction::Report),
        (
            level,
            option::of(id()),
            option::of(id()),
            option::of(time())
        )
            .prop_map(|(level, department_id, assignee_id, due)| {
                IncidentAction::Dispatch {
                    level,
                    department_id,
                    assignee_id,
                    due,
                }
            }),
        Just(IncidentAction::Accept),
        Just(IncidentAction::Feedback),
        any::<bool>().prop_map(|passed| IncidentAction::Verify { passed }),
        satisfaction().prop_map(|satisfaction| IncidentAction::Evaluate { satisfaction }),
        Just(IncidentAction::Close),
        Just(IncidentAction::Comment),
    ]
}

fn incident() -> impl Strategy<Value = Record> {
    let event = (
        id(),
        time(),
        id(),
        incident_action(),
        text(),
        vec(text(), 0..2),
        option::of(location()),
    )
        .prop_map(
            |(id, at, by, action, note, photos, location)| IncidentEvent {
                id,
                at,
                by,
                action,
                note,
                photos,
                location,
            },
        );
    (
        (id(), id(), id()),
        (text(), text(), option::of(location())),
        (vec(text(), 0..3), vec(text(), 0..2)),
        vec(event, 0..6),
    )
        .prop_map(
            |(
                (id, grid_id, reporter_id),
                (category, description, location),
                (photos, audio),
                events,
            )| {
                Record::Incident(Incident {
                    id,
                    grid_id,
                    category,
                    description,
                    location,
                    photos,
                    audio,
                    reporter_id,
                    events,
                    received: Default::default(),
                })
            },
        )
}

fn service_request() -> impl Strategy<Value = Record> {
    let action = prop_oneof![
        Just(ServiceAction::Register),
        id().prop_map(|to| ServiceAction::HandOver { to }),
        any::<bool>().prop_map(|on_the_spot| ServiceAction::Complete { on_the_spot }),
        satisfaction().prop_map(|satisfaction| ServiceAction::Rate { satisfaction }),
        Just(ServiceAction::Comment),
    ];
    let event =
        (id(), time(), id(), action, text()).prop_map(|(id, at, by, action, note)| ServiceEvent {
            id,
            at,
            by,
            action,
            note,
        });
    (
        (id(), id(), id()),
        (text(), text(), vec(text(), 0..4)),
        option::of(time()),
        vec(event, 0..5),
    )
        .prop_map(
            |(
                (id, community_id, item_id),
                (resident_name, resident_phone, materials_received),
                due,
                events,
            )| {
                Record::ServiceRequest(ServiceRequest {
                    id,
                    community_id,
                    item_id,
                    resident_name,
                    resident_phone,
                    materials_received,
                    due,
                    events,
                    received: Default::default(),
                })
            },
        )
}

fn work_log() -> impl Strategy<Value = Record> {
    let entry = (id(), time(), text()).prop_map(|(id, at, text)| WorkLogEntry { id, at, text });
    ((id(), id(), id()), text(), vec(entry, 0..5)).prop_map(
        |((id, scope_id, worker_id), date, entries)| {
            Record::WorkLog(WorkLogDay {
                id,
                scope_id,
                worker_id,
                date,
                entries,
            })
        },
    )
}

fn notice_content() -> impl Strategy<Value = NoticeContent> {
    let kind = prop_oneof![Just(NoticeKind::Notice), Just(NoticeKind::Instruction)];
    let response = option::of(prop_oneof![
        Just(NoticeResponse::Reply),
        Just(NoticeResponse::Done)
    ]);
    (
        kind,
        (text(), text()),
        vec(text(), 0..3),
        option::of(text()),
        response,
        option::of(time()),
    )
        .prop_map(
            |(kind, (title, text), photos, pdf, response, deadline)| NoticeContent {
                kind,
                title,
                text,
                photos,
                pdf,
                response,
                deadline,
            },
        )
}

fn notice() -> impl Strategy<Value = Record> {
    let role = prop_oneof![Just(Role::GridWorker), Just(Role::Desk), Just(Role::Admin)];
    let audience =
        (vec(id(), 0..3), vec(role, 0..2), vec(id(), 0..3)).prop_map(|(units, roles, users)| {
            Audience {
                units,
                roles,
                users,
            }
        });
    (
        (id(), id(), id()),
        time(),
        notice_content(),
        audience,
        vec(id(), 0..4),
    )
        .prop_map(
            |((id, sender_id, unit_id), sent_at, content, audience, recipients)| {
                Record::Notice(Notice {
                    id,
                    sender_id,
                    unit_id,
                    sent_at,
                    content,
                    audience,
                    recipients,
                })
            },
        )
}

fn notice_delivery() -> impl Strategy<Value = Record> {
    let receipt = (
        option::of(time()),
        option::of(text()),
        option::of(time()),
        option::of(time()),
    )
        .prop_map(|(read_at, reply, replied_at, done_at)| NoticeReceipt {
            read_at,
            reply,
            replied_at,
            done_at,
        });
    (
        (id(), id(), id()),
        (text(), time()),
        notice_content(),
        receipt,
    )
        .prop_map(
            |((id, notice_id, recipient_id), (sender, sent_at), content, receipt)| {
                Record::NoticeDelivery(NoticeDelivery {
                    id,
                    notice_id,
                    recipient_id,
                    sender,
                    sent_at,
                    content,
                    receipt,
                })
            },
        )
}

fn patrol() -> impl Strategy<Value = Record> {
    // Track points are stored as text with six decimals (a tenth of a metre for accuracy).
    let point = (
        time(),
        -90_000_000i64..90_000_000,
        -180_000_000i64..180_000_000,
        option::of(0u32..10_000),
    )
        .prop_map(|(at, lat, lon, acc)| TrackPoint {
            at,
            lat: lat as f64 / 1e6,
            lon: lon as f64 / 1e6,
            accuracy_m: acc.map(|a| f64::from(a) / 10.0),
        });
    (
        (id(), id(), id()),
        (time(), option::of(time())),
        vec(point, 0..8),
        (vec(id(), 0..3), vec(id(), 0..3)),
    )
        .prop_map(
            |(
                (id, grid_id, worker_id),
                (started_at, ended_at),
                track,
                (visit_ids, incident_ids),
            )| {
                Record::Patrol(Patrol {
                    id,
                    grid_id,
                    worker_id,
                    started_at,
                    ended_at,
                    track,
                    visit_ids,
                    incident_ids,
                })
            },
        )
}

fn handover() -> impl Strategy<Value = Record> {
    let remark = (id(), time(), id(), text()).prop_map(|(id, at, by, text)| HandoverRemark {
        id,
        at,
        by,
        text,
    });
    ((id(), id()), text(), vec(remark, 0..4)).prop_map(|((id, grid_id), week, remarks)| {
        Record::Handover(Handover {
            id,
            grid_id,
            week,
            remarks,
        })
    })
}

fn record() -> impl Strategy<Value = Record> {
    prop_oneof![
        household(),
        visit(),
        incident(),
        service_request(),
        work_log(),
        notice(),
        notice_delivery(),
        patrol(),
        handover(),
        campaign()
    ]
}

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
