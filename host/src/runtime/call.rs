//! One call: a fresh store and instance, the call under its limits inside one
//! envelope (a slot, a span, the timeout, instantiation, the outcome, the
//! metrics), and the result checked against the manifest.

use super::engine::EPOCH_TICK;
use super::guest_log::GuestLog;
use super::outcome::finish;
use super::secrets::DeclaredSecrets;
use super::state::{CallState, MemoryCap};
use super::world::{HookRequest, Instance};
use super::{Choice, Connection, Event, LoadedConnector, PollMeta, PollOutcome, Runtime, schema_key};
use crate::bindings::types;
use crate::egress::{Budget, CallReport, Credential, EgressHooks, EgressPolicy, Origin, RequestCaps};
use crate::error::CallError;
use crate::limits::{Limit, Limits};
use crate::schema::Schema;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;
use wasmtime::Store;
use wasmtime::component::ResourceTable;

/// A call's place: one of its connector's share and one of the host's slots.
pub(super) struct CallPermit {
    _own: OwnedSemaphorePermit,
    _slot: OwnedSemaphorePermit,
}

/// Guest CPU ticks after which a call counts as heavy and takes turns in the
/// heavy lane (20 ms at a 1 ms tick; a connector call usually runs a few).
const HEAVY_AFTER_TICKS: u64 = 20;

/// Calls started by this process, for the id in each call's span.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// What a call's store is made of.
pub(super) struct StoreParts<'a> {
    pub(super) limits: &'a Limits,
    pub(super) connector_id: &'a str,
    pub(super) policy: EgressPolicy,
    pub(super) credential: Option<Credential>,
    pub(super) secrets: BTreeMap<String, Option<String>>,
    pub(super) budget: Option<Arc<Budget>>,
    /// Whether the guest's log lines are kept for an observer.
    pub(super) keep_log: bool,
}

impl Runtime {
    pub(super) fn store(&self, parts: StoreParts<'_>) -> Store<CallState> {
        let limits = parts.limits;
        let egress = EgressHooks {
            budget: parts.budget,
            policy: Arc::new(parts.policy),
            credential: parts.credential.map(Arc::new),
            client: self.upstream.clone(),
            caps: RequestCaps {
                max_requests: limits.requests_per_call,
                max_response_bytes: limits.response_body_bytes,
                max_request_body_bytes: limits.request_body_bytes,
                max_call_request_bytes: limits.request_bytes_per_call,
                timeout: limits.request_timeout(),
            },
            report: Arc::new(Mutex::new(CallReport::default())),
            lane_turn: Arc::default(),
        };
        let mut http = wasmtime_wasi_http::WasiHttpCtx::new();
        http.set_field_size_limit(limits.header_bytes as usize);
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.host_handles as usize);
        let state = CallState {
            wasi: wasmtime_wasi::WasiCtx::builder().build(),
            http,
            table,
            egress,
            memory: MemoryCap { max_bytes: limits.memory_bytes(), hit: false },
            log: GuestLog::new(parts.connector_id, limits.log_lines, parts.keep_log),
            secrets: DeclaredSecrets(parts.secrets),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        // Every tick the guest runs, it yields to the executor so one busy
        // connector cannot hold a thread; past its CPU budget it is stopped.
        // Ticks spent blocked in host calls are not counted: the callback runs
        // only when guest code hits the deadline.
        //
        // A call that has run long (`HEAVY_AFTER_TICKS`) takes turns in the
        // heavy lane, one core's worth of slots fewer than the machine has,
        // so light calls always find a core: beside 32 busy hostile calls a
        // well-behaved one keeps its usual latency (`tests/all/serve.rs`). A
        // turn is given back at every tick and whenever the guest sends a
        // request, so a heavy call waiting on the network blocks nobody.
        let budget = (limits.cpu_ms / EPOCH_TICK.as_millis() as u64).max(1);
        let mut used = 0u64;
        let lane = self.heavy_lane.clone();
        let turn = store.data().egress.lane_turn.clone();
        store.epoch_deadline_callback(move |_| {
            used += 1;
            if used > budget {
                return Err(wasmtime::Trap::Interrupt.into());
            }
            if used < HEAVY_AFTER_TICKS {
                return Ok(wasmtime::UpdateDeadline::Yield(1));
            }
            turn.give_back();
            let (lane, turn) = (lane.clone(), turn.clone());
            Ok(wasmtime::UpdateDeadline::YieldCustom(
                1,
                Box::pin(async move {
                    if let Ok(permit) = lane.acquire_owned().await {
                        turn.take(permit);
                    }
                    tokio::task::yield_now().await;
                }),
            ))
        });
        store.set_epoch_deadline(1);
        store
    }

