#!/usr/bin/env bash
# objstore_bench.sh [SIZE_MB] [NSMALL] [NBISYNC] [DUET] [ROUNDS]: S3 and
# Azure Blob transfers, duet side by side with Debian's rclone, against
# the same local servers (s3rver and Azurite, tests/servers, on loopback).
# For each store: NSMALL small files (default 1000, mktree.py) up and
# down, one SIZE_MB file (default 512) up and down, and a no-change
# bisync local<->store of NBISYNC files (default 10000). Prints the wall
# time (median of ROUNDS, default 3, the tools interleaved), the client's
# peak RSS and the ratios duet/rclone. Not a test: the servers are Node.js
# programs sharing this machine's two CPUs with the client, so they, not
# the clients, bound most numbers. Every result is checked (file count
# and bytes, the big file's MD5), so a failed copy is never timed as fast.
# Both tools read one config file: rclone 1.60 takes an Azure endpoint
# only from a SAS URL, so the Azure remote is an account SAS (mksas.py).
set -euo pipefail
size=${1:-512}
nsmall=${2:-1000}
nbisync=${3:-10000}
duet=$(realpath "${4:-build/cli/duet}")
rounds=${5:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${DUET_SHARED:-$here/../shared}
servers=$here/tests/servers
w=$(realpath -m "${BENCH_DIR:-/tmp/duet-objstore-bench}")
unset AWS_CA_BUNDLE # rclone 1.60's S3 client fails on it (a custom transport)
rm -rf "$w"; mkdir -p "$w"
cleanup() {
	sh "$servers/s3rver.sh" stop "$w/s3" >/dev/null 2>&1 || true
	sh "$servers/azurite.sh" stop "$w/az" >/dev/null 2>&1 || true
	rm -rf "$w"
}
trap cleanup EXIT
sh "$servers/s3rver.sh" start "$w/s3" bench
sh "$servers/azurite.sh" start "$w/az"
cat >"$w/conf" <<CONF
[s3]
type = s3
provider = Other
access_key_id = $(cat "$w/s3/access_key")
secret_access_key = $(cat "$w/s3/secret_key")
endpoint = $(cat "$w/s3/endpoint")
region = us-east-1
force_path_style = true
list_url_encode = true
list_version = 2

[az]
type = azureblob
sas_url = $(python3 "$servers/mksas.py" "$(cat "$w/az/endpoint")" "$(cat "$w/az/account")" "$(cat "$w/az/key")")
CONF
rclone --config "$w/conf" mkdir az:bench

echo "data: one ${size} MB file from /dev/urandom; $nsmall and $nbisync files from mktree.py; median of $rounds rounds"
head -c "$((size * 1024 * 1024))" /dev/urandom >"$w/big"
python3 "$shared/tools/mktree.py" "$w/small" "$nsmall" >/dev/null
python3 "$shared/tools/mktree.py" "$w/many" "$nbisync" >/dev/null
sum=$(md5sum <"$w/big" | cut -d' ' -f1)
bytes=$(stat -c %s "$w/big")
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
report() {
	local key
	for key in "${keys[@]}"; do
		printf '%-40s %8.2f s %6d MB  (runs:%s)\n' "$key" "$(med "$key")" "${M[$key]}" "${T[$key]}"
	done
	keys=()
}
# count and bytes of a local dir or a remote path (rclone reads both)
sig() { rclone --config "$w/conf" size --json "$1" 2>/dev/null | tr -d ' \n'; }
want_small=$(sig "$w/small")
check_same() { # check_same KEY WANT PATH
	local got; got=$(sig "$3")
	[ "$got" = "$2" ] || { echo "BAD: $1: $got, want $2"; fail=1; }
}
check_big() { # check_big KEY LOCALFILE
	local got; got=$(md5sum <"$2" 2>/dev/null | cut -d' ' -f1)
	[ "$got" = "$sum" ] || { echo "BAD: $1: MD5 of the download differs"; fail=1; }
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
declare -a summary

for st in s3 az; do
	b=$st:bench
	echo
	echo "== $st: $nsmall small files, up and down"
	for r in $(seq 1 "$rounds"); do
		for tool in duet rclone; do
			cmd=("$duet"); [ $tool = rclone ] && cmd=(rclone)
			run "$st $tool copy small (up)" "${cmd[@]}" --config "$w/conf" copy "$w/small" "$b/$tool-small-$r"
			check_same "$st $tool copy small (up)" "$want_small" "$b/$tool-small-$r"
			rm -rf "$w/dl"
			run "$st $tool copy small (down)" "${cmd[@]}" --config "$w/conf" copy "$b/$tool-small-$r" "$w/dl"
			check_same "$st $tool copy small (down)" "$want_small" "$w/dl"
			rclone --config "$w/conf" purge "$b/$tool-small-$r" >/dev/null 2>&1 || true
		done
	done
	report
	echo
	echo "== $st: one ${size} MB file, up and down"
	for r in $(seq 1 "$rounds"); do
		for tool in duet rclone; do
			cmd=("$duet"); [ $tool = rclone ] && cmd=(rclone)
			run "$st $tool copyto big (up)" "${cmd[@]}" --config "$w/conf" copyto "$w/big" "$b/$tool-big"
			rm -f "$w/big.dl"
			run "$st $tool copyto big (down)" "${cmd[@]}" --config "$w/conf" copyto "$b/$tool-big" "$w/big.dl"
			check_big "$st $tool copyto big" "$w/big.dl"
			if [ $tool = duet ]; then
				# rclone does not check a download against the store's
				# MD5 (Azure's Content-MD5); this row does as it does.
				rm -f "$w/big.dl"
				run "$st duet copyto big (down, --ignore-checksum)" "$duet" --config "$w/conf" \
					copyto "$b/duet-big" "$w/big.dl" --ignore-checksum
				check_big "$st duet copyto big --ignore-checksum" "$w/big.dl"
			fi
			rclone --config "$w/conf" deletefile "$b/$tool-big" >/dev/null 2>&1 || true
		done
	done
	report
	echo
	echo "== $st: bisync of $nbisync files, local <-> $st, no change"
	for tool in duet rclone; do
		rm -rf "$w/$tool-p1" "$w/$tool-wd"; cp -a "$w/many" "$w/$tool-p1"
		cmd=("$duet"); [ $tool = rclone ] && cmd=(rclone)
		run "$st $tool bisync --resync" "${cmd[@]}" --config "$w/conf" bisync "$w/$tool-p1" "$b/$tool-p2" \
			--resync --workdir "$w/$tool-wd"
		check_same "$st $tool bisync --resync" "$(sig "$w/many")" "$b/$tool-p2"
	done
	for r in $(seq 1 "$rounds"); do
		for tool in duet rclone; do
			cmd=("$duet"); [ $tool = rclone ] && cmd=(rclone)
			run "$st $tool bisync (no change)" "${cmd[@]}" --config "$w/conf" bisync "$w/$tool-p1" "$b/$tool-p2" \
				--workdir "$w/$tool-wd"
		done
	done
	report
	for k in "copy small (up)" "copy small (down)" "copyto big (up)" "copyto big (down)" \
		"copyto big (down, --ignore-checksum)" "bisync (no change)"; do
		r=${k/, --ignore-checksum/}
		summary+=("$(printf '%-3s %-38s duet/rclone %6sx   (duet %s s, rclone %s s, duet peak %s MB)' "$st" "$k" \
			"$(ratio "$(med "$st duet $k")" "$(med "$st rclone $r")")" "$(med "$st duet $k")" \
			"$(med "$st rclone $r")" "${M[$st duet $k]}")")
	done
done
echo
echo "time ratios (targets: <= 1 for transfers, <= 0.2 for the no-change bisync):"
printf '%s\n' "${summary[@]}"
[ "$fail" = 0 ] || { echo "some runs failed or gave wrong results (see above)"; exit 1; }
