//! A short run of the load generator's field-operations phase (the figures in
//! docs/benchmarks.md come from the release build): with a handful of devices, nothing new
//! means nothing received, and after the street-wide notice and the campaign every device
//! receives its part — the notice's deliveries to its user, and the campaign's part only in
//! the campaign's grid.

use anyhow::Result;
use gridwalk_tests::load::field_ops;
use gridwalk_tests::load::nodes::Backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_field_operations_phase_delivers_each_device_its_part() -> Result<()> {
    let result = field_ops::run(6, Backend::Sqlite).await?;
    assert_eq!(result.households, 1800);
    assert_eq!(result.campaign_targets, 300);
    assert!(result.notice_recipients >= 6, "{result:?}");
    assert_eq!(
        (result.baseline.docs, result.baseline.devices_with_docs),
        (0, 0)
    );
    assert_eq!(result.after.devices_with_docs, 6, "{result:?}");
    // Nothing new costs a few bytes: the reference data is not sent again.
    assert!(result.baseline.max_bytes < 1000, "{result:?}");
    Ok(())
}
