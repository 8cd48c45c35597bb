//! HTTP handlers, one file per resource.

pub mod blobs;
pub mod enroll;
pub mod health;
pub mod sync;
