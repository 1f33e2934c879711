#!/usr/bin/env bash
# t_check.sh: check (sizes, hashes, --download, --one-way, the report
# files) and the SUM-file checks of check --checkfile and md5sum -C. The
# log lines are compared with rclone's (timestamps cut, order ignored);
# the reports and exit codes are asserted literally too.
# Usage: t_check.sh /path/to/duet
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"

# --- two trees: same, different content, different size, one-sided files
mkfile c1/same "same" "2020-01-01 00:00:00"
mkfile c2/same "same" "2020-01-01 00:00:00"
mkfile c1/diff "aaa" "2020-01-01 00:00:00"
mkfile c2/diff "bbb" "2020-01-01 00:00:00"
mkfile c1/sz "a" "2020-01-01 00:00:00"
mkfile c2/sz "abc" "2020-01-01 00:00:00"
mkfile c1/onlysrc "only" "2020-01-01 00:00:00"
mkfile c2/d/onlydst "only" "2020-01-01 00:00:00"
mkfile c1/d/x "x" "2020-01-01 00:00:00"
mkfile c2/d/x "x" "2021-01-01 00:00:00"
mkdir -p c1/emptydir
mkfile e1/a "a"
mkfile e2/a "a"
mkfile e1/sub/b "b"
mkfile e2/sub/b "b"

same_log_as_rclone "check: log lines and exit code" check c1 c2
same_log_as_rclone "check --one-way" check c1 c2 --one-way
same_log_as_rclone "check --size-only" check c1 c2 --size-only
same_log_as_rclone "check of equal trees" check e1 e2
same_log_as_rclone "check a subdirectory" check c1/d c2/d
same_log_as_rclone "check against a missing destination" check e1 nowhere
same_log_as_rclone "check with a filter" check c1 c2 --exclude diff --exclude "d/**"
same_log_as_rclone "check -q" check c1 c2 -q
same_sorted_as_rclone "check --combined -" check c1 c2 --combined -
same_sorted_as_rclone "check --match -" check c1 c2 --match -
same_sorted_as_rclone "check --differ -" check c1 c2 --differ -
same_sorted_as_rclone "check --missing-on-src -" check c1 c2 --missing-on-src -
same_sorted_as_rclone "check --missing-on-dst -" check c1 c2 --missing-on-dst -
same_sorted_as_rclone "check --one-way --combined -" check c1 c2 --one-way --combined -

expect_rc "differences exit 1" 1 "$D" check c1 c2
expect_grep "ERROR for a missing file" "ERROR : onlysrc: file not in Local file system at $T/c2" "$T/err"
expect_grep "ERROR for a size" "ERROR : sz: sizes differ" "$T/err"
expect_grep "ERROR for a hash" "ERROR : diff: md5 differ" "$T/err"
expect_grep "missing on the source" "ERROR : d/onlydst: file not in Local file system at $T/c1" "$T/err"
expect_grep "differences counted" "NOTICE: Local file system at $T/c2: 4 differences found" "$T/err"
expect_grep "matches counted" "NOTICE: Local file system at $T/c2: 2 matching files" "$T/err"
expect_grep "final error" "4 differences found" "$T/err"
expect_rc "equal trees exit 0" 0 "$D" check e1 e2 -v
expect_grep "-v names the hash" "INFO  : Using md5 for hash comparisons" "$T/err"
expect_grep "0 differences" "e2: 0 differences found" "$T/err"
expect_rc "a missing source is exit 3" 3 "$D" check nowhere e1
expect_rc "check needs two arguments" 2 "$D" check c1

# --- the report files, in path order
expect_rc "check with every report file" 1 "$D" check c1 c2 --combined comb.txt \
	--match match.txt --differ differ.txt --missing-on-src mos.txt --missing-on-dst mod.txt \
	--error err.txt
expect_eq "--combined is in path order" "- d/onlydst
= d/x
* diff
+ onlysrc
= same
* sz" "$(cat comb.txt)"
expect_eq "--match" "d/x
same" "$(cat match.txt)"
expect_eq "--differ" "diff
sz" "$(cat differ.txt)"
expect_eq "--missing-on-src" "d/onlydst" "$(cat mos.txt)"
expect_eq "--missing-on-dst" "onlysrc" "$(cat mod.txt)"
expect_eq "--error is empty" "" "$(cat err.txt)"
expect_rc "--one-way ignores files only on the destination" 1 "$D" check c1 c2 --one-way \
	--combined -
