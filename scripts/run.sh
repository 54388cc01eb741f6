#!/usr/bin/env bash
# Installs what is missing, builds, and starts corsd on its embedded default
# store (SQLite in .corsd-data/) with a demo tenant, then prints how to query
# it. corsd stays in the foreground; Ctrl-C stops it (SIGTERM drains).
# Idempotent: a second run reuses the data dir, token and demo tenant.
#
# Environment: CORSD_DATA_DIR (default .corsd-data), CORSD_LISTEN
# (127.0.0.1:7700), CORSD_ADMIN_LISTEN (127.0.0.1:7701), CORSD_HTTP_LISTEN
# (127.0.0.1:7702).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scripts/install-deps.sh
scripts/build.sh release

data="${CORSD_DATA_DIR:-$root/.corsd-data}"
listen="${CORSD_LISTEN:-127.0.0.1:7700}"
admin="${CORSD_ADMIN_LISTEN:-127.0.0.1:7701}"
http="${CORSD_HTTP_LISTEN:-127.0.0.1:7702}"
mkdir -p "$data"
token_file="$data/admin-token"
if [ ! -s "$token_file" ]; then
  (umask 077; od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$token_file")
fi

log="$data/corsd.log"
: > "$log"
build/bin/corsd --listen "$listen" --admin-listen "$admin" --http-listen "$http" \
  --data-dir "$data" --admin-token-file "$token_file" 2> >(tee -a "$log" >&2) &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM

for _ in $(seq 1 300); do
  grep -q '^corsd: ready' "$log" && break
  kill -0 "$pid" 2>/dev/null || { echo "run.sh: corsd exited; see $log" >&2; exit 1; }
  sleep 0.1
done
grep -q '^corsd: ready' "$log" || { echo "run.sh: corsd not ready after 30 s" >&2; exit 1; }

ctl=(build/bin/corsctl --addr "$listen" --admin-addr "$admin" --token-file "$token_file")
if ! "${ctl[@]}" tenant get demo >/dev/null 2>&1; then
  "${ctl[@]}" tenant put demo --allow-method PUT --allow-method DELETE \
    --allow-header content-type --allow-header authorization \
    --expose-header x-request-id --credentials --max-age 600 \
    --enforce-unsafe
  "${ctl[@]}" origins add demo https://app.example.com http://localhost:3000
  "${ctl[@]}" wildcards add demo 'https://*.preview.example.com'
  "${ctl[@]}" api-hosts add demo api.example.com
fi

cat <<EOM

corsd is running (pid $pid) on its embedded store in $data,
with tenant "demo": origins https://app.example.com, http://localhost:3000,
wildcard https://*.preview.example.com, API host api.example.com.

Ask it (in another terminal):
  build/bin/corsctl --addr $listen check --tenant demo --origin https://app.example.com --method PUT --header content-type --preflight
  build/bin/corsctl --addr $listen check --tenant demo --origin https://evil.example.net --method GET
  curl -si http://$http/auth/demo -H 'X-Original-Method: GET' \\
       -H 'X-Original-URI: /items' -H 'X-Original-Host: api.example.com' -H 'Origin: https://app.example.com'
  curl -s http://$http/metrics | head
Admin (token in $token_file):
  build/bin/corsctl --admin-addr $admin --token-file $token_file tenant list

Ctrl-C stops corsd.
EOM
wait "$pid"
