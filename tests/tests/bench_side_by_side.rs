//! A short run of `gridwalk-bench` (the figures in docs/benchmarks.md come from the release
//! build with the peers): two runs of every Gridwalk phase at small sizes write one section
//! into an existing document, with a median and a range per figure and the targets judged,
//! and a second invocation replaces that section instead of adding another.

use std::path::Path;
use std::process::Command;

use gridwalk_tests::load::side_by_side::{BEGIN, END};

fn bench(work: &Path, doc: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_gridwalk-bench"))
        .args([
            "--no-peers",
            "--runs",
            "2",
            "--n",
            "100",
            "--devices",
            "8",
            "--concurrency",
            "4",
            "--devices-per-grid",
            "4",
            "--rate",
            "20",
            "--fresh-records",
            "400",
        ])
        .arg("--work-dir")
        .arg(work)
        .arg("--write")
        .arg(doc)
        .status()
        .expect("run gridwalk-bench");
    assert!(status.success(), "gridwalk-bench failed: {status}");
}

#[test]
fn one_command_writes_every_figure_with_its_range_into_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("benchmarks.md");
    std::fs::write(&doc, "# Benchmarks\n\nIntro.\n\n## Earlier runs\nkept\n").unwrap();
    bench(dir.path(), &doc);
    let text = std::fs::read_to_string(&doc).unwrap();
    assert!(text.ends_with("## Earlier runs\nkept\n"), "{text}");
    assert!(
        text.contains("--runs 2"),
        "the command is written down: {text}"
    );
    assert!(text.contains("load average"), "{text}");
    for heading in [
        "Peers' workload, N = 100 (103 documents)",
        "Many devices, closed loop: 8 device-syncs of a day's work, 4 in flight, 4 per grid",
        "Many devices, open loop: started at 20/s",
        "A fresh device receiving 400 records",
        "Bytes on the wire per record",
        "Targets (issue 14)",
    ] {
        assert!(text.contains(heading), "no {heading:?} in {text}");
    }
    // Two runs: a Gridwalk cell is a median with the range where the runs differ (every
    // wall-clock timing does; CPU time comes in clock ticks).
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| figure"))
        .filter(|l| l.matches('|').count() == 3)
        .collect();
    assert!(rows.len() >= 25, "{rows:#?}");
    for row in rows
        .iter()
        .filter(|r| r.contains(", ms |") && !r.contains("CPU"))
    {
        assert!(row.contains(" (") && row.contains('–'), "no range in {row}");
    }
    assert!(text.contains("| failed device-syncs | 0 |"), "{text}");
    // The small run meets none of the throughput targets and says so.
    assert!(text.contains("**not met**"), "{text}");
    let raw = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("bench-"));
    assert!(raw, "the raw results are kept beside");

    bench(dir.path(), &doc);
    let again = std::fs::read_to_string(&doc).unwrap();
    assert_eq!(again.matches(BEGIN).count(), 1, "{again}");
    assert_eq!(again.matches(END).count(), 1, "{again}");
    assert!(again.ends_with("## Earlier runs\nkept\n"));
}
