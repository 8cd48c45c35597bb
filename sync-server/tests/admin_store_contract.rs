//! The `AdminStore` contract, run against the SQLite store: accounts and lock-out, sessions,
//! the append-only audit log, device listings and the dashboard queries.

use gridwalk_server::store::{
    AdminStore, Attempt, AuditEntry, AuditQuery, IndexFilter, Session, SqliteStore, Store,
};
use gridwalk_shared::model::RecordKind;
use uuid::Uuid;

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).expect("open");
    (dir, store)
}

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

#[tokio::test]
async fn passwords_attempts_and_lock_out() {
    let (_dir, store) = store();
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
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_attempts_cannot_pass_the_lock_out() {
    let (_dir, store) = store();
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

#[tokio::test]
async fn sessions_expire_and_end() {
    let (_dir, store) = store();
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

#[tokio::test]
async fn the_audit_log_is_searchable_and_append_only() {
    let (_dir, store) = store();
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
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    assert!(conn
        .execute("UPDATE audit_log SET actor_login = 'x'", [])
        .is_err());
    assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    drop(conn);
    let again = store
        .search_audit(AuditQuery {
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(again, all);
}

#[tokio::test]
async fn devices_and_index_queries() {
    let (_dir, store) = store();
    let demo = gridwalk_server::seed::demo(3);
    let worker = demo
        .reference
        .users
        .iter()
        .find(|u| u.login == "worker1")
        .unwrap()
        .clone();
    store.put_reference(demo.reference.clone()).await.unwrap();
    let homes = demo
        .households
        .iter()
        .cloned()
        .map(gridwalk_shared::model::Record::Household)
        .collect();
    gridwalk_server::populate::insert_records(&store, homes)
        .await
        .unwrap();

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

    let grid = worker.scope_id;
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
}
