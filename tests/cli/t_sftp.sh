#!/usr/bin/env bash
# t_sftp.sh: duet against a real OpenSSH server on loopback (started here
# with backends/sftp/sshd.sh, stopped at exit): named and on-the-fly sftp
# remotes, listing and transfer commands, bisync local<->sftp and
# sftp<->sftp with the options of a scheduled run, the errors a user meets
# (wrong password, unknown remote, host key mismatch, permission denied)
# and a server killed in the middle of a bisync. Runs as root; the
# server's files are this machine's, so both sides are inspected directly.
# Usage: t_sftp.sh /path/to/duet
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
chmod 755 "$T" # the password user (duetsftp) walks through it
cd "$T"

# --- the server: sshd.sh next to the sources (found from the lib, this
# script, or the binary in build*/cli/), or $DUET_TEST_SSHD.
SSHD=${DUET_TEST_SSHD:-}
for cand in "$(dirname "${DUET_TEST_LIB:-$0}")/../../backends/sftp/sshd.sh" \
	"$(dirname "$0")/../../backends/sftp/sshd.sh" \
	"$(dirname "$D")/../../backends/sftp/sshd.sh"; do
	[ -n "$SSHD" ] && break
	[ -f "$cand" ] && SSHD=$cand
done
BG=
lib_exit=$(eval "set -- $(trap -p EXIT)"; printf '%s' "${3:-}")
on_exit() {
	[ -n "$BG" ] && kill -9 "$BG" 2>/dev/null
	[ -n "$SSHD" ] && [ -f "$T/srv/sshd.pid" ] && sh "$SSHD" stop "$T/srv" >/dev/null 2>&1
	eval "$lib_exit"
}
trap on_exit EXIT
if [ -z "$SSHD" ] || [ ! -f "$SSHD" ]; then
	not_ok "backends/sftp/sshd.sh not found (set DUET_TEST_SSHD)"; done_testing; exit 1
fi
if ! sh "$SSHD" start "$T/srv" >"$T/sshd.out" 2>&1; then
	not_ok "sshd starts"; sed 's/^/  /' "$T/sshd.out"; done_testing; exit 1
fi
ok "sshd starts"
PORT=$(cat srv/port); PWPASS=$(cat srv/password); PWUSER=$(cat srv/user)
KEY=$T/srv/clientkey; KH=$T/srv/known_hosts
CONF=$T/duet.conf
DC() { "$D" --config "$CONF" "$@"; }
# descendants PID: the pids below PID (sshd's sessions), deepest first.
descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do descendants "$c"; echo "$c"; done
}
# kill_server: the listener stopped first (it forks no new session while
# its sessions die: duet reconnects at once), then everything SIGKILLed.
kill_server() {
	local l kids
	l=$(cat "$T/srv/sshd.pid")
	kill -STOP "$l"
	kids=$(descendants "$l")
	kill -9 $kids "$l" 2>/dev/null
	rm -f "$T/srv/sshd.pid"
}
# drop_sessions: kills the server's sessions, the listener lives on.
drop_sessions() {
	local kids
	kids=$(descendants "$(cat "$T/srv/sshd.pid")")
	[ -n "$kids" ] && kill -9 $kids 2>/dev/null
}
lines() { grep -c '' "$1"; }
# same_tree_s NAME DIR1 DIR2: as same_tree, mtimes compared in whole
# seconds (an SFTP server keeps no fraction).
same_tree_s() {
	local a b
	a=$(cd "$2" && find . -type f -printf '%P %s %T@\n' | sed 's/\.[0-9]*$//' | LC_ALL=C sort)
	b=$(cd "$3" && find . -type f -printf '%P %s %T@\n' | sed 's/\.[0-9]*$//' | LC_ALL=C sort)
	if [ "$a" = "$b" ] && diff -r "$2" "$3" >/dev/null; then ok "$1"; else
		not_ok "$1"; diff <(echo "$a") <(echo "$b") | head -10 | sed 's/^/  /'
		diff -rq "$2" "$3" | head -5 | sed 's/^/  /'; fi
}

