//! What a store holds for one call: a WASI context that grants nothing, the
//! HTTP hooks, the caps on memory and host handles, and the state of the
//! connector's own imports (`log`, `secrets`).

use super::guest_log::GuestLog;
use super::secrets::DeclaredSecrets;
use crate::egress::EgressHooks;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// The most table elements one instance may grow a table to.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Caps linear memory and remembers that it had to, so the host can say
/// "memory limit" instead of reporting the guest's allocation failure.
pub(crate) struct MemoryCap {
    pub(crate) max_bytes: usize,
    pub(crate) hit: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// The store data of one call.
pub(crate) struct CallState {
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    /// Every handle the guest makes the host hold; capped by `host_handles`.
    pub(crate) table: ResourceTable,
    pub(crate) egress: EgressHooks,
    pub(crate) memory: MemoryCap,
    pub(crate) log: GuestLog,
    pub(crate) secrets: DeclaredSecrets,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for CallState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.egress }
    }
}

impl crate::bindings::types::Host for CallState {}
