#!/bin/sh
# docs_examples.sh — every "```sql risky" and "```sql safe" block of
# docs/gatekeeper.md is a complete migration file: check that the gatekeeper
# gives it that verdict (exit 1 / exit 0).  Usage: docs_examples.sh path/to/gatekeeper
set -u
gk=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
doc="$(dirname "$0")/../../../docs/gatekeeper.md"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

awk -v dir="$tmp" '
	/^```sql (risky|safe)$/ { n++; kind = $2; file = sprintf("%s/%03d.%s.sql", dir, n, kind); inblock = 1; next }
	/^```/ && inblock { inblock = 0; close(file); next }
	inblock { print > file }
' "$doc"

total=0
failures=0
for f in "$tmp"/*.sql; do
	[ -e "$f" ] || continue
	total=$((total + 1))
	case $f in
		*.risky.sql) want=1 ;;
		*) want=0 ;;
	esac
	"$gk" check "$f" >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		failures=$((failures + 1))
		echo "FAIL: docs example $(basename "$f"): exit $rc, expected $want"
		sed 's/^/    | /' "$f"
		sed 's/^/    > /' "$tmp/out"
	fi
done
echo "docs examples: $total checked, $failures failures"
[ "$total" -gt 0 ] && [ "$failures" -eq 0 ]
