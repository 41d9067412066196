//! JSON Schema checks on the way into and out of a connector.

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;
use std::fmt;

/// One way a value breaks a schema: where, and what rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    /// JSON pointer of the offending field (`/limit`, `/tagIds/0`), `` for the whole value.
    pub field: String,
    /// What rule it breaks, in the validator's words.
    pub message: String,
}

impl fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.field, self.message)
        }
    }
}

/// Joins problems into one line.
pub fn describe(problems: &[SchemaProblem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// A compiled schema.
pub struct Schema {
    validator: jsonschema::Validator,
}

impl Schema {
    /// Compiles a JSON Schema; the error says why it is not a valid one.
    pub fn compile(schema: &Value) -> Result<Schema, String> {
        jsonschema::validator_for(schema).map(|validator| Schema { validator }).map_err(|e| e.to_string())
    }

    /// Every problem of `value`, each naming its field.
    pub fn check(&self, value: &Value) -> Result<(), Vec<SchemaProblem>> {
        let problems: Vec<SchemaProblem> = self
            .validator
            .iter_errors(value)
            .map(|e| {
                let at = e.instance_path().to_string();
                match e.kind() {
                    ValidationErrorKind::Required { property } => SchemaProblem {
                        field: format!("{at}/{}", property.as_str().unwrap_or_default()),
                        message: "is required".into(),
                    },
                    ValidationErrorKind::AdditionalProperties { unexpected } => {
                        SchemaProblem { field: at, message: format!("unknown field(s) {}", unexpected.join(", ")) }
                    }
                    _ => SchemaProblem { field: at, message: e.to_string() },
                }
            })
            .collect();
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}
