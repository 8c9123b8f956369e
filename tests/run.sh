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

passed=0
failed=0
for t in "$@" $(ls tests/integration/test_*.py 2>/dev/null); do
	name=$(echo "$t" | tr '/' '_')
	out="$log/$name.out"
	read -r rc secs <"$log/$name.rc"
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $t exited with status $rc" >>"$out"
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $t ran no test" >>"$out"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		echo "FAIL $t ($p passed, $f failed, ${secs}s)"
		grep -B2 -A12 '^not ok' "$out" | head -80
		tail -20 "$out"
	else
		echo "ok   $t ($p passed, ${secs}s)"
	fi
done
rm -rf "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
