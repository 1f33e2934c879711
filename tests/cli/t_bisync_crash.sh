#!/usr/bin/env bash
# t_bisync_crash.sh: kill -9 a bisync run after each action of its plan
# (DUET_FAILPOINT_KILL_AFTER=N, for N across the whole run), then finish
# with --recover. After each: both trees equal, every version the same run
# keeps when it is not interrupted is in the trees, no temp file was
# carried across, no spurious conflict, and the next run finds nothing.
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"

# Two trees with changes of every kind on both sides.
setup() {
	rm -rf p1 p2 wd
	mkfile p1/keep.txt "keep" "2020-01-01"
	mkfile p1/mod1.txt "mod1 v0" "2020-01-01"; mkfile p1/mod2.txt "mod2 v0" "2020-01-01"
	mkfile p1/del1.txt "del1 v0" "2020-01-01"; mkfile p1/del2.txt "del2 v0" "2020-01-01"
	mkfile p1/both.txt "both v0" "2020-01-01"; mkfile p1/d/deep.txt "deep v0" "2020-01-01"
	mkfile p1/same.txt "same v0" "2020-01-01"
	"$D" bisync p1 p2 --resync --workdir wd >/dev/null 2>&1 || return 1
	mkfile p1/new1.txt "new1 from p1"; mkfile p2/new2.txt "new2 from p2"
	mkfile p2/d/new3.txt "new3 from p2"
	mkfile p1/mod1.txt "mod1 v1 by p1" "2021-01-01"; mkfile p2/mod2.txt "mod2 v1 by p2" "2021-01-01"
	rm p1/del1.txt p2/del2.txt
	mkfile p1/both.txt "both v1 by p1" "2021-02-01"; mkfile p2/both.txt "both v1 by p2!" "2021-03-01"
	mkfile p1/same.txt "same v1" "2021-04-01"; mkfile p2/same.txt "same v1" "2021-04-01"
	mkfile p2/d/deep.txt "deep v1 by p2" "2021-05-01"
}

# The reference: the same changes, a run that is not interrupted.
content_map() { # path<TAB>content of every file of a tree, temp files aside
	(cd "$1" && find . -type f ! -name '*.partial' | sort | while read -r f; do
		printf '%s\t%s\n' "$f" "$(cat "$f")"; done)
}
setup || not_ok "setup"
"$D" bisync p1 p2 --workdir wd >/dev/null 2>&1
ref_contents=$(content_map p1 | cut -f2 | sort -u)
for n in $(seq 1 20); do
	setup
	DUET_FAILPOINT_KILL_AFTER=$n "$D" bisync p1 p2 --workdir wd >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" != 137 ]; then
		# The plan had fewer than n actions: the run finished normally.
		expect_eq "kill after $n: a finished run exits 0" 0 "$rc"
		break
	fi
	expect_rc "kill after $n: a plain run refuses and says --recover" 7 "$D" bisync p1 p2 --workdir wd
	expect_grep "kill after $n: message" "with --recover" "$T/err"
	expect_rc "kill after $n: --recover finishes" 0 "$D" bisync p1 p2 --workdir wd --recover
	expect_eq "kill after $n: trees equal" "$(content_map p1)" "$(content_map p2)"
	# Every version the uninterrupted run keeps is kept (names of conflict
	# copies may differ when the kill fell between a rename and its copy).
	lost=$(comm -23 <(echo "$ref_contents") <(content_map p1 | cut -f2 | sort -u))
	expect_eq "kill after $n: no version lost" "" "$lost"
	shared_tmp=$(comm -12 <(cd p1 && find . -name '*.partial' | sort) <(cd p2 && find . -name '*.partial' | sort))
	expect_eq "kill after $n: no temp file carried across" "" "$shared_tmp"
	expect_rc "kill after $n: next run" 0 "$D" bisync p1 p2 --workdir wd -v
	expect_grep "kill after $n: nothing left to do" "No changes found" "$T/err"
	spurious=$(cd p1 && find . -name '*conflict*' ! -name 'both.txt*')
	expect_eq "kill after $n: no spurious conflict" "" "$spurious"
done
check "the kill points covered a whole run" test "$n" -ge 6

done_testing
