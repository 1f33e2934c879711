#!/usr/bin/env bash
# quickstart.sh: install, build, and run a real demo between two local
# folders. The first of the README's two commands.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh build
bash scripts/demo.sh build/cli/duet
