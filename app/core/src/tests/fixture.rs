//! Reference data, a settable clock and signed-in clients for tests.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use gridwalk_shared::{
    doc,
    model::{
        Building, ChecklistItem, ChecklistTemplate, Household, IncidentCategory, ItemKind, OrgKind,
        OrgUnit, ReferenceData, Role, ServiceItem, User,
    },
    time::{Clock, Timestamp},
    wire::{Cursor, DocDownload, SyncResponse, PROTOCOL_VERSION},
    Record,
};
use serde_bytes::ByteBuf;
use uuid::Uuid;

use crate::store::meta;
use crate::Client;

/// A clock tests can move.
pub struct TestClock(AtomicI64);

impl TestClock {
    /// Starts at 2026-03-02 09:00 Beijing time.
    pub fn new() -> Arc<TestClock> {
        Arc::new(TestClock(AtomicI64::new(1_772_413_200_000)))
    }

    /// The current time.
    pub fn now_ts(&self) -> Timestamp {
        self.now()
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

pub const STREET: Uuid = Uuid::from_u128(0x100);
pub const COMMUNITY: Uuid = Uuid::from_u128(0x200);
pub const GRID1: Uuid = Uuid::from_u128(0x301);
pub const GRID2: Uuid = Uuid::from_u128(0x302);
pub const BUILDING1: Uuid = Uuid::from_u128(0x401);
pub const BUILDING2: Uuid = Uuid::from_u128(0x402);
pub const TEMPLATE: Uuid = Uuid::from_u128(0x500);
pub const SERVICE: Uuid = Uuid::from_u128(0x700);
pub const EPOCH: Uuid = Uuid::from_u128(0xE1);

fn unit(id: Uuid, kind: OrgKind, name: &str, parent: Option<Uuid>) -> OrgUnit {
    OrgUnit {
        id,
        kind,
        name: name.into(),
        parent,
        boundary: None,
    }
}

fn user(n: u128, login: &str, role: Role, scope_id: Uuid) -> User {
    User {
        id: Uuid::from_u128(0x600 + n),
        login: login.into(),
        name: login.into(),
        role,
        scope_id,
    }
}

/// worker1 and worker1b walk grid 1, worker2 grid 2; leader1 leads the community.
pub fn worker1() -> User {
    user(1, "worker1", Role::GridWorker, GRID1)
}
pub fn worker1b() -> User {
    user(2, "worker1b", Role::GridWorker, GRID1)
}
pub fn worker2() -> User {
    user(3, "worker2", Role::GridWorker, GRID2)
}
pub fn leader1() -> User {
    user(4, "leader1", Role::GridLeader, COMMUNITY)
}

pub fn desk1() -> User {
    user(5, "desk1", Role::Desk, COMMUNITY)
}

/// A street with one community of two grids, a building in each, env.garbage and a
/// checklist.
pub fn reference() -> ReferenceData {
    ReferenceData {
        version: 3,
        units: vec![
            unit(STREET, OrgKind::Street, "新华街道", None),
            unit(COMMUNITY, OrgKind::Community, "幸福社区", Some(STREET)),
            unit(GRID1, OrgKind::Grid, "第一网格", Some(COMMUNITY)),
            unit(GRID2, OrgKind::Grid, "第二网格", Some(COMMUNITY)),
        ],
        buildings: vec![
            Building {
                id: BUILDING1,
                grid_id: GRID1,
                name: "1号楼".into(),
                address: "幸福路1号".into(),
                position: None,
            },
            Building {
                id: BUILDING2,
                grid_id: GRID2,
                name: "2号楼".into(),
                address: "幸福路2号".into(),
                position: None,
            },
        ],
        users: vec![worker1(), worker1b(), worker2(), leader1(), desk1()],
        categories: vec![IncidentCategory {
            code: "env.garbage".into(),
            name: "暴露垃圾".into(),
            group: "环境卫生".into(),
        }],
        checklists: vec![ChecklistTemplate {
            id: TEMPLATE,
            version: 1,
            name: "走访清单".into(),
            items: vec![ChecklistItem {
                key: "fire.extinguisher".into(),
                label: "有灭火器".into(),
                kind: ItemKind::YesNo,
                required: true,
            }],
        }],
        services: vec![ServiceItem {
            id: SERVICE,
            category: "社会保障".into(),
            name: "城乡居民医保参保登记".into(),
            materials: vec!["身份证".into(), "户口簿".into()],
            steps: vec!["窗口受理".into()],
            time_limit_days: 3,
            department: "社保所".into(),
        }],
        ..ReferenceData::default()
    }
}

/// A household in `grid` (building 1 or 2 to match).
pub fn household(grid: Uuid, address: &str) -> Household {
    Household {
        id: gridwalk_shared::time::new_id(),
        grid_id: grid,
        building_id: if grid == GRID1 { BUILDING1 } else { BUILDING2 },
        address: address.into(),
        head: "张三".into(),
        phone: "13800000000".into(),
        tags: vec![],
        members: vec![],
        notes: String::new(),
    }
}

/// A client in `dir` signed in as `user`, holding the fixture's reference data.
pub fn signed_in(dir: &std::path::Path, user: &User, clock: Arc<TestClock>) -> Client {
    let client = Client::open_with_clock(dir, clock).expect("open");
    client
        .store()
        .write(|tx| {
            meta::set_credentials(
                tx,
                &meta::Credentials {
                    device_id: gridwalk_shared::time::new_id(),
                    token: "test-token".into(),
                    server_url: "http://127.0.0.1:9".into(),
                    user: user.clone(),
                },
            )?;
            meta::set_reference(tx, &reference())
        })
        .expect("sign in");
    client
}

/// A response that delivers `records` as whole documents.
pub fn delivery(records: &[Record], seq: u64) -> SyncResponse {
    SyncResponse {
        protocol: PROTOCOL_VERSION,
        accepted: vec![],
        rejected: vec![],
        docs: records
            .iter()
            .map(|r| DocDownload {
                doc_id: r.id(),
                kind: r.kind(),
                scope: r.scope(),
                data: ByteBuf::from(doc::create(r).expect("create").save()),
            })
            .collect(),
        cursor: Cursor {
            epoch: EPOCH,
            seq,
            snapshot_after: None,
        },
        more: false,
        reference: None,
    }
}

/// Delivers `records` to `client` as if the server sent them.
pub fn deliver(client: &Client, records: &[Record]) {
    let prepared = client.prepare_round().expect("prepare");
    client
        .apply_round(&prepared, delivery(records, 1))
        .expect("apply");
}
