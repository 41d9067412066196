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

# The official MCP Python SDK, the client the MCP tests drive weft with.
mcp_venv="${XDG_CACHE_HOME:-$HOME/.cache}/weft/mcp-client"
if ! cmp -s tests/mcp/requirements.txt "$mcp_venv/requirements.txt" 2>/dev/null; then
  echo "installing the MCP Python SDK into $mcp_venv (pinned in tests/mcp/requirements.txt)" >&2
  rm -rf "$mcp_venv"
  python3 -m venv "$mcp_venv"
  "$mcp_venv/bin/pip" install --quiet --disable-pip-version-check -r tests/mcp/requirements.txt
  cp tests/mcp/requirements.txt "$mcp_venv/requirements.txt"
fi
export WEFT_MCP_PYTHON="$mcp_venv/bin/python"

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
