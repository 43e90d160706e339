//! The coverage data: what the report shows, what files hold, what merges.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counts for one handler and one method.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodData {
    /// Requests.
    pub hits: u64,
    /// Responses by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Responses by negotiated media type.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub media: BTreeMap<String, u64>,
    /// Cache outcomes (`hit`, `miss`, `bypass`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cache: BTreeMap<String, u64>,
    /// Latency histogram: bucket index → count (see [`bucket_bounds_us`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub latency: BTreeMap<u8, u64>,
}

/// Adds `from`'s counts to `into`'s, key by key.
pub(super) fn add_counts<K: Ord + Clone>(into: &mut BTreeMap<K, u64>, from: &BTreeMap<K, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

impl MethodData {
    fn merge(&mut self, o: &MethodData) {
        self.hits += o.hits;
        add_counts(&mut self.statuses, &o.statuses);
        add_counts(&mut self.media, &o.media);
        add_counts(&mut self.cache, &o.cache);
        add_counts(&mut self.latency, &o.latency);
    }

    /// The latency at quantile `q` (0–1), in milliseconds, from the histogram.
    pub fn latency_ms(&self, q: f64) -> Option<f64> {
        let total: u64 = self.latency.values().sum();
        if total == 0 {
            return None;
        }
        let want = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (b, n) in &self.latency {
            seen += n;
            if seen >= want {
                let (lo, hi) = bucket_bounds_us(*b);
                return Some((lo + hi) as f64 / 2.0 / 1000.0);
            }
        }
        None
    }
}

/// The `[low, high)` microseconds of a latency bucket: four buckets per power of two.
pub fn bucket_bounds_us(bucket: u8) -> (u64, u64) {
    let b = u64::from(bucket);
    if b < 8 {
        // 0..8 µs, one bucket each.
        return (b, b + 1);
    }
    let l = b / 4;
    let sub = b % 4;
    let base = 1u64 << l;
    let step = base / 4;
    (base + sub * step, base + (sub + 1) * step)
}

/// The bucket of a duration in microseconds.
pub fn bucket_of(us: u64) -> u8 {
    if us < 8 {
        return us as u8;
    }
    let l = 63 - u64::from(us.leading_zeros());
    let sub = (us >> (l - 2)) & 3;
    (l * 4 + sub).min(255) as u8
}

/// One handler: its identity, what it declares, what it saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlerData {
    /// The path reaching it (templated: `/users/{id}`).
    pub path: String,
    /// The method name.
    pub name: String,
    /// For a resource's verb, its HTTP method; none for the default dispatcher.
    pub verb: Option<String>,
    /// Which dispatcher reaches it: `default` or `method`.
    pub dispatcher: String,
    /// The node it belongs to (its path).
    pub node: String,
    /// The methods its documentation declares.
    pub declared_methods: Vec<String>,
    /// The statuses its documentation declares.
    pub declared_statuses: Vec<u16>,
    /// Counts by method.
    pub methods: BTreeMap<String, MethodData>,
}

impl HandlerData {
    /// Whether `other` is the same handler (what identifies one across builds).
    fn is_same_handler(&self, other: &HandlerData) -> bool {
        (&self.verb, &self.path, &self.name) == (&other.verb, &other.path, &other.name)
    }

    /// Whether it was called with `method`.
    pub(crate) fn called_with(&self, method: &str) -> bool {
        self.methods.get(method).is_some_and(|d| d.hits > 0)
    }

    /// Whether it answered with `status`, any method.
    pub(crate) fn answered(&self, status: u16) -> bool {
        self.methods
            .values()
            .any(|m| m.statuses.get(&status).is_some_and(|n| *n > 0))
    }

    /// Declared methods it was called with.
    pub fn exercised_methods(&self) -> usize {
        self.declared_methods
            .iter()
            .filter(|m| self.called_with(m))
            .count()
    }

    /// Declared statuses it answered with.
    pub fn seen_statuses(&self) -> usize {
        self.declared_statuses
            .iter()
            .filter(|s| self.answered(**s))
            .count()
    }

    /// Requests, all methods.
    pub fn hits(&self) -> u64 {
        self.methods.values().map(|m| m.hits).sum()
    }
}

/// One node of the tree and the requests that ended there without a handler.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeData {
    /// Its path.
    pub path: String,
    /// `controller` or `resource`.
    pub kind: String,
    /// Its parent's path.
    pub parent: Option<String>,
    /// 404s of the walk that ended here, by method.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_found: BTreeMap<String, u64>,
    /// 405s of this resource, by method.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_allowed: BTreeMap<String, u64>,
    /// OPTIONS answered by the framework.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub options: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Everything the recorder knows, in the form of the JSON export and the files it writes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverageData {
    /// The format's version.
    pub version: u32,
    /// The nodes, root first.
    pub nodes: Vec<NodeData>,
    /// The handlers.
    pub handlers: Vec<HandlerData>,
    /// Source-line coverage, when the application was built for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<super::lines::LineData>,
}

