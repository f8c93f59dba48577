#!/bin/sh
# golden.sh — compare every output format of "gatekeeper check" byte for byte
# with the files in golden/.  Usage: golden.sh path/to/gatekeeper
# UPDATE_GOLDEN=1 rewrites the expected files (review the diff before committing).
set -u
gk=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/golden" || exit 1
failed=0
for fmt in text json github sarif; do
	out=$(mktemp)
	"$gk" check --format "$fmt" migrations >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne 1 ]; then
		echo "golden $fmt: expected exit 1 (risky), got $rc"
		failed=1
	fi
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$out" "expected.$fmt"
	elif ! diff -u "expected.$fmt" "$out"; then
		echo "golden $fmt: output differs from golden/expected.$fmt"
		failed=1
	else
		echo "golden $fmt: ok"
	fi
	rm -f "$out"
done
exit $failed