# ---------------------------------------------------------------------
# 1. config create / show, a key remote and a password remote
expect_rc "config create srv (key)" 0 DC config create srv sftp host 127.0.0.1 port "$PORT" \
	user root key_file "$KEY" known_hosts_file "$KH"
expect_rc "config show srv" 0 DC config show srv
expect_grep "show: section" '^\[srv\]$' "$T/out"
expect_grep "show: type" '^type = sftp$' "$T/out"
expect_grep "show: port" "^port = $PORT\$" "$T/out"
expect_grep "show: key_file" "^key_file = $KEY\$" "$T/out"
expect_grep "show: known_hosts_file" "^known_hosts_file = $KH\$" "$T/out"
expect_rc "config create pw (password)" 0 DC config create pw sftp host 127.0.0.1 port "$PORT" \
	user "$PWUSER" pass "$PWPASS" known_hosts_file "$KH"
cat "$T/out" "$T/err" >"$T/create.txt"
expect_no_grep "create does not echo the password" "$PWPASS" "$T/create.txt"
expect_rc "config show pw" 0 DC config show pw
expect_no_grep "show: password not in clear" "$PWPASS" "$T/out"
expect_grep "show: a pass line" '^pass = .' "$T/out"
shown=$(sed -n 's/^pass = //p' "$T/out")
expect_eq "show: the pass shown is the obscured password" "$PWPASS" "$("$D" reveal "$shown" 2>&1)"
expect_no_grep "config file: password not in clear" "$PWPASS" "$CONF"
expect_eq "config file mode 0600" "600" "$(stat -c %a "$CONF")"

# ---------------------------------------------------------------------
# 2. lsd, ls, lsl, copy, sync, delete, check
mkfile src/a.txt "alpha" "2020-01-02 03:04:05"
mkfile src/sub/b.txt "bravo!" "2021-03-04 05:06:07"
mkfile src/sub/deep/c.txt "charlie" "2019-05-06 07:08:09"
mkfile "src/with space.txt" "spaced" "2018-01-01 00:00:00"
mkfile src/empty.txt "" "2017-01-01 00:00:00"
head -c 300000 /dev/urandom >src/sub/r.bin; touch -d "2022-02-02 02:02:02" src/sub/r.bin
mkdir -p src/emptydir

# rclone, the oracle, gets its own copy of the config: it writes the
# hash commands it detects into the file it is given.
RCONF=$T/rclone-srv.conf
{ cat "$CONF"; printf '\n[osrv]\n'; sed -n '/^\[srv\]/,/^$/p' "$CONF" | sed '1d;/^$/d'
  printf 'shell_type = unix\nmd5sum_command = md5sum\nsha1sum_command = sha1sum\n'; } >"$RCONF"
expect_rc "lsd" 0 DC lsd "srv:$T/src"
expect_eq "lsd lists the top directories" "emptydir sub" "$(awk '{print $NF}' "$T/out" | sort | tr '\n' ' ' | sed 's/ $//')"
same_as_rclone "lsd as rclone's" --config "$RCONF" lsd "osrv:$T/src"
expect_rc "ls" 0 DC ls "srv:$T/src"
expect_eq "ls: sizes and paths" \
	"0 empty.txt|5 a.txt|6 sub/b.txt|6 with space.txt|7 sub/deep/c.txt|300000 sub/r.bin" \
	"$(awk '{s=$1; sub(/^ *[0-9]+ /, ""); print s " " $0}' "$T/out" | LC_ALL=C sort -n | tr '\n' '|' | sed 's/|$//')"
same_sorted_as_rclone "ls as rclone's" --config "$RCONF" ls "osrv:$T/src"
expect_rc "lsl" 0 DC lsl "srv:$T/src"
expect_grep "lsl: the server's mtime" "2021-03-04 05:06:07.000000000 sub/b.txt" "$T/out"
same_sorted_as_rclone "lsl as rclone's" --config "$RCONF" lsl "osrv:$T/src"
same_sorted_as_rclone "md5sum as rclone's (md5sum over ssh)" --config "$RCONF" md5sum "osrv:$T/src"

