//! The SQLite queries behind dashboards, exports and imports (over `record_index`).

use gridwalk_shared::model::RecordKind;
use rusqlite::{params, Connection, Row};
use uuid::Uuid;

use gridwalk_store::{HouseholdPlace, IndexFilter, IndexRow, IndexedRecord, VisitCounts};

use crate::admin_sqlite::{ids_json, opt_uuid};
use crate::{parse_uuid, DbResult};

/// `WHERE` clause over `record_index` for a kind and an [`IndexFilter`]; parameters ?1–?5.
const INDEX_WHERE: &str = "kind = ?1
    AND (scope IN (SELECT value FROM json_each(?2)) OR department = ?3)
    AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5)";

fn index_params(kind: RecordKind, f: &IndexFilter) -> (String, String, Option<String>) {
    (
        kind.as_str().to_string(),
        ids_json(&f.units),
        f.department.map(|d| d.to_string()),
    )
}

fn to_indexed(r: &Row<'_>) -> rusqlite::Result<[Option<String>; 8]> {
    Ok([
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ])
}

fn counts<K>(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
    key: impl Fn(String) -> DbResult<K>,
) -> DbResult<Vec<(K, u64)>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map(p, |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(k, n)| Ok((key(k)?, n.max(0) as u64)))
        .collect()
}

/// Addresses of the households in these grids.
pub fn household_addresses(conn: &Connection, grids: &[Uuid]) -> DbResult<Vec<(Uuid, String)>> {
    {
        let mut stmt = conn.prepare_cached(
            "SELECT scope, json_extract(json, '$.address') FROM record_index
                 WHERE kind = 'household' AND scope IN (SELECT value FROM json_each(?1))",
        )?;
        let raw = stmt
            .query_map([ids_json(grids)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(|(g, a)| Ok((parse_uuid(&g)?, a.unwrap_or_default())))
            .collect()
    }
}

/// Addresses of these households.
pub fn addresses_of(conn: &Connection, households: &[Uuid]) -> DbResult<Vec<HouseholdPlace>> {
    let mut stmt = conn.prepare_cached(
        "SELECT doc_id, json_extract(json, '$.address'), json_extract(json, '$.building_id')
             FROM record_index
             WHERE kind = 'household' AND doc_id IN (SELECT value FROM json_each(?1))",
    )?;
    let raw = stmt
        .query_map([ids_json(households)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    raw.into_iter()
        .map(|(h, a, b)| {
            Ok(HouseholdPlace {
                household: parse_uuid(&h)?,
                address: a.unwrap_or_default(),
                building: b.and_then(|b| Uuid::parse_str(&b).ok()),
            })
        })
        .collect()
}

/// Number of households in these units.
pub fn household_count(conn: &Connection, units: &[Uuid]) -> DbResult<u64> {
    {
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM record_index
                 WHERE kind = 'household' AND scope IN (SELECT value FROM json_each(?1))",
            [ids_json(units)],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }
}

/// Indexed records of a kind, by `at`.
pub fn index_rows(
    conn: &Connection,
    kind: RecordKind,
    filter: &IndexFilter,
) -> DbResult<Vec<IndexedRecord>> {
    {
        let (kind, units, department) = index_params(kind, filter);
        let order = if filter.newest_first {
            "at DESC, doc_id DESC"
        } else {
            "at, doc_id"
        };
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT doc_id, scope, department, status, category, level, actor, subject,
                        at, due, done_at, satisfaction, json
                 FROM record_index WHERE {INDEX_WHERE} ORDER BY {order} LIMIT ?6"
        ))?;
        let limit = filter.limit.map_or(-1, |l| l as i64);
        let raw = stmt
            .query_map(
                params![kind, units, department, filter.from, filter.to, limit],
                |r| {
                    let ids = to_indexed(r)?;
                    let times: [Option<i64>; 3] = [r.get(8)?, r.get(9)?, r.get(10)?];
                    Ok((ids, times, r.get::<_, Option<String>>(11)?, r.get(12)?))
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(|(t, [at, due, done_at], satisfaction, json)| {
                let [doc_id, scope, department, status, category, level, actor, subject] = t;
                Ok(IndexedRecord {
                    doc_id: parse_uuid(&doc_id.unwrap_or_default())?,
                    scope: parse_uuid(&scope.unwrap_or_default())?,
                    department: opt_uuid(department)?,
                    row: IndexRow {
                        status,
                        category,
                        level,
                        actor: opt_uuid(actor)?,
                        subject: opt_uuid(subject)?,
                        at,
                        due,
                        done_at,
                        satisfaction,
                        json,
                    },
                })
            })
            .collect()
    }
}

/// Visit counts per local day, grid and worker, and distinct households visited.
pub fn visit_counts(
    conn: &Connection,
    filter: &IndexFilter,
    utc_offset_minutes: i32,
) -> DbResult<VisitCounts> {
    {
        let (kind, units, department) = index_params(RecordKind::Visit, filter);
        let offset_ms = i64::from(utc_offset_minutes) * 60_000;
        let p = || (&kind, &units, &department, filter.from, filter.to);
        let per_day = counts(
            conn,
            &format!(
                "SELECT date((at + {offset_ms}) / 1000, 'unixepoch') AS day, count(*)
                     FROM record_index WHERE {INDEX_WHERE} GROUP BY day ORDER BY day"
            ),
            p(),
            Ok,
        )?;
        let per_grid = counts(
            conn,
            &format!(
                "SELECT scope, count(*) FROM record_index WHERE {INDEX_WHERE}
                     GROUP BY scope ORDER BY count(*) DESC"
            ),
            p(),
            |s| parse_uuid(&s),
        )?;
        let per_worker = counts(
            conn,
            &format!(
                "SELECT actor, count(*) FROM record_index
                     WHERE {INDEX_WHERE} AND actor IS NOT NULL
                     GROUP BY actor ORDER BY count(*) DESC"
            ),
            p(),
            |s| parse_uuid(&s),
        )?;
        let visited: i64 = conn.query_row(
            &format!(
                "SELECT count(DISTINCT subject) FROM record_index
                     WHERE {INDEX_WHERE} AND done_at IS NOT NULL"
            ),
            p(),
            |r| r.get(0),
        )?;
        Ok(VisitCounts {
            per_day,
            per_grid,
            per_worker,
            households_visited: visited.max(0) as u64,
        })
    }
}

/// The latest visit start of each household visited, as `(household, at)`.
pub fn last_visits(conn: &Connection, filter: &IndexFilter) -> DbResult<Vec<(Uuid, i64)>> {
    let (kind, units, department) = index_params(RecordKind::Visit, filter);
    let mut stmt = conn.prepare(&format!(
        "SELECT subject, max(at) FROM record_index
             WHERE {INDEX_WHERE} AND subject IS NOT NULL AND at IS NOT NULL
             GROUP BY subject"
    ))?;
    let rows = stmt
        .query_map(
            params![kind, units, department, filter.from, filter.to],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, at)| Ok((parse_uuid(&id)?, at)))
        .collect()
}
