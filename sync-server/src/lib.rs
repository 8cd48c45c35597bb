//! # gridwalk-server
//!
//! The Gridwalk sync server: batched change-log sync over HTTP (see `docs/protocol.md`),
//! device enrolment, and server-authoritative reference data, over a [`store::Store`]
//! (embedded SQLite by default).

pub mod admin;
pub mod app;
pub mod auth;
pub mod backup;
pub mod blobs;
pub mod error;
pub mod http_limits;
pub mod live;
pub mod location;
pub mod metrics;
pub mod migrate;
pub mod open311;
pub mod populate;
pub mod regrid;
pub mod routes;
pub mod seed;
pub mod sync;
pub mod tiles;

/// The storage contract (re-exported: `crate::store::Store` and the rest).
pub use gridwalk_store as store;
