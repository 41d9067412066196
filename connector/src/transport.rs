//! The HTTP seam. The connector's logic talks to this trait only, so the same
//! code runs inside the component (over `wasi:http`) and natively (unit tests,
//! benchmarks). It is the generated-operations runtime's seam, so hand-written
//! and generated operations share one transport.

pub use weft_openapi_runtime::table::Method;
pub use weft_openapi_runtime::{Request, Response, Transport, TransportError};
