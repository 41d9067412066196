//! One embedded set of generated operations: the manifest fragment and the
//! operation table the generator wrote, the table parsed once per instance.

use crate::{Table, options, paging, trigger};
use serde_json::{Map, Value};
use std::marker::PhantomData;
use std::sync::OnceLock;
use weft_sdk::{
    CallContext, Choice, Connector, ConnectorError, Event, HookRequest, PollRequest, PollResponse, Transport,
};

/// A generated manifest and operation table, embedded in a component.
pub struct Generated {
    manifest: &'static str,
    table_json: &'static str,
    table: OnceLock<Result<Table, String>>,
}

impl Generated {
    /// The operations of `table` (JSON), described by `manifest` (JSON).
    pub const fn new(manifest: &'static str, table: &'static str) -> Generated {
        Generated { manifest, table_json: table, table: OnceLock::new() }
    }

    /// The manifest (or manifest fragment) as the generator wrote it.
    pub fn manifest_json(&self) -> &'static str {
        self.manifest
    }

    /// The operation table, parsed on first use.
    pub fn table(&self) -> Result<&Table, ConnectorError> {
        self.table
            .get_or_init(|| Table::parse(self.table_json).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| ConnectorError::internal(format!("the embedded operation table is unreadable: {e}")))
    }

    /// Whether `key` is one of these actions.
    pub fn has_action(&self, key: &str) -> bool {
        self.table().is_ok_and(|t| t.operation(key).is_some())
    }

    /// Whether `key` is one of these triggers.
    pub fn has_trigger(&self, key: &str) -> bool {
        self.table().is_ok_and(|t| t.trigger(key).is_some())
    }

    /// Whether `key` is one of these instant triggers.
    pub fn has_instant(&self, key: &str) -> bool {
        self.table().is_ok_and(|t| t.instant_trigger(key).is_some())
    }

    /// What one webhook means for instant trigger `request.trigger`.
    pub fn transform(&self, request: &HookRequest) -> Result<Vec<Event>, ConnectorError> {
        crate::instant::transform(self.table()?, request)
    }

    /// Whether one of these dropdowns fills `field` of `key`.
    pub fn has_choices(&self, key: &str, field: &str) -> bool {
        self.table().is_ok_and(|t| t.dropdowns.iter().any(|d| d.field == field && d.keys.iter().any(|k| k == key)))
    }

    /// Runs action `action`.
    pub fn execute(
        &self,
        t: &(impl Transport + ?Sized),
        ctx: &CallContext,
        action: &str,
        input: &str,
    ) -> Result<Value, ConnectorError> {
        crate::execute(t, self.table()?, ctx, action, input)
    }

    /// Polls trigger `request.trigger`.
    pub fn poll(
        &self,
        t: &(impl Transport + ?Sized),
        ctx: &CallContext,
        request: &PollRequest,
    ) -> Result<PollResponse, ConnectorError> {
        trigger::poll(t, self.table()?, ctx, request)
    }

    /// The choices of dropdown `field` of `key`.
    pub fn choices(
        &self,
        t: &(impl Transport + ?Sized),
        ctx: &CallContext,
        key: &str,
        field: &str,
        input: &str,
    ) -> Result<Vec<Choice>, ConnectorError> {
        options::choices(t, self.table()?, ctx, key, field, &weft_sdk::input_object(input)?)
    }

    /// Every item list `key` returns for `input`, page after page (at most `max_pages`).
    pub fn read_list(
        &self,
        t: &(impl Transport + ?Sized),
        ctx: &CallContext,
        key: &str,
        input: &Map<String, Value>,
        max_pages: u32,
    ) -> Result<Vec<Value>, ConnectorError> {
        let table = self.table()?;
        let op = table.operation(key).ok_or_else(|| ConnectorError::internal(format!("no operation `{key}`")))?;
        Ok(paging::read_all(t, table, op, ctx, input, max_pages)?.items)
    }
}

/// What a generated component crate supplies: its embedded operations.
pub trait Glue {
    /// The component's manifest and table.
    fn generated() -> &'static Generated;
}

/// A whole connector made of generated operations only (what
/// [`crate::connector!`] exports).
pub struct GeneratedConnector<G>(PhantomData<G>);

impl<G: Glue> Connector for GeneratedConnector<G> {
    fn manifest() -> String {
        G::generated().manifest_json().to_string()
    }

    fn execute(t: &dyn Transport, ctx: &CallContext, action: &str, input: &str) -> Result<Value, ConnectorError> {
        G::generated().execute(t, ctx, action, input)
    }

    fn poll(t: &dyn Transport, ctx: &CallContext, request: &PollRequest) -> Result<PollResponse, ConnectorError> {
        G::generated().poll(t, ctx, request)
    }

    fn choices(
        t: &dyn Transport,
        ctx: &CallContext,
        key: &str,
        field: &str,
        input: &str,
    ) -> Result<Vec<Choice>, ConnectorError> {
        G::generated().choices(t, ctx, key, field, input)
    }

    fn transform(_ctx: &CallContext, request: &HookRequest) -> Result<Vec<Event>, ConnectorError> {
        G::generated().transform(request)
    }
}
