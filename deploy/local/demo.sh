#!/usr/bin/env bash
# The one-command demo: installs what is missing, builds, starts a local nats-server with JetStream
# (monitoring on 127.0.0.1) and nats-exporter on :7777, prints what to curl, and runs until Ctrl-C.
#   bash deploy/local/demo.sh
# Environment: NATS_PORT (4222), NATS_HTTP_PORT (8222), EXPORTER_PORT (7777), DEMO_SECONDS (run
# that long and stop, instead of waiting for Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
NATS_PORT=${NATS_PORT:-4222}
NATS_HTTP_PORT=${NATS_HTTP_PORT:-8222}
EXPORTER_PORT=${EXPORTER_PORT:-7777}

bash deploy/install-deps.sh demo
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNATSEXP_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)"

work=$(mktemp -d /tmp/nats-exporter-demo.XXXXXX)
cat > "$work/nats.conf" <<CONF
server_name: demo
host: 127.0.0.1
port: $NATS_PORT
http: 127.0.0.1:$NATS_HTTP_PORT
jetstream { store_dir: "$work/js", max_memory_store: 64MB, max_file_store: 256MB }
CONF

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

nats-server -c "$work/nats.conf" -l "$work/nats.log" &
pids+=($!)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$NATS_HTTP_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

build/nats-exporter --nats.url="http://127.0.0.1:$NATS_HTTP_PORT" --web.listen-address=":$EXPORTER_PORT" &
pids+=($!)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$EXPORTER_PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

cat <<MSG

nats-server (JetStream) on nats://127.0.0.1:$NATS_PORT, monitoring http://127.0.0.1:$NATS_HTTP_PORT
nats-exporter on http://127.0.0.1:$EXPORTER_PORT

  curl -s http://127.0.0.1:$EXPORTER_PORT/metrics | grep -E '^nats_(up|server_connections|server_info)'
  curl -s http://127.0.0.1:$EXPORTER_PORT/metrics | grep nats_exporter_collector_success
  curl -s http://127.0.0.1:$EXPORTER_PORT/           # landing page

Ctrl-C stops both.
MSG
if [ -n "${DEMO_SECONDS:-}" ]; then sleep "$DEMO_SECONDS"; else wait; fi
