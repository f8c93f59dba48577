#!/bin/sh
# run.sh — extension benchmarks on throwaway clusters (make bench).
#
# Prints figures and ratios against baselines measured in the same run; it
# asserts nothing (speed goals are read, not timed in tests).  The extension
# must be installed.  Set BENCH_ROWS / BENCH_SECONDS to shorten a run.
#
# First on a cluster that preloads pg_release (evaluations are counted in
# shared memory, as in production with the guard), then the per-row figures
# again without preloading, to show what counting costs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
pg_virtualenv -t -o max_connections=200 -o shared_buffers=256MB \
	-o shared_preload_libraries=pg_release -o pg_release.guard_interval=1h \
	sh "$here/flag_bench.sh"
echo
BENCH_PER_ROW_ONLY=1 pg_virtualenv -t -o shared_buffers=256MB sh "$here/flag_bench.sh"
