//! The Prometheus text exposition format (version 0.0.4), written by hand: a few families
//! of counters, gauges and histograms need no client library.

use std::fmt::Write;

use super::histogram::Histogram;

/// A page of metric families being written.
#[derive(Default)]
pub struct Page(String);

impl Page {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (key, val)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{key}=\"{}\"", escape(val));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    /// A counter family: one sample per label set.
    pub fn counter<'a>(
        &mut self,
        name: &str,
        help: &str,
        samples: impl IntoIterator<Item = (Vec<(&'a str, &'a str)>, u64)>,
    ) {
        self.family(name, "counter", help);
        for (labels, value) in samples {
            self.sample(name, &labels, value as f64);
        }
    }

    /// A gauge with one unlabelled sample.
    pub fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, "gauge", help);
        self.sample(name, &[], value);
    }

    /// A histogram family: one histogram per label set.
    pub fn histogram<'a>(
        &mut self,
        name: &str,
        help: &str,
        series: impl IntoIterator<Item = (Vec<(&'a str, &'a str)>, &'a Histogram)>,
    ) {
        self.family(name, "histogram", help);
        let bucket = format!("{name}_bucket");
        for (labels, histogram) in series {
            let (buckets, count, sum) = histogram.read();
            for (bound, cumulative) in buckets {
                let le = bound.to_string();
                let mut with_le = labels.clone();
                with_le.push(("le", &le));
                self.sample(&bucket, &with_le, cumulative as f64);
            }
            let mut with_inf = labels.clone();
            with_inf.push(("le", "+Inf"));
            self.sample(&bucket, &with_inf, count as f64);
            self.sample(&format!("{name}_sum"), &labels, sum);
            self.sample(&format!("{name}_count"), &labels, count as f64);
        }
    }

    /// The page's text.
    pub fn finish(self) -> String {
        self.0
    }
}

/// Label values escape backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_ends_in_inf_sum_and_count_and_labels_are_escaped() {
        let h = Histogram::default();
        h.observe(std::time::Duration::from_millis(20));
        let mut page = Page::default();
        page.counter("t_total", "T.", [(vec![("route", "a\"b")], 2)]);
        page.histogram("t_seconds", "S.", [(vec![], &h)]);
        let text = page.finish();
        assert!(text.contains("t_total{route=\"a\\\"b\"} 2\n"), "{text}");
        assert!(
            text.contains("t_seconds_bucket{le=\"0.025\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("t_seconds_bucket{le=\"0.01\"} 0\n"), "{text}");
        assert!(text.contains("t_seconds_bucket{le=\"+Inf\"} 1\n"), "{text}");
        assert!(text.contains("t_seconds_count 1\n"), "{text}");
        assert!(text.contains("# TYPE t_seconds histogram\n"), "{text}");
    }
}
