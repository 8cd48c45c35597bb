//! Every `gridwalk-server` command on a PostgreSQL database (`--database postgres://…`, or
//! `GRIDWALK_DATABASE`); `backup` and `restore` refuse it and point at `pg_dump`.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::process::Command;

use gridwalk_tests::{bin, Deployment};

#[test]
fn every_command_runs_on_postgres() {
    let Some(deployment) = Deployment::seeded_on_postgres().unwrap() else {
        eprintln!("skipping: PostgreSQL is not installed (apt-get install postgresql)");
        return;
    };
    let run = |args: &[&str]| deployment.command(args).unwrap();
    run(&["seed-activity", "--days", "2"]);
    let users = deployment.users().unwrap();
    assert!(users.iter().any(|(login, _, _)| login == "worker1"));
    assert!(!deployment.enroll_code("worker1").unwrap().is_empty());
    run(&[
        "admin-password",
        "--user",
        "admin",
        "--password",
        "a-long-new-one",
    ]);
    let token = run(&["api-token", "--user", "admin", "--name", "city"]);
    assert!(!token.trim().is_empty());
    run(&["api-token", "--user", "admin", "--name", "city", "--revoke"]);
    run(&["open311-key", "--name", "city-app"]);
    run(&["missing-blobs"]);
    run(&["gc-blobs"]);
    let compacted = run(&["compact", "--keep", "10"]);
    assert!(compacted.contains("removed"), "{compacted}");
    assert!(run(&["new-epoch"]).contains("new epoch"));

    // The environment names the database as well as the flag does.
    let url = deployment.database.clone().unwrap();
    let out = Command::new(bin("gridwalk-server"))
        .args(["users", "--blobs", &deployment.data()])
        .env("GRIDWALK_DATABASE", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        users.len()
    );

    // The SQLite file copies refuse PostgreSQL, saying what to use instead.
    let backup = deployment.dir.path().join("gw.backup");
    for args in [
        vec!["backup", "--to", backup.to_str().unwrap()],
        vec!["restore", "--from", backup.to_str().unwrap()],
    ] {
        let refused = deployment.command(&args).unwrap_err().to_string();
        assert!(refused.contains("pg_dump"), "{refused}");
    }
}
