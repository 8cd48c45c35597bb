#!/usr/bin/env bash
# Runs every fuzz target (docs/fuzzing.md) for SECONDS each (default 60), one at a time,
# when a nightly toolchain is present; says so and succeeds when it is not.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

SECONDS_EACH="${1:-60}"
TARGETS=(sync_body upload_check download_apply photo household_import)

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "no nightly toolchain: fuzzing skipped"
  exit 0
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

cargo +nightly fuzz build
# New inputs go to a scratch corpus; the seeds in fuzz/corpus/ stay as committed.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in "${TARGETS[@]}"; do
  echo "== fuzz $target (${SECONDS_EACH}s)"
  mkdir -p "$scratch/$target"
  # A crash stops the run with its input in fuzz/artifacts/<target>/ (the script fails).
  cargo +nightly fuzz run "$target" "$scratch/$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1
done
echo "fuzzing: every target ran ${SECONDS_EACH}s without a crash"
