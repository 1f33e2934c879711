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
