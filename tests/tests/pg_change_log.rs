//! The change log on PostgreSQL with concurrent writers (docs/storage-postgres.md): many
//! committers on two nodes against one database, and a reader following the log that must
//! see every change exactly once — a sequence committed after a higher one was read would be
//! skipped for ever. Once between two store instances (two pools, as two processes have), once
//! between two `gridwalk-server` processes over HTTP.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use gridwalk_shared::model::{Household, Record, RecordKind};
use gridwalk_store::{DocWrite, PageSize, Store, StoredDoc, Visibility};
use gridwalk_store_postgres::PostgresStore;
use gridwalk_tests::raw::RawDevice;
use gridwalk_tests::{postgres, Deployment};
use uuid::Uuid;

/// Committing tasks per node, and commits each makes.
const TASKS_PER_NODE: usize = 8;
const COMMITS: usize = 30;

fn household(grid: Uuid) -> Record {
    Record::Household(Household {
        id: Uuid::now_v7(),
        grid_id: grid,
        building_id: Uuid::now_v7(),
        address: "幸福路18号".into(),
        head: "户主".into(),
        phone: String::new(),
        tags: vec![],
        members: vec![],
        notes: String::new(),
    })
}

/// A new document in `grid` whose changes are the given labels.
fn labelled(grid: Uuid, labels: Vec<String>) -> DocWrite {
    let record = household(grid);
    let doc = StoredDoc {
        doc_id: record.id(),
        kind: RecordKind::Household,
        scope: grid,
        department: None,
        snapshot: vec![1],
        seq: 0,
    };
    let changes = labels.into_iter().map(String::into_bytes).collect();
    DocWrite::new(doc, &record, changes, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_of_the_log_sees_every_change_of_two_nodes_exactly_once() {
    let Some(url) = postgres::create_database() else {
        eprintln!("skipping: PostgreSQL is not installed (apt-get install postgresql)");
        return;
    };
    let nodes = [
        PostgresStore::open(&url).await.unwrap(),
        PostgresStore::open(&url).await.unwrap(),
    ];
    let reader = PostgresStore::open(&url).await.unwrap();
    let grid = Uuid::now_v7();
    let done = Arc::new(AtomicBool::new(false));

    let follower = tokio::spawn({
        let (reader, done) = (reader.clone(), done.clone());
        async move {
            let visible = Visibility {
                units: vec![grid],
                department: None,
            };
            let (mut cursor, mut seen) = (0u64, Vec::<(u64, String)>::new());
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = reader
                    .log_page(visible.clone(), Uuid::now_v7(), cursor, PageSize::rows(40))
                    .await
                    .unwrap();
                for row in page.rows {
                    assert!(row.seq > cursor, "rows come after the cursor");
                    seen.push((row.seq, String::from_utf8(row.data).unwrap()));
                }
                assert!(page.cursor >= cursor, "the cursor never goes back");
                cursor = page.cursor;
                if finished && !page.more && cursor == reader.top_seq().await.unwrap() {
                    return seen;
                }
            }
        }
    });

    let writers: Vec<_> = (0..2 * TASKS_PER_NODE)
        .map(|task| {
            let node = nodes[task % 2].clone();
            tokio::spawn(async move {
                for commit in 0..COMMITS {
                    let labels = (0..1 + commit % 3)
                        .map(|i| format!("{task}/{commit}/{i}"))
                        .collect();
                    let writes = vec![labelled(grid, labels)];
                    node.commit(Uuid::now_v7(), writes).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = follower.await.unwrap();

    let expected: HashSet<String> = (0..2 * TASKS_PER_NODE)
        .flat_map(|task| {
            (0..COMMITS)
                .flat_map(move |commit| (0..1 + commit % 3).map(move |i| (commit, i)))
                .map(move |(commit, i)| format!("{task}/{commit}/{i}"))
        })
        .collect();
    let labels: Vec<&String> = seen.iter().map(|(_, l)| l).collect();
    let distinct: HashSet<String> = labels.iter().map(|l| l.to_string()).collect();
    assert_eq!(labels.len(), distinct.len(), "no change seen twice");
    let missed = expected.difference(&distinct).count();
    assert_eq!(missed, 0, "every change seen, none skipped");
    assert_eq!(distinct, expected);
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "in sequence order"
    );
    let top = reader.top_seq().await.unwrap();
    assert_eq!(top as usize, expected.len(), "sequences have no gaps");
}

/// A copy of `device` that talks to the server at `url`.
fn via(device: &RawDevice, url: &str) -> RawDevice {
    RawDevice {
        url: url.to_string(),
        ..device.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_phone_following_two_server_processes_receives_every_visit_exactly_once() {
    let Some(deployment) = Deployment::seeded_on_postgres().unwrap() else {
        eprintln!("skipping: PostgreSQL is not installed (apt-get install postgresql)");
        return;
    };
    let servers = [deployment.start().unwrap(), deployment.start().unwrap()];
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let reader = RawDevice::enroll(&urls[0], &deployment.enroll_code("worker1b").unwrap())
        .await
        .unwrap();
    let (mut cursor, _, _) = reader.pull(None).await.unwrap();
    // Any household of the grid the visits are to.
    let household = {
        let reply = via(&reader, &urls[1])
            .sync(&gridwalk_tests::raw::request(vec![], None, 0))
            .await
            .unwrap();
        let body = reply.body.unwrap();
        body.docs
            .iter()
            .find(|d| d.kind == RecordKind::Household && d.scope == reader.user.scope_id)
            .map(|d| d.doc_id)
            .unwrap()
    };

    const WRITERS: usize = 6;
    const VISITS: usize = 15;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let code = deployment.enroll_code("worker1").unwrap();
        let device = RawDevice::enroll(&urls[w % 2], &code).await.unwrap();
        let urls = urls.clone();
        writers.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            for v in 0..VISITS {
                // Rounds alternate between the nodes, as behind a load balancer.
                let node = via(&device, &urls[(w + v) % 2]);
                node.upload_visit(household, &format!("{w}/{v}"), vec![])
                    .await
                    .unwrap();
                sent.push(v);
            }
            sent.len()
        }));
    }

    let done = Arc::new(AtomicBool::new(false));
    let follower = tokio::spawn({
        let (done, urls) = (done.clone(), urls.clone());
        async move {
            let mut received: HashMap<Uuid, usize> = HashMap::new();
            let mut round = 0;
            loop {
                let finished = done.load(Ordering::SeqCst);
                let node = via(&reader, &urls[round % 2]);
                round += 1;
                let reply = node
                    .sync(&gridwalk_tests::raw::request(vec![], Some(cursor), 0))
                    .await
                    .unwrap();
                let body = reply.body.unwrap();
                for doc in body.docs.iter().filter(|d| d.kind == RecordKind::Visit) {
                    *received.entry(doc.doc_id).or_default() += 1;
                }
                assert!(body.cursor.seq >= cursor.seq, "the cursor never goes back");
                cursor = body.cursor;
                if finished && !body.more {
                    return received;
                }
            }
        }
    });
    let mut uploaded = 0;
    for writer in writers {
        uploaded += writer.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let received = follower.await.unwrap();
    assert_eq!(uploaded, WRITERS * VISITS);
    assert_eq!(
        received.len(),
        WRITERS * VISITS,
        "every visit reached the reader, none skipped"
    );
    assert!(
        received.values().all(|&n| n == 1),
        "no visit arrived twice: {:?}",
        received.values().filter(|&&n| n > 1).count()
    );
}

/// What the serialised commit tail costs without the disk: rounds of one new document (two
/// changes) per second from 16 committers on two nodes, on the test cluster (which runs
/// without fsync: add the disk's flush time, `pg_test_fsync`, per round). Prints its figure;
/// run by hand (docs/storage-postgres.md, "Cost"):
/// `cargo test -p gridwalk-tests --test pg_change_log -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a measurement, not a check"]
async fn commit_throughput_of_two_nodes() {
    let Some(url) = postgres::create_database() else {
        eprintln!("skipping: PostgreSQL is not installed (apt-get install postgresql)");
        return;
    };
    let nodes = [
        PostgresStore::open(&url).await.unwrap(),
        PostgresStore::open(&url).await.unwrap(),
    ];
    let grid = Uuid::now_v7();
    let seconds = 5;
    let until = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..16)
        .map(|task| {
            let node = nodes[task % 2].clone();
            tokio::spawn(async move {
                let mut rounds = 0u64;
                while std::time::Instant::now() < until {
                    let labels = vec![format!("{task}/{rounds}/0"), format!("{task}/{rounds}/1")];
                    node.commit(Uuid::now_v7(), vec![labelled(grid, labels)])
                        .await
                        .unwrap();
                    rounds += 1;
                }
                rounds
            })
        })
        .collect();
    let mut rounds = 0;
    for task in tasks {
        rounds += task.await.unwrap();
    }
    println!(
        "commit throughput: {} rounds/s ({rounds} rounds in {seconds} s, 16 committers, 2 nodes)",
        rounds / seconds
    );
}
