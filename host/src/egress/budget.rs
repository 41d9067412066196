//! Request budgets: one per upstream account (for GHL, per location), shared
//! by every subscription and action on it. A sliding window never lets more
//! requests out than the API allows in any window of its length, so a known
//! limit is never hit; answers that say otherwise (`X-RateLimit-Remaining: 0`,
//! 429 with or without `Retry-After`) hold the budget back further.

use async_trait::async_trait;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

/// A little slack on top of the window, for the time requests spend in flight.
const WINDOW_SLACK: Duration = Duration::from_millis(250);
/// How long to hold back after a 429 without `Retry-After`, doubling each time.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The longest an API's `Retry-After` holds an account's requests or a
/// subscription's next poll: an hour. A larger value (an API's bug, or one
/// that would overflow the clock) is taken as an hour.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

#[derive(Debug)]
struct Window {
    sent: VecDeque<Instant>,
    day_started: Instant,
    sent_today: u64,
    blocked_until: Option<Instant>,
    backoff: Duration,
    waits: u64,
}

/// A window of requests kept where every process sharing the work sees it
/// (the database, when several processes share one), so together they stay
/// under the API's limit.
#[async_trait]
pub trait SharedWindow: Send + Sync + std::fmt::Debug {
    /// Takes one request of `account`'s `limit` per `window`: `None` when
    /// taken, otherwise how long until one may be.
    async fn take(&self, account: &str, limit: u32, window: Duration) -> Result<Option<Duration>, String>;
}

/// The budget of one account.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    window: Duration,
    daily: Option<u64>,
    state: Mutex<Window>,
    /// The processes' common window, and this account's name in it.
    shared: Option<(Arc<dyn SharedWindow>, String)>,
}

impl Budget {
    /// A budget of `requests` per `per` window, and of `daily` requests a day when the API caps them.
    pub fn new(requests: u32, per: Duration, daily: Option<u32>) -> Budget {
        Budget {
            limit: requests.max(1) as usize,
            window: per + WINDOW_SLACK,
            daily: daily.map(u64::from),
            state: Mutex::new(Window {
                sent: VecDeque::new(),
                day_started: Instant::now(),
                sent_today: 0,
                blocked_until: None,
                backoff: FIRST_BACKOFF,
                waits: 0,
            }),
            shared: None,
        }
    }

    /// Waits until one more request fits the window shared with other processes, then counts it there.
    async fn acquire_shared(&self) {
        let Some((shared, account)) = &self.shared else { return };
        loop {
            match shared.take(account, self.limit as u32, self.window).await {
                Ok(None) => return,
                Ok(Some(wait)) => {
                    self.lock().waits += 1;
                    tokio::time::sleep(wait.max(Duration::from_millis(2))).await;
                }
                Err(e) => {
                    // The API's own 429s still hold requests back.
                    tracing::warn!("the shared request budget could not be read ({e}); going by this process's");
                    return;
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until one more request fits, then counts it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut w = self.lock();
                let now = Instant::now();
                while w.sent.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
                    w.sent.pop_front();
                }
                if now.duration_since(w.day_started) >= Duration::from_secs(86_400) {
                    w.day_started = now;
                    w.sent_today = 0;
                }
                let blocked = w.blocked_until.filter(|until| *until > now).map(|until| until - now);
                let over_daily = self.daily.is_some_and(|d| w.sent_today >= d);
                match (blocked, w.sent.len() >= self.limit, over_daily) {
                    (Some(wait), _, _) => wait,
                    (None, _, true) => Duration::from_secs(86_400) - now.duration_since(w.day_started),
                    (None, true, false) => {
                        let oldest = *w.sent.front().unwrap_or(&now);
                        self.window.saturating_sub(now.duration_since(oldest))
                    }
                    (None, false, false) => {
                        w.sent.push_back(now);
                        w.sent_today += 1;
                        break;
                    }
                }
            };
            self.lock().waits += 1;
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
        self.acquire_shared().await;
    }

    /// Learns from an answer: rate-limit headers and 429s.
    pub fn observe(&self, status: u16, remaining: Option<u64>, retry_after: Option<Duration>) {
        let mut w = self.lock();
        let now = Instant::now();
        if status == 429 {
            let hold = retry_after.unwrap_or(w.backoff).min(MAX_RETRY_AFTER);
            w.backoff = (w.backoff * 2).min(MAX_BACKOFF);
            w.blocked_until = Some(now + hold);
            tracing::warn!(hold_ms = hold.as_millis() as u64, "the API throttled us; holding this account's requests");
            return;
        }
        w.backoff = FIRST_BACKOFF;
        if remaining == Some(0) {
            // The API's window is full: wait for ours to turn over.
            w.blocked_until = Some(now + self.window / 4);
        }
    }

    /// How often a request had to wait for this budget.
    pub fn waits(&self) -> u64 {
        self.lock().waits
    }
}

/// Every budget of this host, by (connector, account).
#[derive(Debug, Default)]
pub struct Budgets {
    all: Mutex<HashMap<(String, String), Arc<Budget>>>,
    shared: OnceLock<Arc<dyn SharedWindow>>,
}

impl Budgets {
    /// The shared budget of `account` for `connector`.
    pub fn get(&self, connector: &str, account: &str, make: impl FnOnce() -> Budget) -> Arc<Budget> {
        let mut all = self.all.lock().unwrap_or_else(|p| p.into_inner());
        all.entry((connector.to_string(), account.to_string()))
            .or_insert_with(|| {
                let mut budget = make();
                budget.shared = self.shared.get().map(|w| (w.clone(), format!("{connector}/{account}")));
                Arc::new(budget)
            })
            .clone()
    }

    /// Counts every budget made from now on in `window` too, beside this process's own.
    pub fn share(&self, window: Arc<dyn SharedWindow>) {
        if self.shared.set(window).is_err() {
            tracing::warn!("the request budgets were already shared");
        }
    }

    /// Total waits over every budget.
    pub fn total_waits(&self) -> u64 {
        self.all.lock().unwrap_or_else(|p| p.into_inner()).values().map(|b| b.waits()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn no_window_ever_holds_more_than_the_limit() {
        let budget = Budget::new(5, Duration::from_secs(1), None);
        let start = tokio::time::Instant::now();
        let mut sent = Vec::new();
        for _ in 0..12 {
            budget.acquire().await;
            sent.push(start.elapsed());
        }
        // With paused time the sleeps advance the clock exactly.
        for (i, t) in sent.iter().enumerate() {
            let in_window = sent.iter().filter(|u| **u >= *t && **u < *t + Duration::from_secs(1)).count();
            assert!(in_window <= 5, "request {i} at {t:?}: {in_window} in one second");
        }
        assert!(sent[11] >= Duration::from_secs(2), "twelve requests at five a second take over two seconds");
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_past_the_clock_holds_an_hour_and_does_not_panic() {
        let budget = Budget::new(100, Duration::from_secs(10), None);
        budget.observe(429, None, Some(Duration::from_secs(u64::MAX)));
        let start = tokio::time::Instant::now();
        budget.acquire().await;
        assert_eq!(start.elapsed().as_secs(), MAX_RETRY_AFTER.as_secs());
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_holds_requests_for_retry_after() {
        let budget = Budget::new(100, Duration::from_secs(10), None);
        budget.observe(429, None, Some(Duration::from_secs(3)));
        let start = tokio::time::Instant::now();
        budget.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(3));
    }
}
