//! Which version of the WIT world a component was built against, and one
//! way to call it whatever the version. A component is tried as the newest
//! world first; a 0.1.0 one (no `instant` export) is linked as 0.1.0 and
//! runs unchanged.

use super::state::CallState;
use crate::bindings::{self, types, v0_2};
use wasmtime::Store;
use wasmtime::component::InstancePre;

/// The WIT versions the host links, newest first.
pub const WIT_VERSIONS: &[&str] = &["0.2.0", "0.1.0"];

/// A component linked and ready to instantiate, in its world.
#[derive(Clone)]
pub(crate) enum WorldPre {
    V0_1(bindings::ConnectorPre<CallState>),
    V0_2(v0_2::ConnectorPre<CallState>),
}

/// One instance of a component, in its world.
pub(crate) enum Instance {
    V0_1(bindings::Connector),
    V0_2(v0_2::Connector),
}

/// An instant trigger's request (see `instant.hook-request` in the WIT),
/// built once by the caller and handed to the component as it is.
pub(crate) use v0_2::exports::weft::connector::instant::HookRequest;

impl WorldPre {
    /// Links `pre` as the newest world whose exports it has.
    pub(crate) fn new(pre: InstancePre<CallState>) -> wasmtime::Result<WorldPre> {
        match v0_2::ConnectorPre::new(pre.clone()) {
            Ok(newest) => Ok(WorldPre::V0_2(newest)),
            Err(_) => Ok(WorldPre::V0_1(bindings::ConnectorPre::new(pre)?)),
        }
    }

    /// The version of `weft:connector` the component was built against.
    pub(crate) fn wit_version(&self) -> &'static str {
        match self {
            WorldPre::V0_1(_) => "0.1.0",
            WorldPre::V0_2(_) => "0.2.0",
        }
    }

    pub(crate) async fn instantiate(&self, store: &mut Store<CallState>) -> wasmtime::Result<Instance> {
        Ok(match self {
            WorldPre::V0_1(pre) => Instance::V0_1(pre.instantiate_async(store).await?),
            WorldPre::V0_2(pre) => Instance::V0_2(pre.instantiate_async(store).await?),
        })
    }
}

type Answer<T> = wasmtime::Result<Result<T, types::ConnectorError>>;

impl Instance {
    pub(crate) async fn manifest(&self, store: &mut Store<CallState>) -> wasmtime::Result<String> {
        match self {
            Instance::V0_1(i) => i.weft_connector_metadata().call_manifest(store).await,
            Instance::V0_2(i) => i.weft_connector_metadata().call_manifest(store).await,
        }
    }

    // The bindings take WIT's `json` as `&String`; passing it on avoids a copy of every input.
    #[allow(clippy::ptr_arg, reason = "the generated bindings take &String")]
    pub(crate) async fn execute(
        &self,
        store: &mut Store<CallState>,
        ctx: &types::CallContext,
        action: &str,
        input: &String,
    ) -> Answer<String> {
        match self {
            Instance::V0_1(i) => i.weft_connector_actions().call_execute(store, ctx, action, input).await,
            Instance::V0_2(i) => i.weft_connector_actions().call_execute(store, ctx, action, input).await,
        }
    }

    pub(crate) async fn poll(
        &self,
        store: &mut Store<CallState>,
        ctx: &types::CallContext,
        request: &types::PollRequest,
    ) -> Answer<types::PollResponse> {
        match self {
            Instance::V0_1(i) => i.weft_connector_triggers().call_poll(store, ctx, request).await,
            Instance::V0_2(i) => i.weft_connector_triggers().call_poll(store, ctx, request).await,
        }
    }

    #[allow(clippy::ptr_arg, reason = "the generated bindings take &String")]
    pub(crate) async fn choices(
        &self,
        store: &mut Store<CallState>,
        ctx: &types::CallContext,
        key: &str,
        field: &str,
        input: &String,
    ) -> Answer<Vec<types::Choice>> {
        match self {
            Instance::V0_1(i) => i.weft_connector_options().call_choices(store, ctx, key, field, input).await,
            Instance::V0_2(i) => i.weft_connector_options().call_choices(store, ctx, key, field, input).await,
        }
    }

    /// The events a webhook means; a 0.1.0 component has no instant triggers.
    pub(crate) async fn transform(
        &self,
        store: &mut Store<CallState>,
        ctx: &types::CallContext,
        request: &HookRequest,
    ) -> Answer<Vec<types::Event>> {
        match self {
            Instance::V0_1(_) => Ok(Err(types::ConnectorError::InvalidInput(types::FieldProblem {
                field: Some("trigger".into()),
                message: format!(
                    "this component was built against weft:connector@0.1.0, which has no instant triggers (`{}`)",
                    request.trigger
                ),
            }))),
            Instance::V0_2(i) => i.weft_connector_instant().call_transform(store, ctx, request).await,
        }
    }
}
