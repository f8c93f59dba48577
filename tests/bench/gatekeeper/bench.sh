#!/bin/sh
# bench.sh — time "gatekeeper check" against squawk on the same inputs, in one run:
# one file of 10,000 statements and 100 files of 100 statements (a realistic
# migration mix, generated here).  Prints wall time (best of $RUNS) and peak RSS
# for each tool, and the ratios.  Usage: bench.sh path/to/gatekeeper
set -u
gk=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
RUNS=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# gen N SEED: N statements of a typical migration history, deterministic
gen()
{
	awk -v n="$1" -v seed="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			k = (i * 7 + seed) % 20; t = "t" int((i + seed) / 20);
			if (k == 0) printf "CREATE TABLE %s (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    name text NOT NULL,\n    created_at timestamptz NOT NULL DEFAULT now()\n);\n", t;
			else if (k == 1) printf "-- add a lookup column\nALTER TABLE %s ADD COLUMN c%d integer;\n", t, i;
			else if (k == 2) printf "CREATE INDEX %s_c%d_idx ON %s (name, created_at);\n", t, i, t;
			else if (k == 3) printf "SET lock_timeout = %s2s%s;\n", "\047", "\047";
			else if (k == 4) printf "ALTER TABLE users ADD CONSTRAINT fk_%d FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;\n", i;
			else if (k == 5) printf "UPDATE users SET status = %sactive%s WHERE id BETWEEN %d AND %d;\n", "\047", "\047", i * 1000, i * 1000 + 999;
			else if (k == 6) printf "INSERT INTO settings (key, value) VALUES (%sk%d%s, %sv%s) ON CONFLICT (key) DO NOTHING;\n", "\047", i, "\047", "\047", "\047";
			else if (k == 7) printf "ALTER TABLE users ALTER COLUMN email TYPE varchar(%d);\n", 100 + i;
			else if (k == 8) printf "COMMENT ON TABLE %s IS %sowned by team %d%s;\n", t, "\047", i, "\047";
			else if (k == 9) printf "ALTER TABLE users ADD COLUMN flag_%d boolean DEFAULT false;\n", i;
			else if (k == 10) printf "CREATE OR REPLACE VIEW v_%d AS SELECT id, name FROM users WHERE status = %sactive%s;\n", i, "\047", "\047";
			else if (k == 11) printf "ALTER TABLE users ALTER COLUMN c%d SET NOT NULL;\n", i;
			else if (k == 12) printf "GRANT SELECT ON %s TO reporting;\n", t;
			else if (k == 13) printf "CREATE TABLE IF NOT EXISTS audit_%d (id bigint PRIMARY KEY, payload jsonb, at timestamptz DEFAULT now());\n", i;
			else if (k == 14) printf "ALTER TABLE users DROP COLUMN IF EXISTS old_%d;\n", i;
			else if (k == 15) printf "DELETE FROM sessions WHERE expires_at < now() - interval %s30 days%s;\n", "\047", "\047";
			else if (k == 16) printf "ALTER TABLE users RENAME COLUMN c%d TO d%d;\n", i, i;
			else if (k == 17) printf "CREATE UNIQUE INDEX %s_name_%d ON %s (lower(name));\n", t, i, t;
			else if (k == 18) printf "ALTER TABLE orders ADD CONSTRAINT amount_pos_%d CHECK (amount > 0);\n", i;
			else printf "SELECT 1;\n";
		}
	}'
}

mkdir -p "$tmp/many"
gen 10000 0 >"$tmp/big.sql"
i=0
while [ $i -lt 100 ]; do
	gen 100 $((i * 13 + 1)) >"$tmp/many/$(printf 'V%03d__migration.sql' $i)"
	i=$((i + 1))
done

now_ns() { date +%s%N; }

# measure LABEL CMD...: best wall time of $RUNS runs (ms) and peak RSS (KB)
measure()
{
	label=$1
	shift
	best=""
	rss=0
	r=0
	while [ $r -lt "$RUNS" ]; do
		start=$(now_ns)
		/usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null 2>&1
		end=$(now_ns)
		ms=$(( (end - start) / 1000000 ))
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
		m=$(tail -n 1 "$tmp/rss")
		case $m in *[!0-9]*|'') m=0 ;; esac
		if [ "$m" -gt "$rss" ]; then rss=$m; fi
		r=$((r + 1))
	done
	printf '%-46s %8d ms %10d KB\n' "$label" "$best" "$rss"
	eval "last_ms=$best; last_rss=$rss"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) b = 1; printf "%.1fx", a / b }'; }

echo "gatekeeper bench: best of $RUNS runs, inputs: 1 file x 10000 statements, 100 files x 100 statements"
# default output formats of both tools (text) are compared; JSON is shown for reference
measure "gatekeeper check, 1 x 10000" "$gk" check "$tmp/big.sql"
gk_big_ms=$last_ms; gk_big_rss=$last_rss
measure "gatekeeper check, 100 x 100" "$gk" check "$tmp/many"
gk_many_ms=$last_ms; gk_many_rss=$last_rss
measure "gatekeeper check --format json, 1 x 10000" "$gk" check --format json "$tmp/big.sql"
measure "gatekeeper check --format json, 100 x 100" "$gk" check --format json "$tmp/many"

squawk=""
if command -v npm >/dev/null 2>&1 &&
	npm install --silent --no-audit --no-fund --prefix "$tmp/npm" squawk-cli >/dev/null 2>&1 &&
	"$tmp/npm/node_modules/.bin/squawk" --version >/dev/null 2>&1; then
	squawk="$tmp/npm/node_modules/.bin/squawk"
fi
if [ -z "$squawk" ]; then
	echo "squawk unavailable (npm install squawk-cli failed); gatekeeper figures only"
	exit 0
fi
echo "squawk: $("$squawk" --version 2>&1 | head -n 1)"
measure "squawk, 1 x 10000" "$squawk" "$tmp/big.sql"
sq_big_ms=$last_ms; sq_big_rss=$last_rss
measure "squawk, 100 x 100" "$squawk" "$tmp/many"/*.sql
sq_many_ms=$last_ms; sq_many_rss=$last_rss

echo "ratios (squawk / gatekeeper; >1 means gatekeeper is better):"
echo "  1 x 10000: time $(ratio "$sq_big_ms" "$gk_big_ms"), memory $(ratio "$sq_big_rss" "$gk_big_rss")"
echo "  100 x 100: time $(ratio "$sq_many_ms" "$gk_many_ms"), memory $(ratio "$sq_many_rss" "$gk_many_rss")"
