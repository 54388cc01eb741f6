#!/usr/bin/env bash
# Installs what the browser test (deploy/browser-test) needs, from Debian 12
# only, and only what is missing: nginx, chromium (launched from
# /usr/bin/chromium; no browser download of any kind), the Python pieces
# (/usr/bin/python3 with grpcio, protobuf, yaml, prometheus_client) and
# protoc. Idempotent: a machine that has everything runs no apt-get.
set -euo pipefail
packages=(nginx chromium python3 python3-grpcio python3-protobuf protobuf-compiler
          python3-yaml python3-prometheus-client)
missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "browser-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "browser-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
