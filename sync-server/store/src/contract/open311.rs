//! The contract of [`Open311Store`]: keys by hash, one live key per name, revocation, filed
//! requests by incident and by token.

use super::Backend;
use crate::{Open311Key, Open311Request, Open311Store};
use uuid::Uuid;

fn filed(incident_id: Uuid, token: &str) -> Open311Request {
    Open311Request {
        incident_id,
        token: token.into(),
        key_name: "city".into(),
        address: Some("幸福路18号1号楼".into()),
        media_url: None,
        contact: r#"{"email":"a@example.com"}"#.into(),
    }
}

/// Open311 keys and filed requests.
pub async fn open311_contract<B: Backend>(backend: &B) {
    let place = backend.place().await;
    let store = backend.open(&place).await;
    let unit = Uuid::now_v7();
    store
        .issue_open311_key("h1".into(), "city".into(), unit)
        .await
        .unwrap();
    let city = Open311Key {
        name: "city".into(),
        unit_id: unit,
    };
    assert_eq!(store.open311_key("h1".into()).await.unwrap(), Some(city));
    assert_eq!(store.open311_key("nope".into()).await.unwrap(), None);

    // Issuing the name again replaces the key; revoking ends it; revoking again says so.
    store
        .issue_open311_key("h2".into(), "city".into(), unit)
        .await
        .unwrap();
    assert_eq!(store.open311_key("h1".into()).await.unwrap(), None);
    assert!(store.open311_key("h2".into()).await.unwrap().is_some());
    assert!(store.revoke_open311_key("city".into()).await.unwrap());
    assert_eq!(store.open311_key("h2".into()).await.unwrap(), None);
    assert!(!store.revoke_open311_key("city".into()).await.unwrap());

    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    store.record_open311_request(filed(a, "t-a")).await.unwrap();
    assert!(
        store.record_open311_request(filed(b, "t-a")).await.is_err(),
        "tokens are unique"
    );
    let found = store.open311_requests(vec![a, b]).await.unwrap();
    assert_eq!(found, vec![filed(a, "t-a")]);
    assert_eq!(
        store.open311_token("t-a".into()).await.unwrap(),
        Some(filed(a, "t-a"))
    );
    assert_eq!(store.open311_token("t-b".into()).await.unwrap(), None);
}
