//! The OpenAPI → JSON Schema conversion on small hand-written specs.

use std::path::PathBuf;

use ghl_sim::openapi::{relax_strings_typed_as_object, response_schema};
use serde_json::{Value, json};

fn spec_with(schema: Value, components: Value) -> Value {
    json!({
        "openapi": "3.0.0",
        "paths": {"/x": {"get": {"responses": {"200": {"content": {"application/json": {"schema": schema}}}}}}},
        "components": {"schemas": components},
    })
}

fn convert(spec: &Value) -> Value {
    let path = PathBuf::from("/nonexistent/inline.json");
    response_schema(spec, &path, "GET", "/x", 200).expect("converts").expect("declared")
}

fn valid(schema: &Value, instance: &Value) -> bool {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .unwrap_or_else(|e| panic!("{e}: {schema:#}"))
        .is_valid(instance)
}

#[test]
fn nullable_becomes_a_union_with_null_and_examples_go() {
    let spec = spec_with(
        json!({"type": "object", "example": {"a": 1}, "properties": {
            "a": {"type": "string", "nullable": true, "example": "x"},
            "b": {"allOf": [{"$ref": "#/components/schemas/B"}], "nullable": true},
            "c": {"type": "string", "enum": ["on"], "nullable": true},
            "example": {"type": "number"},
        }}),
        json!({"B": {"type": "number"}}),
    );
    let schema = convert(&spec);
    assert!(schema.get("example").is_none(), "{schema}");
    assert!(schema.pointer("/properties/a/example").is_none(), "{schema}");
    assert!(schema.pointer("/properties/example").is_some(), "a property named example stays");
    assert!(valid(&schema, &json!({"a": null, "b": null, "c": null, "example": 1})));
    assert!(valid(&schema, &json!({"a": "x", "b": 2, "c": "on"})));
    assert!(!valid(&schema, &json!({"b": "two"})));
    assert!(!valid(&schema, &json!({"c": "off"})));
}

#[test]
fn recursive_refs_and_exclusive_bounds_convert() {
    let spec = spec_with(
        json!({"$ref": "#/components/schemas/Node"}),
        json!({"Node": {"type": "object", "properties": {
            "n": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        }}}),
    );
    let schema = convert(&spec);
    assert!(valid(&schema, &json!({"n": 1, "children": [{"n": 2, "children": []}]})));
    assert!(!valid(&schema, &json!({"children": [{"n": 0}]})));
}

#[test]
fn relaxing_accepts_strings_where_the_example_is_one() {
    let mut spec = spec_with(
        json!({"type": "object", "properties": {"platform": {"type": "object", "example": "google"}}}),
        json!({}),
    );
    let patched = relax_strings_typed_as_object(&mut spec);
    assert_eq!(patched.len(), 1, "{patched:?}");
    assert!(valid(&convert(&spec), &json!({"platform": "google"})));
}

#[test]
fn undeclared_statuses_and_operations_are_none() {
    let spec = spec_with(json!({"type": "object"}), json!({}));
    let path = PathBuf::from("/nonexistent/inline.json");
    assert_eq!(response_schema(&spec, &path, "get", "/x", 404).expect("ok"), None);
    assert_eq!(response_schema(&spec, &path, "post", "/x", 200).expect("ok"), None);
    let dangling = spec_with(json!({"$ref": "#/components/schemas/Missing"}), json!({}));
    let err = response_schema(&dangling, &path, "get", "/x", 200).expect_err("dangling ref");
    assert!(err.to_string().contains("Missing"), "{err}");
}

#[test]
fn cross_file_refs_resolve_relative_to_the_spec() {
    let path = crate::spec::spec_path();
    let spec = ghl_sim::openapi::load_spec(&path).expect("spec loads");
    let schema = response_schema(&spec, &path, "get", "/social-media-posting/{locationId}/tags", 401)
        .expect("converts")
        .expect("declared");
    let text = schema.to_string();
    assert!(text.contains("UnauthorizedDTO") && !text.contains("common-schemas.json#"), "{text}");
    let missing = ghl_sim::openapi::load_spec("/nonexistent/spec.json").expect_err("absent");
    assert!(missing.to_string().contains("/nonexistent/spec.json"), "{missing}");
}
