#!/bin/sh
# flag_bench.sh — flag_enabled() cost, run by run.sh inside pg_virtualenv
# (PG* variables point at the throwaway cluster).
#
# 1. per-row cost over BENCH_ROWS rows with a 10 % rollout flag, against the
#    same query with a bare hashtext() expression and against a naive
#    plain-SQL implementation (table lookup + SQL function);
# 2. pgbench, 80 clients, -M prepared: flag_enabled() against SELECT 1.
set -eu
ROWS=${BENCH_ROWS:-2000000}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CLIENTS=${BENCH_CLIENTS:-80}
REPEAT=5
PSQL="psql -X -q -v ON_ERROR_STOP=1"

$PSQL <<'SQL'
CREATE EXTENSION pg_release;
SELECT flag_create('TASK-1', 'benchmark flag');
SELECT flag_set_rollout('TASK-1', 10);

-- Targeting: the same 10 % rollout (same groupId, so the same users) behind a
-- five-constraint strategy over the same argument.
SELECT flag_create('TASK-5C', 'benchmark flag with five constraints');
SELECT flag_set_strategies('TASK-5C', '[{"name": "flexibleRollout",
	"parameters": {"rollout": "10", "stickiness": "default", "groupId": "TASK-1"},
	"constraints": [
		{"contextName": "userId", "operator": "NOT_IN", "values": ["0", "13", "666"]},
		{"contextName": "userId", "operator": "STR_STARTS_WITH", "values": ["1", "2", "3", "4", "5", "6", "7", "8", "9"]},
		{"contextName": "userId", "operator": "NUM_GT", "value": "0"},
		{"contextName": "userId", "operator": "NUM_LTE", "value": "1000000000"},
		{"contextName": "userId", "operator": "REGEX", "value": "^[0-9]+$"}]}]');
-- Worst case: the same five constraints reached by every row (100 %).
SELECT flag_create('TASK-5C-ALL', 'benchmark flag: five constraints on every row');
SELECT flag_set_strategies('TASK-5C-ALL', jsonb_set(strategies, '{0,parameters,rollout}', '"100"'))
  FROM release.flags WHERE key = 'TASK-5C';

-- What a team would write without the extension: a table and a SQL function.
CREATE TABLE naive_flags (key text PRIMARY KEY, enabled boolean, rollout int);
INSERT INTO naive_flags VALUES ('TASK-1', true, 10);
CREATE FUNCTION naive_flag_enabled(k text, uid text) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT f.enabled AND abs(hashtext(f.key || ':' || uid)) % 100 < f.rollout
	  FROM naive_flags f WHERE f.key = k
$$;
SQL

