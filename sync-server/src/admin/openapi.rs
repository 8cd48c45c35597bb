//! `GET /api/openapi.json`: the OpenAPI 3.1 document, generated from the operations the
//! router serves (see `api.rs`) and the Rust types of their bodies (see `schema.rs`).

use axum::Json;
use gridwalk_shared::wire::ErrorBody;
use serde_json::{json, Map, Value};

use super::api::{Body, Doc, Operation, Reply};
use super::schema::{self, Catalogue, Schema};
use crate::store::AdminStore;

/// Documentation of this endpoint.
pub const DOC: Doc = Doc {
    id: "openapi",
    summary: "This OpenAPI document",
    tag: "meta",
    public: true,
    query: &[],
    body: None,
    reply: Reply::Document,
};

/// Serves the document.
pub async fn serve<S: AdminStore>() -> Json<Value> {
    Json(document(&super::operations::<S>()))
}

/// The error body every failure carries.
const ERROR: Schema = schema::of::<ErrorBody>();

/// Every type the operations' bodies use (and the error body).
pub fn catalogue(ops: &[Operation]) -> Catalogue {
    let bodies = ops.iter().flat_map(|op| {
        let body = match op.doc.body {
            Some(Body::Json(schema)) => Some(schema),
            _ => None,
        };
        let reply = match op.doc.reply {
            Reply::Json(schema) => Some(schema),
            _ => None,
        };
        body.into_iter().chain(reply)
    });
    Catalogue::new(bodies.chain([ERROR]))
}

fn error(types: &mut Catalogue, description: &str) -> Value {
    json!({ "description": description,
            "content": { "application/json": { "schema": types.schema(ERROR) } } })
}

fn operation(types: &mut Catalogue, op: &Operation) -> Value {
    let doc = &op.doc;
    let mut parameters: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    parameters.extend(doc.query.iter().map(|(name, description)| {
        json!({ "name": name, "in": "query", "required": false,
                "description": description, "schema": { "type": "string" } })
    }));
    let ok = match doc.reply {
        Reply::Json(schema) => json!({ "200": { "description": "OK",
            "content": { "application/json": { "schema": types.schema(schema) } } } }),
        Reply::Document => json!({ "200": { "description": "This document",
            "content": { "application/json": { "schema": { "type": "object" } } } } }),
        Reply::File => json!({ "200": { "description": "The file",
            "content": {
                "text/csv": { "schema": { "type": "string" } },
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                    { "schema": { "type": "string", "format": "binary" } } } } }),
        Reply::Media => json!({
            "200": { "description": "The bytes, typed by their content (photos, audio notes)",
                "content": {
                    "image/*": { "schema": { "type": "string", "format": "binary" } },
                    "audio/*": { "schema": { "type": "string", "format": "binary" } } } },
            "206": { "description": "The bytes of the one `Range` asked for" },
            "404": { "description": "Not uploaded yet (blob_missing) or no thumbnail (no_thumbnail)",
                "content": { "application/json": { "schema": types.schema(ERROR) } } } }),
        Reply::Empty => json!({ "204": { "description": "Done" } }),
        Reply::Events => {
            json!({ "200": { "description": "Server-sent events: `changed` whenever something you see changed",
            "content": { "text/event-stream": { "schema": { "type": "string" } } } },
            "503": { "description": "Too many live streams are open (too_many_streams)" } })
        }
    };
    let mut responses = ok.as_object().cloned().unwrap_or_default();
    responses.insert("400".into(), error(types, "Malformed or invalid request"));
    if !doc.public {
        responses.insert(
            "401".into(),
            error(types, "Not signed in, or an unknown or revoked API token"),
        );
        responses.insert(
            "403".into(),
            error(types, "Outside your role or scope, or a missing CSRF token"),
        );
    }
    let mut out = json!({
        "operationId": doc.id,
        "summary": doc.summary,
        "tags": [doc.tag],
        "parameters": parameters,
        "responses": responses,
    });
    if doc.public {
        out["security"] = json!([]);
    }
    match doc.body {
        Some(Body::Json(schema)) => {
            out["requestBody"] = json!({ "required": true,
                "content": { "application/json": { "schema": types.schema(schema) } } });
        }
        Some(Body::Upload) => {
            out["requestBody"] = json!({ "required": true, "content": {
                "text/csv": { "schema": { "type": "string" } },
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                    { "schema": { "type": "string", "format": "binary" } } } });
        }
        Some(Body::File(media_type)) => {
            out["requestBody"] = json!({ "required": true, "content": {
                media_type: { "schema": { "type": "string", "format": "binary" } } } });
        }
        None => {}
    }
    out
}

/// The whole document for `ops`; a type that could not be described is logged and
/// documented as any value.
pub fn document(ops: &[Operation]) -> Value {
    let (document, problems) = document_and_problems(ops);
    for problem in problems {
        tracing::error!(%problem, "admin API type left undescribed in /api/openapi.json");
    }
    document
}

/// The document for `ops`, and what could not be described.
pub fn document_and_problems(ops: &[Operation]) -> (Value, Vec<String>) {
    let mut types = catalogue(ops);
    let mut paths = Map::new();
    for op in ops {
        let item = paths.entry(op.path).or_insert_with(|| json!({}));
        item[op.method.as_str().to_ascii_lowercase()] = operation(&mut types, op);
    }
    let document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Gridwalk admin API (网格通管理接口)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Browsers sign in with POST /api/session; the answer sets an HttpOnly \
                session cookie and carries a CSRF token to send as X-CSRF-Token on every POST, \
                PUT and DELETE. Other systems send an API token instead, as \
                `Authorization: Bearer TOKEN` (issued with `gridwalk-server api-token`; no CSRF \
                token needed). Either way the call acts as that user: it is checked against \
                their role and scope and every change is audited. Errors are {code, message}."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "session": [] }, { "token": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": super::caller::COOKIE },
                "token": { "type": "http", "scheme": "bearer" }
            },
            "schemas": types.components()
        }
    });
    (document, types.problems())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_admin_type_is_described() {
        let ops = super::super::operations::<gridwalk_store_sqlite::SqliteStore>();
        let (document, problems) = super::document_and_problems(&ops);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(document["components"]["schemas"]["QueueItem"].is_object());
    }
}
