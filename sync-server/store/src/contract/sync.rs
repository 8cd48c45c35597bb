//! The sync contract ([`Store`]): reference data, enrolment, commits and the change log,
//! snapshots, pruning, revocation, and what survives reopening.

use super::Backend;
use crate::{DocWrite, PageSize, Store, StoreError, StoredDoc, Visibility};
use gridwalk_shared::model::{Incident, Record, RecordKind, ReferenceData, Role, User};
use uuid::Uuid;

pub(super) fn doc(scope: Uuid, department: Option<Uuid>) -> StoredDoc {
    StoredDoc {
        doc_id: Uuid::now_v7(),
        kind: RecordKind::Incident,
        scope,
        department,
        snapshot: vec![1, 2, 3],
        seq: 0,
    }
}

pub(super) fn write(doc: StoredDoc, changes: usize) -> DocWrite {
    let base = (doc.seq > 0).then_some(doc.seq);
    let record = Record::Incident(Incident {
        id: doc.doc_id,
        grid_id: doc.scope,
        category: "env.garbage".into(),
        description: "暴露垃圾".into(),
        location: None,
        photos: vec!["ab".repeat(32)],
        audio: vec![],
        reporter_id: Uuid::now_v7(),
        events: vec![],
        received: Default::default(),
    });
    DocWrite::new(
        doc,
        &record,
        (0..changes).map(|i| vec![i as u8; 4]).collect(),
        base,
    )
}

fn both_grids(a: Uuid, b: Uuid) -> Visibility {
    Visibility {
        units: vec![a, b],
        department: None,
    }
}

