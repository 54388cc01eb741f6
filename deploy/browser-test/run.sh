#!/usr/bin/env bash
# The browser test in one command (CTest runs it, label `external`):
#   deploy/browser-test/run.sh path/to/corsd [--gateway nginx,caddy] [--keep]
# Installs the Debian packages it needs, only those missing:
# scripts/browser-deps.sh (nginx, chromium, the Python pieces, protoc), then
# caddy (Debian 12's caddy 2.6, also in scripts/deps.txt). Then runs
# browser_test.py with Debian's python (/usr/bin/python3), bounded by
# `timeout` so a stuck browser cannot hang CI (it takes about 10 s).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/../../scripts/browser-deps.sh"
if ! dpkg-query -W -f='${Status}' caddy 2>/dev/null | grep -q 'install ok installed'; then
  echo "browser-test: installing caddy"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends caddy
  # Debian's package starts a caddy.service on :80; the test needs none.
  if command -v systemctl >/dev/null && systemctl is-active --quiet caddy 2>/dev/null; then
    $sudo systemctl stop caddy || true
  fi
fi
exec timeout --kill-after=10 170 /usr/bin/python3 "$here/browser_test.py" "$@"
