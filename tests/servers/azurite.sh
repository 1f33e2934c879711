#!/bin/sh
# azurite.sh: a throwaway Azure Blob server on 127.0.0.1 for duet's Azure
# backend tests: Azurite 3.35.0's blob service, which validates SharedKey
# and SAS signatures (see README.md and
# /work/shared/reference/test-servers.md, section 4).
#
#   azurite.sh start DIR   serves on a free port with its data under
#                          DIR/data (AZURITE_IN_MEMORY=1: in memory).
#                          Writes DIR/port, DIR/pid, DIR/log, DIR/endpoint
#                          (http://127.0.0.1:PORT/devstoreaccount1),
#                          DIR/account and DIR/key (the well-known dev
#                          account). AZURITE_DEBUG=1 also writes
#                          DIR/debug.log, which shows the string to sign.
#   azurite.sh stop DIR    stops the server of DIR and waits for it
#
# Installs node (apt) and the pinned packages (npm ci here) if missing.
set -eu

SERVERS=$(cd "$(dirname "$0")" && pwd)
READY_SECS=${AZURITE_READY_SECS:-60}
ACCOUNT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

die() { echo "azurite.sh: $*" >&2; exit 1; }

. "$SERVERS/common.sh"

start() {
	D=$1
	servers_install azurite
	mkdir -p "$D"
	D=$(cd "$D" && pwd)
	if [ -f "$D/pid" ] && kill -0 "$(cat "$D/pid")" 2>/dev/null; then
		die "a server already runs for $D (pid $(cat "$D/pid"))"
	fi
	if [ "${AZURITE_IN_MEMORY:-0}" = 1 ]; then
		set -- --inMemoryPersistence
	else
		mkdir -p "$D/data"
		set -- --location "$D/data"
	fi
	if [ "${AZURITE_DEBUG:-0}" = 1 ]; then
		set -- "$@" --debug "$D/debug.log"
	fi
	: >"$D/log"
	node "$SERVERS/node_modules/azurite/dist/src/blob/main.js" \
		--blobHost 127.0.0.1 --blobPort 0 --disableTelemetry --silent "$@" \
		</dev/null >"$D/log" 2>&1 &
	pid=$!
	line=$(servers_wait_ready "$pid" "$D/log" "$READY_SECS" \
		'successfully listens on http://127\.0\.0\.1:[0-9]+')
	port=$(printf '%s\n' "$line" | sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\).*|\1|p')
	case $port in
	'' | *[!0-9]*) kill "$pid" 2>/dev/null; die "bad ready line: $line" ;;
	esac
	echo "$pid" >"$D/pid"
	echo "$port" >"$D/port"
	echo "http://127.0.0.1:$port/$ACCOUNT" >"$D/endpoint"
	echo "$ACCOUNT" >"$D/account"
	echo "$KEY" >"$D/key"
}

case "${1:-}" in
start)
	[ $# -eq 2 ] || die "usage: azurite.sh start DIR"
	start "$2"
	;;
stop)
	[ $# -eq 2 ] || die "usage: azurite.sh stop DIR"
	servers_stop "$2/pid" azurite/dist/src/blob/main.js
	;;
*) die "usage: azurite.sh start DIR | stop DIR" ;;
esac
