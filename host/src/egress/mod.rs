//! Outbound HTTP: the only network a connector has, and the one place the
//! host polices destinations and attaches credentials.

mod body;
mod budget;
mod client;
mod credential;
mod hooks;
mod ip;
mod policy;

pub use budget::{Budget, Budgets, MAX_RETRY_AFTER, SharedWindow};
pub use client::{HttpClient, Responder, StaticHosts, Upstream, build_client, find_refusal};
pub use credential::{Credential, CredentialProblem, CredentialSource, StaticCredential};
pub use hooks::{CallReport, EgressHooks, LaneTurn, LimitHit, RequestCaps};
pub use policy::{DestinationPolicy, EgressConfig, EgressDenial, EgressPolicy, Origin};
