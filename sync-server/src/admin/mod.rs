//! The admin endpoint: a JSON API under `/api/` (described by `/api/openapi.json`) behind
//! the admin web served at `/admin`. Sign-in with argon2id passwords and HttpOnly session
//! cookies, CSRF tokens on state-changing requests, lock-out after repeated failures, every
//! action in an append-only audit log, and every read and write checked against the
//! caller's role and scope.

mod api;
mod audit;
mod caller;
mod dashboard;
pub mod demo;
mod devices;
mod evidence;
mod export;
mod households;
mod import;
mod json;
mod openapi;
mod openapi_schemas;
mod org;
pub mod password;
mod queue;
mod records;
mod reference;
mod session;
mod users;
mod web;

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
    /// Whether cookies carry `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
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
            reference_edit: tokio::sync::Mutex::new(()),
        }
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

/// The OpenAPI 3 document of the admin API.
pub fn openapi_document<S: AdminStore>() -> serde_json::Value {
    openapi::document(&operations::<S>())
}
