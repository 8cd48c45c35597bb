//! What nodes tell each other through PostgreSQL's `LISTEN/NOTIFY` on channel `gridwalk`:
//! commits (for live nudges on other nodes), new reference data and new epochs (to refresh
//! the caches). Notifications are sent inside the writing transaction, so they are delivered
//! if and only if it commits. Each node keeps one listening connection; when it drops, the
//! node reconnects and reloads its caches, and a periodic version check catches anything a
//! lost notification missed.

use std::sync::{Arc, Weak};
use std::time::Duration;

use gridwalk_store::Changed;
use serde::{Deserialize, Serialize};
use tokio_postgres::{AsyncMessage, NoTls};
use uuid::Uuid;

use crate::{DbResult, Inner, PostgresStore};

/// The channel every node listens on.
const CHANNEL: &str = "gridwalk";

/// Most scopes, and most departments, in one notification (PostgreSQL takes payloads below
/// 8000 bytes; an id takes 39 in JSON).
const IDS_PER_NOTE: usize = 80;

/// How often the listener checks the caches against the database anyway.
const CHECK_EVERY: Duration = Duration::from_secs(10);

/// One notification.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub(crate) enum Note {
    /// A node committed changes to documents in these scopes and departments.
    Commit {
        node: Uuid,
        scopes: Vec<Uuid>,
        departments: Vec<Uuid>,
    },
    /// A node stored reference data of this version.
    Reference { node: Uuid, version: u64 },
    /// A node started a new epoch.
    Epoch { node: Uuid },
}

/// Queues `note` in the transaction `tx` (sent when it commits).
pub(crate) async fn send(tx: &tokio_postgres::Transaction<'_>, note: &Note) -> DbResult<()> {
    let payload = serde_json::to_string(note).unwrap_or_default();
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
        .await?;
    Ok(())
}

/// Queues the notes of one commit: what it changed, in pieces small enough for a payload.
pub(crate) async fn send_changed(
    tx: &tokio_postgres::Transaction<'_>,
    node: Uuid,
    changed: Changed,
) -> DbResult<()> {
    for note in commit_notes(node, changed) {
        send(tx, &note).await?;
    }
    Ok(())
}

/// The notes announcing `changed`: its scopes and departments without repeats, at most
/// [`IDS_PER_NOTE`] of each per note.
fn commit_notes(node: Uuid, changed: Changed) -> Vec<Note> {
    let (mut scopes, mut departments) = (changed.scopes, changed.departments);
    for ids in [&mut scopes, &mut departments] {
        ids.sort_unstable();
        ids.dedup();
    }
    let (mut scopes, mut departments) = (scopes.as_slice(), departments.as_slice());
    let mut notes = Vec::new();
    while !scopes.is_empty() || !departments.is_empty() {
        let (s, rest_s) = scopes.split_at(scopes.len().min(IDS_PER_NOTE));
        let (d, rest_d) = departments.split_at(departments.len().min(IDS_PER_NOTE));
        notes.push(Note::Commit {
            node,
            scopes: s.to_vec(),
            departments: d.to_vec(),
        });
        (scopes, departments) = (rest_s, rest_d);
    }
    notes
}

type Connection =
    tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>;

/// Connects the node's listener and starts it; it stops when the last clone of the store
/// is dropped.
pub(crate) async fn listen(store: &PostgresStore) -> DbResult<()> {
    let first = store.inner.config.connect(NoTls).await?;
    tokio::spawn(run(Arc::downgrade(&store.inner), first));
    Ok(())
}

