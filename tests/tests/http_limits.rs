//! The HTTP limits against a real server: a slow-loris client is cut off while `/health`
//! answers, the connection cap holds connections back, a request whose body trickles in is
//! answered 408, blobs say `nosniff`, and cookies are `Secure` when served over HTTPS.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use gridwalk_shared::wire;
use gridwalk_tests::admin::DEMO_PASSWORD;
use gridwalk_tests::media::noisy_jpeg;
use gridwalk_tests::raw::RawDevice;
use gridwalk_tests::{Deployment, Server};
use sha2::{Digest, Sha256};

/// Reads until the server closes the connection (or `within` passes); how long that took.
fn until_closed(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(start.elapsed())
            }
            Err(_) => return None,
        }
    }
}

#[test]
fn a_slow_loris_is_cut_off_while_health_answers() {
    let deployment = Deployment::seeded().unwrap();
    let server = Server::start_with(
        &deployment.data(),
        "127.0.0.1:0",
        &["--header-timeout-secs", "2"],
    )
    .unwrap();
    let start = Instant::now();
    let mut slow = TcpStream::connect(&server.addr).unwrap();
    let mut reader = slow.try_clone().unwrap();
    let closed = std::thread::spawn(move || until_closed(&mut reader, Duration::from_secs(15)));
    // One byte of headers every 250 ms: the whole head would take 15 s.
    let head = b"GET /health HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow-loris/1.0\r\nX-Padding: aaaaaaaa\r\n\r\n";
    let mut sent = 0;
    for byte in head {
        if slow.write_all(&[*byte]).is_err() || closed.is_finished() {
            break;
        }
        sent += 1;
        assert!(server.healthy(), "/health answers meanwhile");
        std::thread::sleep(Duration::from_millis(250));
    }
    let after = closed
        .join()
        .unwrap()
        .expect("the server closed the slow connection");
    assert!(sent < head.len(), "cut off before the head was complete");
    assert!(
        after >= Duration::from_millis(1_500) && after < Duration::from_secs(6),
        "closed after about the header timeout: {after:?} ({:?} since connecting)",
        start.elapsed()
    );
    // An idle connection goes the same way.
    let mut idle = TcpStream::connect(&server.addr).unwrap();
    let idle_for = until_closed(&mut idle, Duration::from_secs(10)).expect("idle closed");
    assert!(idle_for < Duration::from_secs(6), "{idle_for:?}");
    // So does a keep-alive connection left idle after an answer.
    let mut kept = TcpStream::connect(&server.addr).unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let kept_for = until_closed(&mut kept, Duration::from_secs(10)).expect("kept-alive closed");
    assert!(
        kept_for >= Duration::from_millis(1_500) && kept_for < Duration::from_secs(6),
        "{kept_for:?}"
    );
    assert!(server.healthy());
}

#[test]
fn connections_past_the_cap_wait_for_a_free_one() {
    let deployment = Deployment::seeded().unwrap();
    let server = Server::start_with(
        &deployment.data(),
        "127.0.0.1:0",
        &["--max-connections", "2", "--header-timeout-secs", "30"],
    )
    .unwrap();
    let first = TcpStream::connect(&server.addr).unwrap();
    let _second = TcpStream::connect(&server.addr).unwrap();
    // The kernel accepts a third connection into the backlog; the server does not serve it.
    let mut third = TcpStream::connect(&server.addr).unwrap();
    third
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(1_500)))
        .unwrap();
    let mut buf = [0u8; 64];
    assert!(
        third.read(&mut buf).is_err(),
        "no answer while two connections are open"
    );
    // One of the two goes away: the third is served.
    drop(first);
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reply = String::new();
    third.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
}

#[test]
fn a_body_that_trickles_in_is_answered_408() {
    let deployment = Deployment::seeded().unwrap();
    let server = Server::start_with(
        &deployment.data(),
        "127.0.0.1:0",
        &["--request-timeout-secs", "2"],
    )
    .unwrap();
    let mut slow = TcpStream::connect(&server.addr).unwrap();
    slow.write_all(
        b"POST /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{",
    )
    .unwrap();
    let writer = slow.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut writer = writer;
        for _ in 0..40 {
            if writer.write_all(b" ").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = slow.read(&mut buf).unwrap();
    let reply = String::from_utf8_lossy(&buf[..n]);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains("\"code\":\"request_timeout\""), "{reply}");
    assert!(server.healthy());
}

#[tokio::test]
async fn blobs_are_served_with_nosniff() {
    let deployment = Deployment::seeded().unwrap();
    let server = deployment.start().unwrap();
    let code = deployment.enroll_code("worker1").unwrap();
    let device = RawDevice::enroll(&server.url, &code).await.unwrap();
    let phone = deployment.device(&server.url, "worker1b").await.unwrap();
    phone.client.sync().await.unwrap();
    let household = phone.client.households().unwrap()[0].id;
    let bytes = noisy_jpeg(64, 48, 3);
    let hash = hex::encode(Sha256::digest(&bytes));
    device
        .upload_visit(household, "", vec![hash.clone()])
        .await
        .unwrap();
    let put = device
        .put_blob(&hash, &bytes, 0, bytes.len() as u64)
        .await
        .unwrap();
    assert!(put.complete, "uploaded: {}", put.status);
    let got = device
        .http
        .get(format!("{}/v1/blobs/{hash}", server.url))
        .header(wire::PROTOCOL_HEADER, wire::PROTOCOL_VERSION.to_string())
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
}

/// The `Set-Cookie` of a sign-in as `admin`, with `X-Forwarded-Proto` if given.
async fn session_cookie(server: &Server, forwarded_proto: Option<&str>) -> String {
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/session", server.url))
        .json(&serde_json::json!({ "login": "admin", "password": DEMO_PASSWORD }));
    if let Some(proto) = forwarded_proto {
        request = request.header("x-forwarded-proto", proto);
    }
    let reply = request.send().await.unwrap();
    assert_eq!(reply.status(), 200);
    reply
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn secure(cookie: &str) -> bool {
    cookie.split(';').any(|part| part.trim() == "Secure")
}

#[tokio::test]
async fn cookies_are_secure_over_https() {
    let deployment = Deployment::seeded().unwrap();
    let data = deployment.data();
    let plain = Server::start(&data, "127.0.0.1:0").unwrap();
    assert!(!secure(&session_cookie(&plain, None).await));
    assert!(
        !secure(&session_cookie(&plain, Some("https")).await),
        "the header is not believed unless the proxy is trusted"
    );
    drop(plain);
    let proxied = Server::start_with(&data, "127.0.0.1:0", &["--trust-forwarded-proto"]).unwrap();
    assert!(secure(&session_cookie(&proxied, Some("https")).await));
    assert!(!secure(&session_cookie(&proxied, Some("http")).await));
    drop(proxied);
    let forced = Server::start_with(&data, "127.0.0.1:0", &["--secure-cookies"]).unwrap();
    assert!(secure(&session_cookie(&forced, None).await));
}
