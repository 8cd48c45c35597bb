//! `gridwalk offline-map [--download]`: the community's tile package (离线地图) on this device.

use std::io::Write;

use anyhow::Result;
use gridwalk_client::{Client, TilePackageState};

fn print(out: &mut impl Write, state: &TilePackageState) -> Result<()> {
    match &state.package {
        None => writeln!(out, "none")?,
        Some(p) => writeln!(
            out,
            "{} {} {}/{} {}",
            p.sha256,
            p.name,
            state.held_bytes,
            p.bytes,
            if state.complete {
                "complete"
            } else {
                "partial"
            }
        )?,
    }
    Ok(())
}

/// Prints `SHA256 NAME HELD/BYTES complete|partial` (or `none`); with `download`, fetches
/// or resumes it first, the progress on stderr and the time taken last.
pub async fn run(client: &Client, download: bool, out: &mut impl Write) -> Result<()> {
    if download {
        let started = std::time::Instant::now();
        let state = client
            .download_tile_package(|held, total| eprint!("\r{held}/{total} bytes"))
            .await?;
        eprintln!();
        print(out, &state)?;
        writeln!(out, "downloaded_in_ms {}", started.elapsed().as_millis())?;
        return Ok(());
    }
    print(out, &client.tile_package()?)
}
