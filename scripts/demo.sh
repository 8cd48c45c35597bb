#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) and runs the Gridwalk server with demo data.
# Env: GRIDWALK_DEMO_DIR (default ./demo-data), GRIDWALK_LISTEN (default 127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends pkg-config ca-certificates >/dev/null
fi

cargo build --release --locked -p gridwalk-server -p gridwalk-client
server=target/release/gridwalk-server
data=${GRIDWALK_DEMO_DIR:-./demo-data}
listen=${GRIDWALK_LISTEN:-127.0.0.1:8080}

if [ ! -f "$data/gridwalk-server.sqlite" ]; then
  "$server" seed-demo --data "$data"
fi

echo
echo "Demo enrolment codes (one-time; enrol with: target/release/gridwalk --data PHONE_DIR enroll --server http://$listen --code CODE):"
for login in worker1 worker1b desk1 leader1; do
  printf '  %-9s %s\n' "$login" "$("$server" enroll-code --data "$data" --user "$login" | tail -n 1)"
done
echo
exec "$server" serve --data "$data" --listen "$listen"
