//! `gridwalk-server`: serve, seed demo data, list users, issue enrolment codes, set admin
//! passwords, back up and restore, collect unneeded blobs. Every command finds its data
//! through `--data DIR` or `--database URL` and `--blobs LOCATION` ([`StorageArgs`]); `main`
//! opens the backend the URL names and runs the command over it.

mod accounts_cmd;
mod data_cmd;
mod migrate_cmd;
mod open311_cmd;
mod serve_cmd;
mod storage_cmd;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use gridwalk_server::location::Database;
use gridwalk_server::store::ServerStore;
use gridwalk_store_postgres::PostgresStore;
use gridwalk_store_sqlite::SqliteStore;
use serve_cmd::ServeArgs;
use storage_cmd::StorageArgs;

/// Gridwalk sync server (网格通同步服务).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Create the demo street: 2 communities, 6 grids, 1,800 households, users for every role.
    SeedDemo {
        #[command(flatten)]
        storage: StorageArgs,
        /// Random seed for the generated data.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Add demo field activity (visits, incidents, desk requests) for the dashboards.
    SeedActivity {
        #[command(flatten)]
        storage: StorageArgs,
        /// Days of activity, ending today.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Random seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// List users: `LOGIN ROLE SCOPE_ID`, one per line.
    Users {
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Issue a one-time enrolment code for a user (printed as the last line).
    EnrollCode {
        #[command(flatten)]
        storage: StorageArgs,
        /// User login.
        #[arg(long)]
        user: String,
        /// Hours the code stays valid.
        #[arg(long, default_value_t = 72)]
        ttl_hours: i64,
    },
    /// Store each community's offline basemap (an MBTiles tile package) where its devices
    /// fetch it: `--file` (made with GDAL, tippecanoe, QGIS…; with `--community`), or one
    /// drawn from the org's own geometry. Prints `COMMUNITY SHA256 … BYTES` per package.
    TilePackage {
        #[command(flatten)]
        storage: StorageArgs,
        /// One community (default: every community).
        #[arg(long)]
        community: Option<uuid::Uuid>,
        /// A package made elsewhere, to store instead of drawing one.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// Also keep the drawn packages in this folder.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Set a user's admin-web password (argon2id): first start and recovery.
    AdminPassword {
        #[command(flatten)]
        storage: StorageArgs,
        /// User login (an admin or department user).
        #[arg(long)]
        user: String,
        /// New password (at least 8 characters).
        #[arg(long, env = "GRIDWALK_ADMIN_PASSWORD")]
        password: String,
    },
    /// Issue an admin API token (`Authorization: Bearer`) for another system, printed as the
    /// last line; issuing a name again replaces that token. `--revoke` revokes it instead.
    ApiToken {
        #[command(flatten)]
        storage: StorageArgs,
        /// User login the token acts as (an admin or department user).
        #[arg(long)]
        user: String,
        /// Name of the token (what uses it, e.g. `city-platform`).
        #[arg(long)]
        name: String,
        /// Revoke the token of that name: it stops working at once.
        #[arg(long)]
        revoke: bool,
    },
    /// Issue an Open311 API key (`api_key`) bound to an org unit, printed as the last line;
    /// issuing a name again replaces that key. `--revoke` revokes it instead.
    Open311Key {
        #[command(flatten)]
        storage: StorageArgs,
        /// Name of the key (what uses it, e.g. `city-12345`).
        #[arg(long)]
        name: String,
        /// Org unit the key files into and reads (default: the street, the root).
        #[arg(long)]
        unit: Option<uuid::Uuid>,
        /// Revoke the key of that name: it stops working at once.
        #[arg(long)]
        revoke: bool,
    },
    /// List referenced blobs not uploaded (whole) yet:
    /// `HASH KIND DOC_ID SCOPE PARTIAL_BYTES DEVICE_ID USER_ID SINCE` (`-` when unknown; SINCE
    /// in RFC 3339, UTC).
    MissingBlobs {
        #[command(flatten)]
        storage: StorageArgs,
        /// Most lines to print.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// Revoke a device: its token stops working at once.
    RevokeDevice {
        #[command(flatten)]
        storage: StorageArgs,
        /// Device id.
        #[arg(long)]
        device: uuid::Uuid,
    },
    /// Start a new epoch after restoring a backup, so devices re-send what they hold.
    NewEpoch {
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Copy the store to FILE while the server runs (SQLite's online backup), with a list of
    /// the blobs held then in FILE.blobs; copy the `blobs` folder beside it yourself.
    Backup {
        #[command(flatten)]
        storage: StorageArgs,
        /// Backup file to write (replaced if it exists).
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into a data directory (stop the server first) with a new epoch, so
    /// devices re-send what the backup missed.
    Restore {
        /// Backup file written by `backup`.
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// List (or with --delete remove) partial uploads and unreferenced blobs older than the
    /// grace period: `partial|unreferenced HASH BYTES MODIFIED` per line, then a summary.
    GcBlobs {
        #[command(flatten)]
        storage: StorageArgs,
        /// Hours a blob or partial upload is kept before it may go.
        #[arg(long, default_value_t = 72)]
        grace_hours: u64,
        /// Delete them (without it, only print what would go).
        #[arg(long)]
        delete: bool,
    },
    /// Copy a deployment into an empty database (a street moving up to PostgreSQL): devices
    /// carry on without enrolling again. Prints `TABLE ROWS` per table.
    Migrate(migrate_cmd::MigrateArgs),
    /// Drop change-log rows older than the newest `keep`; devices behind get snapshots.
    Compact {
        #[command(flatten)]
        storage: StorageArgs,
        /// Change-log rows to keep.
        #[arg(long, default_value_t = 1_000_000)]
        keep: u64,
    },
}

impl Command {
    /// Where the command's data lives (`migrate` names two places of its own).
    fn storage(&self) -> Option<&StorageArgs> {
        Some(match self {
            Command::Migrate(_) => return None,
            Command::Serve(args) => &args.storage,
            Command::SeedDemo { storage, .. }
            | Command::SeedActivity { storage, .. }
            | Command::Users { storage }
            | Command::EnrollCode { storage, .. }
            | Command::AdminPassword { storage, .. }
            | Command::TilePackage { storage, .. }
            | Command::ApiToken { storage, .. }
            | Command::Open311Key { storage, .. }
            | Command::MissingBlobs { storage, .. }
            | Command::RevokeDevice { storage, .. }
            | Command::NewEpoch { storage }
            | Command::Backup { storage, .. }
            | Command::Restore { storage, .. }
            | Command::GcBlobs { storage, .. }
            | Command::Compact { storage, .. } => storage,
        })
    }
}

#[tokio::main]
async fn main() {
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("错误 / error: {e:#}");
        std::process::exit(1);
    }
}

/// The SQLite directory of a command that works on the SQLite file itself.
fn sqlite_dir(storage: &StorageArgs, what: &str) -> Result<PathBuf> {
    match storage.database()? {
        Database::Sqlite(dir) => Ok(dir),
        Database::Postgres(_) => bail!(
            "`{what}` copies the SQLite file; back up PostgreSQL with pg_dump (or its own \
             base backups) and restore with pg_restore, then run `new-epoch` \
             (docs/storage-postgres.md)"
        ),
    }
}

async fn run(cli: Cli) -> Result<()> {
    let Some(storage) = cli.command.storage().cloned() else {
        return match cli.command {
            Command::Migrate(args) => migrate_cmd::migrate(args).await,
            _ => bail!("a command without a data location"),
        };
    };
    // The two commands on the SQLite file itself: they must not open the store first.
    match cli.command {
        Command::Backup { to, .. } => {
            storage.blobs_in_a_directory("backup")?;
            data_cmd::backup(sqlite_dir(&storage, "backup")?, to).await
        }
        Command::Restore { from, .. } => {
            let bucket = Some(storage.blob_location()?).filter(|l| l.starts_with("s3://"));
            data_cmd::restore(from, sqlite_dir(&storage, "restore")?, bucket).await
        }
        command => match storage.database()? {
            Database::Sqlite(dir) => {
                let store = SqliteStore::open(&dir)
                    .with_context(|| format!("cannot open the data directory {}", dir.display()))?;
                run_on(store, &storage, command).await
            }
            Database::Postgres(url) => {
                let store = PostgresStore::open(&url)
                    .await
                    .with_context(|| format!("cannot open the database {}", storage.describe()))?;
                run_on(store, &storage, command).await
            }
        },
    }
}

/// Runs `command` over `store`.
async fn run_on<S: ServerStore>(store: S, storage: &StorageArgs, command: Command) -> Result<()> {
    match command {
        Command::Serve(args) => serve_cmd::serve(args, store).await,
        Command::SeedDemo { seed, .. } => data_cmd::seed_demo(&store, storage, seed).await,
        Command::SeedActivity { days, seed, .. } => {
            data_cmd::seed_activity(&store, days, seed).await
        }
        Command::Users { .. } => {
            for user in &store.reference().users {
                println!("{} {} {}", user.login, user.role.as_str(), user.scope_id);
            }
            Ok(())
        }
        Command::EnrollCode {
            user, ttl_hours, ..
        } => accounts_cmd::enroll_code(&store, storage, user, ttl_hours).await,
        Command::TilePackage {
            community,
            file,
            out,
            ..
        } => data_cmd::tile_package(&store, storage, community, file, out).await,
        Command::AdminPassword { user, password, .. } => {
            accounts_cmd::admin_password(&store, &user, &password).await
        }
        Command::ApiToken {
            user, name, revoke, ..
        } => accounts_cmd::api_token(&store, user, name, revoke).await,
        Command::Open311Key {
            name, unit, revoke, ..
        } => open311_cmd::open311_key(&store, name, unit, revoke).await,
        Command::MissingBlobs { limit, .. } => {
            data_cmd::missing_blobs(&store, &storage.open_blobs()?, limit).await
        }
        Command::RevokeDevice { device, .. } => {
            store.revoke_device(device).await?;
            println!("device {device} revoked");
            Ok(())
        }
        Command::NewEpoch { .. } => {
            let epoch = store.new_epoch().await?;
            println!("new epoch {epoch}: devices will re-send what they hold");
            Ok(())
        }
        Command::GcBlobs {
            grace_hours,
            delete,
            ..
        } => data_cmd::gc_blobs(&store, &storage.open_blobs()?, grace_hours, delete).await,
        Command::Compact { keep, .. } => {
            let top = store.top_seq().await?;
            let removed = store.prune_log(top.saturating_sub(keep)).await?;
            println!("removed {removed} change-log rows (top sequence {top})");
            Ok(())
        }
        Command::Backup { .. } | Command::Restore { .. } | Command::Migrate(_) => {
            bail!("this command runs before any store is opened")
        }
    }
}
