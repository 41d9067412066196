//! Host-side bindings of the weft WIT worlds: every version the host runs.
//!
//! `0.1.0` (`wit/0.1.0/`, frozen) and `0.2.0` (`wit/`, which adds instant
//! triggers) share their types: the 0.2.0 bindings reuse 0.1.0's
//! `connector-types`, so a call is written once for both.

wasmtime::component::bindgen!({
    path: "../wit/0.1.0",
    world: "connector",
    exports: { default: async },
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
    },
    require_store_data_send: true,
});

/// `weft:connector@0.2.0`: 0.1.0 plus the `instant` export.
pub(crate) mod v0_2 {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "connector",
        exports: { default: async },
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "weft:connector/connector-types@0.2.0": crate::bindings::weft::connector::connector_types,
        },
        require_store_data_send: true,
    });
}

pub(crate) use self::weft::connector::connector_types as types;
pub(crate) use self::weft::connector::{log, secrets};
