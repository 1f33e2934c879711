#!/usr/bin/env bash
# t_sync.sh: sync, copy, move, copyto, moveto and their flags, on real
# files. Usage: t_sync.sh /path/to/duet
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"

# --- copy into an empty destination keeps bytes and nanosecond mtimes
mkfile src/a.txt "alpha" "2020-01-02 03:04:05.123456789"
mkfile src/dir/b.txt "bravo" "2021-05-06 07:08:09"
mkfile src/dir/sub/c.bin "$(head -c 3000 /dev/urandom | base64)"
expect_rc "copy into new dir exits 0" 0 "$D" copy src dst
same_tree "copy makes an identical tree" src dst
expect_eq "nanosecond mtime kept" "$(stat -c %y src/a.txt)" "$(stat -c %y dst/a.txt)"

# --- a no-change run transfers nothing
expect_rc "no-change copy" 0 "$D" copy src dst -v
expect_grep "no-change run transfers 0 files" "Transferred: *0 / 0" "$T/err"
expect_grep "no-change run says so, as rclone" "INFO  : There was nothing to transfer" "$T/err"
expect_rc "error-on-no-transfer gives 9" 9 "$D" copy src dst --error-on-no-transfer

# --- sync deletes what the source lacks; copy does not
mkfile dst/extra.txt "extra"
expect_rc "copy leaves extra" 0 "$D" copy src dst
check "extra still there after copy" test -f dst/extra.txt
expect_rc "sync" 0 "$D" sync src dst -v
check "sync deleted extra" test ! -e dst/extra.txt
expect_grep "delete logged" "extra.txt: Deleted" "$T/err"

# --- changed content is copied; mtime-only difference only fixes the time
mkfile src/a.txt "alpha2" "2020-01-02 03:04:05"
expect_rc "sync changed size" 0 "$D" sync src dst -v
expect_eq "new content copied" "alpha2" "$(cat dst/a.txt)"
touch -d "2022-02-02 02:02:02" src/dir/b.txt
expect_rc "sync mtime-only change" 0 "$D" sync src dst -v
expect_grep "mtime updated, not copied" "b.txt: Updated modification time in destination" "$T/err"
expect_eq "mtime fixed" "$(stat -c %Y src/dir/b.txt)" "$(stat -c %Y dst/dir/b.txt)"
mkfile src/dir/b.txt "BRAVO" "2022-03-03 03:03:03"
expect_rc "same size, new time, new content" 0 "$D" sync src dst -v
expect_eq "content replaced" "BRAVO" "$(cat dst/dir/b.txt)"

# --- --checksum catches same size + same time + different content
mkfile src/same.txt "1111" "2020-01-01 00:00:00"
mkfile dst/same.txt "2222" "2020-01-01 00:00:00"
expect_rc "default compare skips equal size+time" 0 "$D" copy src dst
expect_eq "size+time says equal" "2222" "$(cat dst/same.txt)"
expect_rc "--checksum copies" 0 "$D" copy src dst --checksum
expect_eq "checksum found the difference" "1111" "$(cat dst/same.txt)"

# --- --size-only, -I, -u, --ignore-existing, --immutable
mkfile src/s.txt "xx" "2020-01-01 00:00:00"
mkfile dst/s.txt "yy" "2024-01-01 00:00:00"
expect_rc "size-only skips equal sizes" 0 "$D" copy src dst --size-only
expect_eq "size-only kept dst" "yy" "$(cat dst/s.txt)"
expect_rc "-u skips newer dst" 0 "$D" copy src dst -u
expect_eq "update kept newer dst" "yy" "$(cat dst/s.txt)"
expect_rc "--ignore-existing" 0 "$D" copy src dst --ignore-existing
expect_eq "ignore-existing kept dst" "yy" "$(cat dst/s.txt)"
expect_rc "--immutable refuses to modify" 1 "$D" copy src dst --immutable --retries 1
expect_grep "immutable error" "immutable file modified" "$T/err"
expect_eq "immutable kept dst" "yy" "$(cat dst/s.txt)"
expect_rc "-I copies unconditionally" 0 "$D" copy src dst -I
expect_eq "-I copied" "xx" "$(cat dst/s.txt)"

# --- dry run changes nothing
mkfile src/new.txt "new"
mkfile dst/gone.txt "gone"
expect_rc "dry-run" 0 "$D" sync src dst --dry-run
expect_grep "dry-run copy notice" "new.txt: Skipped copy as --dry-run is set" "$T/err"
expect_grep "dry-run delete notice" "gone.txt: Skipped delete as --dry-run is set" "$T/err"
check "dry-run copied nothing" test ! -e dst/new.txt
check "dry-run deleted nothing" test -e dst/gone.txt

