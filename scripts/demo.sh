#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) and runs the Gridwalk server with demo data, and
# the desktop app enrolled as a demo grid worker (worker1) when there is a display.
# Env: GRIDWALK_DEMO_DIR (default ./demo-data), GRIDWALK_LISTEN (default 127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends pkg-config ca-certificates \
    libwebkit2gtk-4.1-dev fonts-noto-cjk >/dev/null
  command -v npm >/dev/null || apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# The app embeds the UI, so the UI is built first.
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build:app && npm run build:admin)
cargo build --release --locked -p gridwalk-server -p gridwalk-client
cargo build --release --locked -p gridwalk-app --features gridwalk-app/custom-protocol
server=target/release/gridwalk-server
client=target/release/gridwalk
app=target/release/gridwalk-app
data=${GRIDWALK_DEMO_DIR:-./demo-data}
listen=${GRIDWALK_LISTEN:-127.0.0.1:8080}

if [ ! -f "$data/gridwalk-server.sqlite" ]; then
  "$server" seed-demo --data "$data"
  "$server" seed-activity --data "$data" --days 30
fi

echo
echo "Demo enrolment codes (one-time; enrol with: target/release/gridwalk --data PHONE_DIR enroll --server http://$listen --code CODE):"
for login in worker1b leader1; do
  printf '  %-9s %s\n' "$login" "$("$server" enroll-code --data "$data" --user "$login" | tail -n 1)"
done
echo

"$server" serve --data "$data" --listen "$listen" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/${listen%:*}/${listen##*:}") 2>/dev/null && break
  sleep 0.1
done

# The app's data: a phone enrolled as worker1 (grid worker) and a hall tablet as desk1.
phone="$data/app-phone" tablet="$data/app-tablet"
for pair in "worker1:$phone" "desk1:$tablet"; do
  login=${pair%%:*} dir=${pair#*:}
  if [ ! -f "$dir/gridwalk.sqlite" ]; then
    "$client" --data "$dir" enroll --server "http://$listen" \
      --code "$("$server" enroll-code --data "$data" --user "$login" | tail -n 1)" --name "demo $login" >/dev/null
  fi
  "$client" --data "$dir" sync >/dev/null || echo "(first sync of $login failed; the app retries)"
done

echo "Admin web: http://$listen/admin  (login admin / gridwalk-demo; change it with"
echo "  $server admin-password --data $data --user admin --password NEW)"
echo "The app:"
echo "  phone (worker1):  GRIDWALK_DATA=$phone $app"
echo "  tablet (desk1):   GRIDWALK_DATA=$tablet GRIDWALK_WINDOW=1024x768 $app"
echo "  (a test position instead of the webview's: GRIDWALK_FAKE_LOCATION=39.1225,117.1895,8, in the demo street)"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  GRIDWALK_DATA="$phone" "$app" &
  echo "Started the phone app (pid $!). Ctrl-C stops the server."
else
  echo "No display here (DISPLAY is not set): run one of the commands above in a desktop session,"
  echo "or under a virtual display: Xvfb :99 & DISPLAY=:99 GRIDWALK_DATA=$phone $app"
fi
wait "$server_pid"
