//! The city deployment of docs/deploy.md on loopback: two `gridwalk-server` nodes on fixed
//! ports (so a killed one comes back on its port) behind haproxy, on one PostgreSQL
//! database and one S3 bucket (moto), every part a real process; and each node's
//! `/metrics`, read directly (haproxy keeps it off the devices' side).

use std::time::{Duration, Instant};

use anyhow::Result;

use crate::haproxy::{self, free_port, Haproxy};
use crate::{postgres, s3, BlobStorage, Deployment, Server};

/// Two nodes behind haproxy on the demo street seeded into PostgreSQL, blobs in a bucket.
pub struct City {
    /// The seeded deployment the nodes serve.
    pub deployment: Deployment,
    /// Each node's `HOST:PORT`.
    pub addrs: [String; 2],
    nodes: Vec<Server>,
    /// The load balancer devices use (`proxy.url`).
    pub proxy: Haproxy,
}

/// Says that a test skips because `what` is missing; panics when the services are required
/// (`GRIDWALK_REQUIRE_SERVICES=1`).
fn skip(what: &str) {
    assert!(
        !postgres::services_required(),
        "GRIDWALK_REQUIRE_SERVICES=1 but {what} is missing"
    );
    eprintln!("skipping: {what} is not installed (scripts/test.sh installs it)");
}

impl City {
    /// Starts it; `None` (after saying the test skips) when PostgreSQL, moto or haproxy is
    /// not installed and the services are not required.
    pub fn start() -> Result<Option<City>> {
        if !haproxy::installed() {
            skip("haproxy");
            return Ok(None);
        }
        let Some(bucket) = s3::bucket() else {
            skip("moto");
            return Ok(None);
        };
        let blobs = BlobStorage::s3(&bucket, "city");
        let Some(deployment) = Deployment::seeded_on_postgres_with(blobs)? else {
            skip("PostgreSQL");
            return Ok(None);
        };
        let addrs = [free_port()?, free_port()?].map(|port| format!("127.0.0.1:{port}"));
        let nodes = addrs
            .iter()
            .map(|a| deployment.start_at(a, &[]))
            .collect::<Result<_>>()?;
        let proxy = Haproxy::start(&[&addrs[0], &addrs[1]])?;
        Ok(Some(City {
            deployment,
            addrs,
            nodes,
            proxy,
        }))
    }

    /// Kills `node` with SIGKILL.
    pub fn kill(&mut self, node: usize) {
        self.nodes[node].kill();
    }

    /// Starts `node` again on its port and waits until haproxy sends it requests.
    pub async fn restart(&mut self, node: usize) -> Result<()> {
        let addr = &self.addrs[node];
        let server = tokio::task::block_in_place(|| self.deployment.start_at(addr, &[]))?;
        self.nodes[node] = server;
        self.back_in_rotation(addr).await
    }

    /// Waits until haproxy sends requests to the node at `addr` (its `/health` count rises
    /// while `/health` is asked through the proxy).
    async fn back_in_rotation(&self, addr: &str) -> Result<()> {
        let count = || metric(addr, "gridwalk_http_requests_total", "route=\"/health\"");
        let start = count().await;
        let deadline = Instant::now() + Duration::from_secs(15);
        while count().await <= start {
            anyhow::ensure!(
                Instant::now() < deadline,
                "haproxy did not use {addr} again"
            );
            let _ = reqwest::get(format!("{}/health", self.proxy.url)).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

/// The sum of the samples of `name` whose labels include `labels` (e.g.
/// `method="PUT"`) on the node at `addr`; 0 when it does not answer (a killed node).
pub async fn metric(addr: &str, name: &str, labels: &str) -> f64 {
    let Ok(res) = reqwest::get(format!("http://{addr}/metrics")).await else {
        return 0.0;
    };
    sum(&res.text().await.unwrap_or_default(), name, labels)
}

/// The sum of the samples of `name` with `labels` in a Prometheus text page.
fn sum(page: &str, name: &str, labels: &str) -> f64 {
    page.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter(|(series, _)| {
            let (family, rest) = series.split_at(series.find('{').unwrap_or(series.len()));
            family == name && rest.contains(labels)
        })
        .filter_map(|(_, value)| value.parse::<f64>().ok())
        .fold(0.0, |sum, value| sum + value)
}

#[cfg(test)]
mod tests {
    use super::sum;

    #[test]
    fn samples_of_one_family_with_some_labels_add_up() {
        let page = "# TYPE gridwalk_sync_rounds_total counter\n\
                    gridwalk_sync_rounds_total{outcome=\"ok\"} 5\n\
                    gridwalk_sync_rounds_total{outcome=\"rejected\"} 2\n\
                    gridwalk_sync_rounds_in_flight 1\n\
                    gridwalk_http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"} 3\n\
                    gridwalk_http_requests_total{route=\"/v1/sync\",method=\"POST\",status=\"502\"} 4\n";
        assert_eq!(sum(page, "gridwalk_sync_rounds_total", ""), 7.0);
        assert_eq!(sum(page, "gridwalk_sync_rounds_in_flight", ""), 1.0);
        assert_eq!(
            sum(page, "gridwalk_sync_rounds", ""),
            0.0,
            "whole names only"
        );
        let health = "route=\"/health\"";
        assert_eq!(sum(page, "gridwalk_http_requests_total", health), 3.0);
        assert_eq!(sum(page, "gridwalk_http_requests_total", "status=\"5"), 4.0);
    }
}
