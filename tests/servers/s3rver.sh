#!/bin/sh
# s3rver.sh: a throwaway S3 server on 127.0.0.1 for duet's S3 backend tests:
# @20minutes/s3rver 4.0.4, which verifies SigV4 signatures (see README.md
# and /work/shared/reference/test-servers.md, section 3c).
#
#   s3rver.sh start DIR [BUCKET]  serves the objects under DIR/data on a free
#                                 port; BUCKET is created if given. Writes
#                                 DIR/port, DIR/pid, DIR/log, DIR/endpoint
#                                 (http://127.0.0.1:PORT), DIR/access_key and
#                                 DIR/secret_key (both S3RVER)
#   s3rver.sh stop DIR            stops the server of DIR and waits for it
#
# Installs node (apt) and the pinned packages (npm ci here) if missing.
# Requests must be path style (http://127.0.0.1:PORT/BUCKET/KEY), signed
# with region us-east-1 (any region is accepted) or anonymous.
set -eu

SERVERS=$(cd "$(dirname "$0")" && pwd)
READY_SECS=${S3RVER_READY_SECS:-30}

die() { echo "s3rver.sh: $*" >&2; exit 1; }

. "$SERVERS/common.sh"

start() {
	D=$1 bucket=${2:-}
	servers_install @20minutes/s3rver
	mkdir -p "$D/data"
	D=$(cd "$D" && pwd)
	if [ -f "$D/pid" ] && kill -0 "$(cat "$D/pid")" 2>/dev/null; then
		die "a server already runs for $D (pid $(cat "$D/pid"))"
	fi
	: >"$D/log"
	# DES continuation tokens need OpenSSL's legacy provider on Node >= 17.
	node --openssl-legacy-provider "$SERVERS/start-s3.js" 0 "$D/data" ${bucket:+"$bucket"} \
		</dev/null >"$D/log" 2>&1 &
	pid=$!
	line=$(servers_wait_ready "$pid" "$D/log" "$READY_SECS" '^READY ')
	port=${line##*:}
	case $port in
	'' | *[!0-9]*) kill "$pid" 2>/dev/null; die "bad ready line: $line" ;;
	esac
	echo "$pid" >"$D/pid"
	echo "$port" >"$D/port"
	echo "http://127.0.0.1:$port" >"$D/endpoint"
	echo S3RVER >"$D/access_key"
	echo S3RVER >"$D/secret_key"
}

case "${1:-}" in
start)
	[ $# -eq 2 ] || [ $# -eq 3 ] || die "usage: s3rver.sh start DIR [BUCKET]"
	start "$2" "${3:-}"
	;;
stop)
	[ $# -eq 2 ] || die "usage: s3rver.sh stop DIR"
	servers_stop "$2/pid" start-s3.js
	;;
*) die "usage: s3rver.sh start DIR [BUCKET] | stop DIR" ;;
esac
