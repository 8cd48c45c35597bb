//! # gridwalk-store
//!
//! The sync server's storage contract: the traits every backend implements ([`Store`] for
//! sync, [`AdminStore`], [`BlobRefs`], [`Open311Store`]), the types they speak in, and (with
//! the `contract` feature) the one test suite every backend must pass. No database driver
//! here: the SQLite and PostgreSQL backends are crates beside this one, and the server is
//! generic over them. Every method is one transaction.

mod admin;
mod blob_refs;
#[cfg(feature = "contract")]
pub mod contract;
mod index;
mod open311;
pub mod portable;

use std::future::Future;
use std::sync::Arc;

use gridwalk_shared::model::{Record, RecordKind, ReferenceData, User};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use admin::{
    Account, AdminStore, Attempt, AuditEntry, AuditQuery, DeviceInfo, HouseholdPlace, IndexFilter,
    IndexedRecord, Session, VisitCounts,
};
pub use blob_refs::{BlobDoc, BlobRefs, RefOrigin};
pub use index::{index_row, IndexRow};
pub use open311::{Open311Key, Open311Request, Open311Store};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with what is stored (e.g. a used enrolment code).
    #[error("{0}")]
    Refused(String),
    /// Documents another writer changed since they were loaded: nothing was stored; load
    /// them again and redo the work.
    #[error("{} documents changed meanwhile; load and check them again", .0.len())]
    Conflict(Vec<Uuid>),
    /// Anything else: the database failed.
    #[error("storage failure: {0}")]
    Other(String),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A document as the server holds it.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    /// Document id.
    pub doc_id: Uuid,
    /// Record kind.
    pub kind: RecordKind,
    /// Org unit, fixed at creation.
    pub scope: Uuid,
    /// Department an incident is routed to.
    pub department: Option<Uuid>,
    /// The whole document, `save()`d.
    pub snapshot: Vec<u8>,
    /// Sequence of the last change stored for it (0: not stored yet): the revision a write
    /// based on this copy is checked against ([`DocWrite::base`]).
    pub seq: u64,
}

/// The outcome of validating one uploaded document: what to store. Everything derived from
/// the record is worked out here, where the record was checked, so the single writer thread
/// only runs SQL.
#[derive(Debug, Clone)]
pub struct DocWrite {
    /// The document after the new changes, with its derived routing.
    pub doc: StoredDoc,
    /// New raw changes from the uploading device, to append to the change log.
    pub changes: Vec<Vec<u8>>,
    /// Changes the server made itself (dispatch, receipt times, 督办), logged as coming
    /// from no device so that every device in scope, the uploader too, receives them.
    pub server_changes: Vec<Vec<u8>>,
    /// The record's query row.
    pub row: IndexRow,
    /// Hashes of the blobs the record references.
    pub blobs: Vec<String>,
    /// The stored revision ([`StoredDoc::seq`]) the write was worked out from; `None` for a
    /// document the store did not hold. A commit finding another revision stored (another
    /// writer, e.g. another server node, got there first) fails with
    /// [`StoreError::Conflict`] and stores nothing.
    pub base: Option<u64>,
    /// The org unit the record leaves when the server moves it to another (re-gridding,
    /// `docs/decisions.md`): the server's changes are then logged under that unit, so its
    /// devices learn that the record left, and the whole document under the new one, so its
    /// devices receive it whole. `None` for every other write.
    pub moved_from: Option<Uuid>,
}

/// One change-log row a write appends ([`DocWrite::log_entries`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogEntry<'a> {
    /// Written by the server itself (logged as from no device), not the uploading device.
    pub from_server: bool,
    /// The org unit whose devices receive the row.
    pub scope: Uuid,
    /// A raw change, or (for a moved record) the whole document.
    pub data: &'a [u8],
}

impl DocWrite {
    /// What to store for `doc`, which now holds `record`, worked out from the stored revision
    /// `base` (`None`: a new document).
    pub fn new(
        doc: StoredDoc,
        record: &Record,
        changes: Vec<Vec<u8>>,
        base: Option<u64>,
    ) -> DocWrite {
        DocWrite {
            doc,
            changes,
            server_changes: Vec::new(),
            row: index_row(record),
            blobs: record.blob_refs(),
            base,
            moved_from: None,
        }
    }

