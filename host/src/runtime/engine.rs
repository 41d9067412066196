//! The wasmtime engine: pooled, copy-on-write instances, epoch interruption,
//! and the linker that gives a connector exactly the weft world.

use super::state::CallState;
use super::{Runtime, RuntimeConfig};
use crate::egress::build_client;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch ticks; CPU deadlines are counted in these, and a busy
/// guest yields to the executor at each. At 1 ms a well-behaved call beside 32
/// busy hostile ones waits ~5× less than at 10 ms (measured in
/// `tests/all/serve.rs`), for a tick thread that costs next to nothing.
pub(super) const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Core instances, memories and tables one component may hold. A Rust
/// component has a handful; a Python one about twenty.
const CORE_INSTANCES_PER_COMPONENT: u32 = 50;
const MEMORIES_PER_COMPONENT: u32 = 4;
const TABLES_PER_COMPONENT: u32 = 16;

/// Instances the pool holds: every call that may run at once, plus room for
/// loading manifests beside them.
fn pool_config(config: &RuntimeConfig) -> PoolingAllocationConfig {
    let instances = config.concurrency.saturating_add(4).saturating_add(crate::mapping::MAPPING_SLOTS as u32);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(CORE_INSTANCES_PER_COMPONENT / 5))
        .total_memories(instances.saturating_mul(MEMORIES_PER_COMPONENT / 2))
        .total_tables(instances.saturating_mul(TABLES_PER_COMPONENT / 4))
        .total_stacks(instances)
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .max_memories_per_component(MEMORIES_PER_COMPONENT)
        .max_tables_per_component(TABLES_PER_COMPONENT)
        .max_memories_per_module(2)
        .max_tables_per_module(4)
        .table_elements(100_000)
        .max_component_instance_size(4 << 20)
        .max_core_instance_size(4 << 20)
        .max_memory_size(config.largest_memory_bytes());
    pool
}

impl Runtime {
    /// The host for `config`, with the pooling allocator.
    pub fn new(config: impl Into<RuntimeConfig>) -> anyhow::Result<Runtime> {
        Self::build(config.into(), true)
    }

    /// The host with instances allocated on demand (for comparisons and
    /// components too large for the pool's slots).
    pub fn new_on_demand(config: impl Into<RuntimeConfig>) -> anyhow::Result<Runtime> {
        Self::build(config.into(), false)
    }

    /// A host whose connector requests are answered by `responder` inside
    /// the process (the policy still applies): for measuring the sandbox alone.
    pub fn with_responder(
        config: impl Into<RuntimeConfig>,
        pooling: bool,
        responder: crate::egress::Responder,
    ) -> anyhow::Result<Runtime> {
        let mut runtime = Self::build(config.into(), pooling)?;
        runtime.upstream = crate::egress::Upstream::InProcess(responder);
        Ok(runtime)
    }

    fn build(config: RuntimeConfig, pooling: bool) -> anyhow::Result<Runtime> {
        let mut wasm = Config::new();
        wasm.epoch_interruption(true);
        wasm.memory_init_cow(true);
        // Enough frames to tell runaway recursion from a stray access.
        wasm.wasm_backtrace_max_frames(std::num::NonZeroUsize::new(super::outcome::RECURSION_FRAMES));
        // wasi:http p2 needs no component-model concurrency; leaving it off
        // makes every host-to-guest call cheaper.
        wasm.concurrency_support(false);
        if pooling {
            wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool_config(&config)));
        }
        let engine = Engine::new(&wasm)?;
        let linker = linker(&engine)?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        start_ticker(&engine, ticker_stop.clone())?;
        let client = build_client(&config.egress, config.static_hosts.clone());
        let permits = Arc::new(Semaphore::new(config.concurrency as usize));
        let upstream = crate::egress::Upstream::Network(Box::new(client.clone()));
        Ok(Runtime {
            engine,
            linker,
            client,
            upstream,
            config,
            budgets: Default::default(),
            metrics: Default::default(),
            pooling,
            permits,
            connector_permits: Default::default(),
            heavy_lane: Arc::new(Semaphore::new(heavy_lane_size())),
            ticker: Arc::new(super::Ticker(ticker_stop)),
            observers: Default::default(),
        })
    }
}

/// Full WASI p2 (a std guest imports cli, io, clocks, random) from a context
/// that grants nothing, `wasi:http`, and the weft imports.
fn linker(engine: &Engine) -> anyhow::Result<Linker<CallState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::bindings::weft::connector::connector_types::add_to_linker::<_, HasSelf<CallState>>(&mut linker, |s| s)?;
    // 0.2.0's types are 0.1.0's (see `bindings`); the interface holds only types.
    linker.instance("weft:connector/connector-types@0.2.0")?;
    super::guest_log::add_to_linker(&mut linker)?;
    super::secrets::add_to_linker(&mut linker)?;
    Ok(linker)
}

/// Heavy calls at once: all cores but one, so light calls always have one.
fn heavy_lane_size() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1)).max(1)
}

/// Advances the epoch every tick until the runtime is dropped.
fn start_ticker(engine: &Engine, stop: Arc<AtomicBool>) -> std::io::Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new().name("weft-epoch".into()).spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(EPOCH_TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        }
    })?;
    Ok(())
}
