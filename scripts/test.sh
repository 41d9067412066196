#!/usr/bin/env bash
# The whole test suite. Installs what it needs when missing: the wasm32-wasip2
# target, schemathesis (pinned, from PyPI, in a venv under ~/.cache/weft) for
# the OpenAPI conformance run, Debian's chromium for the console's browser
# test, Debian's postgresql server for the store's tests on PostgreSQL, and
# the console's npm packages (pinned in console/package-lock.json),
# from which scripts/console.sh builds the console weft serve embeds. The test
# build compiles the connector components from source.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -q '^wasm32-wasip2$' || rustup target add wasm32-wasip2

venv="${XDG_CACHE_HOME:-$HOME/.cache}/weft/schemathesis"
if ! cmp -s tests/schemathesis/requirements.txt "$venv/requirements.txt" 2>/dev/null; then
  echo "installing schemathesis into $venv (pinned in tests/schemathesis/requirements.txt)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/schemathesis/requirements.txt
  cp tests/schemathesis/requirements.txt "$venv/requirements.txt"
fi
export WEFT_SCHEMATHESIS="$venv/bin/st"

if ! command -v chromium >/dev/null; then
  echo "installing chromium (Debian's) for the console's browser test" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null
fi
export WEFT_CHROMIUM="${WEFT_CHROMIUM:-$(command -v chromium)}"

# PostgreSQL's server binaries, for the store tests' throw-away clusters.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  echo "installing postgresql (Debian's) for the store's PostgreSQL tests" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq postgresql >/dev/null
fi
scripts/console.sh

cargo test --workspace "$@"
