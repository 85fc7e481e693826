#!/usr/bin/env bash
# Runs each libFuzzer target of a -DNATSEXP_FUZZ=ON build for a bounded time, starting from the
# committed seed corpus. Any crash, leak, sanitizer report, timeout (-timeout), out-of-memory
# (-rss_limit_mb) or uncaught exception fails the run; the reproducer is kept in the artifacts dir.
#   bash tests/fuzz/run_fuzzers.sh BUILD_DIR [target...]
#   NATSEXP_FUZZ_SECONDS=600 bash tests/fuzz/run_fuzzers.sh build-fuzz fuzz_config
# Env: NATSEXP_FUZZ_SECONDS (per target, default 60), NATSEXP_FUZZ_JOBS (targets run at once,
# default one per core up to 2), NATSEXP_FUZZ_WORK (scratch dir; default BUILD_DIR/fuzz-work: the
# working corpus that grows, and the artifacts).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_fuzzers.sh BUILD_DIR [target...]}
build=$(cd "$build" && pwd)
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_collectors fuzz_config fuzz_doctor_evidence fuzz_http_response)
seconds=${NATSEXP_FUZZ_SECONDS:-60}
work=${NATSEXP_FUZZ_WORK:-$build/fuzz-work}

declare -A dict=([fuzz_collectors]=json.dict [fuzz_doctor_evidence]=json.dict [fuzz_config]=config.dict [fuzz_http_response]=http.dict)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One target: runs it, leaves its exit code in $work/$t/rc.
fuzz_one() {
  local t=$1 bin corpus artifacts scratch rc
  bin=$(find "$build" -type f -name "$t" -perm -u+x -print -quit)
  if [ -z "$bin" ]; then
    echo "run_fuzzers: no $t under $build (configure with -DNATSEXP_FUZZ=ON)" >"$work/$t/fuzz.log"
    echo 2 >"$work/$t/rc"
    return
  fi
  corpus=$work/$t/corpus artifacts=$work/$t/artifacts scratch=$work/$t/cwd
  mkdir -p "$corpus" "$artifacts" "$scratch"
  # The committed seeds are read-only input; new coverage goes to the working corpus. The working
  # directory is a scratch one: config inputs may name files to read.
  rc=0
  (cd "$scratch" && "$bin" "$corpus" "$here/corpus/$t" -dict="$here/${dict[$t]}" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" </dev/null >"$work/$t/fuzz.log" 2>&1) || rc=$?
  echo "$rc" >"$work/$t/rc"
}

# NATSEXP_FUZZ_JOBS targets at a time (default: one per core, at most 2).
parallel=${NATSEXP_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$parallel" -le 2 ] || parallel=2
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  rm -f "$work/$t/rc"
  echo "== $t: ${seconds}s (log $work/$t/fuzz.log)"
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  fuzz_one "$t" &
done
wait

failed=()
for t in "${targets[@]}"; do
  log=$work/$t/fuzz.log
  rc=$(cat "$work/$t/rc" 2>/dev/null || echo 1)
  # The last status line and the final stats: executions, exec/s, coverage.
  echo "-- $t: $(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)"
  { grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true; } | tr -s ' \n' ' '
  echo
  if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: ' "$log"; then
    echo "run_fuzzers: $t FAILED (exit $rc); the end of its log:" >&2
    tail -n 60 "$log" >&2
    ls -l "$work/$t/artifacts" >&2 || true
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "run_fuzzers: failed: ${failed[*]}" >&2
  exit 1
fi
echo "run_fuzzers: ${targets[*]}: ${seconds}s each, no crash, leak, timeout or uncaught exception"
