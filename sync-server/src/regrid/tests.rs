use automerge::{Automerge, Change};
use gridwalk_shared::model::{OrgKind, Role};
use gridwalk_shared::validate::Actor;

use super::*;

/// The demo street's first household, the grid it is in, and another grid of its community.
fn demo() -> (ReferenceData, Household, Uuid, Uuid) {
    let demo = crate::seed::demo(7);
    let household = demo.households[0].clone();
    let from = household.grid_id;
    let parent = demo.reference.unit(from).and_then(|u| u.parent);
    let to = demo
        .reference
        .units
        .iter()
        .find(|u| u.kind == OrgKind::Grid && u.id != from && u.parent == parent)
        .map(|u| u.id)
        .expect("a second grid");
    let mut reference = demo.reference;
    for b in &mut reference.buildings {
        if b.id == household.building_id {
            b.grid_id = to;
        }
    }
    (reference, household, from, to)
}

fn worker_of(grid: Uuid) -> Actor {
    Actor {
        user_id: Uuid::now_v7(),
        role: Role::GridWorker,
        scope_id: grid,
    }
}

/// `household` with a new phone number written into `document` as one change.
fn edit(document: &mut Automerge, household: &Household, phone: &str) -> Change {
    let mut edited = household.clone();
    edited.phone = phone.into();
    let heads = document.get_heads();
    let mut tx = document.transaction();
    doc::write(&mut tx, &Record::Household(edited)).expect("writes");
    tx.commit();
    document.get_changes(&heads).pop().expect("a change")
}

#[test]
fn an_edit_the_old_grid_made_before_the_move_counts_and_one_made_after_does_not() {
    let (reference, household, from, to) = demo();
    let bytes = doc::create(&Record::Household(household.clone()))
        .expect("document")
        .save();
    let server = Automerge::load(&bytes).expect("loads");
    let mut device = Automerge::load(&bytes)
        .expect("loads")
        .with_actor(automerge::ActorId::random());
    let offline = edit(&mut device, &household, "13900001111");

    let (mut server, record, moved_change) = moved(
        server,
        RecordKind::Household,
        from,
        to,
        Uuid::now_v7(),
        &reference,
    )
    .expect("moves");
    assert_eq!(record.scope(), to);
    let offline = [offline];
    server.apply_changes(offline.clone()).expect("applies");
    let merged = doc::read(&server, RecordKind::Household).expect("reads");
    assert_eq!(merged.scope(), to, "the edit does not undo the move");
    let now = Timestamp::from(chrono::Utc::now());
    let old_worker = worker_of(from);
    let judged = |changes: &[Change], actor: &Actor, now: Timestamp| {
        standing(&server, changes, &merged, from, actor, &reference, now)
    };
    assert_eq!(
        judged(&offline, &old_worker, now),
        Ok(Standing::LeftBehind { from })
    );
    assert_eq!(
        judged(&offline, &worker_of(to), now),
        Ok(Standing::Current),
        "a new-grid device with a copy from before the move writes as usual"
    );
    let late = Timestamp::from_millis(now.millis() + GRACE_MS + 60_000);
    assert_eq!(
        judged(&offline, &old_worker, late).map_err(|e| e.code),
        Err("moved".to_string()),
        "past the grace period"
    );

    // The device heard of the move, then wrote on top of it: refused.
    device
        .apply_changes([Change::from_bytes(moved_change).expect("a change")])
        .expect("applies");
    let after = edit(&mut device, &household, "13000000000");
    server.apply_changes([after.clone()]).expect("applies");
    let err = standing(
        &server,
        &[after],
        &merged,
        from,
        &old_worker,
        &reference,
        now,
    )
    .expect_err("refused");
    assert_eq!(err.code, "moved");

    // A record never moved out of the declared grid: its scope is fixed.
    let stranger = standing(
        &server,
        &[],
        &merged,
        Uuid::now_v7(),
        &old_worker,
        &reference,
        now,
    )
    .expect_err("refused");
    assert_eq!(stranger.code, "immutable_field");
}