    /// A store for a call of `connector` on `connection`, once a call slot is
    /// free; the permit is held for the whole call.
    async fn call_store(
        &self,
        connector: &LoadedConnector,
        connection: &Connection,
    ) -> Result<(Store<CallState>, CallPermit), CallError> {
        let base = Origin::parse(&connection.base_url)
            .map_err(|e| CallError::Host(anyhow::anyhow!("the connection's base URL is unusable: {e}")))?;
        let mut allowed: Vec<Origin> = Vec::new();
        for host in &connector.manifest.allowed_hosts {
            allowed
                .push(Origin::parse(host).map_err(|e| CallError::Host(anyhow::anyhow!("manifest allowedHosts: {e}")))?);
        }
        if !allowed.contains(&base) {
            allowed.push(base.clone());
        }
        let credential = connection.credential.clone().map(|source| Credential {
            source,
            bound_to: vec![base],
            scope_error_marker: connector.manifest.scope_error_marker().map(str::to_string),
        });
        let id = &connector.manifest.id;
        let secrets = connector
            .manifest
            .secrets
            .iter()
            .map(|s| (s.name.clone(), self.config.secret(id, &s.name).cloned()))
            .collect();
        let share = self.connector_share(id);
        let shutting_down =
            |e: tokio::sync::AcquireError| CallError::Host(anyhow::anyhow!("the runtime is shutting down: {e}"));
        // The connector's share first, so a connector at its share waits
        // without holding a slot another connector could use.
        let own = share.acquire_owned().await.map_err(shutting_down)?;
        let slot = self.permits.clone().acquire_owned().await.map_err(shutting_down)?;
        let permit = CallPermit { _own: own, _slot: slot };
        let policy = EgressPolicy::new(allowed, self.config.egress.clone());
        let budget = self.budget_for(connector, connection);
        let store = self.store(StoreParts {
            limits: self.config.limits_for(id),
            connector_id: id,
            policy,
            credential,
            secrets,
            budget,
            keep_log: self.observers.get().is_some(),
        });
        Ok((store, permit))
    }

    /// The call slots connector `id` may hold at once.
    fn connector_share(&self, id: &str) -> Arc<Semaphore> {
        let mut shares = self.connector_permits.lock().unwrap_or_else(|p| p.into_inner());
        let size = self.config.concurrency_per_connector.max(1) as usize;
        shares.entry(id.to_string()).or_insert_with(|| Arc::new(Semaphore::new(size))).clone()
    }

    /// The request budget of the account `connection` acts for: the
    /// operator's override, else the manifest's, counted per the connection
    /// fact the manifest names (GHL: per location).
    fn budget_for(&self, connector: &LoadedConnector, connection: &Connection) -> Option<Arc<Budget>> {
        let id = &connector.manifest.id;
        let limit = self.config.rate_limit(id).or(connector.manifest.rate_limit.as_ref())?;
        let account = match connection.facts.get(&limit.per) {
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => connection.base_url.clone(),
        };
        Some(self.budgets.get(id, &account, || {
            Budget::new(limit.requests, std::time::Duration::from_secs(limit.per_seconds.into()), limit.daily)
        }))
    }

    /// The one envelope every call runs in: a call slot and a fresh store,
    /// a span naming the call, the wall-clock timeout, instantiation, the
    /// outcome (a limit or refusal the host saw explains a failure best), and
    /// the metrics. A limit the connector ran into and carried on from is
    /// still reported, and so are log lines the cap dropped.
    async fn envelope<T>(
        &self,
        kind: &'static str,
        key: &str,
        connector: &LoadedConnector,
        connection: &Connection,
        call: impl AsyncFnOnce(Instance, &mut Store<CallState>) -> wasmtime::Result<Result<T, types::ConnectorError>>,
    ) -> Result<T, CallError> {
        let id = CALLS.fetch_add(1, Ordering::Relaxed);
        let span = tracing::info_span!("call", call = id, connector = %connector.manifest.id, kind, key);
        async {
            let (mut store, _permit) = self.call_store(connector, connection).await?;
            let limits = self.config.limits_for(&connector.manifest.id);
            let started = std::time::Instant::now();
            let raw = tokio::time::timeout(limits.call_timeout(), async {
                let instantiating = std::time::Instant::now();
                let instance = connector.pre.instantiate(&mut store).await?;
                self.metrics.instantiate_time(instantiating.elapsed());
                call(instance, &mut store).await
            })
            .await;
            let swallowed = store.data().egress.report.lock().unwrap_or_else(|p| p.into_inner()).limit.clone();
            let dropped = store.data().log.dropped();
            if dropped > 0 {
                let cap = store.data().log.cap();
                tracing::warn!(dropped, "the connector wrote {dropped} log lines more than the {cap} a call may write; they were dropped");
                self.metrics.log_lines_dropped(dropped);
            }
            if let Some(observer) = self.observers.get() {
                observer.observed(audit_of(&mut store, kind, key));
            }
            let result = finish(&mut store, limits, raw);
            self.metrics.call_time(kind, started.elapsed());
            match &result {
                Err(e) => {
                    self.metrics.call_error(e.code().as_str());
                    if let CallError::LimitExceeded { limit, .. } = e {
                        self.metrics.limit_hit(limit.as_str(), "failed");
                    }
                }
                Ok(_) => {
                    if let Some(hit) = swallowed {
                        tracing::warn!(limit = %hit.limit, "the call ran into limit `{}` and the connector carried on: {}", hit.limit, hit.detail);
                        self.metrics.limit_hit(hit.limit.as_str(), "swallowed");
                    }
                }
            }
            result
        }
        .instrument(span)
        .await
    }

