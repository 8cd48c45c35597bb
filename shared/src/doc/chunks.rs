//! Automerge's storage chunks, walked before automerge sees bytes from outside.
//!
//! Automerge inflates DEFLATE-compressed chunks and columns without a limit, and expands
//! run-length encoded columns into one operation per row however few bytes say how many
//! rows. So bytes a device sent (an upload) or received (a download, a server copy) are
//! walked here first: each chunk's header (magic bytes, checksum, type, LEB128 length), and
//! inside change and document chunks the column layout, inflating compressed parts through a
//! capped reader and summing every column's run lengths. Nothing is kept but the counts, so
//! the walk costs bounded memory and time proportional to what it was allowed to inflate.
//!
//! Devices send changes as they are made (`Change::raw_bytes`: uncompressed); compressed
//! change chunks (type 2) and bundles (type 3) are refused in uploads.

use std::io::Read;

/// The bytes every Automerge chunk starts with.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Most bytes the chunks of one document may inflate to (compressed chunks and columns at
/// their inflated size, the rest as they are): the sync body's limit, so nothing received
/// grows past what could have been sent uncompressed.
pub const MAX_INFLATED_BYTES: usize = crate::wire::MAX_BODY_BYTES;

/// Most rows (operations, or changes in a document's change columns) in the chunks of one
/// document, counted from their run lengths before automerge expands them.
pub const MAX_ROWS: u64 = 1 << 20;

/// Why bytes are not handed to automerge. [`ChunkError::code`] is the stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// Not an Automerge chunk (or truncated).
    #[error("not an Automerge change: {0}")]
    Malformed(&'static str),
    /// A compressed change chunk where uncompressed changes are expected.
    #[error("compressed changes are not accepted; send each change uncompressed")]
    Compressed,
    /// A chunk type not accepted here (bundles, unknown types, a document in an upload).
    #[error("chunk type {0} is not accepted here")]
    Unsupported(u8),
    /// Inflates past [`MAX_INFLATED_BYTES`].
    #[error("the chunks inflate to more than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// More rows than [`MAX_ROWS`].
    #[error("the chunks hold more than {limit} operations")]
    TooManyRows {
        /// The limit.
        limit: u64,
    },
}

impl ChunkError {
    /// Stable code, as a [`crate::wire::Rejection`] carries it.
    pub fn code(&self) -> &'static str {
        match self {
            ChunkError::Malformed(_) => "malformed_change",
            ChunkError::Compressed => "compressed_change",
            ChunkError::Unsupported(_) => "unsupported_chunk",
            ChunkError::TooLarge { .. } => "inflated_too_large",
            ChunkError::TooManyRows { .. } => "too_many_operations",
        }
    }
}

/// What a walk counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    /// Chunk bytes at their inflated size.
    pub bytes: usize,
    /// Changes: one per change chunk, a document's as its change columns say.
    pub changes: u64,
    /// Operations, as the longest operation column says.
    pub ops: u64,
}

/// Which chunks a walk accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accept {
    /// Uncompressed change chunks only (uploads).
    Changes,
    /// Documents, changes and compressed changes (downloads, server copies).
    Received,
}

type Result<T> = std::result::Result<T, ChunkError>;

/// Checks the changes of one upload: each exactly one uncompressed change chunk, all
/// together within the limits.
pub fn check_changes<'a>(changes: impl IntoIterator<Item = &'a [u8]>) -> Result<Counted> {
    let mut counted = Counted::default();
    for bytes in changes {
        let rest = chunk(bytes, Accept::Changes, &mut counted)?;
        if !rest.is_empty() {
            return Err(ChunkError::Malformed("bytes after the change"));
        }
    }
    Ok(counted)
}

/// Checks bytes received for one document (a saved document and/or concatenated changes)
/// before `load` or `load_incremental`.
pub fn check_received(bytes: &[u8]) -> Result<Counted> {
    let mut counted = Counted::default();
    let mut rest = bytes;
    while !rest.is_empty() {
        rest = chunk(rest, Accept::Received, &mut counted)?;
    }
    Ok(counted)
}

