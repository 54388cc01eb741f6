#!/usr/bin/env bash
# The browser test in one command (CTest runs it, label `external`):
#   deploy/browser-test/run.sh path/to/corsd [--keep] [--timeout SECONDS]
# Installs the Debian packages it needs if missing (scripts/browser-deps.sh),
# then runs browser_test.py with Debian's python (/usr/bin/python3), bounded
# by `timeout` so a stuck browser cannot hang CI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/../../scripts/browser-deps.sh"
exec timeout --kill-after=10 170 /usr/bin/python3 "$here/browser_test.py" "$@"
