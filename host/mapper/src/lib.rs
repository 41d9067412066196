//! Field mapping: a jq program (the jaq implementation) compiled and run on
//! one event's data. Built for `wasm32-wasip2` it is the component the host
//! runs each mapping in, under its CPU and memory limits; built natively the
//! same functions serve unit tests.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;

/// Why a program cannot be used or failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapError {
    /// It does not parse or compile; `offset` is a byte offset into it.
    Syntax {
        /// Where the problem starts.
        offset: u32,
        /// What is wrong.
        message: String,
    },
    /// It failed on the input.
    Runtime(String),
}

type Filter = jaq_core::Filter<data::JustLut<Val>>;

fn offset_in(program: &str, part: &str) -> u32 {
    u32::try_from(jaq_core::load::span(program, part).start).unwrap_or(0)
}

/// Parses and compiles `program` with jq's standard library.
pub fn compile(program: &str) -> Result<Filter, MapError> {
    let defs = jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs());
    let funs = jaq_core::funs().chain(jaq_std::funs()).chain(jaq_json::funs());
    let arena = Arena::default();
    let modules = Loader::new(defs).load(&arena, File { code: program, path: () }).map_err(|errors| {
        let first = errors.into_iter().next();
        match first.map(|(_, e)| e) {
            Some(jaq_core::load::Error::Lex(lex)) => match lex.into_iter().next() {
                Some((expected, at)) => MapError::Syntax {
                    offset: offset_in(program, at),
                    message: format!("expected {}", expected.as_str()),
                },
                None => MapError::Syntax { offset: 0, message: "the program does not parse".into() },
            },
            Some(jaq_core::load::Error::Parse(parse)) => match parse.into_iter().next() {
                Some((expected, at)) => MapError::Syntax {
                    offset: offset_in(program, at),
                    message: format!("expected {}", expected.as_str()),
                },
                None => MapError::Syntax { offset: 0, message: "the program does not parse".into() },
            },
            Some(jaq_core::load::Error::Io(io)) => {
                MapError::Syntax { offset: 0, message: format!("{} cannot be imported", io.len()) }
            }
            None => MapError::Syntax { offset: 0, message: "the program does not parse".into() },
        }
    })?;
    Compiler::default().with_funs(funs).compile(modules).map_err(|errors| {
        let first = errors.into_iter().next().and_then(|(_, e)| e.into_iter().next());
        match first {
            Some((name, undefined)) => MapError::Syntax {
                offset: offset_in(program, name),
                message: format!("`{name}` is not defined ({})", undefined.as_str()),
            },
            None => MapError::Syntax { offset: 0, message: "the program does not compile".into() },
        }
    })
}

/// Runs `program` on `input` (JSON text) and returns every output as JSON text.
pub fn run(program: &str, input: &str) -> Result<Vec<String>, MapError> {
    let filter = compile(program)?;
    let input = jaq_json::read::parse_single(input.as_bytes())
        .map_err(|e| MapError::Runtime(format!("the input is not JSON: {e}")))?;
    let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
    filter
        .id
        .run((ctx, input))
        .map(unwrap_valr)
        .map(|out| out.map(|v| v.to_string()).map_err(|e| MapError::Runtime(e.to_string())))
        .collect()
}

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code, missing_docs, reason = "generated bindings and export glue")]
mod component {
    wit_bindgen::generate!({ path: "wit", world: "mapper" });

    use exports::weft::mapper::jq::{Guest, MapError, SyntaxError};

    struct Mapper;

    fn to_wit(e: super::MapError) -> MapError {
        match e {
            super::MapError::Syntax { offset, message } => MapError::Syntax(SyntaxError { offset, message }),
            super::MapError::Runtime(m) => MapError::Runtime(m),
        }
    }

    impl Guest for Mapper {
        fn check(program: String) -> Result<(), MapError> {
            super::compile(&program).map(|_| ()).map_err(to_wit)
        }

        fn run(program: String, input: String) -> Result<Vec<String>, MapError> {
            super::run(&program, &input).map_err(to_wit)
        }
    }

    export!(Mapper);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_reshapes_an_event() {
        let out = run("{name: .tag, id: ._id}", r#"{"tag": "launch", "_id": "t1", "deleted": false}"#);
        assert_eq!(out, Ok(vec![r#"{"name":"launch","id":"t1"}"#.to_string()]));
        assert_eq!(
            run(".tags | map(.name)", r#"{"tags": [{"name": "a"}, {"name": "b"}]}"#),
            Ok(vec![r#"["a","b"]"#.into()])
        );
    }

    #[test]
    fn a_syntax_error_names_where_it_is() {
        let err = compile("{name: .tag").err().expect("refused");
        assert!(matches!(err, MapError::Syntax { offset, .. } if offset <= 11), "{err:?}");
        let err = compile("{name: nosuch(.tag)}").err().expect("refused");
        assert!(matches!(err, MapError::Syntax { offset: 7, ref message } if message.contains("nosuch")), "{err:?}");
    }

    #[test]
    fn a_failure_on_the_input_is_a_runtime_error() {
        assert!(matches!(run(".a + 1", r#"{"a": "text"}"#), Err(MapError::Runtime(_))));
        assert!(matches!(run(".", "not json"), Err(MapError::Runtime(_))));
    }
}
