//! The [`AdminStore`] contract: accounts and lock-out, sessions, the append-only audit log,
//! device listings and the dashboard queries.

use gridwalk_shared::model::{Household, Record, RecordKind, ReferenceData, Role, User, Visit};
use gridwalk_shared::time::Timestamp;
use uuid::Uuid;

use super::Backend;
use crate::{
    AdminStore, Attempt, AuditEntry, AuditQuery, DocWrite, HouseholdPlace, IndexFilter, Session,
    Store,
};

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn entry(login: &str, action: &str, scope: Option<Uuid>) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: now(),
        actor_id: None,
        actor_login: login.into(),
        actor_scope: scope,
        action: action.into(),
        target: "t".into(),
        detail: "{}".into(),
        ok: true,
        ip: "127.0.0.1".into(),
    }
}

pub async fn passwords_attempts_and_lock_out<B: Backend>(backend: &B) {
    let place = backend.place().await;
    let store = backend.open(&place).await;
    let user = Uuid::now_v7();
    let until = now() + 60_000;
    assert_eq!(store.account(user).await.unwrap(), None);
    assert_eq!(
        store.sign_in_attempt(user, 3, now(), until).await.unwrap(),
        Attempt::NoAccount
    );
    store
        .set_password(user, "$argon2id$x".into())
        .await
        .unwrap();
    for expected in [1, 2] {
        assert_eq!(
            store.sign_in_attempt(user, 3, now(), until).await.unwrap(),
            Attempt::Counted {
                failures: expected,
                locks: false
            }
        );
        let a = store.account(user).await.unwrap().unwrap();
        assert_eq!((a.failures, a.locked_until), (expected, None));
    }
    assert_eq!(
        store.sign_in_attempt(user, 3, now(), until).await.unwrap(),
        Attempt::Counted {
            failures: 0,
            locks: true
        },
        "the third attempt in a row locks"
    );
    assert_eq!(
        store.sign_in_attempt(user, 3, now(), until).await.unwrap(),
        Attempt::Locked { until },
        "refused, not counted, while locked"
    );
    // Once the lock has passed, attempts count again from the start.
    assert_eq!(
        store
            .sign_in_attempt(user, 3, until + 1, until + 60_000)
            .await
            .unwrap(),
        Attempt::Counted {
            failures: 1,
            locks: false
        }
    );
    // A session (the right password) clears the count.
    store
        .create_session(
            "h".into(),
            Session {
                user_id: user,
                csrf: "c".into(),
                expires_at: now() + 60_000,
            },
        )
        .await
        .unwrap();
    let a = store.account(user).await.unwrap().unwrap();
    assert_eq!((a.failures, a.locked_until), (0, None));
    // A new password lifts a lock.
    for _ in 0..3 {
        store.sign_in_attempt(user, 3, now(), until).await.unwrap();
    }
    assert!(store
        .account(user)
        .await
        .unwrap()
        .unwrap()
        .locked_until
        .is_some());
    store
        .set_password(user, "$argon2id$y".into())
        .await
        .unwrap();
    let a = store.account(user).await.unwrap().unwrap();
    assert_eq!(
        (a.password_hash.as_str(), a.failures, a.locked_until),
        ("$argon2id$y", 0, None)
    );
}

/// Many attempts at once never count past the lock-out: exactly `lock_after` are let through.
pub async fn parallel_attempts_cannot_pass_the_lock_out<B: Backend>(backend: &B) {
    let place = backend.place().await;
    let store = backend.open(&place).await;
    let user = Uuid::now_v7();
    store
        .set_password(user, "$argon2id$x".into())
        .await
        .unwrap();
    let until = now() + 60_000;
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.sign_in_attempt(user, 5, now(), until).await })
        })
        .collect();
    let mut counted = 0;
    for task in tasks {
        if let Attempt::Counted { .. } = task.await.unwrap().unwrap() {
            counted += 1;
        }
    }
    assert_eq!(counted, 5, "five attempts pass, the other 35 find the lock");
}

