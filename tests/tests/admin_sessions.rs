//! Admin sessions against a real seeded server: CSRF tokens on state-changing requests,
//! sign-in lock-out, the audit trail, and API tokens acting as their user until revoked.

use anyhow::Result;
use gridwalk_tests::admin::{assert_status, AdminSession, DemoIds, DEMO_PASSWORD};
use gridwalk_tests::Deployment;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_lock_out_and_audit() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let ids = DemoIds::read(&admin).await?;

    // State-changing requests need the CSRF token; reads do not.
    let body = serde_json::to_vec(&json!({ "name": "第四网格", "parent": ids.communities[0] }))?;
    let no_token = admin
        .request(
            Method::POST,
            "/api/org/units",
            Some((body, "application/json")),
            false,
        )
        .await?;
    assert_status(&no_token, 403, "no CSRF token");
    assert_eq!(no_token.code(), "csrf");
    let wrong = AdminSession {
        csrf: "0".repeat(64),
        ..admin.clone()
    };
    assert_eq!(
        wrong
            .post(
                "/api/org/units",
                &json!({ "name": "x", "parent": ids.communities[0] })
            )
            .await?
            .code(),
        "csrf"
    );
    assert_status(&admin.get("/api/session").await?, 200, "read without token");

    // Five wrong passwords lock the account, even against the right one.
    for _ in 0..5 {
        let e = AdminSession::sign_in(&server.url, "dept2", "wrong-password")
            .await
            .err();
        assert!(e.is_some_and(|e| e.to_string().contains("401")));
    }
    let locked = AdminSession::sign_in(&server.url, "dept2", DEMO_PASSWORD)
        .await
        .err();
    assert!(locked.is_some_and(|e| e.to_string().contains("account_locked")));
    // Unknown logins and non-admin roles cannot sign in.
    assert!(AdminSession::sign_in(&server.url, "nobody", DEMO_PASSWORD)
        .await
        .is_err());
    assert!(AdminSession::sign_in(&server.url, "worker1", DEMO_PASSWORD)
        .await
        .is_err());

    // The CLI resets the password and lifts the lock.
    gridwalk_tests::server_cmd(&[
        "admin-password",
        "--data",
        &deployment.data(),
        "--user",
        "dept2",
        "--password",
        "recovered-pass",
    ])?;
    AdminSession::sign_in(&server.url, "dept2", "recovered-pass").await?;
    let reset = admin.get("/api/audit?action=user.password").await?.json;
    assert_eq!(reset[0]["actor_login"], "(command line)", "{reset}");
    assert_eq!(reset[0]["target"], "dept2");

    // Sign-ins, failures and actions are in the audit log, searchable.
    let failures = admin
        .get("/api/audit?q=dept2&action=sign_in&limit=50")
        .await?
        .json;
    let entries = failures.as_array().cloned().unwrap_or_default();
    assert_eq!(
        entries.iter().filter(|e| e["ok"] == false).count(),
        6,
        "{failures}"
    );
    assert_eq!(entries.iter().filter(|e| e["ok"] == true).count(), 1);
    let unknown = admin.get("/api/audit?q=nobody").await?.json;
    assert_eq!(
        unknown[0]["detail"],
        json!({ "reason": "unknown_login" }).to_string()
    );

    // Signing out ends the session.
    assert_status(
        &admin
            .request(Method::DELETE, "/api/session", None, true)
            .await?,
        204,
        "sign out",
    );
    assert_status(&admin.get("/api/session").await?, 401, "after sign-out");
    Ok(())
}

/// `gridwalk-server api-token` for `login` named `name` (plus `extra` flags): its last line.
fn api_token(deployment: &Deployment, login: &str, name: &str, extra: &[&str]) -> Result<String> {
    let data = deployment.data();
    let mut args = vec![
        "api-token",
        "--data",
        &data,
        "--user",
        login,
        "--name",
        name,
    ];
    args.extend_from_slice(extra);
    let out = gridwalk_tests::server_cmd(&args)?;
    Ok(out.lines().last().unwrap_or("").trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_tokens_act_as_their_user_until_revoked() -> Result<()> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let admin = AdminSession::sign_in(&server.url, "admin", DEMO_PASSWORD).await?;
    let ids = DemoIds::read(&admin).await?;

    // Another system with the street admin's token: reads, and writes without a CSRF token.
    let token = api_token(&deployment, "admin", "city-platform", &[])?;
    assert!(token.starts_with("gwk_"), "{token}");
    let system = AdminSession::with_token(&server.url, &token);
    let me = system.get("/api/session").await?;
    assert_status(&me, 200, "token caller");
    assert_eq!(me.json["user"]["login"], "admin");
    let added = system
        .post(
            "/api/org/units",
            &json!({ "name": "接口网格", "parent": ids.communities[0] }),
        )
        .await?;
    assert_status(&added, 200, "write with a token, no CSRF");
    let audit = admin.get("/api/audit?q=接口网格").await?.json;
    assert_eq!(audit[0]["actor_login"], "admin", "{audit}");

    // A department's token sees what department staff see: no org units, no user admin.
    let dept = AdminSession::with_token(
        &server.url,
        &api_token(&deployment, "dept1", "queue-sync", &[])?,
    );
    assert_eq!(
        dept.get("/api/org").await?.json["units"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert_status(
        &dept
            .post(
                "/api/org/units",
                &json!({ "name": "x", "parent": ids.communities[0] }),
            )
            .await?,
        403,
        "department token writing org units",
    );

    // Tokens are not sessions: nothing to sign out of.
    let sign_out = system
        .request(Method::DELETE, "/api/session", None, false)
        .await?;
    assert_status(&sign_out, 400, "sign out with a token");
    assert_eq!(sign_out.code(), "api_token");

    // Issuing the name again replaces the token; revoking ends it at once.
    let rotated = api_token(&deployment, "admin", "city-platform", &[])?;
    assert_status(&system.get("/api/users").await?, 401, "replaced token");
    let system = AdminSession::with_token(&server.url, &rotated);
    assert_status(&system.get("/api/users").await?, 200, "new token");
    api_token(&deployment, "admin", "city-platform", &["--revoke"])?;
    let revoked = system.get("/api/users").await?;
    assert_status(&revoked, 401, "revoked token");
    assert_eq!(revoked.code(), "unauthorized");
    assert!(api_token(&deployment, "admin", "city-platform", &["--revoke"]).is_err());
    // Unknown tokens and roles without admin access get nothing.
    let forged = AdminSession::with_token(&server.url, &format!("gwk_{}", "0".repeat(64)));
    assert_status(&forged.get("/api/users").await?, 401, "forged token");
    assert!(api_token(&deployment, "worker1", "phone", &[]).is_err());
    let issued = admin.get("/api/audit?action=api_token.issue").await?.json;
    assert_eq!(issued.as_array().map(Vec::len), Some(3), "{issued}");
    Ok(())
}
