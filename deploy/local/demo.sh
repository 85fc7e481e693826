#!/usr/bin/env bash
# The one-command demo: installs what is missing, builds, then starts on 127.0.0.1
#   - nats-server with JetStream (client port 4222, monitoring 8222),
#   - nats-exporter on :7777 with three client probes (request, jetstream-publish, consumer-watch;
#     deploy/local/nats-exporter.yaml),
#   - Prometheus (Debian's) on :9090, scraping the exporter every 5 s with the shipped rules
#     (dashboards/alerts/*.yaml; deploy/local/prometheus.yml),
#   - a load generator (deploy/local/loadgen.py) with traffic and two real pitfalls: two instances of
#     a service subscribed without a queue group, and a JetStream consumer falling behind.
# Within about a minute /doctor shows both findings, the probe histograms fill, and the
# NatsConsumerBacklogGrowing and NatsDoctorWarningFinding alerts are pending in Prometheus. It
# prints the URLs, and Ctrl-C stops everything it started (by PID) and removes its temp directory.
#   bash deploy/local/demo.sh
# Environment: NATS_PORT (4222), NATS_HTTP_PORT (8222), EXPORTER_PORT (7777), PROMETHEUS_PORT (9090);
# DEMO_SECONDS (run that long and stop, instead of waiting for Ctrl-C); NATS_EXPORTER_BIN (use this
# binary: skips the package check and the build).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
NATS_PORT=${NATS_PORT:-4222}
NATS_HTTP_PORT=${NATS_HTTP_PORT:-8222}
EXPORTER_PORT=${EXPORTER_PORT:-7777}
PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}

if [ -n "${NATS_EXPORTER_BIN:-}" ]; then
  bin=$NATS_EXPORTER_BIN
