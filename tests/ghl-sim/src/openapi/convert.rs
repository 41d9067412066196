//! Bundles an OpenAPI 3.0 schema and everything it refers to into one JSON Schema 2020-12
//! document: each referenced schema becomes a `$defs` entry (so recursive schemas work),
//! and OpenAPI-only keywords are rewritten or dropped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::{SpecError, load_spec};

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";
/// How many `$ref` hops a non-schema object (a response) may take before we call it a loop.
const MAX_HOPS: usize = 32;

pub(super) struct Bundler<'a> {
    root: &'a Value,
    root_path: PathBuf,
    docs: HashMap<PathBuf, Value>,
    names: HashMap<(PathBuf, String), String>,
    defs: Map<String, Value>,
    pending: Vec<(PathBuf, String, String)>,
}

impl<'a> Bundler<'a> {
    pub(super) fn new(root: &'a Value, root_path: &Path) -> Self {
        let root_path = root_path.canonicalize().unwrap_or_else(|_| root_path.to_owned());
        Self { root, root_path, docs: HashMap::new(), names: HashMap::new(), defs: Map::new(), pending: Vec::new() }
    }

    /// Follows `$ref`s of a non-schema object (such as a response) found in the root spec;
    /// returns it with the file its own references are relative to.
    pub(super) fn deref_object(&mut self, value: &Value) -> Result<(Value, PathBuf), SpecError> {
        let mut current = (value.clone(), self.root_path.clone());
        for _ in 0..MAX_HOPS {
            let Some(reference) = current.0.get("$ref").and_then(Value::as_str) else {
                return Ok(current);
            };
            let (file, pointer) = self.target(&current.1, reference)?;
            let found = self.lookup(&file, &pointer, reference)?;
            current = (found, file);
        }
        Err(ref_error("(response)", &current.1, "too many $ref hops"))
    }

    /// Converts `schema` (found in `file`) and every schema it reaches.
    pub(super) fn bundle(mut self, schema: &Value, file: &Path) -> Result<Value, SpecError> {
        let mut out = self.convert(schema, file)?;
        while let Some((file, pointer, name)) = self.pending.pop() {
            let target = self.lookup(&file, &pointer, &pointer)?;
            let converted = self.convert(&target, &file)?;
            self.defs.insert(name, converted);
        }
        if let Value::Object(map) = &mut out {
            map.insert("$schema".into(), json!(DRAFT));
            if !self.defs.is_empty() {
                map.insert("$defs".into(), Value::Object(self.defs));
            }
        }
        Ok(out)
    }

