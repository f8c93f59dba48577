#!/bin/sh
# demo.sh — `make demo`: the release story on a throwaway cluster.
# pg_virtualenv creates a cluster owned by postgres (so this works as root)
# and drops it afterwards; the extension must be installed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec pg_virtualenv -t psql -X -q -f "$here/release_story.sql"
