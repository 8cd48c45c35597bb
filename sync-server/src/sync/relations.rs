//! Checks across documents, which need the store, run on uploads that passed their own
//! check: a visit's household exists and is in the visit's grid, and a record references a
//! blob only if this device brought it in, already may read it, or nobody has referenced it
//! yet (then this device is the one to upload it) — knowing a hash is not enough.

use std::collections::{HashMap, HashSet};

use gridwalk_shared::model::{RecordKind, ReferenceData};
use gridwalk_shared::validate::{may_read, Actor};
use uuid::Uuid;

use super::upload::Refusal;
use crate::store::{BlobRefs, DocWrite, StoreResult};

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
    let (mut kept, mut refused) = (Vec::new(), Vec::new());
    for write in writes {
        let problem = match household(store, &write, households).await? {
            Some(problem) => Some(problem),
            None => blobs(store, device, actor, reference, &write, &held).await?,
        };
        match problem {
            Some(problem) => refused.push((write.doc.doc_id, problem)),
            None => kept.push(write),
        }
    }
    Ok((kept, refused))
}

/// A visit's household must exist (stored, or uploaded in this request) in the visit's grid.
async fn household<S: BlobRefs>(
    store: &S,
    write: &DocWrite,
    households: &Households,
) -> StoreResult<Option<Refusal>> {
    let (RecordKind::Visit, Some(id)) = (write.doc.kind, write.row.subject) else {
        return Ok(None);
    };
    let grid = match households.get(&id) {
        Some(grid) => Some(*grid),
        None => store
            .load_docs(vec![id])
            .await?
            .into_iter()
            .find(|d| d.kind == RecordKind::Household)
            .map(|d| d.scope),
    };
    Ok(match grid {
        None => Some(refusal(
            "unknown_household",
            format!("household {id} does not exist; sync it first"),
        )),
        Some(grid) if grid != write.doc.scope => Some(refusal(
            "household_out_of_scope",
            format!("household {id} is not in the visit's grid"),
        )),
        Some(_) => None,
    })
}

/// Every blob the record newly references (not in `held`, what the documents referenced
/// before) is this device's, readable to it, or not yet referenced.
async fn blobs<S: BlobRefs>(
    store: &S,
    device: Uuid,
    actor: &Actor,
    reference: &ReferenceData,
    write: &DocWrite,
    held: &HashSet<(Uuid, String)>,
) -> StoreResult<Option<Refusal>> {
    let id = write.doc.doc_id;
    for hash in write
        .blobs
        .iter()
        .filter(|h| !held.contains(&(id, h.to_string())))
    {
        let docs = store.blob_docs(hash.clone()).await?;
        let allowed = docs.is_empty()
            || docs.iter().any(|d| {
                d.origin.as_ref().is_some_and(|o| o.device_id == device)
                    || may_read(actor, d.scope, d.department, reference)
            });
        if !allowed {
            return Ok(Some(refusal(
                "blob_not_yours",
                format!(
                    "blob {hash} belongs to records you cannot see; attach your own photo or recording"
                ),
            )));
        }
    }
    Ok(None)
}
