//! The connectors `weft-gen` generated from the official GHL specs, each run
//! end to end: the real component in the real host against the simulator,
//! which plays every operation from the same specs (fixed by the overlay).

mod actions;
mod crud;
mod inspect;
mod third_party;
mod triggers;

use crate::support::*;
use ghl_sim::described::{ApiDescription, DescribedOperation, Role};
use ghl_sim::generic::{ResourceKey, StoredResource};
use ghl_sim::synth::{Fill, sample};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use weft::{Connection, LoadedConnector, Runtime, Secret};
use weft_manifest::TokenKind;

/// The agency the company token is for.
pub(crate) const COMPANY: &str = "company-e2e";
/// A bearer token for `COMPANY`.
pub(crate) const COMPANY_TOKEN: &str = "agency-e2e-token";
/// A sub-account token with every scope the generated connectors declare.
pub(crate) const ALL_SCOPES_TOKEN: &str = "pit-e2e-all-scopes";

/// A simulator with tokens for every scope the connectors use, and a host.
pub(crate) struct Generated {
    pub world: World,
    pub runtime: Runtime,
}

impl Generated {
    pub(crate) async fn new() -> Generated {
        let world = World::new().await;
        // Hundreds of calls: GHL's 100 requests / 10 s would make these tests
        // wait for minutes. Budgets and 429s have tests of their own.
        let generous = ghl_sim::RateLimit { burst: 1_000_000, window_ms: 10_000, daily: 100_000_000 };
        world.sim.sim.set_rate_limit(generous).expect("a valid rate limit");
        let mut runtime_config = runtime_config();
        let ids = weft_tests::generated_components().into_iter().map(|(id, _)| id).chain(["ghl-social-planner"]);
        for id in ids {
            let settings = weft::ConnectorSettings {
                rate_limit: Some(weft_manifest::RateLimit {
                    requests: 1_000_000,
                    per_seconds: 10,
                    daily: None,
                    per: "locationId".into(),
                }),
                ..Default::default()
            };
            runtime_config.connectors.insert(id.to_string(), settings);
        }
        let runtime = Runtime::new(runtime_config).expect("create runtime");
        Generated { world, runtime }
    }

    /// Loads every generated component, and the social planner connector
    /// that embeds generated operations, and registers tokens for their scopes.
    pub(crate) async fn load_all(&self) -> Vec<LoadedConnector> {
        let mut loaded = Vec::new();
        let social = ("ghl-social-planner", weft_tests::ghl_component());
        for (name, path) in weft_tests::generated_components().into_iter().chain([social]) {
            let connector = self.runtime.load(path).await.unwrap_or_else(|e| panic!("load the {name} component: {e}"));
            loaded.push(connector);
        }
        let scopes: BTreeSet<String> = loaded
            .iter()
            .flat_map(|c| c.manifest.actions.iter().flat_map(|a| a.scopes.iter()))
            .chain(ghl_sim::SOCIAL_PLANNER_SCOPES.iter().map(|s| s.to_string()).collect::<Vec<_>>().iter())
            .cloned()
            .collect();
        self.world.sim.sim.register_token(ALL_SCOPES_TOKEN, LOCATION, scopes.iter().cloned());
        self.world.sim.sim.register_company_token(COMPANY_TOKEN, COMPANY, scopes);
        loaded
    }

    /// A sub-account connection with every scope.
    pub(crate) fn location(&self) -> Connection {
        Connection::with_bearer_token(
            self.world.sim.base_url(),
            json!({ "locationId": LOCATION, "companyId": COMPANY }),
            &Secret::new(ALL_SCOPES_TOKEN),
        )
    }

    /// An agency connection with every scope.
    pub(crate) fn company(&self) -> Connection {
        Connection::with_bearer_token(
            self.world.sim.base_url(),
            json!({ "companyId": COMPANY, "tokenKind": "company" }),
            &Secret::new(COMPANY_TOKEN),
        )
    }

    /// The connection an action or trigger with these token kinds runs with.
    pub(crate) fn connection_for(&self, kinds: &[TokenKind]) -> (Connection, bool) {
        if kinds.is_empty() || kinds.contains(&TokenKind::Location) {
            (self.location(), false)
        } else {
            (self.company(), true)
        }
    }

    /// The scope resources are stored under for that connection.
    pub(crate) fn scope(company: bool) -> &'static str {
        if company { COMPANY } else { LOCATION }
    }
}

