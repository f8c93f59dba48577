#!/bin/sh
# run-integration.sh — TAP tests under tests/t/ (several servers, processes).
#
# PostgreSQL::Test::Cluster runs initdb, which refuses root: as root we copy
# the tests into a scratch directory owned by postgres and run prove there as
# postgres.  The extension must already be installed.
set -eu
cd "$(dirname "$0")/.."

bindir=$(pg_config --bindir)
perldir=$(dirname "$(pg_config --pgxs)")/../../src/test/perl
src=$(pwd)

scratch=$(mktemp -d /tmp/pg_release_tap.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cp -r "$src/tests/t" "$scratch/t"
# the CLI, copied where postgres can run it (the checkout may be private)
cp "$src/gatekeeper/gatekeeper" "$scratch/gatekeeper"
# tracker payloads (005_serve.pl), and the browser test with its npm
# dependencies (playwright-core, from the lockfile; Chromium is Debian's)
cp -r "$src/tests/fixtures" "$scratch/fixtures"
if [ ! -d "$src/tests/e2e/node_modules/playwright-core" ]; then
	(cd "$src/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi
cp -r "$src/tests/e2e" "$scratch/e2e"
cp -r "$src/examples" "$scratch/examples"

if [ "$(id -u)" -eq 0 ]; then
	chown -R postgres "$scratch"
	RUN="runuser -u postgres --"
else
	RUN=""
fi

cd "$scratch"
status=0
$RUN env PATH="$bindir:$PATH" TESTDIR="$scratch" PG_REGRESS=/bin/true \
	GATEKEEPER="$scratch/gatekeeper" \
	prove -I "$perldir" ${TAP_TESTS:-t/*.pl} || status=$?
if [ "$status" -ne 0 ]; then
	for log in "$scratch"/tmp_check/log/*; do
		[ -f "$log" ] && { echo "=== $log"; tail -n 50 "$log"; }
	done
fi
exit "$status"
