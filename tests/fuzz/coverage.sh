#!/bin/sh
# Line coverage of the fuzz corpora: builds the harnesses with clang's
# source-based coverage into build/fuzz-cov/, replays build/fuzz/work_* (or
# the seeds in tests/fuzz/corpus_*), and prints llvm-cov's report per file.
#   sh tests/fuzz/coverage.sh [rpc|cal]...
set -e
cd "$(dirname "$0")/../.."
PKGS="libevent libevent_openssl jansson sqlite3 libcrypto libssl"
CFLAGS="-std=c11 -D_GNU_SOURCE -O1 -g -fprofile-instr-generate -fcoverage-mapping \
 -fsanitize=fuzzer-no-link $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lm"
out=build/fuzz-cov
mkdir -p "$out"
make --no-print-directory build/holidays.c >/dev/null
objs() { # sources...
	for f in "$@"; do
		o="$out/$(echo "$f" | tr / _).o"
		clang $CFLAGS -c "$f" -o "$o"
		echo "$o"
	done
}
lib=$(objs lib/*.c build/holidays.c)
daemon=$(objs $(ls daemon/*.c | grep -v -e daemon/main.c -e daemon/server.c -e daemon/conn.c))
for t in ${*:-rpc cal}; do
	h=$(objs "tests/fuzz/fuzz_$t.c")
	if [ "$t" = rpc ]; then extra=$daemon; else extra=; fi
	clang -fprofile-instr-generate -fsanitize=fuzzer -o "$out/fuzz_$t" $h $extra $lib $LIBS
	corpus=build/fuzz/work_$t
	[ -d "$corpus" ] || corpus=tests/fuzz/corpus_$t
	LLVM_PROFILE_FILE="$out/$t.profraw" "$out/fuzz_$t" -runs=0 "$corpus" >/dev/null 2>&1
	llvm-profdata merge -sparse "$out/$t.profraw" -o "$out/$t.profdata"
	echo "== fuzz_$t over $corpus"
	if [ "$t" = rpc ]; then src="daemon lib"; else src="lib/date.c lib/calendar.c lib/deadline.c lib/tz.c lib/workflow.c"; fi
	# shellcheck disable=SC2086
	llvm-cov report "$out/fuzz_$t" -instr-profile="$out/$t.profdata" $src |
	    sed 's,^/.*/main/,,'
done
