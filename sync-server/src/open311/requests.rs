//! Reading requests: `GET requests.{fmt}` (filtered, by default the last 90 days and at most
//! 1,000), `GET requests/{id}.{fmt}` and `GET tokens/{token}.{fmt}`. Every incident in the
//! key's area is a request, whichever way it was reported; its workflow state maps to
//! `open` / `closed` (closed once the fix was checked on site).

use std::collections::HashMap;

use automerge::Automerge;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat};
use gridwalk_shared::doc;
use gridwalk_shared::model::{Incident, OrgKind, Record, RecordKind, ReferenceData};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::workflow::{fold_incident_accounted, IncidentStatus};
use serde_json::{json, Value};
use uuid::Uuid;

use super::format::{Format, Reply};
use super::{key_of, parse_file, Failure};
use crate::app::AppState;
use crate::store::{AdminStore, IndexFilter, Open311Key, Open311Request, Open311Store};

/// Longest span a list may cover, and its default: the last 90 days.
const MAX_SPAN_MS: i64 = 90 * 24 * 3_600_000;
/// Most requests in one list.
const MAX_LIST: usize = 1000;
/// Most ids in one `service_request_id` list.
const MAX_IDS: usize = 100;

/// Whether the request counts as closed for Open311: checked on site, rated or archived.
fn is_closed(status: IncidentStatus) -> bool {
    matches!(
        status,
        IncidentStatus::Verified | IncidentStatus::Evaluated | IncidentStatus::Closed
    )
}

fn status_note(status: IncidentStatus) -> &'static str {
    use IncidentStatus as S;
    match status {
        S::New | S::Reported => "已上报，等待社区分拨 / reported, waiting to be dispatched",
        S::Dispatched => "已分拨，等待受理 / dispatched, waiting to be accepted",
        S::Handling => "处置中 / being handled",
        S::Returned => "已退回，等待重新分拨 / returned, to be dispatched again",
        S::Handled => "已处置，等待现场核查 / handled, waiting for the check on site",
        S::VerifyFailed => "核查未通过，等待重新办理 / the check failed, to be handled again",
        S::Verified => "已核查 / checked on site",
        S::Evaluated => "已评价 / rated",
        S::Closed => "已结案 / closed",
    }
}

/// A time in the deployment's time zone, e.g. `2026-12-02T09:30:00+08:00`.
pub fn local_time(reference: &ReferenceData, at: Timestamp) -> Option<String> {
    let offset = FixedOffset::east_opt(reference.calendar.utc_offset_minutes * 60)?;
    let utc = DateTime::from_timestamp_millis(at.millis())?;
    Some(
        utc.with_timezone(&offset)
            .to_rfc3339_opts(SecondsFormat::Secs, false),
    )
}

/// Who handles it now: the department, else the community of its grid.
fn agency(incident: &Incident, department: Option<Uuid>, reference: &ReferenceData) -> Value {
    if let Some(d) = department.and_then(|id| reference.departments.iter().find(|d| d.id == id)) {
        return json!(d.name);
    }
    let community = reference
        .lineage(incident.grid_id)
        .into_iter()
        .filter_map(|id| reference.unit(id))
        .find(|u| u.kind == OrgKind::Community);
    community.map_or(Value::Null, |u| json!(u.name))
}

/// What happens next, in a sentence (also the `service_notice` of a new request).
pub fn notice(incident: &Incident, reference: &ReferenceData) -> String {
    let state = fold_incident_accounted(incident);
    let agency = agency(incident, state.department_id, reference);
    let agency = agency.as_str().unwrap_or("社区");
    match state.due.and_then(|due| local_time(reference, due)) {
        _ if is_closed(state.status) => "已办结 / resolved".to_string(),
        Some(due) => format!("由{agency}办理，{due} 前办结 / handled by {agency}, due {due}"),
        None => format!("由{agency}研判分拨 / {agency} will dispatch it"),
    }
}

