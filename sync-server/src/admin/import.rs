//! Reading a households file (CSV or XLSX) into rows, and checking each row into a
//! [`Household`] or a list of errors. Pure: no storage.

use std::collections::HashSet;
use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Xlsx};
use gridwalk_shared::model::{Household, OrgKind, Record, ReferenceData};
use gridwalk_shared::validate::validate_record;
use serde::Serialize;
use uuid::Uuid;

/// Most rows one import may hold.
pub const MAX_ROWS: usize = 5000;
/// Last row (1-based) a sheet's cells may be in: the rows plus a header and some blank rows.
pub const MAX_SHEET_ROW: u32 = 2 * MAX_ROWS as u32;
/// Last column (1-based) a sheet's cells may be in (the template has 7).
pub const MAX_SHEET_COLUMN: u32 = 64;

/// Most bytes one entry of an XLSX file (a sheet, the shared strings) may inflate to.
pub const MAX_XLSX_ENTRY_BYTES: u64 = 32 * 1024 * 1024;
/// Most bytes all entries of an XLSX file may inflate to together.
pub const MAX_XLSX_BYTES: u64 = 64 * 1024 * 1024;
/// Most entries an XLSX file may hold.
pub const MAX_XLSX_ENTRIES: usize = 1000;

/// Checks an XLSX file's zip entries before calamine reads them: not too many, and each (and
/// all together) inflating to at most the caps — counted by inflating them through a capped
/// reader, since the sizes a zip declares can lie (zip bombs).
fn check_zip(bytes: &[u8]) -> Result<(), FileError> {
    use std::io::Read;
    let too_large = || {
        FileError(format!(
            "the XLSX file unpacks to more than {} MiB",
            MAX_XLSX_BYTES / (1024 * 1024)
        ))
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| FileError(format!("not a readable XLSX file: {e}")))?;
    if archive.len() > MAX_XLSX_ENTRIES {
        return Err(FileError(format!(
            "the XLSX file holds more than {MAX_XLSX_ENTRIES} parts"
        )));
    }
    let mut total = 0u64;
    for index in 0..archive.len() {
        let entry = archive
            .by_index(index)
            .map_err(|e| FileError(format!("not a readable XLSX file: {e}")))?;
        if entry.size() > MAX_XLSX_ENTRY_BYTES {
            return Err(too_large());
        }
        let inflated = std::io::copy(
            &mut entry.take(MAX_XLSX_ENTRY_BYTES + 1),
            &mut std::io::sink(),
        )
        .map_err(|e| FileError(format!("not a readable XLSX file: {e}")))?;
        total += inflated;
        if inflated > MAX_XLSX_ENTRY_BYTES || total > MAX_XLSX_BYTES {
            return Err(too_large());
        }
    }
    Ok(())
}

/// Columns, each with the header names it is recognised by (Chinese first).
const COLUMNS: [(&str, &[&str]); 7] = [
    ("grid", &["网格", "grid"]),
    ("building", &["楼栋", "building"]),
    ("address", &["地址", "address"]),
    ("head", &["户主", "head"]),
    ("phone", &["电话", "phone"]),
    ("tags", &["标签", "tags"]),
    ("notes", &["备注", "notes"]),
];

/// A problem with one row (row 1 is the header; data starts at 2).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct RowError {
    /// Row number as a spreadsheet shows it.
    pub row: usize,
    /// Column name, if one is to blame.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// The file could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FileError(pub String);

/// Cells of the data rows, by column name, with their row numbers.
pub struct Table {
    /// `(row number, cells in COLUMNS order)`.
    pub rows: Vec<(usize, [String; 7])>,
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// The first sheet's used cells as rows, from its first used row and column (as calamine's
/// `Range` has them). Cells are read one by one and their positions checked before the rows
/// are laid out: a sheet with one cell in A1 and one in XFD1048576 would otherwise ask for
/// 17 billion cells and abort the server (docs/fuzzing.md).
fn xlsx_records(bytes: &[u8]) -> Result<Vec<Vec<String>>, FileError> {
    check_zip(bytes)?;
    let mut book = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| FileError(format!("not a readable XLSX file: {e}")))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| FileError("the workbook has no sheet".into()))?;
    let unreadable =
        |e: calamine::XlsxError| FileError(format!("cannot read the first sheet: {e}"));
    let mut reader = book.worksheet_cells_reader(&name).map_err(unreadable)?;
    let mut cells = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let (row, column) = cell.get_position();
        if row >= MAX_SHEET_ROW || column >= MAX_SHEET_COLUMN {
            return Err(FileError(format!(
                "the sheet has cells beyond row {MAX_SHEET_ROW} or column {MAX_SHEET_COLUMN}; \
                 at most {MAX_ROWS} rows per import"
            )));
        }
        if !matches!(cell.get_value(), DataRef::Empty) {
            cells.push((
                row,
                column,
                cell_text(&Data::from(cell.get_value().clone())),
            ));
        }
    }
    let (Some(top), Some(left)) = (
        cells.iter().map(|c| c.0).min(),
        cells.iter().map(|c| c.1).min(),
    ) else {
        return Ok(Vec::new());
    };
    let bottom = cells.iter().map(|c| c.0).max().unwrap_or(top);
    let right = cells.iter().map(|c| c.1).max().unwrap_or(left);
    let width = (right - left + 1) as usize;
    let mut records = vec![vec![String::new(); width]; (bottom - top + 1) as usize];
    for (row, column, text) in cells {
        records[(row - top) as usize][(column - left) as usize] = text;
    }
    Ok(records)
}

