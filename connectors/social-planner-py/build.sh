#!/usr/bin/env bash
# Builds this Python connector into a weft component: build.sh OUT.wasm
# componentize-py comes from the venv scripts/test.sh installs
# (~/.cache/weft/componentize-py, pinned in requirements.txt), or WEFT_COMPONENTIZE_PY.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUT.wasm}"
venv="${WEFT_COMPONENTIZE_PY:-$HOME/.cache/weft/componentize-py}"
wit="${WEFT_WIT:-$here/../../wit}"
sdk="${WEFT_PYTHON_SDK:-$here/../../sdk/python}"
if [ ! -x "$venv/bin/componentize-py" ]; then
  echo "componentize-py is not installed at $venv; run: python3 -m venv $venv && $venv/bin/pip install -r $sdk/requirements.txt" >&2
  exit 1
fi
"$venv/bin/componentize-py" -d "$wit" -w connector componentize app -p "$here" -p "$sdk" -o "$out"
