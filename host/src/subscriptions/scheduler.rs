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
    /// This process's name on the leases it takes.
    owner: Arc<str>,
    in_flight: Mutex<HashSet<String>>,
    /// How late polls started against their schedule, in ms (a bounded sample).
    lags: Mutex<Vec<u32>>,
}

/// What a [`Scheduler`] works with.
pub struct SchedulerParts {
    /// Runs the triggers.
    pub runtime: Arc<Runtime>,
    /// Subscriptions, cursors, dedupe sets and the outbox.
    pub store: Arc<dyn SubscriptionStore>,
    /// The loaded connectors.
    pub registry: Arc<Registry>,
    /// Finds each subscription's connection.
    pub resolver: Arc<dyn ConnectionResolver>,
    /// `[scheduler]`.
    pub settings: SchedulerSettings,
    /// Notified when a poll commits new events.
    pub deliveries: Arc<Notify>,
    /// This process's name on the leases it takes ([`lease_owner`]).
    pub owner: Arc<str>,
}

/// A name for this process's leases, unique among the processes sharing a database.
pub fn lease_owner() -> Arc<str> {
    format!("pid{}-{}", std::process::id(), hex::encode(rand::random::<[u8; 6]>())).into()
}

/// The process id in a lease owner's name (see [`lease_owner`]).
fn owner_pid(owner: &str) -> Option<u32> {
    owner.strip_prefix("pid")?.split('-').next()?.parse().ok()
}

/// Hands back the leases of processes on this machine that are gone, so a
/// host restarted after a crash on a SQLite file (which only processes on
/// this machine can open) resumes at once instead of after the dead one's
/// leases run out. Where `/proc` cannot tell, nothing is touched.
pub async fn release_dead_local_leases(store: &dyn SubscriptionStore) {
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let owners = match store.lease_owners().await {
        Ok(owners) => owners,
        Err(e) => return tracing::warn!("reading the leases failed: {e}"),
    };
    for owner in owners {
        let Some(pid) = owner_pid(&owner) else { continue };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        match store.release_leases_of(&owner).await {
            Ok(n) => tracing::info!(owner, polls = n, "handed back the leases of a process that is gone"),
            Err(e) => tracing::warn!(owner, "handing back a dead process's leases failed: {e}"),
        }
    }
}

/// Lag samples kept at most (the newest are dropped once full).
const MAX_LAG_SAMPLES: usize = 1_000_000;

impl Scheduler {
    /// Builds a scheduler; `deliveries` is notified when a poll commits new
    /// events; `owner` names this process on the leases it takes.
    pub fn new(parts: SchedulerParts) -> Arc<Scheduler> {
        let SchedulerParts { runtime, store, registry, resolver, settings, deliveries, owner } = parts;
        Arc::new(Scheduler {
            runtime,
            store,
            registry,
            resolver,
            settings,
            deliveries,
            owner,
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
        self.runtime.metrics().schedule_lag(Duration::from_millis(u64::from(lag)));
        let mut lags = self.lags.lock().unwrap_or_else(|p| p.into_inner());
        if lags.len() < MAX_LAG_SAMPLES {
            lags.push(lag);
        }
    }

    fn release(&self, id: &str) {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }

    /// This process's name on its leases.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Claims what is due now, under a fresh lease.
    async fn claim_due(&self) -> Result<Vec<crate::store::Subscription>, crate::store::StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        let until = now + self.settings.lease().as_millis() as i64;
        self.store.claim_due(&self.owner, now, until, BATCH).await
    }

    /// Keeps the leases of the polls in flight alive, every third of their length.
    async fn renew_leases(self: Arc<Self>) {
        let lease = self.settings.lease();
        loop {
            tokio::time::sleep(lease / 3).await;
            let until = jiff::Timestamp::now().as_millisecond() + lease.as_millis() as i64;
            // Only the polls in flight: a lease a turn failed to hand back runs out.
            let working: Vec<String> =
                self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect();
            if working.is_empty() {
                continue;
            }
            if let Err(e) = self.store.renew_polls(&self.owner, &working, until).await {
                tracing::error!("renewing this process's leases failed: {e}");
            }
        }
    }

    /// Polls until `shutdown` turns true, then waits for the polls in flight.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let permits = Arc::new(Semaphore::new(self.settings.max_concurrent_polls.max(1)));
        let mut tasks = JoinSet::new();
        let renewer = tokio::spawn(self.clone().renew_leases());
        while !*shutdown.borrow() {
            let mut behind = false;
            match self.claim_due().await {
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
                Err(e) => tracing::error!("claiming due subscriptions failed: {e}"),
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
        renewer.abort();
    }

    /// Polls every subscription that is due now, one after another: the
    /// run-once mode tests and scripts use instead of waiting for the clock.
    pub async fn poll_due_now(&self) -> Vec<(String, PollReport)> {
        let due = match self.claim_due().await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!("claiming due subscriptions failed: {e}");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_owner_names_its_process() {
        let owner = lease_owner();
        assert_eq!(owner_pid(&owner), Some(std::process::id()));
        assert_eq!(owner_pid("a2"), None, "a name of another shape is left alone");
    }
}
