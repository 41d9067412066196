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

/// `secrets@0.2.0` is 0.1.0's.
impl crate::bindings::v0_2::weft::connector::secrets::Host for CallState {
    fn get(&mut self, name: String) -> Result<String, crate::bindings::v0_2::weft::connector::secrets::SecretError> {
        use crate::bindings::v0_2::weft::connector::secrets::SecretError as V2;
        secrets::Host::get(self, name).map_err(|e| match e {
            secrets::SecretError::NotDeclared(m) => V2::NotDeclared(m),
            secrets::SecretError::NotSet(m) => V2::NotSet(m),
        })
    }
}

/// Adds the `secrets` import, in every WIT version.
pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    secrets::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    crate::bindings::v0_2::weft::connector::secrets::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)
}