pub async fn sessions_expire_and_end<B: Backend>(backend: &B) {
    let place = backend.place().await;
    let store = backend.open(&place).await;
    let user = Uuid::now_v7();
    let live = Session {
        user_id: user,
        csrf: "c".into(),
        expires_at: now() + 60_000,
    };
    store
        .create_session("live".into(), live.clone())
        .await
        .unwrap();
    store
        .create_session(
            "old".into(),
            Session {
                expires_at: now() - 1,
                ..live.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.session("live".into()).await.unwrap(),
        Some(live.clone())
    );
    assert_eq!(store.session("old".into()).await.unwrap(), None);
    assert_eq!(store.session("nope".into()).await.unwrap(), None);
    store.delete_session("live".into()).await.unwrap();
    assert_eq!(store.session("live".into()).await.unwrap(), None);
    store
        .create_session("a".into(), live.clone())
        .await
        .unwrap();
    store.create_session("b".into(), live).await.unwrap();
    store.delete_sessions_of(user).await.unwrap();
    assert_eq!(store.session("a".into()).await.unwrap(), None);
    assert_eq!(store.session("b".into()).await.unwrap(), None);
}

pub async fn the_audit_log_is_searchable_and_append_only<B: Backend>(backend: &B) {
    let place = backend.place().await;
    let store = backend.open(&place).await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let first = store
        .append_audit(entry("admin", "sign_in", Some(a)))
        .await
        .unwrap();
    store
        .append_audit(entry("cadmin", "export.visits", Some(b)))
        .await
        .unwrap();
    store
        .append_audit(entry("nobody", "sign_in", None))
        .await
        .unwrap();
    let all = store
        .search_audit(AuditQuery {
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        all.iter()
            .map(|e| e.actor_login.as_str())
            .collect::<Vec<_>>(),
        ["nobody", "cadmin", "admin"]
    );
    let scoped = AuditQuery {
        scopes: Some(vec![b]),
        limit: 10,
        ..AuditQuery::default()
    };
    assert_eq!(store.search_audit(scoped).await.unwrap().len(), 1);
    let exports = AuditQuery {
        action: Some("export".into()),
        limit: 10,
        ..AuditQuery::default()
    };
    assert_eq!(
        store.search_audit(exports).await.unwrap()[0].actor_login,
        "cadmin"
    );
    let text = AuditQuery {
        text: Some("nob".into()),
        limit: 10,
        ..AuditQuery::default()
    };
    assert_eq!(store.search_audit(text).await.unwrap().len(), 1);
    let paged = AuditQuery {
        before: Some(first + 1),
        limit: 10,
        ..AuditQuery::default()
    };
    assert_eq!(store.search_audit(paged).await.unwrap().len(), 1);

    // The database itself refuses to change or delete entries.
    let update = backend
        .execute(&place, "UPDATE audit_log SET actor_login = 'x'")
        .await;
    assert!(update.is_err(), "{update:?}");
    let delete = backend.execute(&place, "DELETE FROM audit_log").await;
    assert!(delete.is_err(), "{delete:?}");
    let again = store
        .search_audit(AuditQuery {
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(again, all);
}

pub async fn devices_and_index_queries<B: Backend>(backend: &B) {
    let place = backend.place().await;
    let store = backend.open(&place).await;
    let grid = Uuid::now_v7();
    let worker = User {
        id: Uuid::now_v7(),
        login: "worker1".into(),
        name: "李四".into(),
        role: Role::GridWorker,
        scope_id: grid,
    };
    let reference = ReferenceData {
        users: vec![worker.clone()],
        ..ReferenceData::default()
    };
    store.put_reference(reference, None).await.unwrap();
    let building = Uuid::now_v7();
    let homes: Vec<Record> = (0..300)
        .map(|i| {
            Record::Household(Household {
                id: Uuid::now_v7(),
                grid_id: grid,
                building_id: building,
                address: format!("幸福路 {} 号 {}-{}", i / 30 + 1, i % 30 / 6 + 1, i % 6 + 1),
                head: format!("户主{i}"),
                phone: String::new(),
                tags: vec![],
                members: vec![],
                notes: String::new(),
            })
        })
        .collect();
    for chunk in homes.chunks(100) {
        let writes = chunk
            .iter()
            .map(|r| DocWrite::created(r).unwrap())
            .collect();
        store.commit(Uuid::nil(), writes).await.unwrap();
    }

    store
        .issue_enroll_code(worker.id, "h".into(), 1)
        .await
        .unwrap();
    let device = store
        .enroll("h".into(), "phone".into(), "0.1.0".into(), "t".into())
        .await
        .unwrap();
    let listed = store.devices_of(vec![worker.id]).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].name.as_str(), listed[0].revoked_at),
        ("phone", None)
    );
    assert!(store
        .devices_of(vec![Uuid::now_v7()])
        .await
        .unwrap()
        .is_empty());
    store.revoke_device(device.device_id).await.unwrap();
    assert!(store
        .device(device.device_id)
        .await
        .unwrap()
        .unwrap()
        .revoked_at
        .is_some());

    assert_eq!(store.household_count(vec![grid]).await.unwrap(), 300);
    assert_eq!(
        store.household_addresses(vec![grid]).await.unwrap().len(),
        300
    );
    let filter = IndexFilter {
        units: vec![grid],
        limit: Some(7),
        ..IndexFilter::default()
    };
    assert_eq!(
        store
            .index_rows(RecordKind::Household, filter)
            .await
            .unwrap()
            .len(),
        7
    );
    let visits = store
        .visit_counts(
            IndexFilter {
                units: vec![grid],
                ..IndexFilter::default()
            },
            480,
        )
        .await
        .unwrap();
    assert_eq!(visits.households_visited, 0);
    assert!(visits.per_day.is_empty());

    let visit = |household: Uuid, at: i64| {
        Record::Visit(Visit {
            id: Uuid::now_v7(),
            grid_id: grid,
            household_id: household,
            worker_id: worker.id,
            started_at: Timestamp::from_millis(at),
            ended_at: Some(Timestamp::from_millis(at + 600_000)),
            location: None,
            template_id: None,
            template_version: None,
            answers: Default::default(),
            notes: String::new(),
            photos: vec![],
            audio: vec![],
            follow_up: false,
            campaign: None,
        })
    };
    let (a, b) = (homes[0].id(), homes[1].id());
    let mut places = store
        .addresses_of(vec![a, Uuid::now_v7(), b])
        .await
        .unwrap();
    places.sort_by_key(|p| p.household);
    let mut expected: Vec<HouseholdPlace> = homes[..2]
        .iter()
        .map(|r| match r {
            Record::Household(h) => HouseholdPlace {
                household: h.id,
                address: h.address.clone(),
                building: Some(h.building_id),
            },
            other => panic!("not a household: {other:?}"),
        })
        .collect();
    expected.sort_by_key(|p| p.household);
    assert_eq!(places, expected, "unknown ids are skipped");
    let day = 86_400_000;
    let writes = [visit(a, 10 * day), visit(a, 30 * day), visit(b, 20 * day)]
        .iter()
        .map(|r| DocWrite::created(r).unwrap())
        .collect();
    store.commit(Uuid::nil(), writes).await.unwrap();
    let in_grid = |units| IndexFilter {
        units,
        ..IndexFilter::default()
    };
    let mut last = store.last_visits(in_grid(vec![grid])).await.unwrap();
    last.sort();
    let mut expected = vec![(a, 30 * day), (b, 20 * day)];
    expected.sort();
    assert_eq!(last, expected, "the latest visit of each household visited");
    assert!(store
        .last_visits(in_grid(vec![Uuid::now_v7()]))
        .await
        .unwrap()
        .is_empty());
}
