//! Storage for the admin web: accounts, sessions, the audit log, device listings and the
//! queries behind dashboards and exports. A second trait beside [`Store`] so the sync
//! contract stays short; every method is one transaction.

use std::future::Future;

use gridwalk_shared::model::RecordKind;
use serde::Serialize;
use uuid::Uuid;

use super::{BlobRefs, IndexRow, StoreResult};

/// A web sign-in account (the user lives in the reference data).
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// User id.
    pub user_id: Uuid,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Failed sign-ins since the last success.
    pub failures: u32,
    /// Locked until this time (epoch ms), after too many failures.
    pub locked_until: Option<i64>,
}

/// What [`AdminStore::sign_in_attempt`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The user has no password.
    NoAccount,
    /// The account is locked until then (epoch ms); the attempt was not counted.
    Locked {
        /// End of the lock.
        until: i64,
    },
    /// The attempt was counted; the password may be checked.
    Counted {
        /// Attempts in a row now (0 once this one locked the account).
        failures: u32,
        /// Whether this attempt locked the account.
        locks: bool,
    },
}

/// A signed-in browser session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Who signed in.
    pub user_id: Uuid,
    /// Token the browser must echo in `X-CSRF-Token` on state-changing requests.
    pub csrf: String,
    /// Expiry (epoch ms).
    pub expires_at: i64,
}

/// One audit-log entry.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct AuditEntry {
    /// Sequence (0 before it is stored).
    pub id: i64,
    /// When (epoch ms).
    pub at: i64,
    /// Acting user, if known.
    pub actor_id: Option<Uuid>,
    /// Acting login (as typed, for failed sign-ins).
    pub actor_login: String,
    /// The actor's scope (org unit or department), for scoped searches.
    pub actor_scope: Option<Uuid>,
    /// What was done, e.g. `sign_in`, `user.create`, `export.visits`.
    pub action: String,
    /// What it was done to (an id or a name).
    pub target: String,
    /// Details as JSON text.
    pub detail: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// Client address.
    pub ip: String,
}

/// A search of the audit log, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only entries whose actor scope is one of these (`None`: all).
    pub scopes: Option<Vec<Uuid>>,
    /// Text found in the login, action, target or detail.
    pub text: Option<String>,
    /// Action prefix, e.g. `export`.
    pub action: Option<String>,
    /// From (epoch ms, inclusive).
    pub from: Option<i64>,
    /// To (epoch ms, exclusive).
    pub to: Option<i64>,
    /// Only entries older than this id (paging).
    pub before: Option<i64>,
    /// At most this many.
    pub limit: usize,
}

/// Where a household lives: its address and building, read from its index row.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdPlace {
    /// Household id.
    pub household: Uuid,
    /// Its address.
    pub address: String,
    /// Its building (absent only in a malformed row).
    pub building: Option<Uuid>,
}

/// An enrolled device as the admin web lists it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct DeviceInfo {
    /// Device id.
    pub device_id: Uuid,
    /// User it signs in as.
    pub user_id: Uuid,
    /// Name the device gave.
    pub name: String,
    /// App version at enrolment.
    pub app_version: String,
    /// Enrolled at (epoch ms).
    pub created_at: i64,
    /// Last sync that stored something or pulled (epoch ms).
    pub last_sync_at: Option<i64>,
    /// Revoked at (epoch ms).
    pub revoked_at: Option<i64>,
    /// Unsent changes the device still held after its last sync (as it reported them).
    pub pending_changes: Option<u64>,
}

/// Which indexed records a query covers.
#[derive(Debug, Clone, Default)]
pub struct IndexFilter {
    /// Records in these org units...
    pub units: Vec<Uuid>,
    /// ...or routed to this department.
    pub department: Option<Uuid>,
    /// `at` from (epoch ms, inclusive).
    pub from: Option<i64>,
    /// `at` to (epoch ms, exclusive).
    pub to: Option<i64>,
    /// At most this many rows (`index_rows` only).
    pub limit: Option<usize>,
    /// Latest `at` first (`index_rows` only; default oldest first).
    pub newest_first: bool,
}

/// One `record_index` row.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedRecord {
    /// Document id.
    pub doc_id: Uuid,
    /// Org unit.
    pub scope: Uuid,
    /// Routed department.
    pub department: Option<Uuid>,
    /// The query columns (status, times, the record as JSON).
    pub row: IndexRow,
}

