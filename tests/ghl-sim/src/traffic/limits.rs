//! GHL's rate limits: a burst of 100 requests per 10 seconds and 200,000 per day, per
//! location, reported in `X-RateLimit-*` headers on every API answer.
//!
//! The burst window is fixed: it opens with the first request after the previous window
//! closed, so a client that saw `X-RateLimit-Remaining: 0` knows it can go again at most
//! `X-RateLimit-Interval-Milliseconds` later. The daily count resets at midnight UTC. GHL
//! documents no `Retry-After` and no reset header, so neither is sent.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::state::SimError;

/// The limits the simulator enforces per location (GHL's by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// Requests allowed per window (`X-RateLimit-Max`).
    pub burst: u32,
    /// The window, in milliseconds (`X-RateLimit-Interval-Milliseconds`).
    pub window_ms: u64,
    /// Requests allowed per UTC day (`X-RateLimit-Limit-Daily`).
    pub daily: u32,
}

impl RateLimit {
    /// GHL's documented limits: 100 requests / 10 s and 200,000 / day.
    pub const GHL: Self = Self { burst: 100, window_ms: 10_000, daily: 200_000 };

    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let reason = if self.burst == 0 {
            "burst must be at least 1"
        } else if self.window_ms == 0 {
            "windowMs must be at least 1"
        } else if self.daily == 0 {
            "daily must be at least 1"
        } else {
            return Ok(());
        };
        Err(SimError::InvalidSetting { reason: reason.to_owned() })
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::GHL
    }
}

/// What is left of a location's limits, as the `X-RateLimit-*` headers say it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quota {
    limit: RateLimit,
    remaining: u32,
    daily_remaining: u32,
}

impl Quota {
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        let values = [
            ("x-ratelimit-max", u64::from(self.limit.burst)),
            ("x-ratelimit-remaining", u64::from(self.remaining)),
            ("x-ratelimit-interval-milliseconds", self.limit.window_ms),
            ("x-ratelimit-limit-daily", u64::from(self.limit.daily)),
            ("x-ratelimit-daily-remaining", u64::from(self.daily_remaining)),
        ];
        for (name, value) in values {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }
}

#[derive(Debug)]
struct Bucket {
    window_start: Instant,
    used: u32,
    day: i64,
    day_used: u32,
}

/// The counters of every location under one configuration.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    limit: RateLimit,
    buckets: HashMap<String, Bucket>,
}

impl Limiter {
    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// New limits start every location from a fresh window and day.
    pub(crate) fn set(&mut self, limit: RateLimit) {
        self.limit = limit;
        self.buckets.clear();
    }

    /// Counts one request of `location` at `now` (on UTC day `day`): `Ok` when within both
    /// limits, `Err` (with nothing counted) when over either.
    pub(crate) fn admit(&mut self, location: &str, now: Instant, day: i64) -> Result<Quota, Quota> {
        let limit = self.limit;
        let window = Duration::from_millis(limit.window_ms);
        let bucket = self.buckets.entry(location.to_owned()).or_insert_with(|| Bucket {
            window_start: now,
            used: 0,
            day,
            day_used: 0,
        });
        if now.duration_since(bucket.window_start) >= window {
            bucket.window_start = now;
            bucket.used = 0;
        }
        if bucket.day != day {
            bucket.day = day;
            bucket.day_used = 0;
        }
        let admitted = bucket.used < limit.burst && bucket.day_used < limit.daily;
        if admitted {
            bucket.used += 1;
            bucket.day_used += 1;
        }
        let quota = Quota {
            limit,
            remaining: limit.burst.saturating_sub(bucket.used),
            daily_remaining: limit.daily.saturating_sub(bucket.day_used),
        };
        if admitted { Ok(quota) } else { Err(quota) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_refills_and_locations_are_separate() {
        let mut limiter = Limiter::default();
        limiter.set(RateLimit { burst: 2, window_ms: 1000, daily: 10 });
        let t0 = Instant::now();
        assert_eq!(limiter.admit("a", t0, 0).map(|q| q.remaining).ok(), Some(1));
        assert_eq!(limiter.admit("a", t0, 0).map(|q| q.remaining).ok(), Some(0));
        assert!(limiter.admit("a", t0 + Duration::from_millis(999), 0).is_err());
        assert!(limiter.admit("b", t0, 0).is_ok());
        let later = limiter.admit("a", t0 + Duration::from_millis(1000), 0);
        assert_eq!(later.map(|q| (q.remaining, q.daily_remaining)).ok(), Some((1, 7)));
    }

    #[test]
    fn the_daily_limit_holds_across_windows_and_resets_the_next_day() {
        let mut limiter = Limiter::default();
        limiter.set(RateLimit { burst: 5, window_ms: 10, daily: 2 });
        let t0 = Instant::now();
        assert!(limiter.admit("a", t0, 7).is_ok());
        assert!(limiter.admit("a", t0 + Duration::from_millis(20), 7).is_ok());
        let over = limiter.admit("a", t0 + Duration::from_millis(40), 7);
        assert_eq!(over.map_err(|q| q.daily_remaining).err(), Some(0));
        assert!(limiter.admit("a", t0 + Duration::from_millis(60), 8).is_ok());
    }
}
