//! Random records of every kind (proptest strategies), for the reader tests.

use std::collections::BTreeMap;

use gridwalk_shared::model::{
    Answer, Audience, Campaign, CampaignKind, CampaignTarget, CampaignWork, CensusEdit, GpsFix,
    Handover, HandoverRemark, Household, HouseholdFacts, Incident, IncidentAction, IncidentEvent,
    Level, Location, Member, Notice, NoticeContent, NoticeDelivery, NoticeKind, NoticeReceipt,
    NoticeResponse, Patrol, Role, Satisfaction, ServiceAction, ServiceEvent, ServiceRequest,
    TrackPoint, Visit, WorkLogDay, WorkLogEntry,
};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::Record;
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use uuid::Uuid;

pub fn id() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

pub fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

pub fn time() -> impl Strategy<Value = Timestamp> {
    (0i64..4_000_000_000_000).prop_map(Timestamp::from_millis)
}

pub fn number() -> impl Strategy<Value = f64> {
    -1.0e7f64..1.0e7
}

pub fn location() -> impl Strategy<Value = Location> {
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

pub fn satisfaction() -> impl Strategy<Value = Satisfaction> {
    prop_oneof![
        Just(Satisfaction::Satisfied),
        Just(Satisfaction::Basically),
        Just(Satisfaction::Dissatisfied),
    ]
}

pub fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        any::<bool>().prop_map(Answer::YesNo),
        text().prop_map(Answer::Choice),
        vec(text(), 0..3).prop_map(Answer::Choices),
        text().prop_map(Answer::Text),
        number().prop_map(Answer::Number),
        vec(text(), 0..3).prop_map(Answer::Photos),
    ]
}

pub fn member() -> impl Strategy<Value = Member> {
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

pub fn facts() -> impl Strategy<Value = HouseholdFacts> {
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

pub fn campaign_work() -> impl Strategy<Value = CampaignWork> {
    (id(), option::of(id()), option::of((facts(), facts()))).prop_map(
        |(campaign_id, building_id, census)| CampaignWork {
            campaign_id,
            building_id,
            census: census.map(|(before, after)| CensusEdit { before, after }),
        },
    )
}

pub fn campaign() -> impl Strategy<Value = Record> {
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

pub fn household() -> impl Strategy<Value = Record> {
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

pub fn visit() -> impl Strategy<Value = Record> {
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

pub fn incident_action() -> impl Strategy<Value = IncidentAction> {
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

pub fn incident() -> impl Strategy<Value = Record> {
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

pub fn service_request() -> impl Strategy<Value = Record> {
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

pub fn work_log() -> impl Strategy<Value = Record> {
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

pub fn notice_content() -> impl Strategy<Value = NoticeContent> {
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

pub fn notice() -> impl Strategy<Value = Record> {
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

pub fn notice_delivery() -> impl Strategy<Value = Record> {
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

pub fn patrol() -> impl Strategy<Value = Record> {
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

pub fn handover() -> impl Strategy<Value = Record> {
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

pub fn record() -> impl Strategy<Value = Record> {
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
