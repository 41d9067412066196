//! What a call did besides answering: the requests it made, the ones the
//! policy refused, the credential headers it tried to set and the lines it
//! logged. The acceptance checks (`weft check`) read it; a connector that
//! swallows a refusal still shows up here, where its result would hide it.

use crate::egress::EgressDenial;
use std::sync::Arc;

/// One finished call, seen from the host.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CallAudit {
    /// `action`, `trigger`, `options` or `instant`.
    pub kind: &'static str,
    /// The trigger or action key.
    pub key: String,
    /// Requests the policy admitted.
    pub requests: u32,
    /// Requests the policy or the address guard refused, in order.
    pub denials: Vec<EgressDenial>,
    /// Credential headers (`authorization`, `proxy-authorization`, `cookie`)
    /// the connector tried to set; the host refused each.
    pub refused_headers: Vec<String>,
    /// The connector's log lines, as the host wrote them.
    pub log_lines: Vec<String>,
}

/// Told about every call a runtime finishes.
pub trait CallObserver: Send + Sync {
    /// One call ended (whatever its result).
    fn observed(&self, audit: CallAudit);
}

/// The observer of a runtime, when one was set.
#[derive(Default)]
pub(crate) struct Observers(std::sync::RwLock<Option<Arc<dyn CallObserver>>>);

impl Observers {
    pub(crate) fn set(&self, observer: Arc<dyn CallObserver>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(observer);
    }

    pub(crate) fn get(&self) -> Option<Arc<dyn CallObserver>> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
