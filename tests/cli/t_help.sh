#!/usr/bin/env bash
# t_help.sh: help for every command and flag, version, usage errors and
# the argv[0] dispatch. Usage: t_help.sh /path/to/duet
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"

expect_rc "help" 0 timeout 10 "$D" help
cmds=$(awk '/^Commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}' "$T/out")
check "help lists commands" test "$(echo "$cmds" | wc -l)" -ge 20
for c in $cmds; do
	expect_rc "help $c" 0 timeout 10 "$D" help "$c"
	expect_grep "help $c shows usage" "duet $c" "$T/out"
	expect_grep "help $c lists global flags" "Global flags:" "$T/out"
done
expect_rc "help flags" 0 timeout 10 "$D" help flags
expect_grep "help flags lists --dry-run" "dry-run" "$T/out"
expect_no_grep "help flags has no command flags" "--one-way" "$T/out"
expect_rc "help lsf shows its own flags" 0 timeout 10 "$D" help lsf
expect_grep "lsf flags" "Flags for lsf:" "$T/out"
expect_rc "help of an unknown command" 2 "$D" help nosuch
expect_rc "no command prints help" 0 timeout 10 "$D"
expect_grep "no command: the list" "Commands:" "$T/out"
expect_rc "unknown command" 2 "$D" frobnicate
expect_grep "unknown command named" "frobnicate" "$T/err"
expect_rc "version" 0 "$D" version
expect_grep "version line" "^duet v" "$T/out"
expect_grep "version names lmdb" "lmdb" "$T/out"
ln -s "$D" bisync
mkdir -p a b
expect_rc "argv[0] bisync runs the bisync command" 7 ./bisync a b --workdir wd
expect_grep "bisync by its own name" "Must run --resync to recover" "$T/err"
expect_rc "bisync name with --resync" 0 ./bisync a b --workdir wd --resync

done_testing
