#!/bin/sh
# demo.sh — `make demo`: the release story on a throwaway cluster.
# pg_virtualenv creates a cluster owned by postgres (so this works as root)
# and drops it afterwards; the extension must be installed.  The cluster
# preloads pg_release with a fast guard so the demo can show a rollback.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec pg_virtualenv -t -o shared_preload_libraries=pg_release -o pg_release.database=postgres \
	-o pg_release.guard_interval=500ms -o pg_release.guard_window=1s \
	psql -X -q -f "$here/release_story.sql"
