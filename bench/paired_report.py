"""Reading the JSON report of an interleaved on/off benchmark.

The observer benchmarks (bench_decision_log, bench_tenant_view, bench_whatif)
register each case as "CASE/PREFIX_off/pair:P" and "CASE/PREFIX_on/pair:P"
for P = 1..pairs, interleaved, plus single runs under other names. Their
summary scripts (bench/*_summary.py, the `command` of a bench/keys file)
share what is here: finding the runs, the paired on/off ratios (the median
of the per-pair ratios, with their spread, as bench/README.md asks), and
the command line (BUILD QUICK [--report=FILE]).
"""

import json
import os
import statistics
import subprocess
import sys

_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def ns(entry, field):
  """`field` (cpu_time, real_time) of a report entry, in nanoseconds."""
  return float(entry[field]) * _UNIT_NS[entry.get("time_unit", "ns")]


def arm_runs(report, cases, prefix):
  """({(case, arm, pair): entry}, {name: entry}) of the report's iteration
  entries: the paired runs of `cases` ("CASE/PREFIX_off|on/pair:P") and
  every other run by name. KeyError when a run failed."""
  runs, single = {}, {}
  for e in report.get("benchmarks", []):
    if e.get("run_type", "iteration") != "iteration":
      continue
    if e.get("error_occurred"):
      raise KeyError(f"{e['name']} failed: {e.get('error_message')}")
    parts = e["name"].split("/")
    if (len(parts) == 3 and parts[0] in cases and
        parts[1] in (f"{prefix}_off", f"{prefix}_on") and
        parts[2].startswith("pair:")):
      runs[(parts[0], parts[1][len(prefix) + 1:],
            int(parts[2][len("pair:"):]))] = e
    else:
      single[e["name"]] = e
  if not runs:
    raise KeyError(f"no CASE/{prefix}_*/pair:N runs in the report")
  return runs, single


def pairs_of(runs):
  """The pair numbers present, in order."""
  return sorted({p for (_, _, p) in runs})


def paired_ratios(runs, case, field):
  """on / off of `field` for each pair of `case`; KeyError when a pair
  lacks an arm."""
  ratios = []
  for p in pairs_of(runs):
    off, on = runs.get((case, "off", p)), runs.get((case, "on", p))
    if off is None or on is None:
      raise KeyError(f"{case} pair {p}: missing its off or on run")
    ratios.append(ns(on, field) / ns(off, field))
  return ratios


def put_ratio(out, key, ratios):
  """out[key] = the median of `ratios`, out[key_min], out[key_max]."""
  out[key] = statistics.median(ratios)
  out[key + "_min"] = min(ratios)
  out[key + "_max"] = max(ratios)


def median_ns(runs, case, arm, field="cpu_time"):
  """The median of `field` over the pairs' runs of one arm."""
  return statistics.median(ns(runs[(case, arm, p)], field)
                           for p in pairs_of(runs))


def single_ns(single, name, field="cpu_time"):
  """`field` of the single run `name`; KeyError when it is missing."""
  if name not in single:
    raise KeyError(f"no {name} run in the report")
  return ns(single[name], field)


def main(script, binary, summarize):
  """The command line every summary script has: SCRIPT BUILD QUICK
  [--report=FILE]. Runs BUILD/bin/BINARY with JSON output (5 pairs of 0.2 s
  under QUICK = 1, else 9 pairs of 1 s), copies its report to stderr (bench/run
  keeps it), and prints summarize(report) as one JSON object. Prints {} with
  status 0 when the binary is not built; status 1 when it fails or a key is
  missing; 2 on bad usage. With --report=FILE, summarizes FILE instead."""
  if len(sys.argv) not in (3, 4):
    print(f"usage: {script} BUILD QUICK [--report=FILE]", file=sys.stderr)
    return 2
  build, quick = sys.argv[1], sys.argv[2] == "1"
  if len(sys.argv) == 4 and sys.argv[3].startswith("--report="):
    with open(sys.argv[3][len("--report="):]) as f:
      report = json.load(f)
  else:
    path = os.path.join(build, "bin", binary)
    if not os.path.exists(path):
      print(f"{script}: {path} not built; no keys", file=sys.stderr)
      print("{}")
      return 0
    args = [path, "--benchmark_format=json"]
    args += (["--pairs=5", "--benchmark_min_time=0.2"] if quick else
             ["--pairs=9", "--benchmark_min_time=1"])
    run = subprocess.run(args, capture_output=True, text=True, check=False)
    sys.stderr.write(run.stderr)
    sys.stderr.write(run.stdout)
    if run.returncode != 0:
      print(f"{script}: {binary} exited {run.returncode}", file=sys.stderr)
      return 1
    report = json.loads(run.stdout)
  try:
    out = summarize(report)
  except (KeyError, ValueError) as err:
    print(f"{script}: {err}", file=sys.stderr)
    return 1
  print(json.dumps(out))
  return 0
