//! The generator's errors: what stops a whole run. A single operation the
//! generator cannot turn into an action is not an error; it is reported as
//! unavailable, with the reason.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid JSON: {source}")]
    Json { path: PathBuf, source: serde_json::Error },
    #[error("overlay {path}: {message}")]
    Overlay { path: PathBuf, message: String },
    #[error("cannot resolve $ref `{reference}` in {file}: {reason}")]
    Ref { reference: String, file: PathBuf, reason: String },
    #[error("{0}")]
    Invalid(String),
}
