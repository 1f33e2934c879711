#!/usr/bin/env bash
# t_bisync.sh: duet bisync on real folders: the baseline, propagation of
# every kind of change, conflicts and their options, the safety checks and
# bad input. Usage: t_bisync.sh /path/to/duet
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"
B() { "$D" bisync p1 p2 --workdir "$T/wd" "$@"; }
files() { (cd "$1" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' '); }

mkfile p1/a.txt "alpha" "2020-01-01"; mkfile p1/d/b.txt "bravo" "2020-01-01"
mkfile p2/c.txt "charlie" "2020-01-01"; mkfile p2/a.txt "ALPHA-2" "2021-01-01"

# --- the first run needs --resync
expect_rc "first run without --resync is critical" 7 B
expect_grep "says how to recover" "Must run --resync to recover" "$T/err"
check "nothing copied before --resync" test ! -e p2/d/b.txt
expect_rc "--resync" 0 B --resync
expect_grep "final words" "Bisync successful" "$T/err"
expect_eq "resync: union on Path1" "a.txt c.txt d/b.txt " "$(files p1)"
expect_eq "resync: union on Path2" "a.txt c.txt d/b.txt " "$(files p2)"
expect_eq "resync: Path1 wins a difference" "alpha" "$(cat p2/a.txt)"

# --- a run with no changes
expect_rc "no-change run" 0 B -v
expect_grep "no changes found" "No changes found" "$T/err"

# --- every kind of one-sided change travels
mkfile p1/new1.txt "n1"; mkfile p2/new2.txt "n2"
mkfile p1/a.txt "alpha, edited" "2022-01-01"; rm p2/c.txt
expect_rc "changes on both sides" 0 B -v
expect_eq "new file 1->2" "n1" "$(cat p2/new1.txt)"
expect_eq "new file 2->1" "n2" "$(cat p1/new2.txt)"
expect_eq "modified file 1->2" "alpha, edited" "$(cat p2/a.txt)"
check "delete 2->1" test ! -e p1/c.txt
expect_grep "delta lines" "Path2    File was deleted" "$T/err"
same_tree "both sides equal after the run" p1 p2

# --- dry run changes nothing and keeps the baseline
mkfile p1/dry.txt "dry"
expect_rc "--dry-run" 0 B --dry-run
check "dry-run copied nothing" test ! -e p2/dry.txt
expect_rc "real run after dry-run" 0 B
check "real run copies it" test -e p2/dry.txt

# --- a conflict: both versions kept, numbered
mkfile p1/a.txt "one side" "2023-01-01"; mkfile p2/a.txt "other side!" "2023-02-01"
expect_rc "conflict run" 0 B -v
expect_grep "conflict noticed" "New or changed in both paths" "$T/err"
expect_eq "Path1's version as conflict1 on Path2" "one side" "$(cat p2/a.txt.conflict1)"
expect_eq "Path2's version as conflict2 on Path1" "other side!" "$(cat p1/a.txt.conflict2)"
check "no a.txt left" test ! -e p1/a.txt -a ! -e p2/a.txt
same_tree "equal after the conflict" p1 p2
rm p1/a.txt.conflict*; expect_rc "deleting the conflict copies on one side" 0 B
check "propagated" test ! -e p2/a.txt.conflict1

# --- --conflict-resolve newer: the newer wins, the loser is renamed
mkfile p1/r.txt "base"; expect_rc "add r" 0 B
mkfile p1/r.txt "older edit" "2023-01-01"; mkfile p2/r.txt "newer edit" "2024-01-01"
expect_rc "resolve newer" 0 B --conflict-resolve newer -v
expect_grep "winner logged" "The winner is: Path2" "$T/err"
expect_eq "winner on Path1" "newer edit" "$(cat p1/r.txt)"
expect_eq "loser kept" "older edit" "$(cat p2/r.txt.conflict1)"
rm -f p1/r.txt.conflict1; expect_rc "clean" 0 B
expect_rc "newer with --checksum" 0 B --conflict-resolve newer --checksum
expect_grep "warns that newer needs modtimes" "conflict-resolve newer needs modtimes" "$T/err"
expect_rc "newer with modtimes compared" 0 B --conflict-resolve newer
expect_no_grep "no warning when modtimes are compared" "needs modtimes" "$T/err"

