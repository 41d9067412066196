//! Turning what a call produced, and what its store saw, into its result.

use super::state::CallState;
use crate::bindings::types;
use crate::egress::CredentialProblem;
use crate::error::{CallError, ConnectorFailure};
use crate::limits::{Limit, Limits};
use std::time::Duration;
use wasmtime::Store;

type Raw<T> = Result<wasmtime::Result<Result<T, types::ConnectorError>>, tokio::time::error::Elapsed>;

/// Turns what a call produced, and what its store saw, into its result. A
/// limit or a policy refusal the host observed explains a failure better than
/// the guest's own error, so it wins.
pub(super) fn finish<T>(store: &mut Store<CallState>, limits: &Limits, result: Raw<T>) -> Result<T, CallError> {
    let report = std::mem::take(&mut *store.data().egress.report.lock().unwrap_or_else(|p| p.into_inner()));
    let memory_hit = store.data().memory.hit;
    let failed = !matches!(result, Ok(Ok(Ok(_))));
    if failed {
        if let Some(hit) = report.limit {
            return Err(CallError::LimitExceeded { limit: hit.limit, detail: hit.detail });
        }
        if memory_hit {
            return Err(CallError::LimitExceeded {
                limit: Limit::Memory,
                detail: format!("the connector tried to use more than {} MiB", limits.memory_mib),
            });
        }
        if let Some(denial) = report.denials.into_iter().next() {
            return Err(CallError::EgressDenied(denial));
        }
        match report.credential {
            Some(CredentialProblem::ReconnectRequired(message)) => return Err(CallError::ReconnectRequired(message)),
            Some(CredentialProblem::Temporary(message)) => {
                return Err(CallError::Connector(ConnectorFailure::Transient(message)));
            }
            _ => {}
        }
    }
    match result {
        Err(_) => Err(CallError::LimitExceeded {
            limit: Limit::CallTimeout,
            detail: format!("the call took longer than {} ms", limits.call_timeout_ms),
        }),
        Ok(Err(trap)) => Err(trap_error(trap, limits)),
        Ok(Ok(Err(e))) => Err(CallError::Connector(failure(e))),
        Ok(Ok(Ok(value))) => Ok(value),
    }
}

fn trap_error(error: wasmtime::Error, limits: &Limits) -> CallError {
    if let Some(wasmtime::component::ResourceTableError::Full) = error.downcast_ref() {
        return CallError::LimitExceeded {
            limit: Limit::HostResources,
            detail: format!(
                "the connector held more than {} host handles (header fields, requests, bodies, streams) at once",
                limits.host_handles
            ),
        };
    }
    if let Some(wasmtime_wasi_http::FieldMapError::TotalSizeTooBig | wasmtime_wasi_http::FieldMapError::TooManyFields) =
        error.downcast_ref()
    {
        return CallError::LimitExceeded {
            limit: Limit::HostResources,
            detail: format!("the connector's header fields went over {} bytes", limits.header_bytes),
        };
    }
    match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => CallError::LimitExceeded {
            limit: Limit::CpuTime,
            detail: format!("the connector ran longer than {} ms", limits.cpu_ms),
        },
        Some(wasmtime::Trap::StackOverflow) => {
            CallError::LimitExceeded { limit: Limit::Stack, detail: "the connector overflowed its stack".into() }
        }
        Some(wasmtime::Trap::MemoryOutOfBounds) if is_runaway_recursion(&error) => CallError::LimitExceeded {
            limit: Limit::Stack,
            detail: "the connector's recursion ran off the end of its stack in linear memory".into(),
        },
        Some(trap) => CallError::Trapped(trap.to_string()),
        None => CallError::Trapped(format!("{error:#}")),
    }
}

/// Whether a trap happened deep in one function calling itself: what a
/// guest's shadow stack (kept in linear memory) looks like when it runs out
/// and the next frame lands out of bounds.
fn is_runaway_recursion(error: &wasmtime::Error) -> bool {
    let Some(trace) = error.downcast_ref::<wasmtime::WasmBacktrace>() else { return false };
    let frames = trace.frames();
    let innermost = frames.first().map(wasmtime::FrameInfo::func_index);
    let run = frames.iter().take_while(|f| Some(f.func_index()) == innermost).count();
    run >= RECURSION_RUN
}

/// Frames of one function in a row at the top of a trap's backtrace that
/// mean runaway recursion.
const RECURSION_RUN: usize = 10;

/// Frames of a trap's backtrace wasmtime keeps (see `engine.rs`): enough to
/// see a run of `RECURSION_RUN`.
pub(super) const RECURSION_FRAMES: usize = 32;

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
