//! An uploaded XLSX is unpacked within caps before calamine reads it: a zip bomb (a small file
//! whose parts inflate to far more than a households sheet ever needs) is refused, and a real
//! workbook still reads (`tests/tests/fuzz_inputs.rs` reads the real ones).

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::io::{Cursor, Write};

use gridwalk_server::admin::import::{read_table, MAX_XLSX_BYTES, MAX_XLSX_ENTRY_BYTES};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A workbook-shaped zip whose part `name` inflates to `size` zero bytes.
fn with_part(name: &str, size: u64, parts: usize) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(size >= u32::MAX as u64);
    for n in 0..parts {
        zip.start_file(format!("{name}{n}.xml"), options).unwrap();
        let chunk = vec![0u8; 1 << 20];
        let mut left = size;
        while left > 0 {
            let take = left.min(chunk.len() as u64) as usize;
            zip.write_all(&chunk[..take]).unwrap();
            left -= take as u64;
        }
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn a_part_that_inflates_past_the_cap_is_refused_before_calamine_reads_it() {
    let bomb = with_part("xl/worksheets/sheet", MAX_XLSX_ENTRY_BYTES + (1 << 20), 1);
    assert!(
        bomb.len() < 1 << 20,
        "the bomb is small: {} bytes",
        bomb.len()
    );
    let refused = read_table(&bomb).err().expect("refused");
    assert!(refused.0.contains("unpacks to more than"), "{refused}");
}

#[test]
fn parts_that_together_inflate_past_the_cap_are_refused() {
    let each = MAX_XLSX_ENTRY_BYTES / 2;
    let parts = (MAX_XLSX_BYTES / each) as usize + 1;
    let bomb = with_part("xl/sharedStrings", each, parts);
    let refused = read_table(&bomb).err().expect("refused");
    assert!(refused.0.contains("unpacks to more than"), "{refused}");
}

#[test]
fn a_small_zip_passes_the_check_and_reaches_the_reader() {
    // Within the caps but no workbook: refused by calamine, not by the size check.
    let small = with_part("xl/worksheets/sheet", 1024, 1);
    let refused = read_table(&small).err().expect("not a workbook");
    assert!(!refused.0.contains("unpacks to more than"), "{refused}");
}
