use super::table::{Figures, System};
use super::{peer_section, peers, splice, PeerFigure, BEGIN, END};

const DOC: &str = "# Benchmarks\n\nIntro.\n\n## Machine\nold text\n";

#[test]
fn the_section_goes_before_the_first_heading_and_is_replaced_in_place_later() {
    let first = splice(DOC, "## Side by side\nrun 1\n");
    assert!(first.starts_with("# Benchmarks\n\nIntro.\n\n"), "{first}");
    let at = first.find(BEGIN).unwrap();
    assert!(at < first.find("## Machine").unwrap(), "{first}");
    assert!(first.contains("run 1") && first.ends_with("## Machine\nold text\n"));

    let second = splice(&first, "## Side by side\nrun 2\n");
    assert!(
        !second.contains("run 1") && second.contains("run 2"),
        "{second}"
    );
    assert_eq!(second.matches(BEGIN).count(), 1);
    assert_eq!(second.matches(END).count(), 1);
    assert_eq!(second.replace("run 2", "run 1"), first);
}

#[test]
fn a_document_without_headings_gets_the_section_at_its_end() {
    let doc = splice("notes\n", "table");
    assert_eq!(doc, format!("notes\n\n{BEGIN}\ntable\n{END}\n"));
}

/// A result line printed by `../shared/peers/pouchdb/run.sh` (N=200, on this machine).
const POUCHDB_LINE: &str = include_str!("../../../fixtures/peers/pouchdb-N200.json");

#[test]
fn a_pouchdb_result_line_gives_every_figure() {
    let line: serde_json::Value = serde_json::from_str(POUCHDB_LINE).unwrap();
    let mut f = Figures::default();
    let section = peer_section(200);
    peers::record(&mut f, &section, System::PouchDb, &line);
    let phases = &line["phases"];
    let expect = [
        (PeerFigure::Upload, phases["upload"]["wallMs"].as_f64()),
        (
            PeerFigure::FreshDevice,
            phases["freshDevice"]["wallMs"].as_f64(),
        ),
        (
            PeerFigure::Incremental,
            phases["incremental"]["wallMs"].as_f64(),
        ),
        (
            PeerFigure::UploadCpu,
            phases["upload"]["serverCpuMs"].as_f64(),
        ),
        (
            PeerFigure::FreshCpu,
            phases["freshDevice"]["serverCpuMs"].as_f64(),
        ),
        (
            PeerFigure::PeakRss,
            line["serverFinal"]["hwmKB"].as_f64().map(|k| k / 1024.0),
        ),
    ];
    for (figure, value) in expect {
        let value = value.unwrap_or_else(|| panic!("{figure:?} missing from the fixture"));
        assert!(value > 0.0, "{figure:?}");
        assert_eq!(
            f.median(&section, figure.label(), System::PouchDb),
            Some(value)
        );
    }
    assert!(!f.markdown().contains('†'), "{}", f.markdown());
}

#[test]
fn a_phase_that_did_not_reach_its_target_is_marked_not_counted() {
    let mut line: serde_json::Value = serde_json::from_str(POUCHDB_LINE).unwrap();
    line["phases"]["freshDevice"] = serde_json::json!({
        "wallMs": 120000, "serverCpuMs": 900, "reached": 150, "target": 206
    });
    line["phases"]
        .as_object_mut()
        .unwrap()
        .remove("incremental");
    line["errors"] = serde_json::json!(["phase b (150/206) timed out"]);
    let mut f = Figures::default();
    let section = peer_section(200);
    peers::record(&mut f, &section, System::AutomergeRepo, &line);
    let fresh = PeerFigure::FreshDevice.label();
    assert_eq!(f.median(&section, fresh, System::AutomergeRepo), None);
    assert_eq!(
        f.median(
            &section,
            PeerFigure::Incremental.label(),
            System::AutomergeRepo
        ),
        None
    );
    let md = f.markdown();
    assert!(
        md.contains("freshDevice reached 150 of 206 documents"),
        "{md}"
    );
    assert!(
        md.contains("incremental did not run: phase b (150/206) timed out"),
        "{md}"
    );
    assert!(f
        .median(&section, PeerFigure::Upload.label(), System::AutomergeRepo)
        .is_some());
}
