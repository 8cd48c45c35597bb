//! The server's outages: SIGKILL at random moments from a seeded generator, a random time
//! down, and a restart on the same address.

use std::time::Duration;

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::Rng;

use crate::Server;

/// When the server goes down and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Outages {
    /// SIGKILLs in all.
    pub kills: usize,
    /// Mean time the server runs between a restart and the next kill (drawn uniformly
    /// from half to one and a half times this).
    pub mean_uptime: Duration,
    /// Longest time the server stays down after a kill (drawn uniformly from zero).
    pub max_downtime: Duration,
}

/// Starts `gridwalk-server serve` on `listen` from an async task, retrying a few times
/// while the address is still being released by the process killed before.
pub async fn start(data: &str, listen: &str) -> Result<Server> {
    let mut last = None;
    for _ in 0..20 {
        let (data, listen) = (data.to_string(), listen.to_string());
        match tokio::task::spawn_blocking(move || Server::start(&data, &listen)).await? {
            Ok(server) => return Ok(server),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(last.context("no start attempted")?).context("restarting the server")
}

/// Kills `server` with SIGKILL and restarts it on its address, `outages.kills` times, at
/// moments drawn from `rng`; returns the server running after the last restart.
pub async fn run(
    mut server: Server,
    data: &str,
    outages: Outages,
    rng: &mut StdRng,
) -> Result<Server> {
    let addr = server.addr.clone();
    let up_ms = outages.mean_uptime.as_millis() as u64;
    let down_ms = outages.max_downtime.as_millis() as u64;
    for kill in 0..outages.kills {
        let uptime = rng.gen_range(up_ms / 2..=up_ms + up_ms / 2);
        tokio::time::sleep(Duration::from_millis(uptime)).await;
        // Dropping a server kills it with SIGKILL and reaps it.
        tokio::task::spawn_blocking(move || drop(server)).await?;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..=down_ms))).await;
        server = start(data, &addr)
            .await
            .with_context(|| format!("restart after kill {}", kill + 1))?;
    }
    Ok(server)
}
