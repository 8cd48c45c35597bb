//! Reading a record out of its document in one pass. The document's tree is read once
//! with `map_range`/`list_range` into [`Node`]s that borrow from it, and converted here,
//! following the encoding autosurgeon writes (see [`super::write`]) and accepting exactly
//! what its `Hydrate` derive accepts: ids as 16 bytes, times as timestamps (or integers),
//! `None` as null, unit enum variants as their name, the others as a one-key map; every field
//! must be present, extra keys are ignored ([`unread`] finds them for [`super::read_exact`]).
//! The tree is at most [`MAX_DEPTH`] objects deep: deeper is refused, not followed (no
//! recursion whose depth the document's author controls). Hydrating through autosurgeon asks the op set for
//! every key and took 3–4× as long; automerge's own `ReadDoc::hydrate` builds hashed maps
//! with object ids and took twice as long as this (docs/benchmarks.md). `tests/doc_read.rs`
//! holds this reader equal to autosurgeon's.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeMap;

use automerge::{ObjId, ObjType, ReadDoc, ScalarValueRef, ValueRef, ROOT};
use uuid::Uuid;

use crate::model::{
    Answer, Audience, Campaign, CampaignKind, CampaignTarget, CampaignWork, CensusEdit, GpsFix,
    Handover, HandoverRemark, Household, HouseholdFacts, Incident, IncidentAction, IncidentEvent,
    Level, Location, Member, Notice, NoticeContent, NoticeDelivery, NoticeKind, NoticeReceipt,
    NoticeResponse, Patrol, Role, Satisfaction, ServiceAction, ServiceEvent, ServiceRequest,
    TrackPoint, Visit, WorkLogDay, WorkLogEntry,
};
use crate::time::Timestamp;

/// Where and how a document departs from its record's shape, e.g. `answers.q1: expected a
/// string, found 3`.
pub(super) type Mismatch = String;

/// One value of a document's current state, borrowing its strings and bytes.
#[derive(Debug)]
pub(super) enum Node<'a> {
    /// A scalar.
    Scalar(ScalarValueRef<'a>),
    /// A map (or table).
    Map(Map<'a>),
    /// A list.
    List(Vec<Node<'a>>),
    /// A text object (no record field is one; its content is not read).
    Text,
}

/// A map's entries, sorted by key, each marked once a conversion looked at it.
#[derive(Debug)]
pub(super) struct Map<'a>(Vec<(Cow<'a, str>, Node<'a>, Cell<bool>)>);

impl<'a> Map<'a> {
    /// The value at `key`.
    fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.0
            .binary_search_by(|(k, _, _)| k.as_ref().cmp(key))
            .ok()
            .map(|i| {
                self.0[i].2.set(true);
                &self.0[i].1
            })
    }

    /// Every entry, by key.
    fn iter(&self) -> impl Iterator<Item = (&str, &Node<'a>)> {
        self.0.iter().map(|(k, v, read)| {
            read.set(true);
            (k.as_ref(), v)
        })
    }
}

/// Deepest nesting of maps and lists read (records nest five deep: an incident's events,
/// an event, its action, the action's fields).
pub const MAX_DEPTH: usize = 8;

/// The tree nests deeper than [`MAX_DEPTH`].
#[derive(Debug)]
pub(super) struct TooDeep;

/// The whole current state of `doc`, from its root map.
pub(super) fn tree<D: ReadDoc>(doc: &D) -> Result<Node<'_>, TooDeep> {
    node(doc, &ROOT, ObjType::Map, 0)
}

fn node<'a, D: ReadDoc>(
    doc: &'a D,
    obj: &ObjId,
    kind: ObjType,
    depth: usize,
) -> Result<Node<'a>, TooDeep> {
    if depth >= MAX_DEPTH {
        return Err(TooDeep);
    }
    Ok(match kind {
        ObjType::Map | ObjType::Table => {
            let mut entries = Vec::new();
            for item in doc.map_range(obj, ..) {
                let value = match item.value {
                    ValueRef::Scalar(s) => Node::Scalar(s),
                    ValueRef::Object(kind) => node(doc, &item.id(), kind, depth + 1)?,
                };
                entries.push((item.key, value, Cell::new(false)));
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Node::Map(Map(entries))
        }
        ObjType::List => {
            let mut items = Vec::new();
            for item in doc.list_range(obj, ..) {
                items.push(match item.value {
                    ValueRef::Scalar(s) => Node::Scalar(s),
                    ValueRef::Object(kind) => node(doc, &item.id(), kind, depth + 1)?,
                });
            }
            Node::List(items)
        }
        ObjType::Text => Node::Text,
    })
}

