//! A run of the generator: documents and overlay in; the connector's
//! manifest, operation table, simulator description and coverage out.

use crate::described::ApiDescription;
use crate::docs::Docs;
use crate::error::GenError;
use crate::naming;
use crate::overlay::Overlay;
use crate::plan::{self, Outcome, Planned};
use crate::shape;
use crate::synth::{Fill, sample};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use weft_manifest::{
    Action, ActionEffect, AuthMethod, ConnectionTest, ConnectorManifest, DynamicField, OperationSource, PollSettings,
    RateLimit, StartPoint, TokenKind, Trigger,
};
use weft_openapi_runtime::table::{Dropdown, Operation, Table, TriggerKind, TriggerSpec};

/// What became of one operation of the documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Coverage {
    /// The spec file it comes from, e.g. `contacts.json`.
    pub spec: String,
    /// The spec's `operationId`, or `<METHOD> <path>` when it has none.
    pub operation_id: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template, e.g. `/contacts/{contactId}`.
    pub path: String,
    /// The connector offering it.
    pub connector: String,
    /// Its action, when available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Why it is not available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Everything one run produces.
pub struct Generated {
    /// The connector's manifest: its actions, triggers, auth and limits.
    pub manifest: ConnectorManifest,
    /// The operation table the connector's runtime interprets at call time.
    pub table: Table,
    /// Every operation as the simulator plays it, actions or not.
    pub described: ApiDescription,
    /// What became of each operation of the documents.
    pub coverage: Vec<Coverage>,
}

fn token_kind(kind: &str) -> Option<TokenKind> {
    match kind {
        "location" => Some(TokenKind::Location),
        "company" => Some(TokenKind::Company),
        _ => None,
    }
}

fn kinds(list: &[String]) -> Vec<TokenKind> {
    list.iter().filter_map(|k| token_kind(k)).collect()
}

/// A key not yet in `taken`: `key`, else `<prefix>-<key>`, else numbered.
fn unique(taken: &mut HashSet<String>, key: &str, prefix: &str) -> String {
    let mut candidates = vec![key.to_string(), format!("{prefix}-{key}")];
    candidates.extend((2..100).map(|n| format!("{prefix}-{key}-{n}")));
    let chosen = candidates.into_iter().find(|c| !taken.contains(c)).unwrap_or_else(|| key.to_string());
    taken.insert(chosen.clone());
    chosen
}

fn spec_stem(spec: &str) -> String {
    naming::kebab(spec.trim_end_matches(".json"))
}