expect_rc "copy local -> sftp" 0 DC copy src "srv:$T/dst"
check "copy: no empty dir without --create-empty-src-dirs" test ! -e dst/emptydir
rmdir src/emptydir
same_tree_s "copy: tree, bytes and mtimes" src dst
expect_rc "copy again: nothing to transfer" 9 DC copy src "srv:$T/dst" --error-on-no-transfer
expect_rc "copy sftp -> local" 0 DC copy "srv:$T/dst" back
# --bwlimit holds SFTP transfers (lower bound only: 2 MB at 1 MiB/s)
head -c 2000000 /dev/urandom >bw.bin; t0=$(date +%s%N)
expect_rc "--bwlimit on an SFTP upload" 0 DC copyto bw.bin "srv:$T/bw/bw.bin" --bwlimit 1M
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "--bwlimit 1M: 2 MB up took at least 1.3 s (took $ms ms)" test "$ms" -ge 1300
check "--bwlimit: the upload is whole" cmp -s bw.bin "$T/bw/bw.bin"
same_tree_s "copy back: tree, bytes and mtimes" src back

mkfile dst/extra.txt "extra on the server"; mkfile dst/sub/deep/extra2 "x"
mkfile src/a.txt "alpha, edited" "2020-06-01"
expect_rc "sync local -> sftp" 0 DC sync src "srv:$T/dst"
check "sync: extra file deleted on the server" test ! -e dst/extra.txt -a ! -e dst/sub/deep/extra2
expect_eq "sync: edited file replaced" "alpha, edited" "$(cat dst/a.txt)"
same_tree_s "sync: trees equal" src dst

expect_rc "delete --dry-run" 0 DC delete "srv:$T/dst" --include "*.txt" --dry-run
check "dry-run deleted nothing" test -e dst/a.txt -a -e dst/sub/deep/c.txt
expect_rc "delete with a filter" 0 DC delete "srv:$T/dst" --include "*.txt"
expect_eq "delete: only the filtered files went" "sub/r.bin" "$(cd dst && find . -type f | sed 's|^\./||')"
check "delete: directories kept" test -d dst/sub/deep

expect_rc "sync to refill" 0 DC sync src "srv:$T/dst"
expect_rc "check equal trees" 0 DC check src "srv:$T/dst"
expect_grep "check: 0 differences" "0 differences found" "$T/err"
printf 'alpha, EDITED' >dst/a.txt; touch -r src/a.txt dst/a.txt  # same size and time
expect_rc "check: same size, other bytes" 1 DC check src "srv:$T/dst"
expect_grep "check names the file" "a.txt: md5 differ" "$T/err"
expect_grep "check: 1 difference" "1 differences found" "$T/err"
rm dst/sub/b.txt
expect_rc "check: a missing file" 1 DC check src "srv:$T/dst" --combined "$T/comb"
expect_eq "check --combined" "* a.txt|+ sub/b.txt" "$(grep -v '^=' "$T/comb" | LC_ALL=C sort | tr '\n' '|' | sed 's/|$//')"

# ---------------------------------------------------------------------
# 3. a connection string, no config file
CS=":sftp,host=127.0.0.1,port=$PORT,user=root,key_file=$KEY,known_hosts_file=$KH"
export DUET_CONFIG="$T/no.conf"
expect_rc "connection string: ls" 0 "$D" ls "$CS:$T/src"
expect_grep "connection string: ls lists" "sub/deep/c.txt" "$T/out"
expect_rc "connection string: copy" 0 "$D" copy src "$CS:$T/cs"
same_tree_s "connection string: copy tree and mtimes" src cs
check "no config file written" test ! -e "$T/no.conf"
unset DUET_CONFIG

# ---------------------------------------------------------------------
# 4. bisync local <-> sftp
BS() { DC bisync "$T/l1" "srv:$T/r1" --workdir "$T/wd" "$@"; }
files() { (cd "$1" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' '); }
mkfile l1/a.txt "alpha" "2020-01-01"; mkfile l1/d/b.txt "bravo" "2020-01-01"
mkfile l1/mod.txt "mod v0" "2020-01-01"; mkfile r1/c.txt "charlie" "2020-01-01"
mkfile r1/e/smod.txt "server mod v0" "2020-01-01"
expect_rc "bisync: first run needs --resync" 7 BS
check "bisync: nothing copied before --resync" test ! -e r1/a.txt
expect_rc "bisync --resync" 0 BS --resync
expect_eq "resync: union on local" "a.txt c.txt d/b.txt e/smod.txt mod.txt " "$(files l1)"
same_tree_s "resync: sides equal" l1 r1
expect_rc "bisync: no changes" 0 BS -v
expect_grep "bisync: no changes found" "No changes found" "$T/err"

