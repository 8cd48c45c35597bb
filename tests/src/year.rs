//! A year of one grid's work on a phone, for the benchmarks that read a full device
//! (`map_year`, `app_year`): the demo street's first grid (300 households), each household
//! visited once a month at its building on working days (~3,600 visits), a report every 36
//! visits (~100), and optionally a photo per visit and a work log per day. Everything goes
//! through the calls the Tauri commands make.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate, Weekday};
use gridwalk_client::{Attachments, Client, HouseholdRow, NewIncident, NewVisit};
use gridwalk_shared::model::Location;
use gridwalk_shared::time::Clock;
use uuid::Uuid;

use crate::clock::HandClock;

/// What goes into the year besides visits and reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras {
    /// A photo (640×480, its own pixels) with each visit, so the store holds a year of
    /// thumbnails.
    pub photos: bool,
    /// A work log (工作日志) at the end of each working day.
    pub work_logs: bool,
}

/// What [`fill`] wrote.
#[derive(Debug, Clone)]
pub struct Year {
    /// The first day of the year.
    pub first: NaiveDate,
    /// The last working day, where the clock is left at 17:00.
    pub last: NaiveDate,
    /// The grid's households, as the phone lists them.
    pub households: Vec<HouseholdRow>,
    /// Visits written.
    pub visits: usize,
    /// Reports written, in order.
    pub reports: Vec<Uuid>,
    /// Photos attached.
    pub photos: usize,
    /// Work logs written.
    pub work_logs: usize,
}

/// The first day of the benchmarks' year.
pub fn first_day() -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(2025, 12, 1).context("date")
}

/// Fills `phone` (enrolled and synced, its clock `clock`) with a year of work from
/// [`first_day`]. Leaves the clock at 17:00 on the last working day.
pub fn fill(phone: &Client, clock: &Arc<HandClock>, extras: Extras) -> Result<Year> {
    let first = first_day()?;
    let households = phone.households()?;
    let reference = phone.reference()?.context("reference data")?;
    let days: Vec<NaiveDate> = first
        .iter_days()
        .take(365)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let per_day = households.len() * 12 / days.len() + 1;
    let mut year = Year {
        first,
        last: *days.last().context("days")?,
        households: households.clone(),
        visits: 0,
        reports: Vec::new(),
        photos: 0,
        work_logs: 0,
    };
    for (n, day) in days.iter().enumerate() {
        for k in 0..per_day {
            let i = n * per_day + k;
            let household = &households[i % households.len()];
            clock.set(*day, 9 + (k as u32 * 25) / 60, (k as u32 * 25) % 60);
            let at = reference
                .building_position(Some(household.building_id))
                .context("placed buildings")?;
            let location = Location {
                lat: at.lat + 0.00005,
                lon: at.lon,
                accuracy_m: Some(8.0),
                at: clock.now(),
                adjusted_from: None,
            };
            let mut media = Attachments::default();
            if extras.photos {
                let jpeg = photo(i as u32)?;
                media.photos.push(phone.add_photo(&jpeg)?.hash);
                year.photos += 1;
            }
            let visit = NewVisit {
                household_id: household.id,
                note: "走访正常".into(),
                location: Some(location.clone()),
                ..NewVisit::default()
            };
            phone.add_visit_with(visit, &media)?;
            year.visits += 1;
            if i.is_multiple_of(36) {
                year.reports.push(phone.report_incident(NewIncident {
                    category: "env.garbage".into(),
                    description: "楼道堆放杂物".into(),
                    location: Some(location),
                })?);
            }
        }
        if extras.work_logs {
            clock.set(*day, 17, 30);
            phone.add_work_log(&format!("{day} 走访{per_day}户，情况正常。"))?;
            year.work_logs += 1;
        }
    }
    clock.set(year.last, 17, 0);
    Ok(year)
}

/// A 640×480 JPEG of its own (a gradient shifted by `seed`), about the size of a phone
/// photo after the app's downscaling of a plain scene.
fn photo(seed: u32) -> Result<Vec<u8>> {
    let image = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x + seed) as u8, (y + seed / 7) as u8, (seed % 251) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&image)?;
    Ok(out)
}

/// Everything under `path` (the store and the media beside it), in MiB.
pub fn mib_under(path: &Path) -> Result<f64> {
    fn bytes(path: &Path) -> Result<u64> {
        let meta = std::fs::metadata(path)?;
        if !meta.is_dir() {
            return Ok(meta.len());
        }
        let mut sum = 0;
        for entry in std::fs::read_dir(path)? {
            sum += bytes(&entry?.path())?;
        }
        Ok(sum)
    }
    Ok(bytes(path)? as f64 / (1 << 20) as f64)
}

/// The bytes of the files directly in `dir` (the store and its WAL), in MiB.
pub fn store_mib(dir: &Path) -> Result<f64> {
    let bytes: u64 = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    Ok(bytes as f64 / (1 << 20) as f64)
}

/// Times `read` `runs` times and prints a Markdown row: `what`, p50 and p95 in ms.
pub fn time_row<T>(what: &str, runs: usize, mut read: impl FnMut() -> Result<T>) -> Result<()> {
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        read()?;
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    let p = |q| crate::load::stats::percentile(&ms, q);
    println!("| {what} | {:.2} | {:.2} |", p(50.0), p(95.0));
    Ok(())
}