# --- --max-delete stops deleting and exits 7
"$D" sync src dst >/dev/null 2>&1
mkfile dst/d1 "1"; mkfile dst/d2 "2"; mkfile dst/d3 "3"
expect_rc "--max-delete 1 is fatal" 7 "$D" sync src dst --max-delete 1
expect_grep "max-delete message" "max-delete" "$T/err"
expect_eq "at most one deleted" 2 "$(ls dst | grep -c '^d[123]$')"
"$D" sync src dst >/dev/null 2>&1

# --- filters: excluded files are not copied nor deleted; --delete-excluded
mkfile src/keep.log "log"
mkfile dst/other.log "log2"
expect_rc "sync with exclude" 0 "$D" sync src dst --exclude "*.log"
check "excluded not copied" test ! -e dst/keep.log
check "excluded not deleted" test -e dst/other.log
expect_rc "--delete-excluded" 0 "$D" sync src dst --exclude "*.log" --delete-excluded
check "delete-excluded removed it" test ! -e dst/other.log
rm src/keep.log

# --- backups
"$D" sync src dst >/dev/null 2>&1
mkfile src/a.txt "alpha3"
mkfile dst/old.txt "old"
expect_rc "sync with --backup-dir" 0 "$D" sync src dst --backup-dir bak
expect_eq "replaced version in backup" "alpha2" "$(cat bak/a.txt)"
expect_eq "deleted file in backup" "old" "$(cat bak/old.txt)"
mkfile src/a.txt "alpha4"
expect_rc "--backup-dir with --suffix" 0 "$D" sync src dst --backup-dir bak --suffix .1 --suffix-keep-extension
expect_eq "suffix keeps extension" "alpha3" "$(cat bak/a.1.txt)"
mkfile src/a.txt "alpha55"
expect_rc "--suffix alone" 0 "$D" sync src dst --suffix .bak
expect_eq "backup beside the file" "alpha4" "$(cat dst/a.txt.bak)"
expect_rc "backup inside destination is refused" 7 "$D" sync src dst --backup-dir dst/bak
rm -f dst/a.txt.bak

# --- --compare-dest and --copy-dest
mkdir -p cmp; cp -p src/a.txt cmp/a.txt
expect_rc "--compare-dest skips files equal there" 0 "$D" copy src fresh1 --compare-dest cmp
check "compare-dest: equal file not copied" test ! -e fresh1/a.txt
check "compare-dest: others copied" test -f fresh1/dir/b.txt
expect_rc "--copy-dest copies from there" 0 "$D" copy src fresh2 --copy-dest cmp
expect_eq "copy-dest file present" "alpha55" "$(cat fresh2/a.txt)"

# --- delete modes
for mode in before during after; do
	rm -rf dm; "$D" copy src dm >/dev/null 2>&1; mkfile dm/zz "z"
	expect_rc "--delete-$mode" 0 "$D" sync src dm --delete-$mode
	check "--delete-$mode deleted" test ! -e dm/zz
done
expect_rc "two delete modes is a usage error" 2 "$D" sync src dm --delete-before --delete-after

# --- limits
mkdir -p big; head -c 3000000 /dev/urandom >big/1; head -c 3000000 /dev/urandom >big/2
expect_rc "--max-transfer exits 8" 8 "$D" copy big bigdst --max-transfer 1M --transfers 1
expect_rc "--max-transfer cautious exits 8" 8 "$D" copy big bigdst2 --max-transfer 4M --cutoff-mode cautious --transfers 1
expect_eq "cautious copied exactly one file" 1 "$(ls bigdst2 | wc -l)"
expect_rc "--max-duration tiny exits 10" 10 "$D" copy big bigdst3 --max-duration 1ns --transfers 1

# --- move, copyto, moveto
mkdir -p mv; mkfile mv/m1 "m1"; mkfile mv/sub/m2 "m2"
expect_rc "move" 0 "$D" move mv mvdst
check "move removed source files" test ! -e mv/m1 -a ! -e mv/sub/m2
expect_eq "move delivered" "m2" "$(cat mvdst/sub/m2)"
expect_rc "copyto renames" 0 "$D" copyto src/a.txt cto/renamed.txt
expect_eq "copyto content" "alpha55" "$(cat cto/renamed.txt)"
expect_rc "moveto" 0 "$D" moveto cto/renamed.txt cto/moved.txt
check "moveto moved" test -f cto/moved.txt -a ! -e cto/renamed.txt
expect_rc "copyto missing source" 3 "$D" copyto src/nope.txt cto/x

