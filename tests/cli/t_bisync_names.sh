#!/usr/bin/env bash
# t_bisync_names.sh: names the two sides spell differently (reference
# 1.21): NFC/NFD matching by default, --no-unicode-normalization,
# --ignore-case-sync, --fix-case, in the plan, the copies, deletes,
# conflicts, resync and check-sync. Usage: t_bisync_names.sh /path/to/duet
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"
files() { (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | tr '\n' ' '); }
nfc=$(printf 'caf\xc3\xa9.txt')   # é as one code point
nfd=$(printf 'cafe\xcc\x81.txt')  # e + combining acute
# Each pair also holds z.txt, so one change is never "all files changed".
for d in n1 n2 u1 u2 c1 c2; do mkfile $d/z.txt "z" "2020-01-01"; done

# --- NFC on Path1, NFD on Path2: one file, each side keeps its spelling
mkfile "n1/$nfc" "same" "2020-01-01"; mkfile "n2/$nfd" "same" "2020-01-01"
N() { "$D" bisync n1 n2 --workdir "$T/wdn" "$@"; }
expect_rc "resync NFC vs NFD" 0 N --resync
expect_eq "Path1 keeps only its NFC name" "$nfc z.txt " "$(files n1)"
expect_eq "Path2 keeps only its NFD name" "$nfd z.txt " "$(files n2)"
expect_rc "no-change run (check-sync matches the spellings)" 0 N -v
expect_grep "nothing to do" "No changes found" "$T/err"
mkfile "n1/$nfc" "edited on Path1" "2021-01-01"
expect_rc "a change on Path1" 0 N
expect_eq "copied into Path2's NFD file" "edited on Path1" "$(cat "n2/$nfd")"
expect_eq "no second spelling on Path2" "$nfd z.txt " "$(files n2)"
mkfile "n2/$nfd" "edited on Path2!" "2022-01-01"
expect_rc "a change on Path2" 0 N
expect_eq "copied into Path1's NFC file" "edited on Path2!" "$(cat "n1/$nfc")"
expect_eq "no second spelling on Path1" "$nfc z.txt " "$(files n1)"
expect_rc "export" 0 "$D" bisync-listings export n1 n2 "$T/expn" --workdir "$T/wdn"
check "Path2's listing keeps the NFD spelling" grep -q "$nfd" "$T"/expn/*.path2.lst
check "Path1's listing keeps the NFC spelling" grep -q "$nfc" "$T"/expn/*.path1.lst
rm "n1/$nfc"
expect_rc "a delete on Path1" 0 N --force
expect_eq "reaches Path2's NFD file" "z.txt " "$(files n2)"

# --- --no-unicode-normalization: two spellings are two files
mkfile "u1/$nfc" "one" "2020-01-01"; mkfile "u2/$nfd" "two" "2020-01-01"
expect_rc "resync byte-exact names" 0 "$D" bisync u1 u2 --workdir "$T/wdu" --resync --no-unicode-normalization
expect_eq "both spellings on Path1" 3 "$(find u1 -type f | wc -l)"
expect_eq "both spellings on Path2" 3 "$(find u2 -type f | wc -l)"

# --- case: without --ignore-case-sync two names, with it one file
mkfile c1/Readme.md "same" "2020-01-01"; mkfile c2/README.md "same" "2020-01-01"
cp -a c1 k1; cp -a c2 k2
expect_rc "resync case-sensitive" 0 "$D" bisync k1 k2 --workdir "$T/wdk" --resync
expect_eq "case-sensitive: both names on Path1" "README.md Readme.md z.txt " "$(files k1)"
C() { "$D" bisync c1 c2 --workdir "$T/wdc" --ignore-case-sync "$@"; }
expect_rc "resync --ignore-case-sync" 0 C --resync
expect_eq "one file on Path1" "Readme.md z.txt " "$(files c1)"
expect_eq "one file on Path2" "README.md z.txt " "$(files c2)"
mkfile c2/README.md "edited on Path2" "2021-01-01"
expect_rc "a change on Path2" 0 C
expect_eq "reaches Path1's spelling" "edited on Path2" "$(cat c1/Readme.md)"
expect_eq "no README.md made on Path1" "Readme.md z.txt " "$(files c1)"
expect_rc "--check-sync=only with the spellings" 0 C --check-sync only
# both changed: a conflict under one name, both versions kept
mkfile c1/Readme.md "path1 text" "2022-01-01"; mkfile c2/README.md "path2 text, longer" "2022-02-01"
expect_rc "conflict across spellings" 0 C -v
expect_grep "seen as one file changed on both" "New or changed in both paths" "$T/err"
expect_eq "Path1's version kept" "path1 text" "$(cat c2/Readme.md.conflict1)"
expect_eq "Path2's version kept" "path2 text, longer" "$(cat c1/Readme.md.conflict2)"
same_tree "equal after the conflict" c1 c2
# a delete on Path2's spelling reaches Path1's
mkfile c1/Keep.txt "k"; mkfile c1/Gone.txt "g" "2020-01-01"; mkfile c2/GONE.txt "g" "2020-01-01"
expect_rc "Gone.txt and GONE.txt matched" 0 C
expect_eq "no extra spelling copied" "GONE.txt Keep.txt Readme.md.conflict1 Readme.md.conflict2 z.txt " "$(files c2)"
rm c2/GONE.txt
expect_rc "a delete on Path2" 0 C
check "reaches Path1's Gone.txt" test ! -e c1/Gone.txt

# --- a new file in a directory the sides spell differently joins it
mkfile c1/Docs/a.txt "a" "2020-01-01"; mkfile c2/docs/a.txt "a" "2020-01-01"
expect_rc "Docs/ and docs/ matched" 0 C
mkfile c1/Docs/new.txt "new on 1"; mkfile c2/docs/two.txt "new on 2"
expect_rc "new files in the directory" 0 C
expect_eq "Path1's new file in Path2's docs/" "new on 1" "$(cat c2/docs/new.txt)"
expect_eq "Path2's new file in Path1's Docs/" "new on 2" "$(cat c1/Docs/two.txt)"
check "no second directory on either side" test ! -e c2/Docs -a ! -e c1/docs
mkfile c1/Docs/a.txt "a, Path1" "2021-01-01"; mkfile c2/docs/a.txt "a, Path2 edit" "2021-02-01"
expect_rc "a conflict in that directory" 0 C
check "conflict copies in each side's directory" test -f c1/Docs/a.txt.conflict2 -a -f c2/docs/a.txt.conflict1
check "still no second directory" test ! -e c2/Docs -a ! -e c1/docs
expect_rc "and then no changes" 0 C -v
expect_grep "nothing left" "No changes found" "$T/err"

# --- the directories themselves are matched, with no file in common:
# new files on each side join the other side's spelling (also in a resync,
# and for a subdirectory spelt differently again)
mkdir -p e1/Music/Live e2/music/live; mkfile e1/z.txt "z" "2020-01-01"; mkfile e2/z.txt "z" "2020-01-01"
E() { "$D" bisync e1 e2 --workdir "$T/wde" --ignore-case-sync "$@"; }
mkfile e1/Music/r.txt "resync new on 1"
expect_rc "resync with only directories in common" 0 E --resync
expect_eq "resync puts Path1's file in Path2's music/" "resync new on 1" "$(cat e2/music/r.txt 2>&1)"
mkfile e1/Music/one.txt "new on 1"; mkfile e1/Music/Live/deep.txt "deep on 1"
mkfile e2/music/two.txt "new on 2"
expect_rc "new files in directories matched by name alone" 0 E
expect_eq "Path1's file in Path2's music/" "new on 1" "$(cat e2/music/one.txt 2>&1)"
expect_eq "and in Path2's music/live/" "deep on 1" "$(cat e2/music/live/deep.txt 2>&1)"
expect_eq "Path2's file in Path1's Music/" "new on 2" "$(cat e1/Music/two.txt 2>&1)"
check "no second directory on either side" test ! -e e2/Music -a ! -e e1/music
expect_rc "then no changes" 0 E -v
expect_grep "nothing left after directory matching" "No changes found" "$T/err"
# with --create-empty-src-dirs, new directories join the other spelling too
mkdir -p h1/Music/Live/Set h2/music; mkfile h1/z.txt "z" "2020-01-01"; mkfile h2/z.txt "z" "2020-01-01"
H() { "$D" bisync h1 h2 --workdir "$T/wdh" --ignore-case-sync --create-empty-src-dirs "$@"; }
expect_rc "resync --create-empty-src-dirs, directories spelt differently" 0 H --resync
check "empty directories made in Path2's music/" test -d h2/music/Live/Set -a ! -e h2/Music
mkdir -p h2/music/Other/x
expect_rc "a new empty directory on Path2" 0 H
check "made in Path1's Music/" test -d h1/Music/Other/x -a ! -e h1/music
expect_rc "then no changes (directories)" 0 H -v
expect_grep "no directory changes left" "No changes found" "$T/err"
# NFD directory on Path1, NFC on Path2, matched by default
dnfc=$(printf 'caf\xc3\xa9'); dnfd=$(printf 'cafe\xcc\x81')
mkdir -p "g1/$dnfd" "g2/$dnfc"; mkfile g1/z.txt "z" "2020-01-01"; mkfile g2/z.txt "z" "2020-01-01"
expect_rc "resync NFD and NFC directories" 0 "$D" bisync g1 g2 --workdir "$T/wdg" --resync
mkfile "g1/$dnfd/n.txt" "in the NFD directory"
expect_rc "a new file in the NFD directory" 0 "$D" bisync g1 g2 --workdir "$T/wdg"
expect_eq "lands in Path2's NFC directory" "in the NFD directory" "$(cat "g2/$dnfc/n.txt" 2>&1)"
check "no NFD directory made on Path2" test ! -e "g2/$dnfd"

# --- --fix-case: Path1's spelling wins where the content is equal
mkfile f1/base.txt "b"; mkfile f2/base.txt "b"
F() { "$D" bisync f1 f2 --workdir "$T/wdf" --ignore-case-sync "$@"; }
expect_rc "resync" 0 F --resync
mkfile f1/Photo.JPG "pixels" "2020-01-01"; mkfile f2/photo.jpg "pixels" "2020-01-03"
expect_rc "--fix-case on a file new on both sides" 0 F --fix-case -v
expect_grep "says it fixes the case" "Fixed case by renaming to: Photo.JPG" "$T/err"
expect_eq "Path2 renamed to Path1's spelling" "Photo.JPG base.txt " "$(files f2)"
same_tree "equal after --fix-case" f1 f2
# without --fix-case a change keeps the destination's spelling; with it
# the destination takes the source's spelling
mkfile f2/notes.txt "n" "2020-01-01"; mkfile f1/Notes.txt "n" "2020-01-01"
expect_rc "Notes.txt and notes.txt matched" 0 F
mkfile f1/Notes.txt "new notes" "2021-01-01"
expect_rc "--fix-case on a one-sided change" 0 F --fix-case
expect_eq "Path2 has Path1's spelling and content" "new notes" "$(cat f2/Notes.txt)"
check "the old spelling is gone" test ! -e f2/notes.txt
expect_rc "next run finds nothing" 0 F -v
expect_grep "no changes" "No changes found" "$T/err"

# --- resync --fix-case renames equal files spelt differently
mkfile r1/Same.txt "s" "2020-01-01"; mkfile r2/SAME.txt "s" "2020-01-01"
expect_rc "resync --ignore-case-sync --fix-case" 0 "$D" bisync r1 r2 --workdir "$T/wdr" --resync --ignore-case-sync --fix-case
expect_eq "Path2 took Path1's spelling" "Same.txt " "$(files r2)"

done_testing
