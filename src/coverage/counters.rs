//! Lock-free counters, one set per handler and method, allocated on first use.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use actix_web::http::Method;

use super::data::{MethodData, bucket_of};
use crate::tools::CacheOutcome;

/// The methods counted apart; anything else is `OTHER`.
pub(crate) const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER",
];

pub(crate) fn method_index(m: &Method) -> usize {
    METHODS
        .iter()
        .position(|x| *x == m.as_str())
        .unwrap_or(METHODS.len() - 1)
}

const STATUSES: usize = 500;
const BUCKETS: usize = 256;

pub(crate) struct MethodCounters {
    hits: AtomicU64,
    statuses: Box<[AtomicU32]>,
    media: Box<[AtomicU64]>,
    cache: [AtomicU64; 3],
    latency: Box<[AtomicU32]>,
}

fn zeros32(n: usize) -> Box<[AtomicU32]> {
    (0..n).map(|_| AtomicU32::new(0)).collect()
}

fn zeros64(n: usize) -> Box<[AtomicU64]> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

impl MethodCounters {
    fn new(media: usize) -> Self {
        Self {
            hits: AtomicU64::new(0),
            statuses: zeros32(STATUSES),
            media: zeros64(media),
            cache: Default::default(),
            latency: zeros32(BUCKETS),
        }
    }

    pub(crate) fn count(
        &self,
        status: u16,
        media: Option<usize>,
        cache: Option<CacheOutcome>,
        micros: u64,
    ) {
        self.hits.fetch_add(1, Ordering::Relaxed);
        if let Some(slot) = status
            .checked_sub(100)
            .and_then(|i| self.statuses.get(i as usize))
        {
            slot.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(slot) = media.and_then(|i| self.media.get(i)) {
            slot.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(c) = cache {
            let i = match c {
                CacheOutcome::Hit => 0,
                CacheOutcome::Miss => 1,
                CacheOutcome::Bypass => 2,
            };
            self.cache[i].fetch_add(1, Ordering::Relaxed);
        }
        self.latency[bucket_of(micros) as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self, media_names: &[&str]) -> MethodData {
        let mut d = MethodData {
            hits: self.hits.load(Ordering::Relaxed),
            ..Default::default()
        };
        for (i, c) in self.statuses.iter().enumerate() {
            let n = c.load(Ordering::Relaxed);
            if n > 0 {
                d.statuses.insert(i as u16 + 100, u64::from(n));
            }
        }
        for (i, c) in self.media.iter().enumerate() {
            let n = c.load(Ordering::Relaxed);
            if n > 0 {
                d.media
                    .insert(media_names.get(i).copied().unwrap_or("?").to_owned(), n);
            }
        }
        for (i, name) in ["hit", "miss", "bypass"].iter().enumerate() {
            let n = self.cache[i].load(Ordering::Relaxed);
            if n > 0 {
                d.cache.insert((*name).to_owned(), n);
            }
        }
        for (i, c) in self.latency.iter().enumerate() {
            let n = c.load(Ordering::Relaxed);
            if n > 0 {
                d.latency.insert(i as u8, u64::from(n));
            }
        }
        d
    }

    fn reset(&self) {
        self.hits.store(0, Ordering::Relaxed);
        for c in self.statuses.iter().chain(self.latency.iter()) {
            c.store(0, Ordering::Relaxed);
        }
        for c in self.media.iter().chain(self.cache.iter()) {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// A handler's counters, by method.
pub(crate) struct HandlerCounters {
    media: usize,
    methods: [OnceLock<MethodCounters>; METHODS.len()],
}

impl HandlerCounters {
    pub(crate) fn new(media: usize) -> Self {
        Self {
            media,
            methods: Default::default(),
        }
    }

    pub(crate) fn method(&self, i: usize) -> &MethodCounters {
        self.methods[i].get_or_init(|| MethodCounters::new(self.media))
    }

    pub(crate) fn snapshot(&self, media_names: &[&str]) -> Vec<(&'static str, MethodData)> {
        METHODS
            .iter()
            .zip(&self.methods)
            .filter_map(|(name, c)| {
                let d = c.get()?.snapshot(media_names);
                (d.hits > 0).then_some((*name, d))
            })
            .collect()
    }

    pub(crate) fn reset(&self) {
        for m in self.methods.iter().filter_map(OnceLock::get) {
            m.reset();
        }
    }
}

/// Requests that ended at a node without a handler.
#[derive(Default)]
pub(crate) struct NodeCounters {
    pub(crate) not_found: [AtomicU64; METHODS.len()],
    pub(crate) not_allowed: [AtomicU64; METHODS.len()],
    pub(crate) options: AtomicU64,
}

impl NodeCounters {
    pub(crate) fn reset(&self) {
        for c in self.not_found.iter().chain(self.not_allowed.iter()) {
            c.store(0, Ordering::Relaxed);
        }
        self.options.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_resets() {
        let h = HandlerCounters::new(2);
        let get = method_index(&Method::GET);
        h.method(get)
            .count(200, Some(1), Some(CacheOutcome::Hit), 1500);
        h.method(get).count(404, None, Some(CacheOutcome::Miss), 20);
        h.method(method_index(&Method::from_bytes(b"PROPFIND").unwrap()))
            .count(207, None, None, 5);
        let snap = h.snapshot(&["application/json", "application/xml"]);
        let (name, d) = &snap[0];
        assert_eq!(*name, "GET");
        assert_eq!(d.hits, 2);
        assert_eq!(d.statuses, [(200, 1), (404, 1)].into());
        assert_eq!(d.media, [("application/xml".to_owned(), 1)].into());
        assert_eq!(
            d.cache,
            [("hit".to_owned(), 1), ("miss".to_owned(), 1)].into()
        );
        assert_eq!(d.latency.values().sum::<u64>(), 2);
        assert_eq!(snap[1].0, "OTHER");
        h.reset();
        assert!(h.snapshot(&[]).is_empty());
    }
}
