//! Checks across documents, which need the store, run on uploads that passed their own
//! check: a visit's household exists and is in the visit's grid, and a record references a
//! blob only if this device brought it in, already may read it, or nobody has referenced it
//! yet (then this device is the one to upload it) — knowing a hash is not enough.

use std::collections::{HashMap, HashSet};

use gridwalk_shared::model::{RecordKind, ReferenceData};
use gridwalk_shared::validate::{may_read, Actor};
use uuid::Uuid;

use super::upload::Refusal;
use crate::store::{BlobDoc, BlobRefs, DocWrite, StoreResult};

/// The uploads' households, by id: their declared grid (a visit may name one created in the
/// same request).
pub type Households = HashMap<Uuid, Uuid>;

fn refusal(code: &str, reason: String) -> Refusal {
    Refusal {
        code: code.into(),
        reason,
    }
}

/// Splits `writes` into those whose relations hold and refusals for the others.
pub async fn check<S: BlobRefs>(
    store: &S,
    device: Uuid,
    actor: &Actor,
    reference: &ReferenceData,
    writes: Vec<DocWrite>,
    households: &Households,
) -> StoreResult<(Vec<DocWrite>, Vec<(Uuid, Refusal)>)> {
    // What the documents already reference needs no check: one query for the turn.
    let stored: Vec<Uuid> = writes
        .iter()
        .filter(|w| w.base.is_some() && !w.blobs.is_empty())
        .map(|w| w.doc.doc_id)
        .collect();
    let held: HashSet<(Uuid, String)> = match stored.is_empty() {
        true => HashSet::new(),
        false => store.refs_of(stored).await?.into_iter().collect(),
    };
    // The references new to each document, all checked in one query for the turn.
    let new_refs = |w: &DocWrite| -> Vec<String> {
        w.blobs
            .iter()
            .filter(|h| !held.contains(&(w.doc.doc_id, h.to_string())))
            .cloned()
            .collect()
    };
    let wanted: HashSet<String> = writes.iter().flat_map(new_refs).collect();
    let mut referencing: HashMap<String, Vec<BlobDoc>> = HashMap::new();
    if !wanted.is_empty() {
        for doc in store.blob_docs(wanted.into_iter().collect()).await? {
            referencing.entry(doc.blob.clone()).or_default().push(doc);
        }
    }
    // Stored households the visits name, in one query too.
    let visited: Vec<Uuid> = writes
        .iter()
        .filter_map(visited_household)
        .filter(|id| !households.contains_key(id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut grids = households.clone();
    if !visited.is_empty() {
        for doc in store.load_docs(visited).await? {
            if doc.kind == RecordKind::Household {
                grids.insert(doc.doc_id, doc.scope);
            }
        }
    }
    let (mut kept, mut refused) = (Vec::new(), Vec::new());
    for write in writes {
        let problem = match household(&write, &grids) {
            Some(problem) => Some(problem),
            None => blobs(device, actor, reference, &new_refs(&write), &referencing),
        };
        match problem {
            Some(problem) => refused.push((write.doc.doc_id, problem)),
            None => kept.push(write),
        }
    }
    Ok((kept, refused))
}

/// The household a visit names.
fn visited_household(write: &DocWrite) -> Option<Uuid> {
    match (write.doc.kind, write.row.subject) {
        (RecordKind::Visit, Some(id)) => Some(id),
        _ => None,
    }
}

/// A visit's household must exist (stored, or uploaded in this request: `grids` holds both,
/// by id) in the visit's grid.
fn household(write: &DocWrite, grids: &Households) -> Option<Refusal> {
    let id = visited_household(write)?;
    match grids.get(&id) {
        None => Some(refusal(
            "unknown_household",
            format!("household {id} does not exist; sync it first"),
        )),
        Some(grid) if *grid != write.doc.scope => Some(refusal(
            "household_out_of_scope",
            format!("household {id} is not in the visit's grid"),
        )),
        Some(_) => None,
    }
}

/// Every blob the record newly references (`new`) is this device's, readable to it, or not
/// yet referenced (`referencing` holds the documents referencing each).
fn blobs(
    device: Uuid,
    actor: &Actor,
    reference: &ReferenceData,
    new: &[String],
    referencing: &HashMap<String, Vec<BlobDoc>>,
) -> Option<Refusal> {
    for hash in new {
        let docs = referencing.get(hash).map_or(&[][..], Vec::as_slice);
        let allowed = docs.is_empty()
            || docs.iter().any(|d| {
                d.origin.as_ref().is_some_and(|o| o.device_id == device)
                    || may_read(actor, d.scope, d.department, reference)
            });
        if !allowed {
            return Some(refusal(
                "blob_not_yours",
                format!(
                    "blob {hash} belongs to records you cannot see; attach your own photo or recording"
                ),
            ));
        }
    }
    None
}
