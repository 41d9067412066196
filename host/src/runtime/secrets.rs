//! The `secrets` import: the non-credential secrets a manifest declares, as
//! the operator set them. Credentials are never here: the host injects them
//! into requests.

use super::state::CallState;
use crate::bindings::secrets;
use std::collections::BTreeMap;
use wasmtime::component::{HasSelf, Linker};

/// Declared secrets and their values (`None`: declared, not set).
pub(crate) struct DeclaredSecrets(pub(crate) BTreeMap<String, Option<String>>);

impl secrets::Host for CallState {
    fn get(&mut self, name: String) -> Result<String, secrets::SecretError> {
        match self.secrets.0.get(&name) {
            None => {
                Err(secrets::SecretError::NotDeclared(format!("`{name}` is not declared in the manifest's secrets")))
            }
            Some(None) => Err(secrets::SecretError::NotSet(format!("the operator has not set `{name}`"))),
            Some(Some(value)) => Ok(value.clone()),
        }
    }
}

/// Adds the `secrets` import.
pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    secrets::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)
}
