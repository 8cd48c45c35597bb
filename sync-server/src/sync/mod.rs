//! The sync engine behind `POST /v1/sync` (docs/protocol.md): check and store uploads, then
//! page out what the device has not seen.

mod download;
mod error;
mod overdue;
mod rate;
mod recovery;
mod relations;
mod server_events;
mod upload;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use gridwalk_shared::model::{ReferenceData, Role};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::validate::{may_read, Actor};
use gridwalk_shared::wire::{self, Rejection, SyncRequest, SyncResponse};
use serde_bytes::ByteBuf;
use tokio::sync::{Mutex, MutexGuard};
use uuid::Uuid;

pub use download::PageLimits;
pub use error::SyncError;
pub use overdue::{run_overdue_reminders, urge_overdue};
pub use rate::RoundLimit;
pub use recovery::WINDOW_MS as RECOVERY_WINDOW_MS;
pub use server_events::{
    add as add_server_events, after_upload, write_as_server, write_as_server_with, Addition,
    ServerChange, ServerEventError,
};
pub use upload::{check_upload, precheck, stored_write, Receipt, Refusal};

use crate::store::{DeviceAuth, DocWrite, Store, StoreError, StoredDoc, Visibility};

/// Enough stripes that two rounds of ~30 documents rarely share one (≈1% at 65,536).
const STRIPES: usize = 65_536;

/// Per-document locks (striped) so concurrent uploads to one document are checked in turn.
pub struct DocLocks {
    stripes: Vec<Mutex<()>>,
}

impl Default for DocLocks {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }
}

impl DocLocks {
    /// Locks every stripe the ids fall in, in a fixed order (no deadlocks).
    pub async fn lock(&self, ids: impl Iterator<Item = Uuid>) -> Vec<MutexGuard<'_, ()>> {
        let mut stripes: Vec<usize> = ids
            .map(|id| (id.as_u128() % STRIPES as u128) as usize)
            .collect();
        stripes.sort_unstable();
        stripes.dedup();
        let mut guards = Vec::with_capacity(stripes.len());
        for i in stripes {
            guards.push(self.stripes[i].lock().await);
        }
        guards
    }
}

/// Slots for checking uploads: as many rounds are checked at once as there are cores. Without
/// a bound, every round in flight ran its check on its own blocking thread, the cores were
/// shared among all of them, and the single writer thread got a sliver of CPU.
pub struct CheckSlots {
    free: tokio::sync::Semaphore,
    size: usize,
}

impl Default for CheckSlots {
    fn default() -> Self {
        let size = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            free: tokio::sync::Semaphore::new(size),
            size,
        }
    }
}

impl CheckSlots {
    /// Rounds whose uploads are being checked now.
    pub fn in_use(&self) -> usize {
        self.size.saturating_sub(self.free.available_permits())
    }
}

/// The caller as the shared validation sees them.
pub fn actor(device: &DeviceAuth) -> Actor {
    Actor {
        user_id: device.user.id,
        role: device.user.role,
        scope_id: device.user.scope_id,
    }
}

/// What the caller may see: their scope, and what is addressed to them alone (documents
/// scoped to their user id, such as notice deliveries).
pub fn visibility(actor: &Actor, reference: &ReferenceData) -> Visibility {
    let mut visible = match actor.role {
        Role::Department => Visibility {
            units: Vec::new(),
            department: Some(actor.scope_id),
        },
        _ => Visibility {
            units: reference.subtree(actor.scope_id),
            department: None,
        },
    };
    visible.units.push(actor.user_id);
    visible
}

/// Refuses requests over the per-request limits.
fn check_limits(request: &SyncRequest) -> Result<(), SyncError> {
    let changes: usize = request.docs.iter().map(|d| d.changes.len()).sum();
    if request.docs.len() > wire::MAX_DOCS_PER_REQUEST
        || changes > wire::MAX_CHANGES_PER_REQUEST
        || request.want_full.len() > wire::MAX_DOCS_PER_REQUEST
    {
        return Err(SyncError::TooManyChanges {
            docs: wire::MAX_DOCS_PER_REQUEST,
            changes: wire::MAX_CHANGES_PER_REQUEST,
        });
    }
    Ok(())
}

