//! Event order and accounted times, shared by the incident and service-request loops: every
//! replica folds events in (device time, id) order; deadlines and on-time figures count each
//! event at its device time unless the server's receipt time shows the clock was off.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::model::{IncidentEvent, ServiceEvent};
use crate::time::Timestamp;

/// An entry of a workflow event list: its id and the device time it was made at.
pub trait TimedEvent {
    /// The event's id.
    fn id(&self) -> Uuid;
    /// The device time.
    fn at(&self) -> Timestamp;
}

impl TimedEvent for IncidentEvent {
    fn id(&self) -> Uuid {
        self.id
    }
    fn at(&self) -> Timestamp {
        self.at
    }
}

impl TimedEvent for ServiceEvent {
    fn id(&self) -> Uuid {
        self.id
    }
    fn at(&self) -> Timestamp {
        self.at
    }
}

/// Events in fold order: by device time, then id, so every replica folds the same list
/// the same way.
pub fn fold_order<E: TimedEvent>(events: &[E]) -> Vec<&E> {
    let mut ordered: Vec<&E> = events.iter().collect();
    ordered.sort_by_key(|e| (e.at(), e.id()));
    ordered
}

/// The time each event counts at for deadlines and on-time figures: its device time,
/// unless the server received it earlier than that (a clock ahead) or the device time lies
/// before the previous event's counted time (a clock behind); then the server's receipt
/// time. Events the server has not received yet count at their device time.
pub fn effective_times<E: TimedEvent>(
    events: &[E],
    received: &BTreeMap<String, Timestamp>,
) -> BTreeMap<Uuid, Timestamp> {
    let mut times = BTreeMap::new();
    let mut previous: Option<Timestamp> = None;
    for event in fold_order(events) {
        let receipt = received.get(&event.id().to_string()).copied();
        let mut at = event.at();
        if let Some(receipt) = receipt {
            if at > receipt || previous.is_some_and(|p| at < p) {
                at = receipt;
            }
        }
        if let Some(p) = previous {
            at = at.max(p);
        }
        previous = Some(at);
        times.insert(event.id(), at);
    }
    times
}