else
  bash deploy/install-deps.sh demo
  # Configure once (an existing build directory keeps its settings, e.g. the tests).
  [ -f build/CMakeCache.txt ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNATSEXP_TESTS=OFF >/dev/null
  cmake --build build -j "$(nproc)" --target nats-exporter
  bin=$root/build/nats-exporter
fi
[ -x "$bin" ] || { echo "demo: $bin is not an executable" >&2; exit 2; }

work=$(mktemp -d /tmp/nats-exporter-demo.XXXXXX)
pids=()
names=()
sleeper=
cleanup() {
  trap - EXIT INT TERM
  local i
  [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null || true
  for i in "${!pids[@]}"; do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  for i in "${!pids[@]}"; do
    for _ in $(seq 100); do kill -0 "${pids[$i]}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "demo: ${names[$i]} (pid ${pids[$i]}) did not stop in 10 s: SIGKILL" >&2
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
    local status=0
    wait "${pids[$i]}" 2>/dev/null || status=$?
    # Ours must exit 0 on SIGTERM (a sanitizer build reports its findings here); nats-server
    # exits 1 on SIGTERM by design.
    if [ "$status" -ne 0 ] && [ "${names[$i]}" = nats-exporter ]; then
      echo "demo: ${names[$i]} exited with status $status; the end of its log:" >&2
      tail -n 20 "$work/${names[$i]}.log" >&2 || true
    fi
  done
  rm -rf "$work"
  echo "demo: stopped ${names[*]:-nothing}; removed $work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

started() { pids+=("$1"); names+=("$2"); }
wait_http() {  # url what pid
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "demo: $2 exited; its log:" >&2; tail -20 "$work/$2.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "demo: $2 not ready at $1 after 20 s; its log:" >&2; tail -20 "$work/$2.log" >&2; exit 1
}

# 1. nats-server with JetStream.
cat > "$work/nats.conf" <<CONF
server_name: demo
host: 127.0.0.1
port: $NATS_PORT
http: 127.0.0.1:$NATS_HTTP_PORT
jetstream { store_dir: "$work/js", max_memory_store: 64MB, max_file_store: 256MB }
CONF
nats-server -c "$work/nats.conf" -l "$work/nats-server.log" &
started $! nats-server
wait_http "http://127.0.0.1:$NATS_HTTP_PORT/healthz" nats-server "$!"

# 2. The load generator: creates the streams and the consumer first, then runs.
python3 deploy/local/loadgen.py --port "$NATS_PORT" > "$work/loadgen.log" 2>&1 &
started $! loadgen
for _ in $(seq 100); do grep -q '^loadgen: ' "$work/loadgen.log" && break; kill -0 "$!" 2>/dev/null || break; sleep 0.2; done
grep -q '^loadgen: [0-9]' "$work/loadgen.log" || { echo "demo: loadgen did not start:" >&2; cat "$work/loadgen.log" >&2; exit 1; }

# 3. nats-exporter with the probes (the demo config with this run's ports).
sed -e "s#127.0.0.1:4222#127.0.0.1:$NATS_PORT#g" -e "s#127.0.0.1:8222#127.0.0.1:$NATS_HTTP_PORT#g" \
  deploy/local/nats-exporter.yaml > "$work/nats-exporter.yaml"
# The exporter reads NATS_EXPORTER_* variables as settings: keep the binary's path out of them.
env -u NATS_EXPORTER_BIN "$bin" --config.file="$work/nats-exporter.yaml" \
  --web.listen-address="127.0.0.1:$EXPORTER_PORT" > "$work/nats-exporter.log" 2>&1 &
started $! nats-exporter
wait_http "http://127.0.0.1:$EXPORTER_PORT/readyz" nats-exporter "$!"

# 4. Prometheus with the shipped rules.
sed -e "s#\.\./\.\./dashboards/#$root/dashboards/#" -e "s#127.0.0.1:7777#127.0.0.1:$EXPORTER_PORT#" \
  deploy/local/prometheus.yml > "$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus-data" \
  --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" > "$work/prometheus.log" 2>&1 &
started $! prometheus
wait_http "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" prometheus "$!"

exp="http://127.0.0.1:$EXPORTER_PORT"
prom="http://127.0.0.1:$PROMETHEUS_PORT"
p99='histogram_quantile(0.99, sum by (le) (rate(nats_probe_request_duration_seconds_bucket{probe="nats-rtt"}[1m])))'
p99_url=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$p99")
cat <<MSG

nats-exporter demo, all on 127.0.0.1 (logs and data in $work):
  nats-server (JetStream)  nats://127.0.0.1:$NATS_PORT, monitoring http://127.0.0.1:$NATS_HTTP_PORT
  nats-exporter            $exp, probes nats-rtt, js-write, orders-processor
  Prometheus               $prom, scrapes every 5 s, shipped rules loaded
  loadgen.py               100 orders/s into ORDERS; the processor handles 20/s (its backlog grows);
                           2 billing-worker instances on billing.charge without a queue group

Open (the pitfalls show within about a minute):
  $exp/doctor
      the doctor's findings: missing-queue-group at once, consumer-backlog-growing from the second
      load (its growth checks compare with the previous load of the page)
  $exp/metrics
      curl -s $exp/metrics | grep -E '^nats_(doctor_finding|probe_request_duration_seconds_count)'
  $prom/alerts
      NatsConsumerBacklogGrowing (backlog above 1000 and growing) and NatsDoctorWarningFinding go
      pending; the shipped rules are loaded unchanged, so they fire only after their for: of 10
      and 30 minutes if you leave the demo running
  $prom/graph?g0.expr=$p99_url&g0.tab=0&g0.range_input=15m
      the probe's p99 round trip: $p99

pids: nats-server=${pids[0]} loadgen=${pids[1]} nats-exporter=${pids[2]} prometheus=${pids[3]}
Ctrl-C stops them all.
MSG
# Until Ctrl-C / SIGTERM (or DEMO_SECONDS), watching that everything keeps running. A background
# sleep and `wait` (unlike a foreground sleep) let the trap run at once.
end=$(( ${DEMO_SECONDS:+$SECONDS + DEMO_SECONDS} ))
while [ -z "${DEMO_SECONDS:-}" ] || [ "$SECONDS" -lt "$end" ]; do
  sleep 1 & sleeper=$!
  wait "$sleeper" || true
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null && continue
    sleep 1 & sleeper=$!; wait "$sleeper" || true  # a Ctrl-C that stopped it too is handled first
    echo "demo: ${names[$i]} (pid ${pids[$i]}) exited early; the end of its log:" >&2
    tail -n 20 "$work/${names[$i]}.log" >&2 || true
    exit 1
  done
done
