"""The service runs of bench/run (issue 8): corsd and the null server under load.

run(build, quick, out, log) -> (status, {key: number}) starts the null server
and corsd (with synthetic datasets loaded through Admin.Import by
`corsd_load load`), drives them with `corsd_load run`, and computes the keys
listed in bench/README.md. Raw corsd_load outputs go to <out>/raw/service/,
the latency curve to <out>/latency.png (and its data to <out>/latency.dat).

CPU split (2 cores): the server under test is pinned to CPU 0 (all of its
threads); corsd_load, one client thread, is pinned to CPU 1. Both servers run
with --threads 0 (gRPC's default sync pool): on gRPC 1.51 a bounded pool
(--threads N > 0) answers RESOURCE_EXHAUSTED to a call that finds every
thread busy instead of queueing it. corsd and the null server get the same
pinning and the same flags, so the comparison is like for like. Without
taskset (or with one CPU) nothing is pinned and the split is reported as such.

Raises ServiceRunError (processes.py) when a run fails (a process that does
not start, a load run that exits non-zero, or a run with errors). The HTTP
door's runs are in http_runs.py.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time

import http_runs  # noqa: E402  (bench/load/http_runs.py)
import processes  # noqa: E402  (bench/load/processes.py)
from processes import Server, ServiceRunError  # noqa: E402,F401

# The admin token bench/run writes for the corsd it starts (a throwaway
# secret for a loopback-only process).
_TOKEN = "bench-run-token"
# --threads for corsd and the null server alike (see the CPU split above).
SERVER_THREADS = 0


class Plan:
  """Sizes and durations; quick keeps the whole service part under 90 s."""

  def __init__(self, quick):
    self.quick = quick
    self.warmup_s = 0.5 if quick else 2
    self.duration_s = 2.5 if quick else 10
    self.small_origins = 1000
    self.large_origins = 1_000_000 if quick else 10_000_000
    self.tenants_small = 100
    self.tenants_large = 100_000
    self.fractions = [0.25, 0.5, 0.75] if quick else [
        0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9
    ]
    # Closed loop: enough in flight to keep one server core busy.
    self.channels = 4
    self.inflight = 16
    self.stream_batch = 100
    self.stream_inflight = 2
    # Closed-loop figures are paired runs, subject and baseline interleaved
    # (A B A B ...): each pair shares the same minute of a shared machine, so
    # the median of the paired ratios holds where absolute rates swing.
    self.pairs = 3 if quick else 5
    self.pair_duration_s = 2 if quick else 5


class Harness:

  def __init__(self, build, plan, out, log):
    self.bin = os.path.join(build, "bin")
    self.plan = plan
    self.raw = os.path.join(out, "raw", "service")
    os.makedirs(self.raw, exist_ok=True)
    self.log = log
    pin = shutil.which("taskset") and os.cpu_count() and os.cpu_count() >= 2
    self.server_cpu = 0 if pin else None
    self.load_cpu = 1 if pin else None

  def load_argv(self, args):
    argv = [os.path.join(self.bin, "corsd_load")] + args
    if self.load_cpu is not None:
      argv = ["taskset", "-c", str(self.load_cpu)] + argv
    return argv

  def corsd_load(self, tag, args, timeout=3600):
    """Runs corsd_load; returns its JSON object; saves it under raw/."""
    argv = self.load_argv(args)
    self.log(f"  {tag}: corsd_load {' '.join(args)}")
    proc = subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout)
    with open(os.path.join(self.raw, f"{tag}.json"), "w") as f:
      f.write(proc.stdout)
    if proc.returncode != 0:
      raise ServiceRunError(f"{tag}: corsd_load exited {proc.returncode}: "
                            f"{proc.stderr.strip()[-800:]}")
    try:
      result = json.loads(proc.stdout)
    except ValueError as e:
      raise ServiceRunError(f"{tag}: corsd_load printed no JSON: {e}")
    if result.get("errors_total", 0):
      raise ServiceRunError(f"{tag}: {result['errors_total']} errors: "
                            f"{result.get('errors')}")
    return result

  def drive(self, tag, server, target, origins, tenants, rate=None,
            duration=None):
    """One corsd_load run against `server`; adds "server_cpu": the server's
    CPU use over the run (warmup included), in cores (1.0 = one core busy)."""
    p = self.plan
    args = [
        "run", f"--target={target}", f"--addr={server.addrs['decisions']}",
        f"--channels={p.channels}", f"--warmup={p.warmup_s}",
        f"--duration={duration or p.duration_s}", f"--origins={origins}",
        f"--tenants={tenants}"
    ]
    if target == "stream":
      args += [f"--batch={p.stream_batch}", f"--inflight={p.stream_inflight}"]
    elif rate is None:
      args += [f"--inflight={p.inflight}"]
    else:
      # Open loop: room for bursts; latency counts from the intended time.
      args += [f"--rate={rate:.0f}", "--inflight=64"]
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    result = self.corsd_load(tag, args)
    result["server_cpu"] = ((server.cpu_seconds() - cpu0) /
                            (time.monotonic() - t0))
    with open(os.path.join(self.raw, f"{tag}.json"), "w") as f:
      json.dump(result, f)
      f.write("\n")
    return result

  def paired(self, tag, servers, target, origins, tenants):
    """Closed-loop `drive` of every (name, server) in turn, plan.pairs times
    (A B A B ...; each run kept under raw/ as <name>_<tag>_<i>); returns
    {name: [run, ...]} in pair order."""
    runs = {name: [] for name, _ in servers}
    for i in range(self.plan.pairs):
      for name, server in servers:
        runs[name].append(
            self.drive(f"{name}_{tag}_{i + 1}", server, target, origins,
                       tenants, duration=self.plan.pair_duration_s))
    return runs

  def start_null(self):
    return Server("null_server", [
        os.path.join(self.bin, "null_server"), "--listen=127.0.0.1:0",
        f"--threads={SERVER_THREADS}"
    ], os.path.join(self.raw, "null_server.log"), self.server_cpu, self.log,
                  "ready")

  def start_corsd(self, tag, data_dir, token_file, http=False):
    argv = [
        os.path.join(self.bin, "corsd"), "--listen", "127.0.0.1:0",
        "--admin-listen", "127.0.0.1:0", "--data-dir", data_dir,
        "--admin-token-file", token_file, "--threads", str(SERVER_THREADS)
    ]
    if http:
      # One event loop: the door gets the one pinned core, as nginx's one
      # worker and the null HTTP server do.
      argv += ["--http-listen", "127.0.0.1:0", "--http-threads", "1"]
    return Server("corsd", argv, os.path.join(self.raw, f"corsd_{tag}.log"),
                  self.server_cpu, self.log, "corsd: ready")

  def stats(self, tag, server, token_file):
    return self.corsd_load(tag, [
        "stats", f"--admin={server.addrs['admin']}",
        f"--token-file={token_file}"
    ])

  def import_restarted(self, tag, data_dir, token_file, origins, tenants):
    """Imports a dataset into a fresh corsd on `data_dir` and stops it;
    returns the import rate in origins/s."""
    corsd = self.start_corsd(f"{tag}_import", data_dir, token_file)
    try:
      t0 = time.monotonic()
      self.import_dataset(f"load_{tag}", corsd, token_file, origins, tenants)
      return origins / (time.monotonic() - t0)
    finally:
      corsd.stop()

  def import_dataset(self, tag, server, token_file, origins, tenants):
    return self.corsd_load(tag, [
        "load", f"--admin={server.addrs['admin']}",
        f"--token-file={token_file}", f"--origins={origins}",
        f"--tenants={tenants}"
    ])


def write_plot(out, sweeps, log):
  """latency.dat + latency.png: p99 and p50 against offered load."""
  dat = os.path.join(out, "latency.dat")
  with open(dat, "w") as f:
    for i, (name, points) in enumerate(sweeps):
      if i:
        f.write("\n\n")
      f.write(f"# {name}: offered_qps achieved_qps p50_us p99_us p999_us\n")
      for r in points:
        f.write(f"{r['offered_qps']:.0f} {r['qps']:.0f} {r['p50_us']:.1f} "
                f"{r['p99_us']:.1f} {r['p999_us']:.1f}\n")
  if not shutil.which("gnuplot"):
    log("gnuplot missing: apt-get install -y gnuplot-nox")
    subprocess.run(["apt-get", "install", "-y", "-q", "gnuplot-nox"],
                   stdout=subprocess.DEVNULL)
  if not shutil.which("gnuplot"):
    raise ServiceRunError("gnuplot is not installed and apt-get could not "
                          "install gnuplot-nox")
  png = os.path.join(out, "latency.png")
  plots = []
  for i, (name, _) in enumerate(sweeps):
    plots.append(f"'{dat}' index {i} using 1:4 with linespoints lw 2 "
                 f"title '{name} p99'")
    plots.append(f"'{dat}' index {i} using 1:3 with linespoints dt 2 "
                 f"title '{name} p50'")
  script = "\n".join([
      "set terminal png size 900,560", f"set output '{png}'",
      "set title 'Decider.Decide latency against offered load (open loop)'",
      "set xlabel 'offered load (requests/s)'",
      "set ylabel 'latency from intended send time (us)'", "set logscale y",
      "set format y '%.0f'",
      "set grid", "set key top left", "plot " + ", \\\n  ".join(plots)
  ])
  proc = subprocess.run(["gnuplot"], input=script, text=True,
                        capture_output=True)
  if proc.returncode != 0:
    raise ServiceRunError(f"gnuplot failed: {proc.stderr.strip()}")


def run(build, quick, out, log):
  """Runs the service part; returns (status, keys). See the module doc."""
  binaries = ["corsd_load", "null_server", "http_null_server"]
  missing = [b for b in binaries
             if not os.access(os.path.join(build, "bin", b), os.X_OK)]
  if missing:
    return f"skipped: {', '.join(missing)} not built", {}
  plan = Plan(quick)
  h = Harness(build, plan, out, log)
  keys = {"service_large_origins": plan.large_origins,
          "service_pinned": 1 if h.server_cpu is not None else 0}
  if quick:
    # qps_10m_over_1k is then measured at this size, not 10M.
    keys["service_quick_size"] = plan.large_origins
  small_o, small_t = plan.small_origins, plan.tenants_small

  if not os.access(os.path.join(build, "bin", "corsd"), os.X_OK):
    return "skipped: corsd not built", keys

  work = tempfile.mkdtemp(prefix="corsd-bench-")
  try:
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as f:
      f.write(_TOKEN + "\n")

    # 1. corsd (1k origins) and its ceiling, the null server, side by side:
    # closed-loop runs interleaved in pairs, then open-loop sweeps.
    log(f"service: null server and corsd with {small_o} origins, paired")
    null = h.start_null()
    corsd = None
    try:
      corsd = h.start_corsd("1k", os.path.join(work, "small"), token_file,
                            http=True)
      h.import_dataset("load_1k", corsd, token_file, small_o, small_t)
      keys["rss_bytes_1k"] = corsd.rss_bytes()
      pair = [("null", null), ("corsd", corsd)]
      for target, subject, base, field, ratio in [
          ("decide", "decide_unary", "null_unary", "qps", "decide"),
          ("check", "check_unary", "null_check", "qps", "check"),
          ("stream", "stream", "null_stream", "decisions_per_s", "stream")]:
        runs = h.paired(target, pair, target, small_o, small_t)
        _paired_keys(keys, runs["corsd"], runs["null"], field, subject, base,
                     ratio)

      null_sweep, corsd_sweep = [], []
      for frac in plan.fractions:
        rate = frac * keys["null_unary_qps"]
        null_sweep.append(
            h.drive(f"null_open_{int(frac * 100)}", null, "decide", small_o,
                    small_t, rate))
        corsd_sweep.append(
            h.drive(f"corsd_open_{int(frac * 100)}", corsd, "decide",
                    small_o, small_t, rate))
      keys["null_p99_us_at_half_load"] = _at_half(plan, null_sweep)["p99_us"]
      keys["decide_p99_us_at_half_load"] = _at_half(plan,
                                                    corsd_sweep)["p99_us"]
      null.stop()
      null = None

      # 2. The HTTP door of the same corsd against its two baselines.
      log("service: HTTP door, paired with the null HTTP server and nginx")
      keys.update(http_runs.run(h, corsd, small_o, small_t))
    finally:
      if null is not None:
        null.stop()
      if corsd is not None:
        corsd.stop()
    sweeps = [("null server", null_sweep), ("corsd (1k origins)", corsd_sweep)]
    rss_small = keys["rss_bytes_1k"]

    # 3. Memory: corsd restarted on a data dir (tables built from the store
    # as in production, no import garbage in the RSS). The baseline has the
    # large dataset's tenants with one origin each, so the per-origin figure
    # is not inflated by the tenants' policies (rss_bytes_per_tenant).
    big_o, big_t = plan.large_origins, plan.tenants_large
    log(f"service: corsd with {big_t} tenants, {big_t} origins (baseline)")
    base_dir = os.path.join(work, "base")
    h.import_restarted("base", base_dir, token_file, big_t, big_t)
    corsd = h.start_corsd("base", base_dir, token_file)
    try:
      rss_base = corsd.rss_bytes()
    finally:
      corsd.stop()
    keys["rss_bytes_tenants_base"] = rss_base
    keys["rss_bytes_per_tenant"] = (rss_base - rss_small) / (big_t - small_t)

    log(f"service: corsd with {big_o} origins")
    big_dir = os.path.join(work, "large")
    keys["import_origins_per_s"] = h.import_restarted(
        "large", big_dir, token_file, big_o, big_t)
    t0 = time.monotonic()
    corsd = h.start_corsd("large", big_dir, token_file)
    keys["startup_seconds_large"] = time.monotonic() - t0
    try:
      rss_big = corsd.rss_bytes()
      keys["rss_bytes_large"] = rss_big
      stats = h.stats("stats_large", corsd, token_file)
      if stats["origins"] != big_o:
        raise ServiceRunError(f"corsd restarted with {stats['origins']} "
                              f"origins, expected {big_o}")
      keys["table_bytes_large"] = stats["table_bytes"]
      keys["rss_bytes_per_origin"] = (rss_big - rss_base) / (big_o - big_t)
      runs = [h.drive(f"corsd_decide_large_{i + 1}", corsd, "decide", big_o,
                      big_t, duration=plan.pair_duration_s)
              for i in range(plan.pairs)]
      keys["decide_unary_qps_large"] = processes.median([r["qps"] for r in runs])
      keys["decide_unary_qps_per_core_large"] = processes.median(
          [_per_core(r, "qps") for r in runs])
      keys["qps_10m_over_1k"] = (keys["decide_unary_qps_large"] /
                                 keys["decide_unary_qps"])
      keys["qps_per_core_10m_over_1k"] = (
          keys["decide_unary_qps_per_core_large"] /
          keys["decide_unary_qps_per_core"])
    finally:
      corsd.stop()
  finally:
    shutil.rmtree(work, ignore_errors=True)

  keys["p99_at_half_load_over_null"] = (keys["decide_p99_us_at_half_load"] /
                                        keys["null_p99_us_at_half_load"])
  # HTTP/1.1 keep-alive without gRPC framing against the gRPC Check door,
  # both per core of corsd, both medians of this run.
  keys["http_auth_over_check_unary"] = (keys["http_auth_qps_per_core"] /
                                        keys["check_unary_qps_per_core"])
  write_plot(out, sweeps, log)
  return "ok", keys


def _paired_keys(keys, subject_runs, base_runs, field, subject, base, ratio):
  """Keys of paired runs: the medians <subject>_qps and <base>_qps (or
  _decisions_per_s, and their _per_core figures), <ratio>_over_null = the
  median of the paired ratios with its spread (_min, _max), and
  <ratio>_per_core_over_null = the median of the paired per-core ratios."""
  suffix = "_decisions_per_s" if field == "decisions_per_s" else "_qps"
  core_suffix = ("_decisions_per_core_s" if field == "decisions_per_s" else
                 "_qps_per_core")
  keys[subject + suffix] = processes.median([r[field] for r in subject_runs])
  keys[base + suffix] = processes.median([r[field] for r in base_runs])
  keys[subject + core_suffix] = processes.median(
      [_per_core(r, field) for r in subject_runs])
  keys[base + core_suffix] = processes.median([_per_core(r, field) for r in base_runs])
  ratios = [a[field] / b[field] for a, b in zip(subject_runs, base_runs)]
  core = [_per_core(a, field) / _per_core(b, field)
          for a, b in zip(subject_runs, base_runs)]
  name = f"{ratio}_over_null"
  keys[name] = processes.median(ratios)
  keys[name + "_min"] = min(ratios)
  keys[name + "_max"] = max(ratios)
  keys[f"{ratio}_per_core_over_null"] = processes.median(core)
  if field == "qps":
    keys[subject + "_p99_us"] = processes.median([r["p99_us"] for r in subject_runs])
    keys[subject + "_server_cpu"] = processes.median(
        [r["server_cpu"] for r in subject_runs])
    keys[subject + "_client_cpu"] = processes.median(
        [r["client_cpu"] for r in subject_runs])
    keys[base + "_p99_us"] = processes.median([r["p99_us"] for r in base_runs])
    keys[base + "_server_cpu"] = processes.median([r["server_cpu"] for r in base_runs])
    keys[base + "_client_cpu"] = processes.median([r["client_cpu"] for r in base_runs])


def _per_core(result, field):
  """`field` per second of server CPU: robust when the cores are shared."""
  return result[field] / max(result["server_cpu"], 1e-9)


def _at_half(plan, sweep):
  return sweep[plan.fractions.index(0.5)]
