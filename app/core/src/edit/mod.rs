//! Creating and editing records. Each operation validates with `gridwalk_shared::validate`
//! before anything is written, then stores the document, its new changes (outbox) and its
//! query rows in one transaction.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ReadDoc, ScalarValue, Value, ROOT};
use gridwalk_shared::{
    doc,
    model::{
        Answer, Incident, IncidentAction, IncidentEvent, Location, OrgKind, ReferenceData, User,
        Visit,
    },
    time::{new_id, Timestamp},
    validate::{validate_change, validate_record, Actor},
    Record, RecordKind,
};
use rusqlite::Connection;
use uuid::Uuid;

use crate::store::{meta, outbox, queries, records};
use crate::{Client, Error, Result};

mod attach;
mod campaign;
mod desk;
mod draft;
mod notice;
mod patrol;

pub use attach::Attachments;
pub use campaign::CampaignVisit;
pub use desk::NewServiceRequest;
pub use draft::VisitDraft;
pub use notice::NoticeItem;
pub use patrol::{MyFigures, PatrolStatus};

/// A visit to record (入户走访).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewVisit {
    /// Household visited; the visit's grid is the household's.
    pub household_id: Uuid,
    /// Notes.
    pub note: String,
    /// Where the visit was logged.
    pub location: Option<Location>,
    /// Checklist answers by item key.
    pub answers: BTreeMap<String, Answer>,
    /// Checklist template id and version the answers belong to.
    pub template: Option<(Uuid, u32)>,
    /// Needs a follow-up visit.
    pub follow_up: bool,
}

/// A problem to report (随手拍).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewIncident {
    /// Category code, e.g. `env.garbage`.
    pub category: String,
    /// Description.
    pub description: String,
    /// Where.
    pub location: Option<Location>,
}

/// Who is editing, against which reference data.
struct Context {
    user: User,
    actor: Actor,
    reference: ReferenceData,
}

fn context(conn: &Connection) -> Result<Context> {
    let user = meta::credentials(conn)?.ok_or(Error::NotEnrolled)?.user;
    let reference = meta::reference(conn)?.ok_or(Error::NoReference)?;
    let actor = Actor {
        user_id: user.id,
        role: user.role,
        scope_id: user.scope_id,
    };
    Ok(Context {
        user,
        actor,
        reference,
    })
}

fn wrong_kind(id: Uuid, expected: RecordKind, actual: RecordKind) -> Error {
    Error::WrongKind {
        id,
        expected: expected.as_str(),
        actual: actual.as_str(),
    }
}

impl Client {
    /// Records a visit made now by the signed-in user; returns its id.
    pub fn add_visit(&self, visit: NewVisit) -> Result<Uuid> {
        self.add_visit_with(visit, &Attachments::default())
    }

    /// Records a visit with photos and audio notes already added on this device.
    pub fn add_visit_with(&self, visit: NewVisit, media: &Attachments) -> Result<Uuid> {
        let now = self.clock.now();
        self.create(|conn, ctx| {
            attach::check(conn, media)?;
            let household = queries::household(conn, visit.household_id)?
                .ok_or(Error::NotFound(visit.household_id))?;
            Ok(Record::Visit(Visit {
                id: new_id(),
                grid_id: household.grid_id,
                household_id: household.id,
                worker_id: ctx.user.id,
                started_at: now,
                ended_at: Some(now),
                location: visit.location,
                template_id: visit.template.map(|t| t.0),
                template_version: visit.template.map(|t| i64::from(t.1)),
                answers: visit.answers,
                notes: visit.note,
                photos: media.photos.clone(),
                audio: media.audio.clone(),
                follow_up: visit.follow_up,
                campaign: None,
            }))
        })
    }

    /// Reports a problem in the signed-in user's grid; returns its id.
    pub fn report_incident(&self, incident: NewIncident) -> Result<Uuid> {
        self.report_incident_with(None, incident, &Attachments::default())
    }

    /// The signed-in user's grid, for users whose scope is one grid.
    fn own_grid(&self) -> Result<Uuid> {
        let store = self.store();
        let ctx = context(store.conn())?;
        match ctx.reference.unit(ctx.user.scope_id) {
            Some(unit) if unit.kind == OrgKind::Grid => Ok(ctx.user.scope_id),
            _ => Err(Error::Usage(
                "your scope is not a grid: choose the grid to report in".into(),
            )),
        }
    }

    /// Reports a problem in `grid_id` (for users whose scope is above one grid).
    pub fn report_incident_in(&self, grid_id: Uuid, incident: NewIncident) -> Result<Uuid> {
        self.report_incident_with(Some(grid_id), incident, &Attachments::default())
    }

    /// Reports a problem with photos and audio notes already added on this device, in
    /// `grid_id` or (`None`) the signed-in user's own grid.
    pub fn report_incident_with(
        &self,
        grid_id: Option<Uuid>,
        incident: NewIncident,
        media: &Attachments,
    ) -> Result<Uuid> {
        let grid_id = match grid_id {
            Some(grid) => grid,
            None => self.own_grid()?,
        };
        let now = self.clock.now();
        self.create(|conn, ctx| {
            attach::check(conn, media)?;
            Ok(Record::Incident(Incident {
                id: new_id(),
                grid_id,
                category: incident.category,
                description: incident.description,
                location: incident.location,
                photos: media.photos.clone(),
                audio: media.audio.clone(),
                reporter_id: ctx.user.id,
                events: vec![IncidentEvent {
                    id: new_id(),
                    at: now,
                    by: ctx.user.id,
                    action: IncidentAction::Report,
                    note: String::new(),
                    photos: Vec::new(),
                    location: None,
                }],
                received: Default::default(),
            }))
        })
    }

