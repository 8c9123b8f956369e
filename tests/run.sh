#!/bin/sh
# Runs the unit test binaries given as arguments, then every integration
# test under tests/integration/ (JOBS at a time, default 2), and ends with
# "N passed, M failed". OGID and OGI name the binaries under test.
log=$(mktemp -d /tmp/ogi-check.XXXXXX)
jobs=${JOBS:-2}

# run_one NAME COMMAND...: output to $log/NAME.out, status to $log/NAME.rc
run_one() {
	name=$(echo "$1" | tr '/' '_')
	shift
	start=$(date +%s)
	"$@" >"$log/$name.out" 2>&1
	echo "$? $(($(date +%s) - start))" >"$log/$name.rc"
}

for t in "$@"; do
	run_one "$t" "$t"
done
ls tests/integration/test_*.py 2>/dev/null | while read -r t; do
	echo "$t"
done | xargs -P "$jobs" -I{} sh -c '
	name=$(echo "{}" | tr "/" "_")
	start=$(date +%s)
	timeout 300 python3 "{}" >"'"$log"'/$name.out" 2>&1
	echo "$? $(($(date +%s) - start))" >"'"$log"'/$name.rc"'

. tests/tap.sh
for t in "$@" $(ls tests/integration/test_*.py 2>/dev/null); do
	name=$(echo "$t" | tr '/' '_')
	read -r rc secs <"$log/$name.rc"
	tap_count "$t" "$rc" "$log/$name.out" "${secs}s"
done
rm -rf "$log"
tap_summary