/// The Open311 view of an incident.
fn view(incident: &Incident, filed: Option<&Open311Request>, reference: &ReferenceData) -> Value {
    let state = fold_incident_accounted(incident);
    let time = |t: Option<Timestamp>| t.and_then(|t| local_time(reference, t));
    let requested = time(state.reported_at).or_else(|| time(incident.events.first().map(|e| e.at)));
    json!({
        "service_request_id": incident.id.to_string(),
        "status": if is_closed(state.status) { "closed" } else { "open" },
        "status_notes": status_note(state.status),
        "service_name": reference.category(&incident.category).map(|c| c.name.clone()),
        "service_code": incident.category,
        "description": incident.description,
        "agency_responsible": agency(incident, state.department_id, reference),
        "service_notice": notice(incident, reference),
        "requested_datetime": requested,
        "updated_datetime": time(state.updated_at),
        "expected_datetime": time(state.due),
        "address": filed.and_then(|f| f.address.clone()),
        "address_id": null,
        "zipcode": null,
        "lat": incident.location.as_ref().map(|l| l.lat),
        "long": incident.location.as_ref().map(|l| l.lon),
        "media_url": filed.and_then(|f| f.media_url.clone()),
    })
}

/// The views of `incidents`, with what was kept of those filed over Open311.
async fn views<S: Open311Store>(
    store: &S,
    format: Format,
    incidents: &[Incident],
) -> Result<Value, Failure> {
    let ids = incidents.iter().map(|i| i.id).collect();
    let filed: HashMap<Uuid, Open311Request> = store
        .open311_requests(ids)
        .await
        .map_err(|e| Failure::internal(format, e))?
        .into_iter()
        .map(|r| (r.incident_id, r))
        .collect();
    let reference = store.reference();
    let list = incidents
        .iter()
        .map(|i| view(i, filed.get(&i.id), &reference))
        .collect();
    Ok(Value::Array(list))
}

/// The incidents among `ids` in the key's area.
async fn load<S: AdminStore>(
    store: &S,
    format: Format,
    key: &Open311Key,
    ids: Vec<Uuid>,
) -> Result<Vec<Incident>, Failure> {
    let reference = store.reference();
    let stored = store
        .load_docs(ids)
        .await
        .map_err(|e| Failure::internal(format, e))?;
    let mut found = Vec::new();
    for doc in stored {
        if doc.kind != RecordKind::Incident || !reference.is_within(doc.scope, key.unit_id) {
            continue;
        }
        let document = Automerge::load(&doc.snapshot).map_err(|e| Failure::internal(format, e))?;
        if let Record::Incident(i) =
            doc::read(&document, doc.kind).map_err(|e| Failure::internal(format, e))?
        {
            found.push(i);
        }
    }
    Ok(found)
}

/// A `start_date` / `end_date`: RFC 3339, or a date (midnight in the deployment's zone).
fn parse_time(
    reference: &ReferenceData,
    name: &str,
    text: &str,
    format: Format,
) -> Result<i64, Failure> {
    let bad = || Failure::bad(format, format!("{name} `{text}` is not a W3C date-time"));
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(t.timestamp_millis());
    }
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| bad())?;
    let offset =
        FixedOffset::east_opt(reference.calendar.utc_offset_minutes * 60).ok_or_else(bad)?;
    let midnight = date.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
    midnight
        .and_local_timezone(offset)
        .single()
        .map(|t| t.timestamp_millis())
        .ok_or_else(bad)
}

