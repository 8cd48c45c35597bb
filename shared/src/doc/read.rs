//! Reading a record out of its document in one pass. The document is materialised once
//! (`ReadDoc::hydrate`) and the tree is converted here, following the encoding autosurgeon
//! writes (see [`super::write`]) and accepting exactly what its `Hydrate` derive accepts:
//! ids as 16 bytes, times as timestamps (or integers), `None` as null, unit enum variants as
//! their name, the others as a one-key map; every field must be present, extra keys are
//! ignored. Hydrating through autosurgeon instead asks the op set for every key and took
//! 3–4× as long (docs/benchmarks.md); `tests/doc_read.rs` holds the two readers equal.

use std::collections::BTreeMap;

use automerge::hydrate::{Map, Value};
use automerge::ScalarValue;
use uuid::Uuid;

use crate::model::{
    Answer, Household, Incident, IncidentAction, IncidentEvent, Level, Location, Member,
    Satisfaction, ServiceAction, ServiceEvent, ServiceRequest, Visit, WorkLogDay, WorkLogEntry,
};
use crate::time::Timestamp;

/// Where and how a document departs from its record's shape, e.g. `answers.q1: expected a
/// string, found 3`.
pub(super) type Mismatch = String;

/// A value converted from a materialised document.
pub(super) trait FromValue: Sized {
    /// Converts `value`, or says why it does not fit.
    fn from_value(value: &Value) -> Result<Self, Mismatch>;
}

fn expected(what: &str, value: &Value) -> Mismatch {
    let found = match value {
        Value::Scalar(s) => format!("{s:?}"),
        Value::Map(_) => "a map".into(),
        Value::List(_) => "a list".into(),
        Value::Text(_) => "a text object".into(),
    };
    format!("expected {what}, found {found}")
}

fn scalar<'a>(what: &str, value: &'a Value) -> Result<&'a ScalarValue, Mismatch> {
    match value {
        Value::Scalar(s) => Ok(s),
        other => Err(expected(what, other)),
    }
}

/// The map `value` holds.
pub(super) fn map_of(value: &Value) -> Result<&Map, Mismatch> {
    match value {
        Value::Map(map) => Ok(map),
        other => Err(expected("a map", other)),
    }
}

/// Field `name` of `map`, converted; a missing field is a mismatch, as in autosurgeon.
fn field<T: FromValue>(map: &Map, name: &str) -> Result<T, Mismatch> {
    let value = map.get(name).ok_or_else(|| format!("{name}: missing"))?;
    T::from_value(value).map_err(|e| format!("{name}: {e}"))
}

