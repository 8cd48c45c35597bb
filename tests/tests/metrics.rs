//! `GET /metrics` counts what the node served, in the Prometheus text format, and `GET /ready`
//! answers for the load balancer.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::collections::HashMap;

use gridwalk_client::NewIncident;
use gridwalk_tests::raw::RawDevice;
use gridwalk_tests::{Deployment, Server};
use uuid::Uuid;

/// Samples by `name{labels}`, after checking every line is a comment or a sample of a family
/// whose type was declared.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut typed = Vec::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            typed.push(name.to_string());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad metric name in {line}"
        );
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| typed.iter().any(|t| t == f))
            })
            .unwrap_or(name);
        assert!(typed.iter().any(|t| t == family), "no TYPE for {line}");
        samples.insert(series.to_string(), value.parse::<f64>().unwrap());
    }
    samples
}

async fn scrape(url: &str, token: Option<&str>) -> (u16, String) {
    let mut get = reqwest::Client::new().get(format!("{url}/metrics"));
    if let Some(token) = token {
        get = get.bearer_auth(token);
    }
    let res = get.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn value(samples: &HashMap<String, f64>, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_rounds_documents_and_requests_by_route() {
    let deployment = Deployment::seeded().unwrap();
    let server = Server::start_with(
        &deployment.data(),
        "127.0.0.1:0",
        &["--metrics-token", "scrape-me"],
    )
    .unwrap();
    let (status, _) = scrape(&server.url, None).await;
    assert_eq!(status, 401, "the metrics token is asked for");
    assert_eq!(scrape(&server.url, Some("wrong")).await.0, 401);
    let (status, before) = scrape(&server.url, Some("scrape-me")).await;
    assert_eq!(status, 200);
    let before = parse(&before);

    // One accepted incident from a full client, one refused visit from a raw device.
    let phone = deployment.device(&server.url, "worker1").await.unwrap();
    phone.client.sync().await.unwrap();
    phone
        .client
        .report_incident(NewIncident {
            category: "env.littering".into(),
            description: "楼道堆物".into(),
            location: None,
        })
        .unwrap();
    phone.client.sync().await.unwrap();
    let raw = RawDevice::enroll(&server.url, &deployment.enroll_code("worker2").unwrap())
        .await
        .unwrap();
    let refused = raw.send_visit(Uuid::now_v7(), "", vec![]).await.unwrap();
    assert_eq!(refused.unwrap().code, "unknown_household");
    let hash = "ab".repeat(32);
    let head = reqwest::Client::new()
        .head(format!("{}/v1/blobs/{hash}", server.url))
        .bearer_auth(&raw.token)
        .send()
        .await
        .unwrap();
    // Not offered for upload: refused (4xx), and counted under the route's template.
    let head_status = head.status().as_u16();
    assert!((400..500).contains(&head_status), "{head_status}");

    let (_, after) = scrape(&server.url, Some("scrape-me")).await;
    assert!(!after.contains(&hash), "raw paths never become labels");
    let after = parse(&after);
    let delta = |series: &str| value(&after, series) - value(&before, series);
    let accepted = r#"gridwalk_sync_documents_total{outcome="accepted"}"#;
    let rejected = r#"gridwalk_sync_documents_total{outcome="rejected"}"#;
    assert_eq!(delta(accepted), 1.0);
    assert_eq!(delta(rejected), 1.0);
    assert_eq!(
        delta(r#"gridwalk_sync_rounds_total{outcome="rejected"}"#),
        1.0
    );
    let ok_rounds = delta(r#"gridwalk_sync_rounds_total{outcome="ok"}"#);
    assert!(ok_rounds >= 2.0, "the phone's rounds: {ok_rounds}");
    assert_eq!(
        delta("gridwalk_sync_round_duration_seconds_count"),
        ok_rounds + 1.0,
        "every round is timed"
    );
    assert!(delta(r#"gridwalk_sync_documents_total{outcome="sent"}"#) > 0.0);
    assert_eq!(
        delta(r#"gridwalk_http_requests_total{route="/v1/sync",method="POST",status="422"}"#),
        1.0
    );
    let blob_series = format!(
        r#"gridwalk_http_requests_total{{route="/v1/blobs/{{sha256}}",method="HEAD",status="{head_status}"}}"#
    );
    assert_eq!(delta(&blob_series), 1.0);
    assert_eq!(
        delta(r#"gridwalk_http_requests_total{route="/v1/enroll",method="POST",status="200"}"#),
        2.0
    );
    assert!(
        value(
            &after,
            r#"gridwalk_http_request_duration_seconds_count{route="/v1/sync"}"#
        ) >= ok_rounds + 1.0
    );
    // Nothing is in flight between requests; the backend reports its own queues.
    assert_eq!(value(&after, "gridwalk_sync_rounds_in_flight"), 0.0);
    assert_eq!(value(&after, "gridwalk_sync_checks_in_use"), 0.0);
    assert!(after.contains_key("gridwalk_db_commits_queued"));
}

#[tokio::test]
async fn ready_answers_once_the_database_does() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let res = reqwest::get(format!("{}/ready", server.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    // Without a token /metrics is open (the proxy keeps it off the public side).
    assert_eq!(scrape(&server.url, None).await.0, 200);
}
