#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) and runs every check and test of Gridwalk.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_PROFILE_DEV_DEBUG=0 CARGO_TERM_COLOR=never
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== system packages"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends pkg-config ca-certificates >/dev/null
fi

echo "== format";  cargo fmt --all -- --check
echo "== lint";    cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== build";   cargo test --workspace --locked --no-run
echo "== tests";   GRIDWALK_PREBUILT=1 cargo test --workspace --locked
echo "== all checks passed"
