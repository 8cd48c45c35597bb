//! `doc::chunks`: bytes from outside are walked before automerge sees them. Real changes and
//! documents pass; compressed bombs, run-length bombs and stray chunk types are refused with
//! their stable codes, without inflating more than the cap.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::io::Write;

use automerge::{transaction::Transactable, AutoCommit, ObjType, ROOT};
use gridwalk_shared::doc::{self, chunks};

fn check_change(bytes: &[u8]) -> Result<chunks::Counted, chunks::ChunkError> {
    chunks::check_changes([bytes])
}

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

fn uleb(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A non-negative number as signed LEB128.
fn sleb(mut n: i64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 && byte & 0x40 == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A chunk of `kind` around `body` (checksum zero: the walk leaves it to automerge).
fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend([0; 4]);
    out.push(kind);
    uleb(body.len() as u64, &mut out);
    out.extend(body);
    out
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A document with some history: a list of maps and text edits.
fn busy_document() -> AutoCommit {
    let mut document = AutoCommit::new();
    let list = document.put_object(ROOT, "members", ObjType::List).unwrap();
    for i in 0..200 {
        let member = document.insert_object(&list, i, ObjType::Map).unwrap();
        document.put(&member, "name", format!("居民{i}")).unwrap();
        document.commit();
    }
    document
}

#[test]
fn real_changes_and_documents_pass() {
    let mut document = busy_document();
    let changes = document.get_changes(&[]);
    for change in &changes {
        let counted = check_change(change.raw_bytes()).unwrap();
        assert_eq!(counted.changes, 1);
        assert!(counted.ops >= 1, "a change has operations");
    }
    let all = chunks::check_changes(changes.iter().map(|c| c.raw_bytes())).unwrap();
    assert_eq!((all.changes, all.ops), (200, 401));
    // Saved compressed (columns DEFLATE-d) and not, and as concatenated changes.
    let compressed = document.save();
    let plain = document.save_nocompress();
    assert!(compressed.len() < plain.len(), "save() compresses columns");
    let a = chunks::check_received(&compressed).unwrap();
    let b = chunks::check_received(&plain).unwrap();
    assert_eq!(
        (a.changes, a.ops),
        (b.changes, b.ops),
        "the same rows either way"
    );
    assert_eq!(
        a.changes, 200,
        "one change per member, the first with the list"
    );
    assert_eq!(a.ops, 401, "the list, then two operations per member");
    let log: Vec<u8> = changes
        .iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect();
    let c = chunks::check_received(&log).unwrap();
    assert_eq!((c.changes, c.ops), (a.changes, a.ops));
    let mut loaded = doc::load_received(&compressed).unwrap();
    assert_eq!(loaded.get_heads(), document.get_heads());
    let mut merged = AutoCommit::new();
    doc::merge_received(&mut merged, &log).unwrap();
    assert_eq!(merged.get_heads(), document.get_heads());
}

#[test]
fn a_compressed_change_is_read_capped_and_refused_in_uploads() {
    // One change with many operations, so that automerge compresses it.
    let mut many = AutoCommit::new();
    let list = many.put_object(ROOT, "tags", ObjType::List).unwrap();
    for i in 0..300 {
        many.insert(&list, i, format!("标签{i}")).unwrap();
    }
    many.commit();
    let mut one = many.get_changes(&[])[0].clone();
    let compressed = one.bytes().to_vec();
    assert_eq!(compressed[8], 2, "automerge wrote a compressed chunk");
    assert_eq!(
        check_change(&compressed).unwrap_err(),
        chunks::ChunkError::Compressed
    );
    assert_eq!(
        check_change(&compressed).unwrap_err().code(),
        "compressed_change"
    );
    let counted = chunks::check_received(&compressed).unwrap();
    // The change's body at its inflated size: its header is magic, checksum, type and a
    // two-byte length.
    assert_eq!(counted.bytes, one.raw_bytes().len() - 11);
    let mut merged = AutoCommit::new();
    doc::merge_received(&mut merged, &compressed).unwrap();
    assert_eq!(merged.get_heads(), vec![one.hash()]);
}

#[test]
fn a_compressed_bomb_is_refused_before_automerge() {
    // 64 MiB of zeros deflate to ~64 KiB.
    let zeros = vec![0u8; 64 << 20];
    let bomb = chunk(2, &deflate(&zeros));
    assert!(bomb.len() < 200_000);
    let refused = chunks::check_received(&bomb).unwrap_err();
    assert_eq!(refused.code(), "inflated_too_large");
    assert!(matches!(
        doc::load_received(&bomb),
        Err(doc::DocError::Chunks(chunks::ChunkError::TooLarge { .. }))
    ));
    assert_eq!(
        doc::merge_received(&mut AutoCommit::new(), &bomb)
            .unwrap_err()
            .to_string(),
        refused.to_string()
    );

    // The same inside a document: one deflated column.
    let mut body = Vec::new();
    uleb(0, &mut body); // actors
    uleb(0, &mut body); // heads
    let column = deflate(&zeros);
    uleb(1, &mut body); // change columns
    uleb(0x0f, &mut body); // id 0, raw values, deflated
    uleb(column.len() as u64, &mut body);
    uleb(0, &mut body); // op columns
    body.extend(&column);
    let document = chunk(0, &body);
    assert_eq!(
        chunks::check_received(&document).unwrap_err().code(),
        "inflated_too_large"
    );
    // Documents are never part of an upload.
    assert_eq!(
        check_change(&document).unwrap_err().code(),
        "unsupported_chunk"
    );
}

/// A change chunk whose only column is `column` (spec `spec`).
fn change_with_column(spec: u64, column: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    uleb(0, &mut body); // deps
    uleb(16, &mut body);
    body.extend([7; 16]); // actor
    uleb(1, &mut body); // seq
    uleb(1, &mut body); // start op
    uleb(0, &mut body); // timestamp
    uleb(0, &mut body); // message
    uleb(0, &mut body); // other actors
    uleb(1, &mut body);
    uleb(spec, &mut body);
    uleb(column.len() as u64, &mut body);
    body.extend(column);
    chunk(1, &body)
}

#[test]
fn a_run_length_bomb_is_refused_before_automerge() {
    // Action column (id 4, integer): one run of 2^40 times action 1, in seven bytes.
    let mut column = Vec::new();
    sleb(1 << 40, &mut column); // positive: a run
    uleb(1, &mut column);
    let bomb = change_with_column(0x42, &column);
    let refused = check_change(&bomb).unwrap_err();
    assert_eq!(refused.code(), "too_many_operations");
    // A null run and a boolean column of the same length are refused as well.
    let mut nulls = vec![0];
    uleb(1 << 40, &mut nulls);
    assert_eq!(
        check_change(&change_with_column(0x42, &nulls))
            .unwrap_err()
            .code(),
        "too_many_operations"
    );
    let mut booleans = Vec::new();
    uleb(1 << 40, &mut booleans);
    assert_eq!(
        check_change(&change_with_column(0x34, &booleans))
            .unwrap_err()
            .code(),
        "too_many_operations"
    );
    // Many changes, each within the bound, are counted together.
    let mut half = Vec::new();
    sleb((chunks::MAX_ROWS / 2 + 1) as i64, &mut half);
    uleb(1, &mut half);
    let one = change_with_column(0x42, &half);
    assert!(check_change(&one).is_ok());
    assert_eq!(
        chunks::check_changes([one.as_slice(), one.as_slice()])
            .unwrap_err()
            .code(),
        "too_many_operations"
    );
    // A modest run passes the walk (automerge judges the rest).
    let mut small = vec![10];
    uleb(1, &mut small);
    assert_eq!(
        check_change(&change_with_column(0x42, &small)).unwrap().ops,
        10
    );
}

#[test]
fn stray_bytes_are_malformed() {
    let mut document = busy_document();
    let change = document.get_changes(&[])[0].raw_bytes().to_vec();
    for bad in [
        Vec::new(),
        b"not automerge".to_vec(),
        change[..change.len() - 1].to_vec(),
        [change.clone(), vec![0]].concat(),
        // a length past the end
        chunk(1, &[])[..9]
            .iter()
            .copied()
            .chain([0xff, 0x7f])
            .collect(),
        // a length of more than 64 bits
        MAGIC
            .iter()
            .copied()
            .chain([0; 5])
            .chain([0xff; 11])
            .collect(),
    ] {
        let refused = check_change(&bad).unwrap_err();
        assert_eq!(refused.code(), "malformed_change", "{bad:?}: {refused}");
    }
    // Two changes are not one.
    assert!(check_change(&[change.clone(), change.clone()].concat()).is_err());
    assert!(chunks::check_received(&[change.clone(), change].concat()).is_ok());
    assert_eq!(
        chunks::check_received(&chunk(3, &[])).unwrap_err().code(),
        "unsupported_chunk"
    );
}

/// A saved document (compressed and not) and a change, made once.
fn samples() -> &'static [Vec<u8>] {
    static SAMPLES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SAMPLES.get_or_init(|| {
        let mut document = busy_document();
        let change = document.get_changes(&[])[3].raw_bytes().to_vec();
        vec![document.save(), document.save_nocompress(), change]
    })
}

proptest::proptest! {
    /// The walk never panics and stays within its caps, whatever the bytes: random ones, and
    /// real chunks with bytes flipped or cut.
    #[test]
    fn any_bytes_are_walked_or_refused(
        noise in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
        flips in proptest::collection::vec((0usize..4000, proptest::num::u8::ANY), 0..6),
        cut in 0usize..4000,
    ) {
        let _ = chunks::check_received(&noise);
        let _ = chunks::check_changes([noise.as_slice()]);
        for bytes in samples() {
            let mut bytes = bytes.clone();
            for &(at, value) in &flips {
                let at = at % bytes.len();
                bytes[at] ^= value;
            }
            bytes.truncate(cut.max(1).min(bytes.len()));
            if let Ok(counted) = chunks::check_received(&bytes) {
                proptest::prop_assert!(counted.bytes <= chunks::MAX_INFLATED_BYTES);
                proptest::prop_assert!(counted.ops <= chunks::MAX_ROWS);
            }
            let _ = chunks::check_changes([bytes.as_slice()]);
        }
    }
}
