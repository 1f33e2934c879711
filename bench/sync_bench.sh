#!/usr/bin/env bash
# sync_bench.sh [NFILES] [DUET] [ROUNDS]: one-way sync, duet side by side
# with cp -a, rsync -a --delete and rclone sync on one tree made by
# mktree.py. Prints wall time (median of ROUNDS, default 3), peak RSS and
# ratios. Not a test: numbers vary by machine and by what the disk is doing.
#
# Disk noise: every run writes into a new directory and nothing is deleted
# until the end (deleting 100k files makes the disk busy for a while), and
# `sync` runs before each timed command. The tools run interleaved, round
# by round, so drifts in disk speed hit each of them alike.
set -euo pipefail
n=${1:-100000}
duet=$(realpath "${2:-build/cli/duet}")
rounds=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${DUET_SHARED:-$here/../shared}
w=${BENCH_DIR:-/tmp/duet-bench}
rm -rf "$w"; mkdir -p "$w"
python3 "$shared/tools/mktree.py" "$w/src" "$n" >/dev/null
sync
find "$w/src" -type f >/dev/null   # the same warm cache for everyone

declare -A T M
k=0
run() { # run KEY CMD...: records wall seconds and peak RSS (MB)
	local key=$1; shift
	sync
	/usr/bin/time -f "%e %M" -o "$w/time" "$@" >/dev/null 2>"$w/log" || {
		echo "FAILED: $key ($*)"; tail -3 "$w/log"; }
	read -r t m <"$w/time"
	T[$key]="${T[$key]:-} $t"; M[$key]=$((m / 1024))
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
next() { k=$((k + 1)); d="$w/d$k"; }  # sets d to a new directory

for r in $(seq 1 "$rounds"); do
	next; run "cp -a (initial)" cp -a "$w/src" "$d"
	next; run "cp -a + sync (initial)" sh -c "cp -a '$w/src' '$d' && sync"
	next; run "duet sync (initial)" "$duet" sync "$w/src" "$d"
	next; run "duet sync --local-no-sync (initial)" "$duet" sync "$w/src" "$d" --local-no-sync
done
next; run "rsync -a (initial)" rsync -a --delete "$w/src/" "$d/"
next; run "rclone sync (initial)" rclone sync "$w/src" "$d" --config /dev/null
for r in $(seq 1 "$rounds"); do
	run "duet sync (no change)" "$duet" sync "$w/src" "$d"
	run "rsync -a (no change)" rsync -a --delete "$w/src/" "$d/"
	run "rclone sync (no change)" rclone sync "$w/src" "$d" --config /dev/null
	run "find both trees" find "$w/src" "$d" -printf '%s %T@\n'
done

echo "tree: $n files from mktree.py ($(du -sh "$w/src" | cut -f1)), median of $rounds where repeated"
declare -A MED
for key in "cp -a (initial)" "cp -a + sync (initial)" "duet sync (initial)" \
	"duet sync --local-no-sync (initial)" "rsync -a (initial)" "rclone sync (initial)" \
	"duet sync (no change)" "rsync -a (no change)" "rclone sync (no change)" "find both trees"; do
	MED[$key]=$(echo "${T[$key]}" | median)
	printf '%-38s %8.2f s %6d MB   (runs:%s)\n' "$key" "${MED[$key]}" "${M[$key]}" "${T[$key]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo
echo "duet initial / cp -a:                   $(ratio "${MED[duet sync (initial)]}" "${MED[cp -a (initial)]}")x  (target <= 1.2)"
echo "duet initial / (cp -a + sync):          $(ratio "${MED[duet sync (initial)]}" "${MED[cp -a + sync (initial)]}")x  (both durable on disk)"
echo "duet --local-no-sync initial / cp -a:   $(ratio "${MED[duet sync --local-no-sync (initial)]}" "${MED[cp -a (initial)]}")x"
echo "duet no-change / rsync no-change:       $(ratio "${MED[duet sync (no change)]}" "${MED[rsync -a (no change)]}")x  (target <= 1.0)"
echo "duet no-change / rclone no-change:      $(ratio "${MED[duet sync (no change)]}" "${MED[rclone sync (no change)]}")x"
echo "duet peak memory: initial ${M[duet sync (initial)]} MB, no-change ${M[duet sync (no change)]} MB (target < 40)"
rm -rf "$w"
