//! [`Export`] and [`Import`] over SQLite: tables read in rowid order (the change log by
//! sequence) and loaded with their ids and sequences as they were.

use gridwalk_store::portable::{Cell, Export, Import, Row, Table, TABLES};
use gridwalk_store::{StoreError, StoreResult};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{params_from_iter, Connection};

use crate::{DbResult, SqliteStore};

impl Export for SqliteStore {
    async fn export_rows(
        &self,
        table: &'static Table,
        offset: u64,
        limit: usize,
    ) -> StoreResult<Vec<Row>> {
        self.read(move |conn| export(conn, table, offset, limit))
            .await
    }
}

fn export(conn: &Connection, table: &Table, offset: u64, limit: usize) -> DbResult<Vec<Row>> {
    let sql = format!(
        "SELECT {} FROM {} ORDER BY rowid LIMIT ?1 OFFSET ?2",
        table.columns.join(", "),
        table.name
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params![limit as i64, offset as i64])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut cells = Vec::with_capacity(table.columns.len());
        for i in 0..table.columns.len() {
            cells.push(match row.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(n) => Cell::Int(n),
                ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Cell::Bytes(b.to_vec()),
                ValueRef::Real(r) => {
                    return Err(StoreError::Other(format!(
                        "{}.{} holds a real number ({r}) no table should",
                        table.name, table.columns[i]
                    ))
                    .into())
                }
            });
        }
        out.push(cells);
    }
    Ok(out)
}

impl Import for SqliteStore {
    async fn first_table_with_rows(&self) -> StoreResult<Option<&'static str>> {
        self.read(|conn| {
            for table in TABLES.iter().filter(|t| t.name != "meta") {
                let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", table.name);
                if conn.query_row(&sql, [], |r| r.get::<_, bool>(0))? {
                    return Ok(Some(table.name));
                }
            }
            Ok(None)
        })
        .await
    }

    async fn import_rows(&self, table: &'static Table, rows: Vec<Row>) -> StoreResult<()> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            let marks: Vec<String> = (1..=table.columns.len()).map(|i| format!("?{i}")).collect();
            let replace = if table.name == "meta" {
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            } else {
                ""
            };
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({}){replace}",
                table.name,
                table.columns.join(", "),
                marks.join(", ")
            );
            {
                let mut stmt = tx.prepare(&sql)?;
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
                    stmt.execute(params_from_iter(row.into_iter().map(value)))?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn finish_import(&self) -> StoreResult<()> {
        // AUTOINCREMENT counters (change log, audit log) moved past the inserted ids as the
        // rows went in; what is left is to leave the file compact.
        self.write(|conn| {
            conn.execute_batch("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")?;
            Ok(())
        })
        .await
    }
}

fn value(cell: Cell) -> Value {
    match cell {
        Cell::Null => Value::Null,
        Cell::Int(n) => Value::Integer(n),
        Cell::Text(t) => Value::Text(t),
        Cell::Bytes(b) => Value::Blob(b),
    }
}
