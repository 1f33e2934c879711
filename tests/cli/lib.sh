# lib.sh: helpers for duet's CLI tests. Source it, then call check/expect
# functions; finish with `done_testing`, which prints "N passed, M failed"
# and exits non-zero on any failure.
set -u
DUET=${1:?usage: $0 /path/to/duet}
PASS=0
FAIL=0
T=$(mktemp -d /tmp/duet-test.XXXXXX)
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

# check NAME COMMAND...: passes when COMMAND succeeds.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"; printf '  expected: %s\n  actual:   %s\n' "$2" "$3"; fi
}

# expect_rc NAME CODE COMMAND...: runs COMMAND (output to $T/out, $T/err),
# passes when it exits with CODE.
expect_rc() {
	local name=$1 want=$2 rc; shift 2
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	if [ "$rc" = "$want" ]; then ok "$name"; else
		not_ok "$name (exit $rc, want $want)"; sed 's/^/  err: /' "$T/err" | head -5; fi
}

# expect_grep NAME PATTERN FILE
expect_grep() {
	if grep -q -- "$2" "$3"; then ok "$1"; else
		not_ok "$1 (no \"$2\" in $3)"; sed 's/^/  | /' "$3" | head -8; fi
}

# expect_no_grep NAME PATTERN FILE
expect_no_grep() {
	if grep -q -- "$2" "$3"; then not_ok "$1 (\"$2\" found in $3)"; else ok "$1"; fi
}

# same_tree NAME DIR1 DIR2: same files, same bytes, same mtimes (seconds).
same_tree() {
	local a b
	a=$(cd "$2" && find . -type f -printf '%P %s %TY%Tm%Td%TH%TM%TS\n' | sort)
	b=$(cd "$3" && find . -type f -printf '%P %s %TY%Tm%Td%TH%TM%TS\n' | sort)
	if [ "$a" = "$b" ] && diff -r "$2" "$3" >/dev/null; then ok "$1"; else
		not_ok "$1"; diff <(echo "$a") <(echo "$b") | head -10 | sed 's/^/  /'; fi
}

# mkfile PATH CONTENT [MTIME(YYYY-mm-dd HH:MM:SS)]
mkfile() {
	mkdir -p "$(dirname "$1")"
	printf '%s' "$2" >"$1"
	if [ $# -ge 3 ]; then touch -d "$3" "$1"; fi
}

done_testing() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
}

# ---- rclone as the oracle (t_ls.sh, t_check.sh, t_misc.sh) ----
# The same command line is run with rclone and with duet in the current
# directory. rclone gets an empty config file (no NOTICE about a missing
# one) and --checkers 1, which makes its listing order deterministic. A
# missing rclone fails the check rather than skipping it.
RCLONE=${RCLONE:-rclone}

# oracle_run ARGS...: leaves $T/r.out $T/r.err $T/r.rc and $T/d.*.
oracle_run() {
	: >"$T/rclone.conf"
	RCLONE_CONFIG="$T/rclone.conf" "$RCLONE" --checkers 1 "$@" >"$T/r.out" 2>"$T/r.err"
	echo $? >"$T/r.rc"
	"$DUET" "$@" >"$T/d.out" 2>"$T/d.err"
	echo $? >"$T/d.rc"
}

oracle_missing() {
	if command -v "$RCLONE" >/dev/null 2>&1; then return 1; fi
	not_ok "$1 (rclone, the oracle, is not installed: apt-get install rclone)"
	return 0
}

# oracle_report NAME FILE1 FILE2: compares the two files and exit codes.
oracle_report() {
	if [ "$(cat "$T/r.rc")" = "$(cat "$T/d.rc")" ] && cmp -s "$2" "$3"; then ok "$1"; else
		not_ok "$1 (exit: rclone $(cat "$T/r.rc"), duet $(cat "$T/d.rc"))"
		diff "$2" "$3" | head -12 | sed 's/^/  /'
		sed 's/^/  duet err: /' "$T/d.err" | head -3
	fi
}

# same_as_rclone NAME ARGS...: stdout byte for byte, and the exit code.
same_as_rclone() {
	local name=$1; shift
	oracle_missing "$name" && return
	oracle_run "$@"
	oracle_report "$name" "$T/r.out" "$T/d.out"
}

# same_sorted_as_rclone NAME ARGS...: stdout lines in any order (rclone
# prints hashsum and check reports as its threads finish), and exit code.
# A trailing comma is ignored (lsjson's last item has none).
same_sorted_as_rclone() {
	local name=$1; shift
	oracle_missing "$name" && return
	oracle_run "$@"
	sed 's/,$//' "$T/r.out" | LC_ALL=C sort >"$T/r.sorted"
	sed 's/,$//' "$T/d.out" | LC_ALL=C sort >"$T/d.sorted"
	oracle_report "$name" "$T/r.sorted" "$T/d.sorted"
}

# same_log_as_rclone NAME ARGS...: the log lines on stderr without their
# timestamps, in any order, leaving out the last words (rclone's "Failed
# to CMD: ..." and duet's "Error: ..."), and the exit code.
same_log_as_rclone() {
	local name=$1; shift
	oracle_missing "$name" && return
	oracle_run "$@"
	grep -E '^[0-9/]+ [0-9:]+ (ERROR|NOTICE|INFO|DEBUG) *:' "$T/r.err" | cut -c21- |
		LC_ALL=C sort >"$T/r.log"
	grep -E '^[0-9/]+ [0-9:]+ (ERROR|NOTICE|INFO|DEBUG) *:' "$T/d.err" | cut -c21- |
		LC_ALL=C sort >"$T/d.log"
	oracle_report "$name" "$T/r.log" "$T/d.log"
}

# expect_out NAME EXPECTED COMMAND...: stdout of COMMAND equals EXPECTED
# (a string; compared with a trailing newline added) and it exits 0.
expect_out() {
	local name=$1 want=$2 rc; shift 2
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	if [ "$rc" = 0 ] && [ "$(cat "$T/out"; echo x)" = "$(printf '%s\nx' "$want")" ]; then ok "$name"
	else
		not_ok "$name (exit $rc)"
		diff <(printf '%s\n' "$want") "$T/out" | head -10 | sed 's/^/  /'
		sed 's/^/  err: /' "$T/err" | head -3
	fi
}
