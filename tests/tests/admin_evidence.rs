//! The admin API's evidence routes against a real seeded server: records with their photos
//! and audio notes, blob downloads only for callers whose scope holds a referencing record
//! (with the right bytes, type and ranges), and referenced blobs not uploaded yet.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use gridwalk_client::media::sha256_hex;
use gridwalk_client::{Attachments, NewVisit};
use gridwalk_tests::admin::{AdminSession, DemoIds, DEMO_PASSWORD};
use gridwalk_tests::media::{noisy_jpeg, wav};
use gridwalk_tests::raw::RawDevice;
use gridwalk_tests::Deployment;
use serde_json::{json, Value};

/// A download as the browser sees it.
struct Fetched {
    status: u16,
    content_type: String,
    content_range: String,
    bytes: Vec<u8>,
}

async fn fetch(session: &AdminSession, path: &str, range: Option<&str>) -> Result<Fetched> {
    let mut req = session.http.get(format!("{}{path}", session.url));
    if !session.cookie.is_empty() {
        req = req.header("cookie", &session.cookie);
    }
    if let Some(range) = range {
        req = req.header("range", range);
    }
    let reply = req.send().await?;
    let header = |name: &str| {
        reply
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (content_type, content_range) = (header("content-type"), header("content-range"));
    Ok(Fetched {
        status: reply.status().as_u16(),
        content_type,
        content_range,
        bytes: reply.bytes().await?.to_vec(),
    })
}

/// Missing uploads the session sees, as `hash → row`.
async fn missing(session: &AdminSession) -> Result<BTreeMap<String, Value>> {
    let answer = session.get("/api/blobs/missing").await?;
    assert_eq!(answer.status, 200, "{}", answer.json);
    Ok(answer
        .json
        .as_array()
        .context("a list")?
        .iter()
        .map(|m| (m["hash"].as_str().unwrap_or("").to_string(), m.clone()))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_is_shown_only_within_scope() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let ids = DemoIds::read(&admin).await?;
    let created = admin
        .post(
            "/api/users",
            &json!({ "login": "cadmin2", "name": "光明管理员", "role": "admin",
                     "scope_id": ids.communities[1], "password": "community-pass" }),
        )
        .await?;
    assert_eq!(created.status, 200, "{}", created.json);
    let community2 = AdminSession::sign_in(&server.url, "cadmin2", "community-pass").await?;
    let dept = AdminSession::sign_in(&server.url, "dept1", DEMO_PASSWORD).await?;
    let anon = AdminSession::anonymous(&server.url);

    // worker1 (grid 1, community 1) visits with a photo and an audio note, and uploads them.
    let dir = tempfile::tempdir()?;
    let phone = deployment
        .enrolled_client(&server.url, "worker1", dir.path())
        .await?;
    phone.sync().await?;
    let photo = phone.add_photo(&noisy_jpeg(800, 600, 1))?;
    let note = phone.add_audio(wav(2), None)?;
    let household = phone.households()?[0].id;
    let visit = phone.add_visit_with(
        NewVisit {
            household_id: household,
            note: "楼道灯坏了".into(),
            ..NewVisit::default()
        },
        &Attachments {
            photos: vec![photo.hash.clone()],
            audio: vec![note.hash.clone()],
        },
    )?;
    phone.sync().await?;
    assert!(phone.pending_uploads()?.is_empty(), "all uploaded");

    // Anonymous callers: 401.
    for path in [
        format!("/api/blobs/{}", photo.hash),
        "/api/blobs/missing".into(),
        "/api/records".into(),
    ] {
        assert_eq!(fetch(&anon, &path, None).await?.status, 401, "{path}");
    }

    // The street admin sees the visit with its evidence, and gets the bytes.
    let records = admin.get("/api/records?kind=visit").await?;
    assert_eq!(records.status, 200, "{}", records.json);
    let shown = records
        .json
        .as_array()
        .and_then(|r| r.iter().find(|r| r["id"] == visit.to_string()))
        .cloned()
        .context("the visit is listed")?;
    assert_eq!(shown["kind"], "visit");
    assert_eq!(shown["text"], "楼道灯坏了");
    assert!(shown["address"].as_str().is_some_and(|a| !a.is_empty()));
    assert_eq!(shown["photos"][0]["hash"], photo.hash.as_str());
    assert_eq!(shown["photos"][0]["uploaded"], true);
    assert_eq!(shown["photos"][0]["thumbnail"], true);
    assert_eq!(shown["audio"][0]["hash"], note.hash.as_str());

    let full = fetch(&admin, &format!("/api/blobs/{}", photo.hash), None).await?;
    assert_eq!(
        (full.status, full.content_type.as_str()),
        (200, "image/jpeg")
    );
    assert_eq!(sha256_hex(&full.bytes), photo.hash);
    let thumb = fetch(
        &admin,
        &format!("/api/blobs/{}?thumbnail=1", photo.hash),
        None,
    )
    .await?;
    assert_eq!(
        (thumb.status, thumb.content_type.as_str()),
        (200, "image/jpeg")
    );
    assert_eq!(sha256_hex(&thumb.bytes), photo.thumbnail);
    let audio = fetch(&admin, &format!("/api/blobs/{}", note.hash), None).await?;
    assert_eq!(
        (audio.status, audio.content_type.as_str()),
        (200, "audio/wav")
    );
    assert_eq!(sha256_hex(&audio.bytes), note.hash);
    let part = fetch(
        &admin,
        &format!("/api/blobs/{}", note.hash),
        Some("bytes=100-199"),
    )
    .await?;
    assert_eq!(part.status, 206);
    assert_eq!(part.bytes, audio.bytes[100..200]);
    assert_eq!(
        part.content_range,
        format!("bytes 100-199/{}", audio.bytes.len())
    );

    // Community 2's admin and department staff: 403, and the visit is not listed for them.
    for (who, session) in [("community 2", &community2), ("department", &dept)] {
        for path in [
            format!("/api/blobs/{}", photo.hash),
            format!("/api/blobs/{}?thumbnail=1", photo.hash),
            format!("/api/blobs/{}", note.hash),
        ] {
            let refused = fetch(session, &path, None).await?;
            assert_eq!(refused.status, 403, "{who} {path}");
        }
        let listed = session.get("/api/records").await?;
        assert_eq!(listed.status, 200, "{who}: {}", listed.json);
        assert!(!listed.bytes.is_empty());
        assert!(
            !String::from_utf8_lossy(&listed.bytes).contains(&visit.to_string()),
            "{who} does not see the visit"
        );
    }

    // A record that references a photo not uploaded yet: listed as missing (with the device
    // and user that should send it), 404 to download, until the device uploads it.
    let device = RawDevice::enroll(&server.url, &deployment.enroll_code("worker1")?).await?;
    let late = noisy_jpeg(320, 240, 9);
    let hash = sha256_hex(&late);
    device
        .upload_visit(household, "照片稍后上传", vec![hash.clone()])
        .await?;
    let gaps = missing(&admin).await?;
    let gap = gaps.get(&hash).context("the photo is missing")?;
    assert_eq!(gap["device_id"], device.device_id.to_string());
    assert_eq!(gap["login"], "worker1");
    assert_eq!(gap["kind"], "visit");
    assert!(gap["since"].as_i64().is_some_and(|t| t > 0), "{gap}");
    assert!(!missing(&community2).await?.contains_key(&hash));
    assert!(!missing(&dept).await?.contains_key(&hash));
    let early = admin.get(&format!("/api/blobs/{hash}")).await?;
    assert_eq!((early.status, early.code()), (404, "blob_missing"));

    let stored = device.put_blob(&hash, &late, 0, late.len() as u64).await?;
    assert_eq!(stored.status, 201);
    assert!(!missing(&admin).await?.contains_key(&hash));
    let got = fetch(&admin, &format!("/api/blobs/{hash}"), None).await?;
    assert_eq!((got.status, sha256_hex(&got.bytes)), (200, hash));
    Ok(())
}
