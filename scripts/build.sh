#!/usr/bin/env bash
# build.sh [DIR] [cmake args...]: configures and builds duet with warnings
# as errors (default DIR: build).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}; shift || true
cmake -S . -B "$dir" -DDUET_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
