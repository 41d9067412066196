//! Field mapping: a subscription may carry a jq program the host runs on
//! each event's data before delivery, to shape it the way the destination
//! wants. Programs run in the mapping component (`host/mapper`), a fresh
//! instance per run, under CPU, memory and output limits of their own: a
//! program a builder writes can loop or grow without end, and one that does
//! fails that event only.

mod sandbox;

pub use sandbox::Mapper;

/// The mapper, compiled the first time a mapping runs: commands that never
/// map (most CLI calls) never pay for compiling the mapping component.
pub struct LazyMapper {
    runtime: std::sync::Arc<crate::runtime::Runtime>,
    limits: MappingLimits,
    cell: tokio::sync::OnceCell<Mapper>,
    /// Destination schemas compiled once, by their text: every delivery of a
    /// subscription checks against the same one.
    schemas: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<crate::schema::Schema>>>,
}

/// Destination schemas kept compiled; past this the cache starts over.
const CACHED_SCHEMAS: usize = 1_000;

impl std::fmt::Debug for LazyMapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyMapper").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl LazyMapper {
    /// A mapper on `runtime`'s engine with these limits, not compiled yet.
    pub fn new(runtime: std::sync::Arc<crate::runtime::Runtime>, limits: MappingLimits) -> LazyMapper {
        LazyMapper { runtime, limits, cell: tokio::sync::OnceCell::new(), schemas: Default::default() }
    }

    /// The mapper, compiling it (off the async threads) on first use.
    pub async fn get(&self) -> Result<&Mapper, MappingError> {
        self.cell
            .get_or_try_init(|| async {
                let runtime = self.runtime.clone();
                let limits = self.limits.clone();
                tokio::task::spawn_blocking(move || runtime.mapper(limits))
                    .await
                    .map_err(|e| MappingError::Host(e.to_string()))?
                    .map_err(|e| MappingError::Host(format!("{e:#}")))
            })
            .await
    }

    /// Compiles and checks `program`.
    pub async fn check(&self, program: &str) -> Result<(), MappingError> {
        self.get().await?.check(program).await
    }

    /// `schema` compiled, from the cache when it was compiled before.
    fn destination_schema(
        &self,
        schema: &serde_json::Value,
    ) -> Result<std::sync::Arc<crate::schema::Schema>, MappingError> {
        let key = schema.to_string();
        let mut cache = self.schemas.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(compiled) = cache.get(&key) {
            return Ok(compiled.clone());
        }
        let compiled = std::sync::Arc::new(crate::schema::Schema::compile(schema).map_err(MappingError::Schema)?);
        if cache.len() >= CACHED_SCHEMAS {
            cache.clear();
        }
        cache.insert(key, compiled.clone());
        Ok(compiled)
    }

    /// Runs `program` on `data` (see [`Mapper::run`]).
    pub async fn run(&self, program: &str, data: &serde_json::Value) -> Result<serde_json::Value, MappingError> {
        self.get().await?.run(program, data).await
    }
}

/// What a subscription does to each event's data before delivery: run its
/// mapping (if any), then check the result against its destination schema
/// (if any). Without either, the data goes as it is.
pub async fn shape(
    mapper: &LazyMapper,
    mapping: Option<&str>,
    destination_schema: Option<&serde_json::Value>,
    data: &serde_json::Value,
) -> Result<serde_json::Value, MappingError> {
    let shaped = match mapping {
        Some(program) => mapper.run(program, data).await?,
        None => data.clone(),
    };
    if let Some(schema) = destination_schema {
        let schema = mapper.destination_schema(schema)?;
        schema.check(&shaped).map_err(|p| MappingError::Schema(crate::schema::describe(&p)))?;
    }
    Ok(shaped)
}

/// Mapping runs at once; the instance pool keeps room for them beside calls.
pub(crate) const MAPPING_SLOTS: usize = 4;

use serde::{Deserialize, Serialize};

