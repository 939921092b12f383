#!/usr/bin/env bash
# Installs every Debian 12 package nsl needs to build, run and test.
# Idempotent: installs only what is missing, runs `apt-get update` at most once.
# Works as root or through sudo; never prompts.
set -euo pipefail

# Build toolchain and libraries (product dependencies).
BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config git ca-certificates ccache
  clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
  libboost1.81-dev libssl-dev openssl
  nlohmann-json3-dev libtomlplusplus-dev
  libsecp256k1-dev libsodium-dev libicu-dev
  libsqlite3-dev libpq-dev libhiredis-dev libcurl4-openssl-dev libjemalloc-dev
  libprotobuf-dev protobuf-compiler
)
# Test and benchmark tooling (real peers: PostgreSQL, Redis, promtool, wrk, SoftHSM via PKCS#11).
TEST_PKGS=(
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-client-15 redis-server redis-tools
  prometheus wrk curl procps softhsm2 libp11-kit-dev jq yamllint python3
  python3-venv util-linux
)
# Go builds kustomize for the deploy/ checks (scripts/check-deploy.sh); Debian 12's Go 1.19 is enough, and a
# Go toolchain already on PATH is used as it is.
if ! command -v go >/dev/null; then TEST_PKGS+=(golang-go); fi

want=("${BUILD_PKGS[@]}")
if [[ "${1:-}" != "--runtime-only" ]]; then want+=("${TEST_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "deps: all ${#want[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo -n"
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start system services (PostgreSQL, Redis, Prometheus) on this machine:
# the test harness starts its own throw-away instances.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null && $SUDO chmod 755 $policy && added_policy=1
fi
cleanup() { if [[ $added_policy -eq 1 ]]; then $SUDO rm -f $policy; fi; }
trap cleanup EXIT

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: done"