/// Runs the generator over `specs` with `overlay`.
pub fn generate(specs: &[PathBuf], overlay: &Overlay) -> Result<Generated, GenError> {
    let connector_id =
        overlay.connector.id.clone().ok_or_else(|| GenError::Invalid("the overlay names no connector id".into()))?;
    let mut docs = Docs::new(overlay.patch.clone());
    let mut files = Vec::new();
    for spec in specs {
        files.push(docs.load(spec)?);
    }
    let mut outcomes = Vec::new();
    for file in &files {
        for src in plan::operations(&docs, file) {
            outcomes.push(plan::plan(&mut docs, overlay, &src)?);
        }
    }
    let mut planned: Vec<Planned> = Vec::new();
    let mut coverage = Vec::new();
    let mut described = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Planned(p) => planned.push(*p),
            Outcome::Unavailable { source, reason, described: d } => {
                coverage.push(entry(&source, &connector_id, None, Some(reason)));
                described.extend(d.map(|d| *d));
            }
        }
    }
    let mut taken = HashSet::new();
    for p in &mut planned {
        p.key = unique(&mut taken, &p.key, &spec_stem(&p.source.spec));
        p.operation.key = p.key.clone();
        p.described.action = p.handwritten.is_none().then(|| p.key.clone());
    }
    let mut actions = Vec::new();
    let mut triggers = Vec::new();
    let mut table = Table {
        headers: overlay.connector.headers.clone(),
        scope_error_marker: overlay.connector.scope_error_marker.clone(),
        ..Table::default()
    };
    let mut trigger_keys = HashSet::new();
    let poll = overlay.connector.poll_seconds.unwrap_or((300, 60));
    // Every problem of the run at once, so one regeneration shows them all.
    let mut errors: Vec<String> = Vec::new();
    for p in &planned {
        let mut d = p.described.clone();
        for (name, value) in &overlay.connector.headers {
            if !d.headers.keys().any(|h| h.eq_ignore_ascii_case(name)) {
                d.headers.insert(name.clone(), value.clone());
            }
        }
        described.push(d);
        if let Some(at) = &p.handwritten {
            coverage.push(entry(&p.source, &connector_id, Some(at.clone()), None));
            continue;
        }
        coverage.push(entry(&p.source, &connector_id, Some(format!("{connector_id}/{}", p.key)), None));
        match action(p) {
            Ok(a) => actions.push(a),
            Err(e) => errors.push(e.to_string()),
        }
        table.operations.push(p.operation.clone());
        if p.no_triggers {
            continue;
        }
        match list_triggers(p, &mut trigger_keys, poll) {
            Ok(made) => {
                for (spec, trigger) in made {
                    table.triggers.push(spec);
                    triggers.push(trigger);
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(GenError::Invalid(format!("{connector_id}:\n  {}", errors.join("\n  "))));
    }
    add_dropdowns(&mut docs, overlay, specs, &planned, &mut actions, &mut triggers, &mut table)?;
    // A dropdown's list call needs its own scopes: OAuth asks for them too.
    let dropdown_scopes: Vec<String> = table
        .dropdowns
        .iter()
        .filter_map(|d| table.operation(&d.operation))
        .flat_map(|op| op.scopes.iter().cloned())
        .collect();
    let manifest = manifest(overlay, &connector_id, &files, &docs, actions, triggers, &dropdown_scopes)?;
    let problems = weft_manifest::check(&manifest);
    if !problems.is_empty() {
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(GenError::Invalid(format!("the generated manifest is wrong: {}", text.join("; "))));
    }
    Ok(Generated {
        manifest,
        table,
        described: ApiDescription { connector: connector_id, operations: described },
        coverage,
    })
}

fn entry(source: &OperationSource, connector: &str, action: Option<String>, reason: Option<String>) -> Coverage {
    Coverage {
        spec: source.spec.clone(),
        operation_id: source.operation_id.clone(),
        method: source.method.clone(),
        path: source.path.clone(),
        connector: connector.to_string(),
        action,
        reason,
    }
}

/// A sample valid against `schema`, or an error naming what is wrong.
fn checked_sample(schema: &Value, at: &str) -> Result<Value, GenError> {
    let value = sample(schema, "", Fill::All);
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| GenError::Invalid(format!("{at}: the generated schema does not compile: {e}")))?;
    if let Some(error) = validator.iter_errors(&value).next() {
        return Err(GenError::Invalid(format!(
            "{at}: the generated sample is invalid at `{}`: {error}",
            error.instance_path()
        )));
    }
    Ok(value)
}

fn action(p: &Planned) -> Result<Action, GenError> {
    jsonschema::validator_for(&p.input_schema)
        .map_err(|e| GenError::Invalid(format!("{}: the input schema does not compile: {e}", p.key)))?;
    let help = p.help.clone().unwrap_or_else(|| {
        naming::action_help(&naming::HelpFacts {
            method: &p.source.method,
            path: &p.source.path,
            required: p.required_inputs.clone(),
            scopes: &p.operation.scopes,
            token_kinds: &p.operation.token_kinds,
            lists: p.operation.list.is_some(),
            output_described: p.output_described,
            deprecated: p.deprecated,
        })
    });
    Ok(Action {
        key: p.key.clone(),
        label: p.label.clone(),
        help,
        input_schema: p.input_schema.clone(),
        output_schema: p.output_schema.clone(),
        sample: checked_sample(&p.output_schema, &p.key)?,
        scopes: p.operation.scopes.clone(),
        dynamic_options: Vec::new(),
        token_kinds: kinds(&p.operation.token_kinds),
        source: Some(p.source.clone()),
        // A list sent as a POST (a search) only reads; its method would say it writes.
        effect: (p.operation.list.is_some() && !p.source.method.eq_ignore_ascii_case("GET"))
            .then_some(ActionEffect::Read),
    })
}

/// A trigger's input: the list's input without what paging drives.
fn trigger_input(p: &Planned) -> Value {
    let driven: Vec<&str> = p.operation.paging.as_ref().map(|pg| pg.driven()).unwrap_or_default();
    let mut input = p.input_schema.clone();
    if let Some(props) = input.get_mut("properties").and_then(Value::as_object_mut) {
        props.retain(|k, _| !driven.contains(&k.as_str()));
    }
    if let Some(required) = input.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|r| r.as_str().is_none_or(|r| !driven.contains(&r)));
    }
    input
}

