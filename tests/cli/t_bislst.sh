#!/usr/bin/env bash
# t_bislst.sh: duet bisync-listings export/import: the .lst files duet
# writes (names, sizes, times, rclone's quoting and name encoding), the same
# lines as rclone bisync 1.60's own listings of an identical tree, an rclone
# workdir imported so `duet bisync` runs without --resync, and bad input.
# Usage: t_bislst.sh /path/to/duet
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"
NL=$'n\nl'
TAB=$'t\tab.txt'
L() { "$D" bisync-listings "$@"; }
# entries FILE: the entry lines, hash column blanked (rclone 1.60 writes
# md5 for local files; duet's stored listings carry no hash), in byte
# order (rclone 1.60 writes a directory's files before its subdirectories'
# files; duet and newer rclone sort by the whole name).
entries() { sorted "$1" | sed -E 's/^(. +-?[0-9]+) [^ ]+ - /\1 - - /'; }
# sorted FILE: the entry lines as they are, in byte order of the name.
sorted() {
	grep -v '^#' "$1" | awk '{ print substr($0, index($0, "\"")) "\t" $0 }' |
		LC_ALL=C sort | cut -f2-
}
# session DIR1 DIR2: rclone's session name of two absolute local paths.
session() { printf '%s..%s' "$(printf '%s' "${1#/}" | tr '/ ' '__')" \
	"$(printf '%s' "${2#/}" | tr '/ ' '__')"; }
# line NAME_IN_LST FILE: the line rclone writes for FILE (no hash).
line() {
	local t
	t=$(date -u -d "@$(stat -c '%.9Y' "$2")" '+%Y-%m-%dT%H:%M:%S.%N+0000')
	printf -- '- %8d - - %s "%s"\n' "$(stat -c %s "$2")" "$t" "$1"
}

# A tree with odd names, several sizes and nanosecond times.
mkfile src/'a b.txt' "hello" "2020-01-01 00:00:00.123456789"
mkfile src/"$NL" "x" "2021-06-30 12:34:56.000000001"
mkfile src/'q"uote.txt' "" "2019-02-03 04:05:06"
mkfile src/'ünï😀.txt' "unicode" "2022-12-31 23:59:59.999999999"
mkfile src/"$TAB" "tab" "2017-07-07 07:07:07.7"
mkdir -p src/dir/sub; head -c 70000 /dev/zero >src/dir/sub/deep.bin
touch -d "2018-05-05 05:05:05.5" src/dir/sub/deep.bin
mkdir -p d r
cp -a src d/p1; cp -a src r/p1; mkdir d/p2 r/p2
mkfile d/p2/only2.txt "two" "2023-03-03 03:03:03.3"; cp -a d/p2/only2.txt r/p2/

# --- export before any run
expect_rc "export without a workdir: exit 3" 3 L export d/p1 d/p2 ex --workdir "$T/wd"
expect_grep "says to --resync" "resync" "$T/err"
check "no workdir created by export" test ! -e "$T/wd"
expect_rc "resync" 0 "$D" bisync d/p1 d/p2 --resync --workdir "$T/wd"
expect_rc "export of another (never synced) pair: exit 3" 3 L export r/p1 r/p2 ex --workdir "$T/wd"
expect_grep "names the pair" "no bisync listings for Path1" "$T/err"

# --- export after --resync
S=$(session "$T/d/p1" "$T/d/p2")
expect_rc "export" 0 L export d/p1 d/p2 ex --workdir "$T/wd"
check "path1 file named by the session" test -f "ex/$S.path1.lst"
check "path2 file named by the session" test -f "ex/$S.path2.lst"
expect_grep "header line" '^# bisync listing v1 from [0-9-]*T[0-9:.]*+0000$' "ex/$S.path1.lst"
{
	line 'a b.txt' d/p1/'a b.txt'; line dir/sub/deep.bin d/p1/dir/sub/deep.bin
	line 'n␊l' d/p1/"$NL"; line only2.txt d/p1/only2.txt
	line 'q\"uote.txt' d/p1/'q"uote.txt'; line 't␉ab.txt' d/p1/"$TAB"
	line 'ünï😀.txt' d/p1/'ünï😀.txt'
} >expect1
expect_eq "path1 lines: sizes, ns times, quoting, rclone's name encoding, sorted" \
	"$(cat expect1)" "$(grep -v '^#' "ex/$S.path1.lst")"
expect_eq "path2 lines the same after resync" "$(cat expect1)" "$(grep -v '^#' "ex/$S.path2.lst")"
expect_eq "one header, seven entries" 8 "$(wc -l <"ex/$S.path1.lst")"

# --- rclone bisync 1.60 on an identical tree as the oracle
R=$(session "$T/r/p1" "$T/r/p2")
if ! oracle_missing "rclone bisync listings"; then
	: >rc.conf
	RCLONE_CONFIG=rc.conf "$RCLONE" bisync r/p1 r/p2 --resync --workdir "$T/rw" >r.out 2>&1
	check "rclone --resync ran" test -f "rw/$R.path1.lst"
	expect_rc "export of the duet copy of the tree" 0 L export d/p1 d/p2 ex --workdir "$T/wd"
	expect_eq "entry lines equal rclone's (hash column aside), Path1" \
		"$(entries "rw/$R.path1.lst")" "$(entries "ex/$S.path1.lst")"
	expect_eq "entry lines equal rclone's (hash column aside), Path2" \
		"$(entries "rw/$R.path2.lst")" "$(entries "ex/$S.path2.lst")"
	expect_grep "rclone 1.60 writes md5 (the difference)" \
		' md5:5d41402abc4b2a76b9719d911017c592 - ' "rw/$R.path1.lst"

	# --- import rclone's workdir into a fresh duet workdir
	expect_rc "import" 0 L import r/p1 r/p2 "$T/rw" --workdir "$T/dwd"
	expect_grep "import says so" "Imported 7 Path1 and 7 Path2 entries" "$T/err"
	expect_rc "export right after import" 0 L export r/p1 r/p2 rt --workdir "$T/dwd"
	expect_eq "round trip: rclone's lines byte for byte, md5 included" \
		"$(sorted "rw/$R.path1.lst")" "$(grep -v '^#' "rt/$R.path1.lst")"
	expect_rc "duet bisync without --resync after import" 0 \
		"$D" bisync r/p1 r/p2 --workdir "$T/dwd" -v
	expect_grep "no changes" "No changes found" "$T/err"
	expect_no_grep "no file seen as new" "File is new" "$T/err"
	expect_rc "export after that run" 0 L export r/p1 r/p2 rt2 --workdir "$T/dwd"
	expect_eq "the run kept every entry (hashes dropped)" \
		"$(entries "rw/$R.path1.lst")" "$(grep -v '^#' "rt2/$R.path1.lst")"
	mkfile r/p1/'a b.txt' "hello, changed" "2024-01-01 00:00:00"
	mkfile r/p2/"$NL" "y2" "2024-01-02 00:00:00"
	expect_rc "a change on each side" 0 "$D" bisync r/p1 r/p2 --workdir "$T/dwd" -v
	expect_eq "Path1 change propagated" "hello, changed" "$(cat r/p2/'a b.txt')"
	expect_eq "Path2 change (newline name) propagated" "y2" "$(cat r/p1/"$NL")"
	expect_no_grep "no conflict" "conflict" "$T/err"
	same_tree "both sides equal" r/p1 r/p2

	# --- a corrupted line: NOTICE, the rest is imported
	cp -a rw rw2; printf 'garbage line\n' >>"rw2/$R.path1.lst"
	expect_rc "import with an incorrect line" 0 L import r/p1 r/p2 "$T/rw2" --workdir "$T/dwd3"
	expect_grep "incorrect line noticed" 'Ignoring incorrect line: "garbage line"' "$T/err"
	expect_grep "the other lines kept" "Imported 7 Path1" "$T/err"

	# --- a file with no valid line: refused, nothing stored
	cp -a rw rw3; printf '# bisync listing v1\nnot a listing\n' >"rw3/$R.path2.lst"
	expect_rc "import of an unusable file: exit 1" 1 L import r/p1 r/p2 "$T/rw3" --workdir "$T/dwd4"
	expect_grep "names the file" "$R.path2.lst: no file entry" "$T/err"
	expect_rc "so the pair still needs --resync" 3 L export r/p1 r/p2 x --workdir "$T/dwd4"

	# --- --filters-file: rclone's fingerprint (FILE.md5) comes along
	mkdir -p f/p1 f/p2; cp -a r/p1/. f/p1/; cp -a r/p1/. f/p2/
	printf -- '- *.tmp\n' >filters.txt
	RF=$(session "$T/f/p1" "$T/f/p2")
	RCLONE_CONFIG=rc.conf "$RCLONE" bisync f/p1 f/p2 --resync --workdir "$T/fw" \
		--filters-file "$T/filters.txt" >r.out 2>&1
	check "rclone wrote the filters fingerprint" test -f filters.txt.md5
	expect_rc "import with --filters-file" 0 L import f/p1 f/p2 "$T/fw" --workdir "$T/fwd" \
		--filters-file "$T/filters.txt"
	expect_rc "bisync --filters-file runs without --resync after import" 0 \
		"$D" bisync f/p1 f/p2 --workdir "$T/fwd" --filters-file "$T/filters.txt" -v
	expect_grep "and finds nothing to do" "No changes found" "$T/err"
	printf -- '- *.bak\n' >>filters.txt
	expect_rc "filters changed after rclone's run: import refused" 1 \
		L import f/p1 f/p2 "$T/fw" --workdir "$T/fwd2" --filters-file "$T/filters.txt"
	expect_grep "says the filters changed and the way out" "has changed since rclone's last run.*--resync" "$T/err"
	rm filters.txt.md5
	expect_rc "no FILE.md5: import still works" 0 \
		L import f/p1 f/p2 "$T/fw" --workdir "$T/fwd3" --filters-file "$T/filters.txt"
	expect_grep "and says the first run asks for --resync" "will ask for --resync" "$T/err"
	expect_rc "which it does, as rclone's would" 7 \
		"$D" bisync f/p1 f/p2 --workdir "$T/fwd3" --filters-file "$T/filters.txt"
fi

# --- literal U+201B and U+240A in a name: quoted with U+201B as rclone
# does (rclone 1.60 itself fails on such names: "hash: failed to open"),
# and read back by import.
ODD=$'q\u201bz\u240a.txt'
mkfile e/p1/"$ODD" "odd"; mkfile e/p1/plain.txt "plain"; mkdir -p e/p2
expect_rc "odd pair: resync" 0 "$D" bisync e/p1 e/p2 --resync --workdir "$T/wd"
E=$(session "$T/e/p1" "$T/e/p2")
expect_rc "odd pair: export" 0 L export e/p1 e/p2 ex --workdir "$T/wd"
expect_grep "odd pair: U+201B doubled, U+240A quoted" '"q‛‛z‛␊.txt"$' "ex/$E.path1.lst"
expect_rc "odd pair: import the export" 0 L import e/p1 e/p2 "$T/ex" --workdir "$T/ewd"
expect_rc "odd pair: run after import" 0 "$D" bisync e/p1 e/p2 --workdir "$T/ewd" -v
expect_grep "odd pair: no changes" "No changes found" "$T/err"

# --- after a critical error the listings are not trusted: no export
rm -f e/p1/*
expect_rc "emptied Path1: critical" 7 "$D" bisync e/p1 e/p2 --workdir "$T/ewd"
expect_rc "export of an untrusted pair: exit 3" 3 L export e/p1 e/p2 ex2 --workdir "$T/ewd"
expect_grep "says why" "no trusted listings" "$T/err"

# --- import: missing files name themselves and the way out
mkdir -p rwx; printf '# bisync listing v1\n' >"rwx/other_session.path1.lst"
expect_rc "import with missing files: exit 3" 3 L import d/p1 d/p2 "$T/rwx" --workdir "$T/dwd5"
expect_grep "names the missing file" "$S.path1.lst" "$T/err"
expect_grep "suggests rclone --resync" "rclone bisync --resync" "$T/err"
expect_grep "suggests duet --resync" "duet bisync --resync" "$T/err"
expect_grep "points at other sessions" "another session: other_session" "$T/err"
check "nothing created" test ! -e "$T/dwd5"

# --- usage
expect_rc "three arguments: exit 2" 2 L export d/p1 d/p2
expect_rc "five arguments: exit 2" 2 L export d/p1 d/p2 out extra
expect_rc "unknown verb: exit 2" 2 L frob d/p1 d/p2 out
expect_grep "verb named" 'unknown verb "frob"' "$T/err"
expect_rc "help" 0 "$D" help bisync-listings
expect_grep "help lists --workdir" "workdir" "$T/out"

done_testing
