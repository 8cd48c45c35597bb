//! Demo field activity (`gridwalk-server seed-activity`): weeks of visits, incidents through
//! the closed loop and desk requests, so the dashboards and exports have something to show.
//! The same seed and "now" give the same activity (ids aside).

use std::collections::HashMap;

use gridwalk_shared::coords::LatLon;
use gridwalk_shared::model::{
    Answer, Incident, IncidentAction, IncidentEvent, ItemKind, Level, Location, Record, RecordKind,
    ReferenceData, Role, Satisfaction, ServiceAction, ServiceEvent, ServiceRequest, Visit,
};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::workflow::SYSTEM_USER;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::populate;
use crate::store::{AdminStore, IndexFilter, StoreResult};

/// How many records were made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    /// Visits.
    pub visits: usize,
    /// Incidents.
    pub incidents: usize,
    /// Desk requests.
    pub services: usize,
}

const HOUR: i64 = 3_600_000;

/// A fresh id: time-ordered, so a second run never overwrites the first (or the demo's
/// households, which come from the same seed).
fn id(_: &mut StdRng) -> Uuid {
    Uuid::now_v7()
}

fn satisfaction(rng: &mut StdRng) -> Satisfaction {
    match rng.gen_range(0..20) {
        0 => Satisfaction::Dissatisfied,
        1..=3 => Satisfaction::Basically,
        _ => Satisfaction::Satisfied,
    }
}

fn answers(
    reference: &ReferenceData,
    rng: &mut StdRng,
) -> std::collections::BTreeMap<String, Answer> {
    let Some(checklist) = reference.current_checklist() else {
        return Default::default();
    };
    checklist
        .items
        .iter()
        .filter_map(|item| {
            let answer = match &item.kind {
                ItemKind::YesNo => Answer::YesNo(rng.gen_bool(0.85)),
                ItemKind::SingleChoice { options } => Answer::Choice(options.first()?.clone()),
                ItemKind::MultiChoice { options } => {
                    Answer::Choices(vec![options.first()?.clone()])
                }
                ItemKind::Text => Answer::Text("正常".into()),
                ItemKind::Number => Answer::Number(f64::from(rng.gen_range(1..5))),
                ItemKind::Photo => return None,
            };
            Some((item.key.clone(), answer))
        })
        .collect()
}

/// One incident reported at `at` in `grid`, taken as far through the loop as time allows.
fn incident(
    reference: &ReferenceData,
    rng: &mut StdRng,
    grid: Uuid,
    by: Uuid,
    at: i64,
    now: i64,
) -> Option<Incident> {
    let category = &reference.categories[rng.gen_range(0..reference.categories.len())];
    let rule = reference.route(&category.code, grid)?;
    let due = reference
        .calendar
        .due(Timestamp::from_millis(at), rule.days);
    // Each step by the one the loop gives it to: the server dispatches, the department (or,
    // at grid level, another worker of the grid) handles, a colleague checks on site, the
    // reporter records the resident's rating, the street admin closes.
    let person = |role: Role, scope: Option<Uuid>| {
        reference
            .users
            .iter()
            .find(|u| u.role == role && scope.is_none_or(|s| u.scope_id == s) && u.id != by)
            .map(|u| u.id)
    };
    // Another worker of the grid, else the community's grid leader.
    let colleague = person(Role::GridWorker, Some(grid)).or_else(|| {
        reference
            .users
            .iter()
            .find(|u| u.role == Role::GridLeader && reference.is_within(grid, u.scope_id))
            .map(|u| u.id)
    });
    let handler = match rule.department_id {
        Some(dept) => person(Role::Department, Some(dept)),
        None if rule.level == Level::Grid => colleague,
        None => person(Role::Admin, None),
    };
    let admin = person(Role::Admin, None);
    let mut events = Vec::new();
    let mut event = |rng: &mut StdRng, at: i64, who: Uuid, action| {
        events.push(IncidentEvent {
            id: id(rng),
            at: Timestamp::from_millis(at),
            by: who,
            action,
            note: String::new(),
            photos: vec![],
            location: None,
        });
    };
    event(rng, at, by, IncidentAction::Report);
    event(
        rng,
        at + HOUR / 2,
        SYSTEM_USER,
        IncidentAction::Dispatch {
            level: rule.level,
            department_id: rule.department_id,
            assignee_id: None,
            due: Some(due),
        },
    );
    // Most are handled within the limit, some late, some still open.
    let limit = (due.millis() - at).max(HOUR);
    let handled = at
        + match rng.gen_range(0..10) {
            0 => limit + rng.gen_range(HOUR..48 * HOUR),
            1 => i64::MAX / 4,
            _ => rng.gen_range(HOUR..limit),
        };
    let Some(handler) = handler else {
        return Some(finish(reference, rng, grid, category, by, events));
    };
    event(rng, at + HOUR, handler, IncidentAction::Accept);
    if handled < now {
        event(
            rng,
            handled.max(at + 2 * HOUR),
            handler,
            IncidentAction::Feedback,
        );
        let checker = colleague.filter(|c| *c != handler);
        if let (Some(checker), true) = (checker, handled + 4 * HOUR < now) {
            event(
                rng,
                handled + 2 * HOUR,
                checker,
                IncidentAction::Verify { passed: true },
            );
            if rng.gen_bool(0.8) {
                let satisfaction = satisfaction(rng);
                event(
                    rng,
                    handled + 3 * HOUR,
                    by,
                    IncidentAction::Evaluate { satisfaction },
                );
            }
            if let Some(admin) = admin {
                event(rng, handled + 4 * HOUR, admin, IncidentAction::Close);
            }
        }
    }
    Some(finish(reference, rng, grid, category, by, events))
}

