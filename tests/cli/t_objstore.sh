#!/usr/bin/env bash
# t_objstore.sh: duet against S3 (s3rver) and Azure Blob (Azurite), both
# started here on loopback (tests/servers) and stopped at exit. For each
# store: listing and transfer commands checked against rclone (the same
# config file serves both), mtimes and MD5s that rclone wrote read back by
# duet and the other way round, names with spaces, unicode, '+', '%', '?'
# and '#', sync with deletes, check, bisync local<->store with a conflict
# and a delete, wrong credentials (one line, exit code, no secret), and
# the server killed in the middle of a multipart/block upload (nothing
# partial visible after a restart, the next run completes). Then a bisync
# s3<->azure. Usage: t_objstore.sh /path/to/duet
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"

SERVERS=${DUET_TEST_SERVERS:-}
for cand in "$(dirname "${DUET_TEST_LIB:-$0}")/../servers" "$(dirname "$0")/../servers"; do
	[ -n "$SERVERS" ] && break
	[ -f "$cand/s3rver.sh" ] && SERVERS=$(cd "$cand" && pwd)
done
lib_exit=$(eval "set -- $(trap -p EXIT)"; printf '%s' "${3:-}")
on_exit() {
	[ -n "$SERVERS" ] && sh "$SERVERS/s3rver.sh" stop "$T/s3" >/dev/null 2>&1
	[ -n "$SERVERS" ] && sh "$SERVERS/azurite.sh" stop "$T/az" >/dev/null 2>&1
	eval "$lib_exit"
}
trap on_exit EXIT
if [ -z "$SERVERS" ]; then
	not_ok "tests/servers not found (set DUET_TEST_SERVERS)"; done_testing; exit 1
fi
unset AWS_CA_BUNDLE # rclone 1.60's S3 client fails on it
CONF=$T/duet.conf
DC() { "$D" --config "$CONF" "$@"; }
RC() { rclone --config "$CONF" "$@"; }
SECRET_S3=S3RVER

# start_s3 / start_az: (re)start a server on its data and (re)write its
# remote in the config: s3: and az: (an account SAS, the form rclone 1.60
# reads an Azure endpoint from), plus azk: (account and key, duet only).
start_s3() {
	sh "$SERVERS/s3rver.sh" start "$T/s3" bkt >"$T/s3.out" 2>&1 || return 1
	DC config delete s3 >/dev/null 2>&1 || true # a restart has a new port
	DC config create s3 s3 provider Other access_key_id S3RVER secret_access_key "$SECRET_S3" \
		endpoint "$(cat "$T/s3/endpoint")" region us-east-1 force_path_style true \
		chunk_size 5Mi upload_cutoff 5Mi list_url_encode true list_version 2 >/dev/null
}
start_az() {
	sh "$SERVERS/azurite.sh" start "$T/az" >"$T/az.out" 2>&1 || return 1
	DC config delete az >/dev/null 2>&1 || true
	DC config delete azk >/dev/null 2>&1 || true
	DC config create az azureblob sas_url "$(python3 "$SERVERS/mksas.py" "$(cat "$T/az/endpoint")" \
		"$(cat "$T/az/account")" "$(cat "$T/az/key")")" chunk_size 4Mi >/dev/null &&
	DC config create azk azureblob account "$(cat "$T/az/account")" key "$(cat "$T/az/key")" \
		endpoint "$(cat "$T/az/endpoint")" >/dev/null
}
if start_s3; then ok "s3rver starts"; else not_ok "s3rver starts"; sed 's/^/  /' "$T/s3.out"; fi
if start_az; then ok "Azurite starts"; else not_ok "Azurite starts"; sed 's/^/  /' "$T/az.out"; fi
[ "$FAIL" = 0 ] || { done_testing; exit 1; }
expect_rc "azure container made by duet mkdir" 0 DC mkdir az:bkt

# A tree with the names the issue lists, and mtimes with nanoseconds.
mktree() {
	mkfile "$1/plain.txt" "plain" "2021-03-04 05:06:07.123456789"
	mkfile "$1/with space.txt" "space" "2020-01-02 03:04:05"
	mkfile "$1/unicodé ☃.txt" "unicode" "2019-05-06 07:08:09.5"
	mkfile "$1/a+b.txt" "plus" "2018-01-01 00:00:01"
	mkfile "$1/100%.txt" "percent" "2018-01-01 00:00:02"
	mkfile "$1/what?.txt" "question" "2018-01-01 00:00:03"
	mkfile "$1/hash#tag.txt" "hash" "2018-01-01 00:00:04"
	mkfile "$1/sub dir/deep/file.bin" "$(head -c 3000 /dev/urandom | base64 -w0)" "2017-07-07 07:07:07"
}
mktree src
# lsl as both tools print it, sorted (their listing orders differ).
lsl_sorted() { "$@" 2>"$T/lsl.err" | LC_ALL=C sort; }

