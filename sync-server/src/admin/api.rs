//! The admin API's routes, registered together with their documentation so the router and
//! `/api/openapi.json` cannot drift apart: every route added here is documented, and the
//! document lists nothing else.

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{self, MethodRouter};
use axum::Router;

use super::schema::{self, Schema};
use super::{
    assessment, audit, campaign_progress, campaigns, coverage, dashboard, devices, due_visits,
    evidence, export, geometry, households, incident_map, notices, openapi, org, photos, queue,
    records, reference, regrid, service_queue, session, tile_packages, tile_sources, tracks, users,
    visit_rules,
};
use crate::app::AppState;
use crate::store::AdminStore;

/// A request body.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// JSON of a Rust type (see [`Body::json`]).
    Json(Schema),
    /// A CSV or XLSX file, sent as the raw body.
    Upload,
    /// A binary file of this media type, sent as the raw body (streamed, no size limit
    /// but the handler's own).
    File(&'static str),
}

/// A successful answer.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    /// JSON of a Rust type (see [`Reply::json`]).
    Json(Schema),
    /// This OpenAPI document.
    Document,
    /// A file (CSV or XLSX).
    File,
    /// A photo or audio note, with its media type.
    Media,
    /// 204, no body.
    Empty,
    /// A `text/event-stream` of `changed` nudges.
    Events,
}

impl Body {
    /// JSON of `T`.
    pub const fn json<T: specta::Type>() -> Self {
        Body::Json(schema::of::<T>())
    }
}

impl Reply {
    /// JSON of `T`.
    pub const fn json<T: specta::Type>() -> Self {
        Reply::Json(schema::of::<T>())
    }
}

/// Documentation of one operation.
#[derive(Debug, Clone, Copy)]
pub struct Doc {
    /// `operationId`.
    pub id: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Group in the document.
    pub tag: &'static str,
    /// Whether anonymous callers may use it.
    pub public: bool,
    /// Query parameters: (name, description).
    pub query: &'static [(&'static str, &'static str)],
    /// Request body.
    pub body: Option<Body>,
    /// Answer.
    pub reply: Reply,
}

/// One served operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// HTTP method.
    pub method: Method,
    /// Path, with `{name}` parameters.
    pub path: &'static str,
    /// Documentation.
    pub doc: Doc,
}

/// Largest household import accepted.
const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

struct Book<S: AdminStore> {
    router: Router<AppState<S>>,
    ops: Vec<Operation>,
}

impl<S: AdminStore> Book<S> {
    fn route(
        mut self,
        method: Method,
        path: &'static str,
        doc: Doc,
        mr: MethodRouter<AppState<S>>,
    ) -> Self {
        self.router = self.router.route(path, mr);
        self.ops.push(Operation { method, path, doc });
        self
    }

    fn get<H: Handler<T, AppState<S>>, T: 'static>(
        self,
        path: &'static str,
        doc: Doc,
        h: H,
    ) -> Self {
        self.route(Method::GET, path, doc, routing::get(h))
    }

    fn post<H: Handler<T, AppState<S>>, T: 'static>(
        self,
        path: &'static str,
        doc: Doc,
        h: H,
    ) -> Self {
        self.route(Method::POST, path, doc, routing::post(h))
    }

    fn put<H: Handler<T, AppState<S>>, T: 'static>(
        self,
        path: &'static str,
        doc: Doc,
        h: H,
    ) -> Self {
        self.route(Method::PUT, path, doc, routing::put(h))
    }

    fn delete<H: Handler<T, AppState<S>>, T: 'static>(
        self,
        path: &'static str,
        doc: Doc,
        h: H,
    ) -> Self {
        self.route(Method::DELETE, path, doc, routing::delete(h))
    }

    /// A PUT whose body the handler streams and limits itself (large files).
    fn put_stream<H: Handler<T, AppState<S>>, T: 'static>(
        self,
        path: &'static str,
        doc: Doc,
        h: H,
    ) -> Self {
        let mr = routing::put(h).layer(DefaultBodyLimit::disable());
        self.route(Method::PUT, path, doc, mr)
    }

    fn upload<H: Handler<T, AppState<S>>, T: 'static>(
        self,
        path: &'static str,
        doc: Doc,
        h: H,
    ) -> Self {
        let mr = routing::post(h).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES));
        self.route(Method::POST, path, doc, mr)
    }
}

