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

import statistics
import sys

import paired_report as pr

# benchmark name -> key stem
_CASES = {
    "BM_DecideActual": "decide_actual",
    "BM_DecideRefused": "decide_refused",
}


def _paired_keys(runs, arm, out):
  """Per case: the arms' median CPU ns and most allocations, and the paired
  on/off ratios of CPU time (and, for BM_DecideActual, wall time)."""
  pairs = pr.pairs_of(runs)
  for case, stem in _CASES.items():
    for side in ("off", "on"):
      out[f"{stem}_ns_{arm}_{side}"] = pr.median_ns(runs, case, side)
      out[f"{stem}_allocs_{arm}_{side}"] = max(
          float(runs[(case, side, p)]["allocs_per_op"]) for p in pairs)
    prefix = "decide" if case == "BM_DecideActual" else stem
    fields = [("cpu_time", "")]
    if case == "BM_DecideActual":
      fields.append(("real_time", "_real"))
    for field, suffix in fields:
      pr.put_ratio(out, f"{prefix}_{arm}_on_over_off{suffix}",
                   pr.paired_ratios(runs, case, field))


def _observe_keys(single, observe, prefix, out):
  """The observer-alone runs `observe` ({name: key}), and the most
  allocations of any run named `prefix`*."""
  for name, key in observe.items():
    out[key] = pr.single_ns(single, name)
  return max(float(e["allocs_per_op"]) for n, e in single.items()
             if n.startswith(prefix))


def summarize(report):
  """The keys from a bench_decision_log JSON report; KeyError when one is
  missing."""
  runs, single = pr.arm_runs(report, _CASES, "log")
  out = {}
  _paired_keys(runs, "log", out)
  out["decision_log_observe_allocs"] = _observe_keys(
      single, {"BM_LogObserve/allowed": "decision_log_observe_allowed_ns",
               "BM_LogObserve/refused": "decision_log_observe_refused_ns"},
      "BM_LogObserve/", out)
  out["decision_log_lines_per_s_actual"] = statistics.median(
      float(runs[("BM_DecideActual", "on", p)]["lines_per_s"])
      for p in pr.pairs_of(runs))
  context = report.get("context", {})
  out["decision_log_pinned"] = int(context.get("pinned", 0))
  out["decision_log_pairs"] = len(pr.pairs_of(runs))
  return out


if __name__ == "__main__":
  sys.exit(pr.main("decision_log_summary.py", "bench_decision_log", summarize))
