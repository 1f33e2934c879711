#!/bin/sh
# sshd.sh: a throwaway OpenSSH server on 127.0.0.1 for the SFTP backend's
# tests (see /work/shared/reference/test-servers.md, section 2).
#
#   sshd.sh start DIR   keys, config and sshd under DIR (absolute or not);
#                       writes DIR/port, DIR/clientkey (ed25519, no
#                       passphrase), DIR/known_hosts, DIR/user,
#                       DIR/password, DIR/sshd.pid, DIR/sshd.log
#   sshd.sh stop DIR    stops the sshd of DIR (by its pid) and waits
#
# Logins: root with DIR/clientkey (PermitRootLogin prohibit-password), and
# the test user (DIR/user, created if missing, password DIR/password) with
# that key or the password. Must run as root. Nothing in /etc/ssh is used.
#
# The same sshd also listens on 127.0.0.2, where every SFTP session is a
# hostile fake server (DIR/hostile_sftp.py): its directory /hostile lists
# names no real filesystem has ("a/b", "x<NUL>y", "", "../../etc") and
# /hostile/long one name of 5000 bytes.
set -eu

TEST_USER=duetsftp
TEST_PASS=duet-sftp-Test-1

die() { echo "sshd.sh: $*" >&2; exit 1; }

# A minimal SFTP v3 server whose listings are hostile (see above).
hostile() {
	cat <<'PYEOF'
import os, struct, sys
if os.environ.get("SSH_ORIGINAL_COMMAND") not in ("internal-sftp", "sftp"):
    sys.exit(1)  # commands (exec) are not served
inp, out = sys.stdin.buffer, sys.stdout.buffer
def rd(n):
    b = b""
    while len(b) < n:
        c = inp.read(n - len(b))
        if not c:
            sys.exit(0)
        b += c
    return b
def send(t, rid, payload):
    body = bytes([t]) + (struct.pack(">I", rid) if rid is not None else b"") + payload
    out.write(struct.pack(">I", len(body)) + body)
    out.flush()
def s(b):
    return struct.pack(">I", len(b)) + b
def attrs(d, size=3):
    return struct.pack(">IQIII", 13, size, (0o40755 if d else 0o100644), 1600000000, 1600000000)
def status(rid, code):
    send(101, rid, struct.pack(">I", code) + s(b"") + s(b""))
DIRS = {b"/hostile": b"h", b"/hostile/long": b"l"}
NAMES = {b"h": [b".", b"..", b"ok", b"a/b", b"x\x00y", b"", b"..", b"../../etc", b"new\nline"],
         b"l": [b"L" * 5000]}
sent = set()
while True:
    n = struct.unpack(">I", rd(4))[0]
    body = rd(n)
    t = body[0]
    if t == 1:
        send(2, None, struct.pack(">I", 3))
        continue
    rid = struct.unpack(">I", body[1:5])[0]
    arg = body[9:9 + struct.unpack(">I", body[5:9])[0]] if len(body) >= 9 else b""
    if t == 16:
        send(104, rid, struct.pack(">I", 1) + s(b"/hostile") + s(b"") + attrs(True))
    elif t in (7, 17):
        if arg in DIRS:
            send(105, rid, attrs(True))
        else:
            status(rid, 2)
    elif t == 11:
        if arg in DIRS:
            send(102, rid, s(DIRS[arg]))
        else:
            status(rid, 2)
    elif t == 12:
        if arg in sent:
            status(rid, 1)
        else:
            sent.add(arg)
            names = NAMES.get(arg, [])
            p = struct.pack(">I", len(names))
            for nm in names:
                p += s(nm) + s(nm) + attrs(nm in (b".", b".."))
            send(104, rid, p)
    elif t == 4:
        sent.discard(arg)
        status(rid, 0)
    else:
        status(rid, 8)
PYEOF
}