/// Visit counts for dashboards (grouped in SQL: visits are the bulk of the data).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VisitCounts {
    /// Local date (YYYY-MM-DD) → visits.
    pub per_day: Vec<(String, u64)>,
    /// Grid → visits.
    pub per_grid: Vec<(Uuid, u64)>,
    /// Worker → visits.
    pub per_worker: Vec<(Uuid, u64)>,
    /// Distinct households visited.
    pub households_visited: u64,
}

/// Admin storage, beside the sync [`super::Store`] (and the blob references it shows).
pub trait AdminStore: BlobRefs {
    /// Sets (or replaces) a user's web password hash and clears any lock-out.
    fn set_password(
        &self,
        user_id: Uuid,
        password_hash: String,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The account of a user, if it has a password.
    fn account(&self, user_id: Uuid) -> impl Future<Output = StoreResult<Option<Account>>> + Send;

    /// Takes one sign-in attempt at `now`, in one statement, before the password is checked,
    /// so parallel guesses cannot pass the lock-out: refused while the account is locked;
    /// otherwise counted, and the `lock_after`-th attempt in a row locks the account until
    /// `lock_until` (if its password is right, [`AdminStore::create_session`] lifts the lock).
    fn sign_in_attempt(
        &self,
        user_id: Uuid,
        lock_after: u32,
        now: i64,
        lock_until: i64,
    ) -> impl Future<Output = StoreResult<Attempt>> + Send;

    /// Stores a new session (by the cookie's hash) and resets the failure count.
    fn create_session(
        &self,
        token_hash: String,
        session: Session,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The unexpired session behind a cookie's hash.
    fn session(
        &self,
        token_hash: String,
    ) -> impl Future<Output = StoreResult<Option<Session>>> + Send;

    /// Ends a session.
    fn delete_session(&self, token_hash: String) -> impl Future<Output = StoreResult<()>> + Send;

    /// Ends every session of a user (password changed, user removed).
    fn delete_sessions_of(&self, user_id: Uuid) -> impl Future<Output = StoreResult<()>> + Send;

    /// Stores a new API token (by its hash) named `name` for a user; an earlier live token of
    /// the same user and name is revoked in the same transaction.
    fn issue_api_token(
        &self,
        token_hash: String,
        user_id: Uuid,
        name: String,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Revokes the user's live token named `name`; false when there was none.
    fn revoke_api_token(
        &self,
        user_id: Uuid,
        name: String,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// The user behind a live API token's hash.
    fn api_token_user(
        &self,
        token_hash: String,
    ) -> impl Future<Output = StoreResult<Option<Uuid>>> + Send;

    /// Appends to the audit log; returns the entry's id.
    fn append_audit(&self, entry: AuditEntry) -> impl Future<Output = StoreResult<i64>> + Send;

    /// Searches the audit log, newest first.
    fn search_audit(
        &self,
        query: AuditQuery,
    ) -> impl Future<Output = StoreResult<Vec<AuditEntry>>> + Send;

    /// Devices of these users, newest first.
    fn devices_of(
        &self,
        user_ids: Vec<Uuid>,
    ) -> impl Future<Output = StoreResult<Vec<DeviceInfo>>> + Send;

    /// One device.
    fn device(
        &self,
        device_id: Uuid,
    ) -> impl Future<Output = StoreResult<Option<DeviceInfo>>> + Send;

    /// Addresses of the households in these grids, as `(grid, address)`.
    fn household_addresses(
        &self,
        grids: Vec<Uuid>,
    ) -> impl Future<Output = StoreResult<Vec<(Uuid, String)>>> + Send;

    /// Addresses and buildings of these households (unknown ids are skipped).
    fn addresses_of(
        &self,
        households: Vec<Uuid>,
    ) -> impl Future<Output = StoreResult<Vec<HouseholdPlace>>> + Send;

    /// Number of households in these units.
    fn household_count(&self, units: Vec<Uuid>) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Indexed records of a kind, by `at`.
    fn index_rows(
        &self,
        kind: RecordKind,
        filter: IndexFilter,
    ) -> impl Future<Output = StoreResult<Vec<IndexedRecord>>> + Send;

    /// Visit counts per local day, grid and worker, and distinct households visited.
    fn visit_counts(
        &self,
        filter: IndexFilter,
        utc_offset_minutes: i32,
    ) -> impl Future<Output = StoreResult<VisitCounts>> + Send;

    /// The latest visit start (epoch ms) of each household visited, as `(household, at)`
    /// (grouped in SQL, for the due-visit list).
    fn last_visits(
        &self,
        filter: IndexFilter,
    ) -> impl Future<Output = StoreResult<Vec<(Uuid, i64)>>> + Send;
}
