#!/usr/bin/env bash
# t_misc.sh: mkdir, rmdir, rmdirs, delete, deletefile, purge, touch, cat,
# hashsum, md5sum and sha1sum. Commands that change the tree are compared
# with rclone only under --dry-run (the same tree must serve both); their
# real effects are asserted on the files.
# Usage: t_misc.sh /path/to/duet
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"

# --- mkdir, rmdir
expect_rc "mkdir makes parents" 0 "$D" mkdir m/a/b
check "mkdir made m/a/b" test -d m/a/b
expect_rc "mkdir of an existing directory" 0 "$D" mkdir m/a
expect_rc "mkdir --dry-run" 0 "$D" mkdir m/dry --dry-run
check "mkdir --dry-run made nothing" test ! -e m/dry
expect_grep "mkdir --dry-run says so" "Skipped make directory as --dry-run is set" "$T/err"
mkfile m/file "x"
expect_rc "mkdir over a file fails" 1 "$D" mkdir m/file
expect_rc "rmdir of a non-empty directory fails" 1 "$D" rmdir m/a
check "rmdir kept m/a" test -d m/a/b
expect_rc "rmdir of an empty directory" 0 "$D" rmdir m/a/b -v
check "rmdir removed m/a/b" test ! -e m/a/b
expect_grep "rmdir logs at INFO" "INFO  : Local file system at $T/m/a/b: Removing directory" "$T/err"
expect_rc "rmdir of a missing directory fails" 1 "$D" rmdir m/nope
expect_rc "rmdir --dry-run" 0 "$D" rmdir m/a --dry-run
check "rmdir --dry-run kept it" test -d m/a

# --- rmdirs: rclone's dry run, then the real thing
mkdir -p r/e1/e2 r/new/x r/keep/deeper r/leaf
mkfile r/keep/f "f"
mkfile r/keep/deeper/g "g"
same_log_as_rclone "rmdirs --dry-run" rmdirs r --dry-run
expect_rc "rmdirs" 0 "$D" rmdirs r -v
expect_eq "rmdirs left only directories with files" "r
r/keep
r/keep/deeper
r/keep/deeper/g
r/keep/f" "$(find r | LC_ALL=C sort)"
expect_grep "rmdirs logs each directory" "INFO  : new/x: Removing directory" "$T/err"
mkdir -p r2/a/b
same_log_as_rclone "rmdirs --dry-run of an empty tree" rmdirs r2 --dry-run
expect_rc "rmdirs --leave-root" 0 "$D" rmdirs r2 --leave-root
check "--leave-root kept the root" test -d r2
check "--leave-root removed below" test ! -e r2/a
expect_rc "rmdirs removes an empty root" 0 "$D" rmdirs r2
check "the root is gone" test ! -e r2
expect_rc "rmdirs of a missing directory" 3 "$D" rmdirs r2

# --- delete: filters, --dry-run, --rmdirs, --max-delete
mkfile dl/a/f.txt "1"
mkfile dl/a/b/g.log "22"
mkfile dl/h.txt "3"
mkfile dl/c/i.txt "4"
same_log_as_rclone "delete --dry-run" delete dl --include "*.txt" --dry-run
check "--dry-run deleted nothing" test -f dl/h.txt
expect_rc "delete with a filter" 0 "$D" delete dl --include "*.txt" -v
expect_eq "delete kept the rest and the directories" "dl
dl/a
dl/a/b
dl/a/b/g.log
dl/c" "$(find dl | LC_ALL=C sort)"
expect_grep "delete logs Deleted" "INFO  : h.txt: Deleted" "$T/err"
expect_rc "delete of one file" 0 "$D" delete dl/a/b/g.log
check "the file is gone" test ! -e dl/a/b/g.log
mkfile dl2/x/y/z "z"
mkfile dl2/w "w"
expect_rc "delete --rmdirs" 0 "$D" delete dl2 --rmdirs
expect_eq "delete --rmdirs keeps the root" "dl2" "$(find dl2)"
mkdir -p dl3 && (cd dl3 && touch f1 f2 f3 f4 f5)
expect_rc "--max-delete 2 stops with exit 7" 7 "$D" delete dl3 --max-delete 2
expect_eq "--max-delete: three are left" "3" "$(ls dl3 | wc -l)"
expect_grep "--max-delete says why" "max-delete" "$T/err"
expect_rc "delete of a missing directory" 3 "$D" delete nowhere
expect_rc "delete -i without a terminal" 2 "$D" delete dl3 -i </dev/null

