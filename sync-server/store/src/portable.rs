//! Moving a deployment between backends (`gridwalk-server migrate`): every table as rows of
//! plain cells. Backends keep the same tables and column names (their own column types), so
//! one list here says what a deployment is; a backend converts cells to its types.

use std::future::Future;

use crate::{Store, StoreResult};

/// One value of a row, in the types every backend can give and take.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// An integer (also timestamps in ms and booleans as 0/1).
    Int(i64),
    /// Text (also ids, as their hyphenated form).
    Text(String),
    /// Bytes (Automerge documents and changes).
    Bytes(Vec<u8>),
}

/// A row: cells in the order of its table's [`Table::columns`].
pub type Row = Vec<Cell>;

/// A table of a deployment and the columns that move with it.
#[derive(Debug, PartialEq, Eq)]
pub struct Table {
    /// Table name, the same in every backend.
    pub name: &'static str,
    /// Columns, the same in every backend; the first orders the export.
    pub columns: &'static [&'static str],
}

/// Everything a deployment holds, in an order that can be loaded. `meta` (epoch, past
/// epochs, the server's actor) replaces what the target made when it was opened; every
/// other table must be empty in the target.
pub const TABLES: &[Table] = &[
    Table {
        name: "meta",
        columns: &["key", "value"],
    },
    Table {
        name: "reference",
        columns: &["id", "version", "data"],
    },
    Table {
        name: "docs",
        columns: &[
            "doc_id",
            "kind",
            "scope",
            "department",
            "snapshot",
            "seq",
            "updated_at",
        ],
    },
    Table {
        name: "changes",
        columns: &["seq", "doc_id", "device_id", "data", "kind", "scope"],
    },
    Table {
        name: "devices",
        columns: &[
            "device_id",
            "user_id",
            "name",
            "app_version",
            "token_hash",
            "created_at",
            "last_sync_at",
            "revoked_at",
            "recovery_opened",
        ],
    },
    Table {
        name: "enroll_codes",
        columns: &["code_hash", "user_id", "expires_at", "used_at", "device_id"],
    },
    Table {
        name: "record_index",
        columns: &[
            "doc_id",
            "kind",
            "scope",
            "department",
            "status",
            "category",
            "level",
            "actor",
            "subject",
            "at",
            "due",
            "done_at",
            "satisfaction",
            "json",
        ],
    },
    Table {
        name: "blob_refs",
        columns: &["blob", "doc_id", "device_id", "since"],
    },
    Table {
        name: "admin_accounts",
        columns: &[
            "user_id",
            "password_hash",
            "failures",
            "locked_until",
            "updated_at",
        ],
    },
    Table {
        name: "admin_sessions",
        columns: &["token_hash", "user_id", "csrf", "created_at", "expires_at"],
    },
    Table {
        name: "api_tokens",
        columns: &["token_hash", "user_id", "name", "created_at", "revoked_at"],
    },
    Table {
        name: "device_status",
        columns: &["device_id", "pending", "reported_at"],
    },
    Table {
        name: "audit_log",
        columns: &[
            "id",
            "at",
            "actor_id",
            "actor_login",
            "actor_scope",
            "action",
            "target",
            "detail",
            "ok",
            "ip",
        ],
    },
    Table {
        name: "open311_keys",
        columns: &["key_hash", "name", "unit_id", "created_at", "revoked_at"],
    },
    Table {
        name: "open311_requests",
        columns: &[
            "incident_id",
            "token",
            "key_name",
            "address",
            "media_url",
            "contact",
            "created_at",
        ],
    },
];

/// A backend a deployment can be copied out of.
pub trait Export: Store {
    /// Up to `limit` rows of `table` after the first `offset`, in a stable order (the
    /// change log by sequence).
    fn export_rows(
        &self,
        table: &'static Table,
        offset: u64,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<Row>>> + Send;
}

/// A backend a deployment can be copied into.
pub trait Import: Store {
    /// The first table (other than `meta`) that holds rows: a target must hold none.
    fn first_table_with_rows(
        &self,
    ) -> impl Future<Output = StoreResult<Option<&'static str>>> + Send;

    /// Adds `rows` to `table` in one transaction; for `meta`, each key replaces the
    /// target's own.
    fn import_rows(
        &self,
        table: &'static Table,
        rows: Vec<Row>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// After the last rows: counters carry on past the imported sequences. The store must
    /// be opened again before it serves (its caches hold what it had when opened).
    fn finish_import(&self) -> impl Future<Output = StoreResult<()>> + Send;
}