/// The server-wide parts a sync round works with.
pub struct Engine<'a> {
    /// Per-document upload locks.
    pub locks: &'a DocLocks,
    /// Slots for checking uploads.
    pub checks: &'a CheckSlots,
    /// Download page sizes.
    pub limits: PageLimits,
    /// Devices re-sending after a restore.
    /// Live nudges for what a round stored.
    pub live: &'a crate::live::Live,
}

/// Handles one sync round for an authenticated device.
pub async fn sync<S: crate::store::BlobRefs>(
    store: &S,
    engine: &Engine<'_>,
    device: &DeviceAuth,
    mut request: SyncRequest,
) -> Result<SyncResponse, SyncError> {
    let Engine {
        locks,
        checks,
        limits,
        ..
    } = *engine;
    check_limits(&request)?;
    let from_past_epoch = request
        .cursor
        .as_ref()
        .is_some_and(|c| c.epoch != store.epoch() && store.is_past_epoch(c.epoch));
    let now_ms = chrono::Utc::now().timestamp_millis();
    let recovering = recovery::recovering(store, device, from_past_epoch, now_ms).await?;
    let reference = store.reference();
    let actor = actor(device);
    let visible = visibility(&actor, &reference);

    // Cheap checks first, off the async threads: only what passes is locked and loaded.
    let uploads = std::mem::take(&mut request.docs);
    let (uploads, mut rejected) = {
        let (actor, reference) = (actor, reference.clone());
        in_check_slot(checks, move || precheck_all(uploads, &actor, &reference)).await?
    };
    // One byte budget for the answer's documents: server copies, the page, whole documents.
    let mut copies = Copies {
        bytes: limits.bytes,
        trimmed: false,
    };
    for refused in rejected.chunks_mut(TURN_DOCS) {
        if copies.bytes == 0 {
            copies.trimmed = true;
            break;
        }
        let held = store
            .load_docs(refused.iter().map(|r| r.doc_id).collect())
            .await?;
        for rejection in refused.iter_mut() {
            let copy = held
                .iter()
                .find(|d| d.doc_id == rejection.doc_id)
                .filter(|d| may_read(&actor, d.scope, d.department, &reference))
                .map(|d| ByteBuf::from(d.snapshot.clone()));
            rejection.server_copy = copy;
            copies.fit(rejection);
        }
    }

    let ids: Vec<Uuid> = uploads.iter().map(|d| d.doc_id).collect();
    let households: relations::Households = uploads
        .iter()
        .filter(|u| u.kind == gridwalk_shared::model::RecordKind::Household)
        .map(|u| (u.doc_id, u.scope))
        .collect();
    let guards = locks.lock(ids.iter().copied()).await;
    let receipt = Receipt {
        server_actor: store.server_actor(),
        now: Timestamp::from(chrono::Utc::now()),
        recovering,
    };
    let uploads = Arc::new(uploads);
    let round = Round {
        device,
        actor: &actor,
        reference: &reference,
        receipt,
        households: &households,
    };
    // Another server node may change a document between its load and this round's commit:
    // the commit then stores nothing and the round checks those documents again.
    let mut attempt = 0;
    let stored = loop {
        let mut budget = copies.clone();
        match store_uploads(store, engine, &round, &uploads, &mut budget).await {
            Err(SyncError::Store(StoreError::Conflict(docs))) if attempt < CONFLICT_RETRIES => {
                attempt += 1;
                tracing::info!(
                    docs = docs.len(),
                    attempt,
                    "documents changed elsewhere meanwhile; checking them again"
                );
            }
            outcome => {
                copies = budget;
                break outcome?;
            }
        }
    };
    drop(guards);
    let Stored {
        accepted,
        rejected: refused,
        count: stored_count,
    } = stored;
    rejected.extend(refused);

    let Copies { bytes, trimmed } = copies;
    let page = download::next_page(
        store,
        visible.clone(),
        device.device_id,
        request.cursor,
        limits,
        bytes,
    )
    .await?;
    let mut docs = page.docs;
    let mut more = page.more || trimmed;
    if !request.want_full.is_empty() {
        let spent: usize = docs.iter().map(|d| d.data.len()).sum();
        let (wanted, left) = download::wanted(
            store,
            std::mem::take(&mut request.want_full),
            bytes.saturating_sub(spent),
            docs.is_empty(),
            |d| may_read(&actor, d.scope, d.department, &reference),
        )
        .await?;
        docs.extend(wanted);
        more |= left;
    }
    tracing::info!(
        device = %device.device_id,
        accepted = accepted.len(),
        stored = stored_count,
        rejected = rejected.len(),
        downloaded = docs.len(),
        "sync"
    );
    Ok(SyncResponse {
        protocol: wire::PROTOCOL_VERSION,
        accepted,
        rejected,
        docs,
        cursor: page.cursor,
        more,
        reference: (request.reference_version < reference.version).then(|| (*reference).clone()),
    })
}