start() {
	D=$1
	[ "$(id -u)" = 0 ] || die "must run as root"
	if [ ! -x /usr/sbin/sshd ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=600 \
			openssh-server >/dev/null || die "cannot install openssh-server"
	fi
	mkdir -p "$D"
	D=$(cd "$D" && pwd)
	chmod 0755 "$D"            # the test user reads authorized_keys here
	mkdir -p /run/sshd && chmod 0755 /run/sshd
	[ -f "$D/hostkey_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C duet-test-host -f "$D/hostkey_ed25519"
	[ -f "$D/clientkey" ] || ssh-keygen -q -t ed25519 -N '' -C duet-test-client -f "$D/clientkey"
	cp "$D/clientkey.pub" "$D/authorized_keys"
	chmod 0644 "$D/authorized_keys"
	# Several test suites may start servers at once: a useradd that lost
	# the race to another is fine, and chpasswd is retried.
	if ! id "$TEST_USER" >/dev/null 2>&1; then
		useradd -M -d /nonexistent -s /bin/sh "$TEST_USER" 2>/dev/null ||
			id "$TEST_USER" >/dev/null 2>&1 || die "useradd $TEST_USER failed"
	fi
	# A password also unlocks the account for key logins (UsePAM no).
	i=0
	until echo "$TEST_USER:$TEST_PASS" | chpasswd 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 20 ] || die "chpasswd $TEST_USER failed"
		sleep 0.2
	done
	echo "$TEST_USER" >"$D/user"
	echo "$TEST_PASS" >"$D/password"
	hostile >"$D/hostile_sftp.py"

	tries=0
	while :; do
		tries=$((tries + 1))
		[ $tries -le 20 ] || die "no free port found"
		# A random port from 20000-59999; taken ones fail to bind below.
		port=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 + 20000 ))
		cat >"$D/sshd_config" <<EOF
ListenAddress 127.0.0.1
ListenAddress 127.0.0.2
Port $port
HostKey $D/hostkey_ed25519
PidFile $D/sshd.pid
AuthorizedKeysFile $D/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
MaxSessions 64
MaxStartups 64:30:128
Subsystem sftp internal-sftp
LogLevel VERBOSE
Match LocalAddress 127.0.0.2
	ForceCommand /usr/bin/python3 $D/hostile_sftp.py
EOF
		/usr/sbin/sshd -t -f "$D/sshd_config" || die "sshd rejects the config"
		: >"$D/sshd.log"
		/usr/sbin/sshd -D -e -f "$D/sshd_config" </dev/null >/dev/null 2>"$D/sshd.log" &
		pid=$!
		i=0
		while [ $i -lt 200 ]; do
			if grep -q "Server listening on 127.0.0.1 port $port" "$D/sshd.log"; then
				echo "$pid" >"$D/sshd.pid"
				echo "$port" >"$D/port"
				ssh-keygen -q -y -f "$D/hostkey_ed25519" |
					sed "s/^/[127.0.0.1]:$port /" >"$D/known_hosts"
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
			i=$((i + 1))
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		grep -q -e "Address already in use" -e "Cannot bind" "$D/sshd.log" ||
			die "sshd did not start: $(tail -n 3 "$D/sshd.log")"
	done
}

stop() {
	D=$1
	[ -f "$D/sshd.pid" ] || return 0
	pid=$(cat "$D/sshd.pid")
	# Its session processes (children) outlive it otherwise.
	for p in /proc/[0-9]*; do
		if [ "$(awk '/^PPid:/ {print $2}' "$p/status" 2>/dev/null)" = "$pid" ]; then
			kill "${p#/proc/}" 2>/dev/null || true
		fi
	done
	kill "$pid" 2>/dev/null || true
	# The orphaned sshd is reaped by PID 1, sometimes slowly: done once it
	# is gone or a zombie.
	i=0
	while [ $i -lt 100 ] && [ -d "/proc/$pid" ] &&
		! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	rm -f "$D/sshd.pid"
}

case "${1:-}" in
start) [ $# -eq 2 ] || die "usage: sshd.sh start DIR"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: sshd.sh stop DIR"; stop "$2" ;;
*) die "usage: sshd.sh start|stop DIR" ;;
esac