/// What one mapping run may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MappingLimits {
    /// Guest execution time per run, in ms.
    pub cpu_ms: u64,
    /// Linear memory of the mapping instance, in MiB.
    pub memory_mib: u64,
    /// Bytes of the mapped output.
    pub output_bytes: u64,
    /// Wall-clock time per run, in ms.
    pub timeout_ms: u64,
}

impl Default for MappingLimits {
    fn default() -> Self {
        MappingLimits { cpu_ms: 200, memory_mib: 32, output_bytes: 1 << 20, timeout_ms: 2_000 }
    }
}

/// Why a mapping cannot be used, or failed on an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// The program does not parse or compile.
    #[error("the mapping does not compile at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the problem.
        line: u32,
        /// 1-based column (in characters) of the problem.
        column: u32,
        /// What is wrong.
        message: String,
    },
    /// The program failed on the event.
    #[error("the mapping failed: {0}")]
    Failed(String),
    /// The program yielded something other than one JSON object.
    #[error("the mapping must yield one JSON object; it yielded {0}")]
    NotAnObject(String),
    /// The output breaks the destination's JSON Schema.
    #[error("the mapped event does not fit the destination's schema: {0}")]
    Schema(String),
    /// The program ran into a limit (time, memory or output size).
    #[error("the mapping was stopped: {0}")]
    Limit(String),
    /// The host could not run the mapping.
    #[error("the host could not run the mapping: {0}")]
    Host(String),
    /// Checked on the trigger's sample before a subscription is stored, it failed.
    #[error("on the trigger's sample, {0}")]
    OnSample(Box<MappingError>),
}

impl MappingError {
    /// Whether a limit stopped it (on the sample or not).
    pub fn is_limit(&self) -> bool {
        match self {
            MappingError::Limit(_) => true,
            MappingError::OnSample(inner) => inner.is_limit(),
            _ => false,
        }
    }
}

/// The 1-based line and column of byte `offset` in `program`.
pub(crate) fn position(program: &str, offset: u32) -> (u32, u32) {
    let before = program.get(..offset as usize).unwrap_or(program);
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapper(limits: MappingLimits) -> Mapper {
        let runtime = crate::Runtime::new(crate::RuntimeConfig::default()).expect("runtime");
        runtime.mapper(limits).expect("the mapping component")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mappings_reshape_refuse_and_stop_in_words() {
        let m = mapper(MappingLimits::default());
        let tag = json!({"_id": "t1", "tag": "launch", "deleted": false});
        assert_eq!(m.run("{name: .tag, id: ._id}", &tag).await, Ok(json!({"name": "launch", "id": "t1"})));
        let err = m.check("{name: .tag").await.expect_err("syntax");
        assert!(matches!(err, MappingError::Syntax { line: 1, .. }), "{err}");
        assert!(err.to_string().contains("line 1, column"), "{err}");
        let err = m.run(".tag", &tag).await.expect_err("a string");
        assert_eq!(err, MappingError::NotAnObject("the string \"launch\"".into()));
        assert!(matches!(m.run(".[]", &tag).await, Err(MappingError::NotAnObject(ref n)) if n == "3 values"));
        assert!(matches!(m.run(".tag + 1", &tag).await, Err(MappingError::Failed(_))));
        let err = m.run("def f: f; f", &tag).await.expect_err("a loop");
        assert!(matches!(err, MappingError::Limit(_)), "{err}");
        let err = m.run("{big: [range(1000000)] | tostring}", &tag).await.expect_err("too big");
        assert!(matches!(err, MappingError::Limit(_)), "{err}");
        assert_eq!(m.run("{name: .tag}", &tag).await, Ok(json!({"name": "launch"})), "a fresh instance after each");
    }

    #[test]
    fn a_byte_offset_becomes_a_line_and_column() {
        assert_eq!(position("{name: .tag", 11), (1, 12));
        assert_eq!(position("{\n  name: nosuch}", 10), (2, 9));
        assert_eq!(position("", 0), (1, 1));
    }
}
