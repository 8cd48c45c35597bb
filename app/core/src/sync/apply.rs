//! Applying a sync response: acknowledgements, rejections (conflict copies), downloads,
//! cursor and reference data — all in one transaction.

use std::collections::BTreeSet;

use automerge::AutoCommit;
use gridwalk_shared::{
    doc,
    model::ReferenceData,
    time::Timestamp,
    wire::{DocDownload, Rejection, SyncResponse},
};
use rusqlite::Connection;
use uuid::Uuid;

use super::decode::{decode_new, Decoded};
use super::moved::Leaving;
use super::{PreparedRound, RoundOutcome};
use crate::store::{meta, outbox, records, want_full};
use crate::{Client, Error, Result};

impl Client {
    /// Applies the server's answer to `prepared` in one transaction: clears acknowledged
    /// outbox rows, keeps refused documents aside and takes the server's copies, merges
    /// downloads, stores the cursor and reference data.
    pub fn apply_round(
        &self,
        prepared: &PreparedRound,
        response: SyncResponse,
    ) -> Result<RoundOutcome> {
        let now = self.clock.now();
        self.store().write(|tx| apply(tx, prepared, response, now))
    }
}

fn apply(
    tx: &Connection,
    prepared: &PreparedRound,
    response: SyncResponse,
    now: Timestamp,
) -> Result<RoundOutcome> {
    if let Some(reference) = &response.reference {
        if reference.version >= meta::reference_version(tx)? {
            meta::set_reference(tx, reference)?;
        }
    }
    let reference = meta::reference(tx)?;
    let mut outcome = RoundOutcome::default();
    let mut leaving = Leaving::new(tx)?;

    // Refused without the server's copy: asked for whole next round (the server says `more`
    // when it left a copy out for room; otherwise it has none this device may see).
    let mut ask_whole = BTreeSet::new();
    for rejection in &response.rejected {
        let copied = reject(
            tx,
            prepared,
            rejection,
            reference.as_ref(),
            now,
            &mut outcome,
        )?;
        if !copied {
            ask_whole.insert(rejection.doc_id);
        }
    }
    for id in &response.accepted {
        if let Some(max_id) = prepared.sent.get(id) {
            outbox::ack(tx, *id, *max_id)?;
            outcome.accepted += 1;
            leaving.note_stored(tx, *id, reference.as_ref())?;
        }
    }

    let mut incomplete = BTreeSet::new();
    let (new, held) = split_new(tx, &response.docs)?;
    for (download, decoded) in new.iter().zip(decode_new(&new)) {
        outcome.downloaded_docs += 1;
        if !store_new(tx, download, decoded, reference.as_ref(), now, &mut leaving)? {
            incomplete.insert(download.doc_id);
        }
    }
    for download in held {
        outcome.downloaded_docs += 1;
        if !apply_download(tx, download, reference.as_ref(), now, &mut leaving)? {
            incomplete.insert(download.doc_id);
        }
    }
    // Asked for whole and not sent: the server has none for this device, unless it had no
    // room for it in this answer (`more`), then it is asked for again.
    let asked = prepared.request.want_full.iter().filter(|_| !response.more);
    for id in asked.chain(response.docs.iter().map(|d| &d.doc_id)) {
        want_full::clear(tx, *id)?;
    }
    for id in incomplete.iter().chain(&ask_whole) {
        want_full::mark(tx, *id)?;
    }

    outcome.moved_out = leaving.drop_settled(tx)?;

    let previous = meta::cursor(tx)?;
    outcome.epoch_changed = previous.is_some_and(|c| c.epoch != response.cursor.epoch);
    if outcome.epoch_changed {
        tracing::warn!("server epoch changed (restored from backup): re-sending every document");
        requeue_everything(tx)?;
    }
    meta::set_cursor(tx, &response.cursor)?;
    meta::set_last_sync(tx, now)?;

    let asked: BTreeSet<&Uuid> = prepared.request.want_full.iter().collect();
    let new_incomplete = incomplete.iter().any(|id| !asked.contains(id));
    let progress = outcome.accepted > 0 || !response.rejected.is_empty();
    outcome.again = response.more
        || outcome.epoch_changed
        || (prepared.truncated && progress)
        || new_incomplete;
    outcome.incomplete = incomplete.into_iter().collect();
    Ok(outcome)
}

