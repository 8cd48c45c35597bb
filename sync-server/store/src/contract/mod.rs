//! The contract every storage backend must pass, as plain async functions over a
//! [`Backend`] (a way to make empty stores), and [`contract_tests!`](crate::contract_tests),
//! which turns them into one `#[tokio::test]` each in the backend's own test crate:
//!
//! ```ignore
//! gridwalk_store::contract_tests!(SqliteBackend);
//! ```
//!
//! A panic is a failure with a line number, so the suite unwraps freely.
#![allow(clippy::unwrap_used)]

mod admin;
mod blob_refs;
mod moves;
mod open311;
mod sync;

use std::future::Future;

pub use admin::{
    devices_and_index_queries, parallel_attempts_cannot_pass_the_lock_out,
    passwords_attempts_and_lock_out, sessions_expire_and_end,
    the_audit_log_is_searchable_and_append_only,
};
pub use blob_refs::blob_refs_contract;
pub use moves::a_moved_record_changes_scope_and_goes_whole_to_its_new_unit;
pub use open311::open311_contract;
pub use sync::sync_contract;

use crate::ServerStore;

/// Makes stores for the suite: every test asks for a new, empty place and opens it (twice,
/// where the test checks what survives a restart).
pub trait Backend: Send + Sync {
    /// The store under test.
    type Store: ServerStore;
    /// Where one store lives (a temporary directory, a database), kept alive by the test.
    type Place: Send + Sync;

    /// A new, empty place.
    fn place(&self) -> impl Future<Output = Self::Place> + Send;

    /// Opens the store at `place`, as a starting server does.
    fn open(&self, place: &Self::Place) -> impl Future<Output = Self::Store> + Send;

    /// Runs one SQL statement on the database at `place` behind the store's back (to check
    /// what the database itself refuses); the rows it changed, or the database's error.
    fn execute(
        &self,
        place: &Self::Place,
        sql: &str,
    ) -> impl Future<Output = Result<u64, String>> + Send;
}

/// One `#[tokio::test]` per contract function, over the backend `$backend` (an expression
/// implementing [`Backend`]). The calling crate needs `tokio` (macros, multi-thread runtime).
/// With `skip_unless = EXPR`, each test returns at once (passing) when `EXPR` is false: for a
/// backend whose database server may be missing (the expression says why, once).
#[macro_export]
macro_rules! contract_tests {
    ($backend:expr) => {
        $crate::contract_tests!($backend, skip_unless = true);
    };
    ($backend:expr, skip_unless = $ready:expr) => {
        $crate::contract_tests!(@each $backend, $ready;
            sync_contract,
            a_moved_record_changes_scope_and_goes_whole_to_its_new_unit,
            blob_refs_contract,
            open311_contract,
            passwords_attempts_and_lock_out,
            parallel_attempts_cannot_pass_the_lock_out,
            sessions_expire_and_end,
            the_audit_log_is_searchable_and_append_only,
            devices_and_index_queries,
        );
    };
    (@each $backend:expr, $ready:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                if !$ready {
                    return;
                }
                $crate::contract::$name(&$backend).await;
            }
        )*
    };
}
