#!/usr/bin/env bash
# sftp_bench.sh [SIZE_MB] [NFILES] [DUET] [ROUNDS]: SFTP transfers, duet
# side by side with rclone, scp and sftp (OpenSSH), all against one
# throwaway sshd on loopback (backends/sftp/sshd.sh). Measures one SIZE_MB
# file (default 1024) up and down, NFILES small files (default 10000,
# mktree.py) up, and a no-change bisync local<->sftp (duet vs rclone).
# Prints wall time (median of ROUNDS, default 3, the tools interleaved
# round by round), the client's peak RSS, MB/s for the big file, and
# ratios. Not a test: numbers vary by machine, and client and server share
# the same CPUs and disk. Every result is checked (sizes and names, one
# checksum), so a failed copy is never timed as fast. `sync` runs before
# each timed command; caches cannot be dropped. Needs root and:
# apt-get install rclone openssh-server.
#
# Login: the sshd.sh test user by default, whose shell is /bin/sh with no
# rc files. duet and rclone run md5sum on the server (an SSH exec) to check
# each upload, and an exec as root runs root's ~/.bashrc first; where that
# is slow (e.g. pyenv init: ~90 ms per exec) it swamps the small-file
# numbers. BENCH_USER=root logs in as root instead. The work dir,
# ${BENCH_DIR:-/tmp/duet-sftp-bench}, must be reachable by that user.
set -euo pipefail
size=${1:-1024}
n=${2:-10000}
duet=$(realpath "${3:-build/cli/duet}")
rounds=${4:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${DUET_SHARED:-$here/../shared}
w=$(realpath -m "${BENCH_DIR:-/tmp/duet-sftp-bench}")
[ "$(id -u)" = 0 ] || { echo "sftp_bench.sh: must run as root" >&2; exit 1; }
rm -rf "$w"; mkdir -p "$w/srv" "$w/dl"
cleanup() {
	sh "$here/backends/sftp/sshd.sh" stop "$w/sshd" >/dev/null 2>&1 || true
	rm -rf "$w"
}
trap cleanup EXIT
sh "$here/backends/sftp/sshd.sh" start "$w/sshd"
d=$w/sshd
p=$(cat "$d/port")
# The same server, login and key for everyone.
user=${BENCH_USER:-$(cat "$d/user")}
rem=$user@127.0.0.1
chown "$user" "$w/srv"
cs=":sftp,host=127.0.0.1,port=$p,user=$user,key_file=$d/clientkey,known_hosts_file=$d/known_hosts:"
sshopt=(-q -i "$d/clientkey" -o UserKnownHostsFile="$d/known_hosts"
	-o StrictHostKeyChecking=yes -o BatchMode=yes -P "$p")

echo "data: one ${size} MB file from /dev/urandom; $n files from mktree.py; median of $rounds rounds"
head -c "$((size * 1024 * 1024))" /dev/urandom >"$w/big"
python3 "$shared/tools/mktree.py" "$w/tree" "$n" >/dev/null
sum=$(md5sum <"$w/big" | cut -d' ' -f1)
bytes=$(stat -c %s "$w/big")
tree_sig() { (cd "$1" && find . -type f -printf '%P %s\n' | LC_ALL=C sort | md5sum | cut -d' ' -f1); }
tsig=$(tree_sig "$w/tree")
sync

declare -A T M
keys=()
fail=0
run() { # run KEY CMD...: adds wall seconds to T[KEY], peak RSS (MB) to M[KEY]
	local key=$1; shift
	sync
	local rc=0 t m
	/usr/bin/time -f "%e %M" -o "$w/time" "$@" >"$w/log.out" 2>"$w/log.err" </dev/null || rc=$?
	[ "$rc" = 0 ] || { echo "FAILED: $key exited $rc: $(tail -n 2 "$w/log.err")"; fail=1; }
	read -r t m < <(tail -n 1 "$w/time")
	[ -n "${T[$key]:-}" ] || keys+=("$key")
	T[$key]="${T[$key]:-} $t"
	m=$((m / 1024)); [ "$m" -lt "${M[$key]:-0}" ] || M[$key]=$m
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
med() { echo "${T[$1]}" | median; }
report() { # report [MBS]: one line per key run since the last report
	local key t extra
	for key in "${keys[@]}"; do
		t=$(med "$key"); extra=
		[ -z "${1:-}" ] || extra=$(awk -v b="$bytes" -v t="$t" \
			'BEGIN { printf "%8.1f MB/s", (t > 0 ? b / 1048576 / t : 0) }')
		printf '%-44s %8.2f s %6d MB %s  (runs:%s)\n' "$key" "$t" "${M[$key]}" "$extra" "${T[$key]}"
	done
	keys=()
}
check_file() { # check_file KEY PATH [md5]: the big file arrived whole
	local got
	got=$(stat -c %s "$2" 2>/dev/null || echo missing)
	[ "$got" = "$bytes" ] || { echo "BAD: $1: size $got, want $bytes"; fail=1; return 0; }
	if [ "${3:-}" = md5 ] && [ "$(md5sum <"$2" | cut -d' ' -f1)" != "$sum" ]; then
		echo "BAD: $1: checksum differs"; fail=1
	fi
}
check_tree() { # check_tree KEY DIR: the same names and sizes as the tree
	[ -d "$2" ] && [ "$(tree_sig "$2")" = "$tsig" ] ||
		{ echo "BAD: $1: tree differs from the source"; fail=1; }
}
batch() { # batch NAME LINE...: an sftp -b batch file
	local f=$w/$1.batch; shift
	printf '%s\n' "$@" >"$f"; echo "$f"
}

echo "server: OpenSSH sshd on 127.0.0.1:$p, login $user; client and server share this machine's CPUs and disk"
echo "scp here is $(ssh -V 2>&1 | cut -d, -f1); since OpenSSH 9.0 scp uses the SFTP protocol by default"
echo "duet and rclone check each upload against md5sum run on the server; scp and sftp check nothing"
echo
echo "== one ${size} MB file"
up=$w/srv/big
dn=$w/dl/big
for r in $(seq 1 "$rounds"); do
	run "duet copyto (up)" "$duet" copyto "$w/big" "$cs$up"
	check_file "duet copyto (up)" "$up" "$([ "$r" = 1 ] && echo md5)"; rm -f "$up"
	run "rclone copyto (up)" rclone copyto "$w/big" "$cs$up" --config /dev/null
	check_file "rclone copyto (up)" "$up"; rm -f "$up"
	run "scp (up)" scp "${sshopt[@]}" "$w/big" "$rem:$up"
	check_file "scp (up)" "$up"; rm -f "$up"
	run "sftp put (up)" sftp "${sshopt[@]}" -b "$(batch put "put $w/big $up")" "$rem"
	check_file "sftp put (up)" "$up"; rm -f "$up"
	run "duet copyto --ignore-checksum (up)" "$duet" copyto "$w/big" "$cs$up" --ignore-checksum
	check_file "duet copyto --ignore-checksum (up)" "$up"; rm -f "$up"
	run "rclone copyto --ignore-checksum (up)" rclone copyto "$w/big" "$cs$up" --config /dev/null --ignore-checksum
	check_file "rclone copyto --ignore-checksum (up)" "$up"
	# $up stays: the server's copy for the downloads.
	run "duet copyto (down)" "$duet" copyto "$cs$up" "$dn"
	check_file "duet copyto (down)" "$dn" "$([ "$r" = 1 ] && echo md5)"; rm -f "$dn"
	run "rclone copyto (down)" rclone copyto "$cs$up" "$dn" --config /dev/null
	check_file "rclone copyto (down)" "$dn"; rm -f "$dn"
	run "scp (down)" scp "${sshopt[@]}" "$rem:$up" "$dn"
	check_file "scp (down)" "$dn"; rm -f "$dn"
	run "sftp get (down)" sftp "${sshopt[@]}" -b "$(batch get "get $up $dn")" "$rem"
	check_file "sftp get (down)" "$dn"; rm -f "$dn"
	run "rclone copyto --ignore-checksum (down)" rclone copyto "$cs$up" "$dn" --config /dev/null --ignore-checksum
	check_file "rclone copyto --ignore-checksum (down)" "$dn"; rm -f "$dn" "$up"
done
report mbs

echo
echo "== $n small files (up)"
for r in $(seq 1 "$rounds"); do
	run "duet copy (up)" "$duet" copy "$w/tree" "$cs$w/srv/duet"
	check_tree "duet copy (up)" "$w/srv/duet"
	run "rclone copy (up)" rclone copy "$w/tree" "$cs$w/srv/rclone" --config /dev/null
	check_tree "rclone copy (up)" "$w/srv/rclone"
	run "scp -r (up)" scp -r "${sshopt[@]}" "$w/tree" "$rem:$w/srv/scp"
	check_tree "scp -r (up)" "$w/srv/scp"
	# The target does not exist: put -r makes it the copy of the tree.
	run "sftp put -r (up)" sftp "${sshopt[@]}" -b "$(batch putr "put -r $w/tree $w/srv/sftp")" "$rem"
	check_tree "sftp put -r (up)" "$w/srv/sftp"
	rm -rf "${w:?}/srv"/*
done
report

echo
echo "== bisync of the $n files, local <-> sftp"
for tool in duet rclone; do
	cp -a "$w/tree" "$w/$tool-p1"
	mkdir -p "$w/srv/$tool-p2"; chown "$user" "$w/srv/$tool-p2"
done
run "duet bisync --resync" "$duet" bisync "$w/duet-p1" "$cs$w/srv/duet-p2" --resync --workdir "$w/duet-wd"
check_tree "duet bisync --resync" "$w/srv/duet-p2"
run "rclone bisync --resync" rclone bisync "$w/rclone-p1" "$cs$w/srv/rclone-p2" --resync --workdir "$w/rclone-wd" --config /dev/null
check_tree "rclone bisync --resync" "$w/srv/rclone-p2"
for r in $(seq 1 "$rounds"); do
	run "duet bisync (no change)" "$duet" bisync "$w/duet-p1" "$cs$w/srv/duet-p2" --workdir "$w/duet-wd"
	run "rclone bisync (no change)" rclone bisync "$w/rclone-p1" "$cs$w/srv/rclone-p2" --workdir "$w/rclone-wd" --config /dev/null
done
report

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# Throughput of duet relative to another tool: their time over duet's.
tp() { ratio "$(med "$1 ($3)")" "$(med "$2 ($3)")"; }
echo
echo "big file, duet's throughput relative to each tool's (higher is better for duet):"
echo "  up:   rclone $(tp "rclone copyto" "duet copyto" up)x (target >= 1.5), scp $(tp scp "duet copyto" up)x" \
	"(target >= 0.8), sftp $(tp "sftp put" "duet copyto" up)x"
echo "        --ignore-checksum both: rclone $(tp "rclone copyto --ignore-checksum" "duet copyto --ignore-checksum" up)x;" \
	"--ignore-checksum duet: scp $(tp scp "duet copyto --ignore-checksum" up)x, sftp $(tp "sftp put" "duet copyto --ignore-checksum" up)x"
echo "  down: rclone $(tp "rclone copyto" "duet copyto" down)x (target >= 1.5), scp $(tp scp "duet copyto" down)x" \
	"(target >= 0.8), sftp $(tp "sftp get" "duet copyto" down)x"
echo "        (duet does not check downloads into local files; rclone --ignore-checksum: $(tp "rclone copyto --ignore-checksum" "duet copyto" down)x)"
echo "small files, duet time / rclone:    $(ratio "$(med "duet copy (up)")" "$(med "rclone copy (up)")")x (target < 1)"
echo "small files, duet time / scp -r:    $(ratio "$(med "duet copy (up)")" "$(med "scp -r (up)")")x"
echo "small files, duet time / sftp -r:   $(ratio "$(med "duet copy (up)")" "$(med "sftp put -r (up)")")x"
echo "bisync --resync, duet / rclone:     $(ratio "$(med "duet bisync --resync")" "$(med "rclone bisync --resync")")x"
echo "bisync no-change, duet / rclone:    $(ratio "$(med "duet bisync (no change)")" "$(med "rclone bisync (no change)")")x (target < 1)"
echo "duet peak memory: big up ${M[duet copyto (up)]} MB, down ${M[duet copyto (down)]} MB," \
	"small files ${M[duet copy (up)]} MB, bisync no-change ${M[duet bisync (no change)]} MB"
[ "$fail" = 0 ] || { echo "some runs failed or gave wrong results (see above)"; exit 1; }