# --- empty directories
mkdir -p src/empty/deeper
expect_rc "sync without --create-empty-src-dirs" 0 "$D" sync src ed1
check "empty dir not created" test ! -e ed1/empty
expect_rc "--create-empty-src-dirs" 0 "$D" sync src ed1 --create-empty-src-dirs
check "empty dirs created" test -d ed1/empty/deeper
rmdir src/empty/deeper src/empty
expect_rc "sync removes dirs the source lacks" 0 "$D" sync src ed1
check "empty dir removed" test ! -e ed1/empty

# --- logging flags
expect_rc "--log-file" 0 "$D" sync src lf --log-file "$T/log.txt" -v
expect_grep "log file has copies" "Copied (new)" "$T/log.txt"
expect_rc "--use-json-log" 0 "$D" sync src lj -v --use-json-log
expect_grep "json log line" '"level":"info","msg":"Copied (new)"' "$T/err"
expect_rc "-q is quiet" 0 "$D" sync src lq -q
expect_eq "-q printed nothing" "" "$(cat "$T/err")"
expect_rc "-P progress" 0 "$D" sync src lp -P
expect_grep "-P prints the transfer line" "Transferred:" "$T/err"
expect_rc "--stats-one-line" 0 "$D" sync src ls1 -v --stats-one-line --stats 1ms
expect_grep "one-line stats" "ETA" "$T/err"

# --- -i refuses without a terminal
expect_rc "-i without a terminal" 2 "$D" sync src dst -i </dev/null
expect_grep "-i error says why" "needs a terminal" "$T/err"

# --- -i on a terminal: y copies, n skips, q stops before the delete
rm -rf it; mkdir -p it/src it/dst; mkfile it/src/a "a"; mkfile it/src/b "b"; mkfile it/dst/z "z"
(cd it && printf 'y\nn\nq\n' | script -qfec "$D sync -i src dst --transfers 1 --checkers 1" /dev/null >../it.out 2>&1)
expect_grep "-i asks before a copy" 'copy "a"?' it.out
expect_grep "-i offers y/n/a/q" "y/n/a/q>" it.out
check "-i y copied a" test -f it/dst/a
check "-i n skipped b" test ! -e it/dst/b
check "-i q kept z" test -f it/dst/z
expect_grep "-i q says why it stopped" "quit was chosen" it.out
(cd it && printf 'a\n' | script -qfec "$D sync -i src dst" /dev/null >../it.out 2>&1)
check "-i a: yes to all" test -f it/dst/b -a ! -e it/dst/z

# --- filter flags on a real sync
rm -rf fsrc; mkdir -p fsrc
mkfile fsrc/a.jpg "a"; mkfile fsrc/b.txt "b"; mkfile fsrc/d1/c.jpg "c"; mkfile fsrc/d1/d2/e.JPG "e"
mkfile fsrc/skip/.ignore ""; mkfile fsrc/skip/f.jpg "f"; mkfile fsrc/skipd/.git/x "x"; mkfile fsrc/skipd/g.jpg "g"
mkfile fsrc/big.bin "$(head -c 5000 /dev/zero | tr '\0' z)"
touch -d "2001-01-01" fsrc/b.txt
lsf() { (cd "$1" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' '); }
expect_rc "--include" 0 "$D" sync fsrc f1 --include "*.jpg"
expect_eq "--include picks jpgs" "a.jpg d1/c.jpg skip/f.jpg skipd/g.jpg " "$(lsf f1)"
expect_rc "--include --ignore-case" 0 "$D" sync fsrc f2 --include "*.jpg" --ignore-case
expect_eq "--ignore-case matches .JPG" "a.jpg d1/c.jpg d1/d2/e.JPG skip/f.jpg skipd/g.jpg " "$(lsf f2)"
expect_rc "--exclude-if-present file and dir" 0 "$D" sync fsrc f3 --exclude-if-present .ignore --exclude-if-present .git/
expect_eq "marked dirs excluded" "a.jpg b.txt big.bin d1/c.jpg d1/d2/e.JPG " "$(lsf f3)"
expect_rc "--max-depth 1" 0 "$D" sync fsrc f4 --max-depth 1
expect_eq "--max-depth 1 top files only" "a.jpg b.txt big.bin " "$(lsf f4)"
expect_rc "--min-size 4K" 0 "$D" sync fsrc f5 --min-size 4K
expect_eq "--min-size keeps the big file" "big.bin " "$(lsf f5)"
expect_rc "--max-age 1y" 0 "$D" sync fsrc f6 --max-age 1y --exclude "skip*/**"
check "--max-age drops the old file" test ! -e f6/b.txt -a -e f6/a.jpg
printf 'a.jpg\nd1/d2/e.JPG\n' >list.txt
expect_rc "--files-from" 0 "$D" sync fsrc f7 --files-from list.txt
expect_eq "--files-from copies just those" "a.jpg d1/d2/e.JPG " "$(lsf f7)"
printf -- '- skip*/**\n+ *.jpg\n- *\n' >rules.txt
expect_rc "--filter-from" 0 "$D" sync fsrc f8 --filter-from rules.txt
expect_eq "--filter-from applied in order" "a.jpg d1/c.jpg " "$(lsf f8)"
expect_rc "min-age above max-age is refused" 2 "$D" sync fsrc f9 --min-age 2d --max-age 1d

