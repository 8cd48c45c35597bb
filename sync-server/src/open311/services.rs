//! Discovery and the service list: one Open311 service per incident category (zh-CN names,
//! the category's group as `group`), all `realtime` and without extra attributes.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use gridwalk_shared::model::IncidentCategory;
use serde_json::{json, Value};

use super::format::{Format, Reply};
use super::{parse_file, Failure};
use crate::app::AppState;
use crate::store::Store;

/// When this set of endpoints last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-12-02T00:00:00+08:00";

/// The discovery document; the endpoint's URL is built from the request's `Host` (and
/// `X-Forwarded-Proto`, behind a proxy).
pub fn discovery(format: Format, headers: &HeaderMap) -> Reply {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let host = header("host").unwrap_or("localhost");
    let scheme = header("x-forwarded-proto").unwrap_or("http");
    let body = json!({
        "changeset": CHANGESET,
        "contact": "网格通 (Gridwalk) — the deployment's administrator issues API keys",
        "key_service": "Ask the administrator for a key (gridwalk-server open311-key)",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": format!("{scheme}://{host}/open311/v2"),
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    });
    Reply::ok(format, "discovery", body)
}

fn service(category: &IncidentCategory) -> Value {
    json!({
        "service_code": category.code,
        "service_name": category.name,
        "description": format!("{} · {}", category.group, category.name),
        "metadata": false,
        "type": "realtime",
        "keywords": category.group,
        "group": category.group,
    })
}

/// `GET services.{json,xml}`.
pub fn list<S: Store>(store: &S, format: Format) -> Reply {
    let reference = store.reference();
    let services: Vec<Value> = reference.categories.iter().map(service).collect();
    Reply::ok(format, "services", Value::Array(services))
}

/// `GET services/{code}.{json,xml}`: the definition of a service (no extra attributes).
pub async fn definition<S: Store>(
    State(state): State<AppState<S>>,
    Path(file): Path<String>,
) -> Result<Reply, Failure> {
    let (code, format) = parse_file(&file)?;
    let reference = state.store.reference();
    let category = reference
        .category(code)
        .ok_or_else(|| Failure::not_found(format, format!("service_code `{code}` not found")))?;
    let body = json!({ "service_code": category.code, "attributes": [] });
    Ok(Reply::ok(format, "service_definition", body))
}