expect_no_grep "--one-way: no '-' line" "^- " "$T/out"
expect_rc "a report file that cannot be written" 1 "$D" check e1 e2 --match /nonexistent/dir/f

# --- --download compares the bytes
expect_rc "--download finds same-size differences" 1 "$D" check c1 c2 --download
expect_grep "--download: contents differ" "ERROR : diff: contents differ" "$T/err"
expect_grep "--download: sizes first" "ERROR : sz: sizes differ" "$T/err"
expect_rc "--download of equal trees" 0 "$D" check e1 e2 --download
expect_grep "--download: all match" "e2: 2 matching files" "$T/err"
expect_rc "--size-only misses a same-size change" 1 "$D" check c1 c2 --size-only --differ -
expect_eq "--size-only: only the size difference" "sz" "$(cat "$T/out")"

# --- a file as the source checks that one file
expect_rc "check of one file" 0 "$D" check c1/same c2
expect_grep "one file matched" "1 matching files" "$T/err"
expect_rc "check of one different file" 1 "$D" check c1/diff c2 --combined -
expect_eq "one file differs" "* diff" "$(cat "$T/out")"

# --- SUM files: md5sum -C and check --checkfile
"$D" md5sum e1 >e1.md5
expect_eq "md5sum of e1" "0cc175b9c0f1b6a831c399e269772661  a
92eb5ffee6ae2fec3ad71c777531578f  sub/b" "$(cat e1.md5)"
same_sorted_as_rclone "md5sum -C of a matching tree" md5sum -C e1.md5 e1
same_log_as_rclone "md5sum -C log" md5sum -C e1.md5 e1
# (rclone numbers the lines of a SUM file from 0; so does duet.)
{ echo "0cc175b9c0f1b6a831c399e269772662  a"; echo "deadbeefdeadbeefdeadbeefdeadbeef  gone";
  echo "not a sum line"; } >bad.md5
same_sorted_as_rclone "md5sum -C with differences" md5sum -C bad.md5 e1
same_log_as_rclone "md5sum -C with differences: log" md5sum -C bad.md5 e1
expect_rc "md5sum -C with differences exits 1" 1 "$D" md5sum -C bad.md5 e1
expect_eq "md5sum -C: combined report on stdout" "* a
+ gone
- sub/b" "$(cat "$T/out")"
expect_grep "md5sum -C: a missing sum" "ERROR : sub/b: sum not found" "$T/err"
expect_grep "md5sum -C: hashes missing" "NOTICE: 1 hashes missing" "$T/err"
{ head -1 e1.md5; echo "this is not a sum line"; echo "92eb5ffee6ae2fec3ad71c777531578  sub/b"; } >junk.md5
expect_rc "md5sum -C: a short digest differs" 1 "$D" md5sum -C junk.md5 e1
expect_grep "md5sum -C: a bad line" "NOTICE: junk.md5: improperly formatted checksum line 1" "$T/err"
expect_grep "md5sum -C: the short one differs" "ERROR : sub/b: files differ" "$T/err"
{ echo "0cc175b9c0f1b6a831c399e269772662  a"; cat e1.md5; } >dup.md5
same_log_as_rclone "SUM file: a duplicate path, the first wins" md5sum -C dup.md5 e1
expect_rc "SUM file: the first of two lines wins" 1 "$D" md5sum -C dup.md5 e1
expect_grep "SUM file: duplicate noticed" "NOTICE: dup.md5: duplicate file on checksum line 1" "$T/err"
same_log_as_rclone "check --checkfile md5" check --checkfile md5 bad.md5 e1
same_sorted_as_rclone "check -C md5 --combined -" check -C md5 bad.md5 e1 --combined -
printf '0CC175B9C0F1B6A831C399E269772661 *a\r\n' >upper.md5
same_sorted_as_rclone "SUM file: upper case, '*' and CRLF" md5sum -C upper.md5 e1/a
expect_rc "SUM file: upper case, '*' and CRLF pass" 0 "$D" md5sum -C upper.md5 e1/a
"$D" sha1sum --base64 e1 >e1.sha1b64
expect_rc "sha1sum -C --base64" 0 "$D" sha1sum -C e1.sha1b64 --base64 e1
expect_rc "a missing SUM file" 1 "$D" md5sum -C nothere.md5 e1
expect_rc "check --checkfile with an unknown hash" 1 "$D" check --checkfile crc99 e1.md5 e1

done_testing
