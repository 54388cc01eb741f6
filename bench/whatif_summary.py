#!/usr/bin/python3
"""bench/whatif_summary.py BUILD QUICK: runs bench_whatif, prints the keys.

The `command` of bench/keys/whatif.json. Runs <BUILD>/bin/bench_whatif (1M
origins; the decision path a door runs, door::RunDecide, with the what-if
shape recorder off and on at its defaults; the binary pins its benchmark
thread to CPU 0 and the recorder's thread to CPU 1 itself) with JSON output:
5 off/on pairs under --quick (--benchmark_min_time=0.2), 9 in the full run
(--benchmark_min_time=1). The benchmark's JSON report goes to stderr;
stdout gets one flat JSON object:

  whatif_decide_actual_ns_rec_off, whatif_decide_actual_ns_rec_on
      BM_DecideActual CPU ns, median over the runs of each arm
  whatif_decide_rec_on_over_off (_min, _max)
      BM_DecideActual: the median of the paired ratios on / off of CPU time
      and their spread (pair p = the off run and the on run of pair:p)
  whatif_decide_refused_ns_rec_off, whatif_decide_refused_ns_rec_on,
  whatif_decide_refused_rec_on_over_off (_min, _max)
      the same for BM_DecideRefused
  whatif_decide_allocs_rec_on
      the most allocs_per_op of any "on" run (must be 0)
  whatif_observe_known_ns, whatif_observe_rotating_ns,
  whatif_observe_quota_full_ns, whatif_fingerprint_ns
      BM_RecorderObserve/* and BM_ShapeFingerprint CPU ns
  whatif_observe_allocs
      the most allocs_per_op of the BM_RecorderObserve runs (must be 0)
  whatif_pairs, whatif_pinned

Prints {} (status 0) when bench_whatif is not built; exit status 1 (message
on stderr) when it fails. A third argument, --report=FILE, summarizes an
existing JSON report instead of running it.
"""

import sys

import paired_report as pr

_CASES = {
    "BM_DecideActual": "whatif_decide",
    "BM_DecideRefused": "whatif_decide_refused",
}


def summarize(report):
  """The keys from a bench_whatif JSON report; KeyError when one is
  missing."""
  runs, single = pr.arm_runs(report, _CASES, "rec")
  pairs = pr.pairs_of(runs)
  out = {}
  for case, stem in _CASES.items():
    name = "actual" if case == "BM_DecideActual" else "refused"
    for arm in ("off", "on"):
      out[f"whatif_decide_{name}_ns_rec_{arm}"] = pr.median_ns(runs, case, arm)
    pr.put_ratio(out, f"{stem}_rec_on_over_off",
                 pr.paired_ratios(runs, case, "cpu_time"))
  out["whatif_decide_allocs_rec_on"] = max(
      float(runs[(c, "on", p)]["allocs_per_op"]) for c in _CASES
      for p in pairs)
  for name, key in (("BM_RecorderObserve/known", "whatif_observe_known_ns"),
                    ("BM_RecorderObserve/rotating",
                     "whatif_observe_rotating_ns"),
                    ("BM_RecorderObserve/quota_full",
                     "whatif_observe_quota_full_ns"),
                    ("BM_ShapeFingerprint", "whatif_fingerprint_ns")):
    out[key] = pr.single_ns(single, name)
  out["whatif_observe_allocs"] = max(
      float(e.get("allocs_per_op", 0)) for n, e in single.items()
      if n.startswith("BM_RecorderObserve/"))
  context = report.get("context", {})
  out["whatif_pinned"] = int(context.get("pinned", 0))
  out["whatif_pairs"] = len(pairs)
  return out


if __name__ == "__main__":
  sys.exit(pr.main("whatif_summary.py", "bench_whatif", summarize))
