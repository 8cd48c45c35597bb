//! The contract of [`BlobRefs`]: which documents reference which blobs, and who first sent
//! each reference.

use super::Backend;
use crate::{BlobRefs, DocWrite, Store, StoredDoc, Visibility};
use gridwalk_shared::model::{Incident, Record, RecordKind};
use uuid::Uuid;

fn incident(doc_id: Uuid, scope: Uuid, department: Option<Uuid>, photos: &[&str]) -> DocWrite {
    let record = Record::Incident(Incident {
        id: doc_id,
        grid_id: scope,
        category: "env.garbage".into(),
        description: "暴露垃圾".into(),
        location: None,
        photos: photos.iter().map(|p| p.repeat(64)).collect(),
        audio: vec![],
        reporter_id: Uuid::now_v7(),
        events: vec![],
        received: Default::default(),
    });
    let doc = StoredDoc {
        doc_id,
        kind: RecordKind::Incident,
        scope,
        department,
        snapshot: vec![1],
        seq: 0,
    };
    DocWrite::new(doc, &record, vec![vec![1, 2]], None)
}

/// `write` based on the revision `store` holds now.
async fn rebased<S: BlobRefs>(store: &S, mut write: DocWrite) -> DocWrite {
    let held = store.load_docs(vec![write.doc.doc_id]).await.unwrap();
    write.base = held.first().map(|d| d.seq);
    write
}

fn hashes(docs: &[crate::BlobDoc]) -> Vec<String> {
    docs.iter().map(|d| d.blob[..1].to_string()).collect()
}

/// Blob references by blob, paged and scoped, with their origin.
pub async fn blob_refs_contract<B: Backend>(backend: &B) {
    let place = backend.place().await;
    let store = backend.open(&place).await;
    let (grid_a, grid_b, dept) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    let doc = Uuid::now_v7();
    store
        .commit(first, vec![incident(doc, grid_a, None, &["a"])])
        .await
        .unwrap();
    let all = store.referenced_blobs(None, 10, None).await.unwrap();
    let origin = all[0].origin.clone().unwrap();
    assert_eq!((hashes(&all), origin.device_id), (vec!["a".into()], first));
    assert!(origin.since > 0);

    // Another device adds a photo: the kept reference keeps its device and time.
    store
        .commit(
            second,
            vec![rebased(&store, incident(doc, grid_a, None, &["a", "b"])).await],
        )
        .await
        .unwrap();
    let all = store.referenced_blobs(None, 10, None).await.unwrap();
    assert_eq!(hashes(&all), ["a", "b"]);
    assert_eq!(all[0].origin, Some(origin));
    assert_eq!(all[1].origin.as_ref().map(|o| o.device_id), Some(second));

    // A dropped photo is no longer referenced.
    store
        .commit(
            second,
            vec![rebased(&store, incident(doc, grid_a, None, &["b"])).await],
        )
        .await
        .unwrap();
    assert!(store
        .blob_docs(vec!["a".repeat(64)])
        .await
        .unwrap()
        .is_empty());

    // Narrowed to a scope: grid units, or a department's routed incidents.
    store
        .commit(
            first,
            vec![incident(Uuid::now_v7(), grid_b, Some(dept), &["c"])],
        )
        .await
        .unwrap();
    // Several blobs in one query, by blob; an unreferenced one adds nothing.
    let several = store
        .blob_docs(vec!["c".repeat(64), "z".repeat(64), "b".repeat(64)])
        .await
        .unwrap();
    assert_eq!(hashes(&several), ["b", "c"]);
    let within =
        |units: Vec<Uuid>, department: Option<Uuid>| Some(Visibility { units, department });
    let in_a = store
        .referenced_blobs(None, 10, within(vec![grid_a], None))
        .await
        .unwrap();
    assert_eq!(hashes(&in_a), ["b"]);
    let routed = store
        .referenced_blobs(None, 10, within(vec![], Some(dept)))
        .await
        .unwrap();
    assert_eq!(hashes(&routed), ["c"]);
    let paged = store
        .referenced_blobs(Some("b".repeat(64)), 10, None)
        .await
        .unwrap();
    assert_eq!(hashes(&paged), ["c"]);
}