# --- deletefile
mkfile df/a "a"
mkdir -p df/dir
expect_rc "deletefile --dry-run" 0 "$D" deletefile df/a --dry-run
check "deletefile --dry-run kept it" test -f df/a
expect_grep "deletefile --dry-run says so" "a: Skipped delete as --dry-run is set (size 1)" "$T/err"
expect_rc "deletefile" 0 "$D" deletefile df/a
check "deletefile removed it" test ! -e df/a
expect_rc "deletefile of a missing file is 4" 4 "$D" deletefile df/a
expect_rc "deletefile of a directory is 4" 4 "$D" deletefile df/dir
expect_grep "deletefile explains" "is a directory or doesn't exist" "$T/err"
check "deletefile kept the directory" test -d df/dir

# --- purge ignores filters
mkfile pg/a/b.txt "b"
mkfile pg/c.log "c"
mkdir -p pg/empty
same_log_as_rclone "purge --dry-run" purge pg --dry-run
check "purge --dry-run kept it" test -f pg/a/b.txt
expect_rc "purge with a filter removes everything" 0 "$D" purge pg --include "*.txt"
check "purge removed the root" test ! -e pg
expect_rc "purge of a missing directory is 3" 3 "$D" purge pg
mkfile pf "x"
expect_rc "purge of a file fails" 1 "$D" purge pf
check "purge kept the file" test -f pf

# --- touch
expect_rc "touch creates an empty file" 0 "$D" touch t/new.txt
expect_eq "touch: empty" "0" "$(stat -c %s t/new.txt)"
expect_rc "touch -C does not create" 0 "$D" touch -C t/nc.txt
check "touch -C: nothing" test ! -e t/nc.txt
expect_grep "touch -C says so" "Not touching nonexistent file due to --no-create" "$T/err"
expect_rc "touch --dry-run" 0 "$D" touch t/dry.txt --dry-run
check "touch --dry-run: nothing" test ! -e t/dry.txt
for ts in "2020-01-02T03:04:05|2020-01-02 03:04:05.000000000" \
	"2020-01-02T03:04:05.123456789|2020-01-02 03:04:05.123456789" \
	"2020-01-02T03:04:05.5|2020-01-02 03:04:05.500000000" \
	"201231|2020-12-31 00:00:00.000000000" "691231|1969-12-31 00:00:00.000000000"; do
	expect_rc "touch -t ${ts%%|*}" 0 "$D" touch -t "${ts%%|*}" t/new.txt
	expect_eq "touch -t ${ts%%|*} is UTC" "${ts#*|}" "$(TZ=UTC stat -c %y t/new.txt | cut -c1-29)"
done
for bad in 2020-01-02 "2020-01-02 03:04:05" 2020-01-02T03:04:05Z 2020-13-02T03:04:05 bad; do
	expect_rc "touch -t $bad is refused" 1 "$D" touch -t "$bad" t/new.txt
done
expect_rc "touch makes parents" 0 "$D" touch t/sub/deep.txt
check "touch: parents made" test -f t/sub/deep.txt
mkfile t/sub/other.log "o"
expect_rc "touch -R with a filter" 0 "$D" touch -R -t 2001-01-01T00:00:00 --include "*.txt" t
expect_eq "touch -R touched .txt" "2001-01-01" "$(TZ=UTC stat -c %y t/sub/deep.txt | cut -c1-10)"
check "touch -R skipped .log" test "$(TZ=UTC stat -c %y t/sub/other.log | cut -c1-4)" != 2001
expect_rc "touch of a directory changes nothing" 0 "$D" touch t/sub

