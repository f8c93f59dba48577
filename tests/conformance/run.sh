#!/bin/sh
# tests/conformance/run.sh — the Unleash client specification suite against
# pg_release, entirely through SQL.
#
# For every file listed in ../shared/conformance/unleash/specifications/
# index.json (beside the checkout): import its state with
# flag_import_unleash(), evaluate every "tests" case with
# flag_enabled(key, context) and every "variantTests" case with
# flag_variant(key, context), and compare with expectedResult.  Each file
# runs in its own transaction, rolled back afterwards, so files do not see
# each other's flags.  All files go through one psql call on a throwaway
# cluster (pg_virtualenv, works as root).  The extension must be installed.
#
# Prints passed/failed per file and a last line "N passed, M failed"; exits
# 1 when a case fails, 0 otherwise (and when the suite is absent: skipped).
# There are no documented exceptions at present: SKIP (below) lists
# "file:kind:index" cases that would count as skipped instead.
set -eu
cd "$(dirname "$0")/../.."

SPEC_DIR="${UNLEASH_SPEC_DIR:-../shared/conformance/unleash/specifications}"
SKIP=""

if [ ! -f "$SPEC_DIR/index.json" ]; then
	echo "conformance: $SPEC_DIR/index.json not found; Unleash conformance suite skipped"
	exit 0
fi
command -v jq >/dev/null 2>&1 || { echo "conformance: error: jq is required" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
chmod 755 "$work"

# One SQL script: per file, BEGIN; import; one SELECT over all its cases; ROLLBACK.
# Output rows: file|kind|index|ok|actual|description
{
	echo "SET client_min_messages = warning;"
	echo "CREATE EXTENSION pg_release;"
	for name in $(jq -r '.[]' "$SPEC_DIR/index.json"); do
		jq -r --arg file "$name" '
			def lit: "'"'"'" + (tostring | gsub("'"'"'"; "'"'"''"'"'")) + "'"'"'";
			def jlit: (tojson | lit) + "::jsonb";
			"BEGIN;",
			"SELECT flag_import_unleash(" + (.state | jlit) + ") \\g /dev/null",
			(
				[ (.tests // [] | to_entries[] | {kind: "test", i: .key, c: .value}),
				  (.variantTests // [] | to_entries[] | {kind: "variant", i: .key, c: .value}) ]
				| if length == 0 then empty else
				"SELECT " + ($file | lit) + ", kind, idx, actual = expected, actual::text, descr FROM (" +
				"SELECT kind, idx, expected, descr, CASE kind WHEN '"'"'test'"'"' " +
				"THEN to_jsonb(flag_enabled(toggle, ctx)) ELSE flag_variant(toggle, ctx) END AS actual " +
				"FROM (VALUES " +
				(map("(" + (.kind | lit) + ", " + (.i | tostring) + ", " + (.c.toggleName | lit) + ", " +
					 ((.c.context // {}) | jlit) + ", " + (.c.expectedResult | jlit) + ", " +
					 ((.c.description // "") | lit) + ")") | join(",\n")) +
				") AS t(kind, idx, toggle, ctx, expected, descr)) AS r ORDER BY kind, idx;"
				end
			),
			"ROLLBACK;"
		' "$SPEC_DIR/$name"
	done
} > "$work/conformance.sql"
chmod 644 "$work/conformance.sql"

if ! pg_virtualenv -t sh -c "psql -X -q -At -F '|' -v ON_ERROR_STOP=1 -f '$work/conformance.sql'" \
	> "$work/results.txt" 2> "$work/psql.err"; then
	cat "$work/psql.err" >&2
	echo "conformance: error: the SQL run failed" >&2
	exit 1
fi

# Summarise: per file in index order, then the total.
jq -r '.[]' "$SPEC_DIR/index.json" > "$work/files.txt"
awk -F'|' -v skip=" $SKIP " '
	NR == FNR { order[++nfiles] = $1; next }
	NF >= 5 {
		key = $1 ":" $2 ":" $3
		if (index(skip, " " key " ") > 0) { skipped[$1]++; tskip++; next }
		if ($4 == "t") { passed[$1]++; tpass++ }
		else {
			failed[$1]++; tfail++
			detail[$1] = detail[$1] sprintf("    FAIL %s #%s %s: got %s\n", $2, $3, $6, $5)
		}
	}
	END {
		for (i = 1; i <= nfiles; i++) {
			f = order[i]
			line = sprintf("%-45s %3d passed, %d failed", f, passed[f], failed[f])
			if (skipped[f]) line = line sprintf(", %d skipped", skipped[f])
			print line
			if (detail[f] != "") printf "%s", detail[f]
		}
		total = sprintf("%d passed, %d failed", tpass, tfail)
		if (tskip) total = total sprintf(", %d skipped", tskip)
		print total
		exit (tfail > 0 ? 1 : 0)
	}
' "$work/files.txt" "$work/results.txt"
