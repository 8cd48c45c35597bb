//! The city deployment of docs/deploy.md on loopback (issue 13): PostgreSQL, an S3 server
//! (moto) and two `gridwalk-server` nodes behind haproxy, every part a real process. Phones
//! of two grids and the community hall tablet sync through the proxy only, photos included,
//! while a node is killed with SIGKILL — one mid-round, later the other mid-upload — and
//! started again on its port. Nothing a device was told is stored is lost, every replica
//! converges, and a phone whose rounds land on alternating nodes (told apart by each node's
//! `/metrics`) receives every change of its grid once. Skips without PostgreSQL, moto or
//! haproxy unless GRIDWALK_REQUIRE_SERVICES=1.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gridwalk_client::media::{sha256_hex, CHUNK_BYTES};
use gridwalk_client::{Attachments, NewIncident, NewVisit, Photo};
use gridwalk_shared::model::IncidentAction;
use gridwalk_tests::city::{metric, City};
use gridwalk_tests::media::noisy_jpeg;
use gridwalk_tests::{Deployment, Device};
use serde_json::Value;
use uuid::Uuid;

/// Rounds of work.
const ROUNDS: usize = 6;

/// What a node is doing when it is killed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Moment {
    /// Serving a sync round.
    Round,
    /// In the middle of a photo's upload: it stored a piece, more are to come.
    Upload,
}

/// In which round which node is killed, and when; it is started again at the next round.
const KILLS: [(usize, usize, Moment); 2] = [(2, 0, Moment::Round), (4, 1, Moment::Upload)];

/// A device under a name, with what it made and what it was told is stored.
struct Replica {
    name: &'static str,
    device: Device,
    grid: Uuid,
    /// Records it created that the server acknowledged.
    acked: Vec<Uuid>,
    /// Records created since its last complete sync.
    unacked: Vec<Uuid>,
    photos: Vec<Photo>,
    /// Documents it changed (id, grid) since the follower last synced.
    changed: Vec<(Uuid, Uuid)>,
}

impl Replica {
    async fn enrolled(deployment: &Deployment, url: &str, name: &'static str) -> Replica {
        let device = deployment.device(url, name).await.unwrap();
        sync_until_stored(name, &device).await;
        let grid = device.client.account().unwrap().unwrap().user.scope_id;
        Replica {
            name,
            device,
            grid,
            acked: Vec::new(),
            unacked: Vec::new(),
            photos: Vec::new(),
            changed: Vec::new(),
        }
    }

    fn created(&mut self, id: Uuid, grid: Uuid) {
        self.unacked.push(id);
        self.changed.push((id, grid));
    }

    /// A new small photo (each one different: the same picture in two grids is not ours to
    /// share).
    fn photo(&mut self) -> Attachments {
        self.photo_of(320, 240)
    }

    fn photo_of(&mut self, width: u32, height: u32) -> Attachments {
        static SEED: AtomicU64 = AtomicU64::new(0);
        let seed = SEED.fetch_add(1, Ordering::Relaxed);
        let photo = self
            .device
            .client
            .add_photo(&noisy_jpeg(width, height, seed))
            .unwrap();
        let media = Attachments {
            photos: vec![photo.hash.clone()],
            audio: vec![],
        };
        self.photos.push(photo);
        media
    }

    /// Syncs until the outbox and the uploads are empty; then everything made is acked.
    async fn sync(&mut self) {
        sync_until_stored(self.name, &self.device).await;
        self.acked.append(&mut self.unacked);
    }

    /// Its records of `grid`, as its export shows them.
    fn export_of(&self, grid: Uuid) -> Vec<Value> {
        in_grid(self.device.client.export().unwrap(), grid)
    }
}

fn in_grid(records: Vec<Value>, grid: Uuid) -> Vec<Value> {
    let grid = grid.to_string();
    records
        .into_iter()
        .filter(|r| r["grid_id"] == grid.as_str())
        .collect()
}

