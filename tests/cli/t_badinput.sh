#!/usr/bin/env bash
# t_badinput.sh: bad input to the one-way commands: missing source,
# overlapping roots, a file where a directory is needed, unreadable files,
# a full disk, hostile names, bad filter files, unknown remotes.
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"
mkfile src/a "a"; mkfile src/sub/b "b"

# --- missing source: exit 3, destination untouched
mkfile dst/keep "keep"
expect_rc "missing source exits 3" 3 "$D" sync nosuch dst
expect_grep "names the missing directory" "directory not found" "$T/err"
check "nothing deleted after missing source" test -f dst/keep

# --- overlapping roots
expect_rc "destination inside source is refused" 7 "$D" sync src src/sub/inner
expect_grep "overlap message" "overlapping" "$T/err"
check "no inner dir created" test ! -e src/sub/inner
expect_rc "source inside destination is refused" 7 "$D" sync src/sub src

# --- a file where a directory is needed
expect_rc "destination is a file" 2 "$D" copy src src/a
expect_grep "says use copyto" "copyto" "$T/err"
expect_rc "lsl of a missing dir" 3 "$D" sync src/a/x dst

# --- unknown remote and backend
expect_rc "unknown remote" 2 "$D" copy src nosuchremote:path
expect_grep "unknown remote named" "nosuchremote" "$T/err"
expect_rc "unknown backend type" 2 "$D" copy src :nosuchtype:path
expect_rc "unknown flag" 2 "$D" copy src dst --no-such-flag
expect_rc "bad size value" 2 "$D" copy src dst --max-transfer 12Q
expect_rc "wrong arg count" 2 "$D" sync src
expect_rc "bad --bwlimit" 2 "$D" copy src dst --bwlimit 10Q
expect_grep "--bwlimit error names the value and the form" 'bwlimit "10Q": want a rate such as' "$T/err"
expect_rc "--bwlimit timetable refused" 2 "$D" copy src dst --bwlimit "08:00,512k"
check "no copy after a bad --bwlimit" test ! -e dst/a

# --- a filter file with a bad pattern names file and line
printf '+ *.txt\n# comment\n- [unclosed\n' >bad.rules
expect_rc "bad filter file" 2 "$D" sync src dst --filter-from bad.rules
expect_grep "error names file:line" "bad.rules:3" "$T/err"
expect_rc "missing filter file" 1 "$D" sync src dst --filter-from nosuch.rules

# --- unreadable file (as an unprivileged user): the rest syncs, nothing
# is deleted, the run fails
nobody=$(id -u nobody)
mkdir -p perm && chmod 755 "$T" perm
mkfile perm/src/ok1 "ok1"; mkfile perm/src/secret "s"; mkfile perm/src/ok2 "ok2"
mkfile perm/dst/stale "stale"
chmod 000 perm/src/secret
chown -R "$nobody" perm
as_nobody() { setpriv --reuid="$nobody" --regid="$nobody" --clear-groups -- "$@"; }
expect_rc "permission denied exits 1" 1 as_nobody "$D" sync perm/src perm/dst --retries 1
expect_grep "error names the file" "secret" "$T/err"
expect_grep "not deleting" "not deleting files as there were IO errors" "$T/err"
check "readable files synced" test -f perm/dst/ok1 -a -f perm/dst/ok2
check "stale file kept" test -f perm/dst/stale
chmod 755 perm/src/secret; chmod 000 perm/src
expect_rc "unreadable source root" 1 as_nobody "$D" sync perm/src perm/dst --retries 1
check "unreadable root deleted nothing" test -f perm/dst/stale
chmod 755 perm/src

# --- disk full: a small tmpfs; clean error, no partial file left
mkdir -p full small
head -c 2000000 /dev/urandom >full/big; mkfile full/tiny "t"
if mount -t tmpfs -o size=1m tmpfs small 2>/dev/null; then
	expect_rc "disk full fails" 1 "$D" copy full small --retries 1 --low-level-retries 1 --transfers 1 --order-by size,ascending
	expect_grep "says no space" "No space left on device" "$T/err"
	check "no partial file left" test -z "$(find small -name '*partial*' -o -name big)"
	check "small file still copied" test -f small/tiny
	umount small
else
	not_ok "cannot mount a tmpfs for the disk-full test (need root)"
fi

# --- hostile and odd names survive a round trip
mkdir -p names
mkfile "names/new
line" "nl"
mkfile "names/$(printf 'bad\xff\xfeutf8')" "bin"
long=$(printf 'x%.0s' $(seq 1 255))
mkfile "names/$long" "long"
mkfile "names/sp ace/-dash" "d"
expect_rc "odd names copy" 0 "$D" copy names names2
same_tree "odd names identical" names names2
expect_rc "odd names no-change" 0 "$D" sync names names2 -v
expect_grep "odd names: nothing re-copied" "Transferred: *0 / 0" "$T/err"

done_testing
