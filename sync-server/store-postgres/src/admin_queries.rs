//! The PostgreSQL queries behind dashboards, exports, imports and deadlines (over
//! `record_index`).

use gridwalk_shared::model::RecordKind;
use gridwalk_shared::workflow::IncidentStatus;
use gridwalk_store::{HouseholdPlace, IndexFilter, IndexRow, IndexedRecord, VisitCounts};
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::{DbResult, PostgresStore};

/// `WHERE` clause over `record_index` for a kind and an [`IndexFilter`]; parameters $1–$5.
const INDEX_WHERE: &str = "kind = $1 AND (scope = ANY($2) OR department = $3)
    AND ($4::bigint IS NULL OR at >= $4) AND ($5::bigint IS NULL OR at < $5)";

/// Open incidents due before `before_ms`, oldest due first.
pub(crate) async fn overdue_incidents(
    store: &PostgresStore,
    before_ms: i64,
    limit: usize,
) -> DbResult<Vec<Uuid>> {
    let open: Vec<&str> = IncidentStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(IncidentStatus::as_str)
        .collect();
    let rows = store
        .rows(
            "SELECT doc_id FROM record_index
              WHERE kind = 'incident' AND due IS NOT NULL AND due < $1 AND status = ANY($2)
              ORDER BY due LIMIT $3",
            &[&before_ms, &open, &(limit.min(i64::MAX as usize) as i64)],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Addresses of the households in these grids, as `(grid, address)`.
pub(crate) async fn household_addresses(
    store: &PostgresStore,
    grids: Vec<Uuid>,
) -> DbResult<Vec<(Uuid, String)>> {
    let rows = store
        .rows(
            "SELECT scope, json::jsonb ->> 'address' FROM record_index
              WHERE kind = 'household' AND scope = ANY($1)",
            &[&grids],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get::<_, Option<String>>(1).unwrap_or_default()))
        .collect())
}

/// Addresses of these households.
pub(crate) async fn addresses_of(
    store: &PostgresStore,
    households: Vec<Uuid>,
) -> DbResult<Vec<HouseholdPlace>> {
    let rows = store
        .rows(
            "SELECT doc_id, json::jsonb ->> 'address', json::jsonb ->> 'building_id'
               FROM record_index
              WHERE kind = 'household' AND doc_id = ANY($1)",
            &[&households],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| HouseholdPlace {
            household: r.get(0),
            address: r.get::<_, Option<String>>(1).unwrap_or_default(),
            building: r
                .get::<_, Option<String>>(2)
                .and_then(|b| Uuid::parse_str(&b).ok()),
        })
        .collect())
}

/// Number of households in these units.
pub(crate) async fn household_count(store: &PostgresStore, units: Vec<Uuid>) -> DbResult<u64> {
    let rows = store
        .rows(
            "SELECT count(*) FROM record_index WHERE kind = 'household' AND scope = ANY($1)",
            &[&units],
        )
        .await?;
    Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0).max(0) as u64))
}

/// Indexed records of a kind, by `at`.
pub(crate) async fn index_rows(
    store: &PostgresStore,
    kind: RecordKind,
    filter: IndexFilter,
) -> DbResult<Vec<IndexedRecord>> {
    let order = if filter.newest_first {
        "at DESC, doc_id DESC"
    } else {
        "at, doc_id"
    };
    let limit = filter.limit.map(|l| l.min(i64::MAX as usize) as i64);
    let rows = store
        .rows(
            &format!(
                "SELECT doc_id, scope, department, status, category, level, actor, subject,
                        at, due, done_at, satisfaction, json
                 FROM record_index WHERE {INDEX_WHERE} ORDER BY {order} LIMIT $6"
            ),
            &[
                &kind.as_str(),
                &filter.units,
                &filter.department,
                &filter.from,
                &filter.to,
                &limit,
            ],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| IndexedRecord {
            doc_id: r.get(0),
            scope: r.get(1),
            department: r.get(2),
            row: IndexRow {
                status: r.get(3),
                category: r.get(4),
                level: r.get(5),
                actor: r.get(6),
                subject: r.get(7),
                at: r.get(8),
                due: r.get(9),
                done_at: r.get(10),
                satisfaction: r.get(11),
                json: r.get(12),
            },
        })
        .collect())
}

/// `(key, count)` rows of a grouped query.
async fn counts<K: for<'a> tokio_postgres::types::FromSql<'a>>(
    store: &PostgresStore,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> DbResult<Vec<(K, u64)>> {
    let rows = store.rows(sql, params).await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, K>(0), r.get::<_, i64>(1).max(0) as u64))
        .collect())
}

/// Visit counts per local day, grid and worker, and distinct households visited.
pub(crate) async fn visit_counts(
    store: &PostgresStore,
    filter: IndexFilter,
    utc_offset_minutes: i32,
) -> DbResult<VisitCounts> {
    let kind = RecordKind::Visit.as_str();
    let offset_ms = i64::from(utc_offset_minutes) * 60_000;
    let p: [&(dyn ToSql + Sync); 5] = [
        &kind,
        &filter.units,
        &filter.department,
        &filter.from,
        &filter.to,
    ];
    let per_day = counts::<String>(
        store,
        &format!(
            "SELECT to_char(to_timestamp(((at + {offset_ms}) / 1000)::double precision)
                        AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)
             FROM record_index WHERE {INDEX_WHERE} GROUP BY day ORDER BY day"
        ),
        &p,
    )
    .await?;
    let per_grid = counts::<Uuid>(
        store,
        &format!(
            "SELECT scope, count(*) FROM record_index WHERE {INDEX_WHERE}
             GROUP BY scope ORDER BY count(*) DESC, scope"
        ),
        &p,
    )
    .await?;
    let per_worker = counts::<Uuid>(
        store,
        &format!(
            "SELECT actor, count(*) FROM record_index WHERE {INDEX_WHERE} AND actor IS NOT NULL
             GROUP BY actor ORDER BY count(*) DESC, actor"
        ),
        &p,
    )
    .await?;
    let visited = store
        .rows(
            &format!(
                "SELECT count(DISTINCT subject) FROM record_index
                 WHERE {INDEX_WHERE} AND done_at IS NOT NULL"
            ),
            &p,
        )
        .await?;
    Ok(VisitCounts {
        per_day,
        per_grid,
        per_worker,
        households_visited: visited
            .first()
            .map_or(0, |r| r.get::<_, i64>(0).max(0) as u64),
    })
}

/// The latest visit start of each household visited, as `(household, at)`.
pub(crate) async fn last_visits(
    store: &PostgresStore,
    filter: IndexFilter,
) -> DbResult<Vec<(Uuid, i64)>> {
    let kind = RecordKind::Visit.as_str();
    let p: [&(dyn ToSql + Sync); 5] = [
        &kind,
        &filter.units,
        &filter.department,
        &filter.from,
        &filter.to,
    ];
    let rows = store
        .rows(
            &format!(
                "SELECT subject, max(at) FROM record_index
                 WHERE {INDEX_WHERE} AND subject IS NOT NULL AND at IS NOT NULL
                 GROUP BY subject"
            ),
            &p,
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, Uuid>(0), r.get::<_, i64>(1)))
        .collect())
}
