//! haproxy from Debian in front of several `gridwalk-server` nodes on loopback: the load
//! balancer of docs/deploy.md, with its config written by the test.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Where Debian's package puts it.
const HAPROXY: &str = "/usr/sbin/haproxy";

/// A running haproxy balancing over some nodes; stopped when dropped.
pub struct Haproxy {
    child: Child,
    /// Base URL devices use, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    _dir: tempfile::TempDir,
}

/// Whether haproxy is installed (the README's test command installs it).
pub fn installed() -> bool {
    Path::new(HAPROXY).exists()
}

/// A free loopback port (bound and released: the caller binds it next).
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The config of docs/deploy.md, cut to loopback: round robin per request, `/ready` checked
/// every 300 ms (each check may take the 2 s `/ready` itself allows for the database, so a
/// slow moment does not take a live node out; a dead node refuses at once), a node out after
/// 2 failures, back after 2 successes; a request whose connection to a node failed is sent
/// to another one.
pub fn config(port: u16, nodes: &[&str]) -> String {
    let mut cfg = format!(
        "global\n    maxconn 2048\n\
         defaults\n    mode http\n    timeout connect 2s\n    timeout client 60s\n    \
         timeout server 60s\n    timeout check 2s\n    retries 3\n    option redispatch\n    retry-on conn-failure\n\
         frontend devices\n    bind 127.0.0.1:{port}\n    http-request deny if {{ path_beg /metrics }}\n    \
         default_backend nodes\n\
         backend nodes\n    balance roundrobin\n    option httpchk GET /ready\n    \
         default-server inter 300ms fall 2 rise 2\n"
    );
    for (i, node) in nodes.iter().enumerate() {
        cfg.push_str(&format!("    server node{i} {node} check\n"));
    }
    cfg
}

impl Haproxy {
    /// Starts haproxy on a free loopback port in front of `nodes` (`HOST:PORT` each) and
    /// waits until it answers `/health` through a node.
    pub fn start(nodes: &[&str]) -> Result<Haproxy> {
        if !installed() {
            bail!("haproxy is not installed (apt-get install haproxy)");
        }
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let cfg = dir.path().join("haproxy.cfg");
        std::fs::write(&cfg, config(port, nodes))?;
        let child = Command::new(HAPROXY)
            .arg("-f")
            .arg(&cfg)
            .arg("-db")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start haproxy")?;
        let proxy = Haproxy {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while !crate::health_ok(&format!("127.0.0.1:{port}")) {
            if Instant::now() > deadline {
                bail!("haproxy on port {port} did not reach a healthy node");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(proxy)
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lists_every_node_with_a_ready_check() {
        let cfg = config(8080, &["127.0.0.1:9001", "127.0.0.1:9002"]);
        assert!(cfg.contains("bind 127.0.0.1:8080"));
        assert!(cfg.contains("server node0 127.0.0.1:9001 check"));
        assert!(cfg.contains("server node1 127.0.0.1:9002 check"));
        assert!(cfg.contains("option httpchk GET /ready"));
        assert!(cfg.contains("timeout check 2s"));
    }
}
