#!/usr/bin/env bash
# Configures and builds one flavour of corsd.
# Usage: scripts/build.sh [release|tsan|asan|fuzz] [extra cmake args...]
#   release (default)  everything, Release, in build/
#   tsan               core libraries + tests under ThreadSanitizer, in build-tsan/
#   asan               core libraries + tests under ASan+UBSan, in build-asan/
#   fuzz               libFuzzer targets with clang, in build-fuzz/
# Binaries land in <dir>/bin. Re-running only rebuilds what changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
flavour="${1:-release}"
[ $# -gt 0 ] && shift

case "$flavour" in
  release) dir=build; args=(-DCMAKE_BUILD_TYPE=Release) ;;
  tsan) dir=build-tsan; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORSD_SANITIZE=thread -DCORSD_WITH_GRPC=OFF) ;;
  asan) dir=build-asan; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORSD_SANITIZE=address -DCORSD_WITH_GRPC=OFF) ;;
  fuzz) dir=build-fuzz; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORSD_FUZZ=ON -DCORSD_WITH_GRPC=OFF
                              -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "usage: scripts/build.sh [release|tsan|asan|fuzz] [cmake args...]" >&2; exit 2 ;;
esac

jobs="${CORSD_JOBS:-$(nproc)}"
cmake -S "$root" -B "$root/$dir" -G Ninja "${args[@]}" "$@" >/dev/null
ninja -C "$root/$dir" -j "$jobs"
echo "build.sh: $flavour build ready in $dir/ (binaries in $dir/bin)"
