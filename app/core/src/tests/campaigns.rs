//! Visit frequency by tag on today's list, and campaign tasks: a campaign part delivered by
//! the server becomes the responsible worker's tasks by deadline; doing one is a visit that
//! references the campaign; a census task edits the household in the same transaction.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use gridwalk_shared::{
    model::{Campaign, CampaignKind, CampaignTarget, Frequency, Member, VisitRule, VisitRules},
    time::{Clock, Timestamp},
    Record,
};
use tempfile::TempDir;
use uuid::Uuid;

use super::fixture::*;
use crate::store::meta;
use crate::{CampaignVisit, Client, NewVisit, Task};

struct MovingClock(AtomicI64);

impl Clock for MovingClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

/// A worker1 client whose reference data has `rules`, holding `homes`; 2026-03-02 09:00.
fn client_with(
    dir: &std::path::Path,
    rules: VisitRules,
    homes: &[Record],
) -> (Client, Arc<MovingClock>) {
    let clock = Arc::new(MovingClock(AtomicI64::new(1_772_413_200_000)));
    let client = Client::open_with_clock(dir, clock.clone()).unwrap();
    drop(signed_in(dir, &worker1(), TestClock::new()));
    let mut reference = reference();
    reference.visit_rules = rules;
    client
        .store()
        .write(|tx| meta::set_reference(tx, &reference))
        .unwrap();
    deliver(&client, homes);
    (client, clock)
}

fn due_ids(client: &Client) -> Vec<Uuid> {
    client
        .today()
        .unwrap()
        .due
        .iter()
        .map(|d| d.household.id)
        .collect()
}

#[test]
fn today_follows_the_visit_rules_by_tag() {
    let dir = TempDir::new().unwrap();
    let mut alone = household(GRID1, "幸福路1号101");
    alone.members.push(Member {
        id: Uuid::now_v7(),
        name: "王奶奶".into(),
        relation: "户主".into(),
        birth_year: Some(1940),
        tags: vec!["独居老人".into()],
    });
    let plain = household(GRID1, "幸福路1号102");
    let homes = [
        Record::Household(alone.clone()),
        Record::Household(plain.clone()),
    ];
    let rules = VisitRules {
        by_tag: vec![VisitRule {
            tag: "独居老人".into(),
            frequency: Frequency::Weekly,
        }],
        default: Frequency::Quarterly,
    };
    let (client, clock) = client_with(dir.path(), rules, &homes);
    for id in [alone.id, plain.id] {
        client
            .add_visit(NewVisit {
                household_id: id,
                ..NewVisit::default()
            })
            .unwrap();
    }
    assert!(due_ids(&client).is_empty(), "both just visited");
    clock.0.fetch_add(7 * 86_400_000, Ordering::SeqCst);
    let today = client.today().unwrap();
    assert_eq!(
        due_ids(&client),
        [alone.id],
        "a week on, the one living alone is due"
    );
    let next = today.due[0].next.clone().unwrap();
    assert!(next.due && !next.overdue && next.frequency == Frequency::Weekly);
    clock.0.fetch_add(86_400_000, Ordering::SeqCst);
    assert!(
        client.today().unwrap().due[0]
            .next
            .as_ref()
            .unwrap()
            .overdue
    );
    // The tag moves to the household record of the other one: its rule follows.
    client
        .set_household_field(plain.id, "tags", "独居老人")
        .unwrap();
    assert_eq!(due_ids(&client).len(), 2);
    let grids = client.my_grids().unwrap();
    assert_eq!(grids[0].buildings[0].visited, 0, "both are due now");
}

#[test]
fn campaign_tasks_are_the_workers_by_deadline_and_done_by_a_visit() {
    let dir = TempDir::new().unwrap();
    let home = household(GRID1, "幸福路1号101");
    let other = household(GRID1, "幸福路1号102");
    let (client, _) = client_with(
        dir.path(),
        VisitRules::default(),
        &[
            Record::Household(home.clone()),
            Record::Household(other.clone()),
        ],
    );
    let part = |kind, deadline: i64, targets: Vec<CampaignTarget>| Campaign {
        id: Uuid::now_v7(),
        campaign_id: Uuid::now_v7(),
        grid_id: GRID1,
        name: "节前走访".into(),
        task_kind: kind,
        deadline: Timestamp::from_millis(deadline),
        template_id: None,
        template_version: None,
        created_by: Uuid::nil(),
        created_at: Timestamp::from_millis(1_772_000_000_000),
        targets,
    };
    let target = |id, worker| CampaignTarget {
        id,
        label: "幸福路".into(),
        worker_id: worker,
    };
    let late = part(
        CampaignKind::Visit,
        1_773_000_000_000,
        vec![target(home.id, Some(worker1().id))],
    );
    let soon = part(
        CampaignKind::Census,
        1_772_500_000_000,
        vec![target(other.id, None), target(home.id, Some(worker2().id))],
    );
    deliver(
        &client,
        &[
            Record::Campaign(late.clone()),
            Record::Campaign(soon.clone()),
        ],
    );
    let tasks = client.campaign_tasks().unwrap();
    let order: Vec<(Uuid, Uuid)> = tasks.iter().map(|t| (t.campaign_id, t.target_id)).collect();
    assert_eq!(
        order,
        [(soon.campaign_id, other.id), (late.campaign_id, home.id)],
        "by deadline, mine only"
    );
    assert!(
        matches!(&client.today().unwrap().tasks[0], Task::Campaign { task } if task.target_id == other.id)
    );

    client
        .do_campaign_task(CampaignVisit {
            campaign_id: late.campaign_id,
            target_id: home.id,
            ..CampaignVisit::default()
        })
        .unwrap();
    let mut form = other.facts();
    form.head = "李四".into();
    form.tags = vec!["租户".into()];
    client
        .do_campaign_task(CampaignVisit {
            campaign_id: soon.campaign_id,
            target_id: other.id,
            census: Some(form.clone()),
            ..CampaignVisit::default()
        })
        .unwrap();
    assert!(client.campaign_tasks().unwrap().is_empty());
    let Some(Record::Household(edited)) = client.record(other.id).unwrap().map(|v| v.record) else {
        panic!("household missing");
    };
    assert_eq!(edited.facts(), form);
    let views = client.campaigns().unwrap();
    assert_eq!(
        views.iter().map(|v| (v.done, v.total)).collect::<Vec<_>>(),
        [(1, 2), (1, 1)]
    );
    let refused = client.do_campaign_task(CampaignVisit {
        campaign_id: Uuid::now_v7(),
        target_id: home.id,
        ..CampaignVisit::default()
    });
    assert!(refused.is_err(), "an unknown campaign is refused");
}
