//! The families as plain data, written out by `prometheus-client`'s text encoder (the
//! OpenMetrics text format: a counter's samples get `_total`, the text ends with `# EOF`).

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

/// A sample's labels, in HAProxy's order (`proxy`, `server`, then `state` or `code`).
pub type Labels = Vec<(&'static str, String)>;

/// One family: its name (with `_total` for a counter, as HAProxy names it), help and
/// samples.
#[derive(Debug, Clone)]
pub struct Family {
    pub name: String,
    pub help: &'static str,
    pub kind: Kind,
    pub samples: Vec<(Labels, Value)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    /// A histogram: its sum, and its buckets as (upper bound, count in that bucket alone);
    /// the last bound is infinity.
    Buckets(f64, Vec<(f64, u64)>),
}

impl Family {
    pub fn new(name: impl Into<String>, help: &'static str, kind: Kind) -> Family {
        Family {
            name: name.into(),
            help,
            kind,
            samples: Vec::new(),
        }
    }

    /// A counter if its name ends in `_total` (true of every HAProxy family), else a gauge.
    pub fn named(name: String, help: &'static str) -> Family {
        let kind = match name.ends_with("_total") {
            true => Kind::Counter,
            false => Kind::Gauge,
        };
        Family::new(name, help, kind)
    }

    pub fn push(&mut self, labels: Labels, value: f64) {
        self.samples.push((labels, Value::Number(value)));
    }
}

/// The text of `families`, in their order.
pub fn encode(families: Vec<Family>) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Families(families)));
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
    out
}

#[derive(Debug)]
struct Families(Vec<Family>);

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for f in self.0.iter().filter(|f| !f.samples.is_empty()) {
            let (name, kind) = match f.kind {
                // The encoder adds the suffix back to each sample.
                Kind::Counter => (f.name.trim_end_matches("_total"), MetricType::Counter),
                Kind::Gauge => (f.name.as_str(), MetricType::Gauge),
                Kind::Histogram => (f.name.as_str(), MetricType::Histogram),
            };
            let mut family = encoder.encode_descriptor(name, f.help, None, kind)?;
            for (labels, value) in &f.samples {
                sample(family.encode_family(labels)?, f.kind, value)?;
            }
        }
        Ok(())
    }
}

fn sample(mut m: MetricEncoder, kind: Kind, value: &Value) -> Result<(), std::fmt::Error> {
    match (kind, value) {
        (Kind::Counter, Value::Number(v)) => match whole(*v) {
            Some(n) => m.encode_counter::<NoLabelSet, _, u64>(&n, None),
            None => m.encode_counter::<NoLabelSet, _, u64>(v, None),
        },
        (Kind::Gauge, Value::Number(v)) => match whole(*v) {
            Some(n) => m.encode_gauge(&n),
            None => m.encode_gauge(v),
        },
        (Kind::Histogram, Value::Buckets(sum, buckets)) => {
            let count = buckets.iter().map(|(_, n)| n).sum();
            m.encode_histogram::<NoLabelSet>(*sum, count, buckets, None)
        }
        _ => Ok(()),
    }
}

/// A value that is a whole number, written as one (`3`, not `3.0`).
fn whole(v: f64) -> Option<u64> {
    (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64).then_some(v as u64)
}
