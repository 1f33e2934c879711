#!/usr/bin/env bash
# t_bisync_i.sh: bisync -i / --interactive on a terminal (script(1) gives
# it one): each copy, delete and conflict is asked about; what the user
# skips (or leaves by quitting) is not recorded as done, so the next run
# finds it again. Usage: t_bisync_i.sh /path/to/duet
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"
B() { "$D" bisync p1 p2 --workdir "$T/wd" "$@"; }
# BI ANSWERS ARGS...: a bisync -i run fed ANSWERS, output in $T/i.out.
BI() {
	local answers=$1; shift
	printf "$answers" | script -qfec "$D bisync p1 p2 --workdir $T/wd -i --transfers 1 --checkers 1 $*" /dev/null >"$T/i.out" 2>&1
}
files() { (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | tr '\n' ' '); }

for f in a b c keep1 keep2 keep3; do mkfile p1/$f.txt "$f" "2020-01-01"; done
expect_rc "resync" 0 B --resync
expect_rc "-i without a terminal" 2 B -i </dev/null
expect_grep "-i says it needs a terminal" "needs a terminal" "$T/err"

# --- copies: y copies, n leaves it for the next run
mkfile p1/new1.txt "n1"; mkfile p1/new2.txt "n2"
BI 'y\nn\n'
expect_grep "asks before a copy" 'copy "new1.txt"?' "$T/i.out"
check "y: new1 copied" test -f p2/new1.txt
check "n: new2 not copied" test ! -e p2/new2.txt
expect_rc "next run (no -i)" 0 B -v
expect_grep "new2 is still new" "File is new.*new2.txt" "$T/err"
check "the next run copies new2" test -f p2/new2.txt
same_tree "equal" p1 p2

# --- a delete answered n stays a delete for the next run
rm p1/a.txt
BI 'n\n'
expect_grep "asks before a delete" 'delete "a.txt"?' "$T/i.out"
check "n: a.txt kept on Path2" test -f p2/a.txt
expect_rc "next run deletes it" 0 B
check "deleted now" test ! -e p2/a.txt

# --- a conflict answered n: nothing renamed, found again next run
mkfile p1/b.txt "path1 edit" "2021-01-01"; mkfile p2/b.txt "path2 edit!" "2021-02-01"
BI 'n\n'
expect_grep "asks before the conflict rename" 'rename "b.txt" to "b.txt.conflict1"?' "$T/i.out"
expect_eq "n: Path1 untouched" "path1 edit" "$(cat p1/b.txt)"
expect_eq "n: Path2 untouched" "path2 edit!" "$(cat p2/b.txt)"
check "n: no conflict copies" test ! -e p1/b.txt.conflict1 -a ! -e p2/b.txt.conflict2
expect_rc "next run (no -i) resolves it" 0 B
expect_eq "both versions kept" "path1 edit|path2 edit!" "$(cat p1/b.txt.conflict1)|$(cat p1/b.txt.conflict2)"
same_tree "equal after the conflict" p1 p2

# --- q: nothing more is done; the run ends cleanly and the rest waits
mkfile p1/q1.txt "q1"; mkfile p2/q2.txt "q2"; rm p1/c.txt
BI 'q\n'
expect_grep "q says it stopped" "Quit was chosen" "$T/i.out"
check "q: nothing copied" test ! -e p1/q2.txt -a ! -e p2/q1.txt
check "q: nothing deleted" test -f p2/c.txt
expect_rc "next run (no -i) does it all" 0 B
check "all done" test -f p1/q2.txt -a -f p2/q1.txt -a ! -e p2/c.txt
same_tree "equal at the end" p1 p2
expect_rc "and then nothing is left" 0 B -v
expect_grep "no changes" "No changes found" "$T/err"

done_testing
