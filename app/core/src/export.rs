//! Export of every record held, deterministic so converged replicas print the same.

use serde_json::{Map, Value};

use crate::store::records;
use crate::view::RecordView;
use crate::{Client, Error, Result};

impl Client {
    /// Every record held as the serde JSON of `Record` (with `kind` and `id`), plus
    /// `conflicts` (`{field: [values…]}`) when any, `state` for incidents and service
    /// requests, and `blobs` (every photo and audio hash it references); sorted by kind, then
    /// id. Documents that hold no readable record are skipped.
    pub fn export(&self) -> Result<Vec<Value>> {
        let store = self.store();
        let conn = store.conn();
        let mut out = Vec::new();
        let mut held = records::list(conn)?;
        held.sort_by_key(|(id, kind)| (kind.as_str(), *id));
        for (id, _) in held {
            let Some(stored) = records::load(conn, id)? else {
                continue;
            };
            let view = match RecordView::of(&stored) {
                Ok(view) => view,
                Err(e) => {
                    tracing::warn!(doc = %id, error = %e, "skipping unreadable document");
                    continue;
                }
            };
            out.push(to_json(view)?);
        }
        Ok(out)
    }
}

fn to_json(view: RecordView) -> Result<Value> {
    let mut object = match serde_json::to_value(&view.record)? {
        Value::Object(object) => object,
        other => {
            return Err(Error::Corrupt(format!(
                "record did not serialise to an object: {other}"
            )))
        }
    };
    if !view.conflicts.is_empty() {
        let conflicts: Map<String, Value> = view
            .conflicts
            .into_iter()
            .map(|c| (c.field, Value::from(c.values)))
            .collect();
        object.insert("conflicts".into(), Value::Object(conflicts));
    }
    if let Some(state) = view.state {
        object.insert("state".into(), serde_json::to_value(state)?);
    }
    object.insert("blobs".into(), Value::from(view.record.blob_refs()));
    Ok(Value::Object(object))
}
