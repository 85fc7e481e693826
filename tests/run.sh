#!/usr/bin/env bash
# Runs every test from scratch: installs what is missing, builds twice (plain, and with
# AddressSanitizer + UndefinedBehaviorSanitizer), and runs the whole CTest suite on both; then
# builds everything with clang (warnings as errors, libFuzzer instrumentation) and runs each fuzz
# target for NATSEXP_FUZZ_SECONDS (default 60) seconds.
#   bash tests/run.sh            everything
#   bash tests/run.sh --quick    plain build only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash deploy/install-deps.sh test

jobs=$(nproc 2>/dev/null || echo 2)
run_suite() {
  local dir=$1; shift
  rm -rf "$dir"
  cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
  # -Werror: "no warnings in our code" is checked, not hoped for.
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure --timeout 900 -j 1)
}

echo "== plain build (RelWithDebInfo, -Werror)"
run_suite "$root/build-test" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS=-Werror
if [ "${1:-}" != "--quick" ]; then
  echo "== sanitizer build (ASan + UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DNATSEXP_SANITIZE=ON -DCMAKE_CXX_FLAGS=-Werror
  # The code must build with clang as well as GCC: one clang build of everything (library, binary,
  # tests, benchmarks, fuzz targets) with warnings as errors, instrumented for libFuzzer, whose fuzz
  # targets then run from the committed corpus (tests/fuzz/README.md).
  echo "== clang build (-Werror, libFuzzer + ASan + UBSan) and fuzzing, ${NATSEXP_FUZZ_SECONDS:-60}s per target"
  fuzz_start=$(date +%s)
  rm -rf "$root/build-clang-fuzz"
  cmake -S "$root" -B "$root/build-clang-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DNATSEXP_FUZZ=ON -DCMAKE_CXX_FLAGS=-Werror >/dev/null
  cmake --build "$root/build-clang-fuzz" -j "$jobs"
  bash "$root/tests/fuzz/run_fuzzers.sh" "$root/build-clang-fuzz"
  echo "== clang and fuzzing stage: $(( $(date +%s) - fuzz_start ))s"
fi
echo "tests/run.sh: all suites passed"
