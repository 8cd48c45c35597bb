//! The admin household import (CSV or XLSX → rows → checked households), against the demo
//! street's reference data: any file gives households and row errors, or a `FileError`.

#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use gridwalk_server::admin::import::{check_rows, read_table, MAX_ROWS};
use gridwalk_server::seed;
use gridwalk_shared::model::{OrgKind, ReferenceData};
use libfuzzer_sys::fuzz_target;

fn reference() -> &'static ReferenceData {
    static REFERENCE: OnceLock<ReferenceData> = OnceLock::new();
    REFERENCE.get_or_init(|| seed::demo(7).reference)
}

fuzz_target!(|file: &[u8]| {
    let Ok(table) = read_table(file) else {
        return;
    };
    assert!(table.rows.len() <= MAX_ROWS);
    let reference = reference();
    let grid = reference
        .units
        .iter()
        .find(|u| u.kind == OrgKind::Grid)
        .map(|u| u.id);
    let (households, errors) = check_rows(&table, reference, grid, |_| true, &HashSet::new());
    assert!(households.len() + errors.len() <= table.rows.len());
});
