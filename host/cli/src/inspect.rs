//! `weft inspect`: what a connector offers, and what the host grants it.

use crate::args::Global;
use serde_json::{Value, json};
use std::path::Path;
use weft::Runtime;

pub(crate) async fn run(g: &Global, component: &Path) -> Result<(), String> {
    let config = g.host_config()?;
    let runtime = Runtime::new(config).map_err(|e| format!("{e:#}"))?;
    let connector = crate::progress::load(&runtime, component).await?;
    let mut shown = serde_json::to_value(&connector.manifest).map_err(|e| e.to_string())?;
    if let Value::Object(fields) = &mut shown {
        fields.insert("witVersion".into(), json!(connector.wit_version()));
        fields.insert("granted".into(), granted(&runtime, &connector));
    }
    let text = serde_json::to_string_pretty(&shown).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// What the host lets this connector do, as configured now.
fn granted(runtime: &Runtime, connector: &weft::LoadedConnector) -> Value {
    let config = runtime.config();
    let id = &connector.manifest.id;
    let settings = config.connectors.get(id);
    let secrets: Vec<Value> = connector
        .manifest
        .secrets
        .iter()
        .map(|s| json!({ "name": s.name, "set": settings.is_some_and(|c| c.secrets.contains_key(&s.name)) }))
        .collect();
    let mut hosts = connector.manifest.allowed_hosts.clone();
    hosts.push("the connection's base URL".into());
    json!({
        "network": "outbound HTTP only, through the host (wasi:http); no sockets, files, environment or clock control",
        "hosts": hosts,
        "loopback": config.egress.allow_loopback,
        "httpHosts": config.egress.allow_http_hosts,
        "credentials": "never readable; attached by the host to requests for the connection's own origin",
        "secrets": secrets,
        "limits": config.limits_for(id),
        "instances": {
            "allocator": runtime.allocator(),
            "concurrentCalls": config.concurrency,
            "precompiledFromCache": connector.from_cache,
            "digest": connector.digest,
        },
    })
}