/// What a worker writes for a problem of this category (the demo's own words).
fn describe(code: &str) -> &'static [&'static str] {
    match code {
        "env.garbage" => &["楼道堆放杂物", "垃圾桶满溢", "小区门口暴露垃圾"],
        "env.littering" => &["绿化带乱扔垃圾", "楼下乱倒建筑垃圾"],
        "env.pollution" => &["餐馆油烟直排", "烧烤店油烟扰民"],
        "city.illegal_parking" => &["消防通道违停", "人行道停车"],
        "city.road_damage" => &["路面坑洼", "人行道砖松动"],
        "safety.fire_exit" => &["消防通道堆放杂物", "安全出口被锁"],
        "safety.gas" => &["闻到燃气味", "燃气软管老化"],
        "safety.electric_bike" => &["电动车推入楼道充电", "飞线充电"],
        "order.noise" => &["夜间装修噪音", "广场舞音响过大"],
        "order.dispute" => &["邻里漏水纠纷", "车位纠纷"],
        "infra.streetlight" => &["路灯不亮", "路灯杆倾斜"],
        "infra.water_leak" => &["供水管道漏水", "消火栓漏水"],
        "infra.manhole" => &["井盖松动", "井盖缺失"],
        "service.elderly_help" => &["独居老人求助", "老人行动不便需帮办"],
        "market.unlicensed" => &["无证流动摊贩", "无照经营小店"],
        _ => &["其他需协调的问题"],
    }
}

/// The incident record around its events.
fn finish(
    _reference: &ReferenceData,
    rng: &mut StdRng,
    grid: Uuid,
    category: &gridwalk_shared::model::IncidentCategory,
    by: Uuid,
    events: Vec<IncidentEvent>,
) -> Incident {
    let descriptions = describe(&category.code);
    Incident {
        id: id(rng),
        grid_id: grid,
        category: category.code.clone(),
        description: descriptions[rng.gen_range(0..descriptions.len())].to_string(),
        location: None,
        photos: vec![],
        audio: vec![],
        reporter_id: by,
        events,
        received: Default::default(),
    }
}

fn service(
    reference: &ReferenceData,
    rng: &mut StdRng,
    community: Uuid,
    desk: Uuid,
    at: i64,
    now: i64,
) -> Option<ServiceRequest> {
    let item = &reference.services[rng.gen_range(0..reference.services.len())];
    let due = reference
        .calendar
        .due(Timestamp::from_millis(at), item.time_limit_days);
    let mut events = vec![ServiceEvent {
        id: id(rng),
        at: Timestamp::from_millis(at),
        by: desk,
        action: ServiceAction::Register,
        note: String::new(),
    }];
    let on_the_spot = item.time_limit_days == 0 || rng.gen_bool(0.4);
    let done = if on_the_spot {
        at + rng.gen_range(600_000..HOUR)
    } else {
        at + rng.gen_range(HOUR..(due.millis() - at).max(2 * HOUR))
    };
    if done < now {
        events.push(ServiceEvent {
            id: id(rng),
            at: Timestamp::from_millis(done),
            by: desk,
            action: ServiceAction::Complete { on_the_spot },
            note: String::new(),
        });
        if rng.gen_bool(0.7) {
            let satisfaction = satisfaction(rng);
            events.push(ServiceEvent {
                id: id(rng),
                at: Timestamp::from_millis(done + 60_000),
                by: desk,
                action: ServiceAction::Rate { satisfaction },
                note: String::new(),
            });
        }
    }
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"];
    Some(ServiceRequest {
        id: id(rng),
        community_id: community,
        item_id: item.id,
        resident_name: format!("{}女士", surnames[rng.gen_range(0..surnames.len())]),
        resident_phone: format!("139{:08}", rng.gen_range(0..100_000_000)),
        materials_received: item.materials.clone(),
        due: Some(due),
        events,
        received: Default::default(),
    })
}

