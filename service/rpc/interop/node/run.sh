#!/usr/bin/env bash
# Runs the Node.js client interop test (interop_test.mjs) against a corsd
# binary: installs @grpc/grpc-js and @grpc/proto-loader from package-lock.json
# into node_modules/ beside this script with `npm ci` (only when node_modules
# is missing or was installed from a different lock file), then runs
# `node --test`. Exit status: 0 when every case passed, non-zero otherwise.
#
# Usage: service/rpc/interop/node/run.sh <path/to/corsd>
# Needs node >= 18 and npm (Debian: nodejs, npm; scripts/deps.txt lists them)
# and the npm registry (only for the first install); the test itself talks to
# 127.0.0.1 only.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() {
  echo "run.sh (node interop): $*" >&2
  exit 1
}

[[ $# -eq 1 ]] || { echo "usage: $0 <path/to/corsd>" >&2; exit 2; }
corsd="$(realpath -- "$1" 2>/dev/null)" || die "corsd binary \"$1\" not found"
[[ -x "$corsd" ]] || die "corsd binary \"$corsd\" is not executable"

command -v node >/dev/null 2>&1 ||
  die "node is not installed (Debian: apt-get install nodejs npm; scripts/deps.txt lists them)"
command -v npm >/dev/null 2>&1 ||
  die "npm is not installed (Debian: apt-get install npm; scripts/deps.txt lists it)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$node_major" -ge 18 ]] ||
  die "node $(node --version) is too old: the test needs node >= 18 (node:test)"

cd "$here"
export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

# node_modules is current when it was installed from this very lock file; the
# stamp holds the lock file's hash. One install at a time (flock) so two
# concurrent runs do not delete each other's node_modules.
install_if_needed() {
  local want have=""
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  [[ -f node_modules/.corsd-lock-sha256 ]] && have="$(cat node_modules/.corsd-lock-sha256)"
  if [[ "$want" == "$have" && -d node_modules/@grpc/grpc-js && -d node_modules/@grpc/proto-loader ]]; then
    return 0
  fi
  echo "run.sh (node interop): npm ci (node_modules missing or outdated)" >&2
  # --prefer-offline: use npm's cache when it has the pinned tarballs;
  # --ignore-scripts: nothing here needs an install script.
  npm ci --prefer-offline --ignore-scripts --no-audit --no-fund >&2 ||
    die "npm ci failed (is the npm registry reachable? npm config get registry: $(npm config get registry))"
  echo "$want" >node_modules/.corsd-lock-sha256
}
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/corsd-node-interop-$(echo "$here" | sha256sum | cut -c1-16).lock"
  flock 9
  install_if_needed
  flock -u 9
  exec 9>&-
else
  install_if_needed
fi

# node --test treats extra arguments as test files, so the binary goes in the
# environment (interop_test.mjs also accepts it as argv[2] when run directly).
CORSD_BINARY="$corsd" exec node --test --test-reporter=spec interop_test.mjs
