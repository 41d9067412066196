#!/usr/bin/env bash
# The weft demo: the GHL Social Planner connector, sandboxed, against the
# bundled GHL simulator on 127.0.0.1. Installs what it needs, builds the rest.
# With --console, weft serve keeps running at the end for the builder's
# console in a browser (Ctrl-C stops it).
set -euo pipefail
stay=false
[ "${1:-}" = "--console" ] && stay=true
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Preparing: the wasm32-wasip2 target, the console, the weft host, the simulator, the connector component"
rustup target list --installed | grep -q '^wasm32-wasip2$' || rustup target add wasm32-wasip2
scripts/console.sh
cargo build --quiet -p weft-cli -p ghl-sim
cargo build --quiet -p ghl-social-planner -p ghl-contacts --target wasm32-wasip2 --profile component
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

say "Part two: the operator's server. weft serve with the simulator and a webhook receiver"
mkdir -p "$work/connectors" "$work/data"
cp "$component" "$target_dir/wasm32-wasip2/component/ghl_contacts.wasm" "$work/connectors/"
# The simulator signs the webhooks it sends with its own keys; weft is told them.
keys=$(curl -fsS "$sim/_sim/webhooks/keys")
ed25519=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ed25519"])')
rsa=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rsa"])')
python3 scripts/webhook-sink.py >"$work/sink.out" &
sink_pid=$!
for _ in $(seq 100); do [ -s "$work/sink.out" ] && break; sleep 0.1; done
hook=$(head -n1 "$work/sink.out")
cat >"$work/weft.toml" <<TOML
data_dir = "$work/data"
[server]
listen = "127.0.0.1:0"
connectors_dir = "$work/connectors"
[egress]
allow_loopback = true        # the simulator and the receiver are on this machine
[scheduler]
dev_interval_ms = 500        # demo only: poll twice a second instead of every few minutes
# The console's "Connect with OAuth" goes through the simulator's consent page.
[connectors.ghl-social-planner.oauth]
client_id = "demo-client"
client_secret = "demo-client-secret"
authorize_url = "$sim/oauth/chooselocation"
token_url = "$sim/oauth/token"
# Instant triggers: the GHL app "demo" sends its webhooks to /v1/hooks/ghl/demo.
[hooks.demo]
ed25519_keys = ["$ed25519"]
rsa_keys = ['''
$rsa''']
TOML
curl -fsS -X POST -H 'content-type: application/json' "$sim/_sim/oauth/apps" -d '{"clientId":"demo-client","clientSecret":"demo-client-secret"}' >/dev/null
curl -fsS -X POST -H 'content-type: application/json' "$sim/_sim/oauth/consent" -d "{\"locationId\":\"$location\"}" >/dev/null
export WEFT_DATA_DIR="$work/data"
"$weft" workspaces create demo >/dev/null
key=$("$weft" api-keys create --for demo --label demo 2>/dev/null)
"$weft" serve --config "$work/weft.toml" 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 100); do grep -q "weft serving on" "$work/serve.log" && break; sleep 0.1; done
api=$(grep -o "weft serving on http://[0-9.:]*" "$work/serve.log" | head -n1 | cut -d' ' -f4)
echo "weft serve at $api, webhook receiver at $hook"
trap 'kill $serve_pid $sink_pid 2>/dev/null; cleanup' EXIT
call() { curl -sS -X "$1" "$api$2" -H "authorization: Bearer $key" -H 'content-type: application/json' ${3:+-d "$3"}; echo; }

say "curl: the connectors this server runs"
call GET /v1/connectors | python3 -c 'import json,sys; [print(c["id"], [t["key"] for t in c["triggers"]], [a["key"] for a in c["actions"]]) for c in json.load(sys.stdin)]'

say "curl: connect the GHL location with its token (never shown again)"
call POST /v1/connections "{\"name\":\"acme\",\"connector\":\"ghl-social-planner\",\"token\":\"$GHL_TOKEN\",\"baseUrl\":\"$sim\",\"locationId\":\"$location\"}"
call POST /v1/connections/acme/test

say "curl: subscribe to each trigger, delivering to the webhook"
for trigger in new-tag tag-details; do
  call POST /v1/subscriptions "{\"name\":\"$trigger\",\"connector\":\"ghl-social-planner\",\"trigger\":\"$trigger\",\"connection\":\"acme\",\"destination\":\"$hook\"}" \
    | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["subscription"]["name"], s["subscription"]["state"], "signing secret:", s.get("webhookSecret","")[:14]+"…")'
done
call POST /v1/subscriptions "{\"name\":\"stats\",\"connector\":\"ghl-social-planner\",\"trigger\":\"post-statistics\",\"connection\":\"acme\",\"destination\":\"$hook\",\"start\":\"all\",\"input\":{\"profileIds\":[\"$profile\"]}}" \
  | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["subscription"]["name"], s["subscription"]["state"])'
