//! The overdue reminder (督办): once an open incident passes its due time, the server adds
//! one `urge` event as its own actor; a new due time (transfer, escalation) can earn another.

use std::time::Duration;

use automerge::Automerge;
use gridwalk_shared::doc;
use gridwalk_shared::time::Timestamp;
use uuid::Uuid;

use super::server_events::{self, Addition};
use super::upload::stored_write;
use super::DocLocks;
use crate::live::{Changed, Live};
use crate::store::{Store, StoreResult};

/// Incidents looked at per pass.
const PER_PASS: usize = 200;

/// Urges every open incident overdue at `now` that has not been urged for its due time;
/// returns how many were urged.
pub async fn urge_overdue<S: Store>(
    store: &S,
    locks: &DocLocks,
    live: &Live,
    now: Timestamp,
) -> StoreResult<usize> {
    let ids = store.overdue_incidents(now.millis(), PER_PASS).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let reference = store.reference();
    let _guards = locks.lock(ids.iter().copied()).await;
    let mut writes = Vec::new();
    for stored in store.load_docs(ids).await? {
        let Ok(mut document) = Automerge::load(&stored.snapshot) else {
            tracing::error!(doc = %stored.doc_id, "stored document is unreadable");
            continue;
        };
        let Ok(record) = doc::read(&document, stored.kind) else {
            continue;
        };
        let added = server_events::add(
            &mut document,
            &record,
            Addition::OverdueUrge,
            store.server_actor(),
            &reference,
            now,
        );
        match added {
            Ok(Some(added)) => writes.push(stored_write(
                document,
                added.record,
                Vec::new(),
                vec![added.change],
                Some(stored.seq),
            )),
            Ok(None) => {}
            Err(e) => tracing::error!(doc = %stored.doc_id, "{e}"),
        }
    }
    let urged = writes.len();
    if urged > 0 {
        let changed = Changed::of(&writes);
        store.commit(Uuid::nil(), writes).await?;
        live.notify(changed);
        tracing::info!(urged, "overdue reminders written");
    }
    Ok(urged)
}

/// Runs [`urge_overdue`] every `every` until the process ends.
pub async fn run_overdue_reminders<S: Store>(
    store: S,
    locks: std::sync::Arc<DocLocks>,
    live: std::sync::Arc<Live>,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let now = Timestamp::from(chrono::Utc::now());
        if let Err(e) = urge_overdue(&store, &locks, &live, now).await {
            tracing::warn!("overdue reminders failed: {e}");
        }
    }
}
