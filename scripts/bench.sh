#!/usr/bin/env bash
# The benchmarks: prints a markdown table and writes docs/performance.md.
# `--quick` for smaller runs; `overhead`, `poll`, `cold-start` or `scale` for one part.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -q '^wasm32-wasip2$' || rustup target add wasm32-wasip2
cargo run --release -p weft-bench -- "$@"
