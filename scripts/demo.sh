#!/usr/bin/env bash
# The weft demo: the GHL Social Planner connector, sandboxed, against the
# bundled GHL simulator on 127.0.0.1. Installs what it needs, builds the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Preparing: the wasm32-wasip2 target, the weft host, the simulator, the connector component"
rustup target list --installed | grep -q '^wasm32-wasip2$' || rustup target add wasm32-wasip2
cargo build --quiet -p weft -p ghl-sim
cargo build --quiet -p ghl-social-planner --target wasm32-wasip2 --profile component
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
weft="$target_dir/debug/weft"
component="$target_dir/wasm32-wasip2/component/ghl_social_planner.wasm"

work=$(mktemp -d)
sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

export GHL_TOKEN="demo-private-integration-token"
location="demo-location"
"$target_dir/debug/ghl-sim" --listen 127.0.0.1:0 --token "$GHL_TOKEN" --location "$location" >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 100); do [ -s "$work/sim.out" ] && break; sleep 0.1; done
sim=$(head -n1 "$work/sim.out")
[ -n "$sim" ] || { echo "the simulator did not start:"; cat "$work/sim.err"; exit 1; }
echo "GHL simulator at $sim"

cat >"$work/connection.toml" <<TOML
base_url = "$sim"
location_id = "$location"
token_env = "GHL_TOKEN"
TOML

admin() { curl -fsS -X "$1" -H 'content-type: application/json' "$sim/_sim/locations/$location/$2" ${3:+-d "$3"}; }
poll() { "$weft" poll "$component" "$1" --connection "$work/connection.toml" --state "$work/$1.state" --allow-loopback "${@:2}"; }

say "weft inspect: what the connector offers (keys only; run it yourself for schemas and samples)"
"$weft" inspect "$component" | python3 -c '
import json, sys
m = json.load(sys.stdin)
print(m["name"], m["version"])
for t in m["triggers"]: print("  trigger", t["key"].ljust(16), "-", t["label"])
for a in m["actions"]: print("  action ", a["key"].ljust(16), "-", a["label"])'

say "The location already has a tag; the first poll of each trigger records what exists and prints nothing"
admin POST tags '{"tag":"Evergreen"}' >/dev/null
poll new-tag
poll tag-details

say "Someone adds two tags in GHL; polling new-tag prints exactly those"
admin POST tags '{"tag":"Summer launch"}' >/dev/null
promo=$(admin POST tags '{"tag":"Black Friday"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["_id"])')
poll new-tag

say "tag-details prints them too, with their details"
poll tag-details

say "A tag is renamed; tag-details prints it once more, new-tag prints nothing"
admin PATCH "tags/$promo" '{"tag":"Black Friday 2026"}' >/dev/null
poll tag-details
poll new-tag
echo "(new-tag: nothing new)"

say "A statistics snapshot of the connected account (--since all: emit today's snapshot at once)"
profile=$(admin POST accounts '{"name":"Acme Coffee","platform":"facebook"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["profileId"])')
admin PUT statistics '{"dayRange":["Mon","Tue","Wed","Thu","Fri","Sat","Sun"],"totals":{"posts":9,"likes":214,"followers":1830,"impressions":5120,"comments":31}}' >/dev/null
poll post-statistics --since all --input "{\"profileIds\":[\"$profile\"]}" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line); s = e["data"]
    print("snapshot", e["id"], "->", json.dumps(s["statistics"]["totals"]))'

say "The profileIds dropdown, from the connector's options export"
"$weft" options "$component" get-statistics profileIds --connection "$work/connection.toml" --allow-loopback

say "An action: find-tags"
"$weft" invoke "$component" find-tags --input '{"searchText":"black"}' --connection "$work/connection.toml" --allow-loopback

say "A bad input gets one clear line naming the field"
"$weft" invoke "$component" find-tags --input '{"limit":500}' --connection "$work/connection.toml" --allow-loopback || true

say "Done. The connector never saw the token: the host attached it to each request."
