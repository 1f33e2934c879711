#!/usr/bin/env bash
# test.sh: the whole test suite. The second of the README's two commands;
# .ci/run calls it. Builds with -Werror, runs every test, then builds with
# ASan+UBSan and runs every test again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh build
(cd build && ctest --output-on-failure -j2 --timeout 600)
bash scripts/build.sh build-asan -DDUET_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --output-on-failure -j2 --timeout 900)
echo "all test suites passed (plain and ASan+UBSan)"