# Best-of-REPEAT execution time in ms of a query (EXPLAIN ANALYZE, no timing
# per node so the instrumentation overhead stays out of the figure).
best_ms() {
	best=""
	i=0
	while [ $i -lt $REPEAT ]; do
		ms=$($PSQL -t -A -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $1" |
			sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p')
		if [ -z "$best" ] || awk -v a="$ms" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$ms
		fi
		i=$((i + 1))
	done
	echo "$best"
}

echo "## $($PSQL -t -A -c "SELECT CASE WHEN current_setting('shared_preload_libraries') LIKE '%pg_release%'
	THEN 'pg_release preloaded: every evaluation is counted in shared memory'
	ELSE 'pg_release not preloaded: no counters' END")"

series="FROM generate_series(1, $ROWS) g"
scan_ms=$(best_ms "SELECT count(*) $series WHERE g::text IS NOT NULL")
hash_ms=$(best_ms "SELECT count(*) $series WHERE abs(hashtext(g::text)) % 100 < 10")
flag_ms=$(best_ms "SELECT count(*) $series WHERE flag_enabled('TASK-1', g::text)")
naive_ms=$(best_ms "SELECT count(*) $series WHERE naive_flag_enabled('TASK-1', g::text)")
five_ms=$(best_ms "SELECT count(*) $series WHERE flag_enabled('TASK-5C', g::text)")
five_all_ms=$(best_ms "SELECT count(*) $series WHERE flag_enabled('TASK-5C-ALL', g::text)")

echo "== per-row cost, $ROWS rows, 10 % rollout (best of $REPEAT) =="
awk -v rows="$ROWS" -v scan="$scan_ms" -v hash="$hash_ms" -v flag="$flag_ms" -v naive="$naive_ms" 'BEGIN {
	printf "%-34s %10s %12s\n", "query", "total ms", "ns per row";
	printf "%-34s %10.1f %12.1f\n", "scan + g::text only", scan, scan * 1e6 / rows;
	printf "%-34s %10.1f %12.1f\n", "bare hashtext(g::text)", hash, hash * 1e6 / rows;
	printf "%-34s %10.1f %12.1f\n", "flag_enabled(TASK-1, g::text)", flag, flag * 1e6 / rows;
	printf "%-34s %10.1f %12.1f\n", "naive SQL function", naive, naive * 1e6 / rows;
	printf "ratio flag_enabled / bare hashtext:   %.2fx (target <= 1.5x)\n", flag / hash;
	printf "ratio naive SQL / flag_enabled:       %.1fx\n", naive / flag;
	if (hash > scan)
		printf "expression cost only (minus scan):    flag %.1f ns, hashtext %.1f ns per row\n",
			(flag - scan) * 1e6 / rows, (hash - scan) * 1e6 / rows;
}'
awk -v rows="$ROWS" -v flag="$flag_ms" -v five="$five_ms" -v all="$five_all_ms" 'BEGIN {
	printf "%-34s %10.1f %12.1f\n", "flag_enabled(TASK-5C, g::text)", five, five * 1e6 / rows;
	printf "%-34s %10.1f %12.1f\n", "  same, every row checked (100 %)", all, all * 1e6 / rows;
	printf "ratio five-constraint / plain rollout: %.2fx (target <= 3x)\n", five / flag;
	printf "  worst case, constraints on every row: %.2fx\n", all / flag;
}'

# the second, comparison run (see run.sh) only needs the per-row figures
[ "${BENCH_PER_ROW_ONLY:-0}" = 1 ] && exit 0

echo
echo "== pgbench, $CLIENTS clients, -M prepared, ${SECONDS_PER_RUN}s per run =="
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "SELECT 1;" > "$work/select1.sql"
# the same client-side work as the flag script (a \set and a parameter):
# pgbench shares the two cores with the server, so this isolates the server
printf '%s\n' '\set uid random(1, 1000000)' "SELECT :uid;" > "$work/param.sql"
printf '%s\n' '\set uid random(1, 1000000)' "SELECT flag_enabled('TASK-1', :uid);" > "$work/flag.sql"

tps() {
	pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" -f "$1" 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1
}
# Interleave the scripts and keep the best of three runs each, so a noisy
# neighbour does not decide the ratio.
best_s=0; best_p=0; best_f=0
for round in 1 2 3; do
	s=$(tps "$work/select1.sql"); p=$(tps "$work/param.sql"); f=$(tps "$work/flag.sql")
	best_s=$(awk -v a="$s" -v b="$best_s" 'BEGIN { print (a > b) ? a : b }')
	best_p=$(awk -v a="$p" -v b="$best_p" 'BEGIN { print (a > b) ? a : b }')
	best_f=$(awk -v a="$f" -v b="$best_f" 'BEGIN { print (a > b) ? a : b }')
done
awk -v s="$best_s" -v p="$best_p" -v f="$best_f" 'BEGIN {
	printf "SELECT 1:                             %10.0f tps\n", s;
	printf "\\set uid + SELECT :uid:              %10.0f tps\n", p;
	printf "SELECT flag_enabled(TASK-1, :uid):    %10.0f tps\n", f;
	printf "ratio flag_enabled / SELECT 1:        %.2fx (target >= 0.9x)\n", f / s;
	printf "ratio flag_enabled / same client work: %.2fx\n", f / p;
}'

echo
echo "== guard default policy: false alarms and detection (exact binomial) =="
psql -X -q -v ON_ERROR_STOP=1 -f "$(dirname "$0")/guard_policy.sql"
