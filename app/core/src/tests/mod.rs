//! Unit tests against real SQLite files in temporary directories. `fixture` builds reference
//! data and signed-in clients; `server` is a small in-memory implementation of the sync
//! protocol so rounds can be driven without a network.

mod desk;
mod edits;
mod fixture;
mod http;
mod screens;
mod server;
mod store;
mod sync;
