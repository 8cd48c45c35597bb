//! Sync in the app: one background task runs `Client::sync` on start, on a timer (sooner while
//! offline), shortly after local changes, when the network returns and on demand, one run at
//! a time, and tells the UI each time its state changes (`SyncState` event), including blob
//! upload progress at most every [`PROGRESS_EVERY`] while photos and recordings are sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridwalk_client::{Client, SyncReport, UploadProgress};
use gridwalk_shared::time::Timestamp;
use serde::Serialize;
use tauri::{AppHandle, Runtime};
use tauri_specta::Event;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::error::{CommandError, CommandResult, ErrorKind};

/// Wait after a local change before syncing, so a burst of edits makes one sync.
const AFTER_CHANGE: Duration = Duration::from_millis(1500);
/// Retry interval while the server cannot be reached.
const OFFLINE_RETRY: Duration = Duration::from_secs(30);
/// Shortest time between two upload progress events.
const PROGRESS_EVERY: Duration = Duration::from_millis(300);

/// Where sync stands; sent to the UI whenever it changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, specta::Type, Event)]
pub struct SyncState {
    /// A sync is running now.
    pub running: bool,
    /// The last attempt could not reach the server.
    pub offline: bool,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<CommandError>,
    /// When the last attempt ended.
    pub last_attempt: Option<Timestamp>,
    /// What the last successful sync did.
    pub last_report: Option<SyncReport>,
    /// Photos and recordings being uploaded now (bytes sent of total); `None` when idle.
    pub upload: Option<UploadProgress>,
}

/// Why a sync starts.
pub enum Trigger {
    /// Something was written locally.
    LocalChange,
    /// The webview says the network is back.
    NetworkBack,
    /// The server says something this device sees changed (live nudge).
    Nudge,
    /// The user asked; the result goes back on the channel.
    Manual(oneshot::Sender<CommandResult<SyncReport>>),
}

/// Listens for the server's live nudges and asks for a sync on each; on any failure
/// (offline, not enrolled yet) it listens again a while later. Timers still run regardless.
async fn listen(client: Arc<Client>, tx: mpsc::UnboundedSender<Trigger>) {
    const QUIET: Duration = Duration::from_secs(300);
    loop {
        match client.wait_for_change(QUIET).await {
            Ok(true) => {
                if tx.send(Trigger::Nudge).is_err() {
                    return;
                }
            }
            Ok(false) => {}
            Err(_) => tokio::time::sleep(OFFLINE_RETRY).await,
        }
    }
}

/// Handle to the background sync task.
pub struct Syncer {
    tx: mpsc::UnboundedSender<Trigger>,
    state: Arc<Mutex<SyncState>>,
}

impl Syncer {
    /// Starts the task; it syncs at once if the device is enrolled.
    pub fn start<R: Runtime>(client: Arc<Client>, app: AppHandle<R>, every: Duration) -> Syncer {
        let (tx, rx) = mpsc::unbounded_channel();
        let state = Arc::new(Mutex::new(SyncState::default()));
        let task = Task {
            client,
            app,
            state: state.clone(),
            every,
        };
        tauri::async_runtime::spawn(listen(task.client.clone(), tx.clone()));
        tauri::async_runtime::spawn(task.run(rx));
        Syncer { tx, state }
    }

    /// Asks for a sync soon (errors only if the task is gone, which ends the app anyway).
    pub fn trigger(&self, trigger: Trigger) {
        let _ = self.tx.send(trigger);
    }

    /// Syncs now (after any running sync) and returns what it did.
    pub async fn now(&self) -> CommandResult<SyncReport> {
        let (tx, rx) = oneshot::channel();
        self.trigger(Trigger::Manual(tx));
        rx.await
            .map_err(|_| CommandError::new(ErrorKind::Internal, "sync task stopped"))?
    }

    /// The current sync state.
    pub fn state(&self) -> SyncState {
        lock(&self.state).clone()
    }
}

/// Drives `work` to its end, handing `report` the upload progress when it changed, at most
/// once per `every`: `Some` while an upload runs, `None` once it is over.
async fn with_progress<T>(
    work: impl std::future::Future<Output = T>,
    mut progress: watch::Receiver<UploadProgress>,
    every: Duration,
    mut report: impl FnMut(Option<UploadProgress>),
) -> T {
    progress.mark_unchanged();
    tokio::pin!(work);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            result = &mut work => return result,
            _ = tick.tick() => {
                if progress.has_changed().unwrap_or(false) {
                    let now = progress.borrow_and_update().clone();
                    report(now.active.then_some(now));
                }
            }
        }
    }
}

