//! `gridwalk-server migrate --from sqlite://DIR --to postgres://…`: a street moves up to a
//! city's database (docs/deploy.md, "Moving a street up").

use anyhow::{bail, Context, Result};
use gridwalk_server::blobs::copy::copy_all;
use gridwalk_server::blobs::Blobs;
use gridwalk_server::location::Database;
use gridwalk_server::migrate;
use gridwalk_store::portable::{Export, Import};
use gridwalk_store_postgres::PostgresStore;
use gridwalk_store_sqlite::SqliteStore;

/// Arguments of `migrate`.
#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    /// The deployment to copy: `sqlite://DIR` (stop its server first: the copy reads the file
    /// while nothing writes).
    #[arg(long)]
    pub from: String,
    /// The empty database to copy into: `postgres://USER@HOST:PORT/DB` (or `sqlite://DIR`).
    #[arg(long)]
    pub to: String,
    /// Also copy the blobs into this location (a directory or `s3://BUCKET/PREFIX`); without
    /// it they stay where they are and the new servers take `--blobs` pointing there.
    #[arg(long)]
    pub blobs_to: Option<String>,
    /// Where the street's blobs are (default: `blobs` under the `--from` directory).
    #[arg(long)]
    pub blobs_from: Option<String>,
}

/// Copies the deployment, printing each table's rows as they go.
pub async fn migrate(args: MigrateArgs) -> Result<()> {
    let Database::Sqlite(from_dir) = args.from.parse::<Database>()? else {
        bail!("--from must be a sqlite://DIR deployment");
    };
    if !from_dir.join(SqliteStore::FILE_NAME).exists() {
        bail!("there is no Gridwalk database in {}", from_dir.display());
    }
    let from = SqliteStore::open(&from_dir)
        .with_context(|| format!("cannot open the data directory {}", from_dir.display()))?;
    // Blobs first: their copy can be run again (what the target holds is skipped), the
    // tables' cannot (the target then holds data).
    if let Some(to) = &args.blobs_to {
        let source = match &args.blobs_from {
            Some(location) => location.clone(),
            None => from_dir.join("blobs").to_string_lossy().into_owned(),
        };
        copy_blobs(&source, to).await?;
    }
    match args.to.parse::<Database>()? {
        Database::Sqlite(dir) => {
            let to = SqliteStore::open(&dir)
                .with_context(|| format!("cannot open the data directory {}", dir.display()))?;
            copy(&from, &to).await
        }
        Database::Postgres(url) => {
            let to = PostgresStore::open(&url)
                .await
                .with_context(|| format!("cannot open the database {}", args.to))?;
            copy(&from, &to).await
        }
    }
}

async fn copy_blobs(from: &str, to: &str) -> Result<()> {
    let source = Blobs::open_location(from)
        .with_context(|| format!("cannot open the blob storage {from}"))?;
    let target =
        Blobs::open_location(to).with_context(|| format!("cannot open the blob storage {to}"))?;
    target
        .check()
        .await
        .with_context(|| format!("cannot reach the blob storage {to}"))?;
    eprintln!("复制照片和录音 / copying blobs {from} → {to}");
    let copied = copy_all(source.store.as_ref(), target.store.as_ref(), |so_far| {
        if (so_far.blobs + so_far.skipped) % 100 == 0 {
            eprintln!("  {} blobs, {} bytes", so_far.blobs, so_far.bytes);
        }
    })
    .await?;
    println!(
        "blobs {} ({} bytes; {} already there)",
        copied.blobs, copied.bytes, copied.skipped
    );
    Ok(())
}

async fn copy(from: &impl Export, to: &impl Import) -> Result<()> {
    let mut shown = "";
    let copied = migrate::copy(from, to, |table, rows| {
        if table != shown {
            shown = table;
            eprintln!("复制 / copying {table}");
        }
        eprintln!("  {rows} rows");
    })
    .await?;
    for (table, rows) in &copied {
        println!("{table} {rows}");
    }
    println!("迁移完成 / migrated: start the servers on the new database");
    Ok(())
}
