#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test spa-oauth, and skips what is there.
# Idempotent: run by `npm test`, `npm run build`, `npm run demo` and `npm run bench`.
#   - Rust target wasm32-unknown-unknown
#   - wasm-bindgen-cli at exactly Cargo.lock's wasm-bindgen version (and its test runner)
#   - wasm-pack
#   - the pinned nightly toolchain (fuzz/rust-toolchain.toml) with rust-src (the release wasm
#     rebuilds std), a C++ compiler and cargo-fuzz (the fuzz smoke in npm test)
#   - Debian's chromium and chromium-driver (headless browser tests, end-to-end tests)
#   - Debian's firefox-esr and geckodriver from crates.io (the browser tests' second engine)  [--tests]
#   - Debian's webkit2gtk-driver (WebKitWebDriver and WebKitGTK's MiniBrowser) and xvfb (the
#     third engine, Safari's: MiniBrowser has no headless mode)  [--tests]
#   - django-oauth-toolkit from PyPI in target/dot-venv (the end-to-end tests' second server)  [--tests]
#   - the npm packages in package-lock.json and bench/package-lock.json (npm ci)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }
export PATH="$HOME/.cargo/bin:$PATH"

# --- Rust target -------------------------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# --- wasm-bindgen-cli, matching Cargo.lock -----------------------------------------------
want=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/[^0-9.]/, "", $0); print; exit }' Cargo.lock)
[ -n "$want" ] || { say "no wasm-bindgen in Cargo.lock"; exit 1; }
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
have_runner=$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ] || [ "$have_runner" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (have: ${have:-none})"
  if ! cargo install wasm-bindgen-cli --version "$want" --locked --force; then
    # The registry mirror may lack a crate version pinned in the CLI's own lock file
    # (seen: webpki-roots 1.0.11). Build from the unpacked crate with that one pin relaxed.
    say "locked install failed; retrying with the lock file's missing pins relaxed"
    src=$(mktemp -d)
    crate=$(find "$HOME/.cargo/registry/cache" -name "wasm-bindgen-cli-$want.crate" | head -n1)
    [ -n "$crate" ] || cargo fetch >/dev/null 2>&1 || true
    crate=$(find "$HOME/.cargo/registry/cache" -name "wasm-bindgen-cli-$want.crate" | head -n1)
    [ -n "$crate" ] || { say "wasm-bindgen-cli-$want.crate not in the cargo cache"; exit 1; }
    tar -xzf "$crate" -C "$src"
    (
      cd "$src/wasm-bindgen-cli-$want"
      # Step each pinned crate the registry lacks down to the newest version it has.
      for _ in 1 2 3 4 5; do
        out=$(cargo metadata --locked --format-version 1 2>&1 >/dev/null) && break
        dep=$(printf '%s\n' "$out" | sed -n 's/.*requirement `\([a-z0-9_-]*\) = .*/\1/p' | head -n1)
        ver=$(printf '%s\n' "$out" | sed -n 's/.*candidate versions found which didn.t match: \([0-9][^,]*\),.*/\1/p' | head -n1)
        [ -n "$dep" ] && [ -n "$ver" ] || { printf '%s\n' "$out" >&2; exit 1; }
        say "pinning $dep to $ver"
        cargo update -p "$dep" --precise "$ver"
      done
      cargo install --path . --locked --force
    )
    rm -rf "$src"
  fi
fi

# --- wasm-pack ---------------------------------------------------------------------------
if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack"
  cargo install wasm-pack --locked
fi

# --- Pinned nightly (release wasm, fuzzing), C++ (libFuzzer is built from source), cargo-fuzz -
nightly=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' fuzz/rust-toolchain.toml)
[ -n "$nightly" ] || { say "no channel in fuzz/rust-toolchain.toml"; exit 1; }
if ! rustup toolchain list | grep -q "^$nightly"; then
  say "installing the $nightly toolchain"
  rustup toolchain install "$nightly" --profile minimal --component rust-src
fi
# rust-src: the release wasm rebuilds std (scripts/build.mjs).
if ! rustup component list --toolchain "$nightly" --installed | grep -q '^rust-src'; then
  say "adding rust-src to $nightly"
  rustup component add rust-src --toolchain "$nightly"
fi
apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  # apt-get cannot run twice at once: wait for another install to finish.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@"
}
if ! command -v c++ >/dev/null; then
  say "installing g++ (libFuzzer is compiled by cargo-fuzz)"
  apt_install g++
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  say "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# --- Chromium and ChromeDriver (Debian packages) -------------------------------------------
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
  say "installing Debian chromium and chromium-driver"
  apt_install chromium chromium-driver
fi

# --- What only the tests need (`setup.sh --tests`, as `npm test` runs it): the second browser
# engine and the second authorization server; `npm run demo` and `npm run build` skip them.
if [ "${1:-}" = "--tests" ]; then
  # --- Firefox ESR (Debian) and geckodriver (crates.io), the second engine ------------------
  if ! [ -x /usr/bin/firefox-esr ]; then
    say "installing Debian firefox-esr"
    apt_install firefox-esr
  fi
  gecko_want=0.37.1
  if ! geckodriver --version 2>/dev/null | head -1 | grep -q "geckodriver $gecko_want"; then
    say "installing geckodriver $gecko_want (crates.io)"
    cargo install geckodriver --version "$gecko_want" --locked
  fi

  # --- WebKitGTK (Debian): WebKitWebDriver, MiniBrowser, and a virtual display --------------
  if ! [ -x /usr/bin/WebKitWebDriver ] || ! [ -x /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser ] \
    || ! command -v Xvfb >/dev/null; then
    say "installing Debian webkit2gtk-driver and xvfb"
    apt_install --no-install-recommends webkit2gtk-driver xvfb
  fi

  # --- django-oauth-toolkit (PyPI), the end-to-end suite's second server -------------------
  # In a virtual environment under target/, pinned by tests/e2e/dot/requirements.txt; a copy
  # of that file in the venv tells whether it is installed as pinned.
  dot_venv=target/dot-venv
  if ! cmp -s tests/e2e/dot/requirements.txt "$dot_venv/requirements.txt" 2>/dev/null; then
    say "installing django-oauth-toolkit into $dot_venv (pip)"
    command -v python3 >/dev/null || apt_install python3 python3-venv
    rm -rf "$dot_venv"
    mkdir -p target
    python3 -m venv "$dot_venv" || { apt_install python3-venv && python3 -m venv "$dot_venv"; }
    "$dot_venv/bin/pip" install --quiet --disable-pip-version-check -r tests/e2e/dot/requirements.txt
    cp tests/e2e/dot/requirements.txt "$dot_venv/requirements.txt"
  fi
fi

# --- npm packages --------------------------------------------------------------------------
# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
# The benchmark's own packages (oidc-client-ts, oauth4webapi, keycloak-js, esbuild): bench/.
if [ ! -f bench/node_modules/.package-lock.json ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  say "installing the benchmark's npm packages (bench/, npm ci)"
  (cd bench && npm ci --no-audit --no-fund --loglevel=error)
fi