/// A phone's fix at a visit to the building at `b`: mostly within 30 m and good to 5–25 m;
/// one in twenty a few hundred metres off, as a fix taken down the road would be.
fn fix_near(b: LatLon, at: i64, rng: &mut StdRng) -> Location {
    let metres = if rng.gen_bool(0.05) {
        rng.gen_range(250.0..600.0)
    } else {
        rng.gen_range(0.0..30.0)
    };
    let bearing: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
    let per_degree = 111_195.0;
    Location {
        lat: b.lat + metres * bearing.cos() / per_degree,
        lon: b.lon + metres * bearing.sin() / (per_degree * b.lat.to_radians().cos()),
        accuracy_m: Some(rng.gen_range(5.0..25.0)),
        at: Timestamp::from_millis(at),
        adjusted_from: None,
    }
}

/// Stores `days` days of demo activity ending at `now` (epoch ms).
pub async fn seed_activity<S: AdminStore>(
    store: &S,
    days: u32,
    seed: u64,
    now: i64,
) -> StoreResult<Activity> {
    let reference = store.reference();
    let mut rng = StdRng::seed_from_u64(seed);
    let households = store
        .index_rows(
            RecordKind::Household,
            IndexFilter {
                units: reference.units.iter().map(|u| u.id).collect(),
                ..IndexFilter::default()
            },
        )
        .await?;
    // Where each household's building stands, for the visits' fixes; drawn from a generator
    // of their own so that the rest of the demo stays what it was.
    let buildings: HashMap<Uuid, LatLon> = households
        .iter()
        .filter_map(|h| match serde_json::from_str::<Record>(&h.row.json) {
            Ok(Record::Household(h)) => {
                Some((h.id, reference.building_position(Some(h.building_id))?))
            }
            _ => None,
        })
        .collect();
    let mut places = StdRng::seed_from_u64(seed.rotate_left(17) ^ 0x5eed);
    let template = reference
        .current_checklist()
        .map(|t| (t.id, i64::from(t.version)));
    let offset = i64::from(reference.calendar.utc_offset_minutes) * 60_000;
    let today = (now + offset).div_euclid(24 * HOUR) * 24 * HOUR - offset;
    let mut records = Vec::new();
    let mut counts = Activity::default();
    for back in (0..i64::from(days)).rev() {
        let day = today - back * 24 * HOUR;
        if !reference
            .calendar
            .is_working_day(reference.calendar.local_date(Timestamp::from_millis(day)))
        {
            continue;
        }
        for user in &reference.users {
            let morning = day + 8 * HOUR + rng.gen_range(0..HOUR);
            match user.role {
                Role::GridWorker => {
                    let mine: Vec<_> = households
                        .iter()
                        .filter(|h| h.scope == user.scope_id)
                        .collect();
                    if mine.is_empty() {
                        continue;
                    }
                    for n in 0..rng.gen_range(6..14) {
                        let start = morning + n * HOUR / 2 + rng.gen_range(0..HOUR / 4);
                        if start > now {
                            break;
                        }
                        let home = mine[rng.gen_range(0..mine.len())];
                        let location = buildings
                            .get(&home.doc_id)
                            .map(|b| fix_near(*b, start, &mut places));
                        records.push(Record::Visit(Visit {
                            id: id(&mut rng),
                            grid_id: user.scope_id,
                            household_id: home.doc_id,
                            worker_id: user.id,
                            started_at: Timestamp::from_millis(start),
                            ended_at: Some(Timestamp::from_millis(
                                start + rng.gen_range(600_000..1_800_000),
                            )),
                            location,
                            template_id: template.map(|t| t.0),
                            template_version: template.map(|t| t.1),
                            answers: answers(&reference, &mut rng),
                            notes: String::new(),
                            photos: vec![],
                            audio: vec![],
                            follow_up: rng.gen_bool(0.1),
                            campaign: None,
                        }));
                        counts.visits += 1;
                    }
                    for _ in 0..rng.gen_range(0..3) {
                        let at = morning + rng.gen_range(0..8 * HOUR);
                        if at < now {
                            if let Some(mut i) =
                                incident(&reference, &mut rng, user.scope_id, user.id, at, now)
                            {
                                let near: Vec<LatLon> = reference
                                    .buildings_in(user.scope_id)
                                    .filter_map(|b| b.position)
                                    .collect();
                                if !near.is_empty() {
                                    let b = near[places.gen_range(0..near.len())];
                                    i.location = Some(fix_near(b, at, &mut places));
                                }
                                records.push(Record::Incident(i));
                                counts.incidents += 1;
                            }
                        }
                    }
                }
                Role::Desk if !reference.services.is_empty() => {
                    for _ in 0..rng.gen_range(2..7) {
                        let at = morning + rng.gen_range(HOUR..8 * HOUR);
                        if at < now {
                            if let Some(s) =
                                service(&reference, &mut rng, user.scope_id, user.id, at, now)
                            {
                                records.push(Record::ServiceRequest(s));
                                counts.services += 1;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    populate::insert_records(store, records).await?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use gridwalk_shared::validate::validate_record;
    use gridwalk_shared::workflow::IncidentStatus;

    use super::*;
    use crate::store::Store;
    use gridwalk_store_sqlite::SqliteStore;

    #[tokio::test]
    async fn demo_activity_is_valid_and_fills_every_kind() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let demo = crate::seed::demo(7);
        store.put_reference(demo.reference, None).await.unwrap();
        let homes = demo.households.into_iter().map(Record::Household).collect();
        populate::insert_records(&store, homes).await.unwrap();
        let now = 1_795_400_000_000; // 2026-11-23
        let made = seed_activity(&store, 14, 1, now).await.unwrap();
        assert!(
            made.visits > 300 && made.incidents > 10 && made.services > 20,
            "{made:?}"
        );
        let reference = store.reference();
        let all = IndexFilter {
            units: reference.units.iter().map(|u| u.id).collect(),
            ..IndexFilter::default()
        };
        let mut statuses = std::collections::HashSet::new();
        for kind in [
            RecordKind::Visit,
            RecordKind::Incident,
            RecordKind::ServiceRequest,
        ] {
            for row in store.index_rows(kind, all.clone()).await.unwrap() {
                let record: Record = serde_json::from_str(&row.row.json).unwrap();
                validate_record(&record, &reference).unwrap();
                assert!(row.row.at.is_some_and(|at| at <= now));
                if let Record::Incident(i) = &record {
                    // Built the way the loop runs: every event applies, each by the right
                    // person (replayed through the shared validation one event at a time).
                    let state = gridwalk_shared::workflow::fold_incident(&i.events);
                    assert!(state.ignored.is_empty(), "{:?}", i.events);
                    replay(i, &reference);
                    statuses.insert(state.status);
                }
            }
        }
        let households = store.household_count(all.units.clone()).await.unwrap();
        assert_eq!(households, 1800, "nothing overwritten");
        for expected in [IncidentStatus::Handling, IncidentStatus::Closed] {
            assert!(statuses.contains(&expected), "{statuses:?}");
        }
    }

    /// Adds the incident's events one at a time, each checked as its author's change.
    fn replay(incident: &gridwalk_shared::model::Incident, reference: &ReferenceData) {
        use gridwalk_shared::validate::{validate_change, Actor};
        let mut ordered = incident.events.clone();
        ordered.sort_by_key(|e| (e.at, e.id));
        let mut so_far = incident.clone();
        so_far.events.clear();
        for event in ordered {
            let actor = match reference.user(event.by) {
                Some(u) => Actor {
                    user_id: u.id,
                    role: u.role,
                    scope_id: u.scope_id,
                },
                None => Actor::system(),
            };
            let old = (!so_far.events.is_empty()).then(|| Record::Incident(so_far.clone()));
            so_far.events.push(event);
            let new = Record::Incident(so_far.clone());
            validate_change(old.as_ref(), &new, &actor, reference).unwrap();
        }
    }
}
