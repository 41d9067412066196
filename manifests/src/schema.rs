//! JSON Schemas generated from Rust types.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

/// The JSON Schema of `T` as a self-contained document: subschemas are
/// inlined so a builder's form renderer needs no `$ref` resolution.
pub fn schema_of<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12().with(|s| s.inline_subschemas = true).into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

/// The schema of the manifest format itself (`connector-manifest.schema.json`).
pub fn manifest_json_schema() -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    generator.into_root_schema_for::<crate::ConnectorManifest>().to_value()
}
