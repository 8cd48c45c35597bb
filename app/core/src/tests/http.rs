//! The HTTP transport against a scripted server on 127.0.0.1: headers, gzip, retries,
//! error bodies and protocol-version checks.

use std::time::Duration;

use gridwalk_shared::{
    wire::{self, EnrollResponse, Rejection, SyncRequest, SyncResponse},
    Record,
};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::fixture::*;
use crate::store::meta;
use crate::{Client, Error, NewIncident, SyncOptions};

/// A canned answer.
struct Canned {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// A request as received: the head (lower-cased) and the body.
struct Seen {
    head: String,
    body: Vec<u8>,
}

fn json(status: u16, body: &impl serde::Serialize) -> Canned {
    Canned {
        status,
        headers: vec![
            ("content-type", "application/json".into()),
            ("x-gridwalk-protocol", "1".into()),
        ],
        body: serde_json::to_vec(body).unwrap(),
    }
}

fn error(status: u16, code: &str) -> Canned {
    json(
        status,
        &wire::ErrorBody {
            code: code.into(),
            message: format!("{code} happened"),
        },
    )
}

fn cbor(status: u16, response: &SyncResponse) -> Canned {
    Canned {
        status,
        headers: vec![
            ("content-type", wire::CONTENT_TYPE.into()),
            ("x-gridwalk-protocol", "1".into()),
        ],
        body: wire::encode(response),
    }
}

async fn read_request(socket: &mut TcpStream) -> Seen {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        let n = socket.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed before the request ended");
        data.extend_from_slice(&buf[..n]);
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while data.len() < head_end + length {
        let n = socket.read(&mut buf).await.unwrap();
        data.extend_from_slice(&buf[..n]);
    }
    Seen {
        head,
        body: data[head_end..].to_vec(),
    }
}

/// Serves `script` one connection per answer; returns the base URL and the requests seen.
async fn scripted(script: Vec<Canned>) -> (String, tokio::task::JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut seen = Vec::new();
        for canned in script {
            let (mut socket, _) = listener.accept().await.unwrap();
            seen.push(read_request(&mut socket).await);
            let mut head = format!(
                "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                canned.status,
                canned.body.len()
            );
            for (name, value) in &canned.headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            socket.write_all(head.as_bytes()).await.unwrap();
            socket.write_all(&canned.body).await.unwrap();
            socket.shutdown().await.unwrap();
        }
        seen
    });
    (url, task)
}

async fn requests(task: tokio::task::JoinHandle<Vec<Seen>>) -> Vec<Seen> {
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("script finished")
        .unwrap()
}

fn fast(client: Client) -> Client {
    client
        .with_sync_options(SyncOptions {
            attempts: 3,
            base_delay: Duration::from_millis(1),
            timeout: Duration::from_secs(5),
        })
        .unwrap()
}

/// Points `client` at `url`.
fn point_at(client: &Client, url: &str) {
    client
        .store()
        .write(|tx| {
            let mut credentials = meta::credentials(tx)?.unwrap();
            credentials.server_url = url.to_string();
            meta::set_credentials(tx, &credentials)
        })
        .unwrap();
}

/// A signed-in client that talks to `url`, with one reported incident in its outbox.
fn client_at(dir: &TempDir, url: &str) -> (Client, uuid::Uuid) {
    let client = fast(signed_in(dir.path(), &worker1(), TestClock::new()));
    point_at(&client, url);
    let id = client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: "楼道堆物".into(),
            location: None,
        })
        .unwrap();
    (client, id)
}

fn answer(accepted: Vec<uuid::Uuid>) -> SyncResponse {
    SyncResponse {
        accepted,
        ..delivery(&[], 1)
    }
}