mkfile l1/new1.txt "new on local"; mkfile r1/new2.txt "new on the server"
mkfile l1/mod.txt "mod v1 local" "2021-01-01"; mkfile r1/e/smod.txt "server mod v1" "2021-01-01"
rm r1/c.txt; rm l1/d/b.txt
expect_rc "bisync: changes on both sides" 0 BS -v
expect_eq "new local file on the server" "new on local" "$(cat r1/new1.txt 2>&1)"
expect_eq "new server file on local" "new on the server" "$(cat l1/new2.txt 2>&1)"
expect_eq "local edit on the server" "mod v1 local" "$(cat r1/mod.txt)"
expect_eq "server edit on local" "server mod v1" "$(cat l1/e/smod.txt)"
check "server delete on local" test ! -e l1/c.txt
check "local delete on the server" test ! -e r1/d/b.txt
expect_grep "delta: server delete logged" "Path2    File was deleted.*c.txt" "$T/err"
same_tree_s "bisync: sides equal" l1 r1

# --checksum: a change of the same size and time is found by hash
expect_rc "bisync --resync --checksum" 0 BS --resync --checksum
printf 'server mod V1' >r1/e/smod.txt; touch -d "2021-01-01" r1/e/smod.txt
expect_rc "bisync --checksum" 0 BS --checksum -v
expect_grep "--checksum: hash change found" "File changed: hash - e/smod.txt" "$T/err"
expect_eq "--checksum: the server's bytes came to local" "server mod V1" "$(cat l1/e/smod.txt)"
same_tree_s "--checksum: sides equal" l1 r1

# --max-delete 50: more than half deleted aborts, deletes nothing; --force
for i in 1 2 3 4 5 6 7 8; do mkfile "l1/m$i" "m$i"; done
expect_rc "add m1..m8" 0 BS --max-delete 50
check "m* on the server" test -e r1/m8
rm l1/m*
expect_rc "--max-delete 50: too many deletes" 1 BS --max-delete 50
expect_grep "--max-delete: safety abort" "Safety abort" "$T/err"
expect_eq "--max-delete: nothing deleted on the server" "8" "$(ls r1 | grep -c '^m[0-9]$')"
expect_rc "--max-delete 50 --force" 0 BS --max-delete 50 --force
expect_eq "--force: deletes went through" "0" "$(ls r1 | grep -c '^m[0-9]$')"

# --conflict-resolve newer: the newer side wins, the loser is kept (num)
mkfile l1/r.txt "base" "2022-01-01"; mkfile l1/s.txt "base" "2022-01-01"
expect_rc "add r.txt, s.txt" 0 BS
mkfile l1/r.txt "older edit, local" "2023-01-01"; mkfile r1/r.txt "newer edit, server" "2024-01-01"
mkfile l1/s.txt "newer edit, local" "2024-06-01"; mkfile r1/s.txt "older edit, server" "2023-06-01"
expect_rc "--conflict-resolve newer" 0 BS --conflict-resolve newer -v
expect_grep "conflict noticed" "New or changed in both paths" "$T/err"
expect_eq "server newer: its version on local" "newer edit, server" "$(cat l1/r.txt)"
expect_eq "server newer: local's version kept as conflict1" "older edit, local" "$(cat r1/r.txt.conflict1 2>&1)"
expect_eq "local newer: its version on the server" "newer edit, local" "$(cat r1/s.txt)"
expect_eq "local newer: server's version kept as conflict1 (the next number)" "older edit, server" "$(cat l1/s.txt.conflict1 2>&1)"
same_tree_s "conflicts: sides equal" l1 r1

