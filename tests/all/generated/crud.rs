//! Each resource the specs let you create, through its component: create →
//! get → update → list → delete, then get again finds nothing.

use super::*;
use std::collections::BTreeMap;
use weft_manifest::Action;

/// The operations of one collection, by role.
#[derive(Default)]
struct Collection<'a> {
    ops: BTreeMap<&'static str, (&'a Action, &'a DescribedOperation)>,
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Create => "create",
        Role::Get => "get",
        Role::Update => "update",
        Role::Delete => "delete",
        Role::List => "list",
    }
}

/// Sets the path parameters of `op` (except its id) to the parent values, in order.
fn place(op: &DescribedOperation, input: &mut Map<String, Value>, parents: &[Value]) {
    let id = op.resource.as_ref().and_then(|r| r.id_param.clone());
    let names: Vec<String> = path_params(op).into_iter().filter(|p| Some(p) != id.as_ref()).collect();
    for (name, value) in names.iter().zip(parents) {
        input.insert(name.clone(), value.clone());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_resource_goes_through_create_get_update_list_delete() {
    let g = Generated::new().await;
    let connectors = g.load_all().await;
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for connector in &connectors {
        let api = api(connector);
        let mut collections: BTreeMap<String, Collection<'_>> = BTreeMap::new();
        for action in &connector.manifest.actions {
            let Some(op) = described(api, &action.key) else { continue };
            if let Some(res) = &op.resource {
                collections
                    .entry(res.collection.clone())
                    .or_default()
                    .ops
                    .entry(role_name(res.role))
                    .or_insert((action, op));
            }
        }
        for (name, c) in &collections {
            let (Some(create), Some(get)) = (c.ops.get("create"), c.ops.get("get")) else { continue };
            let at = format!("{}{name}", connector.manifest.id);
            match round_trip(&g, connector, c, *create, *get).await {
                Ok(steps) => checked.push(format!("{at}: {steps}")),
                Err(e) => failures.push(format!("{at}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} resources failed:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{} resources round-tripped:\n{}", checked.len(), checked.join("\n"));
    assert!(checked.len() >= 35, "only {} resources have a create and a get", checked.len());
}

/// The connection for `action` in a round trip: the agency's when the
/// resource was created with it and the action accepts it (a sub-account the
/// agency just created is not visible to another sub-account's token).
fn connection(g: &Generated, action: &Action, company: bool) -> Connection {
    let accepts_company = action.token_kinds.is_empty() || action.token_kinds.contains(&TokenKind::Company);
    if company && accepts_company { g.company() } else { g.connection_for(&action.token_kinds).0 }
}

async fn run(
    g: &Generated,
    connector: &LoadedConnector,
    action: &Action,
    input: &Map<String, Value>,
    company: bool,
) -> Result<Value, String> {
    let connection = connection(g, action, company);
    let out = g
        .runtime
        .execute(connector, &connection, &action.key, &Value::Object(input.clone()))
        .await
        .map_err(|e| format!("{} with {}: {e}", action.key, Value::Object(input.clone())))?;
    check_schema(&action.output_schema, &out).map_err(|e| format!("{} output: {e}", action.key))?;
    Ok(out)
}

fn entity_id(op: &DescribedOperation, out: &Value) -> Option<String> {
    let res = op.resource.as_ref()?;
    let entity = out.pointer(res.entity.as_deref().unwrap_or_default())?;
    entity.get(&res.id_field).and_then(Value::as_str).map(str::to_string)
}

async fn round_trip(
    g: &Generated,
    connector: &LoadedConnector,
    c: &Collection<'_>,
    (create, create_op): (&Action, &DescribedOperation),
    (get, get_op): (&Action, &DescribedOperation),
) -> Result<String, String> {
    let (_, company) = g.connection_for(&create.token_kinds);
    let input = input_for(&create.input_schema, company);
    let parents: Vec<Value> =
        path_params(create_op).iter().map(|p| input.get(p).cloned().unwrap_or_else(|| json!(LOCATION))).collect();
    let created = run(g, connector, create, &input, company).await?;
    let id = entity_id(create_op, &created).ok_or_else(|| format!("{} answered no id: {created}", create.key))?;
    let mut steps = vec!["create"];

    let with_id = |action: &Action, op: &DescribedOperation| {
        let (_, company) = g.connection_for(&action.token_kinds);
        let mut input = input_for(&action.input_schema, company);
        place(op, &mut input, &parents);
        if let Some(param) = op.resource.as_ref().and_then(|r| r.id_param.clone()) {
            input.insert(param, json!(id));
        }
        input
    };
    let got = run(g, connector, get, &with_id(get, get_op), company).await?;
    if entity_id(get_op, &got).as_deref() != Some(id.as_str()) {
        return Err(format!("{} answered another resource: {got}", get.key));
    }
    steps.push("get");
    if let Some((update, update_op)) = c.ops.get("update") {
        run(g, connector, update, &with_id(update, update_op), company).await?;
        steps.push("update");
    }
    if let Some((list, list_op)) = c.ops.get("list") {
        let listed = run(g, connector, list, &with_id(list, list_op), company).await?;
        let shape = list_op.list.as_ref().ok_or("a list without a list shape")?;
        let ids: Vec<&str> = listed
            .pointer(&shape.items)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(|i| i.get(&shape.id).and_then(Value::as_str)).collect())
            .unwrap_or_default();
        if !ids.contains(&id.as_str()) {
            return Err(format!("{} does not list {id}: {listed}", list.key));
        }
        steps.push("list");
    }
    if let Some((delete, delete_op)) = c.ops.get("delete") {
        run(g, connector, delete, &with_id(delete, delete_op), company).await?;
        steps.push("delete");
        let connection = connection(g, get, company);
        let gone = g.runtime.execute(connector, &connection, &get.key, &Value::Object(with_id(get, get_op))).await;
        match gone {
            Err(e) if e.code() == weft::ErrorCode::NotFound => steps.push("gone"),
            other => return Err(format!("{} after delete answered {other:?}", get.key)),
        }
    }
    Ok(steps.join(" → "))
}
