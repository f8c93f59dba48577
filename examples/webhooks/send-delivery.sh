#!/bin/sh
# examples/webhooks/send-delivery.sh — sign a payload the way Jira or Trello
# does and POST it to `gatekeeper serve`: a way to check a deployment (proxy,
# secret, roles) before pointing the real tracker at it.
#
#   PG_RELEASE_JIRA_SECRET=... sh send-delivery.sh jira payload.json https://release.example.com
#   PG_RELEASE_TRELLO_SECRET=... TRELLO_CALLBACK_URL=https://release.example.com/hooks/trello \
#       sh send-delivery.sh trello payload.json https://release.example.com
#
# Payload shapes: tests/fixtures/tracker/.  Deliveries older than the
# service's --max-age are refused, so give the payload a current
# "timestamp" (Jira, milliseconds) or "action.date" (Trello).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 jira|trello PAYLOAD_FILE BASE_URL" >&2; exit 3; }
tracker=$1 payload=$2 base=$3

case "$tracker" in
jira)
	sig=$(openssl dgst -sha256 -hmac "$PG_RELEASE_JIRA_SECRET" -r < "$payload" | cut -d' ' -f1)
	exec curl -sS -X POST -H 'Content-Type: application/json' \
		-H "X-Hub-Signature: sha256=$sig" --data-binary "@$payload" "$base/hooks/jira"
	;;
trello)
	# Trello signs the body followed by the callback URL it was registered with
	sig=$( { cat "$payload"; printf '%s' "$TRELLO_CALLBACK_URL"; } |
		openssl dgst -sha1 -hmac "$PG_RELEASE_TRELLO_SECRET" -binary | openssl base64 -A)
	exec curl -sS -X POST -H 'Content-Type: application/json' \
		-H "X-Trello-Webhook: $sig" --data-binary "@$payload" "$base/hooks/trello"
	;;
*)
	echo "$0: tracker must be jira or trello" >&2
	exit 3
	;;
esac
