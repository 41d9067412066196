//! Where a connector may send requests: the origins its manifest declares and
//! its connection's base URL, over https, unless the operator allows more.

use super::ip;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// `scheme://host:port`, lowercased, with the default port filled in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// `http` or `https` (or whatever the URL says, for the policy to refuse).
    pub scheme: String,
    /// The host name or IP address, lowercase, IPv6 without brackets.
    pub host: String,
    /// The port, the scheme's default when the URL gives none.
    pub port: u16,
}

impl Origin {
    /// Parses the origin of an absolute URL.
    pub fn parse(url: &str) -> Result<Origin, EgressDenial> {
        let bad = |why: String| EgressDenial::BadUrl(why);
        let parsed = url::Url::parse(url).map_err(|e| bad(format!("`{url}` is not a URL: {e}")))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| bad(format!("`{url}` has no host")))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = parsed.port_or_known_default().ok_or_else(|| bad(format!("`{url}` has no port")))?;
        Ok(Origin { scheme: parsed.scheme().to_string(), host, port })
    }

    /// The origin of a request URI as `wasi:http` hands it to the host.
    pub fn of_uri(uri: &http::Uri) -> Result<Origin, EgressDenial> {
        let scheme = uri.scheme_str().ok_or_else(|| EgressDenial::BadUrl("the request has no scheme".into()))?;
        let authority = uri.authority().ok_or_else(|| EgressDenial::BadUrl("the request has no host".into()))?;
        Origin::parse(&format!("{scheme}://{authority}/"))
    }

    /// The host as an IP address, when it is a literal.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// Whether the host names this machine.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.ip().is_some_and(ip::is_loopback)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}://[{}]:{}", self.scheme, self.host, self.port)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

/// What the operator allows beyond the default (public https only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct EgressConfig {
    /// Let connectors reach 127.0.0.0/8 and ::1 (plain http included), for
    /// the simulator, tests and demos. Never in production.
    #[serde(default)]
    pub allow_loopback: bool,
    /// Host names that may be called over plain http.
    #[serde(default)]
    pub allow_http_hosts: Vec<String>,
}

/// Why a request was refused before anything was sent. The words say what
/// to do; the case decides what the host does (a call error, a delivery
/// failure, a 422 on a subscription's destination).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EgressDenial {
    /// The URL cannot be read.
    #[error("{0}")]
    BadUrl(String),
    /// Not one of the origins the connector may call.
    #[error(
        "{origin} is not an allowed host of this connector (allowed: {}); declare it in the manifest's allowedHosts",
        allowed.join(", ")
    )]
    NotAllowed {
        /// Where the request was going.
        origin: String,
        /// Where it may go.
        allowed: Vec<String>,
    },
    /// This machine, and the operator has not allowed loopback.
    #[error(
        "{origin} is on this machine; the operator has not allowed loopback (egress.allow_loopback / --allow-loopback)"
    )]
    Loopback {
        /// Where the request was going.
        origin: String,
    },
    /// Plain http to a host the operator has not listed.
    #[error(
        "{origin} uses plain http; only https is allowed unless the operator lists the host in egress.allow_http_hosts"
    )]
    PlainHttp {
        /// Where the request was going.
        origin: String,
    },
    /// A scheme other than http(s).
    #[error("scheme `{scheme}` is not allowed; use https")]
    Scheme {
        /// The scheme asked for.
        scheme: String,
    },
    /// An address literal that is not on the public internet.
    #[error("{origin} is a {reason} address, which connectors may not reach")]
    NonPublic {
        /// Where the request was going.
        origin: String,
        /// What kind of address it is.
        reason: &'static str,
    },
    /// A name that resolves to an address that is not on the public internet.
    #[error("{host} resolves to {addr}, a {reason} address, which connectors may not reach")]
    ResolvesNonPublic {
        /// The name.
        host: String,
        /// What it resolved to.
        addr: IpAddr,
        /// What kind of address that is.
        reason: &'static str,
    },
    /// A name that did not resolve to any address that may be dialled.
    #[error("{0}")]
    Unresolved(String),
}

/// The decision for one request.
#[derive(Debug, Clone)]
pub struct EgressPolicy {
    allowed: Vec<Origin>,
    config: EgressConfig,
}

impl EgressPolicy {
    /// A policy allowing `allowed`, with what the operator permits beyond public https.
    pub fn new(allowed: Vec<Origin>, config: EgressConfig) -> Self {
        EgressPolicy { allowed, config }
    }

    /// What the operator permits beyond public https.
    pub fn config(&self) -> &EgressConfig {
        &self.config
    }

    /// The origins requests may go to.
    pub fn allowed(&self) -> &[Origin] {
        &self.allowed
    }

    /// `Ok` when `origin` may be called, else why not, in words a connector
    /// developer can act on.
    pub fn check(&self, origin: &Origin) -> Result<(), EgressDenial> {
        if !self.allowed.contains(origin) {
            let allowed = self.allowed.iter().map(Origin::to_string).collect();
            return Err(EgressDenial::NotAllowed { origin: origin.to_string(), allowed });
        }
        let loopback = origin.is_loopback();
        if loopback && !self.config.allow_loopback {
            return Err(EgressDenial::Loopback { origin: origin.to_string() });
        }
        match origin.scheme.as_str() {
            "https" => {}
            "http" if loopback || self.config.allow_http_hosts.contains(&origin.host) => {}
            "http" => return Err(EgressDenial::PlainHttp { origin: origin.to_string() }),
            other => return Err(EgressDenial::Scheme { scheme: other.to_string() }),
        }
        let reason = origin.ip().filter(|_| !(loopback && self.config.allow_loopback)).and_then(ip::non_public_reason);
        if let Some(reason) = reason {
            return Err(EgressDenial::NonPublic { origin: origin.to_string(), reason });
        }
        Ok(())
    }