/// Walks the chunk at the start of `bytes`, adding to `counted`; the bytes after it.
fn chunk<'a>(bytes: &'a [u8], accept: Accept, counted: &mut Counted) -> Result<&'a [u8]> {
    let mut input = Input(bytes);
    if input.take(4)? != MAGIC {
        return Err(ChunkError::Malformed("no Automerge magic bytes"));
    }
    input.take(4)?; // checksum: automerge verifies it
    let kind = input.take(1)?[0];
    let len = usize::try_from(input.uleb()?).map_err(|_| ChunkError::Malformed("length"))?;
    let body = input.take(len)?;
    match (kind, accept) {
        (1, _) => {
            add_bytes(counted, bytes.len() - input.0.len())?;
            change_body(body, counted)?;
        }
        (0, Accept::Received) => {
            add_bytes(counted, bytes.len() - input.0.len())?;
            document_body(body, counted)?;
        }
        (2, Accept::Received) => {
            let inflated = inflate(body, room(counted)?)?;
            add_bytes(counted, inflated.len())?;
            change_body(&inflated, counted)?;
        }
        (2, Accept::Changes) => return Err(ChunkError::Compressed),
        (other, _) => return Err(ChunkError::Unsupported(other)),
    }
    Ok(input.0)
}

/// A change chunk's body: header fields, then its operation columns (never compressed).
fn change_body(body: &[u8], counted: &mut Counted) -> Result<()> {
    let mut input = Input(body);
    let deps = input.uleb()?;
    for _ in 0..deps {
        input.take(32)?;
    }
    input.prefixed()?; // actor
    input.uleb()?; // seq
    input.uleb()?; // start op
    input.uleb()?; // timestamp (signed, same length)
    input.prefixed()?; // message
    let others = input.uleb()?;
    for _ in 0..others {
        input.prefixed()?;
    }
    let columns = input.columns()?;
    let mut ops = 0;
    for (spec, len) in columns {
        let data = input.take(len)?;
        if spec & DEFLATE != 0 {
            return Err(ChunkError::Malformed("compressed columns in a change"));
        }
        ops = ops.max(column_rows(spec, data)?);
    }
    add_rows(counted, 1, ops)
}

/// A document chunk's body: actors, heads, change and operation columns (possibly
/// compressed), head indexes.
fn document_body(body: &[u8], counted: &mut Counted) -> Result<()> {
    let mut input = Input(body);
    let actors = input.uleb()?;
    for _ in 0..actors {
        input.prefixed()?;
    }
    let heads = input.uleb()?;
    for _ in 0..heads {
        input.take(32)?;
    }
    let change_columns = input.columns()?;
    let op_columns = input.columns()?;
    let changes = columns_rows(&mut input, &change_columns, counted)?;
    let ops = columns_rows(&mut input, &op_columns, counted)?;
    add_rows(counted, changes, ops)
}

/// The rows of the longest of `columns`, whose data `input` starts with, inflating
/// compressed ones.
fn columns_rows(input: &mut Input, columns: &[(u32, usize)], counted: &mut Counted) -> Result<u64> {
    let mut rows = 0;
    for &(spec, len) in columns {
        let data = input.take(len)?;
        let column_rows = if spec & DEFLATE != 0 {
            let inflated = inflate(data, room(counted)?)?;
            add_bytes(counted, inflated.len())?;
            column_rows(spec, &inflated)?
        } else {
            column_rows(spec, data)?
        };
        rows = rows.max(column_rows);
    }
    Ok(rows)
}

/// The column spec's compression bit.
const DEFLATE: u32 = 0b1000;

