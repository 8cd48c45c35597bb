//! The `gridwalk` CLI contract without a server: output shapes, `GRIDWALK_DATA`, and clean
//! errors (one message, non-zero exit, never a panic).

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::process::{Command, Output};

fn gridwalk(args: &[&str], data: Option<&std::path::Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gridwalk"));
    command.env_remove("GRIDWALK_DATA").env_remove("RUST_LOG");
    if let Some(data) = data {
        command.env("GRIDWALK_DATA", data);
    }
    command.args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_fresh_device_reports_its_status() {
    let dir = tempfile::TempDir::new().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = gridwalk(&["--data", data, "status"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("not enrolled"));
    assert!(stdout.contains("pending_changes 0"));
    assert!(stdout.contains("last_sync never"));
    assert!(dir.path().join("gridwalk.sqlite").exists());

    // The data directory may come from the environment.
    let out = gridwalk(&["households"], Some(dir.path()));
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "");
    let out = gridwalk(&["export"], Some(dir.path()));
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn errors_are_one_clear_message_and_a_non_zero_exit() {
    let dir = tempfile::TempDir::new().unwrap();
    let cases: [&[&str]; 4] = [
        &["sync"],
        &[
            "report",
            "add",
            "--category",
            "env.garbage",
            "--description",
            "x",
        ],
        &[
            "household",
            "set",
            "--id",
            "01a2072c-09d7-71f5-a3e4-884e709b39d7",
            "--field",
            "phone",
            "--value",
            "1",
        ],
        &["enroll", "--server", "ftp://nowhere", "--code", "X"],
    ];
    for args in cases {
        let out = gridwalk(args, Some(dir.path()));
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.starts_with("错误 / error: "), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let not_enrolled = text(&gridwalk(&["sync"], Some(dir.path())).stderr);
    assert!(not_enrolled.contains("not enrolled"));
}

#[test]
fn bad_arguments_are_refused_by_the_parser() {
    let dir = tempfile::TempDir::new().unwrap();
    for args in [
        vec!["visit", "add", "--household", "not-a-uuid"],
        vec![
            "report",
            "add",
            "--category",
            "c",
            "--description",
            "d",
            "--lat",
            "39.9",
        ],
        vec![
            "incident",
            "act",
            "--id",
            "01a2072c-09d7-71f5-a3e4-884e709b39d7",
            "--action",
            "fly",
        ],
    ] {
        let out = gridwalk(&args, Some(dir.path()));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!text(&out.stderr).contains("panicked"));
    }
    let out = gridwalk(&["status"], None);
    assert_eq!(out.status.code(), Some(2), "--data is required");
}
