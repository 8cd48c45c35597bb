//! Blob access follows ownership, not knowledge of a hash: only the device whose round first
//! carried a reference uploads the blob and its thumbnail (a colleague who may read it may not
//! write it), a record may reference only a blob its device brought in or may read, a visit's
//! household exists in the visit's grid, and a stalled upload holds up no other request.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::time::{Duration, Instant};

use gridwalk_server::auth::sha256_hex;
use gridwalk_tests::media::noisy_jpeg;
use gridwalk_tests::raw::RawDevice;
use gridwalk_tests::Deployment;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// A visit by `device` to `household` referencing `photos`; the refusal code, if refused.
async fn send_visit(device: &RawDevice, household: Uuid, photos: Vec<String>) -> Option<String> {
    let refused = device.send_visit(household, "", photos).await.unwrap();
    refused.map(|r| r.code)
}

/// As [`send_visit`], which must be accepted.
async fn raw_visit(device: &RawDevice, household: Uuid, photos: Vec<String>) {
    device.upload_visit(household, "", photos).await.unwrap();
}

/// A household of `login`'s grid, read through a full client.
async fn household_of(deployment: &Deployment, url: &str, login: &str) -> Uuid {
    let reader = deployment.device(url, login).await.unwrap();
    reader.client.sync().await.unwrap();
    reader.client.households().unwrap()[0].id
}

async fn setup() -> (
    Deployment,
    gridwalk_tests::Server,
    RawDevice,
    RawDevice,
    Uuid,
) {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let enrol = |login: &str| {
        let code = deployment.enroll_code(login).unwrap();
        let url = server.url.clone();
        async move { RawDevice::enroll(&url, &code).await.unwrap() }
    };
    let (owner, colleague) = (enrol("worker1").await, enrol("worker1b").await);
    let household = household_of(&deployment, &server.url, "worker1").await;
    (deployment, server, owner, colleague, household)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_device_that_brought_a_blob_in_uploads_it_and_its_thumbnail() {
    let (deployment, server, owner, colleague, household) = setup().await;
    let photo = noisy_jpeg(400, 300, 11);
    let hash = sha256_hex(&photo);
    let size = photo.len() as u64;
    raw_visit(&owner, household, vec![hash.clone()]).await;

    // The colleague of the same grid may read it, but not write it or its thumbnail.
    assert_eq!(colleague.head_blob(&hash).await.unwrap().status, 403);
    let put = colleague.put_blob(&hash, &photo, 0, size).await.unwrap();
    assert_eq!(
        (put.status, put.code.as_deref()),
        (403, Some("not_your_blob"))
    );
    assert_eq!(owner.head_blob(&hash).await.unwrap().status, 404);

    let stored = owner.put_blob(&hash, &photo, 0, size).await.unwrap();
    assert_eq!((stored.status, stored.complete), (201, true));
    let thumbnail = noisy_jpeg(64, 48, 12);
    let thumbnail_hash = sha256_hex(&thumbnail);
    let foreign = colleague
        .put_thumbnail(&thumbnail_hash, &hash, &thumbnail)
        .await
        .unwrap();
    assert_eq!(
        (foreign.status, foreign.code.as_deref()),
        (403, Some("not_your_blob"))
    );
    let own = owner
        .put_thumbnail(&thumbnail_hash, &hash, &thumbnail)
        .await
        .unwrap();
    assert_eq!(own.status, 201);

    // Reading is by scope: the colleague gets the photo and the owner's thumbnail.
    let got = colleague.get_blob(&hash, false).await.unwrap();
    assert_eq!((got.status, sha256_hex(&got.body)), (200, hash.clone()));
    let thumb = colleague.get_blob(&hash, true).await.unwrap();
    assert_eq!(
        (thumb.status, sha256_hex(&thumb.body)),
        (200, thumbnail_hash)
    );

    // Referencing it: the colleague may (it already sees the photo); a worker of another
    // grid who learnt the hash may not, and gets nothing.
    raw_visit(&colleague, household, vec![hash.clone()]).await;
    let code = deployment.enroll_code("worker2").unwrap();
    let stranger = RawDevice::enroll(&server.url, &code).await.unwrap();
    let theirs = household_of(&deployment, &server.url, "worker2").await;
    assert_eq!(
        send_visit(&stranger, theirs, vec![hash.clone()])
            .await
            .as_deref(),
        Some("blob_not_yours")
    );
    assert_eq!(stranger.get_blob(&hash, false).await.unwrap().status, 403);
    // A fresh photo of their own is theirs to bring in.
    let own_photo = sha256_hex(&noisy_jpeg(40, 30, 13));
    raw_visit(&stranger, theirs, vec![own_photo]).await;

    // Data rules: a visit's household exists and is in the visit's grid.
    assert_eq!(
        send_visit(&stranger, household, vec![]).await.as_deref(),
        Some("household_out_of_scope")
    );
    assert_eq!(
        send_visit(&stranger, Uuid::now_v7(), vec![])
            .await
            .as_deref(),
        Some("unknown_household")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_upload_holds_up_no_other_request() {
    let (_deployment, server, owner, _colleague, household) = setup().await;
    let (slow, quick) = (noisy_jpeg(400, 300, 21), noisy_jpeg(400, 300, 22));
    let (slow_hash, quick_hash) = (sha256_hex(&slow), sha256_hex(&quick));
    raw_visit(
        &owner,
        household,
        vec![slow_hash.clone(), quick_hash.clone()],
    )
    .await;

    // Half a body, then nothing: the connection stays open.
    let address = server.url.trim_start_matches("http://").to_string();
    let mut stalled = tokio::net::TcpStream::connect(&address).await.unwrap();
    let half = slow.len() / 2;
    let head = format!(
        "PUT /v1/blobs/{slow_hash} HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {}\r\n\
         x-gridwalk-protocol: {}\r\ncontent-range: bytes 0-{}/{}\r\ncontent-length: {}\r\n\r\n",
        owner.token,
        gridwalk_shared::wire::PROTOCOL_VERSION,
        slow.len() - 1,
        slow.len(),
        slow.len()
    );
    stalled.write_all(head.as_bytes()).await.unwrap();
    stalled.write_all(&slow[..half]).await.unwrap();
    stalled.flush().await.unwrap();
    // The server has taken the upload (its first bytes are on disk).
    let deadline = Instant::now() + Duration::from_secs(10);
    while owner
        .head_blob(&slow_hash)
        .await
        .unwrap()
        .offset
        .unwrap_or(0)
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the stalled upload never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Another blob goes through at once; the same blob is answered at once: busy, retry.
    let other = owner
        .put_blob(&quick_hash, &quick, 0, quick.len() as u64)
        .await
        .unwrap();
    assert_eq!(other.status, 201);
    let again = owner
        .http
        .put(format!("{}/v1/blobs/{slow_hash}", server.url))
        .header(gridwalk_shared::wire::PROTOCOL_HEADER, "1")
        .bearer_auth(&owner.token)
        .header(
            "content-range",
            format!("bytes 0-{}/{}", slow.len() - 1, slow.len()),
        )
        .body(slow.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 503);
    assert_eq!(
        again
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("2")
    );

    // The stalled client goes away: what arrived is kept and the upload resumes from it.
    drop(stalled);
    let deadline = Instant::now() + Duration::from_secs(10);
    let held = loop {
        let put = owner
            .put_blob(&slow_hash, &slow, 0, slow.len() as u64)
            .await
            .unwrap();
        if put.status != 503 {
            break put;
        }
        assert!(Instant::now() < deadline, "the claim was never given back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((held.status, held.complete), (201, true), "{:?}", held.code);
}
