//! `POST requests.{json,xml}`: a form-encoded report becomes an incident, created by the
//! server in its own name (reporter `SYSTEM_USER`), checked by the shared validation, routed
//! by the rules like an upload and stored in one transaction; live streams in scope are
//! nudged, and every phone of the grid gets it on its next sync.
//!
//! The grid: there is no map geometry yet, so a key's area decides. The first grid of the
//! key's area (in org order) with a building whose address is part of `address_string` (or
//! holds it, when it has 4 characters or more); else the first grid of the area's first
//! community — that community's queue. `lat`/`long` are kept as the incident's location.

use std::collections::HashMap;

use automerge::Automerge;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use gridwalk_shared::model::{
    Incident, IncidentAction, IncidentEvent, Location, OrgKind, Record, ReferenceData,
};
use gridwalk_shared::time::{new_id, Timestamp};
use gridwalk_shared::validate::{self, Actor, MAX_TEXT};
use gridwalk_shared::workflow::SYSTEM_USER;
use serde_json::json;
use uuid::Uuid;

use super::format::{Format, Reply};
use super::requests::notice;
use super::{key_of, parse_file, Failure};
use crate::app::AppState;
use crate::store::{AdminStore, AuditEntry, Open311Key, Open311Request, Open311Store};
use crate::sync::{after_upload, stored_write, write_as_server};

/// Shortest `address_string` matched as part of a building's address (shorter ones, e.g. a
/// road's name alone, would match too many).
const MIN_ADDRESS: usize = 4;

/// Longest contact field, address or media URL.
const MAX_FIELD: usize = 500;

/// The form's fields, trimmed; empty ones are absent.
struct Fields(HashMap<String, String>);

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// An optional text field of at most `max` characters.
    fn text(&self, name: &str, max: usize, format: Format) -> Result<Option<String>, Failure> {
        match self.get(name) {
            Some(v) if v.chars().count() > max => Err(Failure::bad(
                format,
                format!("{name} is longer than {max} characters"),
            )),
            v => Ok(v.map(str::to_string)),
        }
    }

    fn coordinate(&self, name: &str, limit: f64, format: Format) -> Result<Option<f64>, Failure> {
        let Some(text) = self.get(name) else {
            return Ok(None);
        };
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v.abs() <= limit => Ok(Some(v)),
            _ => Err(Failure::bad(
                format,
                format!("{name} `{text}` is not a WGS-84 coordinate (±{limit})"),
            )),
        }
    }
}

/// The grid a report goes to (module docs): by address within the key's area, else the
/// area's first community's first grid.
fn grid_for(reference: &ReferenceData, area: Uuid, address: Option<&str>) -> Option<Uuid> {
    let units: Vec<_> = reference
        .units
        .iter()
        .filter(|u| reference.is_within(u.id, area))
        .collect();
    let grids = || units.iter().filter(|u| u.kind == OrgKind::Grid);
    let by_address = address.and_then(|address| {
        grids()
            .find(|g| {
                reference.buildings_in(g.id).any(|b| {
                    let b = b.address.trim();
                    let long_enough = address.chars().count() >= MIN_ADDRESS;
                    !b.is_empty() && (address.contains(b) || (long_enough && b.contains(address)))
                })
            })
            .map(|g| g.id)
    });
    let community = units
        .iter()
        .find(|u| u.kind == OrgKind::Community)
        .map_or(area, |c| c.id);
    by_address.or_else(|| {
        grids()
            .find(|g| reference.is_within(g.id, community))
            .map(|g| g.id)
    })
}

/// The incident a form describes, reported now by the server.
fn incident(
    fields: &Fields,
    reference: &ReferenceData,
    area: Uuid,
    format: Format,
) -> Result<Incident, Failure> {
    let code = fields
        .get("service_code")
        .ok_or_else(|| Failure::bad(format, "service_code is required"))?;
    let category = reference
        .category(code)
        .ok_or_else(|| Failure::not_found(format, format!("service_code `{code}` not found")))?;
    let lat = fields.coordinate("lat", 90.0, format)?;
    let lon = fields.coordinate("long", 180.0, format)?;
    let address = fields.text("address_string", MAX_FIELD, format)?;
    let now = Timestamp::from(chrono::Utc::now());
    let location = match (lat, lon) {
        (Some(lat), Some(lon)) => Some(Location {
            lat,
            lon,
            accuracy_m: None,
            at: now,
            adjusted_from: None,
        }),
        (None, None) if address.is_some() => None,
        (None, None) => {
            return Err(Failure::bad(
                format,
                "lat and long, or address_string, are required",
            ))
        }
        _ => return Err(Failure::bad(format, "lat and long go together")),
    };
    let description = fields
        .text("description", MAX_TEXT, format)?
        .unwrap_or_else(|| category.name.clone());
    let grid_id = grid_for(reference, area, address.as_deref()).ok_or_else(|| {
        Failure::bad(format, "this key's area has no grid to file the request in")
    })?;
    Ok(Incident {
        id: new_id(),
        grid_id,
        category: category.code.clone(),
        description,
        location,
        photos: Vec::new(),
        audio: Vec::new(),
        reporter_id: SYSTEM_USER,
        events: vec![IncidentEvent {
            id: new_id(),
            at: now,
            by: SYSTEM_USER,
            action: IncidentAction::Report,
            note: String::new(),
            photos: Vec::new(),
            location: None,
        }],
        received: Default::default(),
    })
}

