//! `gridwalk-server migrate`: a street with activity moves to a new database; its devices
//! carry on with their old tokens and cursors, lose nothing and download nothing twice.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::path::Path;
use std::process::Command;

use gridwalk_client::NewIncident;
use gridwalk_tests::haproxy::free_port;
use gridwalk_tests::{bin, server_cmd, BlobStorage, Deployment, Server};
use sha2::Digest;

/// Rows of `table` in the SQLite store under `dir`.
fn rows(dir: &Path, table: &str) -> i64 {
    let db = rusqlite::Connection::open(dir.join("gridwalk-server.sqlite")).unwrap();
    db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// `migrate` output as `(table, rows)`.
fn copied(out: &str) -> Vec<(String, i64)> {
    out.lines()
        .filter_map(|l| {
            let (table, n) = l.split_once(' ')?;
            Some((table.to_string(), n.parse().ok()?))
        })
        .collect()
}

/// Where a street moves to.
enum Target {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Target {
    fn url(&self) -> String {
        match self {
            Target::Sqlite(dir) => format!("sqlite://{}", dir.path().display()),
            Target::Postgres(url) => url.clone(),
        }
    }

    async fn rows(&self, table: &str) -> i64 {
        match self {
            Target::Sqlite(dir) => rows(dir.path(), table),
            Target::Postgres(url) => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(connection);
                let sql = format!("SELECT count(*) FROM {table}");
                client.query_one(&sql, &[]).await.unwrap().get(0)
            }
        }
    }

    /// A server on the moved data, the blobs still where the street kept them.
    fn start(&self, street: &Deployment, listen: &str) -> Server {
        let blobs = street
            .dir
            .path()
            .join("blobs")
            .to_string_lossy()
            .into_owned();
        let storage = [
            "--database".to_string(),
            self.url(),
            "--blobs".into(),
            blobs,
        ];
        Server::start_on(&storage, listen, &[], &Default::default()).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_street_moves_to_a_new_database_and_its_devices_carry_on() {
    moves_and_carries_on(Target::Sqlite(tempfile::tempdir().unwrap())).await;
}

/// The same move up to PostgreSQL, as a street joining a city's database does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_street_moves_up_to_postgres_and_its_devices_carry_on() {
    let Some(url) = gridwalk_tests::postgres::create_database() else {
        eprintln!("skipping: PostgreSQL is not installed (apt-get install postgresql)");
        return;
    };
    moves_and_carries_on(Target::Postgres(url)).await;
}

async fn moves_and_carries_on(target: Target) {
    let street = Deployment::seeded().unwrap();
    server_cmd(&["seed-activity", "--data", &street.data(), "--days", "3"]).unwrap();
    let listen = format!("127.0.0.1:{}", free_port().unwrap());
    let mut before = Server::start(&street.data(), &listen).unwrap();
    let phone = street.device(&before.url, "worker1").await.unwrap();
    let tablet = street.device(&before.url, "desk1").await.unwrap();
    let first = tablet.client.sync().await.unwrap();
    assert!(first.downloaded_docs > 100, "{first:?}");
    phone.client.sync().await.unwrap();
    // Captured offline, sent only after the move.
    let incident = phone
        .client
        .report_incident(NewIncident {
            category: "env.littering".into(),
            description: "迁移前拍的".into(),
            location: None,
        })
        .unwrap();
    before.kill();

    let to = target.url();
    let from = format!("sqlite://{}", street.data());
    let out = server_cmd(&["migrate", "--from", &from, "--to", &to]).unwrap();
    let copied = copied(&out);
    for table in [
        "docs",
        "changes",
        "devices",
        "record_index",
        "audit_log",
        "meta",
    ] {
        let n = copied.iter().find(|(t, _)| t == table).unwrap().1;
        assert_eq!(n, rows(street.dir.path(), table), "{table}");
        assert_eq!(n, target.rows(table).await, "{table}");
    }
    assert!(target.rows("changes").await > 1000);

    // A second copy into the same database is refused and changes nothing.
    let again = Command::new(bin("gridwalk-server"))
        .args(["migrate", "--from", &from, "--to", &to])
        .output()
        .unwrap();
    assert!(!again.status.success());
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("already holds data"), "{said}");
    assert_eq!(target.rows("docs").await, rows(street.dir.path(), "docs"));

    // The new database on the old address: same tokens, same cursors, same epoch.
    let _after = target.start(&street, &listen);
    let sent = phone.client.sync().await.unwrap();
    assert_eq!(sent.uploaded_docs, 1, "{sent:?}");
    assert!(sent.rejected.is_empty(), "{sent:?}");
    let caught_up = tablet.client.sync().await.unwrap();
    assert_eq!(caught_up.uploaded_docs, 0, "the epoch moved with the data");
    assert!(
        (1..=2).contains(&caught_up.downloaded_docs),
        "only the new incident (and what the server added to it): {caught_up:?}"
    );
    let incidents = tablet.client.incidents().unwrap();
    assert!(incidents.iter().any(|row| row.id == incident));
}

/// Moving up with `--blobs-to s3://…`: the photos go into the bucket (a second run finds
/// them there), and a device enrolled after the move downloads them from the new nodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_street_moves_up_with_its_photos_into_s3() {
    let Some(url) = gridwalk_tests::postgres::create_database() else {
        eprintln!("skipping: PostgreSQL is not installed (apt-get install postgresql)");
        return;
    };
    let Some(bucket) = gridwalk_tests::s3::bucket() else {
        return;
    };
    let street = Deployment::seeded().unwrap();
    let listen = format!("127.0.0.1:{}", free_port().unwrap());
    let mut before = Server::start(&street.data(), &listen).unwrap();
    let phone = street.device(&before.url, "worker1").await.unwrap();
    phone.client.sync().await.unwrap();
    let photo = phone
        .client
        .add_photo(&gridwalk_tests::media::noisy_jpeg(800, 600, 5))
        .unwrap();
    let household = phone.client.households().unwrap()[0].id;
    let visit = gridwalk_client::NewVisit {
        household_id: household,
        note: "搬迁前的照片".into(),
        ..Default::default()
    };
    let media = gridwalk_client::Attachments {
        photos: vec![photo.hash.clone()],
        audio: Vec::new(),
    };
    phone.client.add_visit_with(visit, &media).unwrap();
    phone.client.sync().await.unwrap();
    assert!(phone.client.pending_uploads().unwrap().is_empty());
    before.kill();

    let blobs = BlobStorage::s3(&bucket, "moved");
    let from = format!("sqlite://{}", street.data());
    let migrate = |env: &BlobStorage| {
        let mut command = Command::new(bin("gridwalk-server"));
        env.apply(&mut command)
            .args(["migrate", "--from", &from, "--to", &url])
            .args(["--blobs-to", &bucket.location("moved")])
            .output()
            .unwrap()
    };
    let first = migrate(&blobs);
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        out.contains("blobs 2 "),
        "the photo and its thumbnail: {out}"
    );
    // Run again: the blobs are found there, the tables refused.
    let again = migrate(&blobs);
    assert!(!again.status.success());
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(out.contains("blobs 0 (0 bytes; 2 already there)"), "{out}");

    let storage = ["--database".to_string(), url.clone()];
    let _after = Server::start_on(&storage, &listen, &[], &blobs).unwrap();
    let code = server_cmd(&["enroll-code", "--database", &url, "--user", "worker1b"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mate = gridwalk_client::Client::open(dir.path()).unwrap();
    mate.enroll(
        &format!("http://{listen}"),
        code.lines().last().unwrap().trim(),
        "mate",
    )
    .await
    .unwrap();
    mate.sync().await.unwrap();
    for (thumbnail, hash) in [(false, &photo.hash), (true, &photo.thumbnail)] {
        let path = mate.blob(&photo.hash, thumbnail).await.unwrap();
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(&hex::encode(sha2::Sha256::digest(&bytes)), hash);
    }
}
