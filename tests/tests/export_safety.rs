//! Exports of hostile text open as text: a device reports incidents whose descriptions a
//! spreadsheet would run as formulas; the CSV export neutralises them (OWASP: a leading `'`,
//! the cell quoted) and the XLSX export holds them as strings, never formulas.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::io::Read;

use gridwalk_client::NewIncident;
use gridwalk_tests::admin::{AdminSession, DEMO_PASSWORD};
use gridwalk_tests::Deployment;

/// Text a spreadsheet would read as a formula, and how the CSV export must write it.
const HOSTILE: &[(&str, &str)] = &[
    (
        "=HYPERLINK(\"http://x\",\"y\")",
        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
    ),
    ("@SUM(1)", "\"'@SUM(1)\""),
    ("-1+2", "\"'-1+2\""),
    ("+1", "\"'+1\""),
    ("\t=1", "\"'\t=1\""),
    ("\r=1", "\"'\r=1\""),
];

/// One file of the XLSX zip as text.
fn zip_entry(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_is_exported_as_text() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let phone = deployment.device(&server.url, "worker1").await.unwrap();
    phone.client.sync().await.unwrap();
    for (text, _) in HOSTILE {
        phone
            .client
            .report_incident(NewIncident {
                category: "env.garbage".into(),
                description: (*text).into(),
                location: None,
            })
            .unwrap();
    }
    phone
        .client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: "楼道堆放杂物".into(),
            location: None,
        })
        .unwrap();
    phone.client.sync().await.unwrap();
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD)
        .await
        .unwrap();

    let csv = admin
        .get("/api/exports/incidents?format=csv")
        .await
        .unwrap();
    assert_eq!(csv.status, 200, "{:?}", csv.json);
    let text = String::from_utf8(csv.bytes).unwrap();
    for (hostile, written) in HOSTILE {
        assert!(
            text.contains(written),
            "{hostile:?} should be written as {written:?} in:\n{text}"
        );
        let bare = format!(",\"{hostile}");
        assert!(!text.contains(&bare), "{hostile:?} is left as it was");
    }
    assert!(
        text.contains(",\"楼道堆放杂物\","),
        "plain text is kept as it is"
    );

    let xlsx = admin
        .get("/api/exports/incidents?format=xlsx")
        .await
        .unwrap();
    assert_eq!(xlsx.status, 200, "{:?}", xlsx.json);
    let sheet = zip_entry(&xlsx.bytes, "xl/worksheets/sheet1.xml");
    let strings = zip_entry(&xlsx.bytes, "xl/sharedStrings.xml").replace("&quot;", "\"");
    assert!(!sheet.contains("<f>"), "no formula cells: {sheet}");
    assert!(sheet.contains("t=\"s\""), "cells are shared strings");
    for needle in ["=HYPERLINK(\"http://x\",\"y\")", "@SUM(1)", "-1+2"] {
        assert!(
            strings.contains(&format!(">{needle}<")),
            "{needle} is a string as typed: {strings}"
        );
    }
}