async fn run(inner: Weak<Inner>, first: (tokio_postgres::Client, Connection)) {
    let mut connected = Some(first);
    loop {
        let (client, connection) = match connected.take() {
            Some(pair) => pair,
            None => {
                let Some(config) = inner.upgrade().map(|i| i.config.clone()) else {
                    return;
                };
                match config.connect(NoTls).await {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot connect the PostgreSQL listener; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                }
            }
        };
        let (payloads, mut received) = tokio::sync::mpsc::unbounded_channel();
        let driver = tokio::spawn(drive(connection, payloads));
        let listening = client.batch_execute(&format!("LISTEN {CHANNEL}")).await;
        if listening.is_ok() && follow(&inner, &client, &mut received).await.is_none() {
            driver.abort();
            return;
        }
        driver.abort();
        if inner.strong_count() == 0 {
            return;
        }
        tracing::warn!("the PostgreSQL listener lost its connection; reconnecting");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Polls the listener's connection, passing on notification payloads, until it closes.
async fn drive(mut connection: Connection, payloads: tokio::sync::mpsc::UnboundedSender<String>) {
    while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
        match message {
            Ok(AsyncMessage::Notification(n)) => {
                if payloads.send(n.payload().to_string()).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the PostgreSQL listener connection failed");
                return;
            }
        }
    }
}

/// Handles notifications (and checks the caches every [`CHECK_EVERY`]) until the
/// connection drops (`Some`) or the store is gone (`None`).
async fn follow(
    inner: &Weak<Inner>,
    client: &tokio_postgres::Client,
    received: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
) -> Option<()> {
    // Whatever happened while no one listened.
    refresh(&store(inner)?, client).await.ok()?;
    loop {
        tokio::select! {
            payload = received.recv() => {
                let payload = payload?;
                if handle(&store(inner)?, client, &payload).await.is_err() {
                    return Some(());
                }
            }
            _ = tokio::time::sleep(CHECK_EVERY) => {
                if refresh(&store(inner)?, client).await.is_err() {
                    return Some(());
                }
            }
        }
    }
}

fn store(inner: &Weak<Inner>) -> Option<PostgresStore> {
    inner.upgrade().map(|inner| PostgresStore { inner })
}

async fn refresh(store: &PostgresStore, client: &tokio_postgres::Client) -> DbResult<()> {
    store.reload_reference(client).await?;
    store.reload_epoch(client).await
}

async fn handle(
    store: &PostgresStore,
    client: &tokio_postgres::Client,
    payload: &str,
) -> DbResult<()> {
    let Ok(note) = serde_json::from_str::<Note>(payload) else {
        tracing::warn!("an unreadable notification on channel {CHANNEL} was ignored");
        return Ok(());
    };
    match note {
        Note::Commit {
            node,
            scopes,
            departments,
        } if node != store.inner.node => {
            // No one listening on this node is fine.
            let _ = store.inner.elsewhere.send(Changed {
                scopes,
                departments,
            });
        }
        Note::Commit { .. } => {}
        Note::Reference { .. } => {
            store.reload_reference(client).await?;
        }
        Note::Epoch { .. } => store.reload_epoch(client).await?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_notes_fit_a_payload_and_carry_every_id_once() {
        let ids = |n: usize| (0..n).map(|_| Uuid::now_v7()).collect::<Vec<_>>();
        let (scopes, departments) = (ids(1000), ids(170));
        let mut repeated = scopes.clone();
        repeated.extend(&scopes[..10]);
        let notes = commit_notes(
            Uuid::now_v7(),
            Changed {
                scopes: repeated,
                departments: departments.clone(),
            },
        );
        let (mut seen_scopes, mut seen_departments) = (Vec::new(), Vec::new());
        for note in &notes {
            let payload = serde_json::to_string(note).unwrap_or_default();
            assert!(payload.len() < 8000, "{} bytes", payload.len());
            if let Note::Commit {
                scopes,
                departments,
                ..
            } = note
            {
                seen_scopes.extend(scopes);
                seen_departments.extend(departments);
            }
        }
        let sorted = |mut v: Vec<Uuid>| {
            v.sort_unstable();
            v
        };
        assert_eq!(sorted(seen_scopes), sorted(scopes));
        assert_eq!(sorted(seen_departments), sorted(departments));
        assert!(commit_notes(Uuid::nil(), Changed::default()).is_empty());
    }
}
