//! The scheduler: polls every active subscription when it is due, with
//! bounded concurrency, and stops cleanly: no new polls after shutdown, the
//! ones in flight finish and commit.

use super::resolver::ConnectionResolver;
use super::settings::SchedulerSettings;
use super::{PollReport, Registry};
use crate::runtime::Runtime;
use crate::store::SubscriptionStore;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

/// How often the scheduler looks for due subscriptions.
const TICK: Duration = Duration::from_millis(100);
/// Due subscriptions fetched per look.
const BATCH: u32 = 512;

/// Polls every active subscription when it is due, a bounded number at once, and wakes the
/// deliverer when polls find events.
pub struct Scheduler {
    pub(super) runtime: Arc<Runtime>,
    pub(super) store: Arc<dyn SubscriptionStore>,
    pub(super) registry: Arc<Registry>,
    pub(super) resolver: Arc<dyn ConnectionResolver>,
    pub(super) settings: SchedulerSettings,
    deliveries: Arc<Notify>,
    in_flight: Mutex<HashSet<String>>,
    /// How late polls started against their schedule, in ms (a bounded sample).
    lags: Mutex<Vec<u32>>,
}

/// Lag samples kept at most (the newest are dropped once full).
const MAX_LAG_SAMPLES: usize = 1_000_000;

impl Scheduler {
    /// Builds a scheduler; `deliveries` is notified when a poll commits new events.
    pub fn new(
        runtime: Arc<Runtime>,
        store: Arc<dyn SubscriptionStore>,
        registry: Arc<Registry>,
        resolver: Arc<dyn ConnectionResolver>,
        settings: SchedulerSettings,
        deliveries: Arc<Notify>,
    ) -> Arc<Scheduler> {
        Arc::new(Scheduler {
            runtime,
            store,
            registry,
            resolver,
            settings,
            deliveries,
            in_flight: Mutex::default(),
            lags: Mutex::default(),
        })
    }

    pub(super) fn wake_deliverer(&self) {
        self.deliveries.notify_one();
    }

    fn claim(&self, id: &str) -> bool {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string())
    }

    /// Takes the schedule-lag samples gathered so far (ms late, per poll).
    pub fn take_lags(&self) -> Vec<u32> {
        std::mem::take(&mut *self.lags.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn record_lag(&self, due_at: i64, now: i64) {
        if due_at <= 0 {
            return;
        }
        let lag = (now - due_at).clamp(0, i64::from(u32::MAX)) as u32;
        let mut lags = self.lags.lock().unwrap_or_else(|p| p.into_inner());
        if lags.len() < MAX_LAG_SAMPLES {
            lags.push(lag);
        }
    }

    fn release(&self, id: &str) {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }

    /// Polls until `shutdown` turns true, then waits for the polls in flight.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let permits = Arc::new(Semaphore::new(self.settings.max_concurrent_polls.max(1)));
        let mut tasks = JoinSet::new();
        while !*shutdown.borrow() {
            let now = jiff::Timestamp::now().as_millisecond();
            let mut behind = false;
            match self.store.due_subscriptions(now, BATCH).await {
                Ok(due) => {
                    // A full batch means more are due: look again at once
                    // instead of after a tick (found by weft-bench's scale run).
                    behind = due.len() == BATCH as usize;
                    for sub in due {
                        if !self.claim(&sub.id) {
                            continue;
                        }
                        let Ok(permit) = permits.clone().acquire_owned().await else { break };
                        self.record_lag(sub.next_poll_at, jiff::Timestamp::now().as_millisecond());
                        let me = self.clone();
                        tasks.spawn(async move {
                            let report = me.poll_subscription(&sub).await;
                            if report.new_events > 0 || report.error.is_some() {
                                tracing::info!(
                                    subscription = %sub.name,
                                    new_events = report.new_events,
                                    error = report.error.as_deref().unwrap_or(""),
                                    "polled"
                                );
                            }
                            me.release(&sub.id);
                            drop(permit);
                        });
                    }
                }
                Err(e) => tracing::error!("reading due subscriptions failed: {e}"),
            }
            while tasks.try_join_next().is_some() {}
            if behind {
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!(in_flight = tasks.len(), "scheduler stopping; finishing the polls in flight");
        while tasks.join_next().await.is_some() {}
    }

    /// Polls every subscription that is due now, one after another: the
    /// run-once mode tests and scripts use instead of waiting for the clock.
    pub async fn poll_due_now(&self) -> Vec<(String, PollReport)> {
        let now = jiff::Timestamp::now().as_millisecond();
        let due = match self.store.due_subscriptions(now, BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!("reading due subscriptions failed: {e}");
                return Vec::new();
            }
        };
        let mut reports = Vec::new();
        for sub in due {
            if self.claim(&sub.id) {
                let report = self.poll_subscription(&sub).await;
                self.release(&sub.id);
                reports.push((sub.name.clone(), report));
            }
        }
        reports
    }
}
