//! The admin endpoint: a JSON API under `/api/` (described by `/api/openapi.json`) behind
//! the admin web served at `/admin`. Sign-in with argon2id passwords and HttpOnly session
//! cookies, CSRF tokens on state-changing requests, lock-out after repeated failures, every
//! action in an append-only audit log, and every read and write checked against the
//! caller's role and scope.

mod api;
mod assessment;
mod audit;
#[cfg(test)]
mod bindings;
mod caller;
mod campaign_progress;
mod campaigns;
mod coverage;
mod dashboard;
pub mod demo;
mod devices;
mod due_visits;
mod evidence;
mod export;
mod geometry;
mod households;
mod incident_map;
// Public as the entry point of the `household_import` fuzz target (docs/fuzzing.md).
pub mod import;
mod json;
mod notice_receipts;
mod notices;
mod openapi;
mod org;
pub mod password;
mod photos;
mod queue;
mod records;
mod reference;
mod regrid;
mod schema;
mod service_queue;
mod session;
pub mod sign_in_guard;
mod tile_packages;
mod tile_sources;
mod tracks;
mod users;
mod visit_rules;
mod web;
mod workflow_write;

use std::path::PathBuf;

use axum::Router;

use crate::app::AppState;
use crate::store::AdminStore;

pub use api::Operation;
pub use caller::Caller;

/// Settings of the admin endpoint.
pub struct AdminConfig {
    /// Folder with the built admin UI (`ui/dist/admin`); `None`: a "not built" page.
    pub ui_dir: Option<PathBuf>,
    /// Failed sign-ins in a row that lock an account.
    pub lock_after: u32,
    /// Minutes an account stays locked.
    pub lock_minutes: i64,
    /// Hours a session lasts.
    pub session_hours: i64,
    /// Whether cookies always carry `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
    /// Whether `X-Forwarded-Proto: https` (from a trusted TLS proxy) makes cookies `Secure`.
    pub trust_forwarded_proto: bool,
    /// argon2 slots and per-address budgets of sign-ins.
    pub sign_in: sign_in_guard::SignInGuard,
    /// Serialises read-modify-write edits of the reference data.
    pub reference_edit: tokio::sync::Mutex<()>,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            ui_dir: web::default_ui_dir(),
            lock_after: 5,
            lock_minutes: 15,
            session_hours: 12,
            secure_cookies: false,
            trust_forwarded_proto: false,
            sign_in: sign_in_guard::SignInGuard::default(),
            reference_edit: tokio::sync::Mutex::new(()),
        }
    }
}

impl AdminConfig {
    /// Whether cookies set in answer to a request with `headers` carry `Secure`: always with
    /// `secure_cookies`, else when a trusted proxy says the request came over HTTPS.
    pub fn cookies_secure(&self, headers: &axum::http::HeaderMap) -> bool {
        self.secure_cookies
            || (self.trust_forwarded_proto
                && headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("https")))
    }
}

/// The `/api/...` routes and the `/admin` web.
pub fn router<S: AdminStore>() -> Router<AppState<S>> {
    let (api, _) = api::routes::<S>();
    api.merge(web::router())
}

/// Every operation the API serves, as documented in `/api/openapi.json`.
pub fn operations<S: AdminStore>() -> Vec<Operation> {
    api::routes::<S>().1
}

/// The OpenAPI 3.1 document of the admin API.
pub fn openapi_document<S: AdminStore>() -> serde_json::Value {
    openapi::document(&operations::<S>())
}