type Checked = (Vec<DocWrite>, Vec<Uuid>, Vec<Rejection>);

/// Times a round checks its documents again after another writer changed them.
const CONFLICT_RETRIES: usize = 3;

/// What a round's uploads are checked against.
struct Round<'a> {
    device: &'a DeviceAuth,
    actor: &'a Actor,
    reference: &'a Arc<ReferenceData>,
    receipt: Receipt,
    households: &'a relations::Households,
}

/// What a round stored of its uploads.
struct Stored {
    accepted: Vec<Uuid>,
    rejected: Vec<Rejection>,
    /// Documents written.
    count: usize,
}

/// Checks the uploads a turn at a time, each turn loading its documents and queueing for a
/// slot anew (a heavy round shares the cores with the rounds that arrive while it is
/// checked, and holds at most a turn's stored documents and [`COMMIT_BYTES`] of writes at
/// once), and commits what passes.
async fn store_uploads<S: crate::store::BlobRefs>(
    store: &S,
    engine: &Engine<'_>,
    round: &Round<'_>,
    uploads: &Arc<Vec<wire::DocUpload>>,
    copies: &mut Copies,
) -> Result<Stored, SyncError> {
    let (mut writes, mut accepted, mut rejected, mut count) =
        (Vec::new(), Vec::new(), Vec::new(), 0);
    for turn in turns(uploads) {
        let ids = uploads[turn.clone()].iter().map(|u| u.doc_id).collect();
        let stored: HashMap<Uuid, StoredDoc> = store
            .load_docs(ids)
            .await?
            .into_iter()
            .map(|d| (d.doc_id, d))
            .collect();
        let (uploads, reference) = (uploads.clone(), round.reference.clone());
        let (actor, receipt) = (*round.actor, round.receipt);
        let (w, mut a, mut r) = in_check_slot(engine.checks, move || {
            check_all(&uploads[turn], &stored, &actor, &reference, receipt)
        })
        .await?;
        let (w, unrelated) = relations::check(
            store,
            round.device.device_id,
            round.actor,
            round.reference,
            w,
            round.households,
        )
        .await?;
        a.retain(|id| !unrelated.iter().any(|(refused, _)| refused == id));
        r.extend(unrelated.into_iter().map(|(doc_id, refusal)| Rejection {
            doc_id,
            code: refusal.code,
            reason: refusal.reason,
            server_copy: None,
        }));
        r.iter_mut().for_each(|rejection| copies.fit(rejection));
        writes.extend(w);
        accepted.extend(a);
        rejected.extend(r);
        if write_bytes(&writes) > COMMIT_BYTES {
            count += writes.len();
            commit(
                store,
                engine.live,
                round.device,
                std::mem::take(&mut writes),
            )
            .await?;
        }
    }
    count += writes.len();
    // Also with nothing to store: the commit records the device's last sync (admin web).
    commit(store, engine.live, round.device, writes).await?;
    Ok(Stored {
        accepted,
        rejected,
        count,
    })
}

/// Bytes of writes held before they are committed mid-round (a round of many large
/// documents commits in parts; each part is whole, and re-sending is harmless).
const COMMIT_BYTES: usize = 16 * 1024 * 1024;

fn write_bytes(writes: &[DocWrite]) -> usize {
    writes
        .iter()
        .map(|w| w.doc.snapshot.len() + w.changes.iter().map(Vec::len).sum::<usize>())
        .sum()
}

/// Stores `writes` and tells live streams.
async fn commit<S: Store>(
    store: &S,
    live: &crate::live::Live,
    device: &DeviceAuth,
    writes: Vec<DocWrite>,
) -> Result<(), SyncError> {
    let changed = crate::live::Changed::of(&writes);
    store.commit(device.device_id, writes).await?;
    live.notify(changed);
    Ok(())
}

/// What is left of the answer's byte budget for server copies of refused documents.
#[derive(Clone)]
struct Copies {
    bytes: usize,
    /// A copy was left out for room.
    trimmed: bool,
}

