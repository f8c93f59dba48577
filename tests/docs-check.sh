#!/bin/sh
# docs-check.sh — every SQL function, view and setting of the installed
# extension is documented: functions and views in docs/reference.md, settings
# in README.md.  Keeps the docs true to the code.  Runs on a throwaway
# cluster; the extension must be installed.
set -eu
cd "$(dirname "$0")/.."
query=$(mktemp)
trap 'rm -f "$query"' EXIT
cat > "$query" <<'SQL'
CREATE EXTENSION pg_release;
SELECT DISTINCT 'f ' || p.proname FROM pg_proc p
  JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_release'
  JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = 'public'
UNION
SELECT 'v ' || c.relname FROM pg_class c
  JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_release'
 WHERE c.relkind = 'v'
UNION
SELECT 's ' || name FROM pg_settings WHERE name LIKE 'pg\_release.%';
SQL
chmod 644 "$query"
out=$(pg_virtualenv -t -o shared_preload_libraries=pg_release \
	psql -X -q -A -t -f "$query" 2>/dev/null | grep -E '^[fvs] ' || true)
missing=0
checked=0
for item in $(echo "$out" | tr ' ' ':'); do
	kind=${item%%:*}
	name=${item#*:}
	checked=$((checked + 1))
	case $kind in
		f|v) file=docs/reference.md ;;
		*) file=README.md ;;
	esac
	if ! grep -q -- "$name" "$file"; then
		echo "docs-check: $name is not documented in $file"
		missing=$((missing + 1))
	fi
done
[ "$checked" -gt 0 ] || { echo "docs-check: could not list the extension's objects"; exit 1; }
echo "docs-check: $((checked - missing)) passed, $missing failed"
[ "$missing" -eq 0 ]
