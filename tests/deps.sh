#!/bin/sh
# Install exactly the missing build and test dependencies (Debian 12).
# As root: apt-get install -y for what is missing. Otherwise: print the line.
# "deps.sh build": only what building and running need (make run), not
# the tests' python3 and openssl.
missing=""
need() { # pkg-config-module-or-command debian-package
	case "$1" in
	cmd:*) command -v "${1#cmd:}" >/dev/null 2>&1 || missing="$missing $2" ;;
	*) pkg-config --exists "$1" 2>/dev/null || missing="$missing $2" ;;
	esac
}
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
command -v make >/dev/null 2>&1 || missing="$missing make"
if command -v pkg-config >/dev/null 2>&1; then
	need libevent libevent-dev
	need libevent_openssl libevent-dev
	need jansson libjansson-dev
	need sqlite3 libsqlite3-dev
	need libcrypto libssl-dev
else
	# Without pkg-config nothing can be checked: ask for all of them.
	missing="$missing libevent-dev libjansson-dev libsqlite3-dev libssl-dev"
fi
if [ "${1:-}" != build ]; then
	need cmd:python3 python3
	need cmd:openssl openssl
fi
[ -z "$missing" ] && exit 0
missing=$(echo $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q $missing >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $missing; } ||
		{ echo "deps: apt-get install failed" >&2; exit 1; }
else
	echo "deps: missing packages; run as root:" >&2
	echo "  apt-get install -y $missing" >&2
	exit 1
fi