    /// The change-log rows this write appends, in order: the device's changes, then the
    /// server's, under the record's scope; for a moved record the server's changes under the
    /// scope it left and the whole document under the new one.
    pub fn log_entries(&self) -> impl Iterator<Item = LogEntry<'_>> {
        let scope = self.doc.scope;
        let own = self.changes.iter().map(move |c| LogEntry {
            from_server: false,
            scope,
            data: c,
        });
        let server_scope = self.moved_from.unwrap_or(scope);
        let server = self.server_changes.iter().map(move |c| LogEntry {
            from_server: true,
            scope: server_scope,
            data: c,
        });
        let whole = self.moved_from.map(|_| LogEntry {
            from_server: true,
            scope,
            data: &self.doc.snapshot,
        });
        own.chain(server).chain(whole)
    }
}

impl DocWrite {
    /// A new document holding `record`, as the server creates one (demo data, imports): a
    /// commit finding it already stored fails as a conflict.
    pub fn created(record: &Record) -> StoreResult<DocWrite> {
        let mut document =
            gridwalk_shared::doc::create(record).map_err(|e| StoreError::Other(e.to_string()))?;
        let changes = document
            .get_changes(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let doc = StoredDoc {
            doc_id: record.id(),
            kind: record.kind(),
            scope: record.scope(),
            department: gridwalk_shared::workflow::department_of(record),
            snapshot: document.save(),
            seq: 0,
        };
        Ok(DocWrite::new(doc, record, changes, None))
    }
}

/// How much one download page may hold: rows, and bytes of document data. A page stops
/// before the row that would take it past `bytes`, but always holds at least one row, so a
/// single large (size-capped) document is always delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize {
    /// Most rows.
    pub rows: usize,
    /// Most bytes of document data (change or snapshot bytes).
    pub bytes: usize,
}

impl PageSize {
    /// At most `rows` rows, of any size.
    pub fn rows(rows: usize) -> PageSize {
        PageSize {
            rows,
            bytes: usize::MAX,
        }
    }

    /// Whether a page holding `rows` rows of `bytes` bytes may take one of `next` bytes more.
    pub fn takes(&self, rows: usize, bytes: usize, next: usize) -> bool {
        rows == 0 || (rows < self.rows && bytes.saturating_add(next) <= self.bytes)
    }
}

/// Visible documents for a fresh device, by id.
#[derive(Debug, Clone)]
pub struct SnapshotPage {
    /// Documents, by id.
    pub docs: Vec<StoredDoc>,
    /// Whether the page stopped at its size: more may follow after the last.
    pub full: bool,
}

/// One change-log row for a device.
#[derive(Debug, Clone)]
pub struct LogRow {
    /// Sequence number.
    pub seq: u64,
    /// Document id.
    pub doc_id: Uuid,
    /// Record kind.
    pub kind: RecordKind,
    /// Org unit.
    pub scope: Uuid,
    /// Raw change.
    pub data: Vec<u8>,
}

/// What a caller may see: records in these org units, or routed to this department.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    /// Org units (a scope and everything below it).
    pub units: Vec<Uuid>,
    /// Department whose routed incidents are visible.
    pub department: Option<Uuid>,
}

/// An enrolled device and the user it signs in as.
#[derive(Debug, Clone)]
pub struct DeviceAuth {
    /// Device id.
    pub device_id: Uuid,
    /// The user.
    pub user: User,
    /// Whether an admin revoked the device.
    pub revoked: bool,
    /// The app version it last reported.
    pub app_version: String,
    /// When (ms since the Unix epoch) the device's re-send window after a restore from
    /// backup opened ([`Store::open_recovery`]); `None`: never.
    pub recovery_opened: Option<i64>,
}

/// A page of the change log.
#[derive(Debug, Clone)]
pub struct LogPage {
    /// Visible rows not uploaded by the asking device, by sequence.
    pub rows: Vec<LogRow>,
    /// Sequence the device has now seen up to.
    pub cursor: u64,
    /// Whether more rows wait.
    pub more: bool,
}

/// What one commit changed, for live nudges: the scopes and departments of its documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    /// Org units of the changed records.
    pub scopes: Vec<Uuid>,
    /// Departments the changed records are with.
    pub departments: Vec<Uuid>,
}

impl Changed {
    /// What `writes` change.
    pub fn of(writes: &[DocWrite]) -> Changed {
        Changed {
            scopes: writes
                .iter()
                .flat_map(|w| std::iter::once(w.doc.scope).chain(w.moved_from))
                .collect(),
            departments: writes.iter().filter_map(|w| w.doc.department).collect(),
        }
    }
}

