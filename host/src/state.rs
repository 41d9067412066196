//! What a store holds for one call: a WASI context that grants nothing, the
//! HTTP hooks, the memory cap, and the connector's log and secrets imports.

use crate::bindings::{log, secrets, types};
use crate::egress::EgressHooks;
use std::collections::BTreeMap;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Lines a call may log before the rest are dropped, and the longest line kept.
const MAX_LOG_LINES: u32 = 200;
const MAX_LOG_LINE: usize = 2048;

/// Caps linear memory and remembers that it had to, so the host can say
/// "memory limit" instead of reporting the guest's allocation failure.
pub(crate) struct MemoryCap {
    pub max_bytes: usize,
    pub hit: bool,
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
        Ok(desired <= 100_000)
    }
}

pub(crate) struct CallState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub egress: EgressHooks,
    pub memory: MemoryCap,
    pub connector_id: String,
    /// Declared secrets and their values (`None`: declared, not set).
    pub secrets: BTreeMap<String, Option<String>>,
    pub log_lines: u32,
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

impl types::Host for CallState {}

impl log::Host for CallState {
    fn log(&mut self, level: log::Level, message: String) {
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES {
            return;
        }
        let mut message = message;
        if message.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        let connector = self.connector_id.as_str();
        match level {
            log::Level::Trace => tracing::trace!(connector, "{message}"),
            log::Level::Debug => tracing::debug!(connector, "{message}"),
            log::Level::Info => tracing::info!(connector, "{message}"),
            log::Level::Warn => tracing::warn!(connector, "{message}"),
            log::Level::Error => tracing::error!(connector, "{message}"),
        }
    }
}

impl secrets::Host for CallState {
    fn get(&mut self, name: String) -> Result<String, secrets::SecretError> {
        match self.secrets.get(&name) {
            None => {
                Err(secrets::SecretError::NotDeclared(format!("`{name}` is not declared in the manifest's secrets")))
            }
            Some(None) => Err(secrets::SecretError::NotSet(format!("the operator has not set `{name}`"))),
            Some(Some(value)) => Ok(value.clone()),
        }
    }
}
