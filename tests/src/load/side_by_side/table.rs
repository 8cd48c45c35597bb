//! The figures of several runs per system, their medians and ranges, and the Markdown table
//! `gridwalk-bench` writes into `docs/benchmarks.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

/// Who was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum System {
    /// This repository's server and device client.
    Gridwalk,
    /// PouchDB ↔ express-pouchdb (`../shared/peers/pouchdb`).
    PouchDb,
    /// The automerge-repo JS stack (`../shared/peers/automerge-repo`).
    AutomergeRepo,
}

impl System {
    /// The column heading.
    pub fn label(self) -> &'static str {
        match self {
            System::Gridwalk => "Gridwalk",
            System::PouchDb => "PouchDB",
            System::AutomergeRepo => "automerge-repo",
        }
    }
}

/// One figure's values, one per run, and why a run's value is not a finished phase.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Series {
    /// One value per run, in run order.
    pub values: Vec<f64>,
    /// Runs whose phase did not finish (the value is what it reached), with the reason.
    pub incomplete: Vec<String>,
}

impl Series {
    /// The median (the mean of the middle two for an even count); `None` when empty.
    pub fn median(&self) -> Option<f64> {
        let mut v = self.values.clone();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => None,
            n if n % 2 == 1 => Some(v[n / 2]),
            n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
        }
    }

    /// The smallest and largest value.
    pub fn range(&self) -> Option<(f64, f64)> {
        let min = self.values.iter().copied().reduce(f64::min)?;
        let max = self.values.iter().copied().reduce(f64::max)?;
        Some((min, max))
    }
}

/// One row of a table: a figure, with a series per system measured.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// What is measured, with its unit.
    pub figure: String,
    /// Values per system.
    pub by_system: BTreeMap<System, Series>,
}

/// Rows in the order they were first recorded, grouped under headings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    /// (heading, rows).
    pub sections: Vec<(String, Vec<Row>)>,
}

impl Figures {
    /// Records one run's `value` of `figure` under `section` for `system`.
    pub fn add(&mut self, section: &str, figure: &str, system: System, value: f64) {
        self.series(section, figure, system).values.push(value);
    }

    /// Notes that a run of `figure` did not finish.
    pub fn incomplete(&mut self, section: &str, figure: &str, system: System, why: String) {
        self.series(section, figure, system).incomplete.push(why);
    }

    fn series(&mut self, section: &str, figure: &str, system: System) -> &mut Series {
        let at = match self.sections.iter().position(|(s, _)| s == section) {
            Some(at) => at,
            None => {
                self.sections.push((section.to_string(), Vec::new()));
                self.sections.len() - 1
            }
        };
        let rows = &mut self.sections[at].1;
        let row = match rows.iter().position(|r| r.figure == figure) {
            Some(row) => row,
            None => {
                rows.push(Row {
                    figure: figure.to_string(),
                    by_system: BTreeMap::new(),
                });
                rows.len() - 1
            }
        };
        rows[row].by_system.entry(system).or_default()
    }

    /// The median of `figure` under `section` for `system`.
    pub fn median(&self, section: &str, figure: &str, system: System) -> Option<f64> {
        self.sections
            .iter()
            .find(|(s, _)| s == section)?
            .1
            .iter()
            .find(|r| r.figure == figure)?
            .by_system
            .get(&system)?
            .median()
    }

