//! Photos and audio end to end against a real server: resumable uploads through a proxy that
//! cuts connections, permissions by grid, tampered uploads, and the CLI journey from one
//! phone's camera file to another phone's thumbnail and full image.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::path::Path;

use gridwalk_client::media::{sha256_hex, CHUNK_BYTES};
use gridwalk_client::{Attachments, Client, NewVisit};
use gridwalk_tests::media::{noisy_jpeg, wav};
use gridwalk_tests::proxy::{resent, CutPlan, CutProxy};
use gridwalk_tests::raw::RawDevice;
use gridwalk_tests::{gridwalk, ok, server_cmd, Deployment};
use rand::Rng;

/// The file the server keeps for a whole blob.
fn server_blob(deployment: &Deployment, hash: &str) -> std::path::PathBuf {
    deployment
        .dir
        .path()
        .join("blobs")
        .join(&hash[..2])
        .join(hash)
}

async fn enrolled(deployment: &Deployment, url: &str, login: &str, dir: &Path) -> Client {
    let client = deployment.enrolled_client(url, login, dir).await.unwrap();
    client.sync().await.unwrap();
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_resume_through_a_proxy_that_cuts_connections() {
    uploads_resume_through_cuts(Deployment::seeded().unwrap()).await;
}

/// The same journey with the server's documents on PostgreSQL (blobs in its directory).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_resume_through_a_proxy_that_cuts_connections_on_postgres() {
    let Some(deployment) = Deployment::seeded_on_postgres().unwrap() else {
        eprintln!("skipping: PostgreSQL is not installed (apt-get install postgresql)");
        return;
    };
    uploads_resume_through_cuts(deployment).await;
}

