//! `/api/households`: list a grid's households; import households from CSV/XLSX with a
//! preview and per-row errors, all rows or none.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gridwalk_shared::model::{Household, Record, RecordKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::api::{Body, Doc, Reply};
use super::caller::Caller;
use super::import::{check_rows, read_table, RowError};
use super::json::{invalid, ApiJson};
use crate::app::AppState;
use crate::error::AppError;
use crate::populate;
use crate::store::{AdminStore, IndexFilter};

/// Documentation of `GET /api/households`.
pub const LIST: Doc = Doc {
    id: "listHouseholds",
    summary: "Households of a grid (phone numbers masked)",
    tag: "households",
    public: false,
    query: &[("grid", "Grid id (required)")],
    body: None,
    reply: Reply::json::<Vec<HouseholdRow>>(),
};
/// Documentation of `POST /api/households/import`.
pub const IMPORT: Doc = Doc {
    id: "importHouseholds",
    summary: "Import households from CSV or XLSX: a preview with dry_run=true; otherwise all rows or none (422 with per-row errors)",
    tag: "households",
    public: false,
    query: &[
        ("dry_run", "true: check and preview only"),
        ("grid", "Grid for rows whose grid column is empty"),
    ],
    body: Some(Body::Upload),
    reply: Reply::json::<ImportReport>(),
};

/// Which grid to list.
#[derive(Deserialize)]
pub struct ListQuery {
    grid: Uuid,
}

/// A household as listed.
#[derive(Serialize, specta::Type)]
pub struct HouseholdRow {
    id: Uuid,
    building_id: Uuid,
    address: String,
    head: String,
    phone: String,
    tags: Vec<String>,
}

/// Masks all but the first three and last four digits of a phone number.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 3 || i >= chars.len() - 4 {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

fn row(h: Household) -> HouseholdRow {
    HouseholdRow {
        id: h.id,
        building_id: h.building_id,
        phone: mask_phone(&h.phone),
        address: h.address,
        head: h.head,
        tags: h.tags,
    }
}

/// Lists a grid's households.
pub async fn list<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<ApiJson<Vec<HouseholdRow>>, AppError> {
    caller.check_unit(query.grid)?;
    let rows = state
        .store
        .index_rows(
            RecordKind::Household,
            IndexFilter {
                units: vec![query.grid],
                ..IndexFilter::default()
            },
        )
        .await?;
    let mut households: Vec<HouseholdRow> = rows
        .into_iter()
        .filter_map(|r| match serde_json::from_str::<Record>(&r.row.json) {
            Ok(Record::Household(h)) => Some(row(h)),
            _ => None,
        })
        .collect();
    households.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(ApiJson(households))
}

/// How to import.
#[derive(Deserialize)]
pub struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
    grid: Option<Uuid>,
}

/// How an import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// Every row was imported.
    Ok,
    /// A dry run: nothing was stored.
    Preview,
    /// Some rows have errors: nothing was stored (answered with 422).
    ImportRefused,
}

/// What an import found and did.
#[derive(Serialize, specta::Type)]
pub struct ImportReport {
    code: ImportOutcome,
    message: String,
    rows: usize,
    valid: usize,
    imported: usize,
    errors: Vec<RowError>,
    /// The first rows as they would be stored.
    preview: Vec<HouseholdRow>,
}

/// Imports households.
#[tracing::instrument(skip_all, fields(user = %caller.user.id, bytes = body.len()))]
pub async fn import<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<ImportQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    caller.require_admin()?;
    if let Some(grid) = query.grid {
        caller.check_unit(grid)?;
    }
    // Unpacking and reading the file is CPU work: off the async threads.
    let table = tokio::task::spawn_blocking(move || read_table(&body))
        .await
        .map_err(|e| {
            AppError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("the import failed: {e}"),
            )
        })?
        .map_err(|e| invalid(e.0))?;
    let grids = caller.units();
    let existing: HashSet<(Uuid, String)> = state
        .store
        .household_addresses(grids.clone())
        .await?
        .into_iter()
        .collect();
    let (households, errors) = check_rows(
        &table,
        &caller.reference,
        query.grid,
        |g| grids.contains(&g),
        &existing,
    );
    let mut report = ImportReport {
        code: ImportOutcome::Preview,
        message: String::new(),
        rows: table.rows.len(),
        valid: households.len(),
        imported: 0,
        preview: households.iter().take(20).cloned().map(row).collect(),
        errors,
    };
    if query.dry_run {
        report.message = format!("{} of {} rows can be imported", report.valid, report.rows);
        return Ok(ApiJson(report).into_response());
    }
    if !report.errors.is_empty() || households.is_empty() {
        report.code = ImportOutcome::ImportRefused;
        report.message = format!(
            "{} rows have errors: nothing was imported; fix them and import again",
            report.errors.len()
        );
        caller
            .audit(
                &state.store,
                "households.import",
                "households",
                json!({ "rows": report.rows, "errors": report.errors.len(), "imported": 0 }),
            )
            .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, ApiJson(report)).into_response());
    }
    let records: Vec<Record> = households.into_iter().map(Record::Household).collect();
    report.imported = populate::insert_all(&state.store, &records).await?;
    report.code = ImportOutcome::Ok;
    report.message = format!("imported {} households", report.imported);
    caller
        .audit(
            &state.store,
            "households.import",
            "households",
            json!({ "rows": report.rows, "imported": report.imported }),
        )
        .await?;
    Ok(ApiJson(report).into_response())
}
