//! The replicas as stored: every document's scope and Automerge heads in one SQLite file
//! (the server's or a device's), read through a read-only connection, and the server's
//! change log checked for gaps.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result};
use automerge::{Automerge, ChangeHash, ReadDoc};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use uuid::Uuid;

/// Which store a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `gridwalk-server.sqlite` (documents in `docs.snapshot`).
    Server,
    /// A device's store (documents in `docs.data`).
    Device,
}

impl Side {
    fn docs_sql(self) -> &'static str {
        match self {
            Side::Server => "SELECT doc_id, scope, snapshot FROM docs",
            Side::Device => "SELECT doc_id, scope, data FROM docs",
        }
    }
}

/// One document as a replica holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// Org unit it belongs to.
    pub scope: Uuid,
    /// Automerge heads, sorted.
    pub heads: Vec<ChangeHash>,
}

/// A replica: its documents, and which of the changes asked for it lacks.
#[derive(Debug, Default)]
pub struct Replica {
    /// Documents by id.
    pub docs: BTreeMap<Uuid, Held>,
    /// Per document asked for: the changes it does not hold (all of them if the document
    /// is missing).
    pub missing: BTreeMap<Uuid, BTreeSet<ChangeHash>>,
}

/// Opens `path` read-only.
pub fn open(path: &Path) -> Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("open {} read-only", path.display()))
}

fn parse_id(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).with_context(|| format!("bad id {text:?} in a store"))
}

/// Reads every document of the store at `path`, and checks that it holds the changes in
/// `wanted` (by document).
pub fn read(
    path: &Path,
    side: Side,
    wanted: &BTreeMap<Uuid, BTreeSet<ChangeHash>>,
) -> Result<Replica> {
    let conn = open(path)?;
    let mut stmt = conn.prepare(side.docs_sql())?;
    let mut rows = stmt.query([])?;
    let mut replica = Replica::default();
    while let Some(row) = rows.next()? {
        let id = parse_id(&row.get::<_, String>(0)?)?;
        let scope = parse_id(&row.get::<_, String>(1)?)?;
        let data: Vec<u8> = row.get(2)?;
        let doc = Automerge::load(&data).with_context(|| format!("load document {id}"))?;
        let mut heads = doc.get_heads();
        heads.sort();
        if let Some(hashes) = wanted.get(&id) {
            let absent: BTreeSet<ChangeHash> = hashes
                .iter()
                .filter(|h| doc.get_change_by_hash(h).is_none())
                .copied()
                .collect();
            if !absent.is_empty() {
                replica.missing.insert(id, absent);
            }
        }
        replica.docs.insert(id, Held { scope, heads });
    }
    for (id, hashes) in wanted {
        if !replica.docs.contains_key(id) {
            replica.missing.insert(*id, hashes.clone());
        }
    }
    Ok(replica)
}

/// Scope and heads of the documents `ids` in the store at `path` (those it holds).
pub fn heads(path: &Path, side: Side, ids: &BTreeSet<Uuid>) -> Result<BTreeMap<Uuid, Held>> {
    let conn = open(path)?;
    let sql = format!("{} WHERE doc_id = ?1", side.docs_sql());
    let mut out = BTreeMap::new();
    for id in ids {
        let row: Option<(String, Vec<u8>)> = conn
            .query_row(&sql, [id.to_string()], |r| Ok((r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((scope, data)) = row {
            let mut heads = Automerge::load(&data)
                .with_context(|| format!("load document {id}"))?
                .get_heads();
            heads.sort();
            out.insert(
                *id,
                Held {
                    scope: parse_id(&scope)?,
                    heads,
                },
            );
        }
    }
    Ok(out)
}

/// The server's change log: rows, its high-water mark, the pruned floor, and how many
/// sequence numbers between the floor and the mark have no row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LogCheck {
    /// Rows in `changes`.
    pub rows: u64,
    /// Highest sequence number handed out (`sqlite_sequence`).
    pub top: u64,
    /// Sequence numbers up to this were pruned on purpose (`meta.log_floor`).
    pub floor: u64,
    /// Sequence numbers in `floor+1..=top` without a row (goal: 0).
    pub gaps: u64,
}

/// Checks the change log of the server store at `path`.
pub fn check_log(path: &Path) -> Result<LogCheck> {
    let conn = open(path)?;
    let top: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'changes'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let floor: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'log_floor'", [], |r| {
            r.get(0)
        })
        .optional()?;
    let mut check = LogCheck {
        top: top.unwrap_or(0).max(0) as u64,
        floor: floor.and_then(|f| f.parse().ok()).unwrap_or(0),
        ..LogCheck::default()
    };
    let mut stmt = conn.prepare("SELECT seq FROM changes ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let mut next = check.floor + 1;
    while let Some(row) = rows.next()? {
        let seq = row.get::<_, i64>(0)?.max(0) as u64;
        check.rows += 1;
        check.gaps += seq.saturating_sub(next);
        next = next.max(seq + 1);
    }
    check.gaps += (check.top + 1).saturating_sub(next);
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_in_the_change_log_are_counted_above_the_floor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT);
             INSERT INTO changes (doc_id) VALUES ('a'), ('b'), ('c'), ('d'), ('e'), ('f');",
        )
        .unwrap();
        let whole = check_log(&path).unwrap();
        assert_eq!((whole.rows, whole.top, whole.gaps), (6, 6, 0));
        // Pruned on purpose up to 2: not a gap. Seq 4 and the last one missing: gaps.
        conn.execute_batch(
            "DELETE FROM changes WHERE seq <= 2 OR seq = 4 OR seq = 6;
             INSERT INTO meta VALUES ('log_floor', '2');",
        )
        .unwrap();
        let holed = check_log(&path).unwrap();
        assert_eq!(
            (holed.rows, holed.top, holed.floor, holed.gaps),
            (2, 6, 2, 2)
        );
    }
}
