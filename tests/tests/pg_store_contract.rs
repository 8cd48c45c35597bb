//! The storage contract suite (`gridwalk_store::contract`) against the PostgreSQL backend:
//! each test on its own fresh database of the shared throw-away cluster
//! (`gridwalk_tests::postgres`).

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use gridwalk_store::contract::Backend;
use gridwalk_store_postgres::PostgresStore;
use gridwalk_tests::postgres;

struct Postgres;

impl Backend for Postgres {
    type Store = PostgresStore;
    type Place = String;

    async fn place(&self) -> String {
        postgres::create_database().unwrap()
    }

    async fn open(&self, url: &String) -> PostgresStore {
        PostgresStore::open(url).await.unwrap()
    }

    async fn execute(&self, url: &String, sql: &str) -> Result<u64, String> {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        client.execute(sql, &[]).await.map_err(|e| e.to_string())
    }
}

gridwalk_store::contract_tests!(
    Postgres,
    skip_unless = postgres::available("the contract suite")
);
