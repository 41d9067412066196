//! Host-side bindings of the weft WIT world.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "connector",
    exports: { default: async },
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
    },
    require_store_data_send: true,
});

pub(crate) use self::weft::connector::connector_types as types;
pub(crate) use self::weft::connector::{log, secrets};
