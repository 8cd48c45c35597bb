#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) and runs every check and test of Gridwalk.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_PROFILE_DEV_DEBUG=0 CARGO_TERM_COLOR=never
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== system packages"
  apt-get update -qq
  # The app (app/tauri) builds against WebKitGTK; its end-to-end test runs it under Xvfb
  # through WebKitWebDriver, with a CJK font for the screenshots. The admin web's browser
  # test drives Debian's Chromium (no test tool downloads a browser of its own). The S3
  # tests' object store runs in a Python venv (below); the cluster tests put Debian's
  # haproxy in front of two server nodes; the PostgreSQL tests start their own throw-away
  # cluster from Debian's server binaries.
  apt-get install -y -qq --no-install-recommends pkg-config ca-certificates \
    libwebkit2gtk-4.1-dev xvfb webkit2gtk-driver fonts-noto-cjk chromium \
    python3 python3-venv haproxy postgresql >/dev/null
  command -v npm >/dev/null || apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

echo "== services"
# The S3-compatible server the blob tests start (tests/src/s3.rs): moto from PyPI, in its
# own venv; installed once.
MOTO=/opt/gridwalk-moto
"$MOTO/bin/python" -c 'import moto.server' 2>/dev/null \
  || { python3 -m venv "$MOTO" && "$MOTO/bin/pip" install -q 'moto[server]'; }

echo "== app tools"
node -e 'const [a, b] = process.versions.node.split(".").map(Number);
  if (a < 20 || (a === 20 && b < 19)) { console.error(`Node ${process.version} is too old for Vite 8: install Node 20.19+ or 22`); process.exit(1); }'
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --version 2.1.0
# The UI first: the app's Rust build embeds ui/dist/app.
echo "== ui";    (cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run check && npm test && npm run build:app && npm run build:admin)
# The admin web's browser test: playwright-core only, driving /usr/bin/chromium.
echo "== web test driver"; (cd tests/web && npm ci --no-audit --no-fund --loglevel=error)

echo "== format";  cargo fmt --all -- --check
echo "== lint";    cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== build";   cargo test --workspace --locked --no-run && cargo build --locked -p gridwalk-app
# Every service test runs (none skips for want of its server).
echo "== tests";   GRIDWALK_PREBUILT=1 GRIDWALK_REQUIRE_BROWSER=${GRIDWALK_REQUIRE_BROWSER:-1} \
  GRIDWALK_REQUIRE_SERVICES=1 cargo test --workspace --locked
# Each fuzz target for a bounded time when a nightly toolchain is present (docs/fuzzing.md);
# says so and goes on when it is not.
echo "== fuzz";    scripts/fuzz.sh 20
echo "== all checks passed"