/// The path of the first map entry no conversion looked at (a key outside the schema),
/// e.g. `members[2].nickname`.
pub(super) fn unread(value: &Node) -> Option<String> {
    match value {
        Node::Map(map) => map.0.iter().find_map(|(key, value, read)| {
            if !read.get() {
                return Some(key.to_string());
            }
            unread(value).map(|inner| match inner.starts_with('[') {
                true => format!("{key}{inner}"),
                false => format!("{key}.{inner}"),
            })
        }),
        Node::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| unread(item).map(|inner| format!("[{i}].{inner}"))),
        Node::Scalar(_) | Node::Text => None,
    }
}

/// A value converted from a document's tree.
pub(super) trait FromValue: Sized {
    /// Converts `value`, or says why it does not fit.
    fn from_value(value: &Node) -> Result<Self, Mismatch>;
}

fn expected(what: &str, value: &Node) -> Mismatch {
    let found = match value {
        Node::Scalar(s) => format!("{:?}", automerge::ScalarValue::from(s)),
        Node::Map(_) => "a map".into(),
        Node::List(_) => "a list".into(),
        Node::Text => "a text object".into(),
    };
    format!("expected {what}, found {found}")
}

fn scalar<'n, 'a>(what: &str, value: &'n Node<'a>) -> Result<&'n ScalarValueRef<'a>, Mismatch> {
    match value {
        Node::Scalar(s) => Ok(s),
        other => Err(expected(what, other)),
    }
}

/// The map `value` holds.
pub(super) fn map_of<'n, 'a>(value: &'n Node<'a>) -> Result<&'n Map<'a>, Mismatch> {
    match value {
        Node::Map(map) => Ok(map),
        other => Err(expected("a map", other)),
    }
}

/// Field `name` of `map`, converted; a missing field is a mismatch, as in autosurgeon.
fn field<T: FromValue>(map: &Map, name: &str) -> Result<T, Mismatch> {
    let value = map.get(name).ok_or_else(|| format!("{name}: missing"))?;
    T::from_value(value).map_err(|e| format!("{name}: {e}"))
}

impl FromValue for String {
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        match scalar("a string", value)? {
            ScalarValueRef::Str(s) => Ok(s.to_string()),
            _ => Err(expected("a string", value)),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        match scalar("a boolean", value)? {
            ScalarValueRef::Boolean(b) => Ok(*b),
            _ => Err(expected("a boolean", value)),
        }
    }
}

impl FromValue for f64 {
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        match scalar("a float", value)? {
            ScalarValueRef::F64(f) => Ok(*f),
            _ => Err(expected("a float", value)),
        }
    }
}

impl FromValue for i64 {
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        match scalar("an integer", value)? {
            ScalarValueRef::Int(i) => Ok(*i),
            _ => Err(expected("an integer", value)),
        }
    }
}

impl FromValue for Uuid {
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        match scalar("an id (16 bytes)", value)? {
            ScalarValueRef::Bytes(b) => {
                Uuid::from_slice(b).map_err(|_| expected("an id (16 bytes)", value))
            }
            _ => Err(expected("an id (16 bytes)", value)),
        }
    }
}