    fn context(connection: &Connection) -> types::CallContext {
        types::CallContext {
            base_url: connection.base_url.trim_end_matches('/').to_string(),
            connection: connection.facts.to_string(),
        }
    }

    fn schemas<'a>(connector: &'a LoadedConnector, kind: &str, key: &str) -> Result<&'a (Schema, Schema), CallError> {
        connector.schemas.get(&schema_key(kind, key)).ok_or_else(|| {
            let known: Vec<&str> = match kind {
                "trigger" => connector.manifest.triggers.iter().map(|t| t.key.as_str()).collect(),
                _ => connector.manifest.actions.iter().map(|a| a.key.as_str()).collect(),
            };
            CallError::UnknownKey(format!(
                "{} has no {kind} `{key}`; it has: {}",
                connector.manifest.id,
                known.join(", ")
            ))
        })
    }

    /// A limit a call's result went over, counted like the ones the store saw.
    fn over(&self, limit: Limit, detail: String) -> CallError {
        self.metrics.limit_hit(limit.as_str(), "failed");
        self.metrics.call_error(crate::error::ErrorCode::LimitExceeded.as_str());
        CallError::LimitExceeded { limit, detail }
    }

    /// Runs an action.
    pub async fn execute(
        &self,
        connector: &LoadedConnector,
        connection: &Connection,
        action: &str,
        input: &Value,
    ) -> Result<Value, CallError> {
        let (input_schema, output_schema) = Self::schemas(connector, "action", action)?;
        input_schema.check(input).map_err(CallError::InvalidInput)?;
        let ctx = Self::context(connection);
        let input = input.to_string();
        let output = self
            .envelope("action", action, connector, connection, async |instance, store| {
                instance.execute(store, &ctx, action, &input).await
            })
            .await?;
        let limits = self.config.limits_for(&connector.manifest.id);
        if output.len() as u64 > limits.output_bytes {
            let detail = format!("the output was {} bytes; the limit is {}", output.len(), limits.output_bytes);
            return Err(self.over(Limit::OutputBytes, detail));
        }
        let output: Value = serde_json::from_str(&output)
            .map_err(|e| CallError::BadOutput(format!("action `{action}` returned invalid JSON: {e}")))?;
        output_schema
            .check(&output)
            .map_err(|p| CallError::BadOutput(format!("action `{action}` output: {}", crate::schema::describe(&p))))?;
        Ok(output)
    }

    /// Polls a trigger once.
    pub async fn poll(
        &self,
        connector: &LoadedConnector,
        connection: &Connection,
        trigger: &str,
        input: &Value,
        cursor: Option<String>,
        meta: PollMeta,
    ) -> Result<PollOutcome, CallError> {
        let (input_schema, output_schema) = Self::schemas(connector, "trigger", trigger)?;
        input_schema.check(input).map_err(CallError::InvalidInput)?;
        let ctx = Self::context(connection);
        let limits = self.config.limits_for(&connector.manifest.id);
        let request = types::PollRequest {
            trigger: trigger.to_string(),
            input: input.to_string(),
            cursor,
            meta: types::PollMeta { seed: meta.seed, limit: limits.events_per_poll, since: meta.since },
        };
        let response = self
            .envelope("poll", trigger, connector, connection, async |instance, store| {
                instance.poll(store, &ctx, &request).await
            })
            .await?;
        if let Some(cursor) = response.cursor.as_ref().filter(|c| c.len() as u64 > limits.cursor_bytes) {
            let detail = format!(
                "the trigger returned a cursor of {} bytes; the limit is {} (the stored cursor is kept)",
                cursor.len(),
                limits.cursor_bytes
            );
            return Err(self.over(Limit::CursorBytes, detail));
        }
        let events = self.checked_events(response.events, limits, output_schema, trigger)?;
        Ok(PollOutcome { events, cursor: response.cursor, has_more: response.has_more })
    }

    /// What one verified webhook means for a subscription of an instant
    /// trigger: its events, checked like a poll's.
    pub async fn transform(
        &self,
        connector: &LoadedConnector,
        connection: &Connection,
        trigger: &str,
        input: &Value,
        event_type: &str,
        payload: &Value,
    ) -> Result<Vec<Event>, CallError> {
        let (input_schema, output_schema) = Self::schemas(connector, "trigger", trigger)?;
        input_schema.check(input).map_err(CallError::InvalidInput)?;
        let ctx = Self::context(connection);
        let limits = self.config.limits_for(&connector.manifest.id);
        let request = HookRequest {
            trigger: trigger.to_string(),
            input: input.to_string(),
            event_type: event_type.to_string(),
            payload: payload.to_string(),
        };
        let events = self
            .envelope("hook", trigger, connector, connection, async |instance, store| {
                instance.transform(store, &ctx, &request).await
            })
            .await?;
        self.checked_events(events, limits, output_schema, trigger)
    }

    /// A trigger's events, polled or from a webhook, held to the same limits
    /// (count, bytes) and to the trigger's output schema.
    fn checked_events(
        &self,
        events: Vec<types::Event>,
        limits: &Limits,
        output_schema: &Schema,
        trigger: &str,
    ) -> Result<Vec<Event>, CallError> {
        if events.len() > limits.events_per_poll as usize {
            let detail = format!("{} events; the limit is {}", events.len(), limits.events_per_poll);
            return Err(self.over(Limit::EventsPerPoll, detail));
        }
        let size: usize = events.iter().map(|e| e.data.len() + e.id.len()).sum();
        if size as u64 > limits.output_bytes {
            let detail = format!("the events were {size} bytes; the limit is {}", limits.output_bytes);
            return Err(self.over(Limit::OutputBytes, detail));
        }
        events
            .into_iter()
            .map(|e| {
                let data: Value = serde_json::from_str(&e.data)
                    .map_err(|err| CallError::BadOutput(format!("event `{}` has invalid JSON: {err}", e.id)))?;
                output_schema.check(&data).map_err(|p| {
                    CallError::BadOutput(format!("event `{}` of `{trigger}`: {}", e.id, crate::schema::describe(&p)))
                })?;
                Ok(Event { id: e.id, occurred_at: e.occurred_at, data })
            })
            .collect()
    }

    /// The choices of a dynamic dropdown.
    pub async fn choices(
        &self,
        connector: &LoadedConnector,
        connection: &Connection,
        key: &str,
        field: &str,
        input: &Value,
    ) -> Result<Vec<Choice>, CallError> {
        let declared = connector
            .manifest
            .triggers
            .iter()
            .filter(|t| t.key == key)
            .flat_map(|t| &t.dynamic_options)
            .chain(connector.manifest.actions.iter().filter(|a| a.key == key).flat_map(|a| &a.dynamic_options))
            .any(|d| d.field == field);
        if !declared {
            return Err(CallError::UnknownKey(format!("`{key}` has no dynamic dropdown `{field}`")));
        }
        let ctx = Self::context(connection);
        let input = input.to_string();
        let choices = self
            .envelope("options", key, connector, connection, async |instance, store| {
                instance.choices(store, &ctx, key, field, &input).await
            })
            .await?;
        let limits = self.config.limits_for(&connector.manifest.id);
        if choices.len() > limits.choices as usize {
            let detail = format!("{} choices; the limit is {}", choices.len(), limits.choices);
            return Err(self.over(Limit::Choices, detail));
        }
        let size: usize = choices.iter().map(|c| c.value.len() + c.label.len()).sum();
        if size as u64 > limits.output_bytes {
            let detail = format!("the choices were {size} bytes; the limit is {}", limits.output_bytes);
            return Err(self.over(Limit::OutputBytes, detail));
        }
        Ok(choices.into_iter().map(|c| Choice { value: c.value, label: c.label }).collect())
    }
}

/// What the store saw of a finished call, for an observer.
fn audit_of(store: &mut Store<CallState>, kind: &'static str, key: &str) -> super::CallAudit {
    let log_lines = store.data_mut().log.take_kept();
    let report = store.data().egress.report.lock().unwrap_or_else(|p| p.into_inner());
    super::CallAudit {
        kind,
        key: key.to_string(),
        requests: report.requests,
        denials: report.denials.clone(),
        refused_headers: report.refused_headers.clone(),
        log_lines,
    }
}
