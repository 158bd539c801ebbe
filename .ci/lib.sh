# Shared by .ci/start and .ci/test: idempotent set-up steps, each quick when already done.
# Sourced, not run. Every step installs from the registries this project may reach
# (crates.io, npm, Debian); nothing downloads prebuilt binaries from elsewhere.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION="0.3.5"   # 0.3.6+ needs rustc >= 1.96
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Each step says when it began, in seconds since the command started: the gaps are the steps'
# times, so a slow step shows in the log.
step() { printf '\n==> %s  [%d s]\n' "$*" "$SECONDS"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# Cargo tools build without fat LTO: minutes instead of a quarter of an hour on 2 cores.
cargo_install() {
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo install "$@"
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo "$@"; else die "need root for: $*"; fi
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# A persistent cargo target directory, so repeated runs in fresh clones on one machine reuse
# compiled dependencies. Only when ./target does not exist yet; `target` stays the path used.
use_build_cache() {
  local cache="${PATRON_BUILD_CACHE:-$HOME/.cache/patron/target}"
  if [ "${PATRON_BUILD_CACHE:-}" = off ] || [ -e target ]; then return; fi
  mkdir -p "$cache"
  ln -s "$cache" target
}

ensure_rust() {
  have cargo || die "cargo is not installed (rustup is the machine's toolchain)"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(cargo leptos --version 2>/dev/null || true)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
    step "installing cargo-leptos $CARGO_LEPTOS_VERSION"
    cargo_install --locked "cargo-leptos@$CARGO_LEPTOS_VERSION"
  fi
  # wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock exactly.
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"
  [ -n "$want" ] || die "Cargo.lock names no wasm-bindgen version"
  if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $want" ]; then
    step "installing wasm-bindgen-cli $want"
    # --locked fails: its lockfile names a webpki-roots release the registry does not serve.
    cargo_install --force wasm-bindgen-cli --version "$want"
  fi
}

ensure_npm() {
  have npm || apt_install nodejs npm
  local stamp="end2end/node_modules/.patron-lock"
  if [ ! -f "$stamp" ] || ! cmp -s end2end/package-lock.json "$stamp"; then
    step "installing npm packages (Tailwind, wasm-opt, Redoc, Playwright)"
    # `npm ci`: exactly the locked, integrity-checked packages, and the committed lockfile is
    # never rewritten. It lists every platform's optional packages (Tailwind's native binaries);
    # after changing package.json, refresh it with `npm install` and commit the whole file.
    (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
    cp end2end/package-lock.json "$stamp"
  fi
}

ensure_chromium() {
  if ! have chromium; then
    step "installing Debian's chromium"
    apt_install chromium
  fi
}

# wrk: the separate load generator `server bench` uses for its throughput rows (its test too).
ensure_wrk() {
  if ! have wrk; then
    step "installing Debian's wrk"
    apt_install wrk
  fi
}

# A running local PostgreSQL cluster with a `patron` role that may create databases.
# Exports PATRON_TEST_PG_URL (for the test suite) and PATRON_PG_URL (a `patron` database).
ensure_postgres() {
  if ! have pg_lsclusters; then
    step "installing PostgreSQL"
    apt_install postgresql
  fi
  local line ver name port status
  line="$(pg_lsclusters -h | head -n 1 || true)"
  if [ -z "$line" ]; then
    ver="$(ls /usr/lib/postgresql | sort -n | tail -n 1)"
    step "creating PostgreSQL cluster $ver/main"
    as_root pg_createcluster "$ver" main >/dev/null
    line="$(pg_lsclusters -h | head -n 1)"
  fi
  read -r ver name port status _ <<<"$line"
  if [ "$status" != online ]; then
    step "starting PostgreSQL $ver/$name on port $port"
    as_root pg_ctlcluster "$ver" "$name" start
  fi
  local psql=(as_root su postgres -c)
  if [ "$("${psql[@]}" "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'patron'\"")" != 1 ]; then
    "${psql[@]}" "psql -p $port -qc \"CREATE ROLE patron LOGIN CREATEDB PASSWORD 'patron'\""
  fi
  # Tests drop their databases WITH (FORCE); that must be able to end an autovacuum worker.
  if [ "$("${psql[@]}" "psql -p $port -tAc \"SELECT pg_has_role('patron', 'pg_signal_backend', 'MEMBER')\"")" != t ]; then
    "${psql[@]}" "psql -p $port -qc \"GRANT pg_signal_backend TO patron\""
  fi
  if [ "$("${psql[@]}" "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname = 'patron'\"")" != 1 ]; then
    "${psql[@]}" "psql -p $port -qc \"CREATE DATABASE patron OWNER patron\""
  fi
  export PATRON_TEST_PG_URL="postgres://patron:patron@127.0.0.1:$port/postgres"
  export PATRON_PG_URL="postgres://patron:patron@127.0.0.1:$port/patron"
}

# Debian's nginx and openssl, for the test that runs deploy/nginx.conf in front of two processes.
ensure_nginx() {
  if [ ! -x /usr/sbin/nginx ] || ! have openssl; then
    step "installing nginx and openssl (Debian packages)"
    apt_install nginx-light openssl || apt_install nginx openssl
  fi
  export PATRON_TEST_NGINX=/usr/sbin/nginx
}

# A virtual environment with the Python test tools, pinned (outside the work tree).
SCHEMATHESIS_VERSION="4.32.5"
PROMETHEUS_CLIENT_VERSION="0.21.1"
ensure_python_tools() {
  local venv="${PATRON_VENV:-$HOME/.cache/patron/venv}"
  if ! "$venv/bin/python" -c pass 2>/dev/null; then
    have python3 || apt_install python3 python3-venv
    step "creating the Python virtual environment $venv"
    python3 -m venv "$venv" || { apt_install python3-venv; python3 -m venv "$venv"; }
  fi
  if [ "$("$venv/bin/schemathesis" --version 2>/dev/null || true)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    step "installing schemathesis $SCHEMATHESIS_VERSION"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  # The metrics test reads /metrics with Prometheus' own Python parser.
  if [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("prometheus_client"))' 2>/dev/null || true)" != "$PROMETHEUS_CLIENT_VERSION" ]; then
    step "installing prometheus_client $PROMETHEUS_CLIENT_VERSION"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "prometheus_client==$PROMETHEUS_CLIENT_VERSION"
  fi
  export SCHEMATHESIS="$venv/bin/schemathesis"
  export PATRON_TEST_PYTHON="$venv/bin/python"
}

# --split: each lazy route (app/src/routes.rs) becomes its own wasm file; the build needs it
# (a lazy route's stub is only linked by the split). --precompress: .br and .gz next to every
# asset, served as they are by the static file handler.
build_site() {
  step "building the site (cargo leptos build --release --split --precompress)"
  cargo leptos build --release --split --precompress
  # The API reference's viewer (Redoc, an npm package of the front-end tools) beside the
  # built wasm, so /api/docs loads nothing from another origin: the one image Redoc fetches
  # (its attribution's logo, from its CDN) becomes an empty inline one; the words stay.
  sed 's#https://cdn.redoc.ly/redoc/logo-mini.svg#data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E#' \
    end2end/node_modules/redoc/bundles/redoc.standalone.js > target/site/pkg/redoc.standalone.js
  ! grep -q 'cdn\.redoc\.ly' target/site/pkg/redoc.standalone.js || die "Redoc still loads from its CDN"
  gzip -9 -k -f target/site/pkg/redoc.standalone.js
}

ensure_sdk_npm() {
  local stamp="sdk/typescript/node_modules/.patron-lock"
  if [ ! -f "$stamp" ] || ! cmp -s sdk/typescript/package-lock.json "$stamp"; then
    step "installing the TypeScript SDK's build tools (TypeScript, openapi-typescript)"
    (cd sdk/typescript && npm ci --no-audit --no-fund --loglevel=error)
    cp sdk/typescript/package-lock.json "$stamp"
  fi
}