# --backup-dir1 / --backup-dir2 (on the server), --log-file
mkfile l1/keep.txt "old version" "2020-01-01"; mkfile l1/gone.txt "to delete" "2020-01-01"
mkfile l1/gone2.txt "to delete on local" "2020-01-01"
expect_rc "add keep, gone" 0 BS
mkfile r1/keep.txt "new version from the server" "2024-01-01"; rm l1/gone.txt r1/gone2.txt
expect_rc "backup dirs and --log-file" 0 BS --backup-dir1 "$T/bk1" --backup-dir2 "srv:$T/bk2" --log-file "$T/log"
expect_eq "replaced local file in backup-dir1" "old version" "$(cat bk1/keep.txt 2>&1)"
expect_eq "deleted local file in backup-dir1" "to delete on local" "$(cat bk1/gone2.txt 2>&1)"
expect_eq "deleted server file in backup-dir2 (on the server)" "to delete" "$(cat bk2/gone.txt 2>&1)"
check "nothing else in backup-dir2" test ! -e bk2/keep.txt
expect_eq "new version on local" "new version from the server" "$(cat l1/keep.txt)"
expect_grep "--log-file: the final words" "Bisync successful" "$T/log"
expect_grep "--log-file: the run's deltas" "File was deleted.*gone.txt" "$T/log"
expect_no_grep "--log-file: not on stderr" "Bisync successful" "$T/err"
same_tree_s "backups: sides equal" l1 r1

# ---------------------------------------------------------------------
# 5. bisync sftp <-> sftp: root's key remote and the password remote
mkfile s1/x.txt "x" "2020-01-01"; mkfile s1/sub/y.txt "y" "2020-01-01"
mkdir -p s2; mkfile s2/z.txt "z from pw" "2020-01-01"; chown -R "$PWUSER" s2
SS() { DC bisync "srv:$T/s1" "pw:$T/s2" --workdir "$T/wd" "$@"; }
expect_rc "sftp<->sftp --resync" 0 SS --resync
same_tree_s "sftp<->sftp: resync union" s1 s2
mkfile s1/n.txt "new on s1"; rm s1/x.txt; mkfile s2/z.txt "z edited" "2021-01-01"; chown "$PWUSER" s2/z.txt
expect_rc "sftp<->sftp: change run" 0 SS -v
expect_eq "sftp<->sftp: new file" "new on s1" "$(cat s2/n.txt 2>&1)"
check "sftp<->sftp: delete" test ! -e s2/x.txt
expect_eq "sftp<->sftp: edit" "z edited" "$(cat s1/z.txt)"
same_tree_s "sftp<->sftp: sides equal" s1 s2
expect_rc "check sftp vs sftp" 0 DC check "srv:$T/s1" "pw:$T/s2"
expect_rc "overlap seen through a connection string" 2 DC bisync "srv:$T/s1" "$CS:$T/s1/sub" --workdir "$T/wd"
expect_grep "overlap message" "Overlapping paths" "$T/err"

# ---------------------------------------------------------------------
# 6. errors
BADPASS=Wrong-Pass-q7x
DC config create badpw sftp host 127.0.0.1 port "$PORT" user "$PWUSER" pass "$BADPASS" \
	known_hosts_file "$KH" >/dev/null 2>&1
expect_rc "wrong password: ls" 1 DC ls "badpw:$T/src"
expect_eq "wrong password: one line" "1" "$(lines "$T/err")"
expect_grep "wrong password: names the host" "127.0.0.1:$PORT" "$T/err"
expect_grep "wrong password: names the user" "$PWUSER" "$T/err"
expect_grep "wrong password: says password" "password" "$T/err"
expect_no_grep "wrong password: not printed" "$BADPASS" "$T/err"
expect_rc "wrong password: copy" 1 DC copy src "badpw:$T/bpw"
expect_no_grep "wrong password: not printed by copy" "$BADPASS" "$T/err"
check "wrong password: nothing created" test ! -e bpw
expect_rc "wrong password: bisync exits 1 (try again), as copy" 1 DC bisync src "badpw:$T/bpw" --resync --workdir "$T/wd"
expect_no_grep "wrong password: not printed by bisync" "$BADPASS" "$T/err"

expect_rc "unknown remote" 2 DC ls "ghost:$T/src"
expect_grep "unknown remote: named" "ghost" "$T/err"
expect_grep "unknown remote: the way out" "config create ghost" "$T/err"
expect_eq "unknown remote: one line" "1" "$(lines "$T/err")"

