//! `GET /api/records`: recent incidents and visits in the caller's scope with the photos and
//! audio notes they reference (the evidence), read from `record_index` rows, not documents.

use std::collections::HashMap;

use axum::extract::{Query, State};
use chrono::Days;
use gridwalk_shared::model::{Answer, Record, RecordKind, Visit};
use gridwalk_shared::visit_check::{self, VisitFlag};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::api::{Doc, Reply};
use super::caller::Caller;
use super::dashboard::RangeQuery;
use super::json::{invalid, ApiJson};
use crate::app::AppState;
use crate::blobs::{Blobs, Held};
use crate::error::AppError;
use crate::store::{AdminStore, HouseholdPlace, IndexFilter, IndexedRecord};

/// Documentation of `GET /api/records`.
pub const DOC: Doc = Doc {
    id: "records",
    summary: "Recent incidents and visits in your scope with their photos and audio notes",
    tag: "records",
    public: false,
    query: &[
        ("kind", "incident or visit (default: both)"),
        (
            "from",
            "First day, YYYY-MM-DD (default: 30 days before `to`)",
        ),
        ("to", "Last day, YYYY-MM-DD (default: today)"),
        ("area", "Org unit id (default: your scope)"),
        (
            "limit",
            "Most records, newest first (default 50, at most 200)",
        ),
    ],
    body: None,
    reply: Reply::json::<Vec<EvidenceRecord>>(),
};

/// Query of `GET /api/records`.
#[derive(Deserialize)]
pub struct RecordsQuery {
    kind: Option<String>,
    limit: Option<usize>,
    #[serde(flatten)]
    range: RangeQuery,
}

/// A photo or audio note a record references.
#[derive(Serialize, specta::Type)]
pub struct Media {
    hash: String,
    /// Whether the server holds it whole (else: listed under missing uploads).
    uploaded: bool,
    /// Whether a thumbnail was uploaded for it (photos).
    thumbnail: bool,
}

/// An incident or visit as the evidence page shows it.
#[derive(Serialize, specta::Type)]
pub struct EvidenceRecord {
    id: Uuid,
    /// `incident` or `visit`.
    kind: RecordKind,
    at: Option<i64>,
    grid_id: Uuid,
    grid: String,
    /// Incident category code.
    category: Option<String>,
    /// Its display name.
    category_name: Option<String>,
    /// Visited household.
    household_id: Option<Uuid>,
    /// Its address.
    address: Option<String>,
    /// Incident description or visit notes.
    text: String,
    /// Reporter or visiting worker.
    actor_id: Option<Uuid>,
    actor: String,
    /// Incident status.
    status: Option<String>,
    photos: Vec<Media>,
    audio: Vec<Media>,
    /// A visit's authenticity flags (走访核验): too far, no fix, implausibly short.
    flags: Vec<VisitFlag>,
}

/// What a record says beyond its index row: text, household, photos and audio.
struct Content {
    text: String,
    household: Option<Uuid>,
    photos: Vec<String>,
    audio: Vec<String>,
    /// The visit itself, for its authenticity check.
    visit: Option<Visit>,
}

fn content(json: &str) -> Option<Content> {
    let mut out = match serde_json::from_str::<Record>(json).ok()? {
        Record::Incident(i) => Content {
            text: i.description,
            household: None,
            photos: [
                i.photos,
                i.events.into_iter().flat_map(|e| e.photos).collect(),
            ]
            .concat(),
            audio: i.audio,
            visit: None,
        },
        Record::Visit(v) => Content {
            visit: Some(v.clone()),
            text: v.notes,
            household: Some(v.household_id),
            photos: [
                v.photos,
                v.answers
                    .into_values()
                    .flat_map(|a| match a {
                        Answer::Photos(p) => p,
                        _ => Vec::new(),
                    })
                    .collect(),
            ]
            .concat(),
            audio: v.audio,
        },
        _ => return None,
    };
    let mut seen = std::collections::HashSet::new();
    out.photos.retain(|h| seen.insert(h.clone()));
    Some(out)
}