    fn convert(&mut self, schema: &Value, file: &Path) -> Result<Value, SpecError> {
        let Value::Object(map) = schema else {
            return Ok(schema.clone());
        };
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            // OpenAPI 3.0 ignores a `$ref`'s siblings.
            let name = self.def_name(file, reference)?;
            return Ok(json!({ "$ref": format!("#/$defs/{name}") }));
        }
        let mut out = Map::new();
        for (key, value) in map {
            let converted = match key.as_str() {
                "example" | "xml" | "externalDocs" | "discriminator" | "nullable" => continue,
                // OpenAPI 3.0 schemas have no `examples`; some GHL specs put a
                // map of named examples there, which JSON Schema refuses.
                "examples" if !value.is_array() => continue,
                k if k.starts_with("x-") => continue,
                "type" if value == "any" => continue,
                "properties" | "patternProperties" => self.convert_map(value, file)?,
                "allOf" | "anyOf" | "oneOf" => self.convert_list(value, file)?,
                "items" if value.is_array() => {
                    out.insert("prefixItems".into(), self.convert_list(value, file)?);
                    continue;
                }
                "items" | "additionalProperties" | "not" => self.convert(value, file)?,
                _ => value.clone(),
            };
            out.insert(key.clone(), converted);
        }
        fix_exclusive_bounds(&mut out);
        if map.get("nullable") == Some(&Value::Bool(true)) {
            return Ok(nullable(out));
        }
        Ok(Value::Object(out))
    }

    fn convert_map(&mut self, value: &Value, file: &Path) -> Result<Value, SpecError> {
        let Value::Object(map) = value else {
            return Ok(value.clone());
        };
        let mut out = Map::new();
        for (name, schema) in map {
            out.insert(name.clone(), self.convert(schema, file)?);
        }
        Ok(Value::Object(out))
    }

    fn convert_list(&mut self, value: &Value, file: &Path) -> Result<Value, SpecError> {
        let Value::Array(items) = value else {
            return Ok(value.clone());
        };
        let converted: Result<Vec<Value>, SpecError> = items.iter().map(|item| self.convert(item, file)).collect();
        Ok(Value::Array(converted?))
    }

    /// The `$defs` name for a reference, queueing its target the first time it is seen.
    fn def_name(&mut self, file: &Path, reference: &str) -> Result<String, SpecError> {
        let key = self.target(file, reference)?;
        if let Some(name) = self.names.get(&key) {
            return Ok(name.clone());
        }
        let stem = key.0.file_stem().and_then(|s| s.to_str()).unwrap_or("spec");
        let last = key.1.rsplit('/').next().unwrap_or("schema");
        let base: String = format!("{stem}.{last}")
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
                _ => '_',
            })
            .collect();
        let mut name = base.clone();
        let mut n = 1;
        while self.names.values().any(|used| *used == name) {
            n += 1;
            name = format!("{base}_{n}");
        }
        self.names.insert(key.clone(), name.clone());
        self.pending.push((key.0, key.1, name.clone()));
        Ok(name)
    }

    /// Splits `other.json#/a/b` into the referenced file (relative to `file`) and pointer.
    fn target(&self, file: &Path, reference: &str) -> Result<(PathBuf, String), SpecError> {
        let (file_part, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        if file_part.is_empty() {
            return Ok((file.to_owned(), pointer.to_owned()));
        }
        let dir = file.parent().unwrap_or_else(|| Path::new("."));
        let joined = dir.join(file_part);
        let target =
            joined.canonicalize().map_err(|e| ref_error(reference, file, &format!("{}: {e}", joined.display())))?;
        Ok((target, pointer.to_owned()))
    }

    /// The value at `pointer` in `file` (the root spec itself, or a file read once).
    fn lookup(&mut self, file: &Path, pointer: &str, reference: &str) -> Result<Value, SpecError> {
        let doc = if file == self.root_path {
            self.root
        } else {
            if !self.docs.contains_key(file) {
                let loaded = load_spec(file)?;
                self.docs.insert(file.to_owned(), loaded);
            }
            self.docs.get(file).unwrap_or(&Value::Null)
        };
        doc.pointer(pointer).cloned().ok_or_else(|| ref_error(reference, file, "no such JSON pointer"))
    }
}

fn ref_error(reference: &str, file: &Path, reason: &str) -> SpecError {
    SpecError::Ref { reference: reference.to_owned(), file: file.to_owned(), reason: reason.to_owned() }
}

/// OpenAPI 3.0 (like draft 4) has boolean `exclusiveMinimum`/`exclusiveMaximum` modifying
/// `minimum`/`maximum`; 2020-12 has numeric ones replacing them.
fn fix_exclusive_bounds(out: &mut Map<String, Value>) {
    for (exclusive, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        match out.get(exclusive) {
            Some(Value::Bool(true)) => {
                match out.remove(bound) {
                    Some(limit) => out.insert(exclusive.into(), limit),
                    None => out.remove(exclusive),
                };
            }
            Some(Value::Bool(false)) => {
                out.remove(exclusive);
            }
            _ => {}
        }
    }
}

/// `nullable: true`: add `null` to `type` (and to `enum`); without a `type`, allow null beside.
fn nullable(mut out: Map<String, Value>) -> Value {
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    match out.get_mut("type") {
        Some(Value::String(one)) => {
            let one = std::mem::take(one);
            out.insert("type".into(), json!([one, "null"]));
        }
        Some(Value::Array(many)) => {
            if !many.contains(&json!("null")) {
                many.push(json!("null"));
            }
        }
        _ => return json!({ "anyOf": [Value::Object(out), {"type": "null"}] }),
    }
    Value::Object(out)
}