/// Reads CSV (UTF-8, optional BOM) or XLSX (first sheet), detected by content.
pub fn read_table(bytes: &[u8]) -> Result<Table, FileError> {
    let records: Vec<Vec<String>> = if bytes.starts_with(b"PK") {
        xlsx_records(bytes)?
    } else {
        let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
            .map_err(|_| FileError("a CSV file must be UTF-8".into()))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        reader
            .records()
            .map(|r| r.map(|r| r.iter().map(str::to_string).collect()))
            .collect::<Result<_, _>>()
            .map_err(|e| FileError(format!("not a readable CSV file: {e}")))?
    };
    let mut lines = records.into_iter().enumerate();
    let (_, header) = lines
        .next()
        .ok_or_else(|| FileError("the file is empty".into()))?;
    let positions: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|(_, names)| {
            header
                .iter()
                .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
        })
        .collect();
    for (i, (column, names)) in COLUMNS.iter().enumerate() {
        let required = matches!(*column, "building" | "address" | "head");
        if required && positions[i].is_none() {
            return Err(FileError(format!("missing column {} / {column}", names[0])));
        }
    }
    let rows: Vec<(usize, [String; 7])> = lines
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, cells)| {
            let get = |k: usize| {
                positions[k]
                    .and_then(|p| cells.get(p))
                    .map(|c| c.trim().to_string())
                    .unwrap_or_default()
            };
            (i + 1, std::array::from_fn(get))
        })
        .collect();
    if rows.len() > MAX_ROWS {
        return Err(FileError(format!("at most {MAX_ROWS} rows per import")));
    }
    Ok(Table { rows })
}

/// Checks rows into households. `default_grid` fills an empty grid column; `allowed` says
/// whether a grid is in the caller's scope; `existing` are `(grid, address)` already stored.
pub fn check_rows(
    table: &Table,
    reference: &ReferenceData,
    default_grid: Option<Uuid>,
    allowed: impl Fn(Uuid) -> bool,
    existing: &HashSet<(Uuid, String)>,
) -> (Vec<Household>, Vec<RowError>) {
    let mut households = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashSet<(Uuid, String)> = HashSet::new();
    for (row, cells) in &table.rows {
        let [grid, building, address, head, phone, tags, notes] = cells;
        let err = |column: Option<&str>, message: String| RowError {
            row: *row,
            column: column.map(str::to_string),
            message,
        };
        let grid_id = if grid.is_empty() {
            default_grid
        } else {
            reference
                .units
                .iter()
                .find(|u| u.kind == OrgKind::Grid && (u.name == *grid || u.id.to_string() == *grid))
                .map(|u| u.id)
        };
        let Some(grid_id) = grid_id else {
            errors.push(err(Some("grid"), format!("no grid named `{grid}`")));
            continue;
        };
        if !allowed(grid_id) {
            errors.push(err(Some("grid"), "that grid is outside your scope".into()));
            continue;
        }
        let Some(building_id) = reference
            .buildings_in(grid_id)
            .find(|b| b.name == *building || b.id.to_string() == *building)
            .map(|b| b.id)
        else {
            errors.push(err(
                Some("building"),
                format!("no building `{building}` in that grid"),
            ));
            continue;
        };
        let key = (grid_id, address.clone());
        if !address.is_empty() && (existing.contains(&key) || !seen.insert(key)) {
            errors.push(err(
                Some("address"),
                format!("address `{address}` is already registered"),
            ));
            continue;
        }
        if head.is_empty() {
            errors.push(err(Some("head"), "the head of household is missing".into()));
            continue;
        }
        let household = Household {
            id: Uuid::now_v7(),
            grid_id,
            building_id,
            address: address.clone(),
            head: head.clone(),
            phone: phone.clone(),
            tags: tags
                .split([',', '，', '、', ';'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            members: Vec::new(),
            notes: notes.clone(),
        };
        match validate_record(&Record::Household(household.clone()), reference) {
            Ok(()) => households.push(household),
            Err(e) => errors.push(err(None, e.to_string())),
        }
    }
    (households, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_chinese_headers_and_bom() {
        let csv = "\u{FEFF}楼栋,地址,户主,电话\n1号楼,幸福路1号101,张三,13800000000\n\n";
        let t = read_table(csv.as_bytes()).unwrap();
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].0, 2);
        assert_eq!(t.rows[0].1[1], "1号楼");
        assert_eq!(t.rows[0].1[3], "张三");
    }

    #[test]
    fn missing_required_column_is_refused() {
        let e = read_table("楼栋,户主\n1号楼,张三\n".as_bytes())
            .err()
            .unwrap();
        assert!(e.0.contains("地址"), "{e}");
    }
}
