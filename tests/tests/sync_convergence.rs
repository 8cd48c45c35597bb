//! Two phones in one grid and the community hall tablet work offline — including concurrent
//! edits to the same household field and the same incident — then sync in every order against
//! a real server: all replicas converge, and the concurrent field shows both values.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use gridwalk_client::{HouseholdRow, NewIncident, NewVisit};
use gridwalk_shared::model::{IncidentAction, Level, Location};
use gridwalk_tests::{Deployment, Device, Server};
use serde_json::Value;
use uuid::Uuid;

/// A device under a name for assertion messages.
struct Replica {
    name: &'static str,
    device: Device,
}

impl std::ops::Deref for Replica {
    type Target = Device;

    fn deref(&self) -> &Device {
        &self.device
    }
}

async fn enrolled(
    deployment: &Deployment,
    server: &Server,
    name: &'static str,
    login: &str,
) -> Replica {
    let device = deployment.device(&server.url, login).await.unwrap();
    device.client.sync().await.unwrap();
    Replica { name, device }
}

fn export(replica: &Replica) -> Vec<Value> {
    replica.client.export().unwrap()
}

fn find(records: &[Value], id: Uuid) -> Value {
    let id = id.to_string();
    records
        .iter()
        .find(|r| r["id"] == id.as_str())
        .cloned()
        .unwrap_or(Value::Null)
}

/// The household as the replica's household list shows it.
fn household_row(replica: &Replica, id: Uuid) -> HouseholdRow {
    replica
        .client
        .households()
        .unwrap()
        .into_iter()
        .find(|h| h.id == id)
        .unwrap_or_else(|| panic!("{} lists household {id}", replica.name))
}

fn location() -> Option<Location> {
    Some(Location {
        lat: 39.9042,
        lon: 116.4074,
        accuracy_m: Some(8.0),
        at: gridwalk_shared::time::Timestamp::from_millis(1_790_000_000_000),
        adjusted_from: None,
    })
}

const ORDERS: [[usize; 3]; 6] = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_replicas_converge_in_every_sync_order() {
    converge_in_every_sync_order(Deployment::seeded().unwrap()).await;
}

/// The same journey with the server on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_replicas_converge_in_every_sync_order_on_postgres() {
    let Some(deployment) = Deployment::seeded_on_postgres().unwrap() else {
        eprintln!("skipping: PostgreSQL is not installed (apt-get install postgresql)");
        return;
    };
    converge_in_every_sync_order(deployment).await;
}

