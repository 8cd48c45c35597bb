//! `GET /api/audit`: search the append-only audit log.

use axum::extract::{Query, State};
use serde::Deserialize;

use super::api::{Doc, Reply};
use super::caller::Caller;
use super::json::ApiJson;
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, AuditEntry, AuditQuery};

/// Documentation of `GET /api/audit`.
pub const DOC: Doc = Doc {
    id: "searchAudit",
    summary: "Search the audit log, newest first (street admins see all; community admins their community)",
    tag: "audit",
    public: false,
    query: &[
        ("q", "Text in the login, action, target or details"),
        ("action", "Action prefix, e.g. export"),
        ("from", "First day, YYYY-MM-DD"),
        ("to", "Last day, YYYY-MM-DD"),
        ("before", "Only entries with a smaller id (paging)"),
        ("limit", "At most this many (1–500, default 100)"),
    ],
    body: None,
    reply: Reply::json::<Vec<AuditEntry>>(),
};

/// Search terms.
#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    action: Option<String>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    before: Option<i64>,
    limit: Option<usize>,
}

/// Searches the audit log.
pub async fn search<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<SearchQuery>,
) -> Result<ApiJson<Vec<AuditEntry>>, AppError> {
    caller.require_admin()?;
    let scopes = if caller.is_street_admin() {
        None
    } else {
        let r = &caller.reference;
        let units = caller.units();
        let departments = r
            .departments
            .iter()
            .filter(|d| units.contains(&d.unit_id))
            .map(|d| d.id);
        Some(units.iter().copied().chain(departments).collect())
    };
    let calendar = &caller.reference.calendar;
    let entries = state
        .store
        .search_audit(AuditQuery {
            scopes,
            text: q.q,
            action: q.action,
            from: q.from.map(|d| calendar.day_millis(d).start),
            to: q.to.map(|d| calendar.day_millis(d).end),
            before: q.before,
            limit: q.limit.unwrap_or(100).clamp(1, 500),
        })
        .await?;
    Ok(ApiJson(entries))
}