/// The API router and the operations it serves.
pub fn routes<S: AdminStore>() -> (Router<AppState<S>>, Vec<Operation>) {
    let book = Book {
        router: Router::new(),
        ops: Vec::new(),
    }
    .get("/api/openapi.json", openapi::DOC, openapi::serve::<S>)
    .post("/api/session", session::SIGN_IN, session::sign_in::<S>)
    .get("/api/session", session::CURRENT, session::current)
    .delete("/api/session", session::SIGN_OUT, session::sign_out::<S>)
    .get("/api/org", org::TREE, org::tree)
    .post("/api/org/units", org::ADD_UNIT, org::add_unit::<S>)
    .post(
        "/api/org/buildings",
        org::ADD_BUILDING,
        org::add_building::<S>,
    )
    .post(
        "/api/org/buildings/{id}/grid",
        regrid::MOVE,
        regrid::move_building::<S>,
    )
    .put("/api/org/geometry", geometry::PUT, geometry::put::<S>)
    .get("/api/households", households::LIST, households::list::<S>)
    .upload(
        "/api/households/import",
        households::IMPORT,
        households::import::<S>,
    )
    .get("/api/users", users::LIST, users::list)
    .post("/api/users", users::CREATE, users::create::<S>)
    .put(
        "/api/users/{id}/password",
        users::PASSWORD,
        users::set_password::<S>,
    )
    .post(
        "/api/users/{id}/enroll-codes",
        devices::ISSUE_CODE,
        devices::issue_code::<S>,
    )
    .get("/api/devices", devices::LIST, devices::list::<S>)
    .post(
        "/api/devices/{id}/revoke",
        devices::REVOKE,
        devices::revoke::<S>,
    )
    .get("/api/reference", reference::GET, reference::get)
    .put(
        "/api/reference/categories",
        reference::CATEGORIES,
        reference::put_categories::<S>,
    )
    .put(
        "/api/reference/routing",
        reference::ROUTING,
        reference::put_routing::<S>,
    )
    .put(
        "/api/reference/services",
        reference::SERVICES,
        reference::put_services::<S>,
    )
    .put(
        "/api/reference/calendar",
        reference::CALENDAR,
        reference::put_calendar::<S>,
    )
    .put(
        "/api/reference/visit-rules",
        visit_rules::PUT,
        visit_rules::put::<S>,
    )
    .put_stream(
        "/api/tile-packages/{unit}",
        tile_packages::PUT,
        tile_packages::put::<S>,
    )
    .put(
        "/api/reference/tile-source",
        tile_sources::PUT,
        tile_sources::put::<S>,
    )
    .delete(
        "/api/reference/tile-source/{unit}",
        tile_sources::DELETE,
        tile_sources::delete::<S>,
    )
    .put(
        "/api/reference/visit-check",
        visit_rules::PUT_CHECK,
        visit_rules::put_check::<S>,
    )
    .post(
        "/api/checklists/{id}/versions",
        reference::CHECKLIST,
        reference::new_checklist_version::<S>,
    )
    .get("/api/campaigns", campaigns::LIST, campaigns::list::<S>)
    .post("/api/campaigns", campaigns::CREATE, campaigns::create::<S>)
    .get(
        "/api/campaigns/{id}",
        campaign_progress::PROGRESS,
        campaign_progress::get::<S>,
    )
    .get(
        "/api/campaigns/{id}/census",
        campaign_progress::CENSUS,
        campaign_progress::census::<S>,
    )
    .get(
        "/api/campaigns/{id}/export",
        campaign_progress::EXPORT,
        campaign_progress::export::<S>,
    )
    .get("/api/dashboard", dashboard::DOC, dashboard::dashboard::<S>)
    .get(
        "/api/patrols",
        assessment::PATROLS,
        assessment::patrols::<S>,
    )
    .get(
        "/api/handover",
        assessment::HANDOVER,
        assessment::handover::<S>,
    )
    .get("/api/scores", assessment::SCORES, assessment::scores::<S>)
    .get("/api/visits/due", due_visits::DOC, due_visits::list::<S>)
    .get(
        "/api/visits/coverage",
        coverage::DOC,
        coverage::coverage::<S>,
    )
    .get("/api/tracks", tracks::DOC, tracks::get::<S>)
    .get(
        "/api/incidents/map",
        incident_map::DOC,
        incident_map::list::<S>,
    )
    .put(
        "/api/reference/assessment",
        assessment::PUT_RULES,
        assessment::put_rules::<S>,
    )
    .get("/api/exports/{kind}", export::DOC, export::export::<S>)
    .get("/api/audit", audit::DOC, audit::search::<S>)
    .get("/api/records", records::DOC, records::list::<S>)
    .get("/api/queue", queue::LIST, queue::list::<S>)
    .get("/api/events", queue::EVENTS, queue::events::<S>)
    .post("/api/incidents/{id}/events", queue::ACT, queue::act::<S>)
    .post(
        "/api/services/{id}/events",
        service_queue::ACT,
        service_queue::act::<S>,
    )
    .post("/api/notices", notices::SEND, notices::send::<S>)
    .get("/api/notices", notices::LIST, notices::list::<S>)
    .get(
        "/api/notices/{id}",
        notices::RECEIPTS,
        notices::receipts::<S>,
    )
    .upload("/api/photos", photos::UPLOAD, photos::upload::<S>)
    .upload(
        "/api/documents",
        photos::DOCUMENT,
        photos::upload_document::<S>,
    )
    .get(
        "/api/blobs/missing",
        evidence::MISSING,
        evidence::missing::<S>,
    )
    .get(
        "/api/blobs/{sha256}",
        evidence::DOWNLOAD,
        evidence::download::<S>,
    );
    (book.router, book.ops)
}
