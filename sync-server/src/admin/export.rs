//! `GET /api/exports/{kind}`: visits, incidents, service requests and the visit ledger
//! (工作台账) as CSV or XLSX, within the caller's scope. Every export is audited.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use gridwalk_shared::model::{Record, RecordKind};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::visit_check;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::api::{Doc, Reply};
use super::caller::Caller;
use super::dashboard::RangeQuery;
use super::households::mask_phone;
use super::json::invalid;
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, IndexFilter};

/// Documentation of `GET /api/exports/{kind}`.
pub const DOC: Doc = Doc {
    id: "export",
    summary: "Export visits, incidents, service_requests or ledger (工作台账) as CSV or XLSX",
    tag: "exports",
    public: false,
    query: &[
        ("format", "csv or xlsx (default xlsx)"),
        ("from", "First day, YYYY-MM-DD"),
        ("to", "Last day, YYYY-MM-DD"),
        ("area", "Org unit id (default: your scope)"),
    ],
    body: None,
    reply: Reply::File,
};

/// Most rows one export holds.
const MAX_ROWS: usize = 100_000;

/// What to export.
#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    #[serde(flatten)]
    range: RangeQuery,
}

/// A table to write out.
pub struct Sheet {
    /// Sheet title.
    pub title: &'static str,
    /// Column headers.
    pub headers: &'static [&'static str],
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

/// A cell as a spreadsheet must show it: text that would start a formula (`=`, `+`, `-`,
/// `@`, tab, carriage return) gets a leading `'`, as OWASP's CSV-injection advice says, so
/// Excel, LibreOffice and WPS show it as text instead of evaluating it.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// CSV with a byte-order mark, so spreadsheet programs read the Chinese text as UTF-8. Every
/// cell is quoted and formula-like cells are [neutralised](neutralise).
pub fn to_csv(sheet: &Sheet) -> Result<Vec<u8>, AppError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .from_writer(&mut out);
        let fail = |e: csv::Error| {
            AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "export_failed",
                e.to_string(),
            )
        };
        writer.write_record(sheet.headers).map_err(fail)?;
        for row in &sheet.rows {
            writer
                .write_record(row.iter().map(|cell| neutralise(cell).into_owned()))
                .map_err(fail)?;
        }
        writer.flush().map_err(|e| {
            AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "export_failed",
                e.to_string(),
            )
        })?;
    }
    Ok(out)
}

/// An XLSX workbook with one sheet and a bold header row. Every cell is written as a string
/// (a shared string, never a formula), so no cell is ever evaluated.
pub fn to_xlsx(sheet: &Sheet) -> Result<Vec<u8>, AppError> {
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let ws = book.add_worksheet();
        ws.set_name(sheet.title)?;
        for (c, h) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, cell)?;
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.autofit();
        book.save_to_buffer()
    };
    build().map_err(|e| {
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "export_failed",
            e.to_string(),
        )
    })
}

fn local(ms: Option<i64>, offset_minutes: i32) -> String {
    ms.map(|ms| {
        let t = Timestamp::from_millis(ms + i64::from(offset_minutes) * 60_000);
        t.0.format("%Y-%m-%d %H:%M").to_string()
    })
    .unwrap_or_default()
}

fn yes(b: bool) -> String {
    if b { "是" } else { "否" }.to_string()
}

