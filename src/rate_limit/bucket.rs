//! Token buckets: one budget's arithmetic, and the buckets of many clients under it.
//!
//! A [`Budget`] (`{ rate = 5, per = "minute", burst = 10 }`) lets `burst` events through at
//! once, then one every `per / rate`. It is kept as the generic cell rate algorithm (GCRA, the
//! arithmetic of a token bucket with one number of state): each key stores its *theoretical
//! arrival time*, the instant its bucket would be full again, and an event at `now` conforms
//! when pushing that instant one interval later leaves it at most `burst` intervals ahead of
//! `now`. One `u64` per key, updated with a compare-and-swap, so concurrent requests of one
//! client never lose an update and never wait on a lock.
//!
//! [`Buckets`] holds the state of many keys in a moka cache: bounded to [`MAX_KEYS`] keys
//! (moka evicts the least useful when a flood of new clients arrives), and an entry idle for
//! as long as its bucket takes to refill is dropped — it would read as a full bucket anyway,
//! so nothing is forgotten that matters.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moka::sync::Cache;
use serde::Deserialize;

/// The most keys (clients, or accounts) one budget remembers; past it moka evicts.
pub const MAX_KEYS: u64 = 100_000;

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// The unit of a [`Budget`]'s rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Per {
    /// `"second"`.
    Second,
    /// `"minute"`.
    Minute,
    /// `"hour"`.
    Hour,
}

impl Per {
    fn nanos(self) -> u64 {
        const S: u64 = 1_000_000_000;
        match self {
            Per::Second => S,
            Per::Minute => 60 * S,
            Per::Hour => 3600 * S,
        }
    }
}

/// How many events a key may have: `rate` per `per` on average, `burst` at once (by default
/// as many as `rate`).
///
/// ```
/// use drupe::rate_limit::{Budget, Per};
/// let b: Budget = toml::from_str(r#"rate = 5
/// per = "minute"
/// burst = 10"#).unwrap();
/// assert_eq!(b, Budget { rate: 5, per: Per::Minute, burst: Some(10) });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Events per `per`, on average (at least 1).
    pub rate: u32,
    /// The unit of `rate`.
    pub per: Per,
    /// Events allowed at once (at least 1; `rate` when not set).
    #[serde(default)]
    pub burst: Option<u32>,
}

impl Budget {
    /// What is wrong with it, if anything.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.rate == 0 {
            return Err("rate must be at least 1".to_owned());
        }
        if self.burst == Some(0) {
            return Err("burst must be at least 1".to_owned());
        }
        Ok(())
    }
}

/// A budget's arithmetic, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Gcra {
    /// Between two events at the steady rate.
    interval: u64,
    /// How far ahead of now the theoretical arrival time may be: `burst` intervals.
    tolerance: u64,
}

impl Gcra {
    /// The arithmetic of a checked budget.
    pub(crate) fn new(b: &Budget) -> Self {
        let rate = u64::from(b.rate.max(1));
        let burst = u64::from(b.burst.unwrap_or(b.rate).max(1));
        let interval = (b.per.nanos() / rate).max(1);
        Self {
            interval,
            tolerance: interval.saturating_mul(burst),
        }
    }

    /// One more event at `now` on a key whose theoretical arrival time is `tat`: the new one
    /// if it conforms, else how long until it would (nanoseconds).
    fn decide(&self, tat: u64, now: u64) -> Result<u64, u64> {
        let next = tat.max(now).saturating_add(self.interval);
        let ahead = next - now;
        if ahead <= self.tolerance {
            Ok(next)
        } else {
            Err(ahead - self.tolerance)
        }
    }

    /// How long an untouched bucket takes to fill up: past it, a key's state says nothing.
    fn refill(&self) -> Duration {
        Duration::from_nanos(self.tolerance)
    }
}

/// The buckets of many keys under one budget.
pub(crate) struct Buckets<K> {
    gcra: Gcra,
    epoch: Instant,
    cells: Cache<K, Arc<AtomicU64>>,
    /// The latest theoretical arrival time any key was given: once it is past, every bucket
    /// is full, and a question needs no lookup (the usual case of the failure buckets).
    latest: AtomicU64,
}

