//! The mapping component, instantiated fresh for every run under limits.

use super::{MappingError, MappingLimits, position};
use serde_json::Value;
use std::time::Duration;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

mod bindings {
    #![allow(missing_docs, reason = "generated bindings")]
    wasmtime::component::bindgen!({
        path: "mapper/wit",
        world: "mapper",
        exports: { default: async },
    });
}

use bindings::exports::weft::mapper::jq::MapError;

/// The component's bytes, built from `host/mapper` by `host/build.rs`.
const COMPONENT: &[u8] = include_bytes!(env!("WEFT_MAPPER_COMPONENT"));

/// The epoch interval of the engine the mapper shares with connectors, in ms.
const TICK_MS: u64 = 1;

struct MapState {
    wasi: WasiCtx,
    table: ResourceTable,
    memory: MemoryCap,
}

struct MemoryCap {
    max: usize,
    hit: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        self.hit |= desired > self.max;
        Ok(desired <= self.max)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 10_000)
    }
}

impl WasiView for MapState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// Runs mapping programs; one per host, shared by every subscription.
pub struct Mapper {
    engine: Engine,
    pre: bindings::MapperPre<MapState>,
    limits: MappingLimits,
    /// One per instance slot the pool keeps for mappings.
    slots: tokio::sync::Semaphore,
    /// The engine's epoch keeps ticking while the mapper lives: without it a
    /// runaway program would never be interrupted.
    _ticker: std::sync::Arc<crate::runtime::Ticker>,
}

impl std::fmt::Debug for Mapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapper").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl Mapper {
    /// Compiles the mapping component for `engine` (an engine with epoch
    /// interruption, as the runtime's is).
    pub(crate) fn new(
        engine: &Engine,
        component: Component,
        limits: MappingLimits,
        ticker: std::sync::Arc<crate::runtime::Ticker>,
    ) -> anyhow::Result<Mapper> {
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        let pre = bindings::MapperPre::new(linker.instantiate_pre(&component)?)?;
        Ok(Mapper {
            engine: engine.clone(),
            pre,
            limits,
            slots: tokio::sync::Semaphore::new(super::MAPPING_SLOTS),
            _ticker: ticker,
        })
    }

    /// The component's bytes, for the runtime to compile (and cache).
    pub(crate) fn component_bytes() -> &'static [u8] {
        COMPONENT
    }

    fn store(&self) -> Store<MapState> {
        let max = usize::try_from(self.limits.memory_mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
        let state = MapState {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            memory: MemoryCap { max, hit: false },
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        let budget = (self.limits.cpu_ms / TICK_MS).max(1);
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

    fn limit_or_host(&self, store: &Store<MapState>, error: &wasmtime::Error) -> MappingError {
        if store.data().memory.hit {
            return MappingError::Limit(format!("it used more than {} MiB", self.limits.memory_mib));
        }
        match error.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => {
                MappingError::Limit(format!("it ran longer than {} ms", self.limits.cpu_ms))
            }
            Some(wasmtime::Trap::StackOverflow) => MappingError::Limit("it recursed too deep".into()),
            _ => MappingError::Host(format!("{error:#}")),
        }
    }

    fn from_guest(program: &str, e: MapError) -> MappingError {
        match e {
            MapError::Syntax(s) => {
                let (line, column) = position(program, s.offset);
                MappingError::Syntax { line, column, message: s.message }
            }
            MapError::Runtime(m) => MappingError::Failed(m),
        }
    }

    /// Parses and compiles `program`.
    pub async fn check(&self, program: &str) -> Result<(), MappingError> {
        let _slot = self.slots.acquire().await.map_err(|e| MappingError::Host(e.to_string()))?;
        let mut store = self.store();
        let timeout = Duration::from_millis(self.limits.timeout_ms);
        let outcome = tokio::time::timeout(timeout, async {
            let instance = self.pre.instantiate_async(&mut store).await?;
            instance.weft_mapper_jq().call_check(&mut store, program).await
        })
        .await;
        match outcome {
            Err(_) => Err(MappingError::Limit(format!("it took longer than {} ms", self.limits.timeout_ms))),
            Ok(Err(e)) => Err(self.limit_or_host(&store, &e)),
            Ok(Ok(result)) => result.map_err(|e| Self::from_guest(program, e)),
        }
    }

    /// Runs `program` on `data`; its one output, which must be a JSON object.
    pub async fn run(&self, program: &str, data: &Value) -> Result<Value, MappingError> {
        let _slot = self.slots.acquire().await.map_err(|e| MappingError::Host(e.to_string()))?;
        let mut store = self.store();
        let timeout = Duration::from_millis(self.limits.timeout_ms);
        let input = data.to_string();
        let outcome = tokio::time::timeout(timeout, async {
            let instance = self.pre.instantiate_async(&mut store).await?;
            instance.weft_mapper_jq().call_run(&mut store, program, &input).await
        })
        .await;
        let outputs = match outcome {
            Err(_) => return Err(MappingError::Limit(format!("it took longer than {} ms", self.limits.timeout_ms))),
            Ok(Err(e)) => return Err(self.limit_or_host(&store, &e)),
            Ok(Ok(result)) => result.map_err(|e| Self::from_guest(program, e))?,
        };
        let size: usize = outputs.iter().map(String::len).sum();
        if size as u64 > self.limits.output_bytes {
            return Err(MappingError::Limit(format!(
                "its output was {size} bytes, more than {}",
                self.limits.output_bytes
            )));
        }
        match outputs.as_slice() {
            [one] => match serde_json::from_str::<Value>(one) {
                Ok(Value::Object(map)) => Ok(Value::Object(map)),
                Ok(other) => Err(MappingError::NotAnObject(describe(&other))),
                Err(e) => Err(MappingError::Host(format!("the mapper wrote JSON that does not read back: {e}"))),
            },
            [] => Err(MappingError::NotAnObject("nothing".into())),
            many => Err(MappingError::NotAnObject(format!("{} values", many.len()))),
        }
    }
}

/// A value's kind, in words.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", Value::String(s.chars().take(40).collect())),
        Value::Array(a) => format!("an array of {}", a.len()),
        Value::Object(_) => "an object".into(),
    }
}
