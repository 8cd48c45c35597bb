//! The commands the UI calls, one file per screen area. Each is a short adapter over
//! `gridwalk_client::Client` returning a typed [`CommandError`](crate::error::CommandError).

pub mod account;
pub mod campaign;
pub mod desk;
pub mod grid;
pub mod home;
pub mod map;
pub mod media;
pub mod notices;
pub mod patrol;
pub mod report;
pub mod settings;
pub mod sync;
pub mod visit;
pub mod worklog;
