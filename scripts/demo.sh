#!/usr/bin/env bash
# demo.sh DUET: a short, real session between two local folders.
set -euo pipefail
duet=$(realpath "${1:-build/cli/duet}")
d=$(mktemp -d /tmp/duet-demo.XXXXXX)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/laptop/photos" "$d/laptop/notes" "$d/server"
for i in 1 2 3; do echo "photo $i" >"$d/laptop/photos/img$i.jpg"; done
echo "shopping list" >"$d/laptop/notes/todo.txt"
run() { echo "+ duet $*"; "$duet" "$@"; echo; }
cd "$d"
run sync laptop server -v
run lsl server
echo "changing one file and deleting another on the laptop side"
echo "milk, eggs" >>laptop/notes/todo.txt
rm laptop/photos/img2.jpg
run sync laptop server --dry-run
run sync laptop server -v
run check laptop server
echo "demo finished: laptop and server agree"