impl FromValue for Timestamp {
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        match scalar("a timestamp", value)? {
            ScalarValueRef::Timestamp(t) | ScalarValueRef::Int(t) => Ok(Timestamp::from_millis(*t)),
            _ => Err(expected("a timestamp", value)),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        match value {
            Node::Scalar(ScalarValueRef::Null) => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        match value {
            Node::List(list) => list
                .iter()
                .enumerate()
                .map(|(i, item)| T::from_value(item).map_err(|e| format!("[{i}]: {e}")))
                .collect(),
            other => Err(expected("a list", other)),
        }
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        map_of(value)?
            .iter()
            .map(|(key, item)| {
                let converted = T::from_value(item).map_err(|e| format!("{key}: {e}"))?;
                Ok((key.to_string(), converted))
            })
            .collect()
    }
}

/// Structs: a map with every field (autosurgeon's derive, no renames); fields after `;`
/// came later and read as their default when missing (autosurgeon's `missing` attribute).
macro_rules! from_map {
    ($($ty:ident { $($field:ident),* $(,)? $(; $($later:ident),* $(,)?)? })*) => {$(
        impl FromValue for $ty {
            fn from_value(value: &Node) -> Result<Self, Mismatch> {
                let map = map_of(value)?;
                Ok($ty {
                    $($field: field(map, stringify!($field))?,)*
                    $($($later: later_field(map, stringify!($later))?,)*)?
                })
            }
        }
    )*};
}

/// A field added after documents were first written: its default when missing.
fn later_field<T: FromValue + Default>(map: &Map, name: &str) -> Result<T, Mismatch> {
    match map.get(name) {
        Some(_) => field(map, name),
        None => Ok(T::default()),
    }
}

from_map! {
    Household { id, grid_id, building_id, address, head, phone, tags, members, notes }
    Member { id, name, relation, birth_year, tags }
    Visit {
        id, grid_id, household_id, worker_id, started_at, ended_at, location, template_id,
        template_version, answers, notes, photos, audio, follow_up; campaign
    }
    Location { lat, lon, accuracy_m, at; adjusted_from }
    GpsFix { lat, lon, accuracy_m }
    Incident {
        id, grid_id, category, description, location, photos, audio, reporter_id, events;
        received
    }
    IncidentEvent { id, at, by, action, note, photos; location }
    ServiceRequest {
        id, community_id, item_id, resident_name, resident_phone, materials_received, due,
        events; received
    }
    ServiceEvent { id, at, by, action, note }
    WorkLogDay { id, scope_id, worker_id, date, entries }
    WorkLogEntry { id, at, text }
    Notice { id, sender_id, unit_id, sent_at, content, audience, recipients }
    NoticeDelivery { id, notice_id, recipient_id, sender, sent_at, content, receipt }
    NoticeContent { kind, title, text, photos, pdf, response, deadline }
    Audience { units, roles, users }
    NoticeReceipt { read_at, reply, replied_at, done_at }
    Patrol { id, grid_id, worker_id, started_at, ended_at, track, visit_ids, incident_ids }
    Handover { id, grid_id, week, remarks }
    HandoverRemark { id, at, by, text }
    Campaign {
        id, campaign_id, grid_id, name, task_kind, deadline, template_id, template_version,
        created_by, created_at, targets,
    }
    CampaignTarget { id, label, worker_id }
    CampaignWork { campaign_id, building_id, census }
    CensusEdit { before, after }
    HouseholdFacts { head, phone, address, tags, members }
}

/// Enums whose variants carry nothing: the variant's name as a string.
macro_rules! from_name {
    ($($ty:ident { $($variant:ident),* $(,)? })*) => {$(
        impl FromValue for $ty {
            fn from_value(value: &Node) -> Result<Self, Mismatch> {
                let what = concat!("one of ", $(stringify!($variant), " "),*);
                match scalar(what, value)? {
                    $(ScalarValueRef::Str(s) if s.as_ref() == stringify!($variant) => Ok($ty::$variant),)*
                    _ => Err(expected(what, value)),
                }
            }
        }
    )*};
}

from_name! {
    Level { Grid, Community, Street, City }
    Satisfaction { Satisfied, Basically, Dissatisfied }
    NoticeKind { Notice, Instruction }
    NoticeResponse { Reply, Done }
    Role { GridWorker, GridLeader, Desk, Department, Admin }
    CampaignKind { Visit, BuildingCheck, Census }
}

impl FromValue for Answer {
    /// Its JSON form as a string ([`Answer::to_json`]).
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        match scalar("an answer (JSON text)", value)? {
            ScalarValueRef::Str(json) => Answer::from_json(json),
            _ => Err(expected("an answer (JSON text)", value)),
        }
    }
}

impl FromValue for TrackPoint {
    /// Its text form ([`TrackPoint::to_text`]).
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        match scalar("a track point (text)", value)? {
            ScalarValueRef::Str(text) => TrackPoint::parse(text),
            _ => Err(expected("a track point (text)", value)),
        }
    }
}

/// The fields of struct variant `name` if `map` holds it as a map (autosurgeon skips a
/// variant whose key holds anything else).
fn variant<'n, 'a>(map: &'n Map<'a>, name: &str) -> Option<&'n Map<'a>> {
    match map.get(name) {
        Some(Node::Map(fields)) => Some(fields),
        _ => None,
    }
}

