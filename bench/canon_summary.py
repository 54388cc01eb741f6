#!/usr/bin/python3
"""bench/canon_summary.py BUILD QUICK: the full parse against ada, paired.

The `command` of bench/keys/canon_ada.json (issue 16 part 4). Runs, for N
rounds (5 under --quick, 15 in the full run), <BUILD>/bin/bench_canon's
BM_CanonicalizeOrigin classes (typical, mixed_case_port, idn_unicode,
ipv4_forms, ipv6, full_url, error) and bench/canon_ada.mjs (`new
URL(s).origin` in Node, whose URL is ada, on the same inputs), one after the
other in each round, their order alternating between rounds, both pinned to
the same CPU (taskset -c 1 when taskset exists and there are 2+ CPUs). A
round gives one ratio per class: corsd's real_time over Node's ns/op (both
wall time per call, both the mean over their timed loop). stdout gets one
flat JSON object:

  canon_full_parse_over_ada_<class> (_min, _max)
      median over the rounds of the paired ratio corsd / ada, and its spread
      (goal: <= 0.7 for every class)
  canon_full_parse_over_ada_worst   the largest of those medians
  canon_full_parse_ns_<class>, canon_ada_ns_<class>
      median ns/op of each side over the rounds (absolute: only for reading)
  canon_full_parse_allocs_<class>, canon_full_parse_icu_allocs_<class>
      the most allocs_per_op (operator new + ICU mallocs) and
      icu_allocs_per_op of any round (goal: <= 1)
  canon_ada_rounds, canon_ada_pinned, canon_ada_node_present

When `node` is not on PATH, prints {"canon_ada_node_present": 0} and says so
on stderr (status 0): the comparison is skipped, not failed. Prints {} when
bench_canon is not built. Exit status 1 (message on stderr) when a run fails.
The raw reports go to stderr (bench/run keeps them in raw/canon_ada.err).
"""

import json
import os
import shutil
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CLASSES = ("typical", "mixed_case_port", "idn_unicode", "ipv4_forms", "ipv6",
           "full_url", "error")
_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def pin_prefix():
  """["taskset", "-c", "1"] when pinning is possible, else []."""
  if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
    return ["taskset", "-c", "1"]
  return []


def run_corsd(binary, pin, min_time):
  """{class: (real_ns, allocs_per_op, icu_allocs_per_op)} of one run."""
  cmd = pin + [binary, "--benchmark_format=json",
               "--benchmark_filter=^BM_CanonicalizeOrigin/",
               f"--benchmark_min_time={min_time}"]
  proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
  if proc.returncode != 0:
    raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: "
                       f"{proc.stderr.strip()[-500:]}")
  sys.stderr.write(proc.stdout)
  report = json.loads(proc.stdout)
  out = {}
  for e in report.get("benchmarks", []):
    name = e.get("name", "")
    if not name.startswith("BM_CanonicalizeOrigin/"):
      continue
    cls = name.split("/", 1)[1]
    if e.get("error_occurred"):
      raise RuntimeError(f"{name}: {e.get('error_message')}")
    out[cls] = (float(e["real_time"]) * _UNIT_NS[e.get("time_unit", "ns")],
                float(e["allocs_per_op"]), float(e["icu_allocs_per_op"]))
  missing = [c for c in CLASSES if c not in out]
  if missing:
    raise RuntimeError(f"bench_canon reported no {missing}")
  return out


def run_ada(node, pin, budget_ms):
  """{class: ns_per_op} of one canon_ada.mjs run."""
  cmd = pin + [node, os.path.join(REPO, "bench", "canon_ada.mjs"),
               f"--ms={budget_ms}"]
  proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
  if proc.returncode != 0:
    raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: "
                       f"{proc.stderr.strip()[-500:]}")
  sys.stderr.write(proc.stdout)
  got = json.loads(proc.stdout)
  missing = [c for c in CLASSES if c not in got]
  if missing:
    raise RuntimeError(f"canon_ada.mjs reported no {missing}")
  return {c: float(got[c]) for c in CLASSES}


def summarize(corsd_runs, ada_runs, pinned):
  """The keys from paired lists of runs (round i: corsd_runs[i], ada_runs[i])."""
  out = {}
  worst = 0.0
  for c in CLASSES:
    ratios = [cr[c][0] / ar[c] for cr, ar in zip(corsd_runs, ada_runs)]
    key = f"canon_full_parse_over_ada_{c}"
    out[key] = statistics.median(ratios)
    out[key + "_min"] = min(ratios)
    out[key + "_max"] = max(ratios)
    worst = max(worst, out[key])
    out[f"canon_full_parse_ns_{c}"] = statistics.median(
        cr[c][0] for cr in corsd_runs)
    out[f"canon_ada_ns_{c}"] = statistics.median(ar[c] for ar in ada_runs)
    out[f"canon_full_parse_allocs_{c}"] = max(cr[c][1] for cr in corsd_runs)
    out[f"canon_full_parse_icu_allocs_{c}"] = max(
        cr[c][2] for cr in corsd_runs)
  out["canon_full_parse_over_ada_worst"] = worst
  out["canon_ada_rounds"] = len(corsd_runs)
  out["canon_ada_pinned"] = 1 if pinned else 0
  out["canon_ada_node_present"] = 1
  return out


def main():
  if len(sys.argv) != 3:
    print("usage: canon_summary.py BUILD QUICK", file=sys.stderr)
    return 2
  build, quick = sys.argv[1], sys.argv[2] == "1"
  binary = os.path.join(build, "bin", "bench_canon")
  if not os.access(binary, os.X_OK):
    print(f"canon_summary.py: {binary} not built; no keys", file=sys.stderr)
    print("{}")
    return 0
  node = shutil.which("node")
  if node is None:
    print("canon_summary.py: `node` is not on PATH: the comparison with ada "
          "(Node's URL) is skipped (install nodejs to run it)",
          file=sys.stderr)
    print(json.dumps({"canon_ada_node_present": 0}))
    return 0
  rounds = 5 if quick else 15
  min_time, budget_ms = (0.05, 50) if quick else (0.2, 200)
  pin = pin_prefix()
  corsd_runs, ada_runs = [], []
  try:
    for r in range(rounds):
      # Alternate the order so a drift of the machine's speed within a
      # round does not favour one side.
      if r % 2 == 0:
        corsd_runs.append(run_corsd(binary, pin, min_time))
        ada_runs.append(run_ada(node, pin, budget_ms))
      else:
        ada_runs.append(run_ada(node, pin, budget_ms))
        corsd_runs.append(run_corsd(binary, pin, min_time))
  except (RuntimeError, ValueError, KeyError) as err:
    print(f"canon_summary.py: {err}", file=sys.stderr)
    return 1
  print(json.dumps(summarize(corsd_runs, ada_runs, bool(pin))))
  return 0


if __name__ == "__main__":
  sys.exit(main())