/// Builds the sheet of one export kind.
async fn sheet<S: AdminStore>(
    state: &AppState<S>,
    caller: &Caller,
    kind: &str,
    filter: IndexFilter,
) -> Result<Sheet, AppError> {
    let r = caller.reference.clone();
    let tz = r.calendar.utc_offset_minutes;
    let unit = |id: Uuid| r.unit(id).map(|u| u.name.clone()).unwrap_or_default();
    let user = |id: Option<Uuid>| {
        id.and_then(|u| r.user(u))
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let record_kind = match kind {
        "visits" | "ledger" => RecordKind::Visit,
        "incidents" => RecordKind::Incident,
        "service_requests" => RecordKind::ServiceRequest,
        other => {
            return Err(invalid(format!(
                "unknown export `{other}` (visits, incidents, service_requests, ledger)"
            )))
        }
    };
    let capped = IndexFilter {
        limit: Some(MAX_ROWS + 1),
        ..filter.clone()
    };
    let rows = state.store.index_rows(record_kind, capped).await?;
    if rows.len() > MAX_ROWS {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "export_too_large",
            format!("more than {MAX_ROWS} rows: export a shorter date range or a smaller area"),
        ));
    }
    let records = rows.iter().filter_map(|row| {
        serde_json::from_str::<Record>(&row.row.json)
            .ok()
            .map(|rec| (row, rec))
    });
    let sheet = match kind {
        "incidents" => Sheet {
            title: "问题",
            headers: &[
                "编号",
                "上报时间",
                "网格",
                "类别",
                "描述",
                "上报人",
                "级别",
                "状态",
                "期限",
                "办结时间",
                "按时",
                "满意度",
            ],
            rows: records
                .map(|(row, rec)| {
                    let description = match rec {
                        Record::Incident(i) => i.description,
                        _ => String::new(),
                    };
                    let category = row.row.category.clone().unwrap_or_default();
                    vec![
                        row.doc_id.to_string(),
                        local(row.row.at, tz),
                        unit(row.scope),
                        r.category(&category)
                            .map(|c| c.name.clone())
                            .unwrap_or(category),
                        description,
                        user(row.row.actor),
                        row.row.level.clone().unwrap_or_default(),
                        row.row.status.clone().unwrap_or_default(),
                        local(row.row.due, tz),
                        local(row.row.done_at, tz),
                        match (row.row.done_at, row.row.due) {
                            (Some(d), Some(due)) => yes(d <= due),
                            _ => String::new(),
                        },
                        row.row.satisfaction.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        },
        "service_requests" => Sheet {
            title: "办事登记",
            headers: &[
                "编号",
                "登记时间",
                "社区",
                "事项",
                "申请人",
                "电话",
                "首问责任人",
                "状态",
                "期限",
                "办结时间",
                "满意度",
            ],
            rows: records
                .map(|(row, rec)| {
                    let (item, name, phone) = match rec {
                        Record::ServiceRequest(s) => (
                            r.service(s.item_id)
                                .map(|i| i.name.clone())
                                .unwrap_or_default(),
                            s.resident_name,
                            mask_phone(&s.resident_phone),
                        ),
                        _ => Default::default(),
                    };
                    vec![
                        row.doc_id.to_string(),
                        local(row.row.at, tz),
                        unit(row.scope),
                        item,
                        name,
                        phone,
                        user(row.row.actor),
                        row.row.status.clone().unwrap_or_default(),
                        local(row.row.due, tz),
                        local(row.row.done_at, tz),
                        row.row.satisfaction.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        },
        _ => {
            let homes = state
                .store
                .index_rows(
                    RecordKind::Household,
                    IndexFilter {
                        from: None,
                        to: None,
                        ..filter
                    },
                )
                .await?;
            let homes: HashMap<Uuid, (String, String, Uuid)> = homes
                .into_iter()
                .filter_map(|h| match serde_json::from_str::<Record>(&h.row.json) {
                    Ok(Record::Household(h)) => Some((h.id, (h.address, h.head, h.building_id))),
                    _ => None,
                })
                .collect();
            let visit_rows = records.filter_map(|(row, rec)| match rec {
                Record::Visit(v) => Some((row, v)),
                _ => None,
            });
            let mut out: Vec<Vec<String>> = visit_rows
                .map(|(row, v)| {
                    let (address, head, building) =
                        homes.get(&v.household_id).cloned().unwrap_or_default();
                    let flags =
                        visit_check::check(&v, r.building_position(Some(building)), &r.visit_check)
                            .iter()
                            .map(|f| f.label_zh())
                            .collect::<Vec<_>>()
                            .join("；");
                    let template = match (v.template_id, v.template_version) {
                        (Some(id), Some(ver)) => r
                            .checklist(id, ver as u32)
                            .map(|t| format!("{} v{ver}", t.name))
                            .unwrap_or_default(),
                        _ => String::new(),
                    };
                    vec![
                        local(row.row.at, tz),
                        local(v.ended_at.map(|t| t.millis()), tz),
                        unit(v.grid_id),
                        user(Some(v.worker_id)),
                        address,
                        head,
                        template,
                        v.answers.len().to_string(),
                        yes(v.follow_up),
                        v.photos.len().to_string(),
                        v.notes,
                        flags,
                    ]
                })
                .collect();
            if kind == "ledger" {
                out.sort_by(|a, b| (&a[3], &a[0]).cmp(&(&b[3], &b[0])));
            }
            Sheet {
                title: if kind == "ledger" {
                    "工作台账"
                } else {
                    "走访"
                },
                headers: &[
                    "走访时间",
                    "结束时间",
                    "网格",
                    "网格员",
                    "地址",
                    "户主",
                    "走访清单",
                    "已答项",
                    "需回访",
                    "照片",
                    "备注",
                    "核验",
                ],
                rows: out,
            }
        }
    };
    Ok(sheet)
}

/// Exports one kind of record.
#[tracing::instrument(skip_all, fields(user = %caller.user.id, kind = %kind))]
pub async fn export<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Path(kind): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    caller.require_admin()?;
    let xlsx = match query.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => true,
        "csv" => false,
        other => return Err(invalid(format!("unknown format `{other}` (csv or xlsx)"))),
    };
    let (filter, from, to) = query.range.filter(&caller)?;
    let sheet = sheet(&state, &caller, &kind, filter).await?;
    let (bytes, mime, ext) = if xlsx {
        (
            to_xlsx(&sheet)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        (to_csv(&sheet)?, "text/csv; charset=utf-8", "csv")
    };
    caller
        .audit(
            &state.store,
            &format!("export.{kind}"),
            format!("{kind}.{ext}"),
            json!({ "rows": sheet.rows.len(), "from": from, "to": to, "area": query.range.area }),
        )
        .await?;
    let disposition = format!("attachment; filename=\"gridwalk-{kind}-{from}-{to}.{ext}\"");
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
