//! OpenAPI 3.0 → JSON Schema, so tests can validate real response bodies against the
//! official GHL specs with any JSON Schema validator.
//!
//! [`response_schema`] picks an operation's response schema for a status code, resolves
//! every `$ref` (local `#/components/...` and cross-file `../common/common-schemas.json#/...`,
//! relative to the spec file) into `$defs`, and converts OpenAPI's dialect to JSON Schema
//! 2020-12: `example` dropped, `nullable: true` turned into a union with `null`, `allOf`
//! kept. The result is self-contained.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod convert;

/// Why a spec (or a file it refers to) could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The spec file could not be read.
    #[error("cannot read OpenAPI spec {path}: {source}")]
    Read {
        /// The file that was being read.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The spec file is not JSON.
    #[error("OpenAPI spec {path} is not valid JSON: {source}")]
    Parse {
        /// The file that was being parsed.
        path: PathBuf,
        /// Where and why parsing failed.
        source: serde_json::Error,
    },
    /// A `$ref` points at a file or JSON pointer that does not exist, or loops.
    #[error("cannot resolve $ref {reference:?} (from {file}): {reason}")]
    Ref {
        /// The `$ref` value as written.
        reference: String,
        /// The spec file the `$ref` appears in.
        file: PathBuf,
        /// What went wrong: an unreadable file, a missing pointer or too many hops.
        reason: String,
    },
}

/// Reads and parses one spec file.
pub fn load_spec(path: impl AsRef<Path>) -> Result<Value, SpecError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read { path: path.to_owned(), source })?;
    serde_json::from_str(&text).map_err(|source| SpecError::Parse { path: path.to_owned(), source })
}

/// The self-contained JSON Schema (draft 2020-12) of the JSON body that the operation
/// `method path_template` declares for `status`.
///
/// `spec` is the parsed spec (possibly patched by the caller, e.g. with
/// [`relax_strings_typed_as_object`]); `spec_path` is where it was read from, used to
/// resolve cross-file `$ref`s. `Ok(None)` when the operation or the status is not declared
/// or the response has no JSON body.
pub fn response_schema(
    spec: &Value,
    spec_path: impl AsRef<Path>,
    method: &str,
    path_template: &str,
    status: u16,
) -> Result<Option<Value>, SpecError> {
    let operation = spec
        .get("paths")
        .and_then(|paths| paths.get(path_template))
        .and_then(|item| item.get(method.to_ascii_lowercase()));
    let Some(response) =
        operation.and_then(|op| op.get("responses")).and_then(|responses| responses.get(status.to_string()))
    else {
        return Ok(None);
    };
    let mut bundler = convert::Bundler::new(spec, spec_path.as_ref());
    let (response, file) = bundler.deref_object(response)?;
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return Ok(None);
    };
    let json_media =
        content.iter().find(|(media, _)| media.contains("json")).and_then(|(_, media)| media.get("schema"));
    match json_media {
        Some(schema) => bundler.bundle(schema, &file).map(Some),
        None => Ok(None),
    }
}

/// Patches every schema typed `object` whose own `example` is a string to accept strings
/// too (`type: ["object", "string"]`). About a hundred GHL fields have that defect (e.g.
/// `platform`/`type` of the account schemas): the examples, like the real API, show strings.
/// Returns the JSON pointers patched, so callers can record which ones they rely on.
pub fn relax_strings_typed_as_object(spec: &mut Value) -> Vec<String> {
    let mut patched = Vec::new();
    relax_at(spec, String::new(), &mut patched);
    patched
}

fn relax_at(value: &mut Value, pointer: String, patched: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let object_typed = map.get("type").and_then(Value::as_str) == Some("object");
            if object_typed && map.get("example").is_some_and(Value::is_string) {
                map.insert("type".into(), serde_json::json!(["object", "string"]));
                patched.push(pointer.clone());
            }
            for (key, child) in map.iter_mut() {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                relax_at(child, format!("{pointer}/{escaped}"), patched);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                relax_at(child, format!("{pointer}/{i}"), patched);
            }
        }
        _ => {}
    }
}
