# common.sh: what s3rver.sh and azurite.sh share (sourced, not run):
# installing Node and the pinned npm packages on demand, waiting for a
# server's ready line in its log, and stopping a server by its pid.
# Callers set SERVERS (this directory) and define die().

# Installs node/npm from Debian when node is missing, then the packages of
# package-lock.json (npm ci) when node_modules lacks $1 (a package dir).
# A lock keeps parallel test suites from installing at the same time.
servers_install() {
	pkg=$1
	if ! command -v node >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || die "node is missing (apt-get install nodejs npm)"
		export DEBIAN_FRONTEND=noninteractive
		apt-get -o DPkg::Lock::Timeout=600 install -y nodejs npm >/dev/null 2>&1 || {
			apt-get -o DPkg::Lock::Timeout=600 update >/dev/null 2>&1
			apt-get -o DPkg::Lock::Timeout=600 install -y nodejs npm >/dev/null ||
				die "cannot install nodejs and npm"
		}
	fi
	[ -f "$SERVERS/node_modules/$pkg/package.json" ] && return 0
	command -v npm >/dev/null 2>&1 || die "npm is missing (apt-get install npm)"
	lock=${TMPDIR:-/tmp}/duet-test-servers-npm.lock
	(
		if command -v flock >/dev/null 2>&1; then
			flock -w 900 9 || exit 1
		fi
		# Another suite may have finished the install while we waited.
		[ -f "$SERVERS/node_modules/$pkg/package.json" ] && exit 0
		cd "$SERVERS" && npm ci --no-audit --no-fund >"${TMPDIR:-/tmp}/duet-npm-ci.log" 2>&1
	) 9>"$lock" || die "npm ci in $SERVERS failed: $(tail -n 5 "${TMPDIR:-/tmp}/duet-npm-ci.log" 2>/dev/null)"
}

# Waits up to $3 seconds for the log $2 of process $1 to match the
# extended regex $4. Prints the first matching line; dies with the log's
# tail if the process exits or the time runs out.
servers_wait_ready() {
	pid=$1 log=$2 secs=$3 re=$4
	i=0
	while [ $i -lt $((secs * 20)) ]; do
		line=$(grep -E -m 1 "$re" "$log" 2>/dev/null || true)
		if [ -n "$line" ]; then
			printf '%s\n' "$line"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null || true
			die "server exited before it was ready; log $log ends:
$(tail -n 15 "$log")"
		fi
		sleep 0.05
		i=$((i + 1))
	done
	kill "$pid" 2>/dev/null || true
	die "server not ready after ${secs}s; log $log ends:
$(tail -n 15 "$log")"
}

# Stops the server whose pid is in file $1 and waits (up to 10 s) until it
# is gone or a zombie (an orphan is reaped by PID 1, sometimes slowly).
# The pid is only signalled while its command line contains $2, so a stale
# pid file never hits an unrelated process that got the pid since.
servers_stop() {
	pidfile=$1 what=$2
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$what"; then
		rm -f "$pidfile"
		return 0
	fi
	kill "$pid" 2>/dev/null || true
	i=0
	while [ $i -lt 200 ] && [ -d "/proc/$pid" ] &&
		! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	if [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
}
