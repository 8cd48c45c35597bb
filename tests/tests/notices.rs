//! Notices and instructions end to end over real processes: an admin sends an instruction
//! through the admin API to a grid and one named user elsewhere; two phones (one offline
//! for a while) receive it, read it and reply; the sender sees exact receipts and counts,
//! and who is overdue once the deadline passes; a phone outside the audience receives
//! nothing; forged receipts and altered text are refused with nothing stored; malformed
//! sends get 4xx and write nothing.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use automerge::AutoCommit;
use gridwalk_shared::doc;
use gridwalk_shared::model::{NoticeDelivery, NoticeReceipt};
use gridwalk_shared::time::{new_id, Timestamp};
use gridwalk_shared::wire::{DocDownload, DocUpload};
use gridwalk_shared::{Record, RecordKind};
use gridwalk_tests::admin::{assert_status, AdminSession, DEMO_PASSWORD};
use gridwalk_tests::raw::{self, RawDevice};
use gridwalk_tests::{gridwalk, ok, Deployment};
use serde_bytes::ByteBuf;
use serde_json::{json, Value};

/// `login` → (user id, scope id), from `GET /api/users`.
async fn user(admin: &AdminSession, login: &str) -> Result<(String, String)> {
    let users = admin.get("/api/users").await?.json;
    let user = users
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["login"] == login)
        .with_context(|| format!("no user {login}"))?;
    let text = |k: &str| user[k].as_str().map(str::to_string).context("field");
    Ok((text("id")?, text("scope_id")?))
}

fn deadline_in(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds)).to_rfc3339()
}

fn instruction(title: &str, deadline: Option<String>, audience: Value) -> Value {
    json!({
        "kind": "instruction",
        "title": title,
        "text": "请于今日内完成本网格燃气安全排查，并回复排查情况。",
        "photos": [],
        "pdf": null,
        "response": "reply",
        "deadline": deadline,
        "audience": audience,
    })
}

/// Every notice delivery a fresh raw device of `login` downloads.
async fn deliveries_seen(raw: &RawDevice) -> Result<Vec<DocDownload>> {
    let mut cursor = None;
    let mut found = Vec::new();
    loop {
        let reply = raw.sync(&raw::request(Vec::new(), cursor, 0)).await?;
        let body = reply.body.context("no sync body")?;
        found.extend(
            body.docs
                .into_iter()
                .filter(|d| d.kind == RecordKind::NoticeDelivery),
        );
        cursor = Some(body.cursor);
        if !body.more {
            return Ok(found);
        }
    }
}

/// Uploads `changes` to a document and returns the refusal's code, if any.
async fn upload(raw: &RawDevice, upload: DocUpload) -> Result<Option<String>> {
    let reply = raw.sync(&raw::request(vec![upload], None, 0)).await?;
    let body = reply.body.context("no sync body")?;
    Ok(body.rejected.first().map(|r| r.code.clone()))
}

