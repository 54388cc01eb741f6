#!/usr/bin/env bash
# Store startup and import figures for bench/run (bench/keys/store.json).
#   bench/startup_bench.sh BUILD_DIR QUICK
# QUICK=1: 1M origins (startup_quick_size says so); QUICK=0: 10M origins.
# Runs bench_store on the embedded SQLite store (temporary --data-dir) and on
# a throwaway PostgreSQL (scripts/postgres.sh, stopped and removed at exit;
# skipped with a note on stderr if it cannot start), then prints one flat
# JSON object merging both.
set -euo pipefail
build=${1:?build dir}
quick=${2:-0}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$build/bin/bench_store"
size=10000000
[[ $quick == 1 ]] && size=1000000

work=$(mktemp -d /tmp/corsd_store_bench.XXXXXX)
chmod 0755 "$work"
pg_started=0
cleanup() {
  if [[ $pg_started == 1 ]]; then "$root/scripts/postgres.sh" stop "$work/pg" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

embedded=$("$bin" --store=sqlite --dir="$work/sqlite" --size="$size")
postgres="{}"
if url=$("$root/scripts/postgres.sh" start "$work/pg" 2>"$work/pg.log" | tail -1) && [[ $url == postgres://* ]]; then
  pg_started=1
  postgres=$("$bin" --store="$url" --size="$size")
else
  echo "startup_bench.sh: PostgreSQL did not start; no postgres figures" >&2
  cat "$work/pg.log" >&2
fi
python3 - "$embedded" "$postgres" "$size" "$quick" <<'PY'
import json, sys
out = {}
out.update(json.loads(sys.argv[1]))
out.update(json.loads(sys.argv[2]))
size, quick = int(sys.argv[3]), sys.argv[4] == "1"
if quick:
    # Quick mode loads 1M origins: rename the 10M keys so they are not mistaken.
    for kind in ("embedded", "postgres"):
        if f"startup_s_{kind}" in out:
            out[f"startup_s_1m_{kind}"] = out.pop(f"startup_s_{kind}")
    out["startup_quick_size"] = size
else:
    for kind in ("embedded", "postgres"):
        if f"startup_s_{kind}" in out:
            out[f"startup_s_10m_{kind}"] = out.pop(f"startup_s_{kind}")
print(json.dumps(out))
PY
