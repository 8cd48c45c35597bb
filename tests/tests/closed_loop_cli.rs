//! The closed loop from scripts: `gridwalk report add --handled-on-the-spot`, `gridwalk
//! incident act` (verify by a colleague, a failed check with a reason, reopen, evaluate with a
//! rating, a refused action with a clear error) and `gridwalk export` printing each record's
//! folded `state`.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use gridwalk_tests::{gridwalk, ok, Deployment};
use serde_json::Value;

/// The folded state `export` prints for record `id`.
fn state(data: &str, id: &str) -> Value {
    let exported = ok(gridwalk(data, &["export"]));
    exported
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|r| r["record"]["id"] == id || r["id"] == id)
        .map(|r| r["state"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn scripts_drive_the_loop_and_read_its_state() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (reporter, colleague) = (
        a.path().to_string_lossy().into_owned(),
        b.path().to_string_lossy().into_owned(),
    );
    for (data, login) in [(&reporter, "worker1"), (&colleague, "worker1b")] {
        let code = deployment.enroll_code(login).unwrap();
        ok(gridwalk(
            data,
            &["enroll", "--server", &server.url, "--code", &code],
        ));
        ok(gridwalk(data, &["sync"]));
    }
    let id = ok(gridwalk(
        &reporter,
        &[
            "report",
            "add",
            "--category",
            "env.garbage",
            "--description",
            "楼道堆放杂物",
            "--handled-on-the-spot",
        ],
    ))
    .trim()
    .to_string();
    assert_eq!(state(&reporter, &id)["status"], "handled");
    ok(gridwalk(&reporter, &["sync"]));
    // Handled on the spot: the server does not dispatch it.
    assert_eq!(state(&reporter, &id)["status"], "handled");

    // The reporter may not check their own fix: a clear refusal, nothing written.
    let own = gridwalk(
        &reporter,
        &["incident", "act", "--id", &id, "--action", "verify"],
    );
    assert!(!own.status.success());
    assert!(String::from_utf8_lossy(&own.stderr).contains("forbidden"));

    ok(gridwalk(&colleague, &["sync"]));
    let no_reason = gridwalk(
        &colleague,
        &[
            "incident", "act", "--id", &id, "--action", "verify", "--failed",
        ],
    );
    assert!(String::from_utf8_lossy(&no_reason.stderr).contains("reason_required"));
    let act = |args: &[&str]| {
        let mut all = vec!["incident", "act", "--id", id.as_str()];
        all.extend_from_slice(args);
        ok(gridwalk(&colleague, &all));
    };
    act(&["--action", "verify", "--failed", "--note", "楼道仍有杂物"]);
    assert_eq!(state(&colleague, &id)["status"], "verify_failed");
    act(&["--action", "reopen", "--note", "请再清理"]);
    assert_eq!(state(&colleague, &id)["status"], "handling");
    ok(gridwalk(&colleague, &["sync"]));
    ok(gridwalk(&reporter, &["sync"]));
    ok(gridwalk(
        &reporter,
        &[
            "incident",
            "act",
            "--id",
            &id,
            "--action",
            "feedback",
            "--note",
            "已彻底清理",
        ],
    ));
    ok(gridwalk(&reporter, &["sync"]));
    ok(gridwalk(&colleague, &["sync"]));
    act(&["--action", "verify"]);
    act(&["--action", "evaluate", "--rating", "satisfied"]);
    act(&["--action", "close"]);
    ok(gridwalk(&colleague, &["sync"]));
    ok(gridwalk(&reporter, &["sync"]));
    let (mine, theirs) = (state(&reporter, &id), state(&colleague, &id));
    assert_eq!(mine["status"], "closed");
    assert_eq!(mine["satisfaction"], "satisfied");
    assert_eq!(mine, theirs, "both folded the same state");
}
