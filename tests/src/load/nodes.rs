//! Where a load phase's server runs: one node on SQLite (the street), one node on
//! PostgreSQL, or two nodes on PostgreSQL behind haproxy (the city), and the CPU the server
//! side spends — every node, and PostgreSQL's own processes, which do work SQLite does inside
//! the node.

use anyhow::{Context, Result};
use serde::Serialize;

use super::stats::{self, ProcSample};
use crate::haproxy::Haproxy;
use crate::{postgres, server_cmd, BlobStorage, Deployment, Server};

/// The server side of a benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// One node, SQLite in its data directory.
    Sqlite,
    /// One node on PostgreSQL.
    Postgres,
    /// Two nodes on one PostgreSQL behind haproxy.
    Cluster,
}

/// The running server side; stopped when dropped.
pub struct Nodes {
    servers: Vec<Server>,
    _proxy: Option<Haproxy>,
    /// What devices talk to: the node, or the proxy.
    pub url: String,
    on_postgres: bool,
}

/// CPU and memory of the server side at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerSample {
    /// Every node together.
    pub nodes: ProcSample,
    /// PostgreSQL's processes together (zero on SQLite).
    pub database: ProcSample,
}

impl Nodes {
    /// Starts `backend`'s nodes over `deployment` (seeded in SQLite): on PostgreSQL the
    /// street is first moved into a fresh database with `gridwalk-server migrate`, the blobs
    /// staying in its directory.
    pub fn start(deployment: &Deployment, backend: Backend) -> Result<Nodes> {
        if backend == Backend::Sqlite {
            let server = deployment.start()?;
            return Ok(Nodes {
                url: server.url.clone(),
                servers: vec![server],
                _proxy: None,
                on_postgres: false,
            });
        }
        let url = postgres::create_database()
            .context("PostgreSQL is not installed (apt-get install postgresql)")?;
        let from = format!("sqlite://{}", deployment.data());
        server_cmd(&["migrate", "--from", &from, "--to", &url])?;
        let blobs = deployment.dir.path().join("blobs");
        let storage = [
            "--database".to_string(),
            url,
            "--blobs".to_string(),
            blobs.to_string_lossy().into_owned(),
        ];
        let count = if backend == Backend::Cluster { 2 } else { 1 };
        let servers = (0..count)
            .map(|_| Server::start_on(&storage, "127.0.0.1:0", &[], &BlobStorage::default()))
            .collect::<Result<Vec<_>>>()?;
        let (url, proxy) = if backend == Backend::Cluster {
            let addrs: Vec<&str> = servers.iter().map(|s| s.addr.as_str()).collect();
            let proxy = Haproxy::start(&addrs)?;
            (proxy.url.clone(), Some(proxy))
        } else {
            (servers[0].url.clone(), None)
        };
        Ok(Nodes {
            servers,
            _proxy: proxy,
            url,
            on_postgres: true,
        })
    }

    /// CPU and memory of every node and of PostgreSQL now.
    pub fn sample(&self, ticks: f64) -> Result<ServerSample> {
        let mut sample = ServerSample::default();
        for server in &self.servers {
            sample.nodes = sample.nodes.plus(&stats::sample(server.pid(), ticks)?);
        }
        if self.on_postgres {
            let cluster = postgres::cluster().context("the PostgreSQL cluster is gone")?;
            for pid in cluster.pids()? {
                // A backend that ended between the listing and the read is simply not counted.
                if let Ok(process) = stats::sample(pid, ticks) {
                    sample.database = sample.database.plus(&process);
                }
            }
        }
        Ok(sample)
    }
}
