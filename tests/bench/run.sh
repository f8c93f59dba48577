#!/bin/sh
# run.sh — extension benchmarks on a throwaway cluster (make bench).
#
# Prints figures and ratios against baselines measured in the same run; it
# asserts nothing (speed goals are read, not timed in tests).  The extension
# must be installed.  Set BENCH_ROWS / BENCH_SECONDS to shorten a run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec pg_virtualenv -t -o max_connections=200 -o shared_buffers=256MB sh "$here/flag_bench.sh"