    /// Appends a workflow event by the signed-in user to an incident.
    pub fn add_incident_event(&self, id: Uuid, action: IncidentAction, note: &str) -> Result<()> {
        self.add_incident_event_with(id, action, note, &[], None)
    }

    /// Appends a workflow event with photos already added on this device and where it was
    /// done (the check on site, 现场核查: note, photos and the position fix).
    pub fn add_incident_event_with(
        &self,
        id: Uuid,
        action: IncidentAction,
        note: &str,
        photos: &[String],
        location: Option<Location>,
    ) -> Result<()> {
        let media = Attachments {
            photos: photos.to_vec(),
            audio: Vec::new(),
        };
        attach::check(self.store().conn(), &media)?;
        let now = self.clock.now();
        self.edit(id, Some(RecordKind::Incident), |doc, old, ctx| {
            let Record::Incident(mut incident) = old.clone() else {
                return Err(wrong_kind(id, RecordKind::Incident, old.kind()));
            };
            let latest = incident.events.iter().map(|e| e.at).max();
            incident.events.push(IncidentEvent {
                id: new_id(),
                at: Timestamp::next_after(latest, now),
                by: ctx.user.id,
                action,
                note: note.to_string(),
                photos: photos.to_vec(),
                location,
            });
            Ok(doc::write(doc, &Record::Incident(incident))?)
        })
    }

    /// Sets one editable household field (`Household::set_field`).
    pub fn set_household_field(&self, id: Uuid, field: &str, value: &str) -> Result<()> {
        self.edit(id, Some(RecordKind::Household), |doc, old, _| {
            let Record::Household(mut household) = old.clone() else {
                return Err(wrong_kind(id, RecordKind::Household, old.kind()));
            };
            household.set_field(field, value)?;
            Ok(doc::write(doc, &Record::Household(household))?)
        })
    }

    /// Settles a text field holding concurrent values on `value`.
    pub fn resolve_conflict(&self, id: Uuid, field: &str, value: &str) -> Result<()> {
        self.edit(id, None, |doc, _, _| {
            let is_text = matches!(
                doc.get(ROOT, field),
                Ok(Some((Value::Scalar(ref s), _))) if matches!(s.as_ref(), ScalarValue::Str(_))
            );
            if !is_text {
                return Err(Error::Usage(format!("`{field}` is not a text field")));
            }
            Ok(doc::resolve_text(doc, field, value)?)
        })
    }

    /// Validates and stores a new record built by `build`.
    fn create(&self, build: impl FnOnce(&Connection, &Context) -> Result<Record>) -> Result<Uuid> {
        let now = self.clock.now();
        self.store().write(|tx| {
            let ctx = context(tx)?;
            let record = build(tx, &ctx)?;
            create_in(tx, &ctx, &record, now)
        })
    }

    /// Applies `change` to record `id`, validates the result against the old record, and
    /// stores it with its new changes; a refused edit writes nothing.
    fn edit(
        &self,
        id: Uuid,
        kind: Option<RecordKind>,
        change: impl FnOnce(&mut AutoCommit, &Record, &Context) -> Result<()>,
    ) -> Result<()> {
        let now = self.clock.now();
        self.store().write(|tx| {
            let ctx = context(tx)?;
            edit_in(tx, &ctx, id, kind, change, now)
        })
    }
}

/// [`Client::create`] inside a transaction: validates `record` and stores its new document,
/// changes and query rows.
fn create_in(tx: &Connection, ctx: &Context, record: &Record, now: Timestamp) -> Result<Uuid> {
    validate_record(record, &ctx.reference)?;
    validate_change(None, record, &ctx.actor, &ctx.reference)?;
    let mut stored = records::StoredDoc {
        id: record.id(),
        kind: record.kind(),
        scope: record.scope(),
        doc: doc::create(record)?,
    };
    let changes = stored.doc.get_changes(&[]);
    records::save(tx, &mut stored, Some(&ctx.reference), now)?;
    outbox::push(tx, stored.id, changes.iter())?;
    tracing::debug!(kind = stored.kind.as_str(), "record created");
    Ok(stored.id)
}

/// [`Client::edit`] inside a transaction.
fn edit_in(
    tx: &Connection,
    ctx: &Context,
    id: Uuid,
    kind: Option<RecordKind>,
    change: impl FnOnce(&mut AutoCommit, &Record, &Context) -> Result<()>,
    now: Timestamp,
) -> Result<()> {
    let mut stored = records::load(tx, id)?.ok_or(Error::NotFound(id))?;
    if let Some(expected) = kind.filter(|k| *k != stored.kind) {
        return Err(wrong_kind(id, expected, stored.kind));
    }
    let old = stored.record()?;
    let heads = stored.doc.get_heads();
    change(&mut stored.doc, &old, ctx)?;
    let new = stored.record()?;
    validate_record(&new, &ctx.reference)?;
    validate_change(Some(&old), &new, &ctx.actor, &ctx.reference)?;
    let changes = stored.doc.get_changes(&heads);
    if changes.is_empty() {
        return Ok(());
    }
    records::save(tx, &mut stored, Some(&ctx.reference), now)?;
    outbox::push(tx, id, changes.iter())
}
