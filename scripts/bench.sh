#!/usr/bin/env bash
# The benchmarks: prints a markdown table and writes docs/performance.md.
# `--quick` for smaller runs; `overhead`, `poll`, `cold-start`, `scale` or `scale-pg` for one part.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -q '^wasm32-wasip2$' || rustup target add wasm32-wasip2
# The PostgreSQL scale run starts `weft serve` workers and the simulator as processes of their own.
cargo build --release -p weft-cli -p ghl-sim --bins
cargo run --release -p weft-bench -- "$@"
