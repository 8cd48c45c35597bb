//! A client killed between its local commit and the upload — even in the middle of the
//! upload — sends the change on its next sync.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::process::{Command, Stdio};
use std::time::Duration;

use gridwalk_tests::{bin, gridwalk, ok, Deployment};

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn killed_mid_upload_uploads_on_next_sync() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let phone = tempfile::tempdir().unwrap();
    let phone = phone.path().to_str().unwrap().to_string();
    let code = deployment.enroll_code("worker1").unwrap();
    ok(gridwalk(
        &phone,
        &["enroll", "--server", &server.url, "--code", &code],
    ));

    // Local commit: the process exits right after, before any upload.
    let id = ok(gridwalk(
        &phone,
        &[
            "report",
            "add",
            "--category",
            "env.garbage",
            "--description",
            "路灯损坏",
            "--lat",
            "39.91",
            "--lon",
            "116.40",
        ],
    ));
    let id = id.trim().lines().last().unwrap().to_string();
    let status = ok(gridwalk(&phone, &["status"]));
    assert!(
        !status.contains("pending_changes 0\n"),
        "the report waits to be sent: {status}"
    );

    // The upload starts, the server stalls, and the phone dies mid-request.
    signal(server.pid(), "-STOP");
    let mut sync = Command::new(bin("gridwalk"))
        .args(["--data", &phone, "sync"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    sync.kill().unwrap();
    sync.wait().unwrap();
    signal(server.pid(), "-CONT");
    server.wait_healthy(Duration::from_secs(10)).unwrap();

    // Next sync uploads it (or finds it already stored); nothing is pending afterwards.
    ok(gridwalk(&phone, &["sync"]));
    let status = ok(gridwalk(&phone, &["status"]));
    assert!(status.contains("pending_changes 0\n"), "{status}");

    // Another phone in the grid receives the report.
    let other = tempfile::tempdir().unwrap();
    let other = other.path().to_str().unwrap().to_string();
    let code = deployment.enroll_code("worker1b").unwrap();
    ok(gridwalk(
        &other,
        &["enroll", "--server", &server.url, "--code", &code],
    ));
    let export = ok(gridwalk(&other, &["export"]));
    let report = export
        .lines()
        .find(|l| l.contains(&id))
        .expect("the report reached the server");
    assert!(report.contains("路灯损坏"));
}
