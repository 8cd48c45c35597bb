//! Walk-in requests are accounted like incidents: an event counts at its device time unless
//! the server's receipt time shows the tablet's clock was off.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use gridwalk_shared::model::{ServiceAction, ServiceEvent, ServiceRequest};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::workflow::{fold_service_request, fold_service_request_accounted};
use uuid::Uuid;

const HOUR: i64 = 3_600_000;

fn event(n: u128, at: i64, action: ServiceAction) -> ServiceEvent {
    ServiceEvent {
        id: Uuid::from_u128(n),
        at: Timestamp::from_millis(at),
        by: Uuid::from_u128(0x600),
        action,
        note: String::new(),
    }
}

#[test]
fn a_completion_stamped_by_a_clock_ahead_counts_when_the_server_got_it() {
    let start = 1_790_000_000_000;
    let due = Timestamp::from_millis(start + 24 * HOUR);
    let mut request = ServiceRequest {
        id: Uuid::from_u128(1),
        community_id: Uuid::from_u128(2),
        item_id: Uuid::from_u128(3),
        resident_name: "王秀英".into(),
        resident_phone: String::new(),
        materials_received: vec![],
        due: None,
        events: vec![
            event(10, start, ServiceAction::Register),
            event(
                11,
                start + HOUR,
                ServiceAction::Transfer {
                    department_id: Uuid::from_u128(0x800),
                    due,
                },
            ),
            // Completed, says a device whose clock is four days ahead: "past the due time".
            event(
                12,
                start + 100 * HOUR,
                ServiceAction::Complete { on_the_spot: false },
            ),
        ],
        received: Default::default(),
    };
    for (id, at) in [(10, start), (11, start + HOUR), (12, start + 3 * HOUR)] {
        request
            .received
            .insert(Uuid::from_u128(id).to_string(), Timestamp::from_millis(at));
    }
    // By device time it was late; the server had it three hours in: on time.
    let naive = fold_service_request(&request);
    assert!(naive.completed_at > naive.due);
    let accounted = fold_service_request_accounted(&request);
    assert_eq!(
        accounted.completed_at,
        Some(Timestamp::from_millis(start + 3 * HOUR))
    );
    assert!(accounted.completed_at < accounted.due);
}
