#!/usr/bin/env bash
# t_ls.sh: ls, lsl, lsd, lsf, lsjson and size. Output is compared byte for
# byte with rclone's on the same tree (rclone is the oracle), and the
# formats that matter most are also asserted literally.
# Usage: t_ls.sh /path/to/duet
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"
# A zone with a half-hour offset shows that times are local and offsets
# right. It needs tzdata (rclone, built with Go, reads no POSIX TZ strings).
export TZ=Asia/Kolkata
check "tzdata is installed (apt-get install tzdata)" test -e /usr/share/zoneinfo/Asia/Kolkata

# --- the trees. rclone's order past the second level depends on its
# threads even with --checkers 1, so exact-order comparisons use `src`
# (two levels) and the deeper `deep` is compared as sorted lines.
mkfile src/a.txt "hello
" "2023-05-06 07:08:09.123456789"
head -c 1500 /dev/zero >src/b.bin
touch -d "2020-02-03 04:05:06" src/b.bin
mkfile src/sub/c.json "x" "2021-01-01 00:00:00"
mkfile src/sub/d.html "yy" "2022-12-31 23:59:59.5"
mkfile "src/a b" "sp" "2019-01-01 00:00:00"
mkfile src/a-x/i.md "i" "2019-01-01 00:00:00"
mkfile src/a/a1.txt "a1" "2019-01-01 00:00:00"
mkfile src/a/f.png "f" "2019-01-01 00:00:00"
mkfile src/z.pdf "z" "1960-06-01 12:00:00.25"
mkfile 'src/q,"r.txt' "q" "2019-01-01 00:00:00"
mkfile "src/a<b>&c é" "j" "2019-01-01 00:00:00"
mkdir -p src/empty src/a/a1
for d in src/empty src/sub src/a-x src/a/a1 src/a src; do touch -d "2018-07-08 09:10:11" "$d"; done
mkfile deep/top.txt "t" "2019-01-01 00:00:00"
mkfile deep/a/b/c/d.txt "d" "2019-01-01 00:00:00"
mkfile deep/a/b/e.log "e" "2019-01-01 00:00:00"
mkfile deep/a-b/x/y.txt "y" "2019-01-01 00:00:00"
mkfile deep/z/w.txt "w" "2019-01-01 00:00:00"
mkdir -p deep/a/b/empty
for d in deep/a/b/empty deep/a/b/c deep/a/b deep/a deep/a-b/x deep/a-b deep/z deep; do
	touch -d "2018-07-08 09:10:11" "$d"
done

