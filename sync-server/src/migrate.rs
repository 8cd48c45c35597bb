//! `gridwalk-server migrate`: copies a deployment from one backend into an empty one —
//! documents, the change log with its sequences, the epoch, accounts, devices with their
//! tokens, sessions, the audit log — so devices carry on against the new one without
//! enrolling again and without downloading what they hold (docs/deploy.md).

use gridwalk_store::portable::{Export, Import, Row, TABLES};
use gridwalk_store::StoreError;

/// Rows read and written at a time: bounded memory whatever the street's size (a document
/// row is a few KiB; the largest allowed is a few MiB).
const PAGE_ROWS: usize = 500;

/// Why a migration stopped.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The target already holds data; nothing was written.
    #[error(
        "the target already holds data (table `{0}` has rows): migrate only into an empty database"
    )]
    TargetHoldsData(&'static str),
    /// Reading or writing failed part-way.
    #[error("copying `{table}` failed after {copied} rows: {source}")]
    Store {
        /// Table being copied.
        table: &'static str,
        /// Its rows copied before the failure.
        copied: u64,
        /// What failed.
        source: StoreError,
    },
}

/// Rows copied per table, in the order copied.
pub type Copied = Vec<(&'static str, u64)>;

/// Copies every table of `from` into `to`, which must hold no data; `progress` hears each
/// table's running count after every page.
pub async fn copy<F: Export, T: Import>(
    from: &F,
    to: &T,
    mut progress: impl FnMut(&'static str, u64),
) -> Result<Copied, MigrateError> {
    let failed = |table, copied| {
        move |source| MigrateError::Store {
            table,
            copied,
            source,
        }
    };
    if let Some(table) = to.first_table_with_rows().await.map_err(failed("-", 0))? {
        return Err(MigrateError::TargetHoldsData(table));
    }
    let mut copied = Vec::new();
    for table in TABLES {
        let mut rows = 0u64;
        loop {
            let page: Vec<Row> = from
                .export_rows(table, rows, PAGE_ROWS)
                .await
                .map_err(failed(table.name, rows))?;
            let n = page.len() as u64;
            if n == 0 {
                break;
            }
            to.import_rows(table, page)
                .await
                .map_err(failed(table.name, rows))?;
            rows += n;
            progress(table.name, rows);
            if n < PAGE_ROWS as u64 {
                break;
            }
        }
        copied.push((table.name, rows));
    }
    to.finish_import().await.map_err(failed("-", 0))?;
    Ok(copied)
}