async fn media(blobs: Option<&Blobs>, hashes: Vec<String>) -> Result<Vec<Media>, AppError> {
    let mut out = Vec::with_capacity(hashes.len());
    for hash in hashes {
        let (uploaded, thumbnail) = match blobs {
            Some(b) => (
                matches!(b.store.held(&hash).await?, Held::Whole(_)),
                b.store.thumbnail(&hash).await?.is_some(),
            ),
            None => (false, false),
        };
        out.push(Media {
            hash,
            uploaded,
            thumbnail,
        });
    }
    Ok(out)
}

fn kinds(kind: Option<&str>) -> Result<Vec<RecordKind>, AppError> {
    match kind {
        None | Some("") => Ok(vec![RecordKind::Incident, RecordKind::Visit]),
        Some("incident") => Ok(vec![RecordKind::Incident]),
        Some("visit") => Ok(vec![RecordKind::Visit]),
        Some(other) => Err(invalid(format!(
            "unknown kind `{other}` (incident or visit)"
        ))),
    }
}

/// Lists recent incidents and visits with their evidence, newest first.
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn list<S: AdminStore>(
    State(state): State<AppState<S>>,
    caller: Caller,
    Query(mut query): Query<RecordsQuery>,
) -> Result<ApiJson<Vec<EvidenceRecord>>, AppError> {
    let kinds = kinds(query.kind.as_deref())?;
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    if query.range.from.is_none() {
        let to = query.range.to.unwrap_or_else(|| {
            caller
                .reference
                .calendar
                .local_date(gridwalk_shared::time::Timestamp::from(chrono::Utc::now()))
        });
        query.range.from = to.checked_sub_days(Days::new(30));
        query.range.to = Some(to);
    }
    let (filter, _, _) = query.range.filter(&caller)?;
    let mut rows: Vec<IndexedRecord> = Vec::new();
    for kind in kinds {
        let newest = IndexFilter {
            limit: Some(limit),
            newest_first: true,
            ..filter.clone()
        };
        rows.extend(state.store.index_rows(kind, newest).await?);
    }
    rows.sort_by(|a, b| b.row.at.cmp(&a.row.at).then(b.doc_id.cmp(&a.doc_id)));
    rows.truncate(limit);

    let contents: Vec<(IndexedRecord, Content)> = rows
        .into_iter()
        .filter_map(|row| content(&row.row.json).map(|c| (row, c)))
        .collect();
    let households: Vec<Uuid> = contents.iter().filter_map(|(_, c)| c.household).collect();
    let places: HashMap<Uuid, HouseholdPlace> = state
        .store
        .addresses_of(households)
        .await?
        .into_iter()
        .map(|p| (p.household, p))
        .collect();
    let r = &caller.reference;
    let mut out = Vec::with_capacity(contents.len());
    for (row, c) in contents {
        let kind = if c.household.is_some() {
            RecordKind::Visit
        } else {
            RecordKind::Incident
        };
        out.push(EvidenceRecord {
            id: row.doc_id,
            kind,
            at: row.row.at,
            grid_id: row.scope,
            grid: r
                .unit(row.scope)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            category_name: row
                .row
                .category
                .as_deref()
                .and_then(|code| r.category(code))
                .map(|c| c.name.clone()),
            category: row.row.category,
            household_id: c.household,
            address: c
                .household
                .and_then(|h| places.get(&h))
                .map(|p| p.address.clone()),
            flags: c.visit.as_ref().map_or_else(Vec::new, |v| {
                let building = places.get(&v.household_id).and_then(|p| p.building);
                visit_check::check(v, r.building_position(building), &r.visit_check)
            }),
            text: c.text,
            actor: row
                .row
                .actor
                .and_then(|u| r.user(u))
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            actor_id: row.row.actor,
            status: row.row.status,
            photos: media(state.blobs.as_ref(), c.photos).await?,
            audio: media(state.blobs.as_ref(), c.audio).await?,
        });
    }
    Ok(ApiJson(out))
}