# --- --conflict-loser delete with --conflict-resolve path1
mkfile p1/r.txt "p1 edit" "2025-01-01"; mkfile p2/r.txt "p2 edit, longer" "2025-02-01"
expect_rc "resolve path1, loser delete" 0 B --conflict-resolve path1 --conflict-loser delete
expect_eq "path1 version everywhere" "p1 edit" "$(cat p2/r.txt)"
check "no conflict copies" test -z "$(find p1 p2 -name 'r.txt.*')"

# --- --conflict-suffix with two values and keep-extension
mkfile p1/s.txt "S1" "2025-03-01"; expect_rc "add s" 0 B
mkfile p1/s.txt "S1 edit" "2025-03-02"; mkfile p2/s.txt "S2 edit!" "2025-03-03"
expect_rc "two suffixes" 0 B --conflict-suffix laptop,server --suffix-keep-extension
check "named by side" test -e p1/s.laptop1.txt -a -e p1/s.server1.txt
expect_rc "three suffixes refused" 2 B --conflict-suffix a,b,c
expect_grep "three suffixes message" "cannot have more than 2" "$T/err"
# a {...} time glob in the suffix is today's date
mkfile p1/tg.txt "T" "2025-03-01"; expect_rc "add tg" 0 B
mkfile p1/tg.txt "T1 edit" "2025-03-02"; mkfile p2/tg.txt "T2 edit!" "2025-03-03"
day=$(date +%Y%m%d)
expect_rc "a dated suffix" 0 B --conflict-suffix "{YYYYMMDD}"
check "named with the date" test -e "p1/tg.txt.${day}1" -a -e "p2/tg.txt.${day}2"
rm -f p1/tg.txt.* ; expect_rc "drop the dated copies" 0 B
# one-way rules that would skip copies make no sense in a two-way run
for f in --update --ignore-existing --immutable; do
	expect_rc "bisync $f refused" 2 B $f
done
expect_grep "says why" "decides per file which side wins" "$T/err"

# --- max-delete: too many deletes stop the run; --force goes on
rm -f p1/s.*; expect_rc "settle" 0 B
for i in 1 2 3 4 5 6; do mkfile p1/m$i "m$i"; done; expect_rc "add m*" 0 B
n=$(files p1 | wc -w)
rm p1/m*; rm p1/new1.txt p1/new2.txt p1/dry.txt
expect_rc "too many deletes" 1 B
expect_grep "safety abort" "Safety abort" "$T/err"
expect_grep "please try again" "Please try again" "$T/err"
check "nothing deleted on Path2" test -e p2/m1 -a -e p2/new1.txt
expect_rc "--max-delete 90 allows it" 0 B --max-delete 90
check "deletes propagated" test ! -e p2/m1

# --- an emptied side never propagates as delete-everything
mv p2 p2.saved; mkdir p2
expect_rc "empty Path2 is critical" 7 B
expect_grep "empty listing message" "Empty current Path2 listing" "$T/err"
check "Path1 untouched" test -e p1/d/b.txt
expect_rc "next run still demands --resync" 7 B
rmdir p2; mv p2.saved p2
expect_rc "resync after the scare" 0 B --resync

# --- --filters-file: its rules apply, a change demands --resync
printf -- '- *.skip\n' >"$T/flt"
mkfile p1/x.skip "skip me"
expect_rc "filters file without a stored hash is critical" 7 B --filters-file "$T/flt"
expect_grep "md5 not found message" "filters file md5 hash not found (must run --resync)" "$T/err"
expect_rc "resync with the filters file stores its hash" 0 B --resync --filters-file "$T/flt"
check "filtered file not copied" test ! -e p2/x.skip
expect_rc "same filters file: normal run" 0 B --filters-file "$T/flt"
printf -- '- *.skip\n- *.tmp\n' >"$T/flt"
expect_rc "changed filters file is critical" 7 B --filters-file "$T/flt"
expect_grep "changed message" "filters file has changed (must run --resync)" "$T/err"
expect_rc "missing filters file is a usage error" 2 B --filters-file "$T/nope.flt"
expect_grep "missing filters file named" "nope.flt" "$T/err"
expect_rc "resync accepts the new filters" 0 B --resync --filters-file "$T/flt"

