# Sourced by tests/run.sh and tests/stress/run.sh: counting TAP output.
# tap_count NAME RC FILE [NOTE]: add the "ok"/"not ok" lines of FILE to
# $passed and $failed (a non-zero RC or no test at all counts as a failure)
# and print one line for NAME, with the failures when there are any.
passed=0
failed=0

tap_count() {
	p=$(grep -c '^ok ' "$3")
	f=$(grep -c '^not ok ' "$3")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $1 exited with status $2" >>"$3"
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $1 ran no test" >>"$3"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		echo "FAIL $1 ($p passed, $f failed${4:+, $4})"
		grep -B2 -A12 '^not ok' "$3" | head -80
		tail -20 "$3"
	else
		echo "ok   $1 ($p passed${4:+, $4})"
	fi
}

# The closing line; exit status 0 only if nothing failed.
tap_summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