for R in s3 az; do
	B=$R:bkt
	echo "# --- $R"
	# 1. upload, list, hash: as rclone sees it
	expect_rc "$R: copy up" 0 DC copy src "$B/t1"
	expect_eq "$R: lsl equals rclone's" "$(lsl_sorted RC lsl "$B/t1")" "$(lsl_sorted DC lsl "$B/t1")"
	expect_eq "$R: md5sum equals rclone's" "$(RC md5sum "$B/t1" | LC_ALL=C sort)" \
		"$(DC md5sum "$B/t1" | LC_ALL=C sort)"
	expect_eq "$R: md5sum equals the local files'" "$(DC md5sum src | LC_ALL=C sort)" \
		"$(DC md5sum "$B/t1" | LC_ALL=C sort)"
	expect_eq "$R: lsd lists the subdirectory" "sub dir" \
		"$(DC lsd "$B/t1" | sed -E 's/^ *-?[0-9]+ [0-9-]+ [0-9:]+ +-?[0-9]+ //')"
	# 2. download: bytes and mtimes (to the nanosecond) come back
	expect_rc "$R: copy down" 0 DC copy "$B/t1" "dl-$R"
	same_tree "$R: download equals the source, mtimes too" src "dl-$R"
	expect_eq "$R: nanoseconds kept" "$(stat -c %y src/plain.txt)" "$(stat -c %y "dl-$R/plain.txt")"
	if [ $R = s3 ]; then
		# a download into a new directory: no HEAD per object, the mtime
		# comes with each GET; a second run compares, so it reads them
		expect_rc "s3: copy down -vv" 0 DC copy "$B/t1" "dl2-$R" -vv
		expect_grep "s3: a download to a new directory reads no metadata" \
			"entries, 0 of them needed a HEAD" "$T/err"
		same_tree "s3: the mtimes came with the downloads" src "dl2-$R"
		expect_rc "s3: copy down again -vv" 0 DC copy "$B/t1" "dl2-$R" -vv
		expect_grep "s3: files to compare read their metadata" \
			"entries, [1-9][0-9]* of them needed a HEAD" "$T/err"
		expect_grep "s3: nothing to copy the second time" "There was nothing to transfer" "$T/err"
	fi
	# 3. interop: what rclone uploaded shows its real times and hashes
	expect_rc "$R: rclone uploads" 0 RC copy src "$B/r1"
	expect_eq "$R: rclone's objects: duet sees their mtimes" "$(lsl_sorted DC lsl src)" \
		"$(lsl_sorted DC lsl "$B/r1")"
	expect_eq "$R: rclone's objects: duet sees their MD5" "$(DC md5sum src | LC_ALL=C sort)" \
		"$(DC md5sum "$B/r1" | LC_ALL=C sort)"
	expect_eq "$R: duet's objects: rclone sees their mtimes" "$(lsl_sorted RC lsl src)" \
		"$(lsl_sorted RC lsl "$B/t1")"
	# 3b. store to store across roots: the server copies (a second
	# bucket/container); move removes the sources; bytes, mtimes, MD5s kept
	expect_rc "$R: copy to another bucket" 0 DC copy "$B/t1" "$R:bk2/c" -vv
	expect_grep "$R: copied on the server" "Copied on the server" "$T/err"
	expect_eq "$R: server copy: mtimes and sizes" "$(lsl_sorted DC lsl src)" "$(lsl_sorted DC lsl "$R:bk2/c")"
	expect_eq "$R: server copy: MD5s" "$(DC md5sum src | LC_ALL=C sort)" \
		"$(DC md5sum "$R:bk2/c" | LC_ALL=C sort)"
	expect_rc "$R: move across roots" 0 DC move "$R:bk2/c" "$R:bk2/m" -vv
	expect_grep "$R: moved on the server" "Copied on the server" "$T/err"
	expect_eq "$R: move: the sources are gone" "" "$(DC lsf -R --files-only "$R:bk2/c")"
	expect_eq "$R: move: all arrived" "$(lsl_sorted DC lsl src)" "$(lsl_sorted DC lsl "$R:bk2/m")"
	# 4. no change: nothing moves; then sync deletes what went away
	expect_rc "$R: second copy" 0 DC copy src "$B/t1" -v
	expect_grep "$R: second copy transfers nothing" "There was nothing to transfer" "$T/err"
	mkdir -p "s-$R"; cp -a src/. "s-$R/"
	rm "s-$R/a+b.txt" "s-$R/what?.txt"
	mkfile "s-$R/new.txt" "new" "2022-02-02 02:02:02"
	expect_rc "$R: sync with deletes" 0 DC sync "s-$R" "$B/t1"
	expect_eq "$R: after sync: as the source" "$(lsl_sorted DC lsl "s-$R")" "$(lsl_sorted DC lsl "$B/t1")"
	# 5. check, then a change made behind duet's back
	expect_rc "$R: check equal" 0 DC check "s-$R" "$B/t1"
	printf 'changed!' >"$T/chg"; touch -d "2022-02-02 02:02:02" "$T/chg"
	RC copyto "$T/chg" "$B/t1/new.txt" 2>/dev/null
	expect_rc "$R: check finds the changed object" 1 DC check "s-$R" "$B/t1"
	expect_grep "$R: check names it" "new.txt" "$T/err"
	# 6. bisync local <-> store: resync, a conflict, a delete each way
	mkdir -p "b-$R"; cp -a src/. "b-$R/"
	expect_rc "$R: bisync --resync" 0 DC bisync "b-$R" "$B/bi" --resync --workdir "$T/wd-$R"
	mkfile "b-$R/plain.txt" "local edit" "2023-01-01 00:00:00"
	mkfile "$T/remote-edit" "remote edit" "2023-01-02 00:00:00"
	RC copyto "$T/remote-edit" "$B/bi/plain.txt" 2>/dev/null
	rm "b-$R/100%.txt"
	RC deletefile "$B/bi/hash#tag.txt" 2>/dev/null
	expect_rc "$R: bisync with a conflict and deletes" 0 DC bisync "b-$R" "$B/bi" --workdir "$T/wd-$R"
	expect_eq "$R: both sides agree after bisync" "$(lsl_sorted DC lsl "b-$R")" "$(lsl_sorted DC lsl "$B/bi")"
	check "$R: both versions kept (conflict1/2)" test -f "b-$R/plain.txt.conflict1" -a -f "b-$R/plain.txt.conflict2"
	check "$R: local delete reached the store" test "$(DC lsf "$B/bi" --files-only --include '100%.txt')" = ""
	check "$R: store delete reached local" test ! -e "b-$R/hash#tag.txt"
	expect_rc "$R: bisync again: nothing to do" 0 DC bisync "b-$R" "$B/bi" --workdir "$T/wd-$R" -v
	expect_no_grep "$R: no copy on the quiet run" "Copied" "$T/err"
