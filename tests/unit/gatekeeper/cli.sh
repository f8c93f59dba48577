#!/bin/sh
# cli.sh — exit codes and messages of the gatekeeper command line.
# Usage: cli.sh path/to/gatekeeper
set -u
gk=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/cli" || exit 1
failures=0
tests=0
out=$(mktemp)
err=$(mktemp)

# expect EXIT STDERR-PATTERN ARGS...  (pattern "" = anything)
expect()
{
	want=$1
	pattern=$2
	shift 2
	tests=$((tests + 1))
	"$gk" "$@" >"$out" 2>"$err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: gatekeeper $*: exit $rc, expected $want"
		sed 's/^/    /' "$err"
		failures=$((failures + 1))
	elif [ -n "$pattern" ] && ! grep -qF -- "$pattern" "$err"; then
		echo "FAIL: gatekeeper $*: stderr lacks \"$pattern\""
		sed 's/^/    /' "$err"
		failures=$((failures + 1))
	else
		echo "ok: gatekeeper $* -> $rc"
	fi
}

expect 0 "" --help
expect 0 "" --version
expect 0 "" check --help
expect 0 "" rules
expect 3 'Try "gatekeeper --help"'
expect 3 'unknown command "frobnicate"' frobnicate
expect 3 'unknown option' --bogus
expect 3 'check needs at least one PATH' check
expect 3 'unknown option "--bogus"' check --bogus safe.sql
expect 3 'unknown format "xml"' check --format xml safe.sql
expect 3 'unknown rule "no-such-rule"' check --allow no-such-rule safe.sql
expect 3 'invalid --pg-version' check --pg-version banana safe.sql
expect 3 'invalid --max-lock-timeout' check --max-lock-timeout soon safe.sql
expect 3 'cannot access "missing.sql"' check missing.sql
expect 0 "" check safe.sql
expect 1 "" check risky.sql
expect 0 "" check --allow truncate,missing-lock-timeout risky.sql
expect 1 "" check --max-lock-timeout 500ms directive_reason.sql
expect 2 'syntax_error.sql:2:25: syntax error at or near ";"' check syntax_error.sql
expect 2 'syntax_error.sql:2:25' check safe.sql syntax_error.sql risky.sql
expect 3 'directive_no_reason.sql:1:1: gatekeeper:allow truncate needs a reason' check directive_no_reason.sql
expect 0 "" check directive_reason.sql
expect 0 "" check --format json dir
expect 0 "" check --pg-version 15.4 --format sarif safe.sql
expect 0 "" check --format github safe.sql

# apply, approve, reject, status: usage, and files are parsed before connecting
expect 0 "" apply --help
expect 0 "" approve --help
expect 0 "" status --help
expect 3 'apply needs at least one PATH' apply --dsn 'host=/nonexistent'
expect 3 'invalid --lock-timeout "0"' apply --lock-timeout 0 safe.sql
expect 3 'invalid --statement-timeout' apply --statement-timeout forever safe.sql
expect 3 'apply does not take --allow' apply --allow truncate safe.sql
expect 3 'invalid --small-table "lots"' apply --small-table lots safe.sql
expect 3 'invalid --wait "-1"' apply --wait -1 safe.sql
expect 3 'unknown format "sarif"' apply --format sarif safe.sql
expect 3 'cannot access "missing.sql"' apply --dsn 'host=/nonexistent' missing.sql
expect 2 'syntax_error.sql:2:25' apply --dsn 'host=/nonexistent' safe.sql syntax_error.sql
expect 4 'could not connect to the database' apply --dsn 'host=/nonexistent port=1' safe.sql
expect 3 'approve needs the NAME of a migration' approve
expect 3 'invalid --checksum "abc"' approve --checksum abc V1.sql
expect 3 'approve needs --checksum' approve V1.sql
expect 3 'unexpected argument "V2.sql"' reject V1.sql V2.sql
expect 4 'could not connect to the database' status --dsn 'host=/nonexistent port=1'

# the allow reason is printed
tests=$((tests + 1))
"$gk" check directive_reason.sql >"$out" 2>&1
if grep -q "reason: nightly staging reset, table holds no user data" "$out"; then
	echo "ok: directive reason printed"
else
	echo "FAIL: directive reason not printed"; failures=$((failures + 1))
fi

# directories: lexical order, rollback scripts skipped, dbmate down section ignored
tests=$((tests + 1))
"$gk" check dir >"$out" 2>&1
order=$(grep -o '^dir/[^:]*' "$out" | uniq | tr '\n' ' ')
if [ "$order" = "dir/deploy/0001_a.up.sql dir/deploy/0002_b.up.sql dir/deploy/0003_dbmate.sql " ] &&
	! grep -q "DROP TABLE" "$out"; then
	echo "ok: directory order and filtering"
else
	echo "FAIL: directory order: $order"; failures=$((failures + 1))
fi

rm -f "$out" "$err"
echo "cli: $tests tests, $failures failures"
[ "$failures" -eq 0 ]
