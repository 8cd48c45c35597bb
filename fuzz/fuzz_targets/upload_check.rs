//! The server's check of one uploaded document (`check_upload`: Automerge changes → applied to
//! the stored copy → record read → validated) for a grid worker of the demo street. The input
//! is one CBOR `DocUpload` as it travels inside a sync body; an upload for one of the worker's
//! households is checked against that household's stored document (written by the actor
//! [`STORED_ACTOR`] with commit time 0, so the seed corpus can build changes on top of it).

#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use automerge::{ActorId, AutoCommit};
use gridwalk_server::seed;
use gridwalk_server::store::StoredDoc;
use gridwalk_server::sync::{check_upload, Receipt};
use gridwalk_shared::doc;
use gridwalk_shared::model::{Record, RecordKind, ReferenceData, Role};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::validate::Actor;
use gridwalk_shared::wire::{self, DocUpload};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

/// Actor of the stored households' documents (the seed corpus uses the same).
const STORED_ACTOR: &[u8] = b"gridwalk-stored";

struct World {
    reference: ReferenceData,
    actor: Actor,
    stored: HashMap<Uuid, StoredDoc>,
    receipt: Receipt,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let demo = seed::demo(7);
        let worker = demo
            .reference
            .users
            .iter()
            .find(|u| u.role == Role::GridWorker)
            .expect("the demo has a grid worker")
            .clone();
        let stored = demo
            .households
            .iter()
            .filter(|h| h.grid_id == worker.scope_id)
            .map(|h| {
                let mut document = AutoCommit::new().with_actor(ActorId::from(STORED_ACTOR));
                doc::write(&mut document, &Record::Household(h.clone())).expect("writes");
                let snapshot = document.save();
                let stored = StoredDoc {
                    doc_id: h.id,
                    kind: RecordKind::Household,
                    scope: h.grid_id,
                    department: None,
                    snapshot,
                    seq: 1,
                };
                (h.id, stored)
            })
            .collect();
        World {
            reference: demo.reference,
            actor: Actor {
                user_id: worker.id,
                role: worker.role,
                scope_id: worker.scope_id,
            },
            stored,
            receipt: Receipt {
                server_actor: Uuid::from_u128(0x5e),
                now: Timestamp::from_millis(1_790_000_000_000),
                recovering: false,
            },
        }
    })
}

// libfuzzer-sys's panic hook aborts on every panic, even one `doc::guard` catches (Automerge
// 0.12 panics on some malformed changes; docs/fuzzing.md): silence it. A panic the code under
// test does not catch still aborts the run through libfuzzer-sys's own `catch_unwind`.
fuzz_target!(
    init: {
        std::panic::set_hook(Box::new(|_| {}));
    },
    |bytes: &[u8]| {
    let Ok(upload) = wire::decode::<DocUpload>(bytes) else {
        return;
    };
    let world = world();
    let stored = world.stored.get(&upload.doc_id);
    if let Err(refusal) = check_upload(
        stored,
        &upload,
        &world.actor,
        &world.reference,
        world.receipt,
    ) {
        assert!(
            !refusal.code.is_empty() && refusal.code != "storage_failure",
            "{refusal:?}"
        );
    }
    }
);