impl FromValue for IncidentAction {
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        const WHAT: &str = "an incident action";
        let map = match value {
            Node::Scalar(ScalarValueRef::Str(s)) => {
                return match s.as_ref() {
                    "Report" => Ok(IncidentAction::Report),
                    "SelfHandle" => Ok(IncidentAction::SelfHandle),
                    "Accept" => Ok(IncidentAction::Accept),
                    "Return" => Ok(IncidentAction::Return),
                    "Feedback" => Ok(IncidentAction::Feedback),
                    "Reopen" => Ok(IncidentAction::Reopen),
                    "Urge" => Ok(IncidentAction::Urge),
                    "Close" => Ok(IncidentAction::Close),
                    "Comment" => Ok(IncidentAction::Comment),
                    _ => Err(expected(WHAT, value)),
                }
            }
            Node::Map(map) => map,
            other => return Err(expected(WHAT, other)),
        };
        if let Some(f) = variant(map, "Dispatch") {
            return assignment(f)
                .map(
                    |(level, department_id, assignee_id, due)| IncidentAction::Dispatch {
                        level,
                        department_id,
                        assignee_id,
                        due,
                    },
                )
                .map_err(|e| format!("Dispatch.{e}"));
        }
        if let Some(f) = variant(map, "Transfer") {
            return assignment(f)
                .map(
                    |(level, department_id, assignee_id, due)| IncidentAction::Transfer {
                        level,
                        department_id,
                        assignee_id,
                        due,
                    },
                )
                .map_err(|e| format!("Transfer.{e}"));
        }
        if let Some(f) = variant(map, "Escalate") {
            return assignment(f)
                .map(
                    |(level, department_id, assignee_id, due)| IncidentAction::Escalate {
                        level,
                        department_id,
                        assignee_id,
                        due,
                    },
                )
                .map_err(|e| format!("Escalate.{e}"));
        }
        if let Some(f) = variant(map, "Verify") {
            return field(f, "passed")
                .map(|passed| IncidentAction::Verify { passed })
                .map_err(|e| format!("Verify.{e}"));
        }
        if let Some(f) = variant(map, "Evaluate") {
            return field(f, "satisfaction")
                .map(|satisfaction| IncidentAction::Evaluate { satisfaction })
                .map_err(|e| format!("Evaluate.{e}"));
        }
        Err(expected(WHAT, value))
    }
}

/// The fields shared by dispatch, transfer and escalation.
type Assignment = (Level, Option<Uuid>, Option<Uuid>, Option<Timestamp>);

fn assignment(fields: &Map) -> Result<Assignment, Mismatch> {
    Ok((
        field(fields, "level")?,
        field(fields, "department_id")?,
        field(fields, "assignee_id")?,
        field(fields, "due")?,
    ))
}

impl FromValue for ServiceAction {
    fn from_value(value: &Node) -> Result<Self, Mismatch> {
        const WHAT: &str = "a service action";
        let map = match value {
            Node::Scalar(ScalarValueRef::Str(s)) => {
                return match s.as_ref() {
                    "Register" => Ok(ServiceAction::Register),
                    "Return" => Ok(ServiceAction::Return),
                    "Comment" => Ok(ServiceAction::Comment),
                    _ => Err(expected(WHAT, value)),
                }
            }
            Node::Map(map) => map,
            other => return Err(expected(WHAT, other)),
        };
        if let Some(f) = variant(map, "HandOver") {
            return field(f, "to")
                .map(|to| ServiceAction::HandOver { to })
                .map_err(|e| format!("HandOver.{e}"));
        }
        if let Some(f) = variant(map, "Transfer") {
            return (|| {
                Ok(ServiceAction::Transfer {
                    department_id: field(f, "department_id")?,
                    due: field(f, "due")?,
                })
            })()
            .map_err(|e: Mismatch| format!("Transfer.{e}"));
        }
        if let Some(f) = variant(map, "Complete") {
            return field(f, "on_the_spot")
                .map(|on_the_spot| ServiceAction::Complete { on_the_spot })
                .map_err(|e| format!("Complete.{e}"));
        }
        if let Some(f) = variant(map, "Rate") {
            return field(f, "satisfaction")
                .map(|satisfaction| ServiceAction::Rate { satisfaction })
                .map_err(|e| format!("Rate.{e}"));
        }
        Err(expected(WHAT, value))
    }
}
