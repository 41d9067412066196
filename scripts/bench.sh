#!/usr/bin/env bash
# The benchmarks: prints a markdown table and writes docs/performance.md.
# `--quick` for smaller runs; `overhead`, `poll`, `cold-start`, `hooks`, `languages`, `scale` or `scale-pg` for one part.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -q '^wasm32-wasip2$' || rustup target add wasm32-wasip2
# The PostgreSQL scale run starts `weft serve` workers and the simulator as processes of their own.
cargo build --release -p weft-cli -p ghl-sim --bins
# componentize-py builds the Python connector the `languages` part measures.
venv="${WEFT_COMPONENTIZE_PY:-$HOME/.cache/weft/componentize-py}"
if ! cmp -s sdk/python/requirements.txt "$venv/requirements.txt" 2>/dev/null; then
  rm -rf "$venv" && python3 -m venv "$venv" && "$venv/bin/pip" install --quiet -r sdk/python/requirements.txt
  cp sdk/python/requirements.txt "$venv/requirements.txt"
fi
export WEFT_COMPONENTIZE_PY="$venv"
cargo run --release -p weft-bench -- "$@"
