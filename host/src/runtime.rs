//! The engine, loading connector components, and running one call in a fresh
//! instance with its limits, policy and credential.

use crate::bindings::{ConnectorPre, types};
use crate::egress::{
    CallReport, Credential, EgressConfig, EgressHooks, EgressPolicy, HttpClient, Origin, RequestCaps, StaticHosts,
    build_client,
};
use crate::error::{CallError, ConnectorFailure, LoadError};
use crate::limits::Limits;
use crate::schema::Schema;
use crate::secret::Secret;
use crate::state::{CallState, MemoryCap};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use weft_manifest::ConnectorManifest;

/// How often the epoch ticks; CPU deadlines are counted in these.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Host-wide settings.
#[derive(Debug, Clone, Default)]
pub struct HostConfig {
    pub limits: Limits,
    pub egress: EgressConfig,
    /// DNS answers fixed by the operator or a test (`name → addresses`).
    pub static_hosts: StaticHosts,
}

/// The engine and everything shared by all calls.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    client: HttpClient,
    config: HostConfig,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// A loaded connector: compiled, linked, its manifest read and its schemas compiled.
pub struct LoadedConnector {
    pub manifest: ConnectorManifest,
    pub digest: String,
    pre: ConnectorPre<CallState>,
    schemas: HashMap<String, (Schema, Schema)>,
}

/// The account a call acts for.
#[derive(Debug, Clone)]
pub struct Connection {
    /// API origin (and optional path prefix) requests go to.
    pub base_url: String,
    /// Non-secret facts handed to the connector (e.g. `locationId`).
    pub facts: Value,
    /// The `Authorization` header value, attached by the host.
    pub authorization: Option<Secret>,
}

/// What a poll returned, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PollOutcome {
    pub events: Vec<Event>,
    pub cursor: Option<String>,
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    pub data: Value,
}

/// How the host wants a poll run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollMeta {
    pub seed: bool,
    pub since: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

fn schema_key(kind: &str, key: &str) -> String {
    format!("{kind}:{key}")
}

