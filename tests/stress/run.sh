#!/bin/sh
# make stress: run each libFuzzer harness for FUZZ_TIME seconds (default
# 60) from its seed corpus, then the long tests: disk full, hostile clients
# at scale, a long crash test, and two integration files under valgrind.
# Ends with "N passed, M failed" like tests/run.sh. The ogid under test is
# STRESS_OGID (default build/ogid, the release build: RSS figures mean
# something and valgrind can run it).
FUZZ_TIME=${FUZZ_TIME:-60}
STRESS_OGID=${STRESS_OGID:-build/ogid}
. tests/tap.sh
log=build/stress
mkdir -p "$log" build/fuzz/artifacts

count() { # name rc file: tests/tap.sh, then the file's notes
	tap_count "$1" "$2" "$3" "log $3"
	grep '^# ' "$3" | grep -v '^# test_' | sed 's/^/     /'
}

fuzz() { # name corpus dict
	out="$log/$1.log"
	mkdir -p "build/fuzz/work_$2"
	echo "---- $1: ${FUZZ_TIME} s"
	"build/fuzz/$1" -max_total_time="$FUZZ_TIME" -dict="tests/fuzz/$3" \
	    -max_len=4096 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/artifacts/ \
	    "build/fuzz/work_$2" "tests/fuzz/corpus_$2" >"$out" 2>&1
	rc=$?
	stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$out" | tail -1)
	{
		if [ "$rc" -eq 0 ]; then
			echo "ok 1 - $1 ran ${FUZZ_TIME} s without a finding"
		else
			echo "not ok 1 - $1 found something (exit $rc):"
			grep -E 'ERROR|SUMMARY|fuzz_(rpc|cal):|Test unit written' "$out" |
			    head -20 | sed 's/^/#   /'
		fi
		echo "# $stats"
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
		    "$out" | sed 's/^/# /'
	} >"$out.tap"
	count "$1" 0 "$out.tap"
}

test_py() { # name command...
	name=$1
	shift
	out="$log/$(echo "$name" | sed "s,.*/,,; s,[^A-Za-z0-9_.-],_,g").out"
	echo "---- $name"
	"$@" >"$out" 2>&1
	count "$name" $? "$out"
}

fuzz fuzz_rpc rpc rpc.dict
fuzz fuzz_cal cal cal.dict
fuzz fuzz_json rpc rpc.dict
test_py tests/stress/test_diskfull.py \
    env OGID="$STRESS_OGID" timeout 300 python3 tests/stress/test_diskfull.py
test_py tests/stress/test_hostile_scale.py \
    env OGID="$STRESS_OGID" timeout 600 python3 tests/stress/test_hostile_scale.py
test_py "tests/integration/test_crash.py (30 kills)" \
    env OGID="$STRESS_OGID" CRASH_CYCLES=30 CRASH_RUN=1.5 CRASH_THREADS=16 \
    timeout 900 python3 tests/integration/test_crash.py
if command -v valgrind >/dev/null 2>&1; then
	for t in test_protocol test_timers; do
		test_py "tests/integration/$t.py under valgrind" \
		    env OGID=tests/stress/valgrind-ogid.sh VALGRIND_OGID="$STRESS_OGID" \
		    timeout 1200 python3 "tests/integration/$t.py"
	done
else
	echo "---- valgrind not installed: skipped"
fi
tap_summary