/// "New item", and "new or updated item" where items carry an updated-at.
fn list_triggers(
    p: &Planned,
    taken: &mut HashSet<String>,
    (default_interval, min_interval): (u32, u32),
) -> Result<Vec<(TriggerSpec, Trigger)>, GenError> {
    let (Some(shape), Some(item)) = (&p.operation.list, &p.item_schema) else { return Ok(Vec::new()) };
    let noun = shape::item_noun(shape, &p.source.path);
    let words = noun.replace('-', " ");
    let mut kinds_wanted =
        vec![(TriggerKind::New, format!("new-{noun}"), format!("New {words}"), shape.created.clone())];
    if let Some(updated) = &shape.updated {
        kinds_wanted.push((
            TriggerKind::NewOrUpdated,
            format!("new-or-updated-{noun}"),
            format!("New or updated {words}"),
            Some(updated.clone()),
        ));
    }
    let mut out = Vec::new();
    for (kind, key, label, stamp) in kinds_wanted {
        let key = unique(taken, &key, &p.key);
        let mut start_points = vec![StartPoint::Now, StartPoint::All];
        if stamp.is_some() {
            start_points.push(StartPoint::Since);
        }
        let updated = matches!(kind, TriggerKind::NewOrUpdated).then_some(shape.updated.as_deref()).flatten();
        let trigger = Trigger {
            key: key.clone(),
            label: format!("{label} ({})", p.label.to_lowercase()),
            help: naming::trigger_help(&p.source.method, &p.source.path, &shape.id, updated),
            input_schema: trigger_input(p),
            output_schema: item.clone(),
            sample: checked_sample(item, &key)?,
            scopes: p.operation.scopes.clone(),
            poll: PollSettings { default_interval_seconds: default_interval, min_interval_seconds: min_interval },
            start_points,
            dynamic_options: Vec::new(),
            token_kinds: kinds(&p.operation.token_kinds),
            source: Some(p.source.clone()),
            instant: None,
        };
        out.push((TriggerSpec { key, operation: p.key.clone(), kind }, trigger));
    }
    Ok(out)
}

fn has_input(schema: &Value, field: &str) -> bool {
    schema.get("properties").and_then(|p| p.get(field)).is_some()
}

/// Dropdowns: each input `field` of the chosen operations gets its choices
/// from a list operation, planned here as a helper when it is not an action.
fn add_dropdowns(
    docs: &mut Docs,
    overlay: &Overlay,
    specs: &[PathBuf],
    planned: &[Planned],
    actions: &mut [Action],
    triggers: &mut [Trigger],
    table: &mut Table,
) -> Result<(), GenError> {
    let dir = specs.first().and_then(|s| s.parent()).map(Path::to_path_buf).unwrap_or_default();
    for dd in &overlay.dropdown {
        let overlay_key = |s: &OperationSource| format!("{}#{}", s.spec, s.operation_id);
        let matches = |source: &Option<OperationSource>| {
            dd.only.is_empty() || source.as_ref().is_some_and(|s| dd.only.contains(&overlay_key(s)))
        };
        let mut keys = Vec::new();
        for a in actions.iter_mut().filter(|a| has_input(&a.input_schema, &dd.field) && matches(&a.source)) {
            a.dynamic_options.push(DynamicField { field: dd.field.clone(), help: dd.help.clone() });
            keys.push(a.key.clone());
        }
        for t in triggers.iter_mut().filter(|t| has_input(&t.input_schema, &dd.field) && matches(&t.source)) {
            t.dynamic_options.push(DynamicField { field: dd.field.clone(), help: dd.help.clone() });
            keys.push(t.key.clone());
        }
        if keys.is_empty() {
            continue;
        }
        let in_connector = planned.iter().find(|p| overlay_key(&p.source) == dd.operation && p.handwritten.is_none());
        let operation = match in_connector {
            Some(p) => p.key.clone(),
            None => helper(docs, overlay, &dir, &dd.operation, table)?,
        };
        table.dropdowns.push(Dropdown { field: dd.field.clone(), keys, operation });
    }
    Ok(())
}

