//! Reading downloaded documents on every core. For a document the device does not hold yet,
//! loading it, reading its record and finding its conflicts is nearly all of the work of
//! applying it, and each document is independent of the others — so a fresh device's pages
//! are decoded in parallel and only the SQLite writes stay on the transaction's thread.

use std::thread;

use automerge::AutoCommit;

use gridwalk_shared::{doc, wire::DocDownload, Record};

/// What a new document holds, read off the write path.
pub(crate) struct Decoded {
    /// The record, or why the document holds none yet.
    pub record: Result<Record, doc::DocError>,
    /// Some field holds concurrent values.
    pub has_conflict: bool,
}

/// Below this many documents one thread does the work (spawning would cost more).
const PARALLEL_FROM: usize = 32;

/// Decodes `downloads` as new documents, in order, on up to one thread per core; `None` for
/// one whose bytes do not load or depend on changes not sent (fetch it whole).
pub(crate) fn decode_new(downloads: &[&DocDownload]) -> Vec<Option<Decoded>> {
    let threads = thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || downloads.len() < PARALLEL_FROM {
        return downloads.iter().map(|d| decode(d)).collect();
    }
    let chunk = downloads.len().div_ceil(threads);
    thread::scope(|scope| {
        let workers: Vec<_> = downloads
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|d| decode(d)).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(decoded) => decoded,
                // A panic in the decoder is a bug; surface it where it would have happened.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

fn decode(download: &DocDownload) -> Option<Decoded> {
    // As a merge into an empty document would: changes whose dependencies are missing wait.
    let mut document = AutoCommit::new();
    if doc::merge_received(&mut document, &download.data).is_err()
        || !document.get_missing_deps(&[]).is_empty()
    {
        return None;
    }
    Some(Decoded {
        record: doc::read(&document, download.kind),
        has_conflict: !doc::conflicts(&document).is_empty(),
    })
}
