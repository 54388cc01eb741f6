#!/usr/bin/python3
"""bench/domains_summary.py BUILD QUICK: runs bench_domains, prints the keys.

The `command` of bench/keys/domains.json. Runs <BUILD>/bin/bench_domains
(1M origins, 100k custom domains under verification; the binary pins its
benchmark thread to CPU 0 and the verifier to CPU 1 itself) with JSON output:
5 rounds of off/on/apart runs under --quick (--benchmark_min_time=0.1), 25 in
the full run (--benchmark_min_time=0.2). The benchmark's JSON report goes to stderr (bench/run
keeps it as bench/out/raw/domains.err); stdout gets one flat JSON object:

  decide_actual_ns_domains_off, decide_actual_ns_domains_on
      BM_DecideActual CPU ns, median over the runs of each arm
  decide_with_domains_over_without (_min, _max)
      BM_DecideActual: the median of the paired ratios on / off of CPU time,
      and their spread (pair p = the off run and the on run of pair:p)
  decide_with_domains_over_without_real (_min, _max)
      the same for wall time
  decide_apart_over_without, decide_with_domains_over_apart (_min, _max,
  and _real)
      the control (bench_domains' header): the same ratios with the
      verifier of a world that shares nothing with the decided one (the
      machine's own effect), and on over that control (what is left for
      corsd's shared structures); likewise decide_refused_* and
      decide_by_host_*
  decide_refused_with_domains_over_without (_min, _max),
  decide_by_host_with_domains_over_without (_min, _max)
      the same for BM_DecideRefused and BM_DecideByHost (CPU time)
  decide_with_domains_over_without_of_minima,
  decide_apart_over_without_of_minima
      the fastest "on" (or "apart") run over the fastest "off" run, CPU
      time: the runs the rest of a shared machine disturbed least (with
      decide_actual_min_ns_domains_off/_on/_apart; likewise for refused and
      by_host)
  decide_refused_ns_domains_off/_on/_apart,
  decide_by_host_ns_domains_off/_on/_apart, decide_actual_ns_domains_apart
  decide_allocs_domains_on       the most allocs_per_op of any "on" run
      (the benchmark thread's own allocations: must be 0)
  domains_attempts_per_s, domains_writes_per_s
      verifier attempts and durable store writes per second during the "on"
      runs (median over them); domains_apart_attempts_per_s the control's
  domains_all_allocs_per_s       allocations of all threads per second
      during the "on" runs (the verifier's; median)
  domains_count, domains_setup_s, domains_pinned, domains_pairs

Prints {} (status 0) when bench_domains is not built, as bench/run skips an
area whose binary is missing; exit status 1 (message on stderr) when it fails.
A third argument, --report=FILE, summarizes an existing JSON report
(bench_domains --benchmark_format=json > FILE) instead of running the binary.
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
    "BM_DecideByHost": "decide_by_host",
}


def _runs(report):
  """{(case, arm, pair): entry} of the report's iteration entries."""
  runs = {}
  for e in report.get("benchmarks", []):
    if e.get("run_type", "iteration") != "iteration":
      continue
    # "BM_DecideActual/verifier_on/pair:3"
    parts = e["name"].split("/")
    if (len(parts) != 3 or parts[0] not in _CASES or
        parts[1] not in ("verifier_off", "verifier_on", "verifier_apart") or
        not parts[2].startswith("pair:")):
      continue
    if e.get("error_occurred"):
      raise KeyError(f"{e['name']} failed: {e.get('error_message')}")
    runs[(parts[0], parts[1][len("verifier_"):],
          int(parts[2][len("pair:"):]))] = e
  return runs


def _ns(entry, field):
  return float(entry[field]) * _UNIT_NS[entry.get("time_unit", "ns")]


