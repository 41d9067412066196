#!/usr/bin/env bash
# Builds this connector into a weft component: ./build.sh OUT.wasm
# componentize-py comes from a venv (WEFT_COMPONENTIZE_PY, default ~/.cache/weft/componentize-py);
# create it with: python3 -m venv ~/.cache/weft/componentize-py && ~/.cache/weft/componentize-py/bin/pip install -r requirements.txt
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUT.wasm}"
venv="${WEFT_COMPONENTIZE_PY:-$HOME/.cache/weft/componentize-py}"
if [ ! -x "$venv/bin/componentize-py" ]; then
  echo "componentize-py is not installed at $venv; run: python3 -m venv $venv && $venv/bin/pip install -r $here/requirements.txt" >&2
  exit 1
fi
"$venv/bin/componentize-py" -d "$here/wit" -w connector componentize app -p "$here" -o "$out"