# --- --check-access
expect_rc "check-access without check files is critical" 7 B --check-access
expect_grep "count message" "Access test failed: Path1 count 0, Path2 count 0 - RCLONE_TEST" "$T/err"
expect_rc "resync" 0 B --resync
mkfile p1/RCLONE_TEST "t"; mkfile p2/RCLONE_TEST "t"; mkfile p1/d/RCLONE_TEST "t"
expect_rc "check file on one side only: critical" 7 B --check-access -v
expect_grep "one-sided check file named" "Path1 file not found in Path2 - d/RCLONE_TEST" "$T/err"
expect_rc "resync checks access before copying too" 7 B --resync --check-access
expect_rc "resync without it copies the check file" 0 B --resync
expect_rc "check-access passes" 0 B --check-access -v
expect_grep "check files found" 'Found 2 matching "RCLONE_TEST" files on both paths' "$T/err"
expect_rc "custom check filename missing" 7 B --check-access --check-filename .chk
expect_rc "resync" 0 B --resync

# --- all files changed (a timezone or mtime shift): abort unless --force
for f in $(files p1); do touch -d "2030-01-01" "p1/$f"; done
expect_rc "all files changed on Path1 aborts" 1 B
expect_grep "all-changed message" "all files were changed on Path1" "$T/err"
expect_rc "--force passes" 0 B --force

# --- --backup-dir1/2: what a run replaces or deletes on a side is kept there
mkfile p1/keep.txt "old version" "2020-01-01"; mkfile p1/gone.txt "to delete" "2020-01-01"
expect_rc "resync before backups" 0 B --resync
mkfile p2/keep.txt "new version" "2024-01-01"; rm p2/gone.txt
expect_rc "run with backup dirs" 0 B --backup-dir1 "$T/bk1" --backup-dir2 "$T/bk2"
expect_eq "replaced Path1 version backed up" "old version" "$(cat "$T/bk1/keep.txt")"
expect_eq "deleted Path1 file backed up" "to delete" "$(cat "$T/bk1/gone.txt")"
expect_eq "new version on Path1" "new version" "$(cat p1/keep.txt)"
check "nothing backed up on Path2" test ! -e "$T/bk2/keep.txt"
mkfile p2/keep.txt "newer version" "2024-02-01"
expect_rc "run with --backup-dir1 and --suffix" 0 B --backup-dir1 "$T/bk3" --suffix .bak
expect_eq "backup carries the suffix" "new version" "$(cat "$T/bk3/keep.txt.bak")"
touch -d "2024-02-01 00:00:01" p1/keep.txt
expect_rc "a time change within --modify-window" 0 B --modify-window 2s -v
expect_grep "is no change" "No changes found" "$T/err"
touch -d "2024-02-01" p1/keep.txt
mkfile p1/rep.txt "rep v0" "2020-01-01"
expect_rc "resync for a pathname conflict" 0 B --resync
mkfile p1/rep.txt.conflict1 "an older conflict copy" "2020-01-01"; mkfile p2/rep.txt.conflict1 "an older conflict copy" "2020-01-01"
expect_rc "the older copy is known" 0 B
mkfile p1/rep.txt "rep v1 by p1" "2024-03-01"; mkfile p2/rep.txt "rep v1 by p2!" "2024-03-02"
expect_rc "pathname conflict onto a taken name" 0 B --conflict-loser pathname --backup-dir1 "$T/bk4" --backup-dir2 "$T/bk5"
expect_eq "the older conflict copy went to the backup dir" "an older conflict copy" "$(cat "$T/bk4/rep.txt.conflict1")"
expect_eq "the new conflict copy took the name" "rep v1 by p1" "$(cat p1/rep.txt.conflict1)"
expect_rc "backup dir inside its path is refused" 2 B --backup-dir1 p1/bk
expect_grep "overlap named" "mustn't overlap" "$T/err"
expect_rc "the pair is still fine after that" 0 B

