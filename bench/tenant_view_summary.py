#!/usr/bin/python3
"""bench/tenant_view_summary.py BUILD QUICK: runs bench_tenant_view, prints
the keys.

The `command` of bench/keys/tenant_view.json. Runs
<BUILD>/bin/bench_tenant_view (1M origins; the decision path a door runs,
door::RunDecide, with the per-tenant refusal view off and on at corsd's
defaults; the binary pins its benchmark thread to CPU 0 and the view's folder
to CPU 1 itself) with JSON output: 5 off/on pairs under --quick
(--benchmark_min_time=0.2), 9 in the full run (--benchmark_min_time=1). The
benchmark's JSON report goes to stderr; stdout gets one flat JSON object:

  decide_actual_ns_view_off, decide_actual_ns_view_on
      BM_DecideActual CPU ns, median over the runs of each arm
  decide_view_on_over_off (_min, _max)
      BM_DecideActual: the median of the paired ratios on / off of CPU time,
      and their spread (pair p = the off run and the on run of pair:p)
  decide_view_on_over_off_real (_min, _max)
      the same for wall time
  decide_refused_ns_view_off, decide_refused_ns_view_on,
  decide_refused_view_on_over_off (_min, _max)
      the same for BM_DecideRefused (every decision a refusal; all but 1000
      a second dropped by the tenant budget)
  decide_actual_allocs_view_on, decide_refused_allocs_view_on
      the most allocs_per_op of any "on" run (the benchmark thread's own
      allocations: must be 0)
  decide_actual_allocs_view_off, decide_refused_allocs_view_off
  tenant_view_observe_allowed_ns, tenant_view_observe_refused_ns,
  tenant_view_observe_refused_kept_ns
      BM_ViewObserve/* CPU ns: OnDecision alone for an allowed decision, a
      refusal over its budget, a refusal within budget (copied to the ring)
  tenant_view_observe_allocs
      the most allocs_per_op of the three (must be 0)
  tenant_view_kept_folded_per_s, tenant_view_kept_dropped_per_s
      BM_ViewObserve/refused_kept: refusals folded, and dropped (ring full
      or budget), per second of its timed run (the drains are paused
      time, so folded_per_s is not the folder's throughput)
  tenant_view_pairs, tenant_view_pinned

Prints {} (status 0) when bench_tenant_view is not built; exit status 1
(message on stderr) when it fails. A third argument, --report=FILE,
summarizes an existing JSON report instead of running it.
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
    # "BM_DecideActual/view_on/pair:3"
    parts = e["name"].split("/")
    if (len(parts) != 3 or parts[0] not in _CASES or
        parts[1] not in ("view_off", "view_on") or
        not parts[2].startswith("pair:")):
      continue
    if e.get("error_occurred"):
      raise KeyError(f"{e['name']} failed: {e.get('error_message')}")
    runs[(parts[0], parts[1][len("view_"):],
          int(parts[2][len("pair:"):]))] = e
  return runs


def _ns(entry, field):
  return float(entry[field]) * _UNIT_NS[entry.get("time_unit", "ns")]


def summarize(report):
  """The keys from a bench_tenant_view JSON report; KeyError when one is
  missing."""
  runs = _runs(report)
  pairs = sorted({p for (_, _, p) in runs})
  if not pairs:
    raise KeyError("no BM_Decide*/view_*/pair:N runs in the report")
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
      out[f"{stem}_ns_view_{arm}"] = statistics.median(
          _ns(runs[(case, arm, p)], "cpu_time") for p in pairs)
      out[f"{stem}_allocs_view_{arm}"] = max(
          float(runs[(case, arm, p)]["allocs_per_op"]) for p in pairs)
    prefix = "decide" if case == "BM_DecideActual" else stem
    fields = [("cpu_time", "")]
    if case == "BM_DecideActual":
      fields.append(("real_time", "_real"))
    for field, suffix in fields:
      ratios = paired(case, field)
      key = f"{prefix}_view_on_over_off{suffix}"
      out[key] = statistics.median(ratios)
      out[key + "_min"] = min(ratios)
      out[key + "_max"] = max(ratios)
  observe = {e["name"]: e for e in report.get("benchmarks", [])
             if e["name"].startswith("BM_ViewObserve/")
             and e.get("run_type", "iteration") == "iteration"}
  for name, key in (("BM_ViewObserve/allowed", "tenant_view_observe_allowed_ns"),
                    ("BM_ViewObserve/refused", "tenant_view_observe_refused_ns"),
                    ("BM_ViewObserve/refused_kept",
                     "tenant_view_observe_refused_kept_ns")):
    if name not in observe:
      raise KeyError(f"no {name} run in the report")
    if observe[name].get("error_occurred"):
      raise KeyError(f"{name} failed: {observe[name].get('error_message')}")
    out[key] = _ns(observe[name], "cpu_time")
  out["tenant_view_observe_allocs"] = max(
      float(e["allocs_per_op"]) for e in observe.values())
  kept = observe["BM_ViewObserve/refused_kept"]
  out["tenant_view_kept_folded_per_s"] = float(kept["folded_per_s"])
  out["tenant_view_kept_dropped_per_s"] = float(kept["dropped_per_s"])
  context = report.get("context", {})
  out["tenant_view_pinned"] = int(context.get("pinned", 0))
  out["tenant_view_pairs"] = len(pairs)
  return out


def main():
  if len(sys.argv) not in (3, 4):
    print("usage: tenant_view_summary.py BUILD QUICK [--report=FILE]",
          file=sys.stderr)
    return 2
  build, quick = sys.argv[1], sys.argv[2] == "1"
  if len(sys.argv) == 4 and sys.argv[3].startswith("--report="):
    with open(sys.argv[3][len("--report="):]) as f:
      report = json.load(f)
  else:
    binary = os.path.join(build, "bin", "bench_tenant_view")
    if not os.path.exists(binary):
      print(f"tenant_view_summary.py: {binary} not built; no keys",
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
      print(f"tenant_view_summary.py: bench_tenant_view exited "
            f"{run.returncode}", file=sys.stderr)
      return 1
    report = json.loads(run.stdout)
  try:
    out = summarize(report)
  except (KeyError, ValueError) as err:
    print(f"tenant_view_summary.py: {err}", file=sys.stderr)
    return 1
  print(json.dumps(out))
  return 0


if __name__ == "__main__":
  sys.exit(main())
