//! Devices catching up after a restore from backup: a device whose cursor belongs to a past
//! epoch of this deployment re-sends everything it holds over its next rounds, and for a
//! while its uploads are checked with [`validate_recovered`] (events in other names — the
//! server's, a department's — are checked as their authors', since the server may have lost
//! them). The window is kept with the device in the store ([`DeviceAuth::recovery_opened`]),
//! so every server node sees it whichever node the device's rounds land on.
//!
//! [`validate_recovered`]: gridwalk_shared::validate::validate_recovered

use crate::store::{DeviceAuth, Store, StoreResult};

/// How long after its first round from a past epoch a device may re-send, ms.
pub const WINDOW_MS: i64 = 24 * 3600 * 1000;

/// Whether `device`'s uploads this round are re-sends after a restore: its window opens (in
/// the store) on its first round from a past epoch and stays open for [`WINDOW_MS`].
pub async fn recovering<S: Store>(
    store: &S,
    device: &DeviceAuth,
    from_past_epoch: bool,
    now_ms: i64,
) -> StoreResult<bool> {
    let open = |opened: Option<i64>| opened.is_some_and(|at| now_ms.saturating_sub(at) < WINDOW_MS);
    if open(device.recovery_opened) {
        return Ok(true);
    }
    if !from_past_epoch {
        return Ok(false);
    }
    store.open_recovery(device.device_id, now_ms).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_a_day() {
        assert_eq!(WINDOW_MS, 86_400_000);
    }
}
