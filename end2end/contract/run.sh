#!/usr/bin/env bash
# The OpenAPI contract, checked by an independent client: schemathesis generates requests from
# /api/v1/openapi.json (valid and invalid ones, stateful sequences through the links) and runs
# every check against a release server on a fresh demo workspace. Any failure fails.
#
# Usage: end2end/contract/run.sh <schemathesis> <server binary> [seconds]
set -euo pipefail
st="$1"; server="$2"; seconds="${3:-120}"
here="$(cd "$(dirname "$0")" && pwd)"
data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

workspace="$("$server" --data-dir "$data" seed-demo 2>/dev/null | grep -o 'ws_[0-9A-Z]\{26\}' | head -n 1)"
# Every scope: what a key may not do is a 403, which tells nothing about the contract.
key="$("$server" --data-dir "$data" create-api-key --workspace "$workspace" --name schemathesis \
  --scopes customers:read,customers:write,products:read,products:write,checkouts:write,refunds:write,subscriptions:write,entitlements:write,payment_details:write,commands:write,bans:write,portal:write,workspace:write,webhooks:write,customers:erase,customers:merge)"
"$server" --data-dir "$data" serve --addr "127.0.0.1:$port" >"$data/server.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

# One worker: CPython 3.11's parser is not safe for Hypothesis's lambda descriptions in
# several threads at once ("AST constructor recursion depth mismatch").
# From the data folder: schemathesis keeps its cache in the working directory.
cd "$data"
SCHEMATHESIS_HOOKS="$here/hooks.py" "$st" --config-file "$here/schemathesis.toml" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --url "http://127.0.0.1:$port/api/v1" \
  -H "Authorization: Bearer $key" \
  --checks all --workers 1 --max-time "$seconds" --seed 20261202 --no-color \
  || { echo "--- server log (last 40 lines)"; tail -n 40 "$data/server.log"; exit 1; }
