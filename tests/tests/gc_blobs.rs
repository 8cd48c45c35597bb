//! `gridwalk-server gc-blobs` on a running server's data: a dry run lists old partial uploads
//! and old unreferenced blobs, one line each, and deletes nothing; `--delete` removes exactly
//! those, and referenced blobs, their thumbnails and anything younger than the grace stay.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use gridwalk_tests::media::noisy_jpeg;
use gridwalk_tests::raw::RawDevice;
use gridwalk_tests::{server_cmd, Deployment};
use sha2::{Digest, Sha256};

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes `bytes` at `path`, last modified `age` ago.
fn put(path: &Path, bytes: &[u8], age: Duration) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
}

fn whole(blobs: &Path, hash: &str) -> PathBuf {
    blobs.join(&hash[..2]).join(hash)
}

const OLD: Duration = Duration::from_secs(100 * 3600);
const NEW: Duration = Duration::from_secs(3600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gc_blobs_lists_then_deletes_only_what_nothing_needs() {
    let deployment = Deployment::seeded().unwrap();
    let data = deployment.data();
    let server = deployment.start().unwrap();
    let phone = deployment.device(&server.url, "worker1b").await.unwrap();
    phone.client.sync().await.unwrap();
    let household = phone.client.households().unwrap()[0].id;
    let code = deployment.enroll_code("worker1").unwrap();
    let device = RawDevice::enroll(&server.url, &code).await.unwrap();

    // A referenced photo, uploaded; its thumbnail recorded beside it.
    let photo = noisy_jpeg(64, 48, 5);
    let referenced = sha(&photo);
    device
        .upload_visit(household, "", vec![referenced.clone()])
        .await
        .unwrap();
    let put_reply = device
        .put_blob(&referenced, &photo, 0, photo.len() as u64)
        .await
        .unwrap();
    assert!(put_reply.complete);
    let blobs = deployment.dir.path().join("blobs");
    put(&whole(&blobs, &referenced), &photo, OLD);
    let thumbnail = sha(b"thumbnail");
    put(&whole(&blobs, &thumbnail), b"thumbnail", OLD);
    put(
        &blobs
            .join("thumbs")
            .join(&referenced[..2])
            .join(&referenced),
        thumbnail.as_bytes(),
        OLD,
    );
    // Nothing references these; some are older than the grace.
    let (stale, recent) = (sha(b"stale blob"), sha(b"recent blob"));
    put(&whole(&blobs, &stale), b"stale blob", OLD);
    let stale_thumb = blobs.join("thumbs").join(&stale[..2]).join(&stale);
    put(&stale_thumb, sha(b"x").as_bytes(), OLD);
    put(&whole(&blobs, &recent), b"recent blob", NEW);
    let (abandoned, uploading) = (sha(b"abandoned"), sha(b"uploading"));
    put(&blobs.join("partial").join(&abandoned), b"aband", OLD);
    put(&blobs.join("partial").join(&uploading), b"uplo", NEW);

    let dry = server_cmd(&["gc-blobs", "--data", &data, "--grace-hours", "72"]).unwrap();
    let lines: Vec<&str> = dry.lines().collect();
    assert_eq!(lines.len(), 3, "{dry}");
    assert!(
        lines[0].starts_with(&format!("partial {abandoned} 5 ")),
        "{dry}"
    );
    assert!(
        lines[1].starts_with(&format!("unreferenced {stale} 10 ")),
        "{dry}"
    );
    assert!(
        lines[2].starts_with("would delete 2 files, 15 bytes"),
        "{dry}"
    );
    assert!(whole(&blobs, &stale).exists(), "a dry run deletes nothing");
    assert!(blobs.join("partial").join(&abandoned).exists());

    let done = server_cmd(&["gc-blobs", "--data", &data, "--delete"]).unwrap();
    assert!(done.contains("deleted 2 files, 15 bytes"), "{done}");
    assert!(!whole(&blobs, &stale).exists());
    assert!(!stale_thumb.exists(), "its thumbnail record went with it");
    assert!(!blobs.join("partial").join(&abandoned).exists());
    for kept in [&referenced, &thumbnail, &recent] {
        assert!(whole(&blobs, kept).exists(), "{kept} is kept");
    }
    assert!(blobs.join("partial").join(&uploading).exists());
    let again = device.get_blob(&referenced, false).await.unwrap();
    assert_eq!((again.status, again.body.len()), (200, photo.len()));
    let thumb = device.get_blob(&referenced, true).await.unwrap();
    assert_eq!(thumb.body, b"thumbnail");

    let after = server_cmd(&["gc-blobs", "--data", &data]).unwrap();
    assert!(
        after.starts_with("would delete 0 files, 0 bytes"),
        "{after}"
    );
}
