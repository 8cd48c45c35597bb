//! `gridwalk-server migrate --from sqlite://DIR --to postgres://…`: a street moves up to a
//! city's database (docs/deploy.md, "Moving a street up").

use anyhow::{bail, Context, Result};
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
}

/// Copies the deployment, printing each table's rows as they go.
pub async fn migrate(args: MigrateArgs) -> Result<()> {
    let from = match args.from.parse::<Database>()? {
        Database::Sqlite(dir) => {
            if !dir.join(SqliteStore::FILE_NAME).exists() {
                bail!("there is no Gridwalk database in {}", dir.display());
            }
            SqliteStore::open(&dir)
                .with_context(|| format!("cannot open the data directory {}", dir.display()))?
        }
        Database::Postgres(_) => bail!("--from must be a sqlite://DIR deployment"),
    };
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