/// Coverage numbers over a set of handlers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Declared (handler, method) pairs.
    pub pairs: usize,
    /// Pairs exercised.
    pub exercised: usize,
    /// Declared statuses.
    pub statuses: usize,
    /// Declared statuses seen.
    pub statuses_seen: usize,
    /// Requests.
    pub hits: u64,
}

impl Totals {
    /// exercised / pairs, in percent (100 when nothing is declared).
    pub fn percent(&self) -> f64 {
        pct(self.exercised, self.pairs)
    }
    /// statuses seen / declared, in percent.
    pub fn outcome_percent(&self) -> f64 {
        pct(self.statuses_seen, self.statuses)
    }
}

/// a / b in percent (100 when b is 0: nothing to cover).
pub(super) fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

impl CoverageData {
    /// The totals of the handlers under `path` (a node's path; `/` for everything).
    pub fn totals_under(&self, path: &str) -> Totals {
        let mut t = Totals::default();
        for h in self.handlers.iter().filter(|h| h.node.starts_with(path)) {
            t.pairs += h.declared_methods.len();
            t.exercised += h.exercised_methods();
            t.statuses += h.declared_statuses.len();
            t.statuses_seen += h.seen_statuses();
            t.hits += h.hits();
        }
        t
    }

    /// Adds `other`'s counts (handlers matched by path, verb and name; nodes by path).
    pub fn merge(&mut self, other: &CoverageData) {
        for h in &other.handlers {
            match self.handlers.iter_mut().find(|x| x.is_same_handler(h)) {
                Some(x) => {
                    for (m, d) in &h.methods {
                        x.methods.entry(m.clone()).or_default().merge(d);
                    }
                }
                None => self.handlers.push(h.clone()),
            }
        }
        for n in &other.nodes {
            match self.nodes.iter_mut().find(|x| x.path == n.path) {
                Some(x) => {
                    add_counts(&mut x.not_found, &n.not_found);
                    add_counts(&mut x.not_allowed, &n.not_allowed);
                    x.options += n.options;
                }
                None => self.nodes.push(n.clone()),
            }
        }
        match (&mut self.lines, &other.lines) {
            (Some(a), Some(b)) => a.merge(b),
            (None, Some(b)) => self.lines = Some(b.clone()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_duration_in_order() {
        let mut last = 0;
        for us in [
            0u64,
            1,
            7,
            8,
            9,
            15,
            16,
            100,
            1_000,
            65_535,
            1_000_000,
            3_600_000_000,
        ] {
            let b = bucket_of(us);
            assert!(b >= last, "{us}");
            last = b;
            let (lo, hi) = bucket_bounds_us(b);
            assert!(lo <= us && us < hi, "{us} not in [{lo}, {hi})");
        }
    }

    #[test]
    fn quantiles_from_the_histogram() {
        let mut m = MethodData::default();
        m.latency.insert(bucket_of(1_000), 90);
        m.latency.insert(bucket_of(100_000), 10);
        let p50 = m.latency_ms(0.5).unwrap();
        let p99 = m.latency_ms(0.99).unwrap();
        assert!((0.9..1.2).contains(&p50), "{p50}");
        assert!((90.0..120.0).contains(&p99), "{p99}");
        assert_eq!(MethodData::default().latency_ms(0.5), None);
    }

    fn handler(path: &str, hits: u64, status: u16) -> HandlerData {
        let mut m = MethodData {
            hits,
            ..Default::default()
        };
        m.statuses.insert(status, hits);
        HandlerData {
            path: path.into(),
            name: "get".into(),
            verb: Some("GET".into()),
            dispatcher: "method".into(),
            node: path.into(),
            declared_methods: vec!["GET".into()],
            declared_statuses: vec![200, 404],
            methods: [("GET".to_owned(), m)].into(),
        }
    }

    #[test]
    fn merging_adds_counts_by_key() {
        let mut a = CoverageData {
            version: 1,
            handlers: vec![handler("/a/", 2, 200)],
            ..Default::default()
        };
        let b = CoverageData {
            version: 1,
            handlers: vec![handler("/a/", 3, 404), handler("/b/", 1, 200)],
            ..Default::default()
        };
        a.merge(&b);
        assert_eq!(a.handlers.len(), 2);
        let h = &a.handlers[0];
        assert_eq!(h.hits(), 5);
        assert_eq!(h.methods["GET"].statuses, [(200, 2), (404, 3)].into());
        assert_eq!(h.seen_statuses(), 2);
        let t = a.totals_under("/");
        assert_eq!(
            (t.pairs, t.exercised, t.statuses, t.statuses_seen),
            (2, 2, 4, 3)
        );
        assert_eq!(a.totals_under("/b/").hits, 1);
    }
}
