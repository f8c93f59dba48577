#!/bin/sh
# run-regress.sh — the pg_regress suites (sql/, expected/) on throwaway
# clusters made by Debian's pg_virtualenv, which works as root too (the server
# runs as postgres; -t gives each run its own cluster directory, so runs can
# overlap).  The extension must already be installed.
#
# The suites run on a cluster that preloads pg_release, as production would;
# a second cluster without preloading checks that flags still work and that
# whatever needs shared memory says so.
set -eu
cd "$(dirname "$0")/.."

no_preload=$(sed -n 's/^REGRESS_NO_PRELOAD = //p' extension/Makefile)

fail() {
	cat extension/regression.diffs 2>/dev/null || true
	exit 1
}

# guard_interval is long: the regression database is not the worker's, but
# keep the worker quiet anyway.
pg_virtualenv -t -o wal_level=replica -o shared_preload_libraries=pg_release \
	-o pg_release.guard_interval=1h \
	make -C extension installcheck || fail
pg_virtualenv -t make -C extension installcheck REGRESS="$no_preload" || fail
