#!/usr/bin/env bash
# Installs the Debian bookworm packages nats-exporter needs. The one list, used by the demo, the
# tests and the Dockerfile.
#   deploy/install-deps.sh build   compilers and -dev libraries
#   deploy/install-deps.sh test    build + the real peers the tests start (nats-server, prometheus, python3)
#                                  + clang and libFuzzer (the clang build and fuzz stage of tests/run.sh)
#   deploy/install-deps.sh demo    build + nats-server, prometheus, python3 (deploy/local/demo.sh)
#   deploy/install-deps.sh runtime the shared libraries the binary needs (the Docker runtime image)
set -euo pipefail
what=${1:-test}

build_pkgs=(build-essential cmake ninja-build pkg-config git ca-certificates
  libcpp-httplib-dev prometheus-cpp-dev nlohmann-json3-dev libsimdjson-dev libnats-dev libyaml-cpp-dev doctest-dev
  libssl-dev zlib1g-dev libbrotli-dev libcrypt-dev)
# What the binary links at run time (ldd build/nats-exporter), for deploy/Dockerfile's runtime stage.
runtime_pkgs=(ca-certificates libcpp-httplib0.11 libnats3.4 libprometheus-cpp-core1.0 libsimdjson14 libyaml-cpp0.7
  libssl3 libcrypt1 zlib1g libbrotli1 libprotobuf-c1)
case "$what" in
  runtime) pkgs=("${runtime_pkgs[@]}") ;;
  build) pkgs=("${build_pkgs[@]}") ;;
  demo) pkgs=("${build_pkgs[@]}" nats-server prometheus python3 curl) ;;
  test) pkgs=("${build_pkgs[@]}" nats-server prometheus python3 python3-yaml curl openssl procps
              clang libclang-rt-14-dev) ;;
  *) echo "usage: $0 build|test|demo|runtime" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
# --no-install-recommends keeps prometheus from pulling in its web UI assets and exporters.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The prometheus package starts a system service on :9090 where systemd runs; the tests start their own.
if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null && systemctl is-active -q prometheus 2>/dev/null; then
  $SUDO systemctl disable --now prometheus || true
fi
