#!/usr/bin/env bash
# The whole test suite. Installs what it needs when missing: the wasm32-wasip2
# target, schemathesis (pinned, from PyPI, in a venv under ~/.cache/weft) for
# the OpenAPI conformance run, the official MCP Python SDK (pinned, likewise)
# for the MCP tests, Debian's chromium for the console's browser
# test, Debian's postgresql server for the store's tests on PostgreSQL, and
# the console's npm packages (pinned in console/package-lock.json),
# from which scripts/console.sh builds the console weft serve embeds. The test
# build compiles the connector components from source.
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(…) stops the script too
cd "$(dirname "$0")/.."
rustup target list --installed | grep -q '^wasm32-wasip2$' || rustup target add wasm32-wasip2

# A venv under ~/.cache/weft holding what a requirements file pins,
# reinstalled when the file changes: pinned_venv NAME REQUIREMENTS WHAT.
pinned_venv() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/weft/$1"
  if ! cmp -s "$2" "$venv/requirements.txt" 2>/dev/null; then
    echo "installing $3 into $venv (pinned in $2)" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$2" >&2
    cp "$2" "$venv/requirements.txt"
  fi
  echo "$venv"
}
WEFT_SCHEMATHESIS="$(pinned_venv schemathesis tests/schemathesis/requirements.txt schemathesis)/bin/st"
# The official MCP Python SDK, the client the MCP tests drive weft with.
WEFT_MCP_PYTHON="$(pinned_venv mcp-client tests/mcp/requirements.txt 'the MCP Python SDK')/bin/python"
# componentize-py, which builds the Python connector the tests run beside the Rust one.
WEFT_COMPONENTIZE_PY="$(pinned_venv componentize-py sdk/python/requirements.txt componentize-py)"
export WEFT_SCHEMATHESIS WEFT_MCP_PYTHON WEFT_COMPONENTIZE_PY

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

# The end-to-end subscription and server tests again, with their state in
# PostgreSQL: one throw-away cluster for the pass (Unix socket only, no TCP),
# a database per test, stopped however the pass ends.
pg_bin="$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
pg_dir="$(mktemp -d)"
as_pg=()
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$pg_dir"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" mkdir -p "$pg_dir/socket"
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U weft --auth=trust --locale=C -E UTF8 --no-sync >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
  -o "-c listen_addresses='' -k $pg_dir/socket -c fsync=off -c max_connections=300" start >/dev/null
trap '"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"' EXIT
echo "the subscription, server and MCP tests again, on PostgreSQL" >&2
# Key rotation is left out: it is an offline command on one SQLite file (see the README).
WEFT_TEST_POSTGRES="$pg_dir/socket" cargo test -p weft-cli --test all "$@" -- subscriptions:: serve:: mcp:: \
  --skip serve::a_key_rotation_re_seals_webhook_secrets_and_signed_deliveries_still_verify
