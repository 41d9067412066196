//! Connectors as tools for AI agents, over the Model Context Protocol.
//!
//! Each exposed action of a workspace's connections is a tool whose schemas
//! are the manifest's own. A tool call takes the same path as
//! `POST /v1/connectors/{id}/actions/{key}/run`: input checked, a fresh
//! sandbox, the egress policy, the credential injected by the host (the
//! model never sees it, nor does the connector), limits, the rate budget,
//! output checked. Failures come back as tool errors in words with the
//! host's error code and the field to blame, so a model can fix its input.
//!
//! [`Tools`] is the protocol-free core; `protocol` adapts it to the MCP SDK
//! for `weft serve` (Streamable HTTP) and `weft mcp --stdio`.

pub mod catalog;
pub mod exposure;
mod protocol;

pub use catalog::{CHOICES_TOOL, Target, ToolDef};
pub use exposure::Exposure;
pub use protocol::{McpWorkspace, serve_stdio, streamable_http};

use crate::runtime::{Connection, LoadedConnector, Runtime};
use crate::server::Problem;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

/// Where the tools' connections come from: the server's store, or the one
/// connection `weft mcp` was given.
#[async_trait::async_trait]
pub trait ToolHost: Send + Sync + 'static {
    /// The engine calls run in.
    fn runtime(&self) -> &Runtime;
    /// The workspace's connections, each by name with its loaded connector;
    /// a connection whose connector is not loaded is left out.
    async fn connections(&self, workspace: &str) -> Result<Vec<(String, Arc<LoadedConnector>)>, Problem>;
    /// What the workspace shows to agents.
    async fn exposure(&self, workspace: &str) -> Result<Exposure, Problem>;
    /// The connection as a call uses it, credential included.
    async fn connection(&self, workspace: &str, name: &str, connector: &LoadedConnector)
    -> Result<Connection, Problem>;
    /// The workspace's subscriptions, whose events an agent may read; none
    /// where there is no store.
    async fn feeds(&self, _workspace: &str) -> Result<Vec<Feed>, Problem> {
        Ok(Vec::new())
    }
    /// A subscription's latest `limit` events, newest first; `None` when it does not exist.
    async fn recent_events(
        &self,
        _workspace: &str,
        _subscription: &str,
        _limit: u32,
    ) -> Result<Option<Vec<Value>>, Problem> {
        Ok(None)
    }
}

/// A subscription, readable as an MCP resource: its trigger's recent events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// The subscription's name.
    pub subscription: String,
    /// The trigger's key.
    pub trigger: String,
    /// The trigger's label, as builders see it.
    pub trigger_label: String,
    /// The connector's name.
    pub connector: String,
    /// The connection it polls with.
    pub connection: String,
}

impl Feed {
    /// Where an MCP client reads it.
    pub fn uri(&self) -> String {
        format!("{FEED_PREFIX}{}{FEED_SUFFIX}", self.subscription)
    }
}

const FEED_PREFIX: &str = "weft://subscriptions/";
const FEED_SUFFIX: &str = "/events";

/// How many of a subscription's latest events a read gives.
pub const EVENTS_READ: u32 = 50;

/// What a tool call gave: the structured result (or the error's code, detail
/// and field) and a short text of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    /// Valid against the tool's output schema, unless `is_error`.
    pub structured: Value,
    /// The same in a line, for clients that show text.
    pub text: String,
    /// Whether the call failed.
    pub is_error: bool,
}

impl ToolResult {
    fn ok(structured: Value) -> ToolResult {
        let text = structured.to_string();
        ToolResult { structured, text, is_error: false }
    }

    fn failed(problem: &Problem) -> ToolResult {
        let code = problem.code().as_str();
        let mut structured = json!({ "code": code, "detail": problem.detail() });
        let mut text = format!("{code}: {}", problem.detail());
        if let Some(field) = problem.field() {
            structured["field"] = json!(field);
            text.push_str(&format!(" (field `{field}`)"));
        }
        ToolResult { structured, text, is_error: true }
    }
}

/// A call named no tool the caller has.
#[derive(Debug, thiserror::Error)]
#[error("no tool named `{name}` here; list the tools again (the workspace's exposure may have changed)")]
pub struct UnknownTool {
    /// The name asked for.
    pub name: String,
}

/// A workspace's tools: listed and called.
pub struct Tools<H: ?Sized> {
    host: Arc<H>,
}

impl<H: ?Sized> Clone for Tools<H> {
    fn clone(&self) -> Self {
        Tools { host: self.host.clone() }
    }
}

impl<H: ToolHost + ?Sized> Tools<H> {
    /// Tools over `host`.
    pub fn new(host: Arc<H>) -> Tools<H> {
        Tools { host }
    }

    /// The tools `workspace` shows, sorted by name.
    pub async fn list(&self, workspace: &str) -> Result<Vec<ToolDef>, Problem> {
        let connections = self.host.connections(workspace).await?;
        let exposure = self.host.exposure(workspace).await?;
        Ok(catalog::build(&connections, &exposure))
    }