sleep 2

say "The simulator gets new tags; the webhook receives each event once"
admin POST tags '{"tag":"Cyber Monday"}' >/dev/null
admin POST tags '{"tag":"Holiday lookbook"}' >/dev/null
sleep 3
cat "$work/sink.out" | tail -n +2

say "curl: run an action, read events by cursor, see the subscription's state"
call POST /v1/connectors/ghl-social-planner/actions/find-tags/run '{"connection":"acme","input":{"searchText":"cyber"}}'
call GET '/v1/subscriptions/new-tag/events?after=0&limit=1' | python3 -c 'import json,sys; p=json.load(sys.stdin); print("events:", [e["data"]["tag"] for e in p["events"]], "next cursor:", p["next"])'
call GET /v1/subscriptions/new-tag | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["name"], s["state"], "last ok", s.get("lastSuccessAt"))'

say "curl: a subscription with a field mapping (jq): the receiver gets {name, id} instead of the whole tag"
call POST /v1/mapping/preview '{"connector":"ghl-social-planner","trigger":"new-tag","mapping":"{name: .tag, id: ._id}"}'
call POST /v1/subscriptions "{\"name\":\"mapped\",\"connector\":\"ghl-social-planner\",\"trigger\":\"new-tag\",\"connection\":\"acme\",\"destination\":\"$hook\",\"mapping\":\"{name: .tag, id: ._id}\"}" >/dev/null
sleep 2
admin POST tags '{"tag":"Spring sale"}' >/dev/null
sleep 3
grep -F '"name": "Spring sale"' "$work/sink.out"
echo "A broken mapping is refused with its position:"
call POST /v1/mapping/preview '{"connector":"ghl-social-planner","trigger":"new-tag","mapping":"{name: .tag,"}'

say "Instant: GHL pushes a webhook when a contact is tagged; weft verifies it, and delivers it within a second"
curl -fsS -X POST -H 'content-type: application/json' "$sim/_sim/webhooks" -d "{\"url\":\"$api/v1/hooks/ghl/demo\"}"
call POST /v1/connections "{\"name\":\"crm\",\"connector\":\"ghl-contacts\",\"token\":\"$GHL_TOKEN\",\"baseUrl\":\"$sim\",\"locationId\":\"$location\"}" >/dev/null
call POST /v1/subscriptions "{\"name\":\"vips\",\"connector\":\"ghl-contacts\",\"trigger\":\"contact-tag-updated\",\"connection\":\"crm\",\"input\":{\"tag\":\"vip\"},\"destination\":\"$hook\",\"mapping\":\"{contact: .name, email: .email, tags: .tags}\"}" \
  | python3 -c 'import json,sys; s=json.load(sys.stdin)["subscription"]; print(s["name"], s["trigger"], s["state"])'
sleep 1
webhook() { curl -sS -X POST -H 'content-type: application/json' "$sim/_sim/webhooks/send" -d "$1" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("GHL sent", r["webhookId"][:12]+"…", "weft answered", r["statuses"])'; }
echo "Ada is tagged vip (GHL sends the webhook twice):"
webhook "{\"type\":\"ContactTagUpdate\",\"locationId\":\"$location\",\"data\":{\"id\":\"c-ada\",\"name\":\"Ada Lovelace\",\"email\":\"ada@example.com\",\"tags\":[\"vip\"]},\"delivery\":{\"copies\":2}}"
echo "Bob is tagged lead (the subscription's filter lets only vip through):"
webhook "{\"type\":\"ContactTagUpdate\",\"locationId\":\"$location\",\"data\":{\"id\":\"c-bob\",\"name\":\"Bob\",\"tags\":[\"lead\"]}}"
echo "A forged webhook (refused with 401, nothing stored):"
webhook "{\"type\":\"ContactTagUpdate\",\"locationId\":\"$location\",\"data\":{\"id\":\"c-eve\",\"name\":\"Eve\",\"tags\":[\"vip\"]},\"delivery\":{\"signing\":\"forged\"}}"
sleep 2
echo "The webhook receiver got Ada once:"
grep -F 'Ada Lovelace' "$work/sink.out" || { echo "(nothing arrived)"; exit 1; }

say "A bad request gets a problem+json naming the field"
call POST /v1/connectors/ghl-social-planner/actions/find-tags/run '{"connection":"acme","input":{"limit":500}}'

say "Done. The connector never saw the token: the host attached it to each request."
echo "The builder's console: $api/console/ (sign in with the workspace key $key)"
if $stay; then
  echo "weft serve keeps running for the console; Ctrl-C stops it."
  wait "$serve_pid"
else
  echo "Run scripts/demo.sh --console to keep it running and open it in a browser."
fi
