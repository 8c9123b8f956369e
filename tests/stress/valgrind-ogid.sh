#!/bin/sh
# Run ogid under valgrind for the integration tests, which exec $OGID
# directly:  OGID=tests/stress/valgrind-ogid.sh python3 tests/integration/...
# Valgrind's report goes to ogid's stderr (the test's ogid.log), and errors
# (definite and possible leaks included) make the exit status 99, which
# the harness reports as a failed SIGTERM exit. VALGRIND_OGID names the
# binary (default build/ogid: the release build; the ASan one cannot run
# under valgrind).
root=$(cd "$(dirname "$0")/../.." && pwd)
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,possible --track-fds=no \
	--num-callers=30 "${VALGRIND_OGID:-$root/build/ogid}" "$@"
