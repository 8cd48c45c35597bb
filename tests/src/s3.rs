//! An S3-compatible server for the tests: the `moto` server from PyPI (scripts/test.sh
//! installs it into `/opt/gridwalk-moto`; `GRIDWALK_MOTO_PYTHON` names another venv's
//! python). One per test process, on a free loopback port, started on first use and stopped
//! when the process exits (it watches its stdin, which closes then); a fresh bucket per test.
//! Without moto a test says that it skips — unless `GRIDWALK_REQUIRE_SERVICES=1`, then it
//! fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use gridwalk_server::blobs::s3::S3BlobStore;
use object_store::aws::AmazonS3Builder;

/// The venv scripts/test.sh installs moto into.
const MOTO_PYTHON: &str = "/opt/gridwalk-moto/bin/python";
/// Region and keys the tests sign with (moto accepts any).
const REGION: &str = "us-east-1";
const KEY: &str = "gridwalk-test";

/// Runs moto in this python process until its stdin closes.
const CONTROLLER: &str = r#"
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
print("started", flush=True)
sys.stdin.read()
server.stop()
"#;

/// A running S3-compatible server.
pub struct S3Server {
    /// Its endpoint, `http://127.0.0.1:PORT`.
    pub endpoint: String,
    addr: String,
    // Kept so its stdin stays open while the process runs.
    _controller: Mutex<Child>,
}

/// A bucket of its own for one test.
#[derive(Debug, Clone)]
pub struct S3Bucket {
    /// Bucket name.
    pub name: String,
    /// The server's endpoint.
    pub endpoint: String,
}

fn python() -> String {
    std::env::var("GRIDWALK_MOTO_PYTHON").unwrap_or_else(|_| MOTO_PYTHON.into())
}

fn required() -> bool {
    std::env::var("GRIDWALK_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// The test process's S3 server; `None` (and a note that the test skips) when moto is not
/// installed. Panics when it is required (`GRIDWALK_REQUIRE_SERVICES=1`) or fails to start.
pub fn server() -> Option<&'static S3Server> {
    static SERVER: OnceLock<Option<S3Server>> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        let installed = Command::new(python())
            .args(["-c", "import moto.server"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                !required(),
                "GRIDWALK_REQUIRE_SERVICES=1 but moto is not installed at {} (run scripts/test.sh)",
                python()
            );
            return None;
        }
        Some(S3Server::start().expect("start the moto S3 server"))
    });
    if server.is_none() {
        eprintln!("skipped: no S3-compatible server (moto) installed; scripts/test.sh installs it");
    }
    server.as_ref()
}

/// A fresh bucket on the test process's S3 server, or `None` (the test skips) as [`server`].
pub fn bucket() -> Option<S3Bucket> {
    let server = server()?;
    Some(server.bucket().expect("create a test bucket"))
}

impl S3Server {
    fn start() -> Result<S3Server> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut child = Command::new(python())
            .args(["-c", CONTROLLER, &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("spawn moto")?;
        let stdout = child.stdout.take().context("moto stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        if line.trim() != "started" {
            bail!("moto did not start: {line:?}");
        }
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&addr).is_err() {
            if Instant::now() > deadline {
                bail!("moto does not listen on {addr}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(S3Server {
            endpoint: format!("http://{addr}"),
            addr,
            _controller: Mutex::new(child),
        })
    }

    /// Creates a bucket with a name unique to this process and call.
    pub fn bucket(&self) -> Result<S3Bucket> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "gw-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        // moto creates buckets for unsigned requests: plain HTTP is enough.
        let mut stream = TcpStream::connect(&self.addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "PUT /{name} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply)?;
        if !reply.starts_with("HTTP/1.1 200") {
            bail!(
                "creating bucket {name}: {}",
                reply.lines().next().unwrap_or("")
            );
        }
        Ok(S3Bucket {
            name,
            endpoint: self.endpoint.clone(),
        })
    }
}

impl S3Bucket {
    /// `s3://BUCKET/PREFIX`, for `--blobs`.
    pub fn location(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}", self.name)
    }

    /// The environment a server needs to reach the bucket.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_REGION", REGION),
            ("AWS_ACCESS_KEY_ID", KEY),
            ("AWS_SECRET_ACCESS_KEY", KEY),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Every key in the bucket, sorted.
    pub async fn keys(&self) -> Result<Vec<String>> {
        use futures_util::TryStreamExt;
        use object_store::ObjectStore;
        let listed: Vec<_> = self.client()?.list(None).try_collect().await?;
        let mut keys: Vec<String> = listed.into_iter().map(|m| m.location.to_string()).collect();
        keys.sort();
        Ok(keys)
    }

    /// Writes object `key` as a node would (to leave the state a node that died leaves).
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        use object_store::ObjectStoreExt;
        let path = object_store::path::Path::from(key);
        self.client()?.put(&path, bytes.into()).await?;
        Ok(())
    }

    fn client(&self) -> Result<object_store::aws::AmazonS3> {
        Ok(AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_region(REGION)
            .with_access_key_id(KEY)
            .with_secret_access_key(KEY)
            .with_bucket_name(&self.name)
            .build()?)
    }

    /// A blob store over the bucket under `prefix`: one "node"; every call opens another.
    pub fn store(&self, prefix: &str) -> Result<Arc<S3BlobStore>> {
        Ok(Arc::new(S3BlobStore::new(Arc::new(self.client()?), prefix)))
    }
}