done

# 6b. S3: a no-change bisync takes unchanged objects' metadata from the
# stored listing (no HEAD each); what changed since is still seen: an
# mtime set by rclone (a copy onto itself), and with --compare checksum
# new bytes of the same size and time.
mkdir -p k3; cp -a src/. k3/
expect_rc "s3 known: bisync --resync" 0 DC bisync k3 s3:bkt/k3 --resync --workdir "$T/wd-k3" --compare size,modtime,checksum
sleep 2.1 # the uploads fall more than the margin (1 s) before the next listing
expect_rc "s3 known: first run" 0 DC bisync k3 s3:bkt/k3 --workdir "$T/wd-k3" --compare size,modtime,checksum -vv
expect_grep "s3 known: objects uploaded by the resync are read with HEADs" "[1-9][0-9]* of them needed a HEAD" "$T/err"
expect_rc "s3 known: quiet run" 0 DC bisync k3 s3:bkt/k3 --workdir "$T/wd-k3" --compare size,modtime,checksum -vv
expect_grep "s3 known: the stored listing serves" "Path2: objects unchanged since the stored listing" "$T/err"
expect_grep "s3 known: listings were made" "entries, 0 of them needed a HEAD" "$T/err"
expect_no_grep "s3 known: no HEAD of an unchanged object" "[1-9][0-9]* of them needed a HEAD" "$T/err"
RC touch -t 2001-02-03T04:05:06 "s3:bkt/k3/plain.txt" 2>/dev/null
printf 'SPACE' >"$T/same"; touch -r "k3/with space.txt" "$T/same"
RC copyto --ignore-times "$T/same" "s3:bkt/k3/with space.txt" 2>/dev/null
expect_rc "s3 known: bisync after changes behind its back" 0 DC bisync k3 s3:bkt/k3 --workdir "$T/wd-k3" --compare size,modtime,checksum
expect_eq "s3 known: the new mtime came" "2001-02-03 04:05:06.000000000 +0000" "$(stat -c %y k3/plain.txt)"
expect_eq "s3 known: the new bytes came" "SPACE" "$(cat "k3/with space.txt")"