# --- more comparison and traversal flags
rm -rf cs cd; mkdir -p cs cd
mkfile cs/t.txt "same" "2020-01-01 00:00:00"; mkfile cd/t.txt "same" "2020-01-01 00:00:05"
expect_rc "--no-update-modtime" 0 "$D" copy cs cd --no-update-modtime -v
expect_no_grep "--no-update-modtime leaves the time" "Updated modification time" "$T/err"
expect_eq "dst time unchanged" "$(date -d '2020-01-01 00:00:05' +%s)" "$(stat -c %Y cd/t.txt)"
expect_rc "--modify-window 10s treats 5s apart as equal" 0 "$D" copy cs cd --modify-window 10s -v
expect_no_grep "window: nothing done" "t.txt:" "$T/err"
mkfile cs/t.txt "same!" "2020-01-01 00:00:05"
expect_rc "--ignore-size compares time only" 0 "$D" copy cs cd --ignore-size -v
expect_eq "--ignore-size: equal times, not copied" "same" "$(cat cd/t.txt)"
mkfile cs/n.txt "nt"
expect_rc "--no-traverse" 0 "$D" copy cs cd --no-traverse -v
expect_grep "--no-traverse still copies new files" "n.txt: Copied (new)" "$T/err"
expect_grep "--no-traverse still sees changes" "t.txt: Copied (replaced existing)" "$T/err"
expect_rc "--no-traverse no-change" 0 "$D" copy cs cd --no-traverse -v
expect_grep "--no-traverse looks each file up" "Transferred: *0 / 0" "$T/err"
expect_rc "--no-check-dest copies regardless" 0 "$D" copy cs cd --no-check-dest -v
expect_grep "--no-check-dest copied" "Copied" "$T/err"

# --- --order-by decides the transfer order; --retries repeats the run
rm -rf ob; mkdir -p ob; mkfile ob/s1 "1"; mkfile ob/s333 "333"; mkfile ob/s22 "22"
expect_rc "--order-by size,descending" 0 "$D" copy ob obd --order-by size,descending --transfers 1 -v
expect_eq "largest first" "s333 s22 s1" "$(grep -o 's[0-9]*: Copied' "$T/err" | cut -d: -f1 | tr '\n' ' ' | sed 's/ $//')"
mkfile imm/src/f "aa" "2020-01-01"; mkfile imm/dst/f "bb" "2021-01-01"
expect_rc "--retries 2 on a failing run" 1 "$D" copy imm/src imm/dst --immutable --retries 2
expect_grep "first attempt reported" "Attempt 1/2 failed with 1 errors" "$T/err"
expect_grep "second attempt reported" "Attempt 2/2 failed with 1 errors" "$T/err"
expect_rc "--log-level DEBUG" 0 "$D" sync src dst --log-level DEBUG
expect_grep "--log-level DEBUG shows DEBUG" "DEBUG : a.txt: Unchanged skipping" "$T/err"
expect_rc "--log-level bad" 2 "$D" sync src dst --log-level LOUD

# --- delete modes differ when transfers stop early
rm -rf dmo dmd; mkdir -p dmo; head -c 3000000 /dev/urandom >dmo/big1; head -c 3000000 /dev/urandom >dmo/big2
mkdir -p dmd; mkfile dmd/old "o"
expect_rc "--delete-after with a cut-off" 8 "$D" sync dmo dmd --max-transfer 1M --transfers 1
check "--delete-after: nothing deleted after the cut-off" test -e dmd/old
expect_rc "--delete-before with a cut-off" 8 "$D" sync dmo dmd --max-transfer 1M --transfers 1 --delete-before
check "--delete-before: deleted before the cut-off" test ! -e dmd/old

# --- --bwlimit holds local copies too: 3 MB at 1 MiB/s cannot take less
# than about 3 s (a lower bound only: a slow machine passes as well)
rm -rf bwd; t0=$(date +%s%N)
expect_rc "--bwlimit on a local copy" 0 "$D" copy dmo/big1 bwd --bwlimit 1M
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "--bwlimit 1M: 3 MB took at least 2 s (took $ms ms)" test "$ms" -ge 2000
check "--bwlimit: the copy is whole" cmp -s dmo/big1 bwd/big1

done_testing
