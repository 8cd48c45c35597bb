//! The data commands: `seed-demo`, `seed-activity`, `tile-package`, `missing-blobs`,
//! `gc-blobs`, `backup`, `restore`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use gridwalk_server::blobs::{gc, Blobs};
use gridwalk_server::store::{BlobRefs, ServerStore};
use gridwalk_server::{admin, backup, populate, seed, tiles};
use gridwalk_shared::model::Record;
use uuid::Uuid;

use crate::accounts_cmd::set_password;
use crate::storage_cmd::StorageArgs;

/// Password of the demo's admin and department accounts (change it with `admin-password`).
const DEMO_PASSWORD: &str = "gridwalk-demo";

/// `seed-demo`: the demo street into an empty deployment.
pub async fn seed_demo<S: ServerStore>(store: &S, storage: &StorageArgs, seed: u64) -> Result<()> {
    let place = storage.describe();
    if store.reference().version > 0 {
        bail!(
            "{place} already holds a deployment (reference data version {}); use an empty one",
            store.reference().version
        );
    }
    let demo = seed::demo(seed);
    let households = demo.households.len();
    let users = demo.reference.users.len();
    store.put_reference(demo.reference, None).await?;
    let records = demo.households.into_iter().map(Record::Household).collect();
    populate::insert_records(store, records).await?;
    println!("Seeded the demo street into {place}:");
    println!("  {households} households, {users} users");
    println!("  logins: `gridwalk-server users {place}`");
    for login in ["admin", "dept1", "dept2"] {
        set_password(store, login, DEMO_PASSWORD).await?;
    }
    println!(
        "  admin web: /admin, login admin / {DEMO_PASSWORD} (street admin; dept1, dept2 alike)"
    );
    println!("Demo admin login: admin {DEMO_PASSWORD}");
    Ok(())
}

/// `tile-package`: stores the tile package of `community`, or of every community, where its
/// devices fetch it — `file` when given (a package made elsewhere), else one drawn from the
/// org's geometry (kept under `out` too when given). One line per package.
pub async fn tile_package<S: ServerStore>(
    store: &S,
    storage: &StorageArgs,
    community: Option<Uuid>,
    file: Option<PathBuf>,
    out: Option<PathBuf>,
) -> Result<()> {
    let blobs = storage.open_blobs()?;
    if let Some(file) = file {
        let Some(unit) = community else {
            bail!("say whose package it is: --community ID with --file");
        };
        let p = tiles::publish(store, &blobs, unit, &file).await?;
        println!(
            "{} {} {} bytes z{}-{}",
            p.unit_id, p.sha256, p.bytes, p.min_zoom, p.max_zoom
        );
        return Ok(());
    }
    let reference = store.reference();
    let communities: Vec<Uuid> = match community {
        Some(id) => vec![id],
        None => reference
            .units
            .iter()
            .filter(|u| u.kind == gridwalk_shared::model::OrgKind::Community)
            .map(|u| u.id)
            .collect(),
    };
    let scratch = tempfile::tempdir()?;
    let dir = out.unwrap_or_else(|| scratch.path().to_path_buf());
    for id in communities {
        let path = tiles::package_path(&dir, id);
        let drawn = tiles::draw_package(&store.reference(), id, &path)?;
        let p = tiles::publish(store, &blobs, id, &path).await?;
        println!(
            "{} {} {} tiles {} bytes",
            p.unit_id, p.sha256, drawn.tiles, p.bytes
        );
    }
    Ok(())
}

/// `seed-activity`: demo field activity for the dashboards.
pub async fn seed_activity<S: ServerStore>(store: &S, days: u32, seed: u64) -> Result<()> {
    let now = chrono::Utc::now().timestamp_millis();
    let made = admin::demo::seed_activity(store, days, seed, now).await?;
    println!(
        "added {} visits, {} incidents and {} desk requests over {days} days",
        made.visits, made.incidents, made.services
    );
    Ok(())
}

/// `missing-blobs`: referenced blobs not uploaded whole yet, one line each.
pub async fn missing_blobs<S: BlobRefs>(store: &S, blobs: &Blobs, limit: usize) -> Result<()> {
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    for m in gridwalk_server::blobs::missing_blobs(store, blobs.store.as_ref(), limit, None).await?
    {
        println!(
            "{} {} {} {} {} {} {} {}",
            m.hash,
            m.kind,
            m.doc_id,
            m.scope,
            m.partial_bytes,
            or_dash(m.device_id.map(|d| d.to_string())),
            or_dash(m.user_id.map(|u| u.to_string())),
            or_dash(
                m.since
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            ),
        );
    }
    Ok(())
}

/// `gc-blobs`: lists (or deletes) what the blob storage holds that nothing needs.
pub async fn gc_blobs<S: BlobRefs>(
    store: &S,
    blobs: &Blobs,
    grace_hours: u64,
    delete: bool,
) -> Result<()> {
    let blobs = blobs.store.as_ref();
    let needed = gc::needed(store, blobs).await?;
    let grace = Duration::from_secs(grace_hours * 3600);
    let held = blobs.inventory().await?;
    let mut garbage = gc::collectable(held, &needed, grace, std::time::SystemTime::now());
    if delete {
        garbage = gc::delete(store, blobs, garbage).await?;
    }
    for item in &garbage {
        let modified = chrono::DateTime::<chrono::Utc>::from(item.file.modified);
        println!(
            "{} {} {} {}",
            item.why.as_str(),
            item.file.hash,
            item.file.size,
            modified.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
    let bytes: u64 = garbage.iter().map(|g| g.file.size).sum();
    let verb = if delete { "deleted" } else { "would delete" };
    println!(
        "{verb} {} files, {bytes} bytes (older than {grace_hours} h){}",
        garbage.len(),
        if delete {
            ""
        } else {
            "; run with --delete to delete them"
        }
    );
    Ok(())
}

/// `backup`: the SQLite store in `data` to `to`, with the blob manifest.
pub async fn backup(data: PathBuf, to: PathBuf) -> Result<()> {
    let made = tokio::task::spawn_blocking(move || backup::backup(&data, &to)).await??;
    println!(
        "backup {} ({} bytes); {} blobs listed in {}",
        made.file.display(),
        made.bytes,
        made.blobs,
        made.manifest.display()
    );
    Ok(())
}

/// `restore`: backup `from` into the SQLite directory `data`, with a new epoch; with blobs in
/// an object store (`bucket`), the blob directory is not counted against.
pub async fn restore(from: PathBuf, data: PathBuf, bucket: Option<String>) -> Result<()> {
    let done = tokio::task::spawn_blocking(move || backup::restore(&from, &data)).await??;
    println!(
        "restored; new epoch {}: devices will re-send what they hold",
        done.epoch
    );
    if let Some(bucket) = bucket {
        println!("blobs stay in {bucket}: `missing-blobs` lists referenced ones it lacks");
    } else if done.missing_blobs > 0 {
        println!(
            "{} referenced blobs are not in the blob folder: copy it back, or see missing-blobs",
            done.missing_blobs
        );
    }
    Ok(())
}
