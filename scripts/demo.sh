#!/usr/bin/env bash
# demo.sh DUET: a short, real session between two local folders: a
# two-way bisync with changes on both sides and a conflict, then a one-way
# sync and a check.
set -euo pipefail
duet=$(realpath "${1:-build/cli/duet}")
d=$(mktemp -d /tmp/duet-demo.XXXXXX)
trap 'rm -rf "$d"' EXIT
cd "$d"
mkdir -p laptop/photos laptop/notes server
for i in 1 2 3; do echo "photo $i" >"laptop/photos/img$i.jpg"; done
echo "shopping list" >laptop/notes/todo.txt
echo "from the server" >server/readme.txt
run() { echo "+ duet $*"; "$duet" "$@"; echo; }
bisync() { run bisync laptop server --workdir "$d/state" "$@"; }

echo "== two-way: the first run makes a baseline"
bisync --resync -v
run lsl server
echo "== a change on each side, and the same file edited on both"
echo "milk, eggs" >>laptop/notes/todo.txt
rm server/photos/img2.jpg
echo "laptop edit" >laptop/readme.txt
echo "server edit!" >server/readme.txt
bisync -v
echo "== both sides now hold every change; the conflict kept both versions:"
ls laptop laptop/photos server server/photos
echo
echo "== one-way: mirror to a backup and verify"
run sync laptop backup -v
run check laptop backup
echo "demo finished"
