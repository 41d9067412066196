//! The MCP SDK (`rmcp`) behind a thin adapter: it changes often, so nothing
//! else in weft names its types. Streamable HTTP is served stateless (no
//! session), so any `weft serve` process answers any request.

use super::{ToolDef, ToolHost, Tools};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;
use std::sync::Arc;

/// The workspace an HTTP request was authenticated for, put in the
/// request's extensions by the server's key check.
#[derive(Debug, Clone)]
pub struct McpWorkspace(pub String);

const INSTRUCTIONS: &str = "Each tool runs one action of a connected account (a weft connection) in a fresh sandbox; \
    the credential stays with the host. Tools named `connection__action`; a dropdown field's values come from the \
    `choices` tool. A failed call says what to fix: `invalid-input` names the field, `missing-scope` the scope, \
    `rate-limited` when to retry. Each subscription's recent events (what its trigger found) are a resource, \
    newest first.";

struct Handler<H: ?Sized> {
    tools: Tools<H>,
    /// The one workspace of `weft mcp --stdio`; over HTTP it comes with each request.
    workspace: Option<String>,
}

impl<H: ToolHost + ?Sized> Handler<H> {
    fn workspace(&self, context: &RequestContext<RoleServer>) -> Result<String, ErrorData> {
        if let Some(workspace) = &self.workspace {
            return Ok(workspace.clone());
        }
        context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<McpWorkspace>())
            .map(|w| w.0.clone())
            .ok_or_else(|| ErrorData::internal_error("the request reached the tools without a workspace", None))
    }
}

/// A failure before any tool ran (the store, a damaged exposure): the
/// server cannot answer this request at all, a protocol error.
fn unanswerable(problem: crate::server::Problem) -> ErrorData {
    ErrorData::internal_error(problem.detail().to_string(), None)
}

fn tool(def: &ToolDef) -> Tool {
    let annotations = ToolAnnotations::with_title(def.title.clone())
        .read_only(def.read_only)
        .destructive(def.destructive)
        .idempotent(def.idempotent)
        .open_world(true);
    Tool::new(def.name.clone(), def.description.clone(), Arc::new(def.input_schema.clone()))
        .with_title(def.title.clone())
        .with_raw_output_schema(Arc::new(def.output_schema.clone()))
        .with_annotations(annotations)
}

impl<H: ToolHost + ?Sized> ServerHandler for Handler<H> {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(Implementation::new("weft", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let workspace = self.workspace(&context)?;
        let defs = self.tools.list(&workspace).await.map_err(unanswerable)?;
        Ok(ListToolsResult::with_all_items(defs.iter().map(tool).collect()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let workspace = self.workspace(&context)?;
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        let result = self
            .tools
            .call(&workspace, &request.name, arguments)
            .await
            .map_err(|e| ErrorData::invalid_params(e.to_string(), None))?;
        let content = vec![ContentBlock::text(result.text)];
        let mut answer =
            if result.is_error { CallToolResult::error(content) } else { CallToolResult::success(content) };
        answer.structured_content = Some(result.structured);
        Ok(answer.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let workspace = self.workspace(&context)?;
        let feeds = self.tools.feeds(&workspace).await.map_err(unanswerable)?;
        let resources = feeds
            .iter()
            .map(|f| {
                Resource::new(f.uri(), f.subscription.clone())
                    .with_title(format!("{}: {}", f.subscription, f.trigger_label))
                    .with_description(format!(
                        "The latest {} events of the {} trigger `{}` through connection `{}`, newest first.",
                        super::EVENTS_READ,
                        f.connector,
                        f.trigger,
                        f.connection
                    ))
                    .with_mime_type("application/json")
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let workspace = self.workspace(&context)?;
        let found = self.tools.read(&workspace, &request.uri).await.map_err(unanswerable)?;
        let Some(body) = found else {
            return Err(ErrorData::resource_not_found(
                format!("no resource `{}` here; list the resources again", request.uri),
                None,
            ));
        };
        let contents = ResourceContents::text(body.to_string(), request.uri).with_mime_type("application/json");
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}

/// The Streamable HTTP endpoint at `path`, to mount behind a check that
/// puts an [`McpWorkspace`] in each request's extensions.
pub fn streamable_http<H: ToolHost + ?Sized>(tools: Tools<H>, path: &str) -> axum::Router {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        // The Host check guards servers a browser on the machine could be
        // tricked into calling (DNS rebinding); this endpoint takes only a
        // bearer key, which such a page does not have, and answers at the
        // operator's public name.
        .disable_allowed_hosts()
        .with_max_request_body_bytes(crate::server::MAX_BODY_BYTES);
    let service = StreamableHttpService::new(
        move || Ok(Handler { tools: tools.clone(), workspace: None }),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    axum::Router::new().route_service(path, service)
}

/// Serves the tools of `workspace` on stdin and stdout until the client
/// closes them.
pub async fn serve_stdio<H: ToolHost + ?Sized>(tools: Tools<H>, workspace: &str) -> anyhow::Result<()> {
    let handler = Handler { tools, workspace: Some(workspace.to_string()) };
    let running = handler.serve(rmcp::transport::stdio()).await?;
    running.waiting().await?;
    Ok(())
}
