#!/usr/bin/env bash
# bisync_bench.sh [NFILES] [DUET]: two-way sync, duet bisync side by side
# with rclone bisync and unison -batch on the same tree (mktree.py) and the
# same changes (mutate.py: side 1 modifies 1% and deletes 0.5%, side 2
# modifies 1% and adds 0.5%). Prints wall time, peak RSS and ratios for
# the initial --resync into an empty side, a no-change run and the changes
# run. Not a test: numbers vary by machine. Needs: apt-get install rclone unison.
set -euo pipefail
n=${1:-100000}
duet=$(realpath "${2:-build/cli/duet}")
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${DUET_SHARED:-$here/../shared}
w=${BENCH_DIR:-/tmp/duet-bisync-bench}
rm -rf "$w"; mkdir -p "$w"
python3 "$shared/tools/mktree.py" "$w/tree" "$n" >/dev/null
declare -A T M
run() { # run KEY CMD...
	local key=$1; shift
	sync
	local rc=0
	/usr/bin/time -f "%e %M" -o "$w/time" "$@" >"$w/log.out" 2>"$w/log.err" || rc=$?
	# unison exits 1 when it skipped conflicts (changed on both sides).
	[ "$rc" = 0 ] || echo "note: $key exited $rc: $(tail -1 "$w/log.err")"
	read -r t m < <(tail -n 1 "$w/time")
	T[$key]=$t; M[$key]=$((m / 1024))
	printf '%-34s %8.2f s %6d MB\n' "$key" "$t" "${M[$key]}"
}
setup() { # setup TOOL: fresh copies of the tree for one tool
	rm -rf "$w/$1"; mkdir -p "$w/$1/p2"; cp -a "$w/tree" "$w/$1/p1"
}
mutate() { # mutate TOOL: the same changes on each tool's copies
	python3 "$shared/tools/mutate.py" "$w/$1/p1" --modify 1 --delete 0.5 --seed 11 >/dev/null
	python3 "$shared/tools/mutate.py" "$w/$1/p2" --modify 1 --add 0.5 --seed 12 >/dev/null
}

echo "tree: $n files from mktree.py; changes from mutate.py"
setup duet; setup rclone; setup unison
run "cp -a (initial copy)" cp -a "$w/tree" "$w/cpcopy"
run "duet bisync --resync" "$duet" bisync "$w/duet/p1" "$w/duet/p2" --resync --workdir "$w/duet/wd"
run "rclone bisync --resync" rclone bisync "$w/rclone/p1" "$w/rclone/p2" --resync --workdir "$w/rclone/wd" --config /dev/null
run "unison (initial)" env HOME="$w/unison" unison "$w/unison/p1" "$w/unison/p2" -batch -auto -times -silent
run "duet bisync (no change)" "$duet" bisync "$w/duet/p1" "$w/duet/p2" --workdir "$w/duet/wd"
run "rclone bisync (no change)" rclone bisync "$w/rclone/p1" "$w/rclone/p2" --workdir "$w/rclone/wd" --config /dev/null
run "unison (no change)" env HOME="$w/unison" unison "$w/unison/p1" "$w/unison/p2" -batch -auto -times -silent
run "find both trees" find "$w/duet/p1" "$w/duet/p2" -printf '%s %T@\n'
mutate duet; mutate rclone; mutate unison
run "duet bisync (changes)" "$duet" bisync "$w/duet/p1" "$w/duet/p2" --workdir "$w/duet/wd"
run "rclone bisync (changes)" rclone bisync "$w/rclone/p1" "$w/rclone/p2" --workdir "$w/rclone/wd" --config /dev/null
run "unison (changes)" env HOME="$w/unison" unison "$w/unison/p1" "$w/unison/p2" -batch -auto -times -silent
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo
echo "duet resync / cp -a:                $(ratio "${T[duet bisync --resync]}" "${T[cp -a (initial copy)]}")x  (target <= 1.3)"
echo "duet no-change / find both trees:   $(ratio "${T[duet bisync (no change)]}" "${T[find both trees]}")x  (target <= 1.5)"
echo "duet no-change / rclone no-change:  $(ratio "${T[duet bisync (no change)]}" "${T[rclone bisync (no change)]}")x"
echo "duet no-change / unison no-change:  $(ratio "${T[duet bisync (no change)]}" "${T[unison (no change)]}")x"
echo "duet changes run: ${T[duet bisync (changes)]} s (target < 1.5 s); rclone $(ratio "${T[rclone bisync (changes)]}" "${T[duet bisync (changes)]}")x slower, unison $(ratio "${T[unison (changes)]}" "${T[duet bisync (changes)]}")x"
echo "duet peak memory: resync ${M[duet bisync --resync]} MB, no-change ${M[duet bisync (no change)]} MB (target < 40), changes ${M[duet bisync (changes)]} MB"
rm -rf "$w"
