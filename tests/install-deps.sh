#!/bin/sh
# install-deps.sh — install the Debian packages pg_release needs, only those missing.
# Idempotent: prints nothing and changes nothing when everything is present.
# Works as root; otherwise goes through sudo.
set -eu

PACKAGES="make gcc pkg-config postgresql-15 postgresql-contrib postgresql-server-dev-15 libpq-dev
libpg-query-dev libprotobuf-c-dev libcmocka-dev libipc-run-perl valgrind jq libpcre2-dev
libcurl4-openssl-dev libjansson-dev clang
libmicrohttpd-dev libssl-dev openssl chromium python3-psycopg2"

missing=""
for pkg in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $pkg"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps: error: missing packages$missing and neither root nor sudo" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