/// What is kept beside the incident: address, media URL, contact details.
fn filed(
    fields: &Fields,
    id: Uuid,
    key: String,
    format: Format,
) -> Result<Open311Request, Failure> {
    let media_url = fields.text("media_url", MAX_FIELD, format)?;
    if let Some(url) = &media_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(' ') {
            return Err(Failure::bad(format, "media_url must be an http(s) URL"));
        }
    }
    let mut contact = serde_json::Map::new();
    for name in [
        "email",
        "first_name",
        "last_name",
        "phone",
        "device_id",
        "account_id",
    ] {
        if let Some(v) = fields.text(name, MAX_FIELD, format)? {
            contact.insert(name.into(), json!(v));
        }
    }
    Ok(Open311Request {
        incident_id: id,
        token: crate::auth::new_token(),
        key_name: key,
        address: fields.text("address_string", MAX_FIELD, format)?,
        media_url,
        contact: serde_json::Value::Object(contact).to_string(),
    })
}

/// Writes the filing into the audit log (who: the key's name; no personal data).
async fn audit<S: AdminStore>(store: &S, key: &Open311Key, record: &Record) {
    let entry = AuditEntry {
        id: 0,
        at: chrono::Utc::now().timestamp_millis(),
        actor_id: None,
        actor_login: format!("open311:{}", key.name),
        actor_scope: Some(key.unit_id),
        action: "open311.request".into(),
        target: record.id().to_string(),
        detail: json!({ "scope": record.scope() }).to_string(),
        ok: true,
        ip: String::new(),
    };
    if let Err(e) = store.append_audit(entry).await {
        tracing::error!("open311: the filing could not be audited: {e}");
    }
}

/// `POST requests.{json,xml}`.
#[tracing::instrument(skip_all, fields(key))]
pub async fn create<S: AdminStore + Open311Store>(
    State(state): State<AppState<S>>,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Reply, Failure> {
    let (name, format) = parse_file(&file)?;
    if name != "requests" {
        return Err(Failure::not_found(
            format,
            format!("cannot POST to `{name}`"),
        ));
    }
    let Form(form) = form.map_err(|e| {
        let status = match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        Failure::new(
            format,
            status,
            format!("the body is not a form: {}", e.body_text()),
        )
    })?;
    let fields = Fields(form);
    let api_key = fields
        .get("api_key")
        .or(query.get("api_key").map(String::as_str));
    let key = key_of(&state.store, format, api_key).await?;
    tracing::Span::current().record("key", key.name.as_str());
    let reference = state.store.reference();
    let new = incident(&fields, &reference, key.unit_id, format)?;
    let kept = filed(&fields, new.id, key.name.clone(), format)?;
    let record = Record::Incident(new);
    let refused = |e: validate::ValidationError| Failure::bad(format, e.message);
    validate::validate_record(&record, &reference).map_err(refused)?;
    validate::validate_change(None, &record, &Actor::system(), &reference).map_err(refused)?;

    let _guard = state.locks.lock(std::iter::once(record.id())).await;
    let server_actor = state.store.server_actor();
    let mut document = Automerge::new();
    let created = write_as_server(&mut document, &record, server_actor)
        .map_err(|e| Failure::internal(format, e))?;
    let now = Timestamp::from(chrono::Utc::now());
    let (record, added) = after_upload(&mut document, record, server_actor, &reference, now);
    let changes = std::iter::once(created).chain(added).collect();
    // The token first: if the incident's commit then fails the caller retries, and an orphan
    // token is harmless; the other order could leave an incident its caller never heard of.
    let token = kept.token.clone();
    state
        .store
        .record_open311_request(kept)
        .await
        .map_err(|e| Failure::internal(format, e))?;
    let write = stored_write(document, record.clone(), Vec::new(), changes, None);
    let changed = crate::live::Changed::of(std::slice::from_ref(&write));
    state
        .store
        .commit(Uuid::nil(), vec![write])
        .await
        .map_err(|e| Failure::internal(format, e))?;
    state.live.notify(changed);
    audit(&state.store, &key, &record).await;
    let Record::Incident(incident) = &record else {
        return Err(Failure::internal(format, "the record is not an incident"));
    };
    let body = json!([{
        "service_request_id": incident.id.to_string(),
        "token": token,
        "service_notice": notice(incident, &reference),
    }]);
    Ok(Reply::ok(format, "service_requests", body))
}
