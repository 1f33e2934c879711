#!/usr/bin/env bash
# sync_bench.sh [NFILES] [DUET]: one-way sync, duet side by side with
# cp -a, rsync -a --delete and rclone sync on one tree made by mktree.py.
# Prints wall time, peak RSS and ratios. Not a test: numbers vary by machine.
set -euo pipefail
n=${1:-100000}
duet=$(realpath "${2:-build/cli/duet}")
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${DUET_SHARED:-$here/../shared}
w=${BENCH_DIR:-/tmp/duet-bench}
rm -rf "$w"; mkdir -p "$w"
python3 "$shared/tools/mktree.py" "$w/src" "$n" >/dev/null
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
find "$w/src" -type f >/dev/null   # same warm cache for everyone

declare -A T M
run() { # run KEY CMD...: wall seconds and peak RSS (MB) of CMD
	local key=$1; shift
	/usr/bin/time -f "%e %M" -o "$w/time" "$@" >/dev/null 2>"$w/log.$key" || {
		echo "FAILED: $key ($*)"; tail -3 "$w/log.$key"; }
	read -r t m <"$w/time"
	T[$key]=$t; M[$key]=$((m / 1024))
	printf '%-26s %8.2f s %6d MB\n' "$key" "$t" "${M[$key]}"
}
fresh() { rm -rf "$w/dst"; sync; }

echo "tree: $n files from mktree.py ($(du -sh "$w/src" | cut -f1))"
fresh; run "cp -a (initial)" cp -a "$w/src" "$w/dst"
fresh; run "rsync -a (initial)" rsync -a --delete "$w/src/" "$w/dst/"
fresh; run "rclone sync (initial)" rclone sync "$w/src" "$w/dst" --config /dev/null
fresh; run "duet sync (initial)" "$duet" sync "$w/src" "$w/dst"
run "duet sync (no change)" "$duet" sync "$w/src" "$w/dst"
run "rsync -a (no change)" rsync -a --delete "$w/src/" "$w/dst/"
run "rclone sync (no change)" rclone sync "$w/src" "$w/dst" --config /dev/null
run "find both trees" find "$w/src" "$w/dst" -printf '%s %T@\n'

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo
echo "duet initial / cp -a:            $(ratio "${T[duet sync (initial)]}" "${T[cp -a (initial)]}")x  (target <= 1.2)"
echo "duet no-change / rsync no-change: $(ratio "${T[duet sync (no change)]}" "${T[rsync -a (no change)]}")x  (target <= 1.0)"
echo "duet no-change / rclone no-change: $(ratio "${T[duet sync (no change)]}" "${T[rclone sync (no change)]}")x"
echo "duet peak memory: initial ${M[duet sync (initial)]} MB, no-change ${M[duet sync (no change)]} MB (target < 40)"
rm -rf "$w"
