#!/usr/bin/env bash
# Regenerates service/origin/uts46_updates.inc: the UTS 46 mapping changes
# between the Unicode version of the installed ICU (Debian 12: ICU 72,
# Unicode 15.0) and the current UTS 46 table (npm package tr46, the one
# jsdom/whatwg-url use). A development tool, not part of the build:
# needs g++, ICU headers, node and npm. Usage: gen_uts46_updates.sh [tr46 version]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:-7.0.0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
g++ -O2 -o "$work/dump" "$here/dump_icu_uts46.cc" $(pkg-config --cflags --libs icu-uc)
"$work/dump" > "$work/icu.txt"
(cd "$work" && npm install --silent --no-save "tr46@$version" >/dev/null)
node "$here/uts46_diff.js" "$work/icu.txt" \
  "$work/node_modules/tr46/lib/mappingTable.json" "$version" \
  > "$here/../uts46_updates.inc"
echo "wrote $(grep -c '^{' "$here/../uts46_updates.inc") entries to service/origin/uts46_updates.inc"
