#!/bin/sh
# corsctl import, end to end: parse + check + stream + server apply + durable
# commit, for 1M CSV rows (200k with QUICK=1), against the real corsd on
# loopback port 0 with a temporary data dir (embedded SQLite) and token file.
# Prints one JSON object: {"import_rows_per_s": N, ...}. Logs go to stderr.
#
# usage: bench/import_bench.sh BUILD_DIR [QUICK]
set -eu
build=${1:?usage: import_bench.sh BUILD_DIR [QUICK]}
quick=${2:-0}
rows=1000000
[ "$quick" = 1 ] && rows=200000
tenants=100
corsd=$build/bin/corsd
corsctl=$build/bin/corsctl
for b in "$corsd" "$corsctl"; do
  [ -x "$b" ] || { echo "import_bench: $b not built" >&2; exit 1; }
done

tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$tmp/token"
"$corsd" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --data-dir "$tmp/data" \
  --admin-token-file "$tmp/token" 2> "$tmp/corsd.err" &
pid=$!
i=0
until grep -q '^corsd: ready' "$tmp/corsd.err"; do
  i=$((i + 1))
  if [ "$i" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "import_bench: corsd did not become ready:" >&2; cat "$tmp/corsd.err" >&2; exit 1
  fi
  sleep 0.1
done
admin=$(sed -n 's/^corsd: listening admin=//p' "$tmp/corsd.err")
export CORSD_ADMIN_ADDR="$admin" CORSD_TOKEN_FILE="$tmp/token"

t=0
while [ "$t" -lt "$tenants" ]; do
  "$corsctl" tenant put "t$t" > /dev/null
  t=$((t + 1))
done
awk -v n="$rows" -v k="$tenants" 'BEGIN {
  print "tenant,origin";
  for (i = 0; i < n; i++) printf "t%d,https://shop%d.customer%d.example.com\n", i % k, i, i % 997;
}' > "$tmp/rows.csv"

"$corsctl" import "$tmp/rows.csv" --json --no-progress > "$tmp/out.json"
cat "$tmp/out.json" >&2
rate=$(sed -n 's/.*"rows_per_s":\([0-9.e+]*\).*/\1/p' "$tmp/out.json")
secs=$(sed -n 's/.*"seconds":\([0-9.e+]*\).*/\1/p' "$tmp/out.json")
applied=$(sed -n 's/.*"rows_applied":\([0-9]*\).*/\1/p' "$tmp/out.json")
[ "$applied" = "$rows" ] || { echo "import_bench: applied $applied of $rows rows" >&2; exit 1; }
printf '{"import_rows_per_s": %.0f, "import_seconds": %s, "import_rows": %d}\n' "$rate" "$secs" "$rows"
