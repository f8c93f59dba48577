#!/bin/sh
# run-regress.sh — the pg_regress suites (sql/, expected/) on a throwaway
# cluster made by Debian's pg_virtualenv, which works as root too (the server
# runs as postgres; -t gives each run its own cluster directory, so runs can
# overlap).  The extension must already be installed.
set -eu
cd "$(dirname "$0")/.."

if ! pg_virtualenv -t -o wal_level=replica make -C extension installcheck; then
	cat extension/regression.diffs 2>/dev/null || true
	exit 1
fi
