//! Media benchmark (release): the photo pipeline on one 12-megapixel camera JPEG, pinned to
//! one core (time, CPU time, peak memory), and blob upload/download throughput against a real
//! `gridwalk-server` on loopback. Prints a Markdown table for `docs/benchmarks.md`.
//!
//! `cargo bench -p gridwalk-tests --bench media`

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use gridwalk_client::media::photo;
use gridwalk_client::{Attachments, Client, NewVisit};
use gridwalk_tests::media::noisy_jpeg;
use gridwalk_tests::Deployment;
use image::{Rgb, RgbImage};
use rand::{Rng, SeedableRng};

/// Photos uploaded in the throughput run.
const PHOTOS: u64 = 12;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with(field))?.to_string();
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Nanoseconds this thread has run on a CPU.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Pins every thread of this process to `cpus` (e.g. `0`), with util-linux `taskset`.
fn pin(cpus: &str) {
    let pid = std::process::id().to_string();
    let _ = Command::new("taskset")
        .args(["-a", "-cp", cpus, &pid])
        .output();
}

/// A camera-like 4000×3000 JPEG: gradients, texture and sensor noise, quality 92, with an
/// EXIF orientation (6) as phones write it.
fn camera_jpeg() -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let image = RgbImage::from_fn(4000, 3000, |x, y| {
        let (fx, fy) = (x as f32 / 4000.0, y as f32 / 3000.0);
        let texture = ((x as f32 / 7.0).sin() * (y as f32 / 11.0).cos() * 30.0) as i32;
        let noise: i32 = rng.gen_range(-12..=12);
        let c = |base: f32| (base as i32 + texture + noise).clamp(0, 255) as u8;
        Rgb([
            c(60.0 + 150.0 * fx),
            c(80.0 + 120.0 * fy),
            c(200.0 - 120.0 * fx * fy),
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&image)
        .expect("encode");
    // APP1 Exif, big-endian TIFF, IFD0 with one entry: Orientation = 6.
    let mut app1 =
        b"Exif\0\0MM\0\x2A\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0".to_vec();
    let mut with_exif = out[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1]);
    with_exif.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    with_exif.append(&mut app1);
    with_exif.extend_from_slice(&out[2..]);
    with_exif
}

fn pipeline() -> Result<Vec<(String, String)>> {
    let input = camera_jpeg();
    pin("0");
    let baseline = status_kib("VmRSS:");
    let mut times = Vec::new();
    let (mut cpu, mut peak) = (Vec::new(), 0);
    let mut output = 0;
    for run in 0..6 {
        std::fs::write("/proc/self/clear_refs", "5").context("reset VmHWM")?;
        let (started, cpu_started) = (Instant::now(), cpu_ns());
        let processed = photo::process(&input)?;
        let (elapsed, used) = (started.elapsed(), cpu_ns() - cpu_started);
        if run > 0 {
            times.push(elapsed);
            cpu.push(used);
            peak = peak.max(status_kib("VmHWM:"));
        }
        output = processed.full.bytes.len();
        assert_eq!((processed.full.width, processed.full.height), (1440, 1920));
    }
    pin(&format!("0-{}", num_cpus() - 1));
    times.sort();
    cpu.sort_unstable();
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    Ok(vec![
        (
            "input".into(),
            format!(
                "4000×3000 JPEG q92 with EXIF orientation 6, {:.1} MB",
                input.len() as f64 / 1e6
            ),
        ),
        (
            "output".into(),
            format!(
                "1440×1920 JPEG q80 ({:.0} KB) + 320 px thumbnail",
                output as f64 / 1e3
            ),
        ),
        (
            "time per photo, one core (median of 5; min–max)".into(),
            format!("{} ({}–{})", ms(times[2]), ms(times[0]), ms(times[4])),
        ),
        (
            "CPU time per photo (median)".into(),
            format!("{:.0} ms", cpu[2] as f64 / 1e6),
        ),
        (
            "peak resident memory of the process (VmHWM)".into(),
            format!(
                "{:.0} MiB (before: {:.0} MiB)",
                peak as f64 / 1024.0,
                baseline as f64 / 1024.0
            ),
        ),
    ])
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

async fn throughput() -> Result<Vec<(String, String)>> {
    let deployment = Deployment::seeded()?;
    let server = deployment.start()?;
    let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let phone = Client::open(a.path())?;
    phone
        .enroll(&server.url, &deployment.enroll_code("worker1")?, "bench")
        .await?;
    phone.sync().await?;
    let mut media = Attachments::default();
    for i in 0..PHOTOS {
        media
            .photos
            .push(phone.add_photo(&noisy_jpeg(1920, 1440, i))?.hash);
    }
    let household = phone.households()?.first().context("no household")?.id;
    phone.add_visit_with(
        NewVisit {
            household_id: household,
            ..NewVisit::default()
        },
        &media,
    )?;
    let bytes: u64 = phone.pending_uploads()?.iter().map(|b| b.size).sum();
    let started = Instant::now();
    let report = phone.sync().await?;
    let up = started.elapsed();
    anyhow::ensure!(report.blobs_uploaded as u64 == 2 * PHOTOS, "{report:?}");

    let other = Client::open(b.path())?;
    other
        .enroll(&server.url, &deployment.enroll_code("worker1b")?, "bench")
        .await?;
    other.sync().await?;
    let started = Instant::now();
    for hash in &media.photos {
        other.blob(hash, false).await?;
    }
    let down = started.elapsed();
    let full: u64 = media
        .photos
        .iter()
        .map(|h| {
            phone
                .local_blob(h, false)
                .ok()
                .flatten()
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len())
        })
        .sum();
    let rate = |b: u64, d: Duration| format!("{:.1} MB/s", b as f64 / 1e6 / d.as_secs_f64());
    Ok(vec![
        (
            "upload: photos + thumbnails in one sync (256 KiB pieces)".into(),
            format!(
                "{} blobs, {:.1} MB in {:.2} s = {}",
                2 * PHOTOS,
                bytes as f64 / 1e6,
                up.as_secs_f64(),
                rate(bytes, up)
            ),
        ),
        (
            "download: full photos on another phone (checked by hash)".into(),
            format!(
                "{PHOTOS} blobs, {:.1} MB in {:.2} s = {}",
                full as f64 / 1e6,
                down.as_secs_f64(),
                rate(full, down)
            ),
        ),
    ])
}

fn main() -> Result<()> {
    let mut rows = pipeline()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rows.extend(runtime.block_on(throughput())?);
    println!("| figure | measured |\n|---|---|");
    for (figure, value) in rows {
        println!("| {figure} | {value} |");
    }
    Ok(())
}