async fn uploads_resume_through_cuts(deployment: Deployment) {
    let server = deployment.start().unwrap();
    let proxy = CutProxy::start(&server.addr).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = enrolled(&deployment, &proxy.url, "worker1", dir.path()).await;

    let photos: Vec<_> = (0..2)
        .map(|i| phone.add_photo(&noisy_jpeg(2400, 1800, i)).unwrap())
        .collect();
    let note = phone.add_audio(wav(4), None).unwrap();
    let household = phone.households().unwrap()[0].id;
    let media = Attachments {
        photos: photos.iter().map(|p| p.hash.clone()).collect(),
        audio: vec![note.hash.clone()],
    };
    phone
        .add_visit_with(
            NewVisit {
                household_id: household,
                note: "楼道有积水".into(),
                ..NewVisit::default()
            },
            &media,
        )
        .unwrap();
    let pending = phone.pending_uploads().unwrap();
    assert_eq!(pending.len(), 5, "2 thumbnails, 2 photos, 1 audio note");
    let total: u64 = pending.iter().map(|b| b.size).sum();
    assert!(
        total > 4 * CHUNK_BYTES,
        "large enough to need many chunks: {total}"
    );

    let seed = std::env::var("GRIDWALK_CUT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen::<u64>());
    eprintln!("cut seed {seed} (set GRIDWALK_CUT_SEED to replay)");
    let plan = CutPlan {
        cuts: 12,
        max_bytes: 3 * CHUNK_BYTES,
        seed,
    };
    proxy.arm(plan);
    let progress = phone.upload_progress();
    for _ in 0..60 {
        let result = phone.sync().await;
        if phone.pending_uploads().unwrap().is_empty() {
            break;
        }
        if let Err(e) = result {
            eprintln!("sync cut short: {e}");
        }
    }
    assert!(
        phone.pending_uploads().unwrap().is_empty(),
        "every upload completed"
    );
    assert_eq!(proxy.cuts(), plan.cuts, "the proxy cut as often as planned");

    // Every blob is whole on the server and hashes to its name.
    let mut hashes = media.photos.clone();
    hashes.extend(photos.iter().map(|p| p.thumbnail.clone()));
    hashes.push(note.hash.clone());
    for hash in &hashes {
        let stored = std::fs::read(server_blob(&deployment, hash)).unwrap();
        assert_eq!(&sha256_hex(&stored), hash);
    }
    let puts = proxy.puts();
    let again = resent(&puts);
    eprintln!(
        "{} PUTs, {} bytes forwarded, {again} bytes sent again after {} cuts",
        puts.len(),
        puts.iter().map(|p| p.forwarded).sum::<u64>(),
        proxy.cuts()
    );
    assert!(
        again <= proxy.cuts() as u64 * CHUNK_BYTES,
        "at most one chunk re-sent per cut: {again} bytes"
    );
    let done = progress.borrow().clone();
    assert!(!done.active);
    assert_eq!(done.bytes_sent, done.bytes_total);
}

/// A visit by `device` in its grid referencing `photos`, sent with the raw protocol.
async fn raw_visit(device: &RawDevice, household: uuid::Uuid, photos: Vec<String>) {
    device.upload_visit(household, "", photos).await.unwrap();
}

#[tokio::test]
async fn blobs_are_only_for_those_who_see_a_record_and_only_if_they_hash_right() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = enrolled(&deployment, &server.url, "worker1", dir.path()).await;
    let household = phone.households().unwrap()[0].id;
    let colleague = RawDevice::enroll(&server.url, &deployment.enroll_code("worker1b").unwrap())
        .await
        .unwrap();
    let stranger = RawDevice::enroll(&server.url, &deployment.enroll_code("worker2").unwrap())
        .await
        .unwrap();

    let bytes = noisy_jpeg(400, 300, 7);
    let hash = sha256_hex(&bytes);
    let size = bytes.len() as u64;
    // Nobody references it yet: no upload.
    let early = colleague.put_blob(&hash, &bytes, 0, size).await.unwrap();
    assert_eq!(
        (early.status, early.code.as_deref()),
        (403, Some("not_referenced"))
    );
    // Refused unread: the server drops the connection and says so, so the next request
    // (the sync below) goes out on a fresh one instead of failing on a closed socket.
    assert!(early.closes, "an early refusal says `Connection: close`");
    raw_visit(&colleague, household, vec![hash.clone()]).await;
    let missing = server_cmd(&["missing-blobs", "--data", &deployment.data()]).unwrap();
    assert!(missing.contains(&hash), "{missing}");

    // Tampered: one flipped byte, whole or as the last of two pieces; nothing is kept.
    let mut tampered = bytes.clone();
    tampered[size as usize / 2] ^= 0x55;
    let refused = colleague.put_blob(&hash, &tampered, 0, size).await.unwrap();
    assert_eq!(
        (refused.status, refused.code.as_deref()),
        (422, Some("hash_mismatch"))
    );
    let half = size as usize / 2;
    let first = colleague
        .put_blob(&hash, &bytes[..half], 0, size)
        .await
        .unwrap();
    assert_eq!((first.status, first.offset), (202, Some(half as u64)));
    assert!(!first.closes, "a piece read whole keeps the connection");
    let held = colleague.head_blob(&hash).await.unwrap();
    assert_eq!(
        (held.status, held.offset, held.complete),
        (200, Some(half as u64), false)
    );
    let last = colleague
        .put_blob(&hash, &tampered[half..], half as u64, size)
        .await
        .unwrap();
    assert_eq!(
        (last.status, last.code.as_deref()),
        (422, Some("hash_mismatch"))
    );
    assert_eq!(colleague.head_blob(&hash).await.unwrap().status, 404);
    assert!(!server_blob(&deployment, &hash).exists());
    assert_eq!(
        colleague
            .get_blob(&hash, false)
            .await
            .unwrap()
            .code
            .as_deref(),
        Some("blob_missing")
    );

    // A piece that skips ahead is told where to continue; the right bytes are kept; again
    // is harmless.
    let ahead = colleague
        .put_blob(&hash, &bytes[10..], 10, size)
        .await
        .unwrap();
    assert_eq!((ahead.status, ahead.offset), (409, Some(0)));
    let stored = colleague.put_blob(&hash, &bytes, 0, size).await.unwrap();
    assert_eq!((stored.status, stored.complete), (201, true));
    let again = colleague.put_blob(&hash, &bytes, 0, size).await.unwrap();
    assert_eq!((again.status, again.complete), (200, true));
    let missing = server_cmd(&["missing-blobs", "--data", &deployment.data()]).unwrap();
    assert!(!missing.contains(&hash), "{missing}");

    // Same grid: may read; another grid: 403 for every method.
    let got = colleague.get_blob(&hash, false).await.unwrap();
    assert_eq!((got.status, sha256_hex(&got.body)), (200, hash.clone()));
    let part = colleague.get_blob_range(&hash, "10-19").await.unwrap();
    assert_eq!((part.status, part.body.as_slice()), (206, &bytes[10..20]));
    let got = phone.blob(&hash, false).await.unwrap();
    assert_eq!(sha256_hex(&std::fs::read(got).unwrap()), hash);
    assert_eq!(stranger.get_blob(&hash, false).await.unwrap().status, 403);
    assert_eq!(stranger.get_blob(&hash, true).await.unwrap().status, 403);
    assert_eq!(stranger.head_blob(&hash).await.unwrap().status, 403);
    let put = stranger.put_blob(&hash, &bytes, 0, size).await.unwrap();
    assert_eq!(put.status, 403);
    // No thumbnail was uploaded for it: the phone makes one from the full image.
    let thumb = phone.blob(&hash, true).await.unwrap();
    let thumb = image::open(thumb).unwrap();
    assert_eq!(thumb.width().max(thumb.height()), 320);
}

