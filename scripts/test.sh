#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test corsd has:
#   1. the Release build's whole CTest suite (unit, stress, integration, and
#      external tests that install and start PostgreSQL, nginx and Chromium
#      on loopback themselves);
#   2. the 60-second soak (bench/soak: corsd on SQLite and two PostgreSQL
#      replicas under Decide/Check/HTTP load and admin writes, one replica
#      restarted; fails on any error, lost write or RSS trend), one count;
#   3. the stress and unit tests again under ThreadSanitizer and under
#      AddressSanitizer + UBSan (core libraries only);
#   4. every libFuzzer target for CORSD_FUZZ_SECONDS (default 60) each.
# Ends with one line "N passed, N failed" over all phases; exits non-zero if
# anything failed. Idempotent; safe to re-run.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
fuzz_seconds="${CORSD_FUZZ_SECONDS:-60}"
jobs="${CORSD_JOBS:-$(nproc)}"

passed=0
failed=0
failures=()  # one line per failure, repeated at the end where a log tail shows it
log_dir="$root/build-logs"
mkdir -p "$log_dir"

die() { echo "test.sh: $*" >&2; echo "$passed passed, $((failed + 1)) failed"; exit 1; }

# Adds one ctest run's counts ("NN% tests passed, F tests failed out of T").
count_ctest() {
  local log="$1" line total fail
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    failed=$((failed + 1))
    echo "test.sh: no ctest summary in $log" >&2; failures+=("$(basename "$log" .log): no summary")
    return
  fi
  fail=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
  total=$(echo "$line" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
  passed=$((passed + total - fail))
  failed=$((failed + fail))
  # CTest's "The following tests FAILED:" list: "  12 - name (Failed)".
  local t
  while IFS= read -r t; do
    failures+=("$(basename "$log" .log): $t")
  done < <(sed -n '/The following tests FAILED:/,$p' "$log" | grep -E '^[[:space:]]+[0-9]+ - ' | sed -E 's/^[[:space:]]+//')
}

run_ctest() {
  local name="$1"; shift
  echo "=== ctest: $name"
  ctest "$@" --output-on-failure --timeout 900 2>&1 | tee "$log_dir/ctest-$name.log"
  count_ctest "$log_dir/ctest-$name.log"
}

scripts/install-deps.sh --test || die "installing packages failed"
[ -x scripts/browser-deps.sh ] && { scripts/browser-deps.sh || die "browser-deps.sh failed"; }

echo "=== build: release"
scripts/build.sh release || die "release build failed"
run_ctest release --test-dir build -j "$jobs"

# Alone, after the parallel ctest run: the soak's rates are a fraction of
# what the machine serves while it runs. Its progress goes to the console,
# its figures to build-logs/soak.json, its raw outputs to build-logs/soak/.
echo "=== soak: 60 s (bench/soak/README.md)"
if /usr/bin/python3 bench/soak/soak_stats_test.py >"$log_dir/soak-stats-test.log" 2>&1 &&
    bench/soak/soak --seconds 60 --build build --out "$log_dir/soak" \
    2>&1 >"$log_dir/soak.json" | tee "$log_dir/soak.log"; then
  passed=$((passed + 1)); echo "soak: clean"
else
  failed=$((failed + 1)); failures+=("soak (see build-logs/soak.log)")
  echo "soak: FAILED (see $log_dir/soak.log, $log_dir/soak-stats-test.log)"
fi

echo "=== build: tsan"
scripts/build.sh tsan || die "tsan build failed"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  run_ctest tsan --test-dir build-tsan -L stress

echo "=== build: asan"
scripts/build.sh asan || die "asan build failed"
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  run_ctest asan --test-dir build-asan -L 'unit|stress'

echo "=== build: fuzz"
scripts/build.sh fuzz || die "fuzz build failed"
for fuzzer in build-fuzz/bin/*_fuzz; do
  [ -x "$fuzzer" ] || continue
  name=$(basename "$fuzzer")
  corpus_src=$(find service -type d -name "${name%_fuzz}_fuzz_corpus" -o -type d -path "*/${name%_fuzz}/fuzz_corpus" | head -n 1)
  work="build-fuzz/corpus-$name"
  mkdir -p "$work"
  [ -n "$corpus_src" ] && cp -n "$corpus_src"/* "$work"/ 2>/dev/null
  echo "=== fuzz: $name for ${fuzz_seconds}s"
  if "$fuzzer" -max_total_time="$fuzz_seconds" -max_len=4096 -print_final_stats=1 "$work" \
      > "$log_dir/fuzz-$name.log" 2>&1; then
    passed=$((passed + 1)); echo "fuzz: $name clean"
  else
    failed=$((failed + 1)); failures+=("fuzz: $name"); echo "fuzz: $name FAILED"; tail -n 40 "$log_dir/fuzz-$name.log"
  fi
done

if [ "${#failures[@]}" -gt 0 ]; then
  echo "=== failed:"
  printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
