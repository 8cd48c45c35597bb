//! Room on the phone, against a real server: a photo's original leaves the device once it is
//! older than the keep window and the server holds it (the sync does it), its thumbnail stays,
//! and opening it fetches it again; a photo the server does not hold stays, whatever its age.

use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{Duration, Timelike, Utc};
use gridwalk_client::media::{sha256_hex, Freed, KEEP_UPLOADED_PHOTOS_DAYS};
use gridwalk_client::{Attachments, Client, NewVisit};
use gridwalk_tests::clock::HandClock;
use gridwalk_tests::media::noisy_jpeg;
use gridwalk_tests::{Deployment, TEST_SYNC};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_uploaded_originals_leave_the_phone_and_come_back_when_opened() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let dir = tempfile::tempdir()?;
    let beijing = Utc::now().naive_utc() + Duration::hours(8);
    let day = beijing.date();
    let clock = Arc::new(HandClock::at(day, beijing.hour(), beijing.minute()));
    let phone = Client::open_with_clock(dir.path(), clock.clone())?.with_sync_options(TEST_SYNC)?;
    let code = deployment.enroll_code("worker1")?;
    phone.enroll(&server.url, &code, "worker1").await?;
    phone.sync().await?;

    // A visit's photo, synced: the server holds it whole.
    let household = phone.households()?.first().context("no household")?.id;
    let sent = phone.add_photo(&noisy_jpeg(1600, 1200, 1))?;
    let visit = NewVisit {
        household_id: household,
        note: "楼道有积水".into(),
        ..NewVisit::default()
    };
    let media = Attachments {
        photos: vec![sent.hash.clone()],
        audio: Vec::new(),
    };
    phone.add_visit_with(visit, &media)?;
    phone.sync().await?;
    assert!(phone.pending_uploads()?.is_empty(), "everything uploaded");
    // A photo no record references: never uploaded, so it must stay.
    let kept = phone.add_photo(&noisy_jpeg(1600, 1200, 2))?;

    let later = |days: i64| clock.set(day + Duration::days(days), 10, 0);
    let original = |hash: &str| phone.local_blob(hash, false);
    let thumbnail = |hash: &str| phone.local_blob(hash, true);

    // Inside the window nothing goes.
    later(i64::from(KEEP_UPLOADED_PHOTOS_DAYS) - 1);
    assert_eq!(
        phone.free_uploaded_photos(KEEP_UPLOADED_PHOTOS_DAYS)?,
        Freed::default()
    );
    assert!(original(&sent.hash)?.is_some());

    // Past it, the next sync removes the uploaded original alone.
    later(i64::from(KEEP_UPLOADED_PHOTOS_DAYS) + 1);
    phone.sync().await?;
    assert!(original(&sent.hash)?.is_none(), "the original left");
    assert!(!sent.path.exists(), "its file is gone");
    assert!(thumbnail(&sent.hash)?.is_some(), "the thumbnail stays");
    assert!(original(&kept.hash)?.is_some(), "not on the server: kept");
    assert!(kept.path.exists());
    assert_eq!(
        phone.free_uploaded_photos(KEEP_UPLOADED_PHOTOS_DAYS)?,
        Freed::default(),
        "nothing more to free"
    );

    // Opening it fetches the same bytes again.
    let fetched = phone.blob(&sent.hash, false).await?;
    assert_eq!(sha256_hex(&std::fs::read(&fetched)?), sent.hash);
    assert!(original(&sent.hash)?.is_some());
    Ok(())
}
