//! Reads of documents and the change log over PostgreSQL: documents by id, change-log pages,
//! snapshot pages, the log's top and floor, pruning.

use gridwalk_store::{LogPage, LogRow, PageSize, SnapshotPage, StoredDoc, Visibility};
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

use crate::{parse_kind, DbResult, PostgresStore};

/// The columns [`stored_doc`] reads, in order.
const DOC_COLUMNS: &str = "doc_id, kind, scope, department, snapshot, seq";

/// One change-log page: $1 after, $2 top, $3 visible units, $4 department, $5 limit, $6 the
/// device (its own rows are skipped). The page's sequences come first, from the two covering
/// indexes (a range per visible unit; the department's routed documents), then the rows.
const LOG_PAGE: &str = "SELECT c.seq, c.doc_id, c.kind, c.scope, c.data FROM changes c
     WHERE c.seq IN (
         (SELECT seq FROM changes
           WHERE scope = ANY($3) AND seq > $1 AND seq <= $2 AND device_id <> $6
           ORDER BY seq LIMIT $5)
         UNION
         (SELECT seq FROM changes
           WHERE doc_id IN (SELECT doc_id FROM docs WHERE department = $4)
             AND seq > $1 AND seq <= $2 AND device_id <> $6
           ORDER BY seq LIMIT $5)
         ORDER BY seq LIMIT $5)
     ORDER BY c.seq";

fn stored_doc(row: &Row) -> DbResult<StoredDoc> {
    Ok(StoredDoc {
        doc_id: row.get(0),
        kind: parse_kind(row.get(1))?,
        scope: row.get(2),
        department: row.get(3),
        snapshot: row.get(4),
        seq: row.get::<_, i64>(5).max(0) as u64,
    })
}

fn limit(rows: usize) -> i64 {
    rows.min(i64::MAX as usize) as i64
}

/// The change log's high-water mark (survives pruning). Every sequence at or below it is
/// committed in any snapshot that sees it (`commit.rs`).
pub(crate) async fn top_seq(client: &impl GenericClient) -> DbResult<u64> {
    let top: i64 = client
        .query_one("SELECT seq FROM log_top WHERE id = 1", &[])
        .await?
        .get(0);
    Ok(top.max(0) as u64)
}

/// Stored documents among `ids`.
pub(crate) async fn load_docs(store: &PostgresStore, ids: Vec<Uuid>) -> DbResult<Vec<StoredDoc>> {
    let client = store.client().await?;
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {DOC_COLUMNS} FROM docs WHERE doc_id = ANY($1)"
        ))
        .await?;
    let rows = client.query(&stmt, &[&ids]).await?;
    rows.iter().map(stored_doc).collect()
}

/// Visible change-log rows after `after`, skipping the device's own, within `size`.
///
/// The top is read first, in its own statement, and the rows in a later one bounded by it:
/// every sequence up to the top was committed before the top could be read, so the later
/// snapshot holds all of them, and the cursor never passes a row not yet visible.
pub(crate) async fn log_page(
    store: &PostgresStore,
    visibility: Visibility,
    device_id: Uuid,
    after: u64,
    size: PageSize,
) -> DbResult<LogPage> {
    let client = store.client().await?;
    let top = top_seq(&**client).await?;
    let stmt = client.prepare_cached(LOG_PAGE).await?;
    let rows = client
        .query(
            &stmt,
            &[
                &(after as i64),
                &(top as i64),
                &visibility.units,
                &visibility.department,
                &limit(size.rows),
                &device_id,
            ],
        )
        .await?;
    let (mut page, mut bytes, mut full) = (Vec::new(), 0usize, false);
    for r in rows {
        let data: Vec<u8> = r.get(4);
        if !size.takes(page.len(), bytes, data.len()) {
            full = true;
            break;
        }
        bytes += data.len();
        page.push(LogRow {
            seq: r.get::<_, i64>(0).max(0) as u64,
            doc_id: r.get(1),
            kind: parse_kind(r.get(2))?,
            scope: r.get(3),
            data,
        });
    }
    let full = full || page.len() >= size.rows;
    let cursor = match (full, page.last()) {
        (true, Some(last)) => last.seq,
        _ => top.max(after),
    };
    Ok(LogPage {
        rows: page,
        cursor,
        more: full,
    })
}

/// Visible documents with ids after `after`, by id, within `size`.
pub(crate) async fn snapshot_page(
    store: &PostgresStore,
    visibility: Visibility,
    after: Option<Uuid>,
    size: PageSize,
) -> DbResult<SnapshotPage> {
    let client = store.client().await?;
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {DOC_COLUMNS} FROM docs
             WHERE ($1::uuid IS NULL OR doc_id > $1)
               AND (scope = ANY($2) OR department = $3)
             ORDER BY doc_id LIMIT $4"
        ))
        .await?;
    let rows = client
        .query(
            &stmt,
            &[
                &after,
                &visibility.units,
                &visibility.department,
                &limit(size.rows),
            ],
        )
        .await?;
    let (mut docs, mut bytes, mut full) = (Vec::new(), 0usize, false);
    for r in &rows {
        let doc = stored_doc(r)?;
        if !size.takes(docs.len(), bytes, doc.snapshot.len()) {
            full = true;
            break;
        }
        bytes += doc.snapshot.len();
        docs.push(doc);
    }
    let full = full || docs.len() >= size.rows;
    Ok(SnapshotPage { docs, full })
}

/// Deletes change-log rows at or below `seq` and raises the floor.
pub(crate) async fn prune_log(store: &PostgresStore, seq: u64) -> DbResult<u64> {
    let mut client = store.client().await?;
    let tx = client.transaction().await?;
    let n = tx
        .execute("DELETE FROM changes WHERE seq <= $1", &[&(seq as i64)])
        .await?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('log_floor', $1)
         ON CONFLICT (key) DO UPDATE
            SET value = greatest(meta.value::bigint, excluded.value::bigint)::text",
        &[&seq.to_string()],
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Lowest sequence still in the log.
pub(crate) async fn log_floor(store: &PostgresStore) -> DbResult<u64> {
    let client = store.client().await?;
    let floor: Option<String> = client
        .query_opt("SELECT value FROM meta WHERE key = 'log_floor'", &[])
        .await?
        .map(|r| r.get(0));
    Ok(floor.and_then(|f| f.parse().ok()).unwrap_or(0))
}
