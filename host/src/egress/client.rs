//! The one HTTP client every connector request goes through: pooled
//! keep-alive connections, TLS with the web PKI roots, and a resolver that
//! drops every address connectors may not reach before anything is dialled.

use super::policy::{EgressConfig, EgressDenial, EgressPolicy};
use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// A refusal by the address guard; found again in the error chain of a
/// failed request so the call can report it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct AddressRefused(pub EgressDenial);

/// Fixed answers for host names, like curl's `--resolve`; tests use them to
/// point names at addresses without a DNS server.
pub type StaticHosts = HashMap<String, Vec<IpAddr>>;

/// Resolves names, then keeps only addresses the policy allows.
#[derive(Clone)]
pub struct GuardedResolver {
    policy: Arc<EgressPolicy>,
    hosts: Arc<StaticHosts>,
}

impl tower_service::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, io::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.policy.clone();
        let hosts = self.hosts.clone();
        Box::pin(async move {
            let host = name.as_str().to_ascii_lowercase();
            let found: Vec<IpAddr> = match hosts.get(&host) {
                Some(ips) => ips.clone(),
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.map(|a| a.ip()).collect(),
            };
            let mut refused = Vec::new();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|ip| match policy.check_resolved(&host, *ip) {
                    Ok(()) => true,
                    Err(reason) => {
                        refused.push(reason);
                        false
                    }
                })
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if allowed.is_empty() {
                let why = match refused.len() {
                    0 => EgressDenial::Unresolved(format!("{host} did not resolve")),
                    1 => refused.remove(0),
                    _ => {
                        EgressDenial::Unresolved(refused.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
                    }
                };
                return Err(io::Error::new(io::ErrorKind::PermissionDenied, AddressRefused(why)));
            }
            Ok(allowed.into_iter())
        })
    }
}

/// The shared outbound HTTP client (http and https, HTTP/1): its resolver refuses addresses the
/// policy does not allow.
pub type HttpClient = Client<HttpsConnector<HttpConnector<GuardedResolver>>, Full<Bytes>>;

/// Answers a connector's request inside the process: benchmarks use it to
/// measure the sandbox alone, with no socket in the way.
pub type Responder = Arc<dyn Fn(http::Request<Bytes>) -> http::Response<Bytes> + Send + Sync>;

/// Where connector requests go once they passed the policy.
#[derive(Clone)]
pub enum Upstream {
    /// The pooled, address-guarded client: production.
    Network(Box<HttpClient>),
    /// An in-process responder.
    InProcess(Responder),
}

/// Builds the shared client. `hosts` overrides DNS for the names it lists.
pub fn build_client(config: &EgressConfig, hosts: StaticHosts) -> HttpClient {
    let policy = Arc::new(EgressPolicy::new(Vec::new(), config.clone()));
    let resolver = GuardedResolver { policy, hosts: Arc::new(hosts) };
    let mut http = HttpConnector::new_with_resolver(resolver);
    http.enforce_http(false);
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    http.set_nodelay(true);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(16)
        .build(https)
}

/// The address guard's refusal somewhere in `err`'s source chain.
pub fn find_refusal(err: &(dyn std::error::Error + 'static)) -> Option<EgressDenial> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<AddressRefused>() {
            return Some(refused.0.clone());
        }
        if let Some(inner) =
            e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()).and_then(|i| i.downcast_ref::<AddressRefused>())
        {
            return Some(inner.0.clone());
        }
        current = e.source();
    }
    None
}