#[tokio::test]
async fn enrolment_stores_the_account() {
    let dir = TempDir::new().unwrap();
    let enrolled = EnrollResponse {
        device_id: gridwalk_shared::time::new_id(),
        token: "secret".into(),
        user: worker1(),
    };
    let (url, task) = scripted(vec![json(200, &enrolled)]).await;
    let client = fast(Client::open(dir.path()).unwrap());
    let account = client
        .enroll(&format!("{url}/"), " ABCD-1234 ", "测试机")
        .await
        .unwrap();
    assert_eq!(account.device_id, enrolled.device_id);
    assert_eq!(account.user, worker1());
    assert_eq!(account.server_url, url);
    assert_eq!(client.account().unwrap(), Some(account));
    let seen = requests(task).await;
    assert!(seen[0].head.starts_with("post /v1/enroll "));
    assert!(seen[0].head.contains("x-gridwalk-protocol: 1"));
    let sent: wire::EnrollRequest = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(sent.code, "ABCD-1234");
    assert_eq!(sent.device_name, "测试机");
}

#[tokio::test]
async fn a_refused_code_is_reported_and_not_retried() {
    let dir = TempDir::new().unwrap();
    let (url, task) = scripted(vec![error(401, "invalid_code")]).await;
    let client = fast(Client::open(dir.path()).unwrap());
    let refused = client.enroll(&url, "nope", "x").await;
    assert!(
        matches!(&refused, Err(Error::Server { status: 401, code, .. }) if code == "invalid_code"),
        "{refused:?}"
    );
    assert_eq!(requests(task).await.len(), 1);
    assert_eq!(client.account().unwrap(), None);
}

#[tokio::test]
async fn sync_retries_server_errors_then_clears_the_outbox() {
    let dir = TempDir::new().unwrap();
    let (url, task) = scripted(vec![
        error(503, "unavailable"),
        error(500, "internal"),
        Canned {
            status: 200,
            headers: vec![],
            body: Vec::new(),
        },
    ])
    .await;
    let (client, _) = client_at(&dir, &url);
    // The third answer is not CBOR: the round fails and nothing is cleared.
    assert!(matches!(client.sync().await, Err(Error::Protocol(_))));
    assert_eq!(client.pending_changes().unwrap(), 1);
    let seen = requests(task).await;
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert!(request.head.starts_with("post /v1/sync "));
        assert!(request.head.contains("authorization: bearer test-token"));
        assert!(request.head.contains("content-type: application/cbor"));
        assert!(request.head.contains("x-gridwalk-protocol: 1"));
        assert!(request.head.contains("accept-encoding: gzip"));
    }
}

#[tokio::test]
async fn sync_uploads_and_applies_the_answer() {
    let dir = TempDir::new().unwrap();
    let home = household(GRID1, "幸福路1号101");
    let (client, incident) = client_at(&dir, "http://127.0.0.1:9");
    let mut response = answer(vec![incident]);
    response.docs = delivery(&[Record::Household(home.clone())], 1).docs;
    let (url, task) = scripted(vec![error(502, "bad_gateway"), cbor(200, &response)]).await;
    point_at(&client, &url);
    let report = client.sync().await.unwrap();
    assert_eq!(report.rounds, 1);
    assert_eq!(report.uploaded_docs, 1);
    assert_eq!(report.uploaded_changes, 1);
    assert_eq!(report.downloaded_docs, 1);
    assert!(report.bytes_sent > 0 && report.bytes_received > 0);
    assert_eq!(client.pending_changes().unwrap(), 0);
    assert_eq!(client.households().unwrap()[0].id, home.id);
    assert!(client.status().unwrap().last_sync.is_some());
    let seen = requests(task).await;
    let sent: SyncRequest = wire::decode(&seen[1].body).unwrap();
    assert_eq!(sent.docs[0].doc_id, incident);
    assert_eq!(sent.reference_version, 3);
    assert_eq!(sent.cursor, None, "a fresh device has no cursor");
    let next = client.prepare_round().unwrap().request;
    assert_eq!(next.cursor.map(|c| c.seq), Some(1));
    assert!(next.docs.is_empty());
}