# 7. wrong credentials: one line naming the way out, exit 1, no secret
BADKEY="$(head -c 64 /dev/urandom | base64 -w0)" # well-formed, not the account's
DC config create bads3 s3 provider Other access_key_id S3RVER secret_access_key "WRONG-$SECRET_S3-WRONG" \
	endpoint "$(cat "$T/s3/endpoint")" region us-east-1 force_path_style true >/dev/null
DC config create badaz azureblob account devstoreaccount1 key "$BADKEY" \
	endpoint "$(cat "$T/az/endpoint")" >/dev/null
for R in bads3 badaz; do
	expect_rc "$R: wrong credentials: exit 1" 1 DC lsl "$R:bkt"
	expect_grep "$R: says the credentials are refused" "[Aa]uth\|[Dd]enied\|[Ss]ignature\|[Ff]orbidden" "$T/err"
	expect_no_grep "$R: no secret in the message" "WRONG-$SECRET_S3-WRONG\|$BADKEY" "$T/err"
	expect_rc "$R: bisync with wrong credentials: exit 1, nothing changed" 1 DC bisync src "$R:bkt/x" --resync --workdir "$T/wd-bad"
	expect_no_grep "$R: bisync: no secret in the output" "WRONG-$SECRET_S3-WRONG\|$BADKEY" "$T/err"
done
expect_rc "unknown bucket" 3 DC lsl s3:nosuchbucket

# 8. the server killed during a large upload: nothing partial visible,
# the next run completes.
head -c $((24 * 1024 * 1024)) /dev/urandom >big.bin
for R in s3 az; do
	B=$R:bkt
	# --bwlimit makes the upload last ~6 s; the server dies 1.5 s in.
	DC copyto big.bin "$B/big/big.bin" --transfers 1 --bwlimit 4M --low-level-retries 2 \
		--retries 1 >"$T/kill.out" 2>&1 &
	pid=$!
	sleep 1.5
	if [ $R = s3 ]; then sh "$SERVERS/s3rver.sh" stop "$T/s3"; else sh "$SERVERS/azurite.sh" stop "$T/az"; fi
	wait $pid; rc=$?
	check "$R: upload fails when the server dies (exit $rc)" test "$rc" != 0
	if [ $R = s3 ]; then start_s3; else start_az; fi
	expect_eq "$R: after restart: nothing partial visible" "" "$(DC lsf "$B/big" 2>/dev/null)"
	# The dead server could not take the abort: the parts of that upload
	# stay in the store (invisible, as S3's are) until a lifecycle rule
	# or a cleanup removes them. A failure the server hears is aborted
	# (test_s3's t_multipart checks that nothing is left then).
	expect_rc "$R: the next run completes" 0 DC copyto big.bin "$B/big/big.bin"
	expect_eq "$R: and the object is whole" "$(md5sum <big.bin | cut -d' ' -f1)" \
		"$(DC md5sum "$B/big" | cut -d' ' -f1)"
	expect_eq "$R: rclone agrees on the MD5" "$(md5sum <big.bin | cut -d' ' -f1)" \
		"$(RC md5sum "$B/big" | cut -d' ' -f1)"
done

