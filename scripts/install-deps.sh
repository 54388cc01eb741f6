#!/usr/bin/env bash
# Installs the Debian 12 packages corsd needs, and only those missing.
# Usage: scripts/install-deps.sh [--test]
#   (no flag)  build and run: scripts/deps-core.txt
#   --test     also what the tests need: scripts/deps-test.txt and
#              scripts/deps.txt (nginx, Chromium, Python clients...)
# Idempotent: a machine that has everything runs no apt-get at all.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

lists=("$here/deps-core.txt")
if [ "${1:-}" = "--test" ]; then
  lists+=("$here/deps-test.txt")
  [ -f "$here/deps.txt" ] && lists+=("$here/deps.txt")
fi

wanted=$(cat "${lists[@]}" | sed -e 's/#.*//' -e 's/[[:space:]]//g' | grep -v '^$' | sort -u)
# An entry "PKG|CMD" is satisfied by the package or by any CMD on PATH (npm
# ships inside other builds of nodejs, whose package conflicts with Debian's
# npm: installing it there would fail).
missing=()
for entry in $wanted; do
  pkg="${entry%%|*}"
  if [ "$pkg" != "$entry" ] && command -v "${entry#*|}" >/dev/null 2>&1; then
    continue
  fi
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all $(echo "$wanted" | wc -l) packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