# --- ls, lsl, lsd: rclone's formats
same_as_rclone "ls" ls src
same_as_rclone "lsl" lsl src
same_as_rclone "lsd" lsd src
same_as_rclone "lsd -R" lsd -R src
same_as_rclone "lsd --max-depth 2" lsd --max-depth 2 src
same_as_rclone "ls --max-depth 1" ls --max-depth 1 src
same_as_rclone "ls of a file" ls src/a.txt
same_as_rclone "lsl of a file" lsl src/sub/c.json
same_as_rclone "ls --include" ls --include "*.txt" src
same_as_rclone "ls --exclude dir" ls --exclude "a/**" src
same_as_rclone "ls --min-size" ls --min-size 2B src
expect_out "ls: size in 9 columns, breadth first" "        6 a.txt
     1500 b.bin
        1 sub/c.json
        2 sub/d.html" "$D" ls --include "{a.txt,b.bin,sub/**}" src
same_sorted_as_rclone "ls deep (sorted)" ls deep
same_sorted_as_rclone "lsl deep (sorted)" lsl deep
same_sorted_as_rclone "lsd -R deep (sorted)" lsd -R deep
expect_out "ls deep: level by level, each directory by name" "        1 top.txt
        1 z/w.txt
        1 a/b/e.log
        1 a-b/x/y.txt
        1 a/b/c/d.txt" "$D" ls deep
expect_out "lsd -R deep: level by level" "          -1 2018-07-08 09:10:11        -1 a
          -1 2018-07-08 09:10:11        -1 a-b
          -1 2018-07-08 09:10:11        -1 z
          -1 2018-07-08 09:10:11        -1 a/b
          -1 2018-07-08 09:10:11        -1 a-b/x
          -1 2018-07-08 09:10:11        -1 a/b/c
          -1 2018-07-08 09:10:11        -1 a/b/empty" "$D" lsd -R deep
expect_out "lsl: local time with nanoseconds" \
	"        6 2023-05-06 07:08:09.123456789 a.txt" "$D" lsl src/a.txt
expect_out "lsd: rclone's columns" "          -1 2018-07-08 09:10:11        -1 empty" \
	"$D" lsd --include "empty/**" src

# --- lsf
same_as_rclone "lsf" lsf src
same_as_rclone "lsf -R" lsf -R src
same_as_rclone "lsf --format pstmh -R" lsf -R --format pstmh src
same_as_rclone "lsf --format tsp" lsf --format tsp src
same_as_rclone "lsf i o T are empty" lsf --format piToT src
same_as_rclone "lsf --separator" lsf -R --format "hp" --separator "  " --files-only src
same_as_rclone "lsf --hash sha1" lsf -R --hash sha1 --format hp src
same_as_rclone "lsf --hash SHA-1" lsf --hash SHA-1 --format ph src
same_as_rclone "lsf --hash sha256" lsf --hash sha256 --format hp src
same_as_rclone "lsf --csv" lsf --csv --format pst src
same_as_rclone "lsf --csv with -s" lsf --csv -s "|" --format ps src
same_as_rclone "lsf --dirs-only -R" lsf --dirs-only -R src
same_as_rclone "lsf --files-only -R" lsf --files-only -R src
same_as_rclone "lsf --dirs-only --files-only" lsf --dirs-only --files-only src
same_as_rclone "lsf --absolute" lsf --absolute -R src
same_as_rclone "lsf --dir-slash=false" lsf --dir-slash=false src
same_as_rclone "lsf -d (dir-slash)" lsf -d src
same_as_rclone "lsf --max-depth 2" lsf --max-depth 2 src
same_as_rclone "lsf -R --max-depth 2" lsf -R --max-depth 2 src
same_as_rclone "lsf -R --include" lsf -R --include "*.json" src
same_as_rclone "lsf of a file" lsf --format ps src/sub/c.json
same_as_rclone "lsf empty format" lsf --format "" src
same_as_rclone "lsf --format z fails" lsf --format pz src
expect_out "lsf --csv quotes like encoding/csv" '"q,""r.txt",1' \
	"$D" lsf --csv --format ps --files-only --include 'q*' src
same_sorted_as_rclone "lsf -R deep (sorted)" lsf -R --format pst deep
expect_out "lsf -R: dirs with a slash, level by level" "a/
a-b/
top.txt
z/
a/b/
a-b/x/
z/w.txt
a/b/c/
a/b/e.log
a/b/empty/
a-b/x/y.txt
a/b/c/d.txt" "$D" lsf -R deep
mkdir -p mime/dir
for e in txt TXT bin html json png pdf jpg mp4 zip gz csv; do : >"mime/f.$e"; done
: >mime/noext
same_as_rclone "lsf mime types" lsf --format pm mime
expect_out "lsf mime types, literally" "dir/;inode/directory
f.TXT;text/plain; charset=utf-8
f.bin;application/octet-stream
f.csv;text/csv; charset=utf-8
f.gz;application/gzip
f.html;text/html; charset=utf-8
f.jpg;image/jpeg
f.json;application/json
f.mp4;video/mp4
f.pdf;application/pdf
f.png;image/png
f.txt;text/plain; charset=utf-8
f.zip;application/zip
noext;application/octet-stream" "$D" lsf --format pm mime
# xxh3 and xxh128 of "hello\n" as xxhsum 0.8 prints them.
XXH3_HELLO=99fc819aaba2462a
XXH128_HELLO=6bba86c7e069f56d5a10b435f1c8e49c
expect_out "lsf --hash xxh3 (a duet extra)" "$XXH3_HELLO;a.txt" \
	"$D" lsf --hash xxh3 --format hp src/a.txt
expect_rc "lsf --format e is refused" 1 "$D" lsf --format pe src
expect_grep "lsf says which letter" "format character 'e' is not supported" "$T/err"
expect_rc "lsf --hash unknown" 1 "$D" lsf --hash crc32 --format hp src
expect_grep "lsf names the hash" 'unknown hash type "crc32"' "$T/err"

# --- lsjson
same_as_rclone "lsjson" lsjson src
same_as_rclone "lsjson -R" lsjson -R src
same_as_rclone "lsjson --no-modtime --no-mimetype" lsjson -R --no-modtime --no-mimetype src
same_as_rclone "lsjson --dirs-only" lsjson -R --dirs-only src
same_as_rclone "lsjson --files-only" lsjson --files-only src
same_as_rclone "lsjson --dirs-only --files-only" lsjson --dirs-only --files-only src
same_as_rclone "lsjson --hash-type md5" lsjson -R --hash-type md5 src
same_as_rclone "lsjson --hash-type sha1" lsjson --hash-type sha1 src
same_as_rclone "lsjson of a file" lsjson src/a.txt
same_as_rclone "lsjson --stat file" lsjson --stat src/a.txt
same_as_rclone "lsjson --stat --hash-type" lsjson --stat --hash-type md5 src/sub/c.json
same_as_rclone "lsjson --stat --hash-type twice" lsjson --stat --hash-type sha1 src/sub/d.html
same_as_rclone "lsjson --stat --no-mimetype" lsjson --stat --no-mimetype src/z.pdf
same_as_rclone "lsjson --original (no IDs locally)" lsjson --original src
same_as_rclone "lsjson --max-depth 2" lsjson --max-depth 2 src
same_as_rclone "lsjson empty dir" lsjson src/empty
expect_out "lsjson: one object per line, HTML-safe escapes, local offset" '[
{"Path":"a.txt","Name":"a.txt","Size":6,"MimeType":"text/plain; charset=utf-8","ModTime":"2023-05-06T07:08:09.123456789+05:30","IsDir":false},
{"Path":"a\u003cb\u003e\u0026c é","Name":"a\u003cb\u003e\u0026c é","Size":1,"MimeType":"application/octet-stream","ModTime":"2019-01-01T00:00:00.000000000+05:30","IsDir":false}
]' "$D" lsjson --files-only --include "a[.<]*" src
same_sorted_as_rclone "lsjson -R deep (sorted)" lsjson -R deep
expect_out "lsjson: empty listing" "[
]" "$D" lsjson src/empty
expect_out "lsjson --hash: every kind, keys sorted" '[
{"Path":"a.txt","Name":"a.txt","Size":6,"ModTime":"","IsDir":false,"Hashes":{"md5":"b1946ac92492d2347c6235b4d2611184","sha1":"f572d396fae9206628714fb2ce00f72e94f2258f","sha256":"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03","xxh128":"'$XXH128_HELLO'","xxh3":"'$XXH3_HELLO'"}}
]' "$D" lsjson --hash --no-mimetype --no-modtime src/a.txt
expect_out "lsjson --stat --hash-type: indented" '{
	"Path": "a.txt",
	"Name": "a.txt",
	"Size": 6,
	"MimeType": "text/plain; charset=utf-8",
	"ModTime": "2023-05-06T07:08:09.123456789+05:30",
	"IsDir": false,
	"Hashes": {
		"xxh3": "'$XXH3_HELLO'"
	}
}' "$D" lsjson --stat --hash-type xxh3 src/a.txt
mkfile "ctl/$(printf 'c\001\177')" "x" "2019-01-01 00:00:00"
mkfile "ctl/$(printf 'bad\377')" "x" "2019-01-01 00:00:00"
mkfile "ctl/$(printf 'ls\342\200\250x')" "x" "2019-01-01 00:00:00"
expect_out "lsjson: control bytes, invalid UTF-8, U+2028" "[
{\"Path\":\"bad\\ufffd\",\"Name\":\"bad\\ufffd\",\"Size\":1,\"ModTime\":\"\",\"IsDir\":false},
{\"Path\":\"c\\u0001$(printf '\177')\",\"Name\":\"c\\u0001$(printf '\177')\",\"Size\":1,\"ModTime\":\"\",\"IsDir\":false},
{\"Path\":\"ls\\u2028x\",\"Name\":\"ls\\u2028x\",\"Size\":1,\"ModTime\":\"\",\"IsDir\":false}
]" "$D" lsjson --no-mimetype --no-modtime ctl

# --- size
same_as_rclone "size" size src
same_as_rclone "size --json" size --json src
same_as_rclone "size --max-depth 1" size --max-depth 1 src
same_as_rclone "size of a file" size src/b.bin
for n in 0 1023 1024 1264 1536 1048575 1048576 123456789 5000000000; do
	rm -rf sz && mkdir sz && truncate -s "$n" sz/f
	same_as_rclone "size of $n bytes" size sz
done
rm -rf sz && mkdir sz && truncate -s 1264 sz/f
expect_out "size: 1264 bytes" "Total objects: 1 (1)
Total size: 1.234 KiB (1264 Byte)" "$D" size sz
mkdir -p many && (cd many && seq 1 1500 | xargs touch)
same_as_rclone "size counts in k" size many
expect_out "size: 1500 objects" "Total objects: 1.500k (1500)
Total size: 0 B (0 Byte)" "$D" size many
expect_out "size --json" '{"count":1500,"bytes":0,"sizeless":0}' "$D" size --json many

# --- a missing directory is exit code 3 for every listing command
for c in ls lsl lsd lsf lsjson size; do
	expect_rc "$c of a missing dir exits 3" 3 "$D" $c nope
	expect_grep "$c says directory not found" "directory not found" "$T/err"
done
expect_rc "lsjson --stat of a missing path exits 3" 3 "$D" lsjson --stat nope
expect_rc "ls takes one argument" 2 "$D" ls
expect_rc "lsf -R takes one argument" 2 "$D" lsf -R src src

done_testing