    /// Whether a resolved address may be dialled.
    pub fn check_resolved(&self, host: &str, addr: IpAddr) -> Result<(), EgressDenial> {
        if ip::is_loopback(addr) && self.config.allow_loopback {
            return Ok(());
        }
        match ip::non_public_reason(addr) {
            Some(reason) => Err(EgressDenial::ResolvesNonPublic { host: host.to_string(), addr, reason }),
            None => Ok(()),
        }
    }
}

/// Where webhooks may be delivered: the connectors' rules for addresses,
/// checked when a subscription is created or changed so a builder hears at
/// once, not after a day of failed deliveries. The address guard checks
/// again at every delivery.
#[derive(Debug, Clone, Default)]
pub struct DestinationPolicy {
    /// What the operator allows beyond public https.
    pub egress: EgressConfig,
    /// Fixed DNS answers, as for connectors.
    pub static_hosts: super::StaticHosts,
}

impl DestinationPolicy {
    /// `Ok` when a webhook at `url` may be delivered to. A name that does not
    /// resolve now passes (deliveries retry); one that resolves only to
    /// addresses that may not be reached does not.
    pub async fn check(&self, url: &str) -> Result<(), EgressDenial> {
        let origin = Origin::parse(url)?;
        let policy = EgressPolicy::new(vec![origin.clone()], self.egress.clone());
        policy.check(&origin)?;
        if origin.ip().is_some() || origin.is_loopback() {
            return Ok(());
        }
        let found: Vec<IpAddr> = match self.static_hosts.get(&origin.host) {
            Some(ips) => ips.clone(),
            None => match tokio::net::lookup_host((origin.host.as_str(), origin.port)).await {
                Ok(addrs) => addrs.map(|a| a.ip()).collect(),
                Err(_) => return Ok(()),
            },
        };
        let mut refusal = None;
        for ip in &found {
            match policy.check_resolved(&origin.host, *ip) {
                Ok(()) => return Ok(()),
                Err(e) => refusal = refusal.or(Some(e)),
            }
        }
        refusal.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allowed: &[&str], config: EgressConfig) -> EgressPolicy {
        EgressPolicy::new(allowed.iter().map(|u| Origin::parse(u).expect("origin")).collect(), config)
    }

    fn origin(u: &str) -> Origin {
        Origin::parse(u).expect("origin")
    }

    #[test]
    fn only_declared_origins_pass() {
        let p = policy(&["https://services.leadconnectorhq.com"], EgressConfig::default());
        assert!(p.check(&origin("https://services.leadconnectorhq.com/x")).is_ok());
        assert!(p.check(&origin("https://services.leadconnectorhq.com:8443/")).is_err());
        assert!(p.check(&origin("http://services.leadconnectorhq.com/")).is_err());
        assert!(p.check(&origin("https://evil.example/")).is_err());
    }

    #[test]
    fn loopback_needs_the_operator() {
        let sim = "http://127.0.0.1:4010";
        assert!(policy(&[sim], EgressConfig::default()).check(&origin(sim)).is_err());
        let dev = EgressConfig { allow_loopback: true, ..EgressConfig::default() };
        assert!(policy(&[sim], dev.clone()).check(&origin(sim)).is_ok());
        let private = "http://10.0.0.1:80";
        assert!(policy(&[private], dev).check(&origin(private)).is_err());
    }

    #[tokio::test]
    async fn webhook_destinations_on_addresses_connectors_may_not_reach_are_refused() {
        let hosts = [("inside.test".to_string(), vec!["10.0.0.7".parse().expect("ip")])].into();
        let policy = DestinationPolicy { egress: EgressConfig::default(), static_hosts: hosts };
        for url in ["https://10.1.2.3/h", "https://169.254.169.254/latest", "http://127.0.0.1:9/h", "https://[::1]/h"] {
            assert!(policy.check(url).await.is_err(), "{url}");
        }
        let named = policy.check("https://inside.test/hook").await.expect_err("resolves to a private address");
        assert!(matches!(named, EgressDenial::ResolvesNonPublic { .. }), "{named}");
        assert!(policy.check("https://93.184.216.34/hook").await.is_ok());
        let dev = DestinationPolicy {
            egress: EgressConfig { allow_loopback: true, ..EgressConfig::default() },
            ..DestinationPolicy::default()
        };
        assert!(dev.check("http://127.0.0.1:9/h").await.is_ok());
    }

    #[test]
    fn resolved_private_addresses_are_refused() {
        let p = policy(&[], EgressConfig::default());
        assert!(p.check_resolved("a.test", "169.254.169.254".parse().expect("ip")).is_err());
        assert!(p.check_resolved("a.test", "93.184.216.34".parse().expect("ip")).is_ok());
    }
}
