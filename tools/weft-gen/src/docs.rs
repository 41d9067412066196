//! The OpenAPI documents of a run: the specs named on the command line and
//! every file their `$ref`s reach, each read once, patched by the overlay,
//! and looked up by JSON pointer.

use crate::error::GenError;
use crate::overlay::Patch;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// How many `$ref` hops a lookup may take before it is called a loop.
const MAX_HOPS: usize = 32;

/// Loaded documents by canonical path.
pub(crate) struct Docs {
    files: HashMap<PathBuf, Value>,
    patches: Vec<Patch>,
}

fn read(path: &Path) -> Result<Value, GenError> {
    let text = std::fs::read_to_string(path).map_err(|source| GenError::Read { path: path.to_owned(), source })?;
    serde_json::from_str(&text).map_err(|source| GenError::Json { path: path.to_owned(), source })
}

fn ref_error(reference: &str, file: &Path, reason: impl Into<String>) -> GenError {
    GenError::Ref { reference: reference.to_owned(), file: file.to_owned(), reason: reason.into() }
}

/// Unescapes one JSON pointer token.
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

impl Docs {
    pub(crate) fn new(patches: Vec<Patch>) -> Docs {
        Docs { files: HashMap::new(), patches }
    }

    /// Reads a document (once) and returns its canonical path.
    pub(crate) fn load(&mut self, path: &Path) -> Result<PathBuf, GenError> {
        let canonical = path.canonicalize().map_err(|source| GenError::Read { path: path.to_owned(), source })?;
        if !self.files.contains_key(&canonical) {
            let mut doc = read(&canonical)?;
            let name = canonical.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            for patch in self.patches.iter().filter(|p| p.spec == name) {
                patch.apply(&mut doc).map_err(|message| GenError::Invalid(format!("patch of {name}: {message}")))?;
            }
            self.files.insert(canonical.clone(), doc);
        }
        Ok(canonical)
    }

    /// A loaded document.
    pub(crate) fn doc(&self, file: &Path) -> &Value {
        self.files.get(file).unwrap_or(&Value::Null)
    }

    /// The file and pointer a `$ref` found in `file` points at.
    fn target(&mut self, file: &Path, reference: &str) -> Result<(PathBuf, String), GenError> {
        let (file_part, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        if file_part.is_empty() {
            return Ok((file.to_owned(), pointer.to_owned()));
        }
        let dir = file.parent().unwrap_or_else(|| Path::new("."));
        let joined = dir.join(file_part);
        let target = self.load(&joined).map_err(|e| ref_error(reference, file, e.to_string()))?;
        Ok((target, pointer.to_owned()))
    }

    /// The value a `$ref` designates, with the file its own refs are relative
    /// to, and a key identifying it (for cycle detection).
    pub(crate) fn deref(&mut self, file: &Path, reference: &str) -> Result<(Value, PathBuf, String), GenError> {
        let (target, pointer) = self.target(file, reference)?;
        let doc = self.doc(&target);
        let mut node = doc;
        for token in pointer.trim_start_matches('/').split('/').filter(|t| !t.is_empty()) {
            let token = unescape(token);
            node = match node {
                Value::Object(map) => map.get(&token),
                Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            }
            .ok_or_else(|| ref_error(reference, file, "no such JSON pointer"))?;
        }
        let key = format!("{}#{pointer}", target.display());
        Ok((node.clone(), target, key))
    }

    /// Follows `$ref`s of a non-schema object (parameter, body, response)
    /// until a plain object, returning it and the file it lives in.
    pub(crate) fn resolve(&mut self, value: &Value, file: &Path) -> Result<(Value, PathBuf), GenError> {
        let mut current = (value.clone(), file.to_owned());
        for _ in 0..MAX_HOPS {
            let Some(reference) = current.0.get("$ref").and_then(Value::as_str).map(str::to_owned) else {
                return Ok(current);
            };
            let (found, target, _) = self.deref(&current.1, &reference)?;
            current = (found, target);
        }
        Err(ref_error("(object)", file, "too many $ref hops"))
    }
}