impl Runtime {
    pub fn new(config: HostConfig) -> anyhow::Result<Runtime> {
        let mut wasm = Config::new();
        wasm.epoch_interruption(true);
        let engine = Engine::new(&wasm)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        crate::bindings::weft::connector::connector_types::add_to_linker::<_, HasSelf<CallState>>(&mut linker, |s| s)?;
        crate::bindings::weft::connector::log::add_to_linker::<_, HasSelf<CallState>>(&mut linker, |s| s)?;
        crate::bindings::weft::connector::secrets::add_to_linker::<_, HasSelf<CallState>>(&mut linker, |s| s)?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        let weak = engine.weak();
        let stop = ticker_stop.clone();
        std::thread::Builder::new().name("weft-epoch".into()).spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })?;
        let client = build_client(&config.egress, config.static_hosts.clone());
        Ok(Runtime { engine, linker, client, config, ticker_stop })
    }

    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Compiles a component, checks it is a weft connector, reads and checks its manifest.
    pub async fn load(&self, path: &Path) -> Result<LoadedConnector, LoadError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read { path: shown.clone(), source })?;
        let not_component = |reason: anyhow::Error| LoadError::NotAComponent { path: shown.clone(), reason };
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        let component = Component::new(&self.engine, &bytes).map_err(|e| not_component(e.into()))?;
        let pre = self.linker.instantiate_pre(&component).map_err(|e| not_component(e.into()))?;
        let pre = ConnectorPre::new(pre).map_err(|e| not_component(e.into()))?;
        let manifest_json = {
            let mut store = self.store(
                &Limits::default(),
                "loading",
                EgressPolicy::new(Vec::new(), EgressConfig::default()),
                None,
                BTreeMap::new(),
            );
            let instance = pre.instantiate_async(&mut store).await.map_err(|e| not_component(e.into()))?;
            instance.weft_connector_metadata().call_manifest(&mut store).await.map_err(|e| not_component(e.into()))?
        };
        let bad = |problems: String| LoadError::BadManifest { path: shown.clone(), problems };
        let manifest: ConnectorManifest = serde_json::from_str(&manifest_json).map_err(|e| bad(e.to_string()))?;
        let problems = weft_manifest::check(&manifest);
        if !problems.is_empty() {
            return Err(bad(problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")));
        }
        let mut schemas = HashMap::new();
        let entries =
            manifest.triggers.iter().map(|t| ("trigger", &t.key, &t.input_schema, &t.output_schema, &t.sample)).chain(
                manifest.actions.iter().map(|a| ("action", &a.key, &a.input_schema, &a.output_schema, &a.sample)),
            );
        for (kind, key, input, output, sample) in entries {
            let at = |what: &str, e: String| bad(format!("{kind}s[{key}].{what}: {e}"));
            let input = Schema::compile(input).map_err(|e| at("inputSchema", e))?;
            let output = Schema::compile(output).map_err(|e| at("outputSchema", e))?;
            output.check(sample).map_err(|p| at("sample", crate::schema::describe(&p)))?;
            schemas.insert(schema_key(kind, key), (input, output));
        }
        Ok(LoadedConnector { manifest, digest, pre, schemas })
    }

    fn store(
        &self,
        limits: &Limits,
        connector_id: &str,
        policy: EgressPolicy,
        credential: Option<Credential>,
        secrets: BTreeMap<String, Option<String>>,
    ) -> Store<CallState> {
        let egress = EgressHooks {
            policy: Arc::new(policy),
            credential: credential.map(Arc::new),
            client: self.client.clone(),
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
        let ticks = (limits.cpu_ms / EPOCH_TICK.as_millis() as u64).max(1);
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        store
    }

    /// A store for a call of `connector` on `connection`.
    fn call_store(&self, connector: &LoadedConnector, connection: &Connection) -> Result<Store<CallState>, CallError> {
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
        let credential =
            connection.authorization.clone().map(|authorization| Credential { authorization, bound_to: vec![base] });
        let secrets = connector.manifest.secrets.iter().map(|s| (s.name.clone(), None)).collect();
        Ok(self.store(
            &self.config.limits,
            &connector.manifest.id,
            EgressPolicy::new(allowed, self.config.egress.clone()),
            credential,
            secrets,
        ))
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
        let mut store = self.call_store(connector, connection)?;
        let ctx = Self::context(connection);
        let input = input.to_string();
        let limits = &self.config.limits;
        let result = tokio::time::timeout(limits.call_timeout(), async {
            let instance = connector.pre.instantiate_async(&mut store).await?;
            instance.weft_connector_actions().call_execute(&mut store, &ctx, action, &input).await
        })
        .await;
        let output = finish(&mut store, limits, result)?;
        if output.len() as u64 > limits.output_bytes {
            return Err(CallError::LimitExceeded {
                limit: "output-bytes",
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
        let mut store = self.call_store(connector, connection)?;
        let ctx = Self::context(connection);
        let limits = &self.config.limits;
        let request = types::PollRequest {
            trigger: trigger.to_string(),
            input: input.to_string(),
            cursor,
            meta: types::PollMeta { seed: meta.seed, limit: limits.events_per_poll, since: meta.since },
        };
        let result = tokio::time::timeout(limits.call_timeout(), async {
            let instance = connector.pre.instantiate_async(&mut store).await?;
            instance.weft_connector_triggers().call_poll(&mut store, &ctx, &request).await
        })
        .await;
        let response = finish(&mut store, limits, result)?;
        if response.events.len() > limits.events_per_poll as usize {
            return Err(CallError::LimitExceeded {
                limit: "events-per-poll",
                detail: format!("{} events; the limit is {}", response.events.len(), limits.events_per_poll),
            });
        }
        let size: usize = response.events.iter().map(|e| e.data.len() + e.id.len()).sum();
        if size as u64 > limits.output_bytes {
            return Err(CallError::LimitExceeded {
                limit: "output-bytes",
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
        let mut store = self.call_store(connector, connection)?;
        let ctx = Self::context(connection);
        let input = input.to_string();
        let limits = &self.config.limits;
        let result = tokio::time::timeout(limits.call_timeout(), async {
            let instance = connector.pre.instantiate_async(&mut store).await?;
            instance.weft_connector_options().call_choices(&mut store, &ctx, key, field, &input).await
        })
        .await;
        let choices = finish(&mut store, limits, result)?;
        Ok(choices.into_iter().map(|c| Choice { value: c.value, label: c.label }).collect())
    }
}

type Raw<T> = Result<wasmtime::Result<Result<T, types::ConnectorError>>, tokio::time::error::Elapsed>;

/// Turns what a call produced, and what its store saw, into its result. A
/// limit or a policy refusal the host observed explains a failure better than
/// the guest's own error, so it wins.
fn finish<T>(store: &mut Store<CallState>, limits: &Limits, result: Raw<T>) -> Result<T, CallError> {
    let report = std::mem::take(&mut *store.data().egress.report.lock().unwrap_or_else(|p| p.into_inner()));
    let memory_hit = store.data().memory.hit;
    let failed = !matches!(result, Ok(Ok(Ok(_))));
    if failed {
        if let Some(hit) = report.limit {
            return Err(CallError::LimitExceeded { limit: hit.limit, detail: hit.detail });
        }
        if memory_hit {
            return Err(CallError::LimitExceeded {
                limit: "memory",
                detail: format!("the connector tried to use more than {} MiB", limits.memory_mib),
            });
        }
        if let Some(denial) = report.denials.into_iter().next() {
            return Err(CallError::EgressDenied(denial));
        }
    }
    match result {
        Err(_) => Err(CallError::LimitExceeded {
            limit: "call-timeout",
            detail: format!("the call took longer than {} ms", limits.call_timeout_ms),
        }),
        Ok(Err(trap)) => Err(trap_error(trap, limits)),
        Ok(Ok(Err(e))) => Err(CallError::Connector(failure(e))),
        Ok(Ok(Ok(value))) => Ok(value),
    }
}

fn trap_error(error: wasmtime::Error, limits: &Limits) -> CallError {
    match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => CallError::LimitExceeded {
            limit: "cpu-time",
            detail: format!("the connector ran longer than {} ms", limits.cpu_ms),
        },
        Some(wasmtime::Trap::StackOverflow) => {
            CallError::LimitExceeded { limit: "stack", detail: "the connector overflowed its stack".into() }
        }
        Some(trap) => CallError::Trapped(trap.to_string()),
        None => CallError::Trapped(format!("{error:#}")),
    }
}

/// The one place the WIT error variant becomes the host's.
fn failure(e: types::ConnectorError) -> ConnectorFailure {
    use types::ConnectorError as W;
    match e {
        W::InvalidInput(p) => ConnectorFailure::InvalidInput { field: p.field, message: p.message },
        W::Unauthorized(m) => ConnectorFailure::Unauthorized(m),
        W::Forbidden(p) => ConnectorFailure::Forbidden { scope: p.scope, message: p.message },
        W::NotFound(m) => ConnectorFailure::NotFound(m),
        W::RateLimited(h) => ConnectorFailure::RateLimited {
            retry_after: h.retry_after_ms.map(Duration::from_millis),
            message: h.message,
        },
        W::Transient(m) => ConnectorFailure::Transient(m),
        W::Upstream(u) => ConnectorFailure::Upstream { status: u.status, message: u.message },
        W::Internal(m) => ConnectorFailure::Internal(m),
    }
}
