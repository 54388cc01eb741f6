"""The HTTP door's runs of bench/run (issue 13): corsd's /auth under load
against two baselines, measured in the same run and interleaved.

run(h, corsd, origins, tenants) -> {key: number}, with `h` the service
Harness (pinning, raw/ directory, log) and `corsd` a running corsd started
with --http-listen and --http-threads 1, the `origins`/`tenants` dataset
loaded. It starts the baselines itself and stops them:

  * http_null_server: corsd's own HTTP transport (service/http/transport.h)
    answering a fixed 200 with the same headers as corsd's allowed /auth
    answer, one event loop;
  * nginx (Debian's) answering `return 204` with one worker, access log off.

Every server is pinned to CPU 0 (taskset), the load generator to CPU 1.
Closed loop: wrk, one thread, 32 keep-alive connections, the request nginx's
auth_request sends for an allowed, credentialed GET (X-Original-Method,
X-Original-Host, Origin, Cookie) to /auth/TENANT. Runs go corsd, null, nginx,
corsd, null, nginx ... (plan.pairs rounds); each ratio is the median of the
per-round ratios of per-core throughput (requests/s divided by the server's
CPU use in the run), with its spread. Then /ask on corsd (median of
plan.pairs runs), and an open-loop run of /auth at half of corsd's closed
loop rate with h2load (--rps, one request per connection at a time), whose
per-request log gives the p50.

wrk and h2load (nghttp2-client) are installed with apt-get when missing;
nginx rows are skipped, with a key saying so, when nginx cannot be had.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

import processes

_CONNECTIONS = 32
_OPEN_CONNECTIONS = 16


def _need(binary, package, log):
  if shutil.which(binary):
    return True
  log(f"{binary} missing: apt-get install -y {package}")
  subprocess.run(["apt-get", "install", "-y", "-q", package],
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  return shutil.which(binary) is not None


class _Nginx:
  """nginx, one worker, `return 204`, pinned like the other servers."""

  def __init__(self, h, work):
    self.dir = os.path.join(work, "nginx")
    os.makedirs(os.path.join(self.dir, "logs"), exist_ok=True)
    conf = os.path.join(self.dir, "nginx.conf")
    with open(conf, "w") as f:
      f.write("worker_processes 1;\n"
              f"pid {self.dir}/nginx.pid;\n"
              f"error_log {self.dir}/error.log;\n"
              "events { worker_connections 1024; }\n"
              "http {\n  access_log off;\n"
              f"  client_body_temp_path {self.dir}/body;\n"
              f"  proxy_temp_path {self.dir}/proxy;\n"
              f"  fastcgi_temp_path {self.dir}/fastcgi;\n"
              f"  uwsgi_temp_path {self.dir}/uwsgi;\n"
              f"  scgi_temp_path {self.dir}/scgi;\n"
              "  server {\n    listen 127.0.0.1:0;\n"
              "    location / { return 204; }\n  }\n}\n")
    # nginx cannot bind port 0 and report it: pick a free port first.
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    self.port = s.getsockname()[1]
    s.close()
    with open(conf) as f:
      text = f.read().replace("127.0.0.1:0", f"127.0.0.1:{self.port}")
    with open(conf, "w") as f:
      f.write(text)
    argv = ["nginx", "-c", conf, "-p", self.dir, "-g", "daemon off;"]
    if h.server_cpu is not None:
      argv = ["taskset", "-c", str(h.server_cpu)] + argv
    self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
      if self._workers():
        return
      time.sleep(0.05)
    self.stop()
    raise processes.ServiceRunError(f"nginx did not start; see {self.dir}")

  def _workers(self):
    path = f"/proc/{self.proc.pid}/task/{self.proc.pid}/children"
    try:
      with open(path) as f:
        return [int(p) for p in f.read().split()]
    except OSError:
      return []

  def cpu_seconds(self):
    total = 0.0
    for pid in [self.proc.pid] + self._workers():
      with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
      total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total

  def stop(self):
    if self.proc.poll() is None:
      self.proc.terminate()
      try:
        self.proc.wait(timeout=10)
      except subprocess.TimeoutExpired:
        self.proc.kill()
        self.proc.wait()


def _generate(h, tag, argv, headers, url, duration):
  """Runs the load generator `argv` (wrk or h2load) with `headers` against
  `url`, pinned to the load CPU; keeps its output as raw/<tag>.txt and
  returns the finished process. ServiceRunError when it exits non-zero."""
  for name, value in headers:
    argv = argv + ["-H", f"{name}: {value}"]
  argv = argv + [url]
  if h.load_cpu is not None:
    argv = ["taskset", "-c", str(h.load_cpu)] + argv
  proc = subprocess.run(argv, capture_output=True, text=True,
                        timeout=duration + 60)
  with open(os.path.join(h.raw, f"{tag}.txt"), "w") as f:
    f.write(proc.stdout + proc.stderr)
  if proc.returncode != 0:
    raise processes.ServiceRunError(f"{tag}: {argv[0]} exited "
                                       f"{proc.returncode}")
  return proc


def _wrk(h, tag, url, headers, duration):
  """One closed-loop wrk run; returns {"qps", "p50_us", "p99_us"} and keeps
  its output under raw/."""
  proc = _generate(h, tag, ["wrk", "-t1", f"-c{_CONNECTIONS}",
                            f"-d{duration}s", "--latency"], headers, url,
                   duration)
  m = re.search(r"Requests/sec:\s+([\d.]+)", proc.stdout)
  if not m:
    raise processes.ServiceRunError(f"{tag}: no Requests/sec from wrk")
  bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", proc.stdout)
  if bad:
    raise processes.ServiceRunError(
        f"{tag}: {bad.group(1)} answers were not 2xx; see raw/{tag}.txt")
  errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                     r"timeout (\d+)", proc.stdout)
  if errors and sum(int(x) for x in errors.groups()):
    raise processes.ServiceRunError(f"{tag}: socket errors: "
                                       f"{errors.group(0)}")

  def micros(label):
    mm = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", proc.stdout,
                   re.M)
    if not mm:
      return 0.0
    return float(mm.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[mm.group(2)]

  return {"qps": float(m.group(1)), "p50_us": micros("50"),
          "p99_us": micros("99")}


def _timed(h, tag, server, url, headers, duration):
  t0, c0 = time.monotonic(), server.cpu_seconds()
  r = _wrk(h, tag, url, headers, duration)
  r["server_cpu"] = (server.cpu_seconds() - c0) / (time.monotonic() - t0)
  r["qps_per_core"] = r["qps"] / max(r["server_cpu"], 1e-9)
  return r


def _open_loop_p50(h, tag, url, headers, rate, duration):
  """h2load --h1 at `rate` requests/s in total; the p50 of its per-request
  times (microseconds, from the log it writes)."""
  log_path = os.path.join(h.raw, f"{tag}.log")
  _generate(h, tag, [
      "h2load", "--h1", "-t1", f"-c{_OPEN_CONNECTIONS}", "-m1",
      f"--rps={max(rate / _OPEN_CONNECTIONS, 1):.0f}", f"-D{duration}",
      "--warm-up-time=1", f"--log-file={log_path}"
  ], headers, url, duration)
  times = []
  with open(log_path) as f:
    for line in f:
      parts = line.split()
      if len(parts) >= 3 and parts[1].startswith("2"):
        times.append(float(parts[2]))
  if not times:
    raise processes.ServiceRunError(f"{tag}: h2load logged no answer")
  return processes.median(times), len(times) / duration


def _baseline_keys(keys, auth, base, name, ratio):
  """<name>_qps and _qps_per_core (medians of `base`), and <ratio> = the
  median of the per-round per-core ratios of `auth` over `base`, with its
  _min and _max."""
  keys[f"{name}_qps"] = processes.median([r["qps"] for r in base])
  keys[f"{name}_qps_per_core"] = processes.median(
      [r["qps_per_core"] for r in base])
  ratios = [a["qps_per_core"] / b["qps_per_core"] for a, b in zip(auth, base)]
  keys[ratio] = processes.median(ratios)
  keys[ratio + "_min"] = min(ratios)
  keys[ratio + "_max"] = max(ratios)


def run(h, corsd, origins, tenants):
  log = h.log
  plan = h.plan
  keys = {}
  if not (_need("wrk", "wrk", log) and _need("h2load", "nghttp2-client", log)):
    raise processes.ServiceRunError("wrk or h2load cannot be installed")
  sample = h.corsd_load("http_origin", ["origin", "--index=0",
                                        f"--origins={origins}",
                                        f"--tenants={tenants}"])
  headers = [("X-Original-Method", "GET"),
             ("X-Original-Host", "api.example.com"),
             ("X-Original-URI", "/v1/items"),
             ("Origin", sample["origin"]), ("Cookie", "session=1")]
  auth_url = f"http://{corsd.addrs['http']}/auth/{sample['tenant']}"
  duration = plan.pair_duration_s

  work = tempfile.mkdtemp(prefix="corsd-bench-http-")
  null = nginx = None
  try:
    null = processes.Server(
        "http_null_server", [
            os.path.join(h.bin, "http_null_server"), "--listen=127.0.0.1:0",
            "--threads=1"
        ], os.path.join(h.raw, "http_null_server.log"), h.server_cpu, log,
        "http_null_server: ready")
    null_url = f"http://{null.addrs['http']}/auth/{sample['tenant']}"
    have_nginx = _need("nginx", "nginx", log)
    if have_nginx:
      nginx = _Nginx(h, work)
    nginx_url = f"http://127.0.0.1:{nginx.port}/auth" if nginx else None

    auth, base, ngx = [], [], []
    for i in range(plan.pairs):
      auth.append(_timed(h, f"http_auth_{i + 1}", corsd, auth_url, headers,
                         duration))
      base.append(_timed(h, f"http_null_{i + 1}", null, null_url, headers,
                         duration))
      if nginx:
        ngx.append(_timed(h, f"nginx_null_{i + 1}", nginx, nginx_url,
                          headers, duration))
    med = processes.median
    keys["http_auth_qps"] = med([r["qps"] for r in auth])
    keys["http_auth_qps_per_core"] = med([r["qps_per_core"] for r in auth])
    keys["http_auth_p99_us"] = med([r["p99_us"] for r in auth])
    keys["http_auth_server_cpu"] = med([r["server_cpu"] for r in auth])
    _baseline_keys(keys, auth, base, "http_null", "http_auth_over_null")
    if nginx:
      _baseline_keys(keys, auth, ngx, "nginx_null", "http_auth_over_nginx")
    else:
      keys["nginx_skipped"] = 1

    ask_url = (f"http://{corsd.addrs['http']}/ask?domain="
               f"{sample['origin'][len('https://'):]}")
    ask = [_timed(h, f"http_ask_{i + 1}", corsd, ask_url, [], duration)
           for i in range(plan.pairs)]
    keys["http_ask_qps"] = med([r["qps"] for r in ask])
    keys["http_ask_qps_per_core"] = med([r["qps_per_core"] for r in ask])

    p50, achieved = _open_loop_p50(h, "http_auth_open_50", auth_url, headers,
                                   keys["http_auth_qps"] / 2, duration)
    keys["http_auth_p50_us_at_half_load"] = p50
    keys["http_auth_half_load_achieved_qps"] = achieved
  finally:
    if null is not None:
      null.stop()
    if nginx is not None:
      nginx.stop()
    shutil.rmtree(work, ignore_errors=True)
  return keys
