//! The generator's errors: what stops a whole run. A single operation the
//! generator cannot turn into an action is not an error; it is reported as
//! unavailable, with the reason.

use std::path::PathBuf;

/// Why a run of the generator stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// An input (a spec, an overlay, the catalog, the coverage data, the runtime's directory) could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file that was being read.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// An output file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file that was being written.
        path: PathBuf,
        /// Why writing failed.
        source: std::io::Error,
    },
    /// A spec or data file is not JSON.
    #[error("{path} is not valid JSON: {source}")]
    Json {
        /// The file that was being parsed.
        path: PathBuf,
        /// Where and why parsing failed.
        source: serde_json::Error,
    },
    /// A TOML configuration file (overlay, groups, catalog) does not parse.
    #[error("overlay {path}: {message}")]
    Overlay {
        /// The file that was being parsed.
        path: PathBuf,
        /// The TOML parser's message.
        message: String,
    },
    /// A `$ref` names a file or JSON pointer that does not exist.
    #[error("cannot resolve $ref `{reference}` in {file}: {reason}")]
    Ref {
        /// The `$ref` value as written.
        reference: String,
        /// The document the `$ref` appears in.
        file: PathBuf,
        /// What went wrong, e.g. an unreadable file or a missing pointer.
        reason: String,
    },
    /// The inputs are readable but do not make a valid connector: a failing
    /// patch, no connector id, a dropdown naming an unknown operation, or a
    /// generated schema or manifest that does not check.
    #[error("{0}")]
    Invalid(String),
}