ssh-keygen -q -t ed25519 -N '' -C other -f "$T/otherkey"
sed "s/^/[127.0.0.1]:$PORT /" "$T/otherkey.pub" >"$T/bad_known_hosts"
fp=$(ssh-keygen -l -f srv/hostkey_ed25519.pub | awk '{print $2}')
DC config create mitm sftp host 127.0.0.1 port "$PORT" user root key_file "$KEY" \
	known_hosts_file "$T/bad_known_hosts" >/dev/null 2>&1
expect_rc "host key mismatch: refused" 1 DC copy src "mitm:$T/mitm"
expect_grep "host key mismatch: says so" "HOST KEY MISMATCH" "$T/err"
expect_grep "host key mismatch: the server's fingerprint" "$fp" "$T/err"
expect_grep "host key mismatch: names the known_hosts file" "$T/bad_known_hosts" "$T/err"
check "host key mismatch: nothing written" test ! -e mitm
: >"$T/empty_known_hosts"
expect_rc "unknown host key: refused" 1 "$D" ls ":sftp,host=127.0.0.1,port=$PORT,user=root,key_file=$KEY,known_hosts_file=$T/empty_known_hosts:$T/src"
expect_grep "unknown host key: the fingerprint" "$fp" "$T/err"

mkdir -p locked; chmod 700 locked; mkfile locked/keep.txt "root's"
mkdir -p pub; chmod 777 pub; mkfile pub/other.txt "other" "2020-01-01"
src_sums=$(cd src && find . -type f | sort | xargs -d '\n' md5sum)
expect_rc "permission denied: copy into a dir of root's" 1 DC copy src "pw:$T/locked/in" --retries 1
expect_grep "permission denied: says so" "permission denied" "$T/err"
expect_rc "permission denied: copy onto it" 1 DC copy src "pw:$T/locked" --retries 1
expect_grep "permission denied: names the file" "locked/a.txt" "$T/err"
expect_eq "permission denied: the dir unchanged" "keep.txt" "$(ls locked)"
expect_eq "permission denied: its file unchanged" "root's" "$(cat locked/keep.txt)"
expect_eq "permission denied: the source unchanged" "$src_sums" "$(cd src && find . -type f | sort | xargs -d '\n' md5sum)"
expect_rc "the password user can write elsewhere" 0 DC copy src "pw:$T/pub"
expect_eq "pw copy: the other file untouched" "other" "$(cat pub/other.txt)"
rm pub/other.txt; same_tree_s "pw copy: tree and mtimes" src pub

# ---------------------------------------------------------------------
# 7. a server restart on another port, then the server killed mid-bisync
restart_srv() {
	sh "$SSHD" stop "$T/srv" >/dev/null 2>&1
	sh "$SSHD" start "$T/srv" >"$T/sshd.out" 2>&1 || { not_ok "sshd restarts"; sed 's/^/  /' "$T/sshd.out"; }
	PORT=$(cat srv/port)
	DC config update srv port "$PORT" >/dev/null
}
restart_srv
expect_grep "known_hosts follows the new port" "^\[127.0.0.1\]:$PORT " "$KH"
# The port is not part of the pair's identity: the pair survives a move.
expect_rc "after the server moved port: a plain run" 0 BS -v
expect_grep "after the move: no changes" "No changes found" "$T/err"
expect_rc "baseline before the kill" 0 BS --resync

# wait_tmp DIR NAME: waits (10 s at most) for NAME's temporary file
# (NAME.xxxxxxxx.partial) in DIR while the job $BG lives; 0 once seen.
wait_tmp() {
	local i
	for i in $(seq 500); do
		ls "$1" | grep -Eq "^$2\.[0-9a-f]{8}\.partial\$" && return 0
		kill -0 "$BG" 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}
tree_sums() { (cd "$1" && find . -type f "${@:2}" | sort | xargs -d '\n' md5sum); }

