#!/usr/bin/env bash
# sftp.sh DUET: rclone's golden bisync scenarios with one or both roots on
# SFTP. Starts OpenSSH's sshd on loopback (backends/sftp/sshd.sh), defines
# the remote "srv" (root with a key, the server's host key pinned) in a
# config file of its own, and runs golden.py twice: local<->sftp over every
# case, sftp<->sftp over a set of them. The server sees this machine's
# files, so the scenarios' own file operations stay local. Runs as root.
set -euo pipefail
duet=$(realpath "${1:?usage: sftp.sh DUET [golden.py args]}")
shift
here=$(cd "$(dirname "$0")" && pwd)
sshd="$here/../../backends/sftp/sshd.sh"
d=$(mktemp -d /tmp/duet-golden-sftp.XXXXXX)
trap 'sh "$sshd" stop "$d/srv" >/dev/null 2>&1 || true; rm -rf "$d"' EXIT
sh "$sshd" start "$d/srv"
cat >"$d/duet.conf" <<CONF
[srv]
type = sftp
host = 127.0.0.1
port = $(cat "$d/srv/port")
user = root
key_file = $d/srv/clientkey
known_hosts_file = $d/srv/known_hosts
CONF
# sftp<->sftp: both sides' listings, copies both ways through the
# server, conflicts, backups, check-access, filters, odd names.
both=all_changed,backupdir,basic,changes,check_access,dry_run,extended_filenames
both=$both,filters,max_delete_path1,normalization,resolve,rmdirs
rc=0
echo "== local <-> sftp (every case)"
python3 "$here/golden.py" --duet "$duet" --remote2 srv: --config "$d/duet.conf" "$@" || rc=1
echo "== sftp <-> sftp ($both)"
python3 "$here/golden.py" --duet "$duet" --remote1 srv: --remote2 srv: --config "$d/duet.conf" \
	--case "$both" "$@" || rc=1
exit $rc
