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

import json
import os
import statistics
import subprocess
import sys

_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

_CASES = {
    "BM_DecideActual": "whatif_decide",
    "BM_DecideRefused": "whatif_decide_refused",
}


def _ns(entry, field):
  return float(entry[field]) * _UNIT_NS[entry.get("time_unit", "ns")]


def _iterations(report):
  for e in report.get("benchmarks", []):
    if e.get("run_type", "iteration") != "iteration":
      continue
    if e.get("error_occurred"):
      raise KeyError(f"{e['name']} failed: {e.get('error_message')}")
    yield e


def summarize(report):
  runs = {}
  single = {}
  for e in _iterations(report):
    parts = e["name"].split("/")
    if (len(parts) == 3 and parts[0] in _CASES and
        parts[1] in ("rec_off", "rec_on") and parts[2].startswith("pair:")):
      runs[(parts[0], parts[1][len("rec_"):],
            int(parts[2][len("pair:"):]))] = e
    else:
      single[e["name"]] = e
  pairs = sorted({p for (_, _, p) in runs})
  if not pairs:
    raise KeyError("no BM_Decide*/rec_*/pair:N runs in the report")
  out = {}
  for case, stem in _CASES.items():
    ratios = []
    for p in pairs:
      off, on = runs.get((case, "off", p)), runs.get((case, "on", p))
      if off is None or on is None:
        raise KeyError(f"{case} pair {p}: missing its off or on run")
      ratios.append(_ns(on, "cpu_time") / _ns(off, "cpu_time"))
    for arm in ("off", "on"):
      name = "actual" if case == "BM_DecideActual" else "refused"
      key = f"whatif_decide_{name}_ns_rec_{arm}"
      out[key] = statistics.median(
          _ns(runs[(case, arm, p)], "cpu_time") for p in pairs)
    key = f"{stem}_rec_on_over_off"
    out[key] = statistics.median(ratios)
    out[key + "_min"] = min(ratios)
    out[key + "_max"] = max(ratios)
  out["whatif_decide_allocs_rec_on"] = max(
      float(runs[(c, "on", p)]["allocs_per_op"]) for c in _CASES
      for p in pairs)
  for name, key in (("BM_RecorderObserve/known", "whatif_observe_known_ns"),
                    ("BM_RecorderObserve/rotating",
                     "whatif_observe_rotating_ns"),
                    ("BM_RecorderObserve/quota_full",
                     "whatif_observe_quota_full_ns"),
                    ("BM_ShapeFingerprint", "whatif_fingerprint_ns")):
    if name not in single:
      raise KeyError(f"no {name} run in the report")
    out[key] = _ns(single[name], "cpu_time")
  out["whatif_observe_allocs"] = max(
      float(e.get("allocs_per_op", 0)) for n, e in single.items()
      if n.startswith("BM_RecorderObserve/"))
  context = report.get("context", {})
  out["whatif_pinned"] = int(context.get("pinned", 0))
  out["whatif_pairs"] = len(pairs)
  return out


def main():
  if len(sys.argv) not in (3, 4):
    print("usage: whatif_summary.py BUILD QUICK [--report=FILE]",
          file=sys.stderr)
    return 2
  build, quick = sys.argv[1], sys.argv[2] == "1"
  if len(sys.argv) == 4 and sys.argv[3].startswith("--report="):
    with open(sys.argv[3][len("--report="):]) as f:
      report = json.load(f)
  else:
    binary = os.path.join(build, "bin", "bench_whatif")
    if not os.path.exists(binary):
      print(f"whatif_summary.py: {binary} not built; no keys",
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
      print(f"whatif_summary.py: bench_whatif exited "
            f"{run.returncode}", file=sys.stderr)
      return 1
    report = json.loads(run.stdout)
  try:
    out = summarize(report)
  except (KeyError, ValueError) as err:
    print(f"whatif_summary.py: {err}", file=sys.stderr)
    return 1
  print(json.dumps(out))
  return 0


if __name__ == "__main__":
  sys.exit(main())