impl FromValue for String {
    fn from_value(value: &Value) -> Result<Self, Mismatch> {
        match scalar("a string", value)? {
            ScalarValue::Str(s) => Ok(s.to_string()),
            _ => Err(expected("a string", value)),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: &Value) -> Result<Self, Mismatch> {
        match scalar("a boolean", value)? {
            ScalarValue::Boolean(b) => Ok(*b),
            _ => Err(expected("a boolean", value)),
        }
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value) -> Result<Self, Mismatch> {
        match scalar("a float", value)? {
            ScalarValue::F64(f) => Ok(*f),
            _ => Err(expected("a float", value)),
        }
    }
}

impl FromValue for i64 {
    fn from_value(value: &Value) -> Result<Self, Mismatch> {
        match scalar("an integer", value)? {
            ScalarValue::Int(i) => Ok(*i),
            _ => Err(expected("an integer", value)),
        }
    }
}

impl FromValue for Uuid {
    fn from_value(value: &Value) -> Result<Self, Mismatch> {
        match scalar("an id (16 bytes)", value)? {
            ScalarValue::Bytes(b) => {
                Uuid::from_slice(b).map_err(|_| expected("an id (16 bytes)", value))
            }
            _ => Err(expected("an id (16 bytes)", value)),
        }
    }
}

impl FromValue for Timestamp {
    fn from_value(value: &Value) -> Result<Self, Mismatch> {
        match scalar("a timestamp", value)? {
            ScalarValue::Timestamp(t) | ScalarValue::Int(t) => Ok(Timestamp::from_millis(*t)),
            _ => Err(expected("a timestamp", value)),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Result<Self, Mismatch> {
        match value {
            Value::Scalar(ScalarValue::Null) => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: &Value) -> Result<Self, Mismatch> {
        match value {
            Value::List(list) => list
                .iter()
                .enumerate()
                .map(|(i, item)| T::from_value(&item.value).map_err(|e| format!("[{i}]: {e}")))
                .collect(),
            other => Err(expected("a list", other)),
        }
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(value: &Value) -> Result<Self, Mismatch> {
        map_of(value)?
            .iter()
            .map(|(key, item)| {
                let converted = T::from_value(&item.value).map_err(|e| format!("{key}: {e}"))?;
                Ok((key.clone(), converted))
            })
            .collect()
    }
}

/// Structs: a map with every field (autosurgeon's derive, no renames).
macro_rules! from_map {
    ($($ty:ident { $($field:ident),* $(,)? })*) => {$(
        impl FromValue for $ty {
            fn from_value(value: &Value) -> Result<Self, Mismatch> {
                let map = map_of(value)?;
                Ok($ty { $($field: field(map, stringify!($field))?),* })
            }
        }
    )*};
}

from_map! {
    Household { id, grid_id, building_id, address, head, phone, tags, members, notes }
    Member { id, name, relation, birth_year, tags }
    Visit {
        id, grid_id, household_id, worker_id, started_at, ended_at, location, template_id,
        template_version, answers, notes, photos, audio, follow_up,
    }
    Location { lat, lon, accuracy_m, at }
    Incident {
        id, grid_id, category, description, location, photos, audio, reporter_id, events,
    }
    IncidentEvent { id, at, by, action, note, photos }
    ServiceRequest {
        id, community_id, item_id, resident_name, resident_phone, materials_received, due,
        events,
    }
    ServiceEvent { id, at, by, action, note }
    WorkLogDay { id, scope_id, worker_id, date, entries }
    WorkLogEntry { id, at, text }
}

/// Enums whose variants carry nothing: the variant's name as a string.
macro_rules! from_name {
    ($($ty:ident { $($variant:ident),* $(,)? })*) => {$(
        impl FromValue for $ty {
            fn from_value(value: &Value) -> Result<Self, Mismatch> {
                let what = concat!("one of ", $(stringify!($variant), " "),*);
                match scalar(what, value)? {
                    $(ScalarValue::Str(s) if s.as_str() == stringify!($variant) => Ok($ty::$variant),)*
                    _ => Err(expected(what, value)),
                }
            }
        }
    )*};
}

from_name! {
    Level { Grid, Community, Street, City }
    Satisfaction { Satisfied, Basically, Dissatisfied }
}

impl FromValue for Answer {
    /// A one-key map, `{"YesNo": true}`; the first variant (in declaration order) whose key
    /// is present wins, as in autosurgeon.
    fn from_value(value: &Value) -> Result<Self, Mismatch> {
        let map = map_of(value)?;
        let inner = |name: &str| map.get(name);
        let tagged = |name: &str, e: Mismatch| format!("{name}: {e}");
        if let Some(v) = inner("YesNo") {
            return bool::from_value(v)
                .map(Answer::YesNo)
                .map_err(|e| tagged("YesNo", e));
        }
        if let Some(v) = inner("Choice") {
            return String::from_value(v)
                .map(Answer::Choice)
                .map_err(|e| tagged("Choice", e));
        }
        if let Some(v) = inner("Choices") {
            return Vec::from_value(v)
                .map(Answer::Choices)
                .map_err(|e| tagged("Choices", e));
        }
        if let Some(v) = inner("Text") {
            return String::from_value(v)
                .map(Answer::Text)
                .map_err(|e| tagged("Text", e));
        }
        if let Some(v) = inner("Number") {
            return f64::from_value(v)
                .map(Answer::Number)
                .map_err(|e| tagged("Number", e));
        }
        if let Some(v) = inner("Photos") {
            return Vec::from_value(v)
                .map(Answer::Photos)
                .map_err(|e| tagged("Photos", e));
        }
        Err(expected("an answer (a map with one key)", value))
    }
}

/// The fields of struct variant `name` if `map` holds it as a map (autosurgeon skips a
/// variant whose key holds anything else).
fn variant<'a>(map: &'a Map, name: &str) -> Option<&'a Map> {
    match map.get(name) {
        Some(Value::Map(fields)) => Some(fields),
        _ => None,
    }
}

impl FromValue for IncidentAction {
    fn from_value(value: &Value) -> Result<Self, Mismatch> {
        const WHAT: &str = "an incident action";
        let map = match value {
            Value::Scalar(ScalarValue::Str(s)) => {
                return match s.as_str() {
                    "Report" => Ok(IncidentAction::Report),
                    "Accept" => Ok(IncidentAction::Accept),
                    "Feedback" => Ok(IncidentAction::Feedback),
                    "Close" => Ok(IncidentAction::Close),
                    "Comment" => Ok(IncidentAction::Comment),
                    _ => Err(expected(WHAT, value)),
                }
            }
            Value::Map(map) => map,
            other => return Err(expected(WHAT, other)),
        };
        if let Some(f) = variant(map, "Dispatch") {
            return dispatch(f).map_err(|e| format!("Dispatch.{e}"));
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

fn dispatch(fields: &Map) -> Result<IncidentAction, Mismatch> {
    Ok(IncidentAction::Dispatch {
        level: field(fields, "level")?,
        department_id: field(fields, "department_id")?,
        assignee_id: field(fields, "assignee_id")?,
        due: field(fields, "due")?,
    })
}

impl FromValue for ServiceAction {
    fn from_value(value: &Value) -> Result<Self, Mismatch> {
        const WHAT: &str = "a service action";
        let map = match value {
            Value::Scalar(ScalarValue::Str(s)) => {
                return match s.as_str() {
                    "Register" => Ok(ServiceAction::Register),
                    "Comment" => Ok(ServiceAction::Comment),
                    _ => Err(expected(WHAT, value)),
                }
            }
            Value::Map(map) => map,
            other => return Err(expected(WHAT, other)),
        };
        if let Some(f) = variant(map, "HandOver") {
            return field(f, "to")
                .map(|to| ServiceAction::HandOver { to })
                .map_err(|e| format!("HandOver.{e}"));
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
