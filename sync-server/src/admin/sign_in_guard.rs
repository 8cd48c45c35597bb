//! What a sign-in may cost (docs/protocol.md, "Limits"): argon2 verifications run at most
//! [`ARGON2_SLOTS`] at once, so a flood of sign-ins cannot take the cores from sync; and each
//! client address has a budget of sign-in attempts that did not succeed (a token bucket), so
//! guesses from one address (an IPv6 /64), known logins or not, cannot flood the audit log.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::AppError;

/// argon2 verifications at once.
pub const ARGON2_SLOTS: usize = 2;
/// How long a sign-in waits for a verification slot before it is answered 503.
pub const SLOT_WAIT: Duration = Duration::from_secs(5);
/// Unsuccessful sign-ins an address may make at once.
pub const ADDRESS_BURST: f64 = 10.0;
/// An address earns one attempt back this often.
pub const ADDRESS_REFILL: Duration = Duration::from_secs(6);
/// Addresses remembered before the ones whose budget is full again are forgotten.
const ADDRESSES_KEPT: usize = 10_000;

/// The sign-in limits of one server.
pub struct SignInGuard {
    slots: Semaphore,
    addresses: Mutex<HashMap<String, Bucket>>,
}

impl Default for SignInGuard {
    fn default() -> Self {
        Self {
            slots: Semaphore::new(ARGON2_SLOTS),
            addresses: Mutex::new(HashMap::new()),
        }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let earned =
            now.saturating_duration_since(self.at).as_secs_f64() / ADDRESS_REFILL.as_secs_f64();
        self.tokens = (self.tokens + earned).min(ADDRESS_BURST);
        self.at = now;
    }
}

/// The budget an address draws on: its own for IPv4, its /64 network for IPv6 (one host
/// usually holds a whole /64).
fn client(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        _ => address.to_string(),
    }
}

impl SignInGuard {
    /// Takes one attempt from `address`'s budget at `now` (given back by [`Self::refund`] when
    /// the sign-in succeeds); `Err(wait)` when it must first wait that long.
    pub fn take(&self, address: &str, now: Instant) -> Result<(), Duration> {
        let mut addresses = self
            .addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if addresses.len() >= ADDRESSES_KEPT {
            addresses.retain(|_, b| {
                b.refill(now);
                b.tokens < ADDRESS_BURST
            });
            if addresses.len() >= ADDRESSES_KEPT {
                // Memory stays bounded under a flood from very many addresses; the accounts'
                // own lock-out still holds meanwhile.
                addresses.clear();
            }
        }
        let bucket = addresses.entry(client(address)).or_insert(Bucket {
            tokens: ADDRESS_BURST,
            at: now,
        });
        bucket.refill(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(ADDRESS_REFILL.mul_f64(1.0 - bucket.tokens))
        }
    }

    /// Gives back the attempt taken for a sign-in that succeeded or was never tried.
    pub fn refund(&self, address: &str) {
        let mut addresses = self
            .addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = addresses.get_mut(&client(address)) {
            bucket.tokens = (bucket.tokens + 1.0).min(ADDRESS_BURST);
        }
    }

    /// A verification slot, waiting at most [`SLOT_WAIT`]; 503 `sign_in_busy` after that.
    pub async fn slot(&self) -> Result<SemaphorePermit<'_>, AppError> {
        match tokio::time::timeout(SLOT_WAIT, self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "sign_in_busy",
                "too many sign-ins at once: try again in a moment",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_has_a_burst_then_earns_attempts_back() {
        let guard = SignInGuard::default();
        let start = Instant::now();
        for _ in 0..ADDRESS_BURST as usize {
            assert_eq!(guard.take("10.0.0.1", start), Ok(()));
        }
        assert_eq!(guard.take("10.0.0.1", start), Err(ADDRESS_REFILL));
        assert_eq!(guard.take("10.0.0.2", start), Ok(()), "others unaffected");
        guard.refund("10.0.0.1");
        assert_eq!(
            guard.take("10.0.0.1", start),
            Ok(()),
            "a refund is one more"
        );
        assert!(guard.take("10.0.0.1", start).is_err());
        assert_eq!(guard.take("10.0.0.1", start + ADDRESS_REFILL), Ok(()));
        assert!(guard.take("10.0.0.1", start + ADDRESS_REFILL).is_err());
    }

    #[test]
    fn an_ipv6_host_draws_on_its_64_network() {
        let guard = SignInGuard::default();
        let start = Instant::now();
        for i in 0..ADDRESS_BURST as usize {
            assert_eq!(guard.take(&format!("2001:db8:1:2::{i:x}"), start), Ok(()));
        }
        assert!(guard.take("2001:db8:1:2:ffff::1", start).is_err());
        assert_eq!(guard.take("2001:db8:1:3::1", start), Ok(()));
        assert_eq!(client("::ffff:10.0.0.1"), "10.0.0.1");
    }

    #[tokio::test]
    async fn verifications_wait_for_a_slot() {
        let guard = SignInGuard::default();
        let mut held = Vec::new();
        for _ in 0..ARGON2_SLOTS {
            held.push(guard.slot().await.map_err(|e| e.message).unwrap());
        }
        assert!(guard.slots.try_acquire().is_err(), "all slots taken");
        drop(held);
        assert!(guard.slot().await.is_ok());
    }
}