fn edited(download: &DocDownload, edit: impl FnOnce(&mut NoticeDelivery)) -> Result<DocUpload> {
    let mut document = AutoCommit::load(&download.data)?;
    let heads = document.get_heads();
    let Record::NoticeDelivery(mut delivery) = doc::read(&document, download.kind)? else {
        anyhow::bail!("not a delivery");
    };
    edit(&mut delivery);
    doc::write(&mut document, &Record::NoticeDelivery(delivery))?;
    Ok(DocUpload {
        doc_id: download.doc_id,
        kind: download.kind,
        scope: download.scope,
        changes: document
            .get_changes(&heads)
            .iter()
            .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
            .collect(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instruction_reaches_its_audience_and_the_sender_sees_every_receipt() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let (worker2, grid2) = user(&admin, "worker2").await?;
    let (worker4, _) = user(&admin, "worker4").await?;
    let audience = json!({ "units": [grid2], "roles": [], "users": [worker4] });

    // Malformed sends: 4xx, and nothing is written.
    let no_title = instruction(" ", Some(deadline_in(60)), audience.clone());
    let past = instruction("排查", Some(deadline_in(-60)), audience.clone());
    let no_deadline = instruction("排查", None, audience.clone());
    let mut too_long = instruction("排查", Some(deadline_in(60)), audience.clone());
    too_long["text"] = json!("字".repeat(4001));
    let unknown_unit = instruction(
        "排查",
        Some(deadline_in(60)),
        json!({ "units": [new_id()], "roles": [], "users": [] }),
    );
    let unknown_user = instruction(
        "排查",
        Some(deadline_in(60)),
        json!({ "units": [], "roles": [], "users": [new_id()] }),
    );
    let nobody = instruction(
        "排查",
        Some(deadline_in(60)),
        json!({ "units": [], "roles": [], "users": [] }),
    );
    for (body, what) in [
        (&no_title, "empty title"),
        (&past, "deadline in the past"),
        (&no_deadline, "instruction without a deadline"),
        (&too_long, "oversized text"),
        (&unknown_unit, "unknown unit"),
        (&unknown_user, "unknown user"),
        (&nobody, "empty audience"),
    ] {
        let answer = admin.post("/api/notices", body).await?;
        assert_status(&answer, 422, what);
    }
    let answer = admin
        .post("/api/notices", &json!({ "title": "缺字段" }))
        .await?;
    assert_status(&answer, 422, "a body without its fields");
    assert_eq!(answer.code(), "malformed_body");

    // A community admin may not address the other community's grid.
    let (_, community1) = user(&admin, "desk1").await?;
    let created = admin
        .post(
            "/api/users",
            &json!({ "login": "admin_c1", "name": "社区管理员", "role": "admin",
                     "scope_id": community1, "password": "community-admin-pw-1" }),
        )
        .await?;
    assert_status(&created, 200, "community admin");
    let community_admin =
        AdminSession::sign_in(&server.url, "admin_c1", "community-admin-pw-1").await?;
    let (_, grid4) = user(&admin, "worker4").await?;
    let outside = instruction(
        "越权",
        Some(deadline_in(60)),
        json!({ "units": [grid4], "roles": [], "users": [] }),
    );
    let answer = community_admin.post("/api/notices", &outside).await?;
    assert_status(&answer, 403, "audience outside the sender's scope");
    let listed = admin.get("/api/notices").await?;
    assert_eq!(listed.json, json!([]), "no refused send wrote anything");

    // Three phones: two in the audience (worker4 stays offline for now), one outside it.
    let dirs = [
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    ];
    let phone2 = deployment
        .enrolled_client(&server.url, "worker2", dirs[0].path())
        .await?;
    let phone4 = deployment
        .enrolled_client(&server.url, "worker4", dirs[1].path())
        .await?;
    let outsider = deployment
        .enrolled_client(&server.url, "worker1", dirs[2].path())
        .await?;
    for phone in [&phone2, &phone4, &outsider] {
        phone.sync().await?;
    }

    // The instruction: due in a few seconds, so the test can watch it pass.
    let due = deadline_in(8);
    let sent = admin
        .post(
            "/api/notices",
            &instruction("燃气安全排查", Some(due), audience),
        )
        .await?;
    assert_status(&sent, 200, "send");
    let id = sent.json["id"].as_str().context("id")?.to_string();
    assert_eq!(sent.json["counts"]["recipients"], 2);

    phone2.sync().await?;
    outsider.sync().await?;
    assert_eq!(phone2.unread_notices()?, 1);
    let notices = phone2.notices()?;
    let delivery = notices[0].delivery.id;
    assert_eq!(notices[0].delivery.content.title, "燃气安全排查");
    let opened = phone2.open_notice(delivery)?;
    assert!(opened.delivery.receipt.read_at.is_some());
    assert_eq!(phone2.unread_notices()?, 0);
    phone2.reply_notice(delivery, "已排查12户，无燃气隐患")?;
    phone2.sync().await?;

    // Outside the audience: nothing arrives, not even the sender's record.
    assert!(outsider.notices()?.is_empty());
    let held: Vec<String> = outsider
        .export()?
        .iter()
        .filter_map(|r| r["kind"].as_str().map(str::to_string))
        .collect();
    assert!(
        !held.iter().any(|k| k.starts_with("notice")),
        "the outsider holds {held:?}"
    );

    // Forgeries: another user's receipt, a delivery of one's own, altered text.
    let raw2 = RawDevice::enroll(&server.url, &deployment.enroll_code("worker2")?).await?;
    let seen = deliveries_seen(&raw2).await?;
    assert_eq!(seen.len(), 1, "worker2's device sees its own delivery only");
    let reworded = edited(&seen[0], |d| d.content.text = "不用排查了".into())?;
    assert_eq!(
        upload(&raw2, reworded).await?.as_deref(),
        Some("immutable_field")
    );
    let Record::NoticeDelivery(own) = doc::read(
        &AutoCommit::load(&seen[0].data)?,
        RecordKind::NoticeDelivery,
    )?
    else {
        anyhow::bail!("not a delivery");
    };
    let answered = NoticeReceipt {
        read_at: Some(Timestamp::from(chrono::Utc::now())),
        reply: Some("代为回复".into()),
        replied_at: Some(Timestamp::from(chrono::Utc::now())),
        done_at: None,
    };
    let forged_for = |recipient: uuid::Uuid| {
        Record::NoticeDelivery(NoticeDelivery {
            id: new_id(),
            recipient_id: recipient,
            receipt: answered.clone(),
            ..own.clone()
        })
    };
    let worker4_id: uuid::Uuid = worker4.parse()?;
    let for_other = raw::upload(&forged_for(worker4_id));
    assert_eq!(
        upload(&raw2, for_other).await?.as_deref(),
        Some("out_of_scope")
    );
    let for_self = raw::upload(&forged_for(own.recipient_id));
    assert_eq!(upload(&raw2, for_self).await?.as_deref(), Some("forbidden"));

    // The offline phone comes back, reads, and does not reply.
    phone4.sync().await?;
    let notices4 = phone4.notices()?;
    assert_eq!(notices4.len(), 1);
    phone4.open_notice(notices4[0].delivery.id)?;
    phone4.sync().await?;
    let cli = ok(gridwalk(dirs[1].path(), &["notice", "list"]));
    assert!(
        cli.contains(" read instruction 燃气安全排查"),
        "gridwalk notice list: {cli}"
    );

    // The sender's view: exact counts, then who is overdue once the deadline passes.
    let counts = |list: &Value| list[0]["counts"].clone();
    let listed = admin.get("/api/notices").await?.json;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(
        counts(&listed),
        json!({ "recipients": 2, "read": 2, "answered": 1, "overdue": 0 })
    );
    let limit = Instant::now() + Duration::from_secs(30);
    let after = loop {
        let listed = admin.get("/api/notices").await?.json;
        if counts(&listed)["overdue"] == 1 || Instant::now() > limit {
            break listed;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        counts(&after),
        json!({ "recipients": 2, "read": 2, "answered": 1, "overdue": 1 })
    );
    let receipts = admin.get(&format!("/api/notices/{id}")).await?;
    assert_status(&receipts, 200, "receipts");
    let rows = receipts.json["receipts"].as_array().context("rows")?;
    let row = |user: &str| rows.iter().find(|r| r["user_id"] == user).cloned();
    let of2 = row(&worker2).context("worker2's receipt")?;
    let of4 = row(&worker4).context("worker4's receipt")?;
    assert_eq!(of2["reply"], "已排查12户，无燃气隐患");
    assert_eq!(
        (of2["overdue"].clone(), of4["overdue"].clone()),
        (json!(false), json!(true))
    );
    assert!(of4["read_at"].is_string() && of4["reply"].is_null());
    let hidden = community_admin.get(&format!("/api/notices/{id}")).await?;
    assert_status(&hidden, 404, "another scope's notice");
    Ok(())
}

/// A minimal well-formed PDF (one empty page).
fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_carries_photos_and_a_pdf_to_its_audience_only() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let (_, grid2) = user(&admin, "worker2").await?;

    // Uploads: a photo and a PDF; anything else, or from department staff, is refused.
    let photo = admin
        .upload(
            "/api/photos",
            gridwalk_tests::media::scene_jpeg(640, 480),
            "image/jpeg",
        )
        .await?;
    assert_status(&photo, 200, "photo");
    let document = admin
        .upload("/api/documents", pdf(), "application/pdf")
        .await?;
    assert_status(&document, 200, "pdf");
    let not_pdf = admin
        .upload(
            "/api/documents",
            b"<html>not a pdf</html>".to_vec(),
            "application/pdf",
        )
        .await?;
    assert_status(&not_pdf, 415, "a document that is not a PDF");
    assert_eq!(not_pdf.code(), "not_a_pdf");
    let empty = admin
        .upload("/api/documents", Vec::new(), "application/pdf")
        .await?;
    assert_status(&empty, 400, "an empty document");
    let dept = AdminSession::sign_in(&server.url, "dept1", DEMO_PASSWORD).await?;
    let by_dept = dept
        .upload("/api/documents", pdf(), "application/pdf")
        .await?;
    assert_status(&by_dept, 403, "department staff send no notices");

    let photo_hash = photo.json["hash"]
        .as_str()
        .context("photo hash")?
        .to_string();
    let pdf_hash = document.json["hash"]
        .as_str()
        .context("pdf hash")?
        .to_string();
    let mut body = instruction(
        "冬季消防安全告知书",
        Some(deadline_in(3600)),
        json!({ "units": [grid2], "roles": [], "users": [] }),
    );
    body["photos"] = json!([photo_hash]);
    body["pdf"] = json!(pdf_hash);
    let unknown = {
        let mut b = body.clone();
        b["pdf"] = json!("0".repeat(64));
        b
    };
    assert_status(
        &admin.post("/api/notices", &unknown).await?,
        422,
        "a PDF never uploaded",
    );
    assert_status(&admin.post("/api/notices", &body).await?, 200, "send");

    // The addressee's phone reads both; a phone elsewhere may not fetch them.
    let dirs = [tempfile::tempdir()?, tempfile::tempdir()?];
    let phone = deployment
        .enrolled_client(&server.url, "worker2", dirs[0].path())
        .await?;
    let outsider = deployment
        .enrolled_client(&server.url, "worker4", dirs[1].path())
        .await?;
    phone.sync().await?;
    outsider.sync().await?;
    let item = phone.notices()?.into_iter().next().context("the notice")?;
    assert_eq!(item.delivery.content.photos, vec![photo_hash.clone()]);
    assert_eq!(
        item.delivery.content.pdf.as_deref(),
        Some(pdf_hash.as_str())
    );
    let fetched = phone.blob(&pdf_hash, false).await?;
    assert_eq!(std::fs::read(fetched)?, pdf());
    phone
        .blob(&photo_hash, true)
        .await
        .context("the photo's thumbnail")?;
    assert!(
        outsider.blob(&pdf_hash, false).await.is_err(),
        "a phone outside the audience may not fetch the PDF"
    );
    // The sender's view lists the attachments.
    let listed = admin.get("/api/notices").await?.json;
    let id = listed[0]["id"].as_str().context("id")?;
    let receipts = admin.get(&format!("/api/notices/{id}")).await?.json;
    assert_eq!(receipts["pdf"], json!(pdf_hash));
    assert_eq!(receipts["photos"], json!([photo_hash]));
    Ok(())
}
