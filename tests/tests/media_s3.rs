//! Photos and audio through a real `gridwalk-server --blobs s3://…` (the moto S3 server on
//! loopback; skips without it unless GRIDWALK_REQUIRE_SERVICES=1): a phone uploads through a
//! proxy that cuts connections, so uploads resume from `HEAD` offsets held in the bucket, one
//! blob past the 5 MiB multipart part; another phone downloads them; the blob commands work
//! on the bucket and nothing lands on the node's disk.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use gridwalk_client::media::{sha256_hex, CHUNK_BYTES};
use gridwalk_client::{Attachments, NewVisit};
use gridwalk_server::blobs::{BlobStore, Held};
use gridwalk_tests::media::noisy_jpeg;
use gridwalk_tests::proxy::{CutPlan, CutProxy};
use gridwalk_tests::raw::RawDevice;
use gridwalk_tests::{s3, BlobStorage, Deployment};
use rand::{Rng, SeedableRng};

/// A WAV of `seconds` of 44.1 kHz 16-bit stereo noise (176,400 bytes a second).
fn cd_wav(seconds: u32) -> Vec<u8> {
    let data = 176_400 * seconds;
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    for field in [16u32, 0x0002_0001, 44_100, 176_400, 0x0010_0004] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    let mut rng = rand::rngs::StdRng::seed_from_u64(u64::from(seconds));
    out.extend((0..data).map(|_| rng.gen::<u8>()));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_and_audio_go_through_s3_from_one_phone_to_another() {
    let Some(bucket) = s3::bucket() else {
        return;
    };
    let deployment = Deployment::seeded_with(BlobStorage::s3(&bucket, "street-1")).unwrap();
    let data = deployment.data();
    let server = deployment.start().unwrap();
    let proxy = CutProxy::start(&server.addr).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = deployment
        .enrolled_client(&proxy.url, "worker1", dir.path())
        .await
        .unwrap();
    phone.sync().await.unwrap();

    let photo = phone.add_photo(&noisy_jpeg(1600, 1200, 3)).unwrap();
    let note = phone.add_audio(cd_wav(34), None).unwrap();
    assert!(note.size > 5 * 1024 * 1024, "past one multipart part");
    let media = Attachments {
        photos: vec![photo.hash.clone()],
        audio: vec![note.hash.clone()],
    };
    let household = phone.households().unwrap()[0].id;
    let visit = NewVisit {
        household_id: household,
        note: "楼道有积水".into(),
        ..NewVisit::default()
    };
    phone.add_visit_with(visit, &media).unwrap();
    let seed = rand::thread_rng().gen::<u64>();
    eprintln!("cut seed {seed}");
    proxy.arm(CutPlan {
        cuts: 4,
        max_bytes: 3 * CHUNK_BYTES,
        seed,
    });
    for _ in 0..30 {
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
    assert_eq!(proxy.cuts(), 4, "the proxy cut as planned");

    // Whole in the bucket, no upload state left there, nothing on the node's disk.
    let store = bucket.store("street-1").unwrap();
    for (hash, size) in [
        (&photo.hash, None),
        (&photo.thumbnail, None),
        (&note.hash, Some(note.size)),
    ] {
        let held = store.held(hash).await.unwrap();
        assert!(
            matches!(held, Held::Whole(n) if size.is_none_or(|s| s == n)),
            "{hash}: {held:?}"
        );
    }
    let keys = bucket.keys().await.unwrap();
    assert!(keys.iter().all(|k| !k.contains("/partial/")), "{keys:?}");
    let local = deployment.dir.path().join("blobs");
    assert!(!local.exists(), "no blob directory on the node");

    // Another phone of the grid gets the photo, its thumbnail and the note.
    let other = deployment.device(&server.url, "worker1b").await.unwrap();
    other.client.sync().await.unwrap();
    let got = |path: std::path::PathBuf| sha256_hex(&std::fs::read(path).unwrap());
    assert_eq!(
        got(other.client.blob(&photo.hash, false).await.unwrap()),
        photo.hash
    );
    assert_eq!(
        got(other.client.blob(&photo.hash, true).await.unwrap()),
        photo.thumbnail
    );
    assert_eq!(
        got(other.client.blob(&note.hash, false).await.unwrap()),
        note.hash
    );
    let colleague = RawDevice::enroll(&server.url, &deployment.enroll_code("worker1b").unwrap())
        .await
        .unwrap();
    let sought = colleague
        .get_blob_range(&note.hash, "5000000-5000099")
        .await
        .unwrap();
    let audio = cd_wav(34);
    assert_eq!(
        (sought.status, sought.body.as_slice()),
        (206, &audio[5_000_000..5_000_100])
    );

    // The blob commands work on the bucket; backup says it lists directories only.
    let missing = deployment
        .server_cmd(&["missing-blobs", "--data", &data])
        .unwrap();
    assert!(missing.trim().is_empty(), "{missing}");
    let gc = deployment
        .server_cmd(&["gc-blobs", "--data", &data])
        .unwrap();
    assert!(gc.contains("would delete 0 files"), "{gc}");
    let to = deployment.dir.path().join("backup.db");
    let backup = deployment
        .server_cmd(&["backup", "--data", &data, "--to", &to.to_string_lossy()])
        .unwrap_err()
        .to_string();
    assert!(backup.contains("stay in the object store"), "{backup}");
    // The database backed up alone restores; the blobs are the bucket's.
    gridwalk_tests::server_cmd(&["backup", "--data", &data, "--to", &to.to_string_lossy()])
        .unwrap();
    drop(server);
    let restored = deployment
        .server_cmd(&["restore", "--from", &to.to_string_lossy(), "--data", &data])
        .unwrap();
    assert!(restored.contains("blobs stay in s3://"), "{restored}");
}

/// `serve` on a bucket that does not exist stops at once and says why.
#[test]
fn a_server_on_a_missing_bucket_says_so() {
    let Some(bucket) = s3::bucket() else {
        return;
    };
    let missing = s3::S3Bucket {
        name: format!("{}-missing", bucket.name),
        ..bucket
    };
    let deployment = Deployment::seeded_with(BlobStorage::s3(&missing, "p")).unwrap();
    let mut command = std::process::Command::new(gridwalk_tests::bin("gridwalk-server"));
    let mut child = deployment
        .blobs
        .apply(&mut command)
        .args([
            "serve",
            "--data",
            &deployment.data(),
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("serve kept running on a missing bucket");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("cannot reach the blob storage s3://"),
        "{stderr}"
    );
}
