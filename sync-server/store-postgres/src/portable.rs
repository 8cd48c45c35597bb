//! [`Import`] over PostgreSQL (`gridwalk-server migrate --to postgres://…`): rows of plain
//! cells loaded with their ids and sequences as they were, each cell cast to its column's
//! type; then the counters (`log_top`, the audit log's identity) carry on past them.

use gridwalk_store::portable::{Cell, Import, Row, Table, TABLES};
use gridwalk_store::{StoreError, StoreResult};
use tokio_postgres::types::ToSql;

use crate::{DbResult, PostgresStore};

/// One cell as a parameter: bytes for `bytea` columns, text (cast in SQL) for the rest.
enum Param {
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

impl Param {
    fn sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Param::Text(t) => t,
            Param::Bytes(b) => b,
        }
    }
}

fn param(table: &Table, column: usize, bytes: bool, cell: Cell) -> DbResult<Param> {
    Ok(match (bytes, cell) {
        (true, Cell::Null) => Param::Bytes(None),
        (true, Cell::Bytes(b)) => Param::Bytes(Some(b)),
        (true, Cell::Text(t)) => Param::Bytes(Some(t.into_bytes())),
        (false, Cell::Null) => Param::Text(None),
        (false, Cell::Int(n)) => Param::Text(Some(n.to_string())),
        (false, Cell::Text(t)) => Param::Text(Some(t)),
        (_, cell) => {
            return Err(StoreError::Refused(format!(
                "{}.{} cannot take {cell:?}",
                table.name, table.columns[column]
            ))
            .into())
        }
    })
}

impl PostgresStore {
    /// The type names (`udt_name`: `uuid`, `int8`, `bytea` …) of `table`'s columns, in order.
    async fn column_types(&self, table: &Table) -> DbResult<Vec<String>> {
        let rows = self
            .rows(
                "SELECT column_name::text, udt_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1",
                &[&table.name],
            )
            .await?;
        table
            .columns
            .iter()
            .map(|column| {
                rows.iter()
                    .find(|r| r.get::<_, &str>(0) == *column)
                    .map(|r| r.get::<_, String>(1))
                    .ok_or_else(|| {
                        StoreError::Other(format!("{}.{column} is not in the schema", table.name))
                            .into()
                    })
            })
            .collect()
    }

    async fn import_db(&self, table: &'static Table, rows: Vec<Row>) -> DbResult<()> {
        let types = self.column_types(table).await?;
        let values: Vec<String> = types
            .iter()
            .enumerate()
            .map(|(i, t)| match t.as_str() {
                "bytea" => format!("${}::bytea", i + 1),
                t => format!("${}::text::{t}", i + 1),
            })
            .collect();
        let overriding = if table.name == "audit_log" {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        };
        let replace = if table.name == "meta" {
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO {} ({}){overriding} VALUES ({}){replace}",
            table.name,
            table.columns.join(", "),
            values.join(", ")
        );
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let stmt = tx.prepare(&sql).await?;
        for row in rows {
            if row.len() != table.columns.len() {
                return Err(StoreError::Refused(format!(
                    "a row of {} has {} cells, not {}",
                    table.name,
                    row.len(),
                    table.columns.len()
                ))
                .into());
            }
            let params = row
                .into_iter()
                .enumerate()
                .map(|(i, cell)| param(table, i, types[i] == "bytea", cell))
                .collect::<DbResult<Vec<_>>>()?;
            let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(Param::sql).collect();
            tx.execute(&stmt, &refs).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Import for PostgresStore {
    async fn first_table_with_rows(&self) -> StoreResult<Option<&'static str>> {
        for table in TABLES.iter().filter(|t| t.name != "meta") {
            let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", table.name);
            let rows = self.rows(&sql, &[]).await?;
            if rows.first().is_some_and(|r| r.get::<_, bool>(0)) {
                return Ok(Some(table.name));
            }
        }
        Ok(None)
    }

    async fn import_rows(&self, table: &'static Table, rows: Vec<Row>) -> StoreResult<()> {
        Ok(self.import_db(table, rows).await?)
    }

    async fn finish_import(&self) -> StoreResult<()> {
        let client = self.client().await?;
        // The log's top survives pruning: at least every sequence a document or the floor
        // names, so devices' cursors stay valid.
        client
            .batch_execute(
                "UPDATE log_top SET seq = greatest(seq,
                    (SELECT coalesce(max(seq), 0) FROM changes),
                    (SELECT coalesce(max(seq), 0) FROM docs),
                    (SELECT coalesce(max(value::bigint), 0) FROM meta WHERE key = 'log_floor'))
                 WHERE id = 1;
                 SELECT setval(pg_get_serial_sequence('audit_log', 'id'),
                    coalesce((SELECT max(id) FROM audit_log), 1),
                    (SELECT max(id) FROM audit_log) IS NOT NULL);
                 ANALYZE;",
            )
            .await
            .map_err(crate::DbError::from)?;
        Ok(())
    }
}