/// Server storage.
pub trait Store: Clone + Send + Sync + 'static {
    /// The store's epoch: a new one after a restore from backup.
    fn epoch(&self) -> Uuid;

    /// The Automerge actor the server writes its own workflow events as: one, stable, per
    /// deployment (kept in the store).
    fn server_actor(&self) -> Uuid;

    /// Gives the store a new epoch (after a restore from backup, so devices re-send what they
    /// hold); the old one becomes a past epoch.
    fn new_epoch(&self) -> impl Future<Output = StoreResult<Uuid>> + Send;

    /// Opens `device_id`'s re-send window at `at_ms`: it came back from a past epoch. Every
    /// node sees it in [`DeviceAuth::recovery_opened`].
    fn open_recovery(
        &self,
        device_id: Uuid,
        at_ms: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Whether `epoch` was this store's before a restore from backup gave it a new one.
    fn is_past_epoch(&self, epoch: Uuid) -> bool;

    /// Current reference data (cached in memory).
    fn reference(&self) -> Arc<ReferenceData>;

    /// Stores `data` as the next version and returns it. With `base`, the stored version
    /// must be `base` (0 when none): an edit worked out from an older version — another
    /// node's edit landed first — is a [`StoreError::Conflict`] and stores nothing.
    fn put_reference(
        &self,
        data: ReferenceData,
        base: Option<u64>,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Records a one-time enrolment code (by its hash) for a user, valid for `ttl_hours`.
    fn issue_enroll_code(
        &self,
        user_id: Uuid,
        code_hash: String,
        ttl_hours: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Consumes an enrolment code (by its hash) and registers a device with the token's hash.
    fn enroll(
        &self,
        code_hash: String,
        device_name: String,
        app_version: String,
        token_hash: String,
    ) -> impl Future<Output = StoreResult<DeviceAuth>> + Send;

    /// The device holding a token (by its hash).
    fn device_by_token(
        &self,
        token_hash: String,
    ) -> impl Future<Output = StoreResult<Option<DeviceAuth>>> + Send;

    /// Revokes a device: its token stops working at once.
    fn revoke_device(&self, device_id: Uuid) -> impl Future<Output = StoreResult<()>> + Send;

    /// Records the unsent changes a device reported holding after its last sync round
    /// (writes only when the number changed).
    fn note_pending(
        &self,
        device_id: Uuid,
        pending: u64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Records the app version a device reported in a sync round (it was updated).
    fn note_app_version(
        &self,
        device_id: Uuid,
        app_version: String,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Stored documents among `ids`.
    fn load_docs(&self, ids: Vec<Uuid>)
        -> impl Future<Output = StoreResult<Vec<StoredDoc>>> + Send;

    /// Stores validated documents, their index rows and blob references, and appends their
    /// changes to the log, in one transaction; returns the highest sequence written. Also
    /// records the device's last sync.
    fn commit(
        &self,
        device_id: Uuid,
        writes: Vec<DocWrite>,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Open incidents whose due time is before `before_ms` (epoch ms), oldest due first, at
    /// most `limit` (candidates for the server's 督办).
    fn overdue_incidents(
        &self,
        before_ms: i64,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<Uuid>>> + Send;

    /// The highest sequence in the log.
    fn top_seq(&self) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Visible change-log rows after `after`, skipping the device's own uploads, within
    /// `size`.
    fn log_page(
        &self,
        visibility: Visibility,
        device_id: Uuid,
        after: u64,
        size: PageSize,
    ) -> impl Future<Output = StoreResult<LogPage>> + Send;

    /// Visible documents with ids after `after`, by id, within `size`.
    fn snapshot_page(
        &self,
        visibility: Visibility,
        after: Option<Uuid>,
        size: PageSize,
    ) -> impl Future<Output = StoreResult<SnapshotPage>> + Send;

    /// Deletes change-log rows at or below `seq`; devices behind it get snapshots instead.
    fn prune_log(&self, seq: u64) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Lowest sequence still in the log (devices with an older cursor re-snapshot).
    fn log_floor(&self) -> impl Future<Output = StoreResult<u64>> + Send;

    /// What other processes sharing this database commit, as their commits land, for live
    /// nudges across server nodes; `None` when this process is the only writer (SQLite).
    fn commits_elsewhere(&self) -> Option<tokio::sync::broadcast::Receiver<Changed>> {
        None
    }

    /// The backend's own gauges for `/metrics` (connections in use, queued writes), read
    /// now; none by default.
    fn gauges(&self) -> Vec<Gauge> {
        Vec::new()
    }
}

/// One reading of a backend gauge, for `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    /// Metric name (Prometheus syntax, `gridwalk_` first).
    pub name: &'static str,
    /// One line saying what it measures.
    pub help: &'static str,
    /// The reading.
    pub value: f64,
}

/// Everything the server needs of a backend: sync, admin, blob references and Open311.
pub trait ServerStore: AdminStore + BlobRefs + Open311Store {}

impl<S: AdminStore + BlobRefs + Open311Store> ServerStore for S {}