impl Copies {
    /// Keeps `rejection`'s server copy if it fits, else leaves it out (the device asks for the
    /// document whole next round).
    fn fit(&mut self, rejection: &mut Rejection) {
        let size = rejection.server_copy.as_ref().map_or(0, |c| c.len());
        match self.bytes.checked_sub(size) {
            Some(left) => self.bytes = left,
            None => {
                rejection.server_copy = None;
                self.trimmed = true;
            }
        }
    }
}

/// Change bytes checked in one turn at most (a document is never split).
const TURN_BYTES: usize = 256 * 1024;
/// Documents checked in one turn at most.
const TURN_DOCS: usize = 32;

/// `uploads` cut into consecutive turns of at most [`TURN_DOCS`] documents and, unless one
/// document alone is larger, [`TURN_BYTES`] change bytes.
fn turns(uploads: &[wire::DocUpload]) -> Vec<std::ops::Range<usize>> {
    let mut turns = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, upload) in uploads.iter().enumerate() {
        let size: usize = upload.changes.iter().map(|c| c.len()).sum();
        if i > start && (i - start >= TURN_DOCS || bytes + size > TURN_BYTES) {
            turns.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < uploads.len() {
        turns.push(start..uploads.len());
    }
    turns
}

/// Runs `work` on a blocking thread once a check slot is free.
async fn in_check_slot<T: Send + 'static>(
    checks: &CheckSlots,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SyncError> {
    let _slot = checks
        .free
        .acquire()
        .await
        .map_err(|_| SyncError::ShuttingDown)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))
}

/// Splits the uploads into those that pass [`precheck`] and refusals (without server copies
/// yet); a document that appears twice is refused the second time.
fn precheck_all(
    uploads: Vec<wire::DocUpload>,
    actor: &Actor,
    reference: &ReferenceData,
) -> (Vec<wire::DocUpload>, Vec<Rejection>) {
    let mut seen = HashSet::new();
    let (mut passed, mut rejected) = (Vec::new(), Vec::new());
    for upload in uploads {
        let checked = if seen.insert(upload.doc_id) {
            precheck(&upload, actor, reference)
        } else {
            Err(Refusal {
                code: "duplicate_doc".into(),
                reason: "the document appears twice in one request".into(),
            })
        };
        match checked {
            Ok(()) => passed.push(upload),
            Err(refusal) => rejected.push(Rejection {
                doc_id: upload.doc_id,
                code: refusal.code,
                reason: refusal.reason,
                server_copy: None,
            }),
        }
    }
    (passed, rejected)
}

/// Checks every prechecked upload on its own; a refusal affects only its document.
fn check_all(
    uploads: &[wire::DocUpload],
    stored: &HashMap<Uuid, StoredDoc>,
    actor: &Actor,
    reference: &Arc<ReferenceData>,
    receipt: Receipt,
) -> Checked {
    let (mut writes, mut accepted, mut rejected) = (Vec::new(), Vec::new(), Vec::new());
    for upload in uploads {
        let existing = stored.get(&upload.doc_id);
        match upload::check_prechecked(existing, upload, actor, reference, receipt) {
            Ok(write) => {
                accepted.push(upload.doc_id);
                writes.extend(write);
            }
            Err(refusal) => {
                let server_copy = existing
                    .filter(|d| may_read(actor, d.scope, d.department, reference))
                    .map(|d| ByteBuf::from(d.snapshot.clone()));
                rejected.push(Rejection {
                    doc_id: upload.doc_id,
                    code: refusal.code,
                    reason: refusal.reason,
                    server_copy,
                });
            }
        }
    }
    (writes, accepted, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridwalk_shared::RecordKind;

    fn upload(bytes: usize) -> wire::DocUpload {
        wire::DocUpload {
            doc_id: Uuid::now_v7(),
            kind: RecordKind::Incident,
            scope: Uuid::now_v7(),
            changes: vec![ByteBuf::from(vec![0; bytes])],
        }
    }

    #[test]
    fn turns_are_bounded_by_documents_and_bytes() {
        let small: Vec<_> = (0..70).map(|_| upload(10)).collect();
        assert_eq!(turns(&small), vec![0..32, 32..64, 64..70]);
        let big: Vec<_> = [100_000, 100_000, 100_000, 300_000, 1]
            .into_iter()
            .map(upload)
            .collect();
        assert_eq!(turns(&big), vec![0..2, 2..3, 3..4, 4..5]);
        assert!(turns(&[]).is_empty());
    }
}