    /// Every section as a Markdown table: a column per system with the median and range,
    /// and the ratio of each peer's median to Gridwalk's (ours ÷ theirs).
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for (heading, rows) in &self.sections {
            let systems: Vec<System> = {
                let mut all: Vec<System> = rows
                    .iter()
                    .flat_map(|r| r.by_system.keys().copied())
                    .collect();
                all.sort();
                all.dedup();
                all
            };
            let _ = writeln!(out, "\n**{heading}**\n");
            let mut head = String::from("| figure |");
            let mut rule = String::from("|---|");
            for s in &systems {
                let _ = write!(head, " {} |", s.label());
                rule.push_str("---|");
                if *s != System::Gridwalk && systems.contains(&System::Gridwalk) {
                    let _ = write!(head, " ours ÷ {} |", s.label());
                    rule.push_str("---|");
                }
            }
            let _ = writeln!(out, "{head}\n{rule}");
            for row in rows {
                let _ = write!(out, "| {} |", row.figure);
                let ours = row
                    .by_system
                    .get(&System::Gridwalk)
                    .and_then(Series::median);
                for s in &systems {
                    let series = row.by_system.get(s);
                    let _ = write!(out, " {} |", series.map_or("–".into(), cell));
                    if *s != System::Gridwalk && systems.contains(&System::Gridwalk) {
                        let ratio = ours.zip(series.and_then(Series::median));
                        let _ = write!(
                            out,
                            " {} |",
                            ratio
                                .filter(|(_, theirs)| *theirs > 0.0)
                                .map_or("–".into(), |(o, t)| format!("{:.2}", o / t))
                        );
                    }
                }
                out.push('\n');
            }
            let notes: Vec<String> = rows
                .iter()
                .flat_map(|r| {
                    r.by_system.iter().flat_map(move |(s, series)| {
                        series
                            .incomplete
                            .iter()
                            .map(move |why| format!("{} · {}: {why}", s.label(), r.figure))
                    })
                })
                .collect();
            for note in notes {
                let _ = writeln!(out, "\n† {note}");
            }
        }
        out
    }
}

/// A figure rounded for reading: no decimals for whole numbers and from 100 up, one from 10,
/// two below (ratios such as 1.12).
pub fn number(v: f64) -> String {
    let a = v.abs();
    let text = if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    // Thousands separators on the integer part.
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// A table cell: the median, the range over the runs when they differ, and † when
/// some run did not finish.
fn cell(series: &Series) -> String {
    let Some(median) = series.median() else {
        return if series.incomplete.is_empty() {
            "–".into()
        } else {
            "failed †".into()
        };
    };
    let mut text = number(median);
    if let Some((min, max)) = series.range().filter(|(min, max)| min < max) {
        let _ = write!(text, " ({}–{})", number(min), number(max));
    }
    if !series.incomplete.is_empty() {
        text.push_str(" †");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_ranges_of_odd_and_even_counts() {
        let s = Series {
            values: vec![3.0, 1.0, 2.0],
            incomplete: Vec::new(),
        };
        assert_eq!(s.median(), Some(2.0));
        assert_eq!(s.range(), Some((1.0, 3.0)));
        let s = Series {
            values: vec![4.0, 1.0, 2.0, 3.0],
            incomplete: Vec::new(),
        };
        assert_eq!(s.median(), Some(2.5));
        assert_eq!(Series::default().median(), None);
    }

    #[test]
    fn numbers_are_rounded_and_grouped() {
        assert_eq!(number(1510.4), "1,510");
        assert_eq!(number(1234567.0), "1,234,567");
        assert_eq!(number(68.26), "68.3");
        assert_eq!(number(0.437), "0.44");
        assert_eq!(number(1.123), "1.12");
        assert_eq!(number(-2500.0), "-2,500");
        assert_eq!(number(8.0), "8");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn the_table_has_a_ratio_per_peer_and_marks_unfinished_runs() {
        let mut f = Figures::default();
        for (ours, theirs) in [(1500.0, 3500.0), (1600.0, 3600.0), (1550.0, 3550.0)] {
            f.add("N = 10,000", "upload, ms", System::Gridwalk, ours);
            f.add("N = 10,000", "upload, ms", System::PouchDb, theirs);
        }
        f.add("N = 10,000", "fresh device, ms", System::Gridwalk, 980.0);
        f.incomplete(
            "N = 10,000",
            "fresh device, ms",
            System::PouchDb,
            "reached 9,000 of 10,300 documents".into(),
        );
        let md = f.markdown();
        assert!(
            md.contains("| figure | Gridwalk | PouchDB | ours ÷ PouchDB |"),
            "{md}"
        );
        assert!(
            md.contains("| upload, ms | 1,550 (1,500–1,600) | 3,550 (3,500–3,600) | 0.44 |"),
            "{md}"
        );
        assert!(
            md.contains("| fresh device, ms | 980 | failed † | – |"),
            "{md}"
        );
        assert!(
            md.contains("† PouchDB · fresh device, ms: reached 9,000"),
            "{md}"
        );
        assert_eq!(
            f.median("N = 10,000", "upload, ms", System::PouchDb),
            Some(3550.0)
        );
    }
}