    /// The subscriptions an agent may read, as the exposure's connections allow.
    pub async fn feeds(&self, workspace: &str) -> Result<Vec<Feed>, Problem> {
        let exposure = self.host.exposure(workspace).await?;
        let mut feeds = self.host.feeds(workspace).await?;
        feeds.retain(|f| exposure.connections.as_ref().is_none_or(|names| names.contains(&f.connection)));
        Ok(feeds)
    }

    /// The resource at `uri`: a subscription's latest events, newest first;
    /// `None` when `uri` names no subscription the workspace shows.
    pub async fn read(&self, workspace: &str, uri: &str) -> Result<Option<Value>, Problem> {
        let Some(feed) = self.feeds(workspace).await?.into_iter().find(|f| f.uri() == uri) else { return Ok(None) };
        let Some(events) = self.host.recent_events(workspace, &feed.subscription, EVENTS_READ).await? else {
            return Ok(None);
        };
        Ok(Some(json!({
            "subscription": feed.subscription,
            "trigger": feed.trigger,
            "connector": feed.connector,
            "connection": feed.connection,
            "events": events,
        })))
    }

    /// Runs tool `name` with `arguments`. A failure of the call itself is a
    /// result with `is_error`; only a name that is not a tool is an `Err`.
    pub async fn call(&self, workspace: &str, name: &str, arguments: Value) -> Result<ToolResult, UnknownTool> {
        let tools = match self.list(workspace).await {
            Ok(tools) => tools,
            Err(problem) => return Ok(ToolResult::failed(&problem)),
        };
        let tool = tools.iter().find(|t| t.name == name).ok_or_else(|| UnknownTool { name: name.into() })?;
        let started = Instant::now();
        let (connector, outcome) = match &tool.target {
            Target::Action { connection, connector, action } => {
                let outcome = self.run_action(workspace, tool, connection, connector, action, &arguments).await;
                (connector.manifest.id.clone(), outcome)
            }
            Target::Choices => self.choices(workspace, &tools, &arguments).await,
        };
        let result = match &outcome {
            Ok(structured) => ToolResult::ok(structured.clone()),
            Err(problem) => ToolResult::failed(problem),
        };
        let code = outcome.as_ref().err().map(|p| p.code().as_str()).unwrap_or("ok");
        self.host.runtime().metrics().tool_call(&connector, code);
        let elapsed_ms = started.elapsed().as_millis() as u64;
        if result.is_error {
            tracing::warn!(tool = name, %connector, outcome = code, elapsed_ms, "MCP tool call failed: {}", result.text);
        } else {
            tracing::info!(tool = name, %connector, outcome = code, elapsed_ms, "MCP tool call");
        }
        Ok(result)
    }

    async fn run_action(
        &self,
        workspace: &str,
        tool: &ToolDef,
        connection: &str,
        connector: &LoadedConnector,
        action: &str,
        arguments: &Value,
    ) -> Result<Value, Problem> {
        let conn = self.host.connection(workspace, connection, connector).await?;
        let output = self.host.runtime().execute(connector, &conn, action, arguments).await?;
        Ok(if tool.wraps_output { json!({ "result": output }) } else { output })
    }

    /// The `choices` tool: the dropdown of another tool's field.
    async fn choices(&self, workspace: &str, tools: &[ToolDef], arguments: &Value) -> (String, Result<Value, Problem>) {
        let text = |key: &str| arguments.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
        let (name, field) = (text("tool"), text("field"));
        let Some((tool, connection, connector, action)) =
            tools.iter().find(|t| t.name == name).and_then(|t| match &t.target {
                Target::Action { connection, connector, action } => Some((t, connection, connector, action)),
                Target::Choices => None,
            })
        else {
            let with: Vec<&str> = tools.iter().filter(|t| !t.dropdowns.is_empty()).map(|t| t.name.as_str()).collect();
            let problem = Problem::invalid(format!(
                "`{name}` is not a tool with dropdown fields; these are: {}",
                with.join(", ")
            ))
            .with_field(Some("/tool".into()));
            return (String::new(), Err(problem));
        };
        let id = connector.manifest.id.clone();
        if !tool.dropdowns.contains(&field) {
            let problem = Problem::invalid(format!(
                "`{field}` is not a dropdown field of `{name}`; its dropdown fields are: {}",
                tool.dropdowns.join(", ")
            ))
            .with_field(Some("/field".into()));
            return (id, Err(problem));
        }
        let input = arguments.get("input").cloned().unwrap_or_else(|| json!({}));
        let outcome = async {
            let conn = self.host.connection(workspace, connection, connector).await?;
            let choices = self.host.runtime().choices(connector, &conn, action, &field, &input).await?;
            Ok::<_, Problem>(json!({ "choices": choices }))
        }
        .await;
        (id, outcome)
    }
}
