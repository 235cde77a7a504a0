#!/usr/bin/env bash
# file_complaint throughput of one server binary, on a copy of a prepared data folder, loaded by
# the bench-api client of another build (the same request for every server: an anonymous filer
# who consents to be told, with an e-mail and a phone). Compares builds side by side:
#
#   PREP=/tmp/bd-prep; OLD_BIN=… ; NEW_BIN=target/release/portal
#   $OLD_BIN bench-api --complaints 0 --seconds 1 --scenarios complaint_by_id --data-dir $PREP
#   for i in 1 2 3; do
#     bench/file_complaint_vs.sh $OLD_BIN $NEW_BIN $PREP /tmp/run-old-$i
#     bench/file_complaint_vs.sh $NEW_BIN $NEW_BIN $PREP /tmp/run-new-$i
#   done
#
# Extra arguments are environment settings for the server (PORTAL_NOTIFY=off, say). The client
# tops the copy up to 200,000 complaints (not measured) before 3 s of warm-up and 30 s of load.
set -euo pipefail
server=$1; client=$2; prep=$3; dir=$4; shift 4
rm -rf "$dir"; cp -r "$prep" "$dir"
secret=bench-secret-that-is-long-enough-0123456789abc
env "$@" DATABASE_URL="sqlite://$dir/portal.db?mode=rwc" PORTAL_DATA_DIR="$dir" JWT_SECRET=$secret \
  PORTAL_LOG_FORMAT=json PORTAL_ANONYMOUS_SUBMISSIONS_PER_HOUR=1000000 \
  PORTAL_ACCOUNT_SUBMISSIONS_PER_HOUR=1000000 PORTAL_CODE_GUESSES_PER_HOUR=1000000 \
  PORTAL_REGISTRATIONS_PER_HOUR=1000000 \
  "$server" serve --addr 127.0.0.1:18080 > "$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.2; done
"$client" bench-api --url http://127.0.0.1:18080 --server-pid $pid --jwt-secret $secret \
  --data-dir "$dir" --scenarios file_complaint --seconds "${SECONDS_PER_RUN:-30}" --warmup 3 \
  --concurrency "${CONCURRENCY:-16}" | grep '^file_complaint'
echo "outbox e-mails: $(cat "$dir"/outbox/*.mbox 2>/dev/null | grep -c '^From gopy-outbox ' || true)"