impl<K: Hash + Eq + Send + Sync + 'static> Buckets<K> {
    /// Empty buckets for `gcra`.
    pub(crate) fn new(gcra: Gcra) -> Self {
        Self {
            gcra,
            epoch: Instant::now(),
            cells: Cache::builder()
                .max_capacity(MAX_KEYS)
                // A year at most: moka refuses longer, and a budget that takes longer to
                // refill is a budget that never refills.
                .time_to_idle(gcra.refill().clamp(Duration::from_millis(1), YEAR))
                .build(),
            latest: AtomicU64::new(0),
        }
    }

    /// Now, on this clock (nanoseconds since the buckets were made).
    pub(crate) fn now(&self) -> u64 {
        self.at(Instant::now())
    }

    /// `t` on this clock, for several buckets asked about one instant.
    pub(crate) fn at(&self, t: Instant) -> u64 {
        let since = t.saturating_duration_since(self.epoch);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    }

    /// Counts an event of `key` at `now` if it conforms; else how long until it would.
    pub(crate) fn take(&self, key: K, now: u64) -> Result<(), Duration> {
        let cell = self.cells.get_with(key, || Arc::new(AtomicU64::new(0)));
        let mut tat = cell.load(Ordering::Acquire);
        loop {
            let next = self.gcra.decide(tat, now).map_err(Duration::from_nanos)?;
            match cell.compare_exchange_weak(tat, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    self.latest.fetch_max(next, Ordering::AcqRel);
                    return Ok(());
                }
                Err(seen) => tat = seen,
            }
        }
    }

    /// Whether every bucket is full at `now`: no event was counted recently enough to leave
    /// one short, so any event would conform.
    pub(crate) fn all_full(&self, now: u64) -> bool {
        now >= self.latest.load(Ordering::Acquire)
    }

    /// Whether an event of `key` at `now` would conform, without counting it.
    pub(crate) fn peek(&self, key: &K, now: u64) -> Result<(), Duration> {
        if self.all_full(now) {
            return Ok(());
        }
        match self.cells.get(key) {
            None => Ok(()),
            Some(cell) => self
                .gcra
                .decide(cell.load(Ordering::Acquire), now)
                .map(drop)
                .map_err(Duration::from_nanos),
        }
    }

    /// The budget's arithmetic.
    pub(crate) fn gcra(&self) -> Gcra {
        self.gcra
    }
}

impl<K> std::fmt::Debug for Buckets<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buckets")
            .field("gcra", &self.gcra)
            .field("keys", &self.cells.entry_count())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn budget(rate: u32, per: Per, burst: Option<u32>) -> Gcra {
        Gcra::new(&Budget { rate, per, burst })
    }

    #[test]
    fn buckets_are_all_full_until_an_event_is_counted_and_again_once_it_is_paid_for() {
        let b = Buckets::new(budget(1, Per::Second, Some(2)));
        assert!(b.all_full(0));
        b.take("a", 10 * S).unwrap();
        // The bucket of "a" is one short until a second has passed; "b" is full, but
        // asking needs the lookup meanwhile.
        assert!(!b.all_full(10 * S) && !b.all_full(11 * S - 1));
        assert!(b.peek(&"b", 10 * S).is_ok());
        assert!(b.all_full(11 * S));
        b.take("a", 20 * S).unwrap();
        b.take("a", 20 * S).unwrap();
        assert!(b.peek(&"a", 20 * S).is_err() && !b.all_full(21 * S));
        assert!(b.all_full(22 * S) && b.peek(&"a", 22 * S).is_ok());
    }

    #[test]
    fn a_burst_then_one_per_interval() {
        // 5 a minute, 10 at once: one every 12 s.
        let g = budget(5, Per::Minute, Some(10));
        let mut tat = 0;
        let now = 1000 * S;
        for _ in 0..10 {
            tat = g.decide(tat, now).expect("within the burst");
        }
        // The 11th waits one interval.
        assert_eq!(g.decide(tat, now), Err(12 * S));
        assert_eq!(g.decide(tat, now + 5 * S), Err(7 * S));
        // After it, exactly one more.
        let tat = g.decide(tat, now + 12 * S).expect("refilled by one");
        assert!(g.decide(tat, now + 12 * S).is_err());
        // A bucket left alone for burst × interval is full again.
        let mut t = tat;
        let later = tat + 1;
        for _ in 0..10 {
            t = g.decide(t, later).expect("full again");
        }
        assert!(g.decide(t, later).is_err());
        assert_eq!(g.refill(), Duration::from_secs(120));
    }

    #[test]
    fn burst_defaults_to_rate_and_rates_finer_than_a_nanosecond_still_count() {
        let g = budget(2, Per::Second, None);
        assert_eq!(g, budget(2, Per::Second, Some(2)));
        let t = g.decide(0, S).unwrap();
        let t = g.decide(t, S).unwrap();
        assert_eq!(g.decide(t, S), Err(S / 2));
        let huge = budget(u32::MAX, Per::Second, Some(1));
        assert_eq!(huge.interval, 1);
        let t = huge.decide(0, 5).unwrap();
        assert!(huge.decide(t, 5).is_err());
        assert!(huge.decide(t, 6).is_ok());
        let hourly = budget(1, Per::Hour, Some(u32::MAX));
        assert_eq!(hourly.tolerance, u64::MAX);
    }

    #[test]
    fn budgets_are_checked() {
        let ok = Budget {
            rate: 1,
            per: Per::Hour,
            burst: None,
        };
        assert!(ok.check().is_ok());
        assert!(Budget { rate: 0, ..ok }.check().is_err());
        assert!(
            Budget {
                burst: Some(0),
                ..ok
            }
            .check()
            .is_err()
        );
    }

    #[test]
    fn keys_have_their_own_buckets_and_peeking_counts_nothing() {
        let b = Buckets::new(budget(1, Per::Hour, Some(2)));
        let now = 10 * S;
        assert!(b.peek(&"a", now).is_ok());
        assert!(b.take("a", now).is_ok());
        assert!(b.peek(&"a", now).is_ok());
        assert!(b.peek(&"a", now).is_ok());
        assert!(b.take("a", now).is_ok());
        let wait = b.take("a", now).unwrap_err();
        assert_eq!(wait, Duration::from_secs(3600));
        assert_eq!(b.peek(&"a", now), Err(wait));
        assert!(b.take("b", now).is_ok());
    }
}
