#!/usr/bin/env bash
# t_config.sh: the config file and named remotes: config create, update,
# unset, delete, show, dump, file, providers; obscure/reveal checked
# against rclone; rclone.conf read as is; DUET_CONFIG_<NAME>_<KEY>
# overrides; name:path in ls, sync and bisync; bad files named with their
# line. Usage: t_config.sh /path/to/duet
. "${DUET_TEST_LIB:-$(dirname "$0")/lib.sh}"
D="$DUET"
cd "$T"
export DUET_CONFIG="$T/d.conf"
unset XDG_CONFIG_HOME

expect_rc "config file" 0 "$D" config file
expect_grep "config file says where" "$T/d.conf" "$T/out"
expect_rc "create a local remote" 0 "$D" config create here local
expect_rc "create an sftp remote" 0 "$D" config create box sftp host example.org user bob pass s3cret
expect_eq "written 0600" "600" "$(stat -c %a "$T/d.conf")"
check "no temporary file left" test "$(ls "$T" | grep -c d.conf)" = 1
expect_rc "show" 0 "$D" config show box
expect_no_grep "show keeps the password obscured" "s3cret" "$T/out"
expect_no_grep "never in clear" "s3cret" "$T/d.conf"
pass=$(sed -n 's/^pass = //p' "$T/d.conf")
expect_eq "rclone reveals duet's obscured password" "s3cret" "$(rclone reveal -- "$pass")"
expect_rc "duet reveal" 0 "$D" reveal -- "$(rclone obscure 'p@ss wörd')"
expect_eq "duet reveals rclone's" "p@ss wörd" "$(cat "$T/out")"
expect_rc "duet obscure" 0 "$D" obscure hunter2
expect_eq "rclone reveals duet obscure" "hunter2" "$(rclone reveal -- "$(cat "$T/out")")"
expect_rc "reveal of garbage" 1 "$D" reveal 'not*base64'
expect_grep "says it is not obscured" "obscured" "$T/err"

# the same file read by rclone and by duet: the same dump
expect_rc "dump" 0 "$D" config dump
rclone config dump --config "$T/d.conf" >"$T/r.dump" 2>/dev/null
expect_eq "dump equals rclone's" "$(cat "$T/r.dump")" "$(cat "$T/out")"
expect_rc "update" 0 "$D" config update box port 2222
expect_grep "updated" "port = 2222" "$T/d.conf"
expect_rc "unset" 0 "$D" config unset box port
expect_no_grep "unset" "port" "$T/d.conf"
expect_rc "delete" 0 "$D" config delete box
expect_no_grep "deleted" "\[box\]" "$T/d.conf"
expect_rc "providers" 0 "$D" config providers
expect_grep "providers lists sftp" "sftp" "$T/out"
expect_rc "create of a duplicate" 1 "$D" config create here local
expect_grep "says how to change it" "config update here" "$T/err"
expect_rc "create of an unknown type" 2 "$D" config create z nosuch
expect_grep "lists the types" "local" "$T/err"

# an rclone-written file works when pointed to
rclone config create rl local --config "$T/rclone.conf" >/dev/null 2>&1
mkdir -p data/sub; mkfile data/f.txt "hello"; mkfile data/sub/g.txt "g"
expect_rc "ls through rclone.conf" 0 "$D" ls rl:data --config "$T/rclone.conf"
expect_grep "lists f.txt" "f.txt" "$T/out"

# named remotes in the commands
expect_rc "ls here:" 0 "$D" ls here:data
expect_grep "here: lists" "sub/g.txt" "$T/out"
expect_rc "sync to a named remote" 0 "$D" sync here:data here:copy
same_tree "sync through names" data copy
mkdir -p b1 b2; mkfile b1/x.txt "x"
expect_rc "bisync between names" 0 "$D" bisync here:b1 here:b2 --resync --workdir "$T/wd"
check "bisync copied" test -f b2/x.txt
DUET_CONFIG_ENVR_TYPE=local expect_rc "a remote from the environment" 0 "$D" ls envr:data
expect_rc "an unknown remote" 2 "$D" ls ghost:data
expect_grep "unknown remote names the way out" "config create ghost" "$T/err"

# bad files: one line naming the file and the line
printf '[x]\ntype = local\nbroken line\n' >bad.conf
expect_rc "a malformed line" 1 "$D" ls x:data --config bad.conf
expect_grep "names file and line" "bad.conf:3" "$T/err"
printf '[x]\ntype = local\n[x]\ntype = local\n' >dup.conf
expect_rc "a duplicate section" 1 "$D" ls x:data --config dup.conf
expect_grep "duplicate named" "dup.conf:3" "$T/err"
printf '[x]\nhost = h\n' >notype.conf
expect_rc "a remote without type" 1 "$D" ls x:data --config notype.conf
expect_grep "says to add a type" "type" "$T/err"

# listremotes: the file's remotes in order, then environment-only ones
printf '[zeta]\ntype = sftp\nhost = h\n\n[alpha-1]\ntype = local\n' >lr.conf
expect_rc "listremotes" 0 "$D" listremotes --config lr.conf
expect_eq "listremotes prints name: in file order" "$(printf 'zeta:\nalpha-1:')" "$(cat "$T/out")"
DUET_CONFIG_MY_S3_TYPE=s3 DUET_CONFIG_ZETA_TYPE=local expect_rc "listremotes --long" 0 \
	"$D" listremotes --long --config lr.conf
expect_eq "--long: types, env override, env-only remote" \
	"$(printf 'zeta:    local\nalpha-1: local\nmy_s3:   s3')" "$(cat "$T/out")"
DUET_CONFIG_ALPHA_1_TYPE=sftp expect_rc "listremotes --json" 0 "$D" listremotes --json --config lr.conf
expect_grep "--json has name, type, source" '{"name": "alpha-1", "type": "sftp", "source": "file"}' "$T/out"
expect_no_grep "an env override is not a second remote" '"alpha_1"' "$T/out"
expect_rc "listremotes without a config file" 0 "$D" listremotes --config "$T/none.conf"
expect_eq "no remotes, no output" "" "$(cat "$T/out")"

done_testing