fn visits(data: &Path) -> Vec<serde_json::Value> {
    ok(gridwalk(data, &["export"]))
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["kind"] == "visit")
        .collect()
}

#[test]
fn a_photo_goes_from_one_phone_to_another_by_the_cli() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (dir, login) in [(a.path(), "worker1"), (b.path(), "worker1b")] {
        let code = deployment.enroll_code(login).unwrap();
        ok(gridwalk(
            dir,
            &["enroll", "--server", &server.url, "--code", &code],
        ));
    }
    let household = ok(gridwalk(a.path(), &["households"]))
        .lines()
        .next()
        .unwrap()
        .to_string();
    let camera = a.path().join("IMG_0001.jpg");
    std::fs::write(&camera, noisy_jpeg(3000, 2000, 1)).unwrap();

    // A HEIC file is refused by name, and nothing is recorded.
    let heic = a.path().join("IMG_0002.HEIC");
    std::fs::write(&heic, b"\0\0\0\x18ftypheic\0\0\0\0mif1heic").unwrap();
    let refused = gridwalk(
        a.path(),
        &[
            "visit",
            "add",
            "--household",
            &household,
            "--photo",
            camera.to_str().unwrap(),
            "--photo",
            heic.to_str().unwrap(),
        ],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("HEIC") && stderr.contains("IMG_0002"),
        "{stderr}"
    );
    assert!(visits(a.path()).is_empty());
    assert!(ok(gridwalk(a.path(), &["blob", "pending"])).is_empty());

    let id = ok(gridwalk(
        a.path(),
        &[
            "visit",
            "add",
            "--household",
            &household,
            "--note",
            "入户拍照",
            "--photo",
            camera.to_str().unwrap(),
        ],
    ));
    let exported = visits(a.path());
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0]["id"], id.trim());
    let hash = exported[0]["photos"][0].as_str().unwrap().to_string();
    assert_eq!(exported[0]["blobs"], serde_json::json!([hash]));
    assert_eq!(
        ok(gridwalk(a.path(), &["blob", "pending"])).lines().count(),
        2
    );
    ok(gridwalk(a.path(), &["sync"]));
    assert!(ok(gridwalk(a.path(), &["blob", "pending"])).is_empty());

    ok(gridwalk(b.path(), &["sync"]));
    let seen = visits(b.path());
    assert_eq!(seen[0]["blobs"], serde_json::json!([hash]));
    let thumb = b.path().join("thumb.jpg");
    ok(gridwalk(
        b.path(),
        &[
            "blob",
            "get",
            &hash,
            "--out",
            thumb.to_str().unwrap(),
            "--thumbnail",
        ],
    ));
    let thumb = image::open(&thumb).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 213));
    let full = b.path().join("full.jpg");
    ok(gridwalk(
        b.path(),
        &["blob", "get", &hash, "--out", full.to_str().unwrap()],
    ));
    let bytes = std::fs::read(&full).unwrap();
    assert_eq!(sha256_hex(&bytes), hash);
    let image = image::load_from_memory(&bytes).unwrap();
    assert_eq!((image.width(), image.height()), (1920, 1280));
    let bogus = gridwalk(b.path(), &["blob", "get", "abc", "--out", "/dev/null"]);
    assert!(!bogus.status.success());
}
