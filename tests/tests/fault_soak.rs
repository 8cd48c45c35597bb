//! The short fault soak: a few devices work through the cutting proxy while the server is
//! killed with SIGKILL five times; nothing acknowledged is lost, the change log has no gaps
//! and every replica converges. The long run is `gridwalk-soak` (docs/reliability.md).

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use std::time::Duration;

use gridwalk_tests::soak::outage::Outages;
use gridwalk_tests::soak::{run, SoakConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_acknowledged_is_lost_across_sigkills() {
    let seed = std::env::var("GRIDWALK_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("fault soak seed {seed} (set GRIDWALK_SOAK_SEED to replay)");
    let config = SoakConfig {
        devices: 4,
        leaders: 1,
        outages: Outages {
            kills: 5,
            mean_uptime: Duration::from_millis(1200),
            max_downtime: Duration::from_millis(400),
        },
        cut_bytes: 16 * 1024,
        seed,
    };
    let report = run(&config).await.unwrap();
    eprint!("{}", report.summary());
    assert_eq!(report.kills, 5);
    assert!(
        report.acked_under_faults > 0,
        "changes were acknowledged between kills"
    );
    assert!(report.syncs_failed > 0, "the faults made syncs fail");
    assert!(report.cuts > 0, "the proxy cut connections");
    assert_eq!(
        report.lost, 0,
        "acknowledged changes lost: {:#?}",
        report.problems
    );
    assert_eq!(report.log.gaps, 0, "change log: {:?}", report.log);
    assert!(report.log.rows > 0);
    assert_eq!(
        report.never_acked, 0,
        "every outbox emptied once the faults were off"
    );
    assert_eq!(report.rejected, 0, "{:#?}", report.problems);
    assert_eq!(report.diverged_docs, 0, "{:#?}", report.problems);
    assert_eq!(report.diverged_rows, 0, "{:#?}", report.problems);
}