/// Keeps the local version aside, takes the server's copy (or drops the document), and
/// forgets its unsent changes; `false` if the answer carried no server copy.
fn reject(
    tx: &Connection,
    prepared: &PreparedRound,
    rejection: &Rejection,
    reference: Option<&ReferenceData>,
    now: Timestamp,
    outcome: &mut RoundOutcome,
) -> Result<bool> {
    let id = rejection.doc_id;
    tracing::warn!(doc = %id, code = %rejection.code, "document refused by the server");
    outcome
        .rejected
        .push((id, rejection.code.clone(), rejection.reason.clone()));
    let local = load_or_discard(tx, id)?;
    let (kind, scope) = match &local {
        Some(stored) => (stored.kind, stored.scope),
        None => match prepared.request.docs.iter().find(|d| d.doc_id == id) {
            Some(upload) => (upload.kind, upload.scope),
            None => return Ok(true),
        },
    };
    if let Some(mut stored) = local {
        records::save_conflict_copy(tx, &mut stored, &rejection.code, &rejection.reason, now)?;
        outcome.conflict_copies += 1;
    }
    outbox::drop_doc(tx, id)?;
    let server_doc = match &rejection.server_copy {
        None => None,
        Some(bytes) => match doc::load_received(bytes) {
            Ok(doc) => Some(doc),
            Err(e) => {
                tracing::warn!(doc = %id, error = %e, "server copy does not load");
                None
            }
        },
    };
    match server_doc {
        Some(doc) => {
            let mut stored = records::StoredDoc {
                id,
                kind,
                scope,
                doc,
            };
            records::save(tx, &mut stored, reference, now)?;
            Ok(true)
        }
        None => {
            records::delete(tx, id)?;
            Ok(rejection.server_copy.is_some())
        }
    }
}

/// Downloads of documents this device does not hold (in response order), and the others.
fn split_new<'a>(
    tx: &Connection,
    downloads: &'a [DocDownload],
) -> Result<(Vec<&'a DocDownload>, Vec<&'a DocDownload>)> {
    let (mut new, mut old) = (Vec::new(), Vec::new());
    let mut seen = BTreeSet::new();
    for download in downloads {
        // A document sent twice in one page is merged the second time.
        let first = seen.insert(download.doc_id);
        if first && !records::holds(tx, download.doc_id)? {
            new.push(download);
        } else {
            old.push(download);
        }
    }
    Ok((new, old))
}

/// Stores a new document as it was sent (it was read on another thread); `false` if it
/// should be fetched whole.
fn store_new(
    tx: &Connection,
    download: &DocDownload,
    decoded: Option<Decoded>,
    reference: Option<&ReferenceData>,
    now: Timestamp,
    leaving: &mut Leaving,
) -> Result<bool> {
    let Some(Decoded {
        record,
        has_conflict,
    }) = decoded
    else {
        tracing::warn!(doc = %download.doc_id, "download misses changes; asking for it whole");
        return Ok(false);
    };
    let content = records::Content {
        data: &download.data,
        record,
        has_conflict,
    };
    let saved = records::save_content(
        tx,
        download.doc_id,
        download.kind,
        download.scope,
        content,
        reference,
        now,
    )?;
    leaving.note(download.doc_id, saved.as_ref(), reference);
    Ok(true)
}

/// Merges one download into the stored document; `false` if it still misses dependencies
/// (or did not load) and should be fetched whole.
fn apply_download(
    tx: &Connection,
    download: &DocDownload,
    reference: Option<&ReferenceData>,
    now: Timestamp,
    leaving: &mut Leaving,
) -> Result<bool> {
    let existing = load_or_discard(tx, download.doc_id)?;
    let is_new = existing.is_none();
    let mut stored = existing.unwrap_or_else(|| records::StoredDoc {
        id: download.doc_id,
        kind: download.kind,
        scope: download.scope,
        doc: AutoCommit::new(),
    });
    if let Err(e) = doc::merge_received(&mut stored.doc, &download.data) {
        tracing::warn!(doc = %download.doc_id, error = %e, "download does not load");
        return Ok(false);
    }
    let complete = stored.doc.get_missing_deps(&[]).is_empty();
    if is_new && !complete {
        // Nothing usable yet: fetch it whole next round rather than store a fragment.
        return Ok(false);
    }
    let saved = records::save(tx, &mut stored, reference, now)?;
    leaving.note(download.doc_id, saved.as_ref(), reference);
    Ok(complete)
}

/// The stored document, or `None` if there is none or it no longer loads (it is then
/// replaced by what the server sends).
fn load_or_discard(tx: &Connection, id: Uuid) -> Result<Option<records::StoredDoc>> {
    match records::load(tx, id) {
        Ok(stored) => Ok(stored),
        Err(Error::Doc(e)) => {
            tracing::warn!(doc = %id, error = %e, "stored document does not load; replacing it");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Queues every change of every document for upload (the server was restored).
fn requeue_everything(tx: &Connection) -> Result<()> {
    for (id, _) in records::list(tx)? {
        if let Some(mut stored) = load_or_discard(tx, id)? {
            let changes = stored.doc.get_changes(&[]);
            outbox::replace(tx, id, changes.iter())?;
        }
    }
    Ok(())
}
