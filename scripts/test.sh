#!/usr/bin/env bash
# The whole test suite. Installs the wasm32-wasip2 target when missing; the
# test build compiles the connector components from source.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -q '^wasm32-wasip2$' || rustup target add wasm32-wasip2
cargo test --workspace "$@"
