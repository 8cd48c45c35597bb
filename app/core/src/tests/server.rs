//! A small in-memory sync server that follows docs/protocol.md: validates each uploaded
//! document with `gridwalk_shared::validate`, keeps a change log, pages snapshots and log
//! entries, and answers `want_full`.

use std::collections::BTreeMap;

use automerge::{AutoCommit, Change, ChangeHash};
use gridwalk_shared::{
    doc,
    model::{ReferenceData, User},
    validate::{validate_change, validate_record, Actor},
    wire::{Cursor, DocDownload, Rejection, SyncRequest, SyncResponse, PROTOCOL_VERSION},
    ValidationError,
};
use serde_bytes::ByteBuf;
use uuid::Uuid;

use crate::{Client, SyncReport};

struct Entry {
    doc_id: Uuid,
    hash: ChangeHash,
    bytes: Vec<u8>,
    from: Uuid,
}

pub struct FakeServer {
    pub epoch: Uuid,
    pub reference: ReferenceData,
    pub page: usize,
    docs: BTreeMap<Uuid, (gridwalk_shared::RecordKind, Uuid, AutoCommit)>,
    log: Vec<Entry>,
}

impl FakeServer {
    pub fn new(reference: ReferenceData) -> FakeServer {
        FakeServer {
            epoch: super::fixture::EPOCH,
            reference,
            page: 100,
            docs: BTreeMap::new(),
            log: Vec::new(),
        }
    }

    /// Stores a record as if an admin created it.
    pub fn seed(&mut self, record: &gridwalk_shared::Record) {
        let mut doc = doc::create(record).expect("create");
        for change in doc.get_changes(&[]) {
            self.log(record.id(), &change, Uuid::nil());
        }
        self.docs
            .insert(record.id(), (record.kind(), record.scope(), doc));
    }

    /// Simulates a restore from a backup taken before anything was uploaded.
    pub fn restore_empty(&mut self) {
        self.epoch = gridwalk_shared::time::new_id();
        self.docs.clear();
        self.log.clear();
    }

    /// Number of documents held.
    pub fn doc_count(&self) -> usize {
        self.docs.len()
    }

    fn log(&mut self, doc_id: Uuid, change: &Change, from: Uuid) {
        if !self.log.iter().any(|e| e.hash == change.hash()) {
            self.log.push(Entry {
                doc_id,
                hash: change.hash(),
                bytes: change.raw_bytes().to_vec(),
                from,
            });
        }
    }

    fn upload(
        &mut self,
        device: Uuid,
        user: &User,
        up: &gridwalk_shared::wire::DocUpload,
    ) -> Result<(), Rejection> {
        let actor = Actor {
            user_id: user.id,
            role: user.role,
            scope_id: user.scope_id,
        };
        let existing = self.docs.get_mut(&up.doc_id);
        let server_copy = existing
            .as_ref()
            .map(|(_, _, d)| ByteBuf::from(d.clone().save()));
        let reject = |e: ValidationError| Rejection {
            doc_id: up.doc_id,
            code: e.code,
            reason: e.message,
            server_copy: server_copy.clone(),
        };
        let (kind, scope, mut doc, old) = match existing {
            Some((kind, scope, doc)) => {
                let old = doc::read(&*doc, *kind).ok();
                (*kind, *scope, doc.fork(), old)
            }
            None => (up.kind, up.scope, AutoCommit::new(), None),
        };
        let mut changes = Vec::new();
        for bytes in &up.changes {
            let change = Change::from_bytes(bytes.to_vec())
                .map_err(|e| reject(ValidationError::new("malformed_change", e.to_string())))?;
            changes.push(change);
        }
        doc.apply_changes(changes.clone())
            .map_err(|e| reject(ValidationError::new("malformed_change", e.to_string())))?;
        let new = doc::read(&doc, kind)
            .map_err(|e| reject(ValidationError::new("invalid_record", e.to_string())))?;
        validate_record(&new, &self.reference).map_err(reject)?;
        validate_change(old.as_ref(), &new, &actor, &self.reference).map_err(reject)?;
        for change in &changes {
            self.log(up.doc_id, change, device);
        }
        self.docs.insert(up.doc_id, (kind, scope, doc));
        Ok(())
    }

    fn whole(&mut self, id: Uuid) -> Option<DocDownload> {
        let (kind, scope, doc) = self.docs.get_mut(&id)?;
        Some(DocDownload {
            doc_id: id,
            kind: *kind,
            scope: *scope,
            data: ByteBuf::from(doc.save()),
        })
    }

    /// Answers one round.
    pub fn handle(&mut self, device: Uuid, user: &User, request: &SyncRequest) -> SyncResponse {
        let (mut accepted, mut rejected) = (Vec::new(), Vec::new());
        for up in &request.docs {
            match self.upload(device, user, up) {
                Ok(()) => accepted.push(up.doc_id),
                Err(rejection) => rejected.push(rejection),
            }
        }
        let mut docs = Vec::new();
        let (cursor, more) = match request.cursor {
            Some(c) if c.epoch == self.epoch && c.snapshot_after.is_none() => {
                let mut by_doc: BTreeMap<Uuid, Vec<u8>> = BTreeMap::new();
                let start = usize::try_from(c.seq).unwrap_or(usize::MAX);
                let end = self.log.len().min(start.saturating_add(self.page));
                for entry in self.log.iter().take(end).skip(start) {
                    if entry.from != device {
                        by_doc.entry(entry.doc_id).or_default().extend(&entry.bytes);
                    }
                }
                for (id, data) in by_doc {
                    let (kind, scope, _) = &self.docs[&id];
                    docs.push(DocDownload {
                        doc_id: id,
                        kind: *kind,
                        scope: *scope,
                        data: ByteBuf::from(data),
                    });
                }
                let cursor = Cursor {
                    epoch: self.epoch,
                    seq: end as u64,
                    snapshot_after: None,
                };
                (cursor, end < self.log.len())
            }
            other => {
                let (high, after) = match other {
                    Some(c) if c.epoch == self.epoch => (c.seq, c.snapshot_after),
                    _ => (self.log.len() as u64, None),
                };
                let ids: Vec<Uuid> = self
                    .docs
                    .keys()
                    .filter(|id| after.is_none_or(|a| **id > a))
                    .copied()
                    .collect();
                let page: Vec<Uuid> = ids.iter().take(self.page).copied().collect();
                docs.extend(page.iter().filter_map(|id| self.whole(*id)));
                let more = ids.len() > page.len();
                let cursor = Cursor {
                    epoch: self.epoch,
                    seq: high,
                    snapshot_after: if more { page.last().copied() } else { None },
                };
                (cursor, more)
            }
        };
        for id in &request.want_full {
            docs.extend(self.whole(*id));
        }
        let reference =
            (request.reference_version < self.reference.version).then(|| self.reference.clone());
        SyncResponse {
            protocol: PROTOCOL_VERSION,
            accepted,
            rejected,
            docs,
            cursor,
            more,
            reference,
        }
    }
}

/// Runs rounds between `client` and `server` until the client stops, like `Client::sync`.
pub fn sync(client: &Client, server: &mut FakeServer) -> SyncReport {
    let account = client.account().expect("account").expect("enrolled");
    let mut report = SyncReport::default();
    for _ in 0..100 {
        let prepared = client.prepare_round().expect("prepare");
        let response = server.handle(account.device_id, &account.user, &prepared.request);
        let outcome = client.apply_round(&prepared, response).expect("apply");
        let again = outcome.again;
        report.add(&prepared, outcome, 0, 0);
        if !again {
            return report;
        }
    }
    panic!("sync did not finish in 100 rounds");
}