async fn exercise<S: Store>(store: S) {
    // Reference data: versions count up, the cache follows.
    let user = User {
        id: Uuid::now_v7(),
        login: "worker1".into(),
        name: "张三".into(),
        role: Role::GridWorker,
        scope_id: Uuid::now_v7(),
    };
    let reference = ReferenceData {
        users: vec![user.clone()],
        ..ReferenceData::default()
    };
    assert_eq!(
        store.put_reference(reference.clone(), None).await.unwrap(),
        1
    );
    // An edit worked out from version 0 after version 1 landed: refused, nothing stored.
    assert!(matches!(
        store.put_reference(reference.clone(), Some(0)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.reference().version, 1);
    assert_eq!(store.put_reference(reference, Some(1)).await.unwrap(), 2);
    assert_eq!(store.reference().version, 2);

    // Enrolment codes work once, tokens find their device, revocation sticks.
    store
        .issue_enroll_code(user.id, "code-hash".into(), 1)
        .await
        .unwrap();
    let device = store
        .enroll(
            "code-hash".into(),
            "phone".into(),
            "1.0".into(),
            "token-hash".into(),
        )
        .await
        .unwrap();
    assert_eq!(device.user, user);
    let again = store
        .enroll(
            "code-hash".into(),
            "phone".into(),
            "1.0".into(),
            "other".into(),
        )
        .await;
    assert!(matches!(again, Err(StoreError::Refused(_))));
    store
        .issue_enroll_code(user.id, "expired".into(), -1)
        .await
        .unwrap();
    let expired = store
        .enroll("expired".into(), "phone".into(), "1.0".into(), "t2".into())
        .await;
    assert!(matches!(expired, Err(StoreError::Refused(m)) if m.contains("expired")));
    let found = store
        .device_by_token("token-hash".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.device_id, found.revoked), (device.device_id, false));
    assert_eq!(found.recovery_opened, None);
    // A re-send window after a restore is kept with the device.
    store
        .open_recovery(device.device_id, 1_700_000_000_000)
        .await
        .unwrap();
    let recovering = store.device_by_token("token-hash".into()).await.unwrap();
    assert_eq!(
        recovering.and_then(|d| d.recovery_opened),
        Some(1_700_000_000_000)
    );
    assert!(store
        .device_by_token("nope".into())
        .await
        .unwrap()
        .is_none());

    // Commits append to the log in order; documents are replaced whole.
    let (grid_a, grid_b, dept) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let other_device = Uuid::now_v7();
    let d1 = doc(grid_a, None);
    let d2 = doc(grid_b, Some(dept));
    let top = store
        .commit(
            other_device,
            vec![write(d1.clone(), 2), write(d2.clone(), 1)],
        )
        .await
        .unwrap();
    assert_eq!(top, 3);
    let mut d1_new = store.load_docs(vec![d1.doc_id]).await.unwrap().remove(0);
    assert_eq!(
        d1_new.seq, 2,
        "a document's revision is its last change's sequence"
    );
    d1_new.snapshot = vec![9, 9];
    store
        .commit(device.device_id, vec![write(d1_new.clone(), 1)])
        .await
        .unwrap();
    assert_eq!(store.top_seq().await.unwrap(), 4);
    let loaded = store
        .load_docs(vec![d1.doc_id, Uuid::now_v7()])
        .await
        .unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!((loaded[0].snapshot.clone(), loaded[0].seq), (vec![9, 9], 4));

    // A write worked out from an older revision, or a "new" document the store holds, is a
    // conflict: nothing of its commit is stored, the other documents in it neither.
    let mut stale = d1_new.clone();
    stale.snapshot = vec![7];
    let fresh = doc(grid_a, None);
    let refused = store
        .commit(
            device.device_id,
            vec![write(fresh.clone(), 1), write(stale, 1)],
        )
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Conflict(ids)) if ids == &vec![d1.doc_id]),
        "{refused:?}"
    );
    let again_new = store
        .commit(device.device_id, vec![write(d2.clone(), 1)])
        .await;
    assert!(
        matches!(again_new, Err(StoreError::Conflict(_))),
        "{again_new:?}"
    );
    assert_eq!(store.top_seq().await.unwrap(), 4);
    assert!(store
        .load_docs(vec![fresh.doc_id])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.load_docs(vec![d1.doc_id]).await.unwrap()[0].snapshot,
        vec![9, 9]
    );

    // The log page: visible rows only, own uploads skipped, cursor past everything scanned.
    let grid_a_only = Visibility {
        units: vec![grid_a],
        department: None,
    };
    let page = store
        .log_page(
            grid_a_only.clone(),
            device.device_id,
            0,
            PageSize::rows(100),
        )
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 2, "d1's two changes from the other device");
    assert!(page.rows.iter().all(|r| r.doc_id == d1.doc_id));
    assert_eq!((page.cursor, page.more), (4, false));
    let page = store
        .log_page(grid_a_only.clone(), other_device, 0, PageSize::rows(1))
        .await
        .unwrap();
    assert_eq!(
        (page.rows.len(), page.cursor, page.more),
        (1, 4, true),
        "own rows are skipped; a full page of one"
    );
    assert_eq!(page.rows[0].seq, 4);
    let page = store
        .log_page(grid_a_only.clone(), other_device, 4, PageSize::rows(1))
        .await
        .unwrap();
    assert_eq!((page.rows.len(), page.cursor, page.more), (0, 4, false));
    let by_department = Visibility {
        units: vec![],
        department: Some(dept),
    };
    let page = store
        .log_page(
            by_department.clone(),
            device.device_id,
            0,
            PageSize::rows(100),
        )
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].doc_id, d2.doc_id);

    // Snapshot pages: by id, after a given id.
    let both = Visibility {
        units: vec![grid_a, grid_b],
        department: None,
    };
    let all = store
        .snapshot_page(both.clone(), None, PageSize::rows(10))
        .await
        .unwrap()
        .docs;
    let mut ids = vec![d1.doc_id, d2.doc_id];
    ids.sort();
    assert_eq!(all.iter().map(|d| d.doc_id).collect::<Vec<_>>(), ids);
    let rest = store
        .snapshot_page(both, Some(ids[0]), PageSize::rows(10))
        .await
        .unwrap()
        .docs;
    assert_eq!(
        rest.iter().map(|d| d.doc_id).collect::<Vec<_>>(),
        vec![ids[1]]
    );
    assert!(
        store
            .snapshot_page(by_department, None, PageSize::rows(10))
            .await
            .unwrap()
            .docs
            .len()
            == 1
    );

    // Pruning the log raises the floor; the top sequence never goes back.
    assert_eq!(store.log_floor().await.unwrap(), 0);
    assert_eq!(store.prune_log(3).await.unwrap(), 3);
    assert_eq!(store.log_floor().await.unwrap(), 3);
    assert_eq!(store.top_seq().await.unwrap(), 4);
    store
        .commit(device.device_id, vec![write(doc(grid_a, None), 1)])
        .await
        .unwrap();
    assert_eq!(store.top_seq().await.unwrap(), 5);

    // Concurrent rounds (committed in groups) each land whole, with distinct sequences.
    let before = store.top_seq().await.unwrap();
    let rounds: Vec<_> = (0..40)
        .map(|_| {
            let store = store.clone();
            let docs = vec![write(doc(grid_a, None), 2), write(doc(grid_b, None), 1)];
            tokio::spawn(async move { store.commit(Uuid::now_v7(), docs).await })
        })
        .collect();
    for round in rounds {
        assert!(round.await.unwrap().unwrap() > before);
    }
    assert_eq!(store.top_seq().await.unwrap(), before + 40 * 3);
    let page = store
        .log_page(
            both_grids(grid_a, grid_b),
            device.device_id,
            before,
            PageSize::rows(1000),
        )
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 120);
    assert!(page.rows.windows(2).all(|w| w[0].seq < w[1].seq));

    // Pages are bounded by bytes too (each change here is 4 bytes): they stop before the row
    // that would cross the budget, and always hold one row however large.
    for (bytes, rows) in [(40, 10), (43, 10), (44, 11), (1, 1), (0, 1)] {
        let size = PageSize { rows: 1000, bytes };
        let page = store
            .log_page(both_grids(grid_a, grid_b), device.device_id, before, size)
            .await
            .unwrap();
        assert_eq!(page.rows.len(), rows, "{bytes} bytes");
        assert!(page.more, "{bytes} bytes: more wait");
        assert_eq!(page.cursor, page.rows.last().unwrap().seq);
    }
    let visible = both_grids(grid_a, grid_b);
    let all = store
        .snapshot_page(visible.clone(), None, PageSize::rows(1000))
        .await
        .unwrap();
    assert!(!all.full);
    let total: usize = all.docs.iter().map(|d| d.snapshot.len()).sum();
    let mut after = None;
    let mut paged = Vec::new();
    loop {
        // each snapshot here is 2 or 3 bytes: a budget of 7 holds two or three
        let size = PageSize {
            rows: 1000,
            bytes: 7,
        };
        let page = store
            .snapshot_page(visible.clone(), after, size)
            .await
            .unwrap();
        let bytes: usize = page.docs.iter().map(|d| d.snapshot.len()).sum();
        assert!(bytes <= 7 && !page.docs.is_empty());
        after = page.docs.last().map(|d| d.doc_id);
        paged.extend(page.docs);
        if !page.full {
            break;
        }
    }
    assert_eq!(
        paged.iter().map(|d| d.doc_id).collect::<Vec<_>>(),
        all.docs.iter().map(|d| d.doc_id).collect::<Vec<_>>()
    );
    assert!(total > 7 * 10, "many pages");
    let one = store
        .snapshot_page(
            visible,
            None,
            PageSize {
                rows: 1000,
                bytes: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!((one.docs.len(), one.full), (1, true));

    // Revoked devices stay revoked.
    store.revoke_device(device.device_id).await.unwrap();
    assert!(
        store
            .device_by_token("token-hash".into())
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    assert!(matches!(
        store.revoke_device(Uuid::now_v7()).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Every [`Store`] behaviour, then the same place opened again keeps the epoch and the data.
pub async fn sync_contract<B: Backend>(backend: &B) {
    let place = backend.place().await;
    let store = backend.open(&place).await;
    let epoch = store.epoch();
    exercise(store).await;
    let reopened = backend.open(&place).await;
    assert_eq!(reopened.epoch(), epoch);
    assert_eq!(reopened.reference().version, 2);
    assert_eq!(reopened.top_seq().await.unwrap(), 125);
    let next = reopened.new_epoch().await.unwrap();
    assert_ne!(next, epoch);
    assert_eq!(reopened.epoch(), next);
    assert!(reopened.is_past_epoch(epoch));
}