#[tokio::test]
async fn large_requests_are_gzipped() {
    let dir = TempDir::new().unwrap();
    let (url, task) = scripted(vec![cbor(200, &answer(vec![]))]).await;
    let (client, _) = client_at(&dir, &url);
    for n in 0..20 {
        client
            .report_incident(NewIncident {
                category: "env.garbage".into(),
                description: format!("问题 {n}"),
                location: None,
            })
            .unwrap();
    }
    client.sync().await.unwrap();
    let seen = requests(task).await;
    assert!(seen[0].head.contains("content-encoding: gzip"));
    let plain = wire::gunzip(&seen[0].body, wire::MAX_DECODED_BYTES).unwrap();
    let sent: SyncRequest = wire::decode(&plain).unwrap();
    assert_eq!(sent.docs.len(), 21);
    assert_eq!(
        client.pending_changes().unwrap(),
        21,
        "nothing was accepted"
    );
}

#[tokio::test]
async fn a_422_round_still_applies_its_body() {
    let dir = TempDir::new().unwrap();
    let (client, incident) = client_at(&dir, "http://127.0.0.1:9");
    let mut response = answer(vec![]);
    response.rejected.push(Rejection {
        doc_id: incident,
        code: "forbidden".into(),
        reason: "not allowed".into(),
        server_copy: None,
    });
    let (url, task) = scripted(vec![cbor(422, &response)]).await;
    point_at(&client, &url);
    let report = client.sync().await.unwrap();
    assert_eq!(
        report.rejected,
        vec![(incident, "forbidden".into(), "not allowed".into())]
    );
    assert_eq!(report.conflict_copies, 1);
    assert_eq!(client.pending_changes().unwrap(), 0);
    assert_eq!(requests(task).await.len(), 1);
}

#[tokio::test]
async fn a_rate_limited_round_waits_as_the_server_asks_then_goes_through() {
    let dir = TempDir::new().unwrap();
    let (client, incident) = client_at(&dir, "http://127.0.0.1:9");
    let mut limited = error(429, "rate_limited");
    limited.headers.push(("retry-after", "1".into()));
    let (url, task) = scripted(vec![limited, cbor(200, &answer(vec![incident]))]).await;
    point_at(&client, &url);
    let started = std::time::Instant::now();
    let report = client.sync().await.unwrap();
    // The client's own backoff is 1 ms here: the second attempt waited for `Retry-After`.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.uploaded_docs, 1);
    assert_eq!(requests(task).await.len(), 2);
    assert_eq!(client.pending_changes().unwrap(), 0);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let dir = TempDir::new().unwrap();
    let (url, task) = scripted(vec![error(422, "too_many_changes")]).await;
    let (client, _) = client_at(&dir, &url);
    let failed = client.sync().await;
    assert!(
        matches!(&failed, Err(Error::Server { status: 422, code, .. }) if code == "too_many_changes"),
        "{failed:?}"
    );
    assert_eq!(requests(task).await.len(), 1);
    assert_eq!(client.pending_changes().unwrap(), 1);
}

#[tokio::test]
async fn another_protocol_version_asks_for_an_update() {
    let dir = TempDir::new().unwrap();
    let mut newer = cbor(200, &answer(vec![]));
    newer.headers[1].1 = "2".into();
    let (url, task) = scripted(vec![error(426, "protocol_mismatch"), newer]).await;
    let (client, _) = client_at(&dir, &url);
    for _ in 0..2 {
        let failed = client.sync().await.unwrap_err();
        assert!(matches!(failed, Error::UpdateRequired { .. }), "{failed:?}");
        assert!(failed.to_string().contains("please update the app"));
    }
    assert_eq!(requests(task).await.len(), 2);
    assert_eq!(client.pending_changes().unwrap(), 1);
}

#[tokio::test]
async fn an_unreachable_server_is_a_network_error_after_retries() {
    let dir = TempDir::new().unwrap();
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let (client, _) = client_at(&dir, &format!("http://127.0.0.1:{port}"));
    let failed = client.sync().await.unwrap_err();
    assert!(
        matches!(failed, Error::Network { attempts: 3, .. }),
        "{failed:?}"
    );
    assert_eq!(client.pending_changes().unwrap(), 1);
}