def summarize(report):
  """The keys from a bench_domains JSON report; KeyError when one is missing."""
  runs = _runs(report)
  pairs = sorted({p for (_, _, p) in runs})
  if not pairs:
    raise KeyError("no BM_Decide*/verifier_*/pair:N runs in the report")
  out = {}

  apart = any(arm == "apart" for (_, arm, _) in runs)
  arms = ("off", "on", "apart") if apart else ("off", "on")

  def paired(case, field, top, bottom):
    ratios = []
    for p in pairs:
      a, b = runs.get((case, top, p)), runs.get((case, bottom, p))
      if a is None or b is None:
        raise KeyError(f"{case} pair {p}: missing its {top} or {bottom} run")
      ratios.append(_ns(a, field) / _ns(b, field))
    return ratios

  def put(key, ratios):
    out[key] = statistics.median(ratios)
    out[key + "_min"] = min(ratios)
    out[key + "_max"] = max(ratios)

  for case, stem in _CASES.items():
    prefix = ("decide" if case == "BM_DecideActual" else stem)
    for arm in arms:
      times = [_ns(runs[(case, arm, p)], "cpu_time") for p in pairs]
      out[f"{stem}_ns_domains_{arm}"] = statistics.median(times)
      out[f"{stem}_min_ns_domains_{arm}"] = min(times)
    # Minima: the runs least disturbed by the rest of the machine.
    out[f"{prefix}_with_domains_over_without_of_minima"] = (
        out[f"{stem}_min_ns_domains_on"] / out[f"{stem}_min_ns_domains_off"])
    if apart:
      out[f"{prefix}_apart_over_without_of_minima"] = (
          out[f"{stem}_min_ns_domains_apart"] /
          out[f"{stem}_min_ns_domains_off"])
    fields = [("cpu_time", "")]
    if case == "BM_DecideActual":
      fields.append(("real_time", "_real"))
    for field, suffix in fields:
      put(f"{prefix}_with_domains_over_without{suffix}",
          paired(case, field, "on", "off"))
      if apart:
        put(f"{prefix}_apart_over_without{suffix}",
            paired(case, field, "apart", "off"))
        put(f"{prefix}_with_domains_over_apart{suffix}",
            paired(case, field, "on", "apart"))

  on_runs = [e for (_, arm, _), e in runs.items() if arm == "on"]
  apart_runs = [e for (_, arm, _), e in runs.items() if arm == "apart"]
  out["decide_allocs_domains_on"] = max(
      float(e["allocs_per_op"]) for e in on_runs)
  out["decide_allocs_domains_off"] = max(
      float(e["allocs_per_op"]) for (_, arm, _), e in runs.items()
      if arm == "off")
  if apart:
    out["domains_apart_attempts_per_s"] = statistics.median(
        float(e["attempts_per_s"]) for e in apart_runs)
  out["domains_attempts_per_s"] = statistics.median(
      float(e["attempts_per_s"]) for e in on_runs)
  out["domains_writes_per_s"] = statistics.median(
      float(e["writes_per_s"]) for e in on_runs)
  out["domains_all_allocs_per_s"] = statistics.median(
      float(e["all_allocs_per_s"]) for e in on_runs)
  context = report.get("context", {})
  out["domains_count"] = int(context["domains"])
  out["domains_setup_s"] = float(context["domains_setup_s"])
  out["domains_pinned"] = int(context["pinned"])
  out["domains_pairs"] = len(pairs)
  return out


def main():
  if len(sys.argv) not in (3, 4):
    print("usage: domains_summary.py BUILD QUICK [--report=FILE]",
          file=sys.stderr)
    return 2
  build, quick = sys.argv[1], sys.argv[2] == "1"
  if len(sys.argv) == 4 and sys.argv[3].startswith("--report="):
    with open(sys.argv[3][len("--report="):]) as f:
      report = json.load(f)
  else:
    binary = os.path.join(build, "bin", "bench_domains")
    if not os.path.exists(binary):
      print(f"domains_summary.py: {binary} not built; no keys",
            file=sys.stderr)
      print("{}")
      return 0
    args = [binary, "--benchmark_format=json"]
    # Many short rounds rather than a few long ones: the three runs of a
    # round lie within about 1.5 s of each other, so a burst of other work
    # on a shared machine tends to hit all of them or none.
    args += (["--pairs=5", "--benchmark_min_time=0.1"] if quick else
             ["--pairs=25", "--benchmark_min_time=0.2"])
    run = subprocess.run(args, capture_output=True, text=True, check=False)
    sys.stderr.write(run.stderr)
    sys.stderr.write(run.stdout)
    if run.returncode != 0:
      print(f"domains_summary.py: bench_domains exited {run.returncode}",
            file=sys.stderr)
      return 1
    report = json.loads(run.stdout)
  try:
    out = summarize(report)
  except (KeyError, ValueError) as err:
    print(f"domains_summary.py: {err}", file=sys.stderr)
    return 1
  print(json.dumps(out))
  return 0


if __name__ == "__main__":
  sys.exit(main())