fn comma_list(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// `GET requests.{json,xml}`.
#[tracing::instrument(skip_all)]
pub async fn list<S: AdminStore + Open311Store>(
    store: &S,
    format: Format,
    query: &HashMap<String, String>,
) -> Result<Reply, Failure> {
    let key = key_of(store, format, query.get("api_key").map(String::as_str)).await?;
    let arg = |name: &str| query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    if let Some(ids) = arg("service_request_id") {
        let ids = comma_list(ids)
            .into_iter()
            .map(|id| {
                Uuid::parse_str(id).map_err(|_| {
                    Failure::bad(format, format!("`{id}` is not a service_request_id"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if ids.len() > MAX_IDS {
            return Err(Failure::bad(
                format,
                format!("at most {MAX_IDS} service_request_id at once"),
            ));
        }
        let found = load(store, format, &key, ids).await?;
        return Ok(Reply::ok(
            format,
            "service_requests",
            views(store, format, &found).await?,
        ));
    }
    let reference = store.reference();
    let codes = arg("service_code").map(comma_list);
    let statuses = arg("status").map(comma_list).unwrap_or_default();
    if let Some(s) = statuses.iter().find(|s| !matches!(**s, "open" | "closed")) {
        return Err(Failure::bad(
            format,
            format!("status `{s}` is neither open nor closed"),
        ));
    }
    let now = chrono::Utc::now().timestamp_millis();
    let to = match arg("end_date") {
        Some(t) => parse_time(&reference, "end_date", t, format)?,
        None => now + 1,
    };
    let from = match arg("start_date") {
        Some(t) => parse_time(&reference, "start_date", t, format)?,
        None => to - MAX_SPAN_MS,
    };
    if to - from > MAX_SPAN_MS {
        return Err(Failure::bad(
            format,
            "start_date to end_date may not span more than 90 days",
        ));
    }
    let filter = IndexFilter {
        units: reference.subtree(key.unit_id),
        from: Some(from),
        to: Some(to),
        newest_first: true,
        // Filtered after reading: read more when filters will drop some.
        limit: Some(if codes.is_none() && statuses.is_empty() {
            MAX_LIST
        } else {
            20 * MAX_LIST
        }),
        ..IndexFilter::default()
    };
    let rows = store
        .index_rows(RecordKind::Incident, filter)
        .await
        .map_err(|e| Failure::internal(format, e))?;
    let found: Vec<Incident> = rows
        .into_iter()
        .filter_map(|row| match serde_json::from_str::<Record>(&row.row.json) {
            Ok(Record::Incident(i)) => Some(i),
            _ => None,
        })
        .filter(|i| {
            codes
                .as_ref()
                .is_none_or(|c| c.contains(&i.category.as_str()))
        })
        .filter(|i| {
            let closed = is_closed(fold_incident_accounted(i).status);
            statuses.is_empty() || statuses.contains(&if closed { "closed" } else { "open" })
        })
        .take(MAX_LIST)
        .collect();
    Ok(Reply::ok(
        format,
        "service_requests",
        views(store, format, &found).await?,
    ))
}

/// `GET requests/{id}.{json,xml}`: a list of one.
pub async fn one<S: AdminStore + Open311Store>(
    State(state): State<AppState<S>>,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, Failure> {
    let (id, format) = parse_file(&file)?;
    let key = key_of(
        &state.store,
        format,
        query.get("api_key").map(String::as_str),
    )
    .await?;
    let missing = || Failure::not_found(format, format!("service request `{id}` not found"));
    let id = Uuid::parse_str(id).map_err(|_| missing())?;
    let found = load(&state.store, format, &key, vec![id]).await?;
    if found.is_empty() {
        return Err(missing());
    }
    Ok(Reply::ok(
        format,
        "service_requests",
        views(&state.store, format, &found).await?,
    ))
}

/// `GET tokens/{token}.{json,xml}`: the request a token was handed out for.
pub async fn token<S: Open311Store>(
    State(state): State<AppState<S>>,
    Path(file): Path<String>,
) -> Result<Reply, Failure> {
    let (token, format) = parse_file(&file)?;
    let filed = state
        .store
        .open311_token(token.to_string())
        .await
        .map_err(|e| Failure::internal(format, e))?
        .ok_or_else(|| Failure::not_found(format, "token not found"))?;
    let body =
        json!([{ "service_request_id": filed.incident_id.to_string(), "token": filed.token }]);
    Ok(Reply::ok(format, "service_requests", body))
}
