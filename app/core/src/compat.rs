//! Workarounds for gaps in `gridwalk-shared`, each checked at run time so that the fix in
//! `shared` takes effect without a change here. Delete an item once `shared` is fixed.

use std::sync::OnceLock;

use gridwalk_shared::{
    doc,
    model::Visit,
    time::{new_id, Timestamp},
    Record, RecordKind,
};

/// Whether `shared` reads back an `Option<Timestamp>` that holds a value.
///
/// `gridwalk_shared::time::Timestamp` implements `Hydrate::hydrate` but not
/// `hydrate_timestamp`, and autosurgeon hydrates `Option<T>` through the latter, so a document
/// with `Some(timestamp)` in an optional field (a visit's `ended_at`) does not hydrate
/// ("unexpected timestamp") — on the device or on the server. While that is so, visits are
/// stored with `ended_at: None` so they stay readable everywhere.
pub(crate) fn optional_timestamps_hydrate() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| {
        let at = Timestamp::from_millis(1_700_000_000_000);
        let visit = Record::Visit(Visit {
            id: new_id(),
            grid_id: new_id(),
            household_id: new_id(),
            worker_id: new_id(),
            started_at: at,
            ended_at: Some(at),
            location: None,
            template_id: None,
            template_version: None,
            answers: Default::default(),
            notes: String::new(),
            photos: Vec::new(),
            audio: Vec::new(),
            follow_up: false,
        });
        let works = doc::create(&visit)
            .ok()
            .and_then(|d| doc::read(&d, RecordKind::Visit).ok())
            .is_some_and(|back| back == visit);
        if !works {
            tracing::warn!("gridwalk-shared cannot read optional timestamps; visits are stored without an end time");
        }
        works
    })
}