fn lock(state: &Mutex<SyncState>) -> std::sync::MutexGuard<'_, SyncState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Task<R: Runtime> {
    client: Arc<Client>,
    app: AppHandle<R>,
    state: Arc<Mutex<SyncState>>,
    every: Duration,
}

impl<R: Runtime> Task<R> {
    async fn run(self, mut rx: mpsc::UnboundedReceiver<Trigger>) {
        let mut next = Instant::now();
        loop {
            let mut waiters = Vec::new();
            let mut debounce = false;
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {}
                trigger = rx.recv() => match trigger {
                    None => return,
                    Some(Trigger::Manual(tx)) => waiters.push(tx),
                    Some(Trigger::LocalChange) => debounce = true,
                    Some(Trigger::NetworkBack | Trigger::Nudge) => {}
                },
            }
            if debounce {
                tokio::time::sleep(AFTER_CHANGE).await;
            }
            while let Ok(trigger) = rx.try_recv() {
                if let Trigger::Manual(tx) = trigger {
                    waiters.push(tx);
                }
            }
            let result = self.sync_once().await;
            let offline = matches!(&result, Err(e) if e.kind == ErrorKind::Network);
            next = Instant::now()
                + if offline {
                    OFFLINE_RETRY.min(self.every)
                } else {
                    self.every
                };
            for waiter in waiters {
                let _ = waiter.send(result.clone());
            }
        }
    }

    async fn sync_once(&self) -> CommandResult<SyncReport> {
        if self.client.account()?.is_none() {
            return Err(gridwalk_client::Error::NotEnrolled.into());
        }
        self.update(|s| s.running = true);
        let result = self.sync_with_progress().await.map_err(CommandError::from);
        let now = self.client.now();
        self.update(|s| {
            s.running = false;
            s.upload = None;
            s.last_attempt = Some(now);
            match &result {
                Ok(report) => {
                    s.offline = false;
                    s.last_error = None;
                    s.last_report = Some(report.clone());
                }
                Err(error) => {
                    s.offline = error.kind == ErrorKind::Network;
                    s.last_error = Some(error.clone());
                }
            }
        });
        result
    }

    /// Runs one sync, passing upload progress on to the UI (throttled).
    async fn sync_with_progress(&self) -> gridwalk_client::Result<SyncReport> {
        let progress = self.client.upload_progress();
        with_progress(self.client.sync(), progress, PROGRESS_EVERY, |now| {
            self.update(|s| s.upload = now)
        })
        .await
    }

    fn update(&self, change: impl FnOnce(&mut SyncState)) {
        let snapshot = {
            let mut state = lock(&self.state);
            change(&mut state);
            state.clone()
        };
        if let Err(e) = snapshot.emit(&self.app) {
            tracing::warn!("could not send the sync state to the UI: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upload that reports 1 KB every 10 ms for half a second, then ends.
    async fn upload(tx: watch::Sender<UploadProgress>) -> &'static str {
        tx.send_modify(|p| {
            p.active = true;
            p.bytes_total = 50_000;
        });
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            tx.send_modify(|p| p.bytes_sent += 1000);
        }
        tx.send_modify(|p| p.active = false);
        tokio::time::sleep(Duration::from_millis(400)).await;
        "synced"
    }

    #[tokio::test(start_paused = true)]
    async fn upload_progress_is_throttled_and_cleared_at_the_end() {
        let (tx, rx) = watch::channel(UploadProgress::default());
        let mut seen = Vec::new();
        let result = with_progress(upload(tx), rx, PROGRESS_EVERY, |p| seen.push(p)).await;
        assert_eq!(result, "synced");
        // 51 changes over ~0.5 s, at most one report per 300 ms.
        assert!((2..=4).contains(&seen.len()), "{seen:?}");
        let sent: Vec<u64> = seen.iter().flatten().map(|p| p.bytes_sent).collect();
        assert!(sent.windows(2).all(|w| w[0] < w[1]), "{sent:?}");
        assert!(sent.iter().all(|b| *b <= 50_000));
        assert_eq!(seen.last(), Some(&None), "the end of the upload clears it");
    }
}
