//! Open311 GeoReport v2 at `/open311/v2/` (docs/open311.md), for city platforms and other
//! apps: discovery and the service list (incident categories) are public; listing and filing
//! requests need an `api_key` from `gridwalk-server open311-key`, bound to an org unit. A
//! filed request becomes an incident created by the server in its own name and routed like
//! any other. Mounted beside `/api/`, not in its route book.

mod create;
mod format;
pub mod keys;
mod requests;
mod services;

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use std::collections::HashMap;

use crate::app::AppState;
use crate::store::{AdminStore, Open311Key, Open311Store};
use format::{Format, Reply};

/// Largest request body (a form-encoded report; descriptions are at most 4,000 characters).
const MAX_BODY: usize = 32 * 1024;

/// The Open311 routes.
pub fn router<S: AdminStore + Open311Store>() -> Router<AppState<S>> {
    Router::new()
        .route(
            "/open311/v2/{file}",
            get(top::<S>).post(create::create::<S>),
        )
        .route(
            "/open311/v2/services/{file}",
            get(services::definition::<S>),
        )
        .route("/open311/v2/requests/{file}", get(requests::one::<S>))
        .route("/open311/v2/tokens/{file}", get(requests::token::<S>))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// A refusal as an Open311 error body (`[{"code": 400, "description": "…"}]`).
#[derive(Debug)]
pub struct Failure {
    format: Format,
    status: StatusCode,
    description: String,
}

impl Failure {
    /// A refusal with `status`.
    pub fn new(format: Format, status: StatusCode, description: impl Into<String>) -> Failure {
        Failure {
            format,
            status,
            description: description.into(),
        }
    }

    /// 400: a missing or malformed argument.
    pub fn bad(format: Format, description: impl Into<String>) -> Failure {
        Self::new(format, StatusCode::BAD_REQUEST, description)
    }

    /// 404: no such thing (or not within the key's area).
    pub fn not_found(format: Format, description: impl Into<String>) -> Failure {
        Self::new(format, StatusCode::NOT_FOUND, description)
    }

    /// 500: the store failed (logged).
    pub fn internal(format: Format, error: impl std::fmt::Display) -> Failure {
        tracing::error!("open311: {error}");
        Self::new(
            format,
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not answer; try again later",
        )
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = json!([{ "code": self.status.as_u16(), "description": self.description }]);
        Reply {
            format: self.format,
            status: self.status,
            root: "errors",
            value: body,
        }
        .into_response()
    }
}

/// `name.json` / `name.xml`, or a 404 in JSON.
fn parse_file(file: &str) -> Result<(&str, Format), Failure> {
    format::split(file).ok_or_else(|| {
        Failure::not_found(Format::Json, "no such resource; paths end in .json or .xml")
    })
}

/// The live key in `api_key`, or a 403.
async fn key_of<S: Open311Store>(
    store: &S,
    format: Format,
    api_key: Option<&str>,
) -> Result<Open311Key, Failure> {
    let forbidden = |why: &str| Failure::new(format, StatusCode::FORBIDDEN, why);
    let api_key = api_key
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| forbidden("api_key is required"))?;
    store
        .open311_key(crate::auth::sha256_hex(api_key.as_bytes()))
        .await
        .map_err(|e| Failure::internal(format, e))?
        .ok_or_else(|| forbidden("api_key is unknown or revoked"))
}

/// `GET /open311/v2/{discovery,services,requests}.{json,xml}`.
async fn top<S: AdminStore + Open311Store>(
    State(state): State<AppState<S>>,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Reply, Failure> {
    let (name, format) = parse_file(&file)?;
    match name {
        "discovery" => Ok(services::discovery(format, &headers)),
        "services" => Ok(services::list(&state.store, format)),
        "requests" => requests::list(&state.store, format, &query).await,
        _ => Err(Failure::not_found(format, format!("no resource `{name}`"))),
    }
}
