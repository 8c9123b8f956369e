#!/bin/sh
# Runs the unit test binaries given as arguments, then every integration
# test under tests/integration/, and ends with "N passed, M failed".
# OGID and OGI name the binaries under test.
passed=0
failed=0
log=$(mktemp -d /tmp/ogi-check.XXXXXX)
run_one() { # name command...
	name=$1
	shift
	out="$log/$(echo "$name" | tr '/' '_').out"
	"$@" >"$out" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$out"
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name ran no test" >>"$out"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		echo "FAIL $name ($p passed, $f failed)"
		grep -B2 -A12 '^not ok' "$out" | head -80
		tail -20 "$out"
	else
		echo "ok   $name ($p passed)"
	fi
}
for t in "$@"; do
	run_one "$t" "$t"
done
for t in tests/integration/test_*.py; do
	[ -f "$t" ] || continue
	run_one "$t" timeout 300 python3 "$t"
done
rm -rf "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