# 8b. cleanup: the S3 upload the dead server could not abort is still
# there (its parts under s3rver's uploads directory). A young one may be
# running and stays; once it is older than a day cleanup aborts it, only
# below the path given, and --dry-run only says so.
up=$(find "$T/s3/data/bkt" -maxdepth 1 -type d -name '*uploads' | head -n 1)
check "s3: the killed upload left its parts" test -n "$up" -a -n "$(ls "$up" 2>/dev/null)"
expect_rc "s3: cleanup" 0 DC cleanup s3:bkt -v
expect_grep "s3: cleanup leaves a young upload alone" "younger than the cut-off" "$T/err"
expect_grep "s3: cleanup aborted none" "aborted 0 unfinished" "$T/err"
[ -n "$up" ] && touch -d "2 days ago" "$up"/*
expect_rc "s3: cleanup of another path" 0 DC cleanup s3:bkt/elsewhere
expect_grep "s3: another path: none of its uploads" "aborted 0 unfinished" "$T/err"
expect_rc "s3: cleanup --dry-run" 0 DC cleanup s3:bkt --dry-run
expect_grep "s3: cleanup --dry-run names the upload" "big/big.bin: Skipped abort" "$T/err"
check "s3: after --dry-run the parts are still there" test -n "$(ls "$up" 2>/dev/null)"
expect_rc "s3: cleanup of a stale upload" 0 DC cleanup s3:bkt
expect_grep "s3: cleanup aborted it" "aborted [1-9][0-9]* unfinished" "$T/err"
check "s3: no upload left" test -z "$(ls "$up" 2>/dev/null)"
expect_rc "azure: cleanup has nothing to do" 0 DC cleanup az:bkt
expect_grep "azure: cleanup says why" "Azure discards the uncommitted blocks" "$T/err"
mkfile "src/sub dir/x.txt.0badf00d.partial" "left by a killed run" "2020-01-01 00:00:00"
expect_rc "local: cleanup" 0 DC cleanup src
expect_grep "local: cleanup deletes a stale temp file" "deleted 1 temporary file" "$T/err"
check "local: the temp file is gone" test ! -e "src/sub dir/x.txt.0badf00d.partial"

# 9. bisync s3 <-> azure
expect_rc "s3<->azure: seed s3" 0 DC copy src s3:bkt/x2
expect_rc "s3<->azure: bisync --resync" 0 DC bisync s3:bkt/x2 az:bkt/x2 --resync --workdir "$T/wd-x"
expect_rc "s3<->azure: bisync" 0 DC bisync s3:bkt/x2 az:bkt/x2 --workdir "$T/wd-x"
expect_eq "s3<->azure: the same files, times and sizes" "$(lsl_sorted DC lsl s3:bkt/x2)" \
	"$(lsl_sorted DC lsl az:bkt/x2)"
expect_eq "s3<->azure: the same MD5s" "$(DC md5sum s3:bkt/x2 | LC_ALL=C sort)" \
	"$(DC md5sum az:bkt/x2 | LC_ALL=C sort)"
expect_rc "s3<->azure: a delete on azure" 0 DC deletefile "az:bkt/x2/plain.txt"
expect_rc "s3<->azure: bisync" 0 DC bisync s3:bkt/x2 az:bkt/x2 --workdir "$T/wd-x"
expect_eq "s3<->azure: the delete reached s3" "" "$(DC lsf s3:bkt/x2 --files-only --include plain.txt)"
# the same account under other credentials (a key, a SAS): the bytes
# stream through this machine instead
expect_rc "azure: copy across credentials" 0 DC copy az:bkt/t1 azk:bk3/k -vv
expect_no_grep "azure: across credentials: streamed" "Copied on the server" "$T/err"
expect_eq "azure: across credentials: the same MD5s" "$(DC md5sum az:bkt/t1 | LC_ALL=C sort)" \
	"$(DC md5sum azk:bk3/k | LC_ALL=C sort)"
# a blob with no mtime metadata (put by another tool): its time is its
# Last-Modified, which a server copy does not keep; duet sets it after
sas=$(python3 "$SERVERS/mksas.py" "$(cat "$T/az/endpoint")" "$(cat "$T/az/account")" "$(cat "$T/az/key")")
curl -sf -X PUT -H "x-ms-blob-type: BlockBlob" --data-binary "plain bytes" \
	"${sas%%\?*}/bkt/raw/r.txt?${sas#*\?}" >/dev/null
sleep 1.1
expect_rc "azure: server copy of a blob without mtime metadata" 0 DC copy az:bkt/raw az:bk2/raw -vv
expect_grep "azure: without metadata: copied on the server" "Copied on the server" "$T/err"
expect_eq "azure: without metadata: the source's time kept" "$(DC lsl az:bkt/raw)" "$(DC lsl az:bk2/raw)"
# account-key remote reads what the SAS remote wrote
expect_eq "azure: key and SAS remotes see the same" "$(lsl_sorted DC lsl az:bkt/x2)" "$(lsl_sorted DC lsl azk:bkt/x2)"

done_testing
