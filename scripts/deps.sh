#!/usr/bin/env bash
# deps.sh: installs what duet needs to build and test on Debian 12 (root).
# Safe to run again: apt-get skips what is already there.
set -euo pipefail
pkgs=(build-essential cmake pkg-config
      libcurl4-openssl-dev libssh2-1-dev libssl-dev liblmdb-dev libxxhash-dev
      libutf8proc-dev libexpat1-dev libcmocka-dev
      openssh-server openssh-client
      rclone rsync xxhash python3 openssl time tzdata util-linux bsdutils)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing packages: ${missing[*]}; run as root (or install them)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

# The S3 and Azure test servers (s3rver, Azurite), pinned in
# tests/servers/package-lock.json: Node from Debian when the machine has
# none, then `npm ci` once (tests/servers/common.sh does the same on
# demand, under a lock, for a suite run on its own).
servers=$(cd "$(dirname "$0")/../tests/servers" && pwd)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: node and npm are missing; run as root (or install nodejs npm)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends nodejs npm </dev/null ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm </dev/null; }
fi
if [ ! -f "$servers/node_modules/azurite/package.json" ] ||
	[ ! -f "$servers/node_modules/@20minutes/s3rver/package.json" ]; then
	(cd "$servers" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
fi
