//! Notices and instructions through the shared validation: who an audience expands to, and
//! the receipt rule (only the server creates deliveries, only the recipient answers one,
//! nobody changes what it says).

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use gridwalk_shared::model::{
    Audience, Department, NoticeContent, NoticeDelivery, NoticeKind, NoticeReceipt, NoticeResponse,
    OrgKind, OrgUnit, Record, ReferenceData, Role, User,
};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::validate::{
    expand_audience, may_read, validate_change, validate_record, Actor,
};
use uuid::Uuid;

const STREET: Uuid = Uuid::from_u128(0x100);
const COMMUNITY: Uuid = Uuid::from_u128(0x200);
const OTHER_COMMUNITY: Uuid = Uuid::from_u128(0x201);
const GRID: Uuid = Uuid::from_u128(0x301);
const OTHER_GRID: Uuid = Uuid::from_u128(0x302);
const FAR_GRID: Uuid = Uuid::from_u128(0x303);
const DEPT: Uuid = Uuid::from_u128(0x800);

fn user(n: u128, role: Role, scope_id: Uuid) -> User {
    User {
        id: Uuid::from_u128(0x600 + n),
        login: format!("u{n}"),
        name: format!("u{n}"),
        role,
        scope_id,
    }
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
            unit(OTHER_COMMUNITY, OrgKind::Community, Some(STREET)),
            unit(GRID, OrgKind::Grid, Some(COMMUNITY)),
            unit(OTHER_GRID, OrgKind::Grid, Some(COMMUNITY)),
            unit(FAR_GRID, OrgKind::Grid, Some(OTHER_COMMUNITY)),
        ],
        departments: vec![Department {
            id: DEPT,
            name: "城管科".into(),
            unit_id: STREET,
        }],
        users: vec![
            user(1, Role::GridWorker, GRID),
            user(2, Role::GridLeader, GRID),
            user(3, Role::GridWorker, OTHER_GRID),
            user(4, Role::Desk, COMMUNITY),
            user(5, Role::GridWorker, FAR_GRID),
            user(6, Role::Department, DEPT),
            user(7, Role::Admin, COMMUNITY),
        ],
        ..ReferenceData::default()
    }
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x600 + n)
}

fn actor(n: u128) -> Actor {
    let reference = reference();
    let u = reference.user(id(n)).unwrap();
    Actor {
        user_id: u.id,
        role: u.role,
        scope_id: u.scope_id,
    }
}

#[test]
fn an_audience_expands_to_the_users_within_its_units_and_roles_and_the_named_ones() {
    let reference = reference();
    let grid = Audience {
        units: vec![GRID],
        ..Audience::default()
    };
    assert_eq!(expand_audience(&grid, &reference), vec![id(1), id(2)]);

    let workers_of_community = Audience {
        units: vec![COMMUNITY],
        roles: vec![Role::GridWorker],
        users: vec![],
    };
    assert_eq!(
        expand_audience(&workers_of_community, &reference),
        vec![id(1), id(3)]
    );

    let grid_and_named = Audience {
        units: vec![GRID],
        roles: vec![],
        users: vec![id(5), id(1), Uuid::from_u128(0xdead)],
    };
    assert_eq!(
        expand_audience(&grid_and_named, &reference),
        vec![id(1), id(2), id(5)],
        "each once, unknown ids dropped"
    );

    let street = Audience {
        units: vec![STREET],
        roles: vec![Role::Department],
        users: vec![],
    };
    assert_eq!(
        expand_audience(&street, &reference),
        vec![id(6)],
        "department staff by their department's unit"
    );
}

fn instruction() -> NoticeContent {
    NoticeContent {
        kind: NoticeKind::Instruction,
        title: "燃气安全排查".into(),
        text: "请于周五前完成本网格燃气安全排查并回复。".into(),
        photos: vec![],
        pdf: None,
        response: Some(NoticeResponse::Reply),
        deadline: Some(Timestamp::from_millis(1_800_000_000_000)),
    }
}

fn delivery(recipient: u128) -> NoticeDelivery {
    NoticeDelivery {
        id: Uuid::from_u128(0x900 + recipient),
        notice_id: Uuid::from_u128(0x900),
        recipient_id: id(recipient),
        sender: "社区管理员".into(),
        sent_at: Timestamp::from_millis(1_700_000_000_000),
        content: instruction(),
        receipt: NoticeReceipt::default(),
    }
}

fn answered(mut d: NoticeDelivery) -> NoticeDelivery {
    let at = Some(Timestamp::from_millis(1_700_000_100_000));
    d.receipt = NoticeReceipt {
        read_at: at,
        reply: Some("已完成排查，无隐患".into()),
        replied_at: at,
        done_at: None,
    };
    d
}

fn check(old: &NoticeDelivery, new: &NoticeDelivery, by: &Actor) -> Result<(), String> {
    let (old, new) = (
        Record::NoticeDelivery(old.clone()),
        Record::NoticeDelivery(new.clone()),
    );
    let reference = reference();
    validate_record(&new, &reference).map_err(|e| e.code.clone())?;
    validate_change(Some(&old), &new, by, &reference).map_err(|e| e.code)
}

#[test]
fn only_the_recipient_answers_a_delivery_and_nobody_changes_what_it_says() {
    let old = delivery(1);
    let new = answered(old.clone());
    assert_eq!(check(&old, &new, &actor(1)), Ok(()));
    assert_eq!(
        check(&old, &new, &actor(2)).unwrap_err(),
        "out_of_scope",
        "a colleague in the same grid cannot answer for the recipient"
    );
    assert_eq!(check(&old, &new, &actor(7)).unwrap_err(), "out_of_scope");

    let mut reworded = new.clone();
    reworded.content.text = "不用排查了".into();
    assert_eq!(
        check(&old, &reworded, &actor(1)).unwrap_err(),
        "immutable_field"
    );

    let mut unread = new.clone();
    unread.receipt = NoticeReceipt::default();
    assert_eq!(check(&new, &unread, &actor(1)).unwrap_err(), "forbidden");

    let mut done_instead = old.clone();
    done_instead.receipt.read_at = Some(Timestamp::from_millis(1));
    done_instead.receipt.done_at = Some(Timestamp::from_millis(2));
    assert_eq!(
        check(&old, &done_instead, &actor(1)).unwrap_err(),
        "invalid_record",
        "this instruction asks for a reply, not a done mark"
    );
}

#[test]
fn no_device_creates_a_delivery_and_only_its_recipient_reads_it() {
    let reference = reference();
    let record = Record::NoticeDelivery(delivery(1));
    validate_record(&record, &reference).unwrap();
    for (by, code) in [(actor(1), "forbidden"), (actor(7), "out_of_scope")] {
        let refused = validate_change(None, &record, &by, &reference).unwrap_err();
        assert_eq!(refused.code, code);
    }
    validate_change(None, &record, &Actor::system(), &reference).unwrap();

    assert!(may_read(&actor(1), id(1), None, &reference));
    assert!(!may_read(&actor(2), id(1), None, &reference));
    assert!(
        !may_read(&actor(7), id(1), None, &reference),
        "the admin reads receipts through the admin API, not as a device"
    );
}
