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
  """The keys from a bench_tenant_view JSON report; KeyError when one is
  missing."""
  runs, single = pr.arm_runs(report, _CASES, "view")
  out = {}
  _paired_keys(runs, "view", out)
  out["tenant_view_observe_allocs"] = _observe_keys(
      single, {"BM_ViewObserve/allowed": "tenant_view_observe_allowed_ns",
               "BM_ViewObserve/refused": "tenant_view_observe_refused_ns",
               "BM_ViewObserve/refused_kept":
                   "tenant_view_observe_refused_kept_ns"},
      "BM_ViewObserve/", out)
  kept = single["BM_ViewObserve/refused_kept"]
  out["tenant_view_kept_folded_per_s"] = float(kept["folded_per_s"])
  out["tenant_view_kept_dropped_per_s"] = float(kept["dropped_per_s"])
  context = report.get("context", {})
  out["tenant_view_pinned"] = int(context.get("pinned", 0))
  out["tenant_view_pairs"] = len(pr.pairs_of(runs))
  return out


if __name__ == "__main__":
  sys.exit(pr.main("tenant_view_summary.py", "bench_tenant_view", summarize))
