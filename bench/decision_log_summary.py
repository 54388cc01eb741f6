#!/usr/bin/python3
"""bench/decision_log_summary.py BUILD QUICK: runs bench_decision_log, prints
the keys.

The `command` of bench/keys/decision_log.json. Runs
<BUILD>/bin/bench_decision_log (1M origins; the decision path a door runs,
door::RunDecide, with the decision log off and on at corsd's defaults; the
binary pins its benchmark thread to CPU 0 and the log's writer to CPU 1
itself) with JSON output: 5 off/on pairs under --quick
(--benchmark_min_time=0.2), 9 in the full run (--benchmark_min_time=1). The
benchmark's JSON report goes to stderr (bench/run keeps it as
bench/out/raw/decision_log.err); stdout gets one flat JSON object:

  decide_actual_ns_log_off, decide_actual_ns_log_on
      BM_DecideActual CPU ns, median over the runs of each arm
  decide_log_on_over_off (_min, _max)
      BM_DecideActual: the median of the paired ratios on / off of CPU time,
      and their spread (pair p = the off run and the on run of pair:p);
      the issue's goal is <= 1.10
  decide_log_on_over_off_real (_min, _max)
      the same for wall time
  decide_refused_ns_log_off, decide_refused_ns_log_on,
  decide_refused_log_on_over_off (_min, _max)
      the same for BM_DecideRefused (every decision a refusal the log
      considers; all but 100 a second dropped by the tenant budget)
  decide_actual_allocs_log_on, decide_refused_allocs_log_on
      the most allocs_per_op of any "on" run (the benchmark thread's own
      allocations: must be 0)
  decide_actual_allocs_log_off
  decision_log_observe_allowed_ns, decision_log_observe_refused_ns
      BM_LogObserve/allowed and /refused CPU ns: OnDecision alone for an
      allowed decision (1% sampled) and for a refusal over its budget
  decision_log_observe_allocs
      the most allocs_per_op of the two (must be 0)
  decision_log_lines_per_s_actual
      lines the log wrote per second during the BM_DecideActual "on" runs
      (median): the 1% sample, capped at the tenant's 100 a second
  decision_log_pairs, decision_log_pinned

Prints {} (status 0) when bench_decision_log is not built, as bench/run skips
an area whose binary is missing; exit status 1 (message on stderr) when it
fails. A third argument, --report=FILE, summarizes an existing JSON report
(bench_decision_log --benchmark_format=json > FILE) instead of running it.
"""

import json
import os
import statistics
import subprocess
import sys

_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# benchmark name -> key stem
_CASES = {
    "BM_DecideActual": "decide_actual",
    "BM_DecideRefused": "decide_refused",
}


def _runs(report):
  """{(case, arm, pair): entry} of the report's iteration entries."""
  runs = {}
  for e in report.get("benchmarks", []):
    if e.get("run_type", "iteration") != "iteration":
      continue
    # "BM_DecideActual/log_on/pair:3"
    parts = e["name"].split("/")
    if (len(parts) != 3 or parts[0] not in _CASES or
        parts[1] not in ("log_off", "log_on") or
        not parts[2].startswith("pair:")):
      continue
    if e.get("error_occurred"):
      raise KeyError(f"{e['name']} failed: {e.get('error_message')}")
    runs[(parts[0], parts[1][len("log_"):],
          int(parts[2][len("pair:"):]))] = e
  return runs


def _ns(entry, field):
  return float(entry[field]) * _UNIT_NS[entry.get("time_unit", "ns")]


def summarize(report):
  """The keys from a bench_decision_log JSON report; KeyError when one is
  missing."""
  runs = _runs(report)
  pairs = sorted({p for (_, _, p) in runs})
  if not pairs:
    raise KeyError("no BM_Decide*/log_*/pair:N runs in the report")
  out = {}

  def paired(case, field):
    ratios = []
    for p in pairs:
      off, on = runs.get((case, "off", p)), runs.get((case, "on", p))
      if off is None or on is None:
        raise KeyError(f"{case} pair {p}: missing its off or on run")
      ratios.append(_ns(on, field) / _ns(off, field))
    return ratios

  for case, stem in _CASES.items():
    for arm in ("off", "on"):
      out[f"{stem}_ns_log_{arm}"] = statistics.median(
          _ns(runs[(case, arm, p)], "cpu_time") for p in pairs)
      out[f"{stem}_allocs_log_{arm}"] = max(
          float(runs[(case, arm, p)]["allocs_per_op"]) for p in pairs)
    prefix = "decide" if case == "BM_DecideActual" else stem
    fields = [("cpu_time", "")]
    if case == "BM_DecideActual":
      fields.append(("real_time", "_real"))
    for field, suffix in fields:
      ratios = paired(case, field)
      key = f"{prefix}_log_on_over_off{suffix}"
      out[key] = statistics.median(ratios)
      out[key + "_min"] = min(ratios)
      out[key + "_max"] = max(ratios)
  observe = {e["name"]: e for e in report.get("benchmarks", [])
             if e["name"].startswith("BM_LogObserve/")
             and e.get("run_type", "iteration") == "iteration"}
  for name, key in (("BM_LogObserve/allowed", "decision_log_observe_allowed_ns"),
                    ("BM_LogObserve/refused", "decision_log_observe_refused_ns")):
    if name not in observe:
      raise KeyError(f"no {name} run in the report")
    if observe[name].get("error_occurred"):
      raise KeyError(f"{name} failed: {observe[name].get('error_message')}")
    out[key] = _ns(observe[name], "cpu_time")
  out["decision_log_observe_allocs"] = max(
      float(e["allocs_per_op"]) for e in observe.values())
  out["decision_log_lines_per_s_actual"] = statistics.median(
      float(runs[("BM_DecideActual", "on", p)]["lines_per_s"]) for p in pairs)
  context = report.get("context", {})
  out["decision_log_pinned"] = int(context.get("pinned", 0))
  out["decision_log_pairs"] = len(pairs)
  return out


def main():
  if len(sys.argv) not in (3, 4):
    print("usage: decision_log_summary.py BUILD QUICK [--report=FILE]",
          file=sys.stderr)
    return 2
  build, quick = sys.argv[1], sys.argv[2] == "1"
  if len(sys.argv) == 4 and sys.argv[3].startswith("--report="):
    with open(sys.argv[3][len("--report="):]) as f:
      report = json.load(f)
  else:
    binary = os.path.join(build, "bin", "bench_decision_log")
    if not os.path.exists(binary):
      print(f"decision_log_summary.py: {binary} not built; no keys",
            file=sys.stderr)
      print("{}")
      return 0
    args = [binary, "--benchmark_format=json"]
    args += (["--pairs=5", "--benchmark_min_time=0.2"] if quick else
             ["--pairs=9", "--benchmark_min_time=1"])
    run = subprocess.run(args, capture_output=True, text=True, check=False)
    sys.stderr.write(run.stderr)
    sys.stderr.write(run.stdout)
    if run.returncode != 0:
      print(f"decision_log_summary.py: bench_decision_log exited "
            f"{run.returncode}", file=sys.stderr)
      return 1
    report = json.loads(run.stdout)
  try:
    out = summarize(report)
  except (KeyError, ValueError) as err:
    print(f"decision_log_summary.py: {err}", file=sys.stderr)
    return 1
  print(json.dumps(out))
  return 0


if __name__ == "__main__":
  sys.exit(main())