/// Plans a list operation of another document as a dropdown helper.
fn helper(docs: &mut Docs, overlay: &Overlay, dir: &Path, wanted: &str, table: &mut Table) -> Result<String, GenError> {
    let (spec, _) = wanted
        .split_once('#')
        .ok_or_else(|| GenError::Invalid(format!("dropdown operation `{wanted}` is not `<spec>#<operationId>`")))?;
    let file = docs.load(&dir.join(spec))?;
    let src = plan::operations(docs, &file)
        .into_iter()
        .find(|s| s.overlay_key() == wanted)
        .ok_or_else(|| GenError::Invalid(format!("dropdown operation `{wanted}` does not exist")))?;
    let Outcome::Planned(p) = plan::plan(docs, overlay, &src)? else {
        return Err(GenError::Invalid(format!("dropdown operation `{wanted}` is unavailable")));
    };
    if p.operation.list.is_none() {
        return Err(GenError::Invalid(format!("dropdown operation `{wanted}` does not list")));
    }
    let key = format!("options-{}", p.key);
    if table.operation(&key).is_none() {
        table.operations.push(Operation { key: key.clone(), ..p.operation });
    }
    Ok(key)
}

fn manifest(
    overlay: &Overlay,
    id: &str,
    files: &[PathBuf],
    docs: &Docs,
    actions: Vec<Action>,
    triggers: Vec<Trigger>,
    dropdown_scopes: &[String],
) -> Result<ConnectorManifest, GenError> {
    let c = &overlay.connector;
    let base_url = c
        .base_url
        .clone()
        .or_else(|| {
            let doc = docs.doc(files.first()?);
            doc.pointer("/servers/0/url").and_then(Value::as_str).map(str::to_string)
        })
        .ok_or_else(|| GenError::Invalid("no base URL: set connector.base_url in the overlay".into()))?;
    let scopes: BTreeSet<String> = actions
        .iter()
        .flat_map(|a| a.scopes.iter())
        .chain(triggers.iter().flat_map(|t| t.scopes.iter()))
        .chain(dropdown_scopes)
        .cloned()
        .collect();
    let mut auth = Vec::new();
    for raw in &c.auth {
        let mut method: AuthMethod = serde_json::from_value(raw.clone())
            .map_err(|e| GenError::Invalid(format!("overlay connector.auth entry is not an auth method: {e}")))?;
        if let AuthMethod::Oauth2 { scopes: listed, .. } = &mut method
            && listed.is_empty()
        {
            *listed = scopes.iter().cloned().collect();
        }
        auth.push(method);
    }
    if auth.is_empty() {
        auth.push(AuthMethod::BearerToken {
            label: "API token".into(),
            help: "Paste a bearer token for this API.".into(),
        });
    }
    let rate_limit: Option<RateLimit> = match c.rate_limit.clone() {
        Some(v) => Some(serde_json::from_value(v).map_err(|e| GenError::Invalid(format!("overlay rate_limit: {e}")))?),
        None => None,
    };
    let connection_test: Option<ConnectionTest> = match c.connection_test.clone() {
        Some(v) => {
            Some(serde_json::from_value(v).map_err(|e| GenError::Invalid(format!("overlay connection_test: {e}")))?)
        }
        None => None,
    };
    let name = c.name.clone().unwrap_or_else(|| {
        let title = files.first().and_then(|f| docs.doc(f).pointer("/info/title")).and_then(Value::as_str);
        title.map(str::to_string).unwrap_or_else(|| naming::sentence(id))
    });
    Ok(ConnectorManifest {
        id: id.to_string(),
        version: c.version.clone().unwrap_or_else(|| "0.1.0".into()),
        name,
        description: c.description.clone().unwrap_or_else(|| {
            format!("Generated from an OpenAPI document: {} actions and {} triggers.", actions.len(), triggers.len())
        }),
        auth,
        allowed_hosts: vec![base_url.trim_end_matches('/').to_string()],
        rate_limit,
        secrets: Vec::new(),
        connection_test,
        triggers,
        actions,
    })
}

/// The JSON a generated file holds: pretty, keys sorted (so the file is the
/// same whatever `serde_json` features the build unifies), a final newline.
pub fn pretty(value: &impl Serialize) -> Result<String, GenError> {
    let value = serde_json::to_value(value).map_err(|e| GenError::Invalid(e.to_string()))?;
    let mut text = weft_manifest::canonical_json(&value);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}