# --- empty directories: --create-empty-src-dirs carries them, --remove-empty-dirs prunes
mkdir -p p1/empty/inner
expect_rc "run without --create-empty-src-dirs" 0 B
check "empty dir not carried without the flag" test ! -e p2/empty
expect_rc "run with --create-empty-src-dirs" 0 B --create-empty-src-dirs
check "empty dir carried with the flag" test -d p2/empty/inner
"$D" bisync-listings export p1 p2 "$T/dexp" --workdir "$T/wd" 2>/dev/null
expect_grep "directories are in the listing" '^d .*"empty/inner"' "$T/dexp"/*.path2.lst
rm -r p1/empty
expect_rc "deleted dir, with the flag" 0 B --create-empty-src-dirs
check "deleted dir removed on the other side" test ! -e p2/empty
mkdir -p p1/e2 p2/e3/x
expect_rc "run with --remove-empty-dirs" 0 B --remove-empty-dirs
check "empty dirs removed on Path1" test ! -e p1/e2
check "nested empty dirs removed on Path2" test ! -e p2/e3
check "the roots stay" test -d p1 -a -d p2

# --- --resilient: an error that says nothing against the listings keeps them
expect_rc "access check fails, --resilient" 7 B --check-access --check-filename NOPE --resilient
expect_grep "resilient final words" "retryable without --resync due to --resilient" "$T/err"
expect_rc "next run needs no --resync" 0 B
expect_rc "the same failure without --resilient" 7 B --check-access --check-filename NOPE
expect_rc "now --resync is needed" 7 B
expect_rc "resync" 0 B --resync

# --- the lock: a second run of the pair while one runs exits 1
mkfile p1/slow.txt "slow"
rm -f "$T/started"
DUET_TEST_HOOK_BEFORE_SYNC="touch '$T/started'; sleep 2" B >"$T/first.out" 2>&1 &
first=$!
for i in $(seq 100); do [ -e "$T/started" ] && break; sleep 0.1; done
expect_rc "second run while the first holds the lock" 1 B
expect_grep "lock message" "prior lock found" "$T/err"
wait $first
expect_eq "the first run finished" 0 "$?"
mkfile p1/slow2.txt "slow 2"
DUET_TEST_LOCK_RENEW_MS=200 DUET_TEST_HOOK_BEFORE_SYNC="sleep 1" expect_rc "--max-lock run" 0 B --max-lock 2m -v
expect_grep "a finite lock is renewed while the run lives" "lock renewed" "$T/err"

# --- a root that is gone (unmounted): exit 1, listings kept, no --resync later
mv p2 p2.away
expect_rc "missing Path2 root: please try again" 1 B
expect_grep "missing root named with the way out" 'Path2 ".*p2/" does not exist (removed, or not mounted?)' "$T/err"
check "nothing created in its place" test ! -e p2
mv p2.away p2
expect_rc "back again: the next run goes on without --resync" 0 B

# --- forget: the next run needs --resync
expect_rc "bisync-listings forget" 0 "$D" bisync-listings forget p1 p2 --workdir "$T/wd"
expect_rc "after forget a run is critical" 7 B
expect_rc "export after forget finds nothing" 3 "$D" bisync-listings export p1 p2 "$T/exp" --workdir "$T/wd"
expect_rc "resync after forget" 0 B --resync

# --- resync with every compare: same content, other times is a difference
# the resync settles (check-sync after it must not find it)
mkdir -p cm1 cm2; mkfile cm1/f.txt "same" "2020-01-01"; mkfile cm2/f.txt "same" "2021-01-01"
expect_rc "resync with --compare size,modtime,checksum" 0 "$D" bisync cm1 cm2 --workdir "$T/wdcm" --resync --compare size,modtime,checksum
expect_eq "Path1's time won" "$(stat -c %Y cm1/f.txt)" "$(stat -c %Y cm2/f.txt)"

# --- a destination changed during the run is never overwritten or deleted
# (the hook edits Path2 after the walk, before the copies)
mkdir -p dc1 dc2; for f in x y z; do mkfile dc1/$f.txt "$f" "2020-01-01"; done
DC() { "$D" bisync dc1 dc2 --workdir "$T/wddc" "$@"; }
expect_rc "resync dc" 0 DC --resync
mkfile dc1/x.txt "x from Path1" "2021-01-01"; rm dc1/y.txt
DUET_TEST_HOOK_BEFORE_SYNC="printf 'x edited on Path2 meanwhile' >dc2/x.txt; printf 'y edited on Path2 meanwhile' >dc2/y.txt" \
	expect_rc "a run whose destinations change under it" 0 DC -v
expect_grep "says it left the file alone" "Path2 file changed since it was listed" "$T/err"
expect_eq "x on Path2 not overwritten" "x edited on Path2 meanwhile" "$(cat dc2/x.txt)"
expect_eq "y on Path2 not deleted" "y edited on Path2 meanwhile" "$(cat dc2/y.txt)"
expect_rc "the next run" 0 DC -v
expect_grep "x is a conflict now" "New or changed in both paths.*x.txt" "$T/err"
expect_eq "both versions of x kept" "x from Path1|x edited on Path2 meanwhile" "$(cat dc1/x.txt.conflict1)|$(cat dc1/x.txt.conflict2)"
expect_eq "y's edit came back to Path1" "y edited on Path2 meanwhile" "$(cat dc1/y.txt)"
same_tree "equal after all" dc1 dc2

# --- bad input
expect_rc "overlapping paths" 2 "$D" bisync p1 p1/d --workdir "$T/wd"
expect_grep "overlap message" "Overlapping paths" "$T/err"
expect_rc "same path twice" 2 "$D" bisync p1 p1 --workdir "$T/wd"
expect_rc "a root that is a file" 2 "$D" bisync p2/d/b.txt p1 --workdir "$T/wd"
expect_grep "must be directories" "paths must be existing directories" "$T/err"
expect_rc "bad --compare" 2 B --compare size,colour
expect_rc "bad --conflict-resolve" 2 B --conflict-resolve sometimes
mkdir -p badwd && head -c 8192 /dev/urandom >badwd/data.mdb
expect_rc "corrupt workdir" 7 "$D" bisync p1 p2 --workdir "$T/badwd"
expect_grep "corrupt workdir says the way out" "resync" "$T/err"
chmod 755 "$T"; mkdir -p ro && chmod 555 ro
expect_rc "unwritable workdir" 1 setpriv --reuid=65534 --regid=65534 --clear-groups -- "$D" bisync p1 p2 --workdir "$T/ro/wd"
expect_grep "unwritable workdir named" "ro/wd" "$T/err"

# --- a path longer than an LMDB key (850 bytes) is stored and synced
mkdir -p lp1 lp2
lp=lp1; for i in 1 2 3 4 5 6 7 8 9; do lp="$lp/$(printf 'd%.0s' $(seq 1 70))$i"; done
mkfile "$lp/$(printf 'f%.0s' $(seq 1 200)).txt" "long"
mkfile lp1/keep "keep"
expect_rc "long path: resync" 0 "$D" bisync lp1 lp2 --resync --workdir "$T/lpwd"
printf 'longer' >>"$(find lp1 -name 'fff*.txt')"
expect_rc "long path: a change" 0 "$D" bisync lp1 lp2 --workdir "$T/lpwd"
check "long path: change copied" diff -r lp1 lp2
rm "$(find lp2 -name 'fff*.txt')"
expect_rc "long path: a delete" 0 "$D" bisync lp1 lp2 --workdir "$T/lpwd"
expect_eq "long path: delete reached path1" 0 "$(find lp1 -name 'fff*.txt' | wc -l)"

# --- --resilient with --retries: a failed copy step runs again (as an
# unprivileged user, so a read-only directory makes the copy fail)
mkdir -p rs1/d rs2 rswd; mkfile rs1/keep "k"; mkfile rs1/d/a "a"; cp -a rs1/. rs2/
chown -R 65534:65534 rs1 rs2 rswd
NB() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$D" bisync rs1 rs2 --workdir "$T/rswd" "$@"; }
expect_rc "resilient: resync" 0 NB --resync
mkfile rs1/d/new "new"; mkfile rs1/other "o"; chown 65534:65534 rs1/d/new rs1/other
chmod 555 rs2/d
(sleep 1.5; chmod 755 rs2/d) &
expect_rc "resilient: the retried step succeeds" 0 NB --resilient --retries 3 --retries-sleep 1s
wait
expect_grep "resilient: says it retries" "retrying as --resilient is set. Retry 1/3" "$T/err"
check "resilient: the file arrived on the retry" test -f rs2/d/new
check "resilient: the other file too" test -f rs2/other
expect_rc "resilient: next run has nothing to do" 0 NB -v
expect_grep "resilient: no changes" "No changes found" "$T/err"
mkfile rs1/d/new2 "n2"; chown 65534:65534 rs1/d/new2; chmod 555 rs2/d
expect_rc "without --resilient the step is not run again" 7 NB --retries 3 --retries-sleep 1s
expect_no_grep "without --resilient: no retry" "retrying as --resilient" "$T/err"
chmod 755 rs2/d

done_testing
