//! Sign-in limits against a real server: twenty wrong passwords fired at once, from twenty
//! addresses, get no more verifications than the lock-out allows; failed sign-ins from one
//! address are rate-limited (so they cannot flood the audit log) without touching others.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::net::{IpAddr, Ipv4Addr};

use gridwalk_tests::admin::{AdminSession, Answer, DEMO_PASSWORD};
use gridwalk_tests::Deployment;
use serde_json::{json, Value};

/// Lock-out of the server's default settings.
const LOCK_AFTER: usize = 5;
/// Failed sign-ins an address may make at once (`sign_in_guard::ADDRESS_BURST`).
const ADDRESS_BURST: usize = 10;

/// `POST /api/session` from source address 127.0.0.`host`.
async fn sign_in_from(url: &str, host: u8, login: &str, password: &str) -> Answer {
    let http = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)))
        .build()
        .unwrap();
    let reply = http
        .post(format!("{url}/api/session"))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let retry_after = reply.headers().get("retry-after").is_some();
    let bytes = reply.bytes().await.unwrap().to_vec();
    let mut json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if retry_after {
        json["retry_after"] = json!(true);
    }
    Answer {
        status,
        json,
        bytes,
    }
}

/// Failed sign-ins in the audit log whose detail says `reason`, for `login`.
async fn audited(admin: &AdminSession, login: &str, reason: &str) -> usize {
    let entries = admin
        .get(&format!("/api/audit?q={login}&action=sign_in&limit=200"))
        .await
        .unwrap()
        .json;
    entries
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["actor_login"] == login && e["ok"] == false)
        .filter(|e| {
            e["detail"]
                .as_str()
                .is_some_and(|d| d.contains(&format!("\"reason\":\"{reason}\"")))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_cannot_pass_the_lock_out() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let guesses: Vec<_> = (0..20u8)
        .map(|i| {
            let url = server.url.clone();
            tokio::spawn(async move {
                sign_in_from(&url, 10 + i, "dept1", &format!("guess-{i:02}-wrong")).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for guess in guesses {
        answers.push(guess.await.unwrap());
    }
    let verified = answers
        .iter()
        .filter(|a| a.status == 401 && a.code() == "bad_credentials")
        .count();
    let locked = answers
        .iter()
        .filter(|a| a.status == 429 && a.code() == "account_locked")
        .count();
    assert_eq!(
        verified,
        LOCK_AFTER,
        "exactly the lock-out's number of guesses were checked: {:?}",
        answers
            .iter()
            .map(|a| (a.status, a.code()))
            .collect::<Vec<_>>()
    );
    assert_eq!(verified + locked, 20, "the rest found the account locked");
    // The right password, from yet another address, is refused too.
    let right = sign_in_from(&server.url, 60, "dept1", DEMO_PASSWORD).await;
    assert_eq!((right.status, right.code()), (429, "account_locked"));

    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        audited(&admin, "dept1", "bad_credentials").await,
        LOCK_AFTER
    );
    assert_eq!(audited(&admin, "dept1", "locked").await, 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_rate_limited_per_address() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    for i in 0..ADDRESS_BURST {
        let answer = sign_in_from(&server.url, 2, &format!("nobody{i}"), "whatever-1").await;
        assert_eq!((answer.status, answer.code()), (401, "bad_credentials"));
    }
    for i in 0..5 {
        let answer = sign_in_from(&server.url, 2, &format!("flood{i}"), "whatever-1").await;
        assert_eq!(
            (answer.status, answer.code()),
            (429, "sign_in_rate_limited")
        );
        assert_eq!(answer.json["retry_after"], true, "with Retry-After");
    }
    // That address is held back whatever it sends; another address is not.
    let held = sign_in_from(&server.url, 2, "admin", DEMO_PASSWORD).await;
    assert_eq!(held.code(), "sign_in_rate_limited");
    let other = sign_in_from(&server.url, 3, "admin", DEMO_PASSWORD).await;
    assert_eq!(other.status, 200, "{}", other.json);
    // Successful sign-ins cost nothing: an address that signs in often is never held back.
    for _ in 0..(ADDRESS_BURST + 2) {
        assert_eq!(
            sign_in_from(&server.url, 4, "admin", DEMO_PASSWORD)
                .await
                .status,
            200
        );
    }

    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD)
        .await
        .unwrap();
    let entries = admin
        .get("/api/audit?action=sign_in&limit=200")
        .await
        .unwrap()
        .json;
    let unknown = entries
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| {
            e["detail"]
                .as_str()
                .is_some_and(|d| d.contains("unknown_login"))
        })
        .count();
    assert_eq!(
        unknown, ADDRESS_BURST,
        "the flood past the budget is not audited"
    );
}
