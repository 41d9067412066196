//! Every generated trigger: the first poll seeds (records what exists and
//! emits nothing), an item added afterwards is emitted exactly once, and a
//! "new or updated" trigger emits a changed item once more.

use super::*;
use weft::PollMeta;

/// What the README says of the GHL connectors: "118 "new item" triggers".
pub(crate) const README_TRIGGERS: usize = 118;
use weft_manifest::Trigger;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_generated_trigger_seeds_then_emits_a_new_item_once() {
    let g = Generated::new().await;
    let connectors = g.load_all().await;
    let mut ran = 0;
    let mut failures = Vec::new();
    for connector in &connectors {
        let api = api(connector);
        for trigger in connector.manifest.triggers.iter().filter(|t| is_generated(api, t)) {
            let id = format!("{}/{}", connector.manifest.id, trigger.key);
            match check_trigger(&g, connector, api, trigger).await {
                Ok(()) => ran += 1,
                Err(e) => failures.push(format!("{id}: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} triggers failed:\n{}",
        failures.len(),
        ran + failures.len(),
        failures.join("\n")
    );
    eprintln!("{ran} generated triggers seeded and fired once");
    assert_eq!(ran, README_TRIGGERS, "the README's figure of generated triggers");
}

/// Whether a trigger polls a generated operation (the social planner's own triggers are tested on their own).
fn is_generated(api: &ApiDescription, trigger: &Trigger) -> bool {
    const HAND_WRITTEN: [&str; 5] = ["new-tag", "tag-details", "post-statistics", "post-published", "new-post"];
    let hand_written = api.connector == "ghl-social-planner" && HAND_WRITTEN.contains(&trigger.key.as_str());
    !hand_written
        && trigger.source.as_ref().is_some_and(|s| {
            api.operations.iter().any(|o| o.operation_id == s.operation_id && o.spec == s.spec && o.action.is_some())
        })
}

async fn poll(
    g: &Generated,
    connector: &LoadedConnector,
    trigger: &Trigger,
    input: &Map<String, Value>,
    cursor: Option<String>,
    seed: bool,
) -> Result<weft::PollOutcome, String> {
    let (connection, _) = g.connection_for(&trigger.token_kinds);
    g.runtime
        .poll(
            connector,
            &connection,
            &trigger.key,
            &Value::Object(input.clone()),
            cursor,
            PollMeta { seed, since: None },
        )
        .await
        .map_err(|e| format!("poll with {}: {e}", Value::Object(input.clone())))
}

async fn check_trigger(
    g: &Generated,
    connector: &LoadedConnector,
    api: &ApiDescription,
    trigger: &Trigger,
) -> Result<(), String> {
    let source = trigger.source.as_ref().ok_or("no source")?;
    let op = api
        .operations
        .iter()
        .find(|o| o.operation_id == source.operation_id && o.spec == source.spec)
        .ok_or("no described list operation")?;
    let (_, company) = g.connection_for(&trigger.token_kinds);
    let input = input_for(&trigger.input_schema, company);
    let key = key_for(op, &input, Generated::scope(company)).ok_or("the list has no resource collection")?;
    // Something exists before the subscription starts.
    let before = g.world.sim.sim.seed_resource(key.clone(), Map::new(), None);
    let seeded = poll(g, connector, trigger, &input, None, true).await?;
    if !seeded.events.is_empty() {
        return Err(format!("the seeding poll emitted {} events", seeded.events.len()));
    }
    let added = g.world.sim.sim.seed_resource(key.clone(), Map::new(), None);
    let next = poll(g, connector, trigger, &input, seeded.cursor.clone(), false).await?;
    let ids: Vec<&str> = next.events.iter().map(|e| e.id.as_str()).collect();
    match ids.as_slice() {
        [one] if one.starts_with(&added.id) => {}
        other => {
            return Err(format!("after adding {} (and {} before), the poll emitted {other:?}", added.id, before.id));
        }
    }
    check_schema(&trigger.output_schema, &next.events[0].data)?;
    let again = poll(g, connector, trigger, &input, next.cursor.clone(), false).await?;
    if !again.events.is_empty() {
        return Err(format!(
            "a poll with nothing new emitted {:?}",
            again.events.iter().map(|e| &e.id).collect::<Vec<_>>()
        ));
    }
    if trigger.key.contains("new-or-updated-") {
        g.world.sim.sim.update_resource(&key, &before.id, Map::new()).ok_or("the seeded item vanished")?;
        let changed = poll(g, connector, trigger, &input, again.cursor.clone(), false).await?;
        let ids: Vec<&str> = changed.events.iter().map(|e| e.id.as_str()).collect();
        match ids.as_slice() {
            [one] if one.starts_with(&before.id) => {}
            other => return Err(format!("after changing {}, the poll emitted {other:?}", before.id)),
        }
    }
    Ok(())
}
