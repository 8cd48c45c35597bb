//! `GET /api/incidents/map`: an area's incidents at their fixes for the map (issue 15), each
//! with the tone it is drawn in — overdue, open, waiting for the check on site, closed —
//! overdue first.

use axum::extract::{Query, State};
use gridwalk_shared::model::{Record, RecordKind};
use gridwalk_shared::workflow::IncidentStatus;
use serde::Serialize;
use uuid::Uuid;

use super::api::{Doc, Reply};
use super::caller::Caller;
use super::dashboard::RangeQuery;
use super::json::{invalid, ApiJson};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{AdminStore, IndexFilter};

/// Documentation of `GET /api/incidents/map`.
pub const DOC: Doc = Doc {
    id: "incidentMap",
    summary:
        "Incidents reported in a date range at their fixes, with their map tone, overdue first",
    tag: "maps",
    public: false,
    query: &[
        (
            "from",
            "First day, YYYY-MM-DD (default: the 1st of this month)",
        ),
        ("to", "Last day, YYYY-MM-DD (default: today)"),
        ("area", "Org unit id (default: your scope)"),
    ],
    body: None,
    reply: Reply::json::<Vec<IncidentPin>>(),
};

/// Most incidents on one map (narrow the range or the area for more).
const MAX_PINS: usize = 2_000;

/// How an incident is drawn.
#[derive(Debug, Serialize, specta::Type, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    /// Open past its due time.
    Overdue,
    /// Waiting for a handler.
    Open,
    /// Reported handled: waiting for the check on site.
    Verify,
    /// Verified, evaluated or closed.
    Closed,
}

/// An incident on the map.
#[derive(Serialize, specta::Type)]
pub struct IncidentPin {
    id: Uuid,
    category: String,
    category_name: String,
    status: String,
    tone: Tone,
    grid: String,
    /// Reported at (epoch ms).
    reported_at: Option<i64>,
    /// Due (epoch ms).
    due: Option<i64>,
    /// WGS-84.
    lat: f64,
    lon: f64,
}

/// The tone of an incident in `status`, due at `due`, at `now`.
fn tone(status: Option<IncidentStatus>, due: Option<i64>, now: i64) -> Tone {
    match status {
        Some(s) if s.is_open() && due.is_some_and(|d| d < now) => Tone::Overdue,
        Some(IncidentStatus::Handled) => Tone::Verify,
        Some(IncidentStatus::Verified | IncidentStatus::Evaluated | IncidentStatus::Closed) => {
            Tone::Closed
        }
        _ => Tone::Open,
    }
}

/// The incidents of the range at their fixes.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn list<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(query): Query<RangeQuery>,
) -> Result<ApiJson<Vec<IncidentPin>>, AppError> {
    let (filter, _, _) = query.filter(&caller)?;
    let rows = state
        .store
        .index_rows(
            RecordKind::Incident,
            IndexFilter {
                limit: Some(MAX_PINS + 1),
                ..filter
            },
        )
        .await?;
    if rows.len() > MAX_PINS {
        return Err(invalid(format!(
            "more than {MAX_PINS} incidents: choose a shorter range or a smaller area"
        )));
    }
    let r = &caller.reference;
    let now = chrono::Utc::now().timestamp_millis();
    let mut pins: Vec<IncidentPin> = rows
        .into_iter()
        .filter_map(|row| {
            let Ok(Record::Incident(i)) = serde_json::from_str::<Record>(&row.row.json) else {
                return None;
            };
            let at = i.location?;
            let status = row.row.status.clone().unwrap_or_default();
            Some(IncidentPin {
                id: row.doc_id,
                category_name: r
                    .category(&i.category)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| i.category.clone()),
                category: i.category,
                tone: tone(IncidentStatus::parse(&status), row.row.due, now),
                status,
                grid: r
                    .unit(row.scope)
                    .map(|u| u.name.clone())
                    .unwrap_or_default(),
                reported_at: row.row.at,
                due: row.row.due,
                lat: at.lat,
                lon: at.lon,
            })
        })
        .collect();
    pins.sort_by_key(|p| (p.tone, std::cmp::Reverse(p.reported_at)));
    Ok(ApiJson(pins))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_is_an_open_incident_past_its_due_time() {
        let (now, past, later) = (1_000, Some(500), Some(2_000));
        assert_eq!(
            tone(Some(IncidentStatus::Handling), past, now),
            Tone::Overdue
        );
        assert_eq!(
            tone(Some(IncidentStatus::Returned), past, now),
            Tone::Overdue
        );
        assert_eq!(tone(Some(IncidentStatus::Handling), later, now), Tone::Open);
        assert_eq!(tone(Some(IncidentStatus::Reported), None, now), Tone::Open);
        assert_eq!(tone(Some(IncidentStatus::Handled), past, now), Tone::Verify);
        assert_eq!(tone(Some(IncidentStatus::Closed), past, now), Tone::Closed);
        assert_eq!(
            tone(Some(IncidentStatus::Evaluated), None, now),
            Tone::Closed
        );
        assert!(
            Tone::Overdue < Tone::Open && Tone::Verify < Tone::Closed,
            "drawn in this order"
        );
    }
}