/// How many rows a column holds, from its run lengths.
fn column_rows(spec: u32, data: &[u8]) -> Result<u64> {
    let kind = spec & 0b111;
    if kind == 7 {
        // raw values: their rows are counted by the value metadata column
        return Ok(0);
    }
    let mut input = Input(data);
    let mut rows: u64 = 0;
    while !input.0.is_empty() {
        if kind == 4 {
            // booleans: alternating run lengths
            rows = add_run(rows, input.uleb()?)?;
            continue;
        }
        // a run repeats one value, a literal run lists each, a null run has none
        let count = input.sleb()?;
        let (run, values) = match count {
            0 => (input.uleb()?, 0),
            1.. => (count.unsigned_abs(), 1),
            _ => (count.unsigned_abs(), count.unsigned_abs()),
        };
        rows = add_run(rows, run)?;
        for _ in 0..values {
            value(kind, &mut input)?;
        }
    }
    Ok(rows)
}

fn add_run(rows: u64, run: u64) -> Result<u64> {
    let rows = rows.saturating_add(run);
    if rows > MAX_ROWS {
        return Err(ChunkError::TooManyRows { limit: MAX_ROWS });
    }
    Ok(rows)
}

/// Skips one value of a run-length encoded column of `kind`.
fn value(kind: u32, input: &mut Input) -> Result<()> {
    match kind {
        3 => input.sleb().map(drop),
        5 => input.prefixed().map(drop),
        _ => input.uleb().map(drop),
    }
}

/// What may still be inflated.
fn room(counted: &Counted) -> Result<usize> {
    MAX_INFLATED_BYTES
        .checked_sub(counted.bytes)
        .ok_or(ChunkError::TooLarge {
            limit: MAX_INFLATED_BYTES,
        })
}

fn add_bytes(counted: &mut Counted, bytes: usize) -> Result<()> {
    counted.bytes = counted.bytes.saturating_add(bytes);
    if counted.bytes > MAX_INFLATED_BYTES {
        return Err(ChunkError::TooLarge {
            limit: MAX_INFLATED_BYTES,
        });
    }
    Ok(())
}

fn add_rows(counted: &mut Counted, changes: u64, ops: u64) -> Result<()> {
    counted.changes = counted.changes.saturating_add(changes);
    counted.ops = counted.ops.saturating_add(ops);
    if counted.ops > MAX_ROWS || counted.changes > MAX_ROWS {
        return Err(ChunkError::TooManyRows { limit: MAX_ROWS });
    }
    Ok(())
}

/// Inflates a raw DEFLATE stream, refusing more than `limit` bytes of output.
fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(data)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| ChunkError::Malformed("compressed data does not inflate"))?;
    if out.len() > limit {
        return Err(ChunkError::TooLarge {
            limit: MAX_INFLATED_BYTES,
        });
    }
    Ok(out)
}

/// Bytes still to read.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.0.len() {
            return Err(ChunkError::Malformed("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    /// An unsigned LEB128 number (at most 64 bits).
    fn uleb(&mut self) -> Result<u64> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(ChunkError::Malformed("number too large"));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ChunkError::Malformed("number too large"))
    }

    /// A signed LEB128 number (at most 64 bits).
    fn sleb(&mut self) -> Result<i64> {
        let mut value: i64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= i64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                if shift < 57 && byte & 0x40 != 0 {
                    value |= -1i64 << (shift + 7);
                }
                return Ok(value);
            }
        }
        Err(ChunkError::Malformed("number too large"))
    }

    /// Length-prefixed bytes.
    fn prefixed(&mut self) -> Result<&'a [u8]> {
        let len = usize::try_from(self.uleb()?).map_err(|_| ChunkError::Malformed("length"))?;
        self.take(len)
    }

    /// A column layout: how many, then each one's spec and data length.
    fn columns(&mut self) -> Result<Vec<(u32, usize)>> {
        let count = self.uleb()?;
        let mut columns = Vec::new();
        for _ in 0..count {
            let spec =
                u32::try_from(self.uleb()?).map_err(|_| ChunkError::Malformed("column spec"))?;
            let len = usize::try_from(self.uleb()?)
                .map_err(|_| ChunkError::Malformed("column length"))?;
            columns.push((spec, len));
        }
        Ok(columns)
    }
}