# 7a. the connection dropped mid-download, the server still up: duet
# reconnects and the run completes with the right bytes.
head -c 200M /dev/urandom >r1/big2.bin
sum_big2=$(md5sum <r1/big2.bin)
BS >"$T/drop.out" 2>&1 &
BG=$!
wait_tmp l1 big2.bin; seen=$?
drop_sessions
wait "$BG"; rc=$?; BG=
expect_eq "connection dropped: a temp file showed up on local first" 0 "$seen"
expect_eq "connection dropped: the run completes" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/  /' "$T/drop.out" | head -5
expect_eq "connection dropped: the downloaded bytes are right" "$sum_big2" "$(md5sum <l1/big2.bin 2>&1)"
check "connection dropped: no temp file left on local" test -z "$(find l1 -name '*.partial')"
rm l1/big2.bin; expect_rc "drop big2" 0 BS

# 7b. the server killed mid-upload: the run fails and harms nothing; back
# on another port, the run is finished.
head -c 200M /dev/urandom >l1/big.bin
mkfile r1/late.txt "new on the server before the kill"
sum_big=$(md5sum <l1/big.bin)
before=$(tree_sums l1 ! -name big.bin)
BS >"$T/kill.out" 2>&1 &
BG=$!
wait_tmp r1 big.bin; seen=$?
kill_server
wait "$BG"; rc=$?; BG=
expect_eq "killed server: a temp file showed up on the server first" 0 "$seen"
check "killed server: bisync exits non-zero (got $rc)" test "$rc" != 0
expect_grep "killed server: says what to do" "Run again with --recover" "$T/kill.out"
check "killed server: no partial file under the final name" test ! -e r1/big.bin
check "killed server: no temp file on local" test -z "$(find l1 -name '*.partial')"
expect_eq "killed server: local file intact" "$sum_big" "$(md5sum <l1/big.bin)"
expect_eq "killed server: nothing lost on local" "$before" "$(tree_sums l1 ! -name big.bin ! -name late.txt)"
expect_eq "killed server: nothing lost on the server" "$before" "$(tree_sums r1 ! -name late.txt ! -name '*.partial')"
check "killed server: the server's new file kept" test -e r1/late.txt
expect_rc "server down: bisync exits 1 (try again)" 1 BS
restart_srv
expect_rc "after restart: a run without --recover says how (as rclone)" 7 BS
expect_grep "after restart: points to --recover, no --resync" "with --recover to finish it (no --resync needed)" "$T/err"
expect_rc "after restart: the scheduled run (with --recover) finishes it" 0 BS --recover
expect_grep "after restart: says it recovers" "Recovering: the previous run" "$T/err"
expect_eq "after restart: big file on the server" "$sum_big" "$(md5sum <r1/big.bin 2>&1)"
expect_eq "after restart: the server's new file on local" "new on the server before the kill" "$(cat l1/late.txt 2>&1)"
expect_rc "after restart: listing shows no temp file" 0 DC ls "srv:$T/r1"
expect_no_grep "after restart: no partial listed" "partial" "$T/out"
# the killed upload's temp file stays on the server, unlisted, until
# duet cleanup removes it (once older than a day: it may be a live one)
check "the killed upload's temp file is still on the server" \
	test -n "$(ls r1 | grep -E '^big\.bin\.[0-9a-f]{8}\.partial$')"
expect_rc "cleanup: a young temp file stays" 0 DC cleanup "srv:$T/r1" -v
expect_grep "cleanup: says it left one alone" "younger than a day left alone" "$T/err"
check "cleanup: the young one is still there" test -n "$(find r1 -name '*.partial')"
touch -d '2 days ago' r1/*.partial
expect_rc "cleanup --dry-run" 0 DC cleanup "srv:$T/r1" --dry-run
expect_grep "cleanup --dry-run names it" "big\.bin\.[0-9a-f]*\.partial: Skipped delete" "$T/err"
check "cleanup --dry-run: still there" test -n "$(find r1 -name '*.partial')"
expect_rc "cleanup of a stale temp file" 0 DC cleanup "srv:$T/r1"
expect_grep "cleanup says what it did" "deleted 1 temporary file" "$T/err"
check "cleanup: the temp file is gone" test -z "$(find r1 -name '*.partial')"
same_tree_s "after restart: sides equal" l1 r1
expect_rc "after restart: next plain run" 0 BS -v
expect_grep "after restart: nothing left to do" "No changes found" "$T/err"

done_testing