/// Syncs `device` until the server holds everything it made. A round cut by the killed node
/// fails (or haproxy sends it elsewhere); the device sends it again, as the app would.
async fn sync_until_stored(name: &str, device: &Device) {
    let client = &device.client;
    for attempt in 0..30 {
        match client.sync().await {
            Ok(report) => {
                assert!(report.rejected.is_empty(), "{name}: {:?}", report.rejected);
                if client.pending_changes().unwrap() == 0
                    && client.pending_uploads().unwrap().is_empty()
                {
                    return;
                }
            }
            Err(e) => eprintln!("{name}: sync attempt {attempt} failed: {e}"),
        }
        // The app's back-off between failed syncs, shortened.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} could not sync everything in 30 attempts");
}

async fn rounds_served(addr: &str) -> f64 {
    metric(addr, "gridwalk_sync_rounds_total", "").await
}

/// Which node served the rounds of `device`'s sync (nothing else going through the proxy):
/// its index and how many documents it downloaded. Both must be one node's.
async fn follow(device: &Device, addrs: &[String; 2]) -> (usize, usize) {
    let before = [
        rounds_served(&addrs[0]).await,
        rounds_served(&addrs[1]).await,
    ];
    let report = device.client.sync().await.unwrap();
    let after = [
        rounds_served(&addrs[0]).await,
        rounds_served(&addrs[1]).await,
    ];
    let served: Vec<f64> = (0..2).map(|i| after[i] - before[i]).collect();
    assert_eq!(report.rounds, 1, "one round per sync: {report:?}");
    let node = served.iter().position(|&n| n == 1.0).unwrap();
    assert_eq!(served.iter().sum::<f64>(), 1.0, "served {served:?}");
    (node, report.downloaded_docs)
}

/// SIGKILLs `node` as soon as it is at `moment` (within 20 s); whether it was. Sets
/// `killed` either way.
async fn kill_at(city: &mut City, node: usize, moment: Moment, killed: &AtomicBool) -> bool {
    let addr = &city.addrs[node];
    let deadline = Instant::now() + Duration::from_secs(20);
    let start = pieces_stored(addr).await;
    let mut caught = false;
    while !caught && Instant::now() < deadline {
        caught = match moment {
            Moment::Round => metric(addr, "gridwalk_sync_rounds_in_flight", "").await > 0.0,
            Moment::Upload => pieces_stored(addr).await > start,
        };
    }
    city.kill(node);
    killed.store(true, Ordering::SeqCst);
    caught
}

/// The people at work: two grid mates (one of them only follows), a worker of another grid
/// of the community, and the community's hall tablet.
struct Team {
    phone: Replica,
    follower: Replica,
    other: Replica,
    tablet: Replica,
    ours: Vec<Uuid>,
    theirs: Vec<Uuid>,
}

impl Team {
    async fn enrolled(city: &City) -> Team {
        let (deployment, url) = (&city.deployment, city.proxy.url.as_str());
        let phone = Replica::enrolled(deployment, url, "worker1").await;
        let follower = Replica::enrolled(deployment, url, "worker1b").await;
        let other = Replica::enrolled(deployment, url, "worker2").await;
        let tablet = Replica::enrolled(deployment, url, "desk1").await;
        assert_eq!(phone.grid, follower.grid, "grid mates");
        assert_ne!(phone.grid, other.grid);
        let households = |r: &Replica| -> Vec<Uuid> {
            let rows = r.device.client.households().unwrap();
            rows.iter().map(|h| h.id).collect()
        };
        let (ours, theirs) = (households(&phone), households(&other));
        Team {
            phone,
            follower,
            other,
            tablet,
            ours,
            theirs,
        }
    }

    /// One round of work offline: visits with photos in both grids, an incident with a photo
    /// from the phone or one from the tablet, and both commenting on one incident at once.
    fn work(&mut self, round: usize, big_photo: bool) {
        let grid = self.phone.grid;
        for (replica, household) in [
            (&mut self.phone, self.ours[round]),
            (&mut self.other, self.theirs[round]),
        ] {
            let media = replica.photo();
            let visit = NewVisit {
                household_id: household,
                note: format!("第{round}轮走访"),
                ..NewVisit::default()
            };
            let id = replica.device.client.add_visit_with(visit, &media).unwrap();
            let grid = replica.grid;
            replica.created(id, grid);
        }
        let (reporter, media) = if round.is_multiple_of(2) {
            let media = match big_photo {
                true => self.phone.photo_of(1400, 1000),
                false => self.phone.photo(),
            };
            (&mut self.phone, media)
        } else {
            (&mut self.tablet, Attachments::default())
        };
        let incident = NewIncident {
            category: "env.garbage".into(),
            description: format!("楼道堆放杂物（第{round}轮）"),
            location: None,
        };
        let client = &reporter.device.client;
        let id = client
            .report_incident_with(Some(grid), incident, &media)
            .unwrap();
        reporter.created(id, grid);

        let on_tablet: BTreeSet<Uuid> = incident_ids(&self.tablet);
        let Some(shared) = incident_ids(&self.phone)
            .into_iter()
            .find(|id| on_tablet.contains(id))
        else {
            return;
        };
        for (replica, note) in [
            (&mut self.phone, "已联系物业"),
            (&mut self.tablet, "已转物业"),
        ] {
            let client = &replica.device.client;
            client
                .add_incident_event(shared, IncidentAction::Comment, note)
                .unwrap();
            replica.changed.push((shared, grid));
        }
    }

    /// The writers sync at once, and again with a visit more each while `until` is unset.
    async fn sync_until(&mut self, until: &AtomicBool) {
        for more in 0.. {
            if more > 0 {
                for (replica, households) in [
                    (&mut self.phone, &self.ours),
                    (&mut self.other, &self.theirs),
                ] {
                    let visit = NewVisit {
                        household_id: households[ROUNDS + more % 100],
                        note: "补充走访".into(),
                        ..NewVisit::default()
                    };
                    let media = replica.photo();
                    let id = replica.device.client.add_visit_with(visit, &media).unwrap();
                    let grid = replica.grid;
                    replica.created(id, grid);
                }
            }
            let (phone, other, tablet) = (&mut self.phone, &mut self.other, &mut self.tablet);
            tokio::join!(phone.sync(), other.sync(), tablet.sync());
            if until.load(Ordering::SeqCst) {
                return;
            }
        }
    }

    /// Documents of the follower's grid that the others changed since it last synced.
    fn changed_for_follower(&mut self) -> BTreeSet<Uuid> {
        let grid = self.follower.grid;
        [&mut self.phone, &mut self.other, &mut self.tablet]
            .into_iter()
            .flat_map(|r| std::mem::take(&mut r.changed))
            .filter(|(_, g)| *g == grid)
            .map(|(id, _)| id)
            .collect()
    }
}

fn incident_ids(replica: &Replica) -> BTreeSet<Uuid> {
    let rows = replica.device.client.incidents().unwrap();
    rows.iter().map(|i| i.id).collect()
}

fn ids(records: &[Value]) -> BTreeSet<String> {
    records
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_behind_haproxy_lose_nothing_when_each_is_killed_in_turn() {
    let started = Instant::now();
    let Some(mut city) = City::start().unwrap() else {
        return;
    };
    let mut team = Team::enrolled(&city).await;
    eprintln!("set up in {:?}", started.elapsed());

    let mut served = Vec::new();
    for round in 0..ROUNDS {
        if let Some(&(_, node, _)) = KILLS.iter().find(|k| k.0 + 1 == round) {
            city.restart(node).await.unwrap();
        }
        let kill = KILLS.iter().find(|k| k.0 == round).copied();
        team.work(round, kill.is_some_and(|k| k.2 == Moment::Upload));
        // Everybody syncs at once; in a kill round a node dies while it serves them (they
        // keep recording and syncing until it has).
        if let Some((_, node, moment)) = kill {
            let killed = AtomicBool::new(false);
            let work = team.sync_until(&killed);
            let ((), caught) = tokio::join!(work, kill_at(&mut city, node, moment, &killed));
            assert!(caught, "node {node} was killed at {moment:?}");
        } else {
            team.sync_until(&AtomicBool::new(true)).await;
        }

        // The follower alone, twice back to back: consecutive rounds land on alternating
        // nodes (while both are in haproxy's rotation) and it gets every change of its grid
        // once: the first round everything, the second nothing.
        let expected = team.changed_for_follower();
        let first = follow(&team.follower.device, &city.addrs).await;
        let second = follow(&team.follower.device, &city.addrs).await;
        assert_eq!(first.1, expected.len(), "round {round}: every change once");
        assert_eq!(second.1, 0, "round {round}: nothing twice");
        if kill.is_none() {
            assert_ne!(first.0, second.0, "round {round}: alternating nodes");
        }
        served.extend([first.0, second.0]);
        let held = ids(&team.follower.device.client.export().unwrap());
        for id in team.phone.acked.iter().chain(&team.tablet.acked) {
            assert!(held.contains(&id.to_string()), "round {round}: {id}");
        }
    }
    eprintln!("the follower's rounds by node: {served:?}");
    for (node, addr) in city.addrs.iter().enumerate() {
        let rounds = served.iter().filter(|&&n| n == node).count();
        assert!(
            rounds >= 2,
            "node {node} served the follower {rounds} times"
        );
        assert!(rounds_served(addr).await > 0.0, "node {node} serves");
    }
    pieces_on_both_nodes(&city, &mut team.phone).await;
    converged(&city, &mut team).await;
    // No device was answered 5xx (a slow `/ready` may say 503 to haproxy: that is its job).
    for addr in &city.addrs {
        let requests = |labels| metric(addr, "gridwalk_http_requests_total", labels);
        let failed = requests("status=\"5").await;
        let not_ready = requests("route=\"/ready\",method=\"GET\",status=\"503").await;
        if not_ready > 0.0 {
            eprintln!("{addr} said not ready {not_ready} times (the database was slow)");
        }
        assert_eq!(failed - not_ready, 0.0, "{addr} answered a device 5xx");
    }
    eprintln!("cluster journey took {:?}", started.elapsed());
}

/// Blob pieces the node at `addr` stored (`PUT /v1/blobs/…` answered 2xx).
async fn pieces_stored(addr: &str) -> f64 {
    let puts = "route=\"/v1/blobs/{sha256}\",method=\"PUT\",status=\"2";
    metric(addr, "gridwalk_http_requests_total", puts).await
}

/// A photo of several pieces sent alone through the proxy: its pieces alternate between the
/// nodes, so each node carries on the upload from what the other left in the bucket.
async fn pieces_on_both_nodes(city: &City, phone: &mut Replica) {
    let media = phone.photo_of(900, 700);
    let size = phone.photos.last().unwrap().size;
    assert!(size > 2 * CHUNK_BYTES, "{size} bytes: 3 pieces or more");
    let visit = NewVisit {
        household_id: phone.device.client.households().unwrap()[0].id,
        note: "楼顶漏水".into(),
        ..NewVisit::default()
    };
    let id = phone.device.client.add_visit_with(visit, &media).unwrap();
    let grid = phone.grid;
    phone.created(id, grid);
    let [a, b] = &city.addrs;
    let before = [pieces_stored(a).await, pieces_stored(b).await];
    phone.sync().await;
    let after = [pieces_stored(a).await, pieces_stored(b).await];
    eprintln!("a photo of {size} bytes: pieces stored by node {before:?} → {after:?}");
    for node in 0..2 {
        assert!(after[node] > before[node], "node {node} stored pieces");
    }
}

/// The grid's replicas hold the same documents, the tablet the same of each of its grids;
/// a tablet enrolled now gets all of them from the server, every acknowledged record among
/// them, and every photo and thumbnail through the proxy.
async fn converged(city: &City, team: &mut Team) {
    for replica in [
        &mut team.follower,
        &mut team.phone,
        &mut team.other,
        &mut team.tablet,
    ] {
        replica.sync().await;
    }
    let export = |r: &Replica| r.device.client.export().unwrap();
    assert_eq!(export(&team.phone), export(&team.follower), "grid mates");
    let fresh = Replica::enrolled(&city.deployment, &city.proxy.url, "desk1").await;
    for replica in [&team.phone, &team.other] {
        let mine = replica.export_of(replica.grid);
        assert_eq!(
            mine,
            team.tablet.export_of(replica.grid),
            "{}",
            replica.name
        );
        assert_eq!(
            mine,
            fresh.export_of(replica.grid),
            "{} on the server",
            replica.name
        );
    }
    let stored = ids(&export(&fresh));
    for replica in [&team.phone, &team.other, &team.tablet] {
        for id in &replica.acked {
            let name = replica.name;
            assert!(stored.contains(&id.to_string()), "{name}: {id} stored");
        }
    }
    for photo in team.phone.photos.iter().chain(&team.other.photos) {
        for (hash, thumbnail) in [(&photo.hash, false), (&photo.thumbnail, true)] {
            let path = fresh.device.client.blob(&photo.hash, thumbnail).await;
            let bytes = std::fs::read(path.unwrap()).unwrap();
            assert_eq!(&sha256_hex(&bytes), hash, "photo {}", photo.hash);
        }
    }
}