async fn converge_in_every_sync_order(deployment: Deployment) {
    let mut server = deployment.start().unwrap();
    let listen = server.addr.clone();
    let phone_a = enrolled(&deployment, &server, "phone A", "worker1").await;
    let phone_b = enrolled(&deployment, &server, "phone B", "worker1b").await;
    let tablet = enrolled(&deployment, &server, "hall tablet", "desk1").await;
    let grid = phone_a.client.account().unwrap().unwrap().user.scope_id;

    // One incident everybody knows before going offline.
    let incident = phone_a
        .client
        .report_incident(NewIncident {
            category: "env.garbage".into(),
            description: "3号楼东侧暴露垃圾".into(),
            location: location(),
        })
        .unwrap();
    phone_a.client.sync().await.unwrap();
    phone_b.client.sync().await.unwrap();
    tablet.client.sync().await.unwrap();
    assert!(
        !find(&export(&tablet), incident).is_null(),
        "the tablet sees the grid's incident"
    );

    let households: Vec<Uuid> = phone_a
        .client
        .households()
        .unwrap()
        .iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(households.len(), 300);
    let replicas = [&phone_a, &phone_b, &tablet];

    for (round, order) in ORDERS.iter().enumerate() {
        // Offline: the server is down while everybody works.
        server.kill();
        let contested = households[round];
        let phone_values = [format!("1391111000{round}"), format!("1392222000{round}")];
        phone_a
            .client
            .set_household_field(contested, "phone", &phone_values[0])
            .unwrap();
        phone_b
            .client
            .set_household_field(contested, "phone", &phone_values[1])
            .unwrap();
        tablet
            .client
            .set_household_field(households[10 + round], "notes", "独居老人，需每周探访")
            .unwrap();
        phone_a
            .client
            .add_visit(NewVisit {
                household_id: households[20 + round],
                note: format!("第{round}轮走访"),
                location: location(),
                answers: Default::default(),
                template: None,
                follow_up: round % 2 == 0,
            })
            .unwrap();
        phone_b
            .client
            .add_visit(NewVisit {
                household_id: contested,
                note: "电话号码有变".into(),
                location: None,
                answers: Default::default(),
                template: None,
                follow_up: false,
            })
            .unwrap();
        phone_a
            .client
            .add_incident_event(incident, IncidentAction::Comment, "已联系物业")
            .unwrap();
        phone_b
            .client
            .add_incident_event(incident, IncidentAction::Comment, "现场拍照留证")
            .unwrap();
        tablet
            .client
            .add_incident_event(
                incident,
                IncidentAction::Transfer {
                    level: Level::Community,
                    department_id: None,
                    assignee_id: None,
                    due: Some(gridwalk_shared::time::Timestamp::from_millis(
                        tablet.client.now().millis() + 3 * 86_400_000,
                    )),
                },
                "转派社区处理",
            )
            .unwrap();
        let tablet_report = tablet
            .client
            .report_incident_in(
                grid,
                NewIncident {
                    category: "env.garbage".into(),
                    description: format!("居民来电反映垃圾未清运（第{round}轮）"),
                    location: None,
                },
            )
            .unwrap();
        for r in replicas {
            assert!(
                r.client.pending_changes().unwrap() > 0,
                "{} has unsent work",
                r.name
            );
            assert!(
                r.client.sync().await.is_err(),
                "{}: sync fails while offline",
                r.name
            );
            assert!(
                r.client.pending_changes().unwrap() > 0,
                "{}: nothing lost by a failed sync",
                r.name
            );
        }

        // Back online: sync in this round's order, then once more so everyone has everything.
        server = deployment.start_at(&listen, &[]).unwrap();
        for &i in order.iter().chain(order.iter()) {
            let report = replicas[i].client.sync().await.unwrap();
            assert!(
                report.rejected.is_empty(),
                "round {round}: {} had rejections: {:?}",
                replicas[i].name,
                report.rejected
            );
        }
        for r in replicas {
            assert_eq!(
                r.client.pending_changes().unwrap(),
                0,
                "round {round}: {} uploaded everything",
                r.name
            );
        }

        // The phones hold exactly the same records; the tablet holds those and more.
        let (a, b, t) = (export(&phone_a), export(&phone_b), export(&tablet));
        assert_eq!(
            a, b,
            "round {round} (order {order:?}): the two phones converge"
        );
        for record in &a {
            let id = Uuid::parse_str(record["id"].as_str().unwrap()).unwrap();
            assert_eq!(
                &find(&t, id),
                record,
                "round {round}: the tablet agrees on {id}"
            );
        }
        assert!(
            !find(&a, tablet_report).is_null(),
            "the phones see the tablet's report"
        );

        // The concurrent phone edits are both kept, shown as a conflict.
        let household = find(&a, contested);
        let mut values: Vec<String> = household["conflicts"]["phone"]
            .as_array()
            .unwrap_or_else(|| panic!("round {round}: phone conflict shown: {household}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        values.sort();
        assert_eq!(values, phone_values.to_vec());
        for r in replicas {
            let view = r.client.record(contested).unwrap().unwrap();
            assert_eq!(view.conflicts.len(), 1, "round {round}: {}", r.name);
            assert_eq!(view.conflicts[0].field, "phone");
            assert_eq!(view.conflicts[0].values.len(), 2);
            assert!(
                household_row(r, contested).has_conflict,
                "round {round}: {} lists the household as conflicting",
                r.name
            );
        }

        // The incident kept every event from every replica and folds the same everywhere.
        let shared_incident = find(&a, incident);
        let events = shared_incident["events"].as_array().unwrap();
        // The report and the server's dispatch, then three events per round.
        assert_eq!(
            events.len(),
            2 + 3 * (round + 1),
            "round {round}: no event lost"
        );
        assert_eq!(shared_incident["state"]["status"], "dispatched");
    }

    // A picked value settles the conflict everywhere.
    let contested = households[0];
    phone_a
        .client
        .resolve_conflict(contested, "phone", "13911110000")
        .unwrap();
    for r in replicas.iter().chain(replicas.iter()) {
        r.client.sync().await.unwrap();
    }
    for r in replicas {
        let household = find(&export(r), contested);
        assert_eq!(household["phone"], "13911110000", "{}", r.name);
        assert!(
            household.get("conflicts").is_none(),
            "{}: conflict settled",
            r.name
        );
        let row = household_row(r, contested);
        assert!(
            !row.has_conflict,
            "{}: no longer listed as conflicting",
            r.name
        );
        assert_eq!(row.phone, "13911110000", "{}", r.name);
    }
}