/// A host configuration that may reach loopback and caches compiled components between runs.
fn runtime_config() -> weft::HostConfig {
    let mut config = weft::HostConfig::default();
    config.egress.allow_loopback = true;
    config.cache_dir = Some(weft_tests::workspace_root().join("target").join("test-component-cache"));
    config
}

/// A host with that configuration.
fn cached_runtime() -> Runtime {
    Runtime::new(runtime_config()).expect("create runtime")
}

/// The simulator's description of the connector's operations.
pub(crate) fn api(connector: &LoadedConnector) -> &'static ApiDescription {
    ghl_sim::generic::apis()
        .iter()
        .find(|a| a.connector == connector.manifest.id)
        .unwrap_or_else(|| panic!("no API description for {}", connector.manifest.id))
}

/// The described operation behind generated action `key`; `None` for a
/// hand-written action (the social planner's own, tested on their own).
pub(crate) fn described<'a>(api: &'a ApiDescription, key: &str) -> Option<&'a DescribedOperation> {
    let found = api.operations.iter().find(|o| o.action.as_deref() == Some(key));
    assert!(
        found.is_some() || api.connector == "ghl-social-planner",
        "{}: no described operation for `{key}`",
        api.connector
    );
    found
}

/// Path parameter names in path order.
pub(crate) fn path_params(op: &DescribedOperation) -> Vec<String> {
    op.path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_string)
        .collect()
}

/// Whether an input property is filled from the connection when left out.
fn fact_filled(schema: &Value, field: &str) -> bool {
    schema
        .pointer(&format!("/properties/{field}/description"))
        .and_then(Value::as_str)
        .is_some_and(|d| d.contains("connection"))
}

/// A minimal valid input: required fields sampled; on an agency connection,
/// the location fields the connection cannot fill are set to the test location.
pub(crate) fn input_for(schema: &Value, company: bool) -> Map<String, Value> {
    let mut input = match sample(schema, "", Fill::Required) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if company {
        for field in ["locationId", "location_id", "altId"] {
            if fact_filled(schema, field) {
                input.insert(field.into(), json!(LOCATION));
            }
        }
    }
    input
}

/// Where the resource an operation acts on lives, for the input given.
pub(crate) fn key_for(op: &DescribedOperation, input: &Map<String, Value>, scope: &str) -> Option<ResourceKey> {
    let res = op.resource.as_ref()?;
    let parents = path_params(op)
        .iter()
        .filter(|p| Some(p.as_str()) != res.id_param.as_deref())
        .map(|p| match input.get(p) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None if p == "locationId" => LOCATION.to_string(),
            None => String::new(),
        })
        .collect();
    Some(ResourceKey { collection: res.collection.clone(), parents, scope: scope.to_string() })
}

/// For an operation on one resource (get, update, delete), stores one and
/// points the input at it. The id is the location itself where the id is
/// the connection's location.
pub(crate) fn seed_target(
    g: &Generated,
    op: &DescribedOperation,
    schema: &Value,
    input: &mut Map<String, Value>,
    scope: &str,
) -> Option<StoredResource> {
    let res = op.resource.as_ref()?;
    if !matches!(res.role, Role::Get | Role::Update | Role::Delete) {
        return None;
    }
    let param = res.id_param.as_deref()?;
    let key = key_for(op, input, scope)?;
    // The connection's own sub-account or agency exists already: its id is fixed.
    let own = |value: &str| fact_filled(schema, param) || input.get(param) == Some(&json!(value));
    let fixed_id = match param {
        "locationId" if own(LOCATION) => Some(LOCATION.to_string()),
        "companyId" if own(COMPANY) => Some(COMPANY.to_string()),
        _ => None,
    };
    let stored = g.world.sim.sim.seed_resource(key, Map::new(), fixed_id);
    if !fact_filled(schema, param) || input.contains_key(param) {
        input.insert(param.to_string(), json!(stored.id));
    }
    Some(stored)
}

/// Checks `value` against a manifest schema, naming what is wrong.
pub(crate) fn check_schema(schema: &Value, value: &Value) -> Result<(), String> {
    let validator = jsonschema::validator_for(schema).map_err(|e| format!("the schema does not compile: {e}"))?;
    match validator.iter_errors(value).next() {
        Some(e) => Err(format!("at `{}`: {e}", e.instance_path())),
        None => Ok(()),
    }
}
