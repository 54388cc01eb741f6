#!/usr/bin/python3
"""bench/table_summary.py BUILD QUICK: runs bench_table, prints the keys.

The `command` of bench/keys/table.json. Runs <BUILD>/bin/bench_table (sizes
up to 10M, or up to 1M when QUICK is 1) with JSON output and prints one flat
JSON object:

  table_bytes_per_origin_10m, absl_bytes_per_origin_10m  resident bytes per
      origin (RSS delta around the build), BM_Build
  table_cold_lookup_ns_10m, absl_cold_lookup_ns_10m      found random key,
      CPU ns per lookup, BM_TableCold / BM_AbslCold
  table_cold_over_absl_10m                               their ratio
  table_hot_lookup_ns                                    BM_TableHot, CPU ns
  table_build_origins_per_s                              BulkLoad, per CPU s
  table_read_ratio_under_writes                          BM_ReadUnderWrites
  table_quick_size                                       the size used for
      every "_10m" key (10000000, or 1000000 in the quick run)

Lookup times are CPU time, not wall time: on a shared machine the wall time
of a memory-bound loop mostly measures how long the thread was descheduled.
Prints {} (status 0) when bench_table is not built, as bench/run skips an
area whose binary is missing; exit status 1 (message on stderr) when it fails.
"""

import json
import os
import subprocess
import sys


def summarize(report, size):
  """The keys from a bench_table JSON report; KeyError when one is missing."""
  entries = {}
  for e in report.get("benchmarks", []):
    # "BM_Build/1000000/iterations:1" -> ("BM_Build", 1000000)
    parts = e["name"].split("/")
    if len(parts) >= 2 and parts[1].isdigit():
      entries[(parts[0], int(parts[1]))] = e

  def get(bench, field):
    e = entries.get((bench, size))
    if e is None:
      raise KeyError(f"{bench}/{size} missing from bench_table output")
    if e.get("error_occurred"):
      raise KeyError(f"{bench}/{size} failed: {e.get('error_message')}")
    if field == "cpu_time":
      unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[e["time_unit"]]
      return float(e["cpu_time"]) * unit
    return float(e[field])

  out = {
    "table_bytes_per_origin_10m": get("BM_Build", "table_bytes_per_origin"),
    "absl_bytes_per_origin_10m": get("BM_Build", "absl_bytes_per_origin"),
    "table_cold_lookup_ns_10m": get("BM_TableCold", "cpu_time"),
    "absl_cold_lookup_ns_10m": get("BM_AbslCold", "cpu_time"),
    "table_hot_lookup_ns": get("BM_TableHot", "cpu_time"),
    "table_build_origins_per_s": get("BM_Build",
                                     "table_build_origins_per_s"),
    "table_read_ratio_under_writes": get("BM_ReadUnderWrites",
                                         "read_ratio"),
    "table_quick_size": size,
  }
  out["table_cold_over_absl_10m"] = (out["table_cold_lookup_ns_10m"] /
                                     out["absl_cold_lookup_ns_10m"])
  return out


def main():
  # A third argument, --report=FILE, summarizes an existing JSON report
  # (bench_table --benchmark_out=FILE) instead of running the binary.
  if len(sys.argv) not in (3, 4):
    print("usage: table_summary.py BUILD QUICK [--report=FILE]",
          file=sys.stderr)
    return 2
  build, quick = sys.argv[1], sys.argv[2] == "1"
  size = 1_000_000 if quick else 10_000_000
  if len(sys.argv) == 4 and sys.argv[3].startswith("--report="):
    with open(sys.argv[3][len("--report="):]) as f:
      report = json.load(f)
  else:
    binary = os.path.join(build, "bin", "bench_table")
    if not os.path.exists(binary):
      # Like bench/run's own areas: a binary that is not built is skipped.
      print(f"table_summary.py: {binary} not built; no keys", file=sys.stderr)
      print("{}")
      return 0
    args = [binary, "--benchmark_format=json", f"--table_max_size={size}",
            "--benchmark_min_time=0.2" if quick else "--benchmark_min_time=1"]
    run = subprocess.run(args, capture_output=True, text=True, check=False)
    if run.returncode != 0:
      print(f"table_summary.py: bench_table failed:\n{run.stderr}",
            file=sys.stderr)
      return 1
    report = json.loads(run.stdout)
  try:
    out = summarize(report, size)
  except KeyError as err:
    print(f"table_summary.py: {err}", file=sys.stderr)
    return 1
  print(json.dumps(out))
  return 0


if __name__ == "__main__":
  sys.exit(main())
