//! One call: a fresh store and instance, the call under its limits, and the
//! result checked against the manifest.

use super::engine::EPOCH_TICK;
use super::outcome::finish;
use super::{Choice, Connection, Event, LoadedConnector, PollMeta, PollOutcome, Runtime, schema_key};
use crate::bindings::types;
use crate::egress::{Budget, CallReport, Credential, EgressHooks, EgressPolicy, Origin, RequestCaps};
use crate::error::CallError;
use crate::limits::Limits;
use crate::schema::Schema;
use crate::state::{CallState, MemoryCap};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::SemaphorePermit;
use wasmtime::Store;
use wasmtime::component::ResourceTable;

impl Runtime {
    pub(super) fn store(
        &self,
        limits: &Limits,
        connector_id: &str,
        policy: EgressPolicy,
        credential: Option<Credential>,
        secrets: BTreeMap<String, Option<String>>,
        budget: Option<Arc<Budget>>,
    ) -> Store<CallState> {
        let egress = EgressHooks {
            budget,
            policy: Arc::new(policy),
            credential: credential.map(Arc::new),
            client: self.upstream.clone(),
            caps: RequestCaps {
                max_requests: limits.requests_per_call,
                max_response_bytes: limits.response_body_bytes,
                timeout: limits.request_timeout(),
            },
            report: Arc::new(Mutex::new(CallReport::default())),
        };
        let state = CallState {
            wasi: wasmtime_wasi::WasiCtx::builder().build(),
            http: wasmtime_wasi_http::WasiHttpCtx::new(),
            table: ResourceTable::new(),
            egress,
            memory: MemoryCap { max_bytes: limits.memory_bytes(), hit: false },
            connector_id: connector_id.to_string(),
            secrets,
            log_lines: 0,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        // Every tick the guest runs, it yields to the executor so one busy
        // connector cannot hold a thread; past its CPU budget it is stopped.
        // Ticks spent blocked in host calls are not counted: the callback runs
        // only when guest code hits the deadline.
        let budget = (limits.cpu_ms / EPOCH_TICK.as_millis() as u64).max(1);
        let mut used = 0u64;
        store.epoch_deadline_callback(move |_| {
            used += 1;
            if used > budget {
                return Err(wasmtime::Trap::Interrupt.into());
            }
            Ok(wasmtime::UpdateDeadline::Yield(1))
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
    ) -> Result<(Store<CallState>, SemaphorePermit<'_>), CallError> {
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
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| CallError::Host(anyhow::anyhow!("the runtime is shutting down: {e}")))?;
        let policy = EgressPolicy::new(allowed, self.config.egress.clone());
        let budget = self.budget_for(connector, connection);
        let store = self.store(self.config.limits_for(id), id, policy, credential, secrets, budget);
        Ok((store, permit))
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

    /// Records a call's time and, when it failed, its error kind.
    fn observe<T>(
        &self,
        what: &str,
        started: std::time::Instant,
        result: Result<T, CallError>,
    ) -> Result<T, CallError> {
        self.metrics.call_time(what, started.elapsed());
        if let Err(e) = &result {
            self.metrics.call_error(e.code().as_str());
        }
        result
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
        let (mut store, _permit) = self.call_store(connector, connection).await?;
        let ctx = Self::context(connection);
        let input = input.to_string();
        let limits = self.config.limits_for(&connector.manifest.id);
        let started_call = std::time::Instant::now();
        let result = tokio::time::timeout(limits.call_timeout(), async {
            let started = std::time::Instant::now();
            let instance = connector.pre.instantiate_async(&mut store).await?;
            self.metrics.instantiate_time(started.elapsed());
            instance.weft_connector_actions().call_execute(&mut store, &ctx, action, &input).await
        })
        .await;
        let output = self.observe("action", started_call, finish(&mut store, limits, result))?;
        if output.len() as u64 > limits.output_bytes {
            return Err(CallError::LimitExceeded {
                limit: crate::limits::Limit::OutputBytes,
                detail: format!("the output was {} bytes; the limit is {}", output.len(), limits.output_bytes),
            });
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
        let (mut store, _permit) = self.call_store(connector, connection).await?;
        let ctx = Self::context(connection);
        let limits = self.config.limits_for(&connector.manifest.id);
        let request = types::PollRequest {
            trigger: trigger.to_string(),
            input: input.to_string(),
            cursor,
            meta: types::PollMeta { seed: meta.seed, limit: limits.events_per_poll, since: meta.since },
        };
        let started_call = std::time::Instant::now();
        let result = tokio::time::timeout(limits.call_timeout(), async {
            let started = std::time::Instant::now();
            let instance = connector.pre.instantiate_async(&mut store).await?;
            self.metrics.instantiate_time(started.elapsed());
            instance.weft_connector_triggers().call_poll(&mut store, &ctx, &request).await
        })
        .await;
        let response = self.observe("poll", started_call, finish(&mut store, limits, result))?;
        if response.events.len() > limits.events_per_poll as usize {
            return Err(CallError::LimitExceeded {
                limit: crate::limits::Limit::EventsPerPoll,
                detail: format!("{} events; the limit is {}", response.events.len(), limits.events_per_poll),
            });
        }
        let size: usize = response.events.iter().map(|e| e.data.len() + e.id.len()).sum();
        if size as u64 > limits.output_bytes {
            return Err(CallError::LimitExceeded {
                limit: crate::limits::Limit::OutputBytes,
                detail: format!("the events were {size} bytes; the limit is {}", limits.output_bytes),
            });
        }
        let mut events = Vec::with_capacity(response.events.len());
        for e in response.events {
            let data: Value = serde_json::from_str(&e.data)
                .map_err(|err| CallError::BadOutput(format!("event `{}` has invalid JSON: {err}", e.id)))?;
            output_schema.check(&data).map_err(|p| {
                CallError::BadOutput(format!("event `{}` of `{trigger}`: {}", e.id, crate::schema::describe(&p)))
            })?;
            events.push(Event { id: e.id, occurred_at: e.occurred_at, data });
        }
        Ok(PollOutcome { events, cursor: response.cursor, has_more: response.has_more })
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
        let (mut store, _permit) = self.call_store(connector, connection).await?;
        let ctx = Self::context(connection);
        let input = input.to_string();
        let limits = self.config.limits_for(&connector.manifest.id);
        let started_call = std::time::Instant::now();
        let result = tokio::time::timeout(limits.call_timeout(), async {
            let started = std::time::Instant::now();
            let instance = connector.pre.instantiate_async(&mut store).await?;
            self.metrics.instantiate_time(started.elapsed());
            instance.weft_connector_options().call_choices(&mut store, &ctx, key, field, &input).await
        })
        .await;
        let choices = self.observe("options", started_call, finish(&mut store, limits, result))?;
        Ok(choices.into_iter().map(|c| Choice { value: c.value, label: c.label }).collect())
    }
}