# --- cat (rclone's slicing rules)
mkfile cat.txt "0123456789"
for a in "" "--head 3" "--tail 3" "--offset 2" "--offset -3" "--offset 2 --count 3" \
	"--offset 20" "--count 0" "--discard" "--offset -20" "--head 20" "--head 0" \
	"--offset -3 --count 2" "--count -5" "--offset 2 --count 20"; do
	same_as_rclone "cat $a" cat $a cat.txt
done
same_as_rclone "cat --head with --tail fails" cat --head 3 --tail 2 cat.txt
same_as_rclone "cat --head with --offset fails" cat --head 3 --offset 2 cat.txt
expect_eq "cat --head 3" "012" "$("$D" cat --head 3 cat.txt)"
expect_eq "cat --offset -3 --count 2" "78" "$("$D" cat --offset -3 --count 2 cat.txt)"
mkfile cd/1 "A"
mkfile cd/y "Y"
mkfile cd/s/2 "B"
same_as_rclone "cat of a directory" cat cd
same_as_rclone "cat --head 1 of a directory" cat --head 1 cd
same_as_rclone "cat with a filter" cat --include "[1y]" cd
expect_eq "cat of a directory, level by level" "AYB" "$("$D" cat cd)"
expect_rc "cat of a missing file is 4" 4 "$D" cat nope.txt

# --- hashsum, md5sum, sha1sum
mkfile h/a.txt "hello
"
mkfile h/sub/b.bin "bb"
mkfile h/sub/c "$(head -c 100000 /dev/zero | tr '\0' x)"
for k in md5 sha1 sha256 MD5 SHA-1; do
	same_sorted_as_rclone "hashsum $k" hashsum $k h
done
same_sorted_as_rclone "md5sum" md5sum h
same_sorted_as_rclone "sha1sum" sha1sum h
same_sorted_as_rclone "md5sum --base64" md5sum --base64 h
same_sorted_as_rclone "sha1sum --base64" sha1sum --base64 h
same_sorted_as_rclone "md5sum of a file" md5sum h/a.txt
same_sorted_as_rclone "md5sum with a filter" md5sum --exclude "*.bin" h
same_sorted_as_rclone "md5sum --download" md5sum --download h
expect_out "md5sum: sorted by path" "b1946ac92492d2347c6235b4d2611184  a.txt
21ad0bd836b90d08f4cf640b4c298e7c  sub/b.bin" "$D" md5sum --exclude sub/c h
expect_out "md5sum --base64 is URL-safe" "sZRqySSS0jR8YjW00mERhA==  a.txt" "$D" md5sum --base64 h/a.txt
expect_out "hashsum xxh3 (a duet extra)" "99fc819aaba2462a  a.txt" "$D" hashsum xxh3 h/a.txt
expect_out "hashsum xxh128" "6bba86c7e069f56d5a10b435f1c8e49c  a.txt" "$D" hashsum xxh128 h/a.txt
expect_out "hashsum lists the kinds" "Supported hashes are:
  * md5
  * sha1
  * sha256
  * xxh3
  * xxh128" "$D" hashsum
expect_rc "hashsum of an unknown kind" 1 "$D" hashsum crc99 h
expect_grep "hashsum names it" 'unknown hash type "crc99"' "$T/err"
expect_out "md5sum of stdin" "b1946ac92492d2347c6235b4d2611184  -" \
	bash -c 'printf "hello\n" | "$1" md5sum' _ "$D"
expect_out "hashsum sha1 - of stdin" "f572d396fae9206628714fb2ce00f72e94f2258f  -" \
	bash -c 'printf "hello\n" | "$1" hashsum sha1 -' _ "$D"
expect_rc "md5sum --output-file" 0 "$D" md5sum --output-file sums.md5 h
expect_eq "--output-file holds the sums" "$("$D" md5sum h)" "$(cat sums.md5)"
expect_eq "--output-file: nothing on stdout" "" "$(cat "$T/out")"
expect_rc "md5sum -C of its own output" 0 "$D" md5sum -C sums.md5 h
expect_eq "md5sum -C: combined report" "= a.txt
= sub/b.bin
= sub/c" "$(cat "$T/out")"
expect_rc "md5sum of a missing directory" 3 "$D" md5sum nope

done_testing
