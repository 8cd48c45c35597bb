//! Re-gridding in the store: a record the server moves to another org unit changes scope in
//! every table, its move reaches the unit it left, and the unit it joins receives it whole.

use super::sync::{doc, write};
use super::Backend;
use crate::{AdminStore, IndexFilter, PageSize, Store, Visibility};
use gridwalk_shared::model::RecordKind;
use uuid::Uuid;

fn only(unit: Uuid) -> Visibility {
    Visibility {
        units: vec![unit],
        department: None,
    }
}

/// A moved write re-keys the document, its index row and its new log rows.
pub async fn a_moved_record_changes_scope_and_goes_whole_to_its_new_unit<B: Backend>(backend: &B) {
    let place = backend.place().await;
    let store = backend.open(&place).await;
    let (old_grid, new_grid, device) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let created = doc(old_grid, None);
    let id = created.doc_id;
    store.commit(device, vec![write(created, 2)]).await.unwrap();
    let before = store.top_seq().await.unwrap();

    let mut stored = store.load_docs(vec![id]).await.unwrap().pop().unwrap();
    stored.scope = new_grid;
    stored.snapshot = vec![9; 5];
    let mut moved = write(stored, 0);
    moved.server_changes = vec![vec![7; 3]];
    moved.moved_from = Some(old_grid);
    let top = store.commit(Uuid::nil(), vec![moved]).await.unwrap();
    assert_eq!(
        top,
        before + 2,
        "the move and the whole document are logged"
    );

    let reader = Uuid::now_v7();
    let left = store
        .log_page(only(old_grid), reader, before, PageSize::rows(10))
        .await
        .unwrap();
    assert_eq!(left.rows.len(), 1, "the old grid sees the move only");
    assert_eq!(left.rows[0].data, vec![7; 3]);
    assert_eq!(left.rows[0].scope, old_grid);
    let joined = store
        .log_page(only(new_grid), reader, before, PageSize::rows(10))
        .await
        .unwrap();
    assert_eq!(joined.rows.len(), 1, "the new grid gets the whole document");
    assert_eq!(joined.rows[0].data, vec![9; 5]);
    assert_eq!(joined.rows[0].scope, new_grid);

    let held = store.load_docs(vec![id]).await.unwrap().pop().unwrap();
    assert_eq!((held.scope, held.seq), (new_grid, top));
    let snapshot = |unit| {
        let store = store.clone();
        async move {
            let page = store
                .snapshot_page(only(unit), None, PageSize::rows(10))
                .await
                .unwrap();
            page.docs.iter().map(|d| d.doc_id).collect::<Vec<_>>()
        }
    };
    assert_eq!(snapshot(new_grid).await, vec![id]);
    assert!(snapshot(old_grid).await.is_empty());
    let indexed = |unit| {
        let store = store.clone();
        async move {
            let filter = IndexFilter {
                units: vec![unit],
                ..IndexFilter::default()
            };
            store
                .index_rows(RecordKind::Incident, filter)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!((indexed(old_grid).await, indexed(new_grid).await), (0, 1));
}
