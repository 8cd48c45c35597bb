//! # gridwalk-shared
//!
//! The domain of Gridwalk, shared by the device core and the sync server, with no I/O:
//!
//! - [`model`]: reference data (org tree, users, catalogues) and the field records that live in
//!   Automerge documents, one document per record;
//! - [`doc`]: the one mapping between a [`Record`] and its document;
//! - [`workflow`]: state machines folded from a record's append-only event list;
//! - [`calendar`]: working days, holidays and make-up workdays, for due times;
//! - [`geometry`]: distances, and grid boundaries as closed rings (check, contains);
//! - [`schedule`]: when a household's next visit is due, by its key-person tags;
//! - [`validate`]: schema, scope, role and workflow checks used by client and server alike;
//! - [`visit_check`]: the plain authenticity check of a visit (distance, fix, time);
//! - [`wire`]: the batched sync protocol's bodies;
//! - [`media`]: blob hashes, size limit and media types sniffed from magic bytes.
//!
//! ```
//! use gridwalk_shared::{doc, model::*, time::Timestamp, workflow};
//! let reporter = uuid::Uuid::now_v7();
//! let incident = Incident {
//!     id: uuid::Uuid::now_v7(),
//!     grid_id: uuid::Uuid::now_v7(),
//!     category: "env.garbage".into(),
//!     description: "楼道堆放杂物".into(),
//!     location: None,
//!     photos: vec![],
//!     audio: vec![],
//!     reporter_id: reporter,
//!     events: vec![IncidentEvent {
//!         id: uuid::Uuid::now_v7(),
//!         at: Timestamp::from_millis(1_700_000_000_000),
//!         by: reporter,
//!         action: IncidentAction::Report,
//!         note: String::new(),
//!         photos: vec![],
//!         location: None,
//!     }],
//!     received: Default::default(),
//! };
//! let document = doc::create(&Record::Incident(incident.clone())).unwrap();
//! let back = doc::read(&document, RecordKind::Incident).unwrap();
//! assert_eq!(back, Record::Incident(incident.clone()));
//! let state = workflow::fold_incident(&incident.events);
//! assert_eq!(state.status, workflow::IncidentStatus::Reported);
//! ```

pub mod calendar;
pub mod coords;
pub mod doc;
pub mod geometry;
pub mod handover;
pub mod media;
pub mod model;
pub mod natural;
pub mod patrol_week;
pub mod schedule;
pub mod scores;
pub mod tiles;
pub mod time;
pub mod track;
pub mod validate;
pub mod visit_check;
pub mod wire;
pub mod workflow;

pub use model::{Record, RecordKind};
pub use validate::ValidationError;
