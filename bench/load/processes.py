"""What bench/run's service runs share: the server processes they start and
read until ready, the error that fails a run, and the median.

Server(name, argv, log_path, cpu, log, ready_word) starts argv (pinned to
`cpu` with taskset when not None), reads its stderr until `ready_word`,
collecting "listening NAME=ADDR" lines into .addrs, and keeps draining it;
cpu_seconds(), rss_bytes(), stop(). ServiceRunError: a run that failed.
"""

import os
import re
import signal
import subprocess
import threading
import time

_LISTEN_RE = re.compile(r"listening (\w+)=(\S+)")


class ServiceRunError(Exception):
  """A process that does not start, a load run that fails or errs."""
  pass


class Server:
  """A server process (corsd or null_server) started and read until ready."""

  def __init__(self, name, argv, log_path, cpu, log, ready_word):
    self.name = name
    if cpu is not None:
      argv = ["taskset", "-c", str(cpu)] + argv
    self.log_file = open(log_path, "w")
    self.proc = subprocess.Popen(argv, stdout=self.log_file,
                                 stderr=subprocess.PIPE, text=True)
    self.addrs = {}
    deadline = time.monotonic() + 600
    ready = False
    while time.monotonic() < deadline:
      line = self.proc.stderr.readline()
      if not line:
        break
      self.log_file.write(line)
      m = _LISTEN_RE.search(line)
      if m:
        self.addrs[m.group(1)] = m.group(2)
      if ready_word in line:
        ready = True
        break
    if not ready:
      self.stop()
      raise ServiceRunError(f"{name} did not print {ready_word!r}; see "
                            f"{log_path}")
    # Keep draining stderr so the server never blocks on a full pipe.
    self.drain = threading.Thread(target=self._drain, daemon=True)
    self.drain.start()
    log(f"{name} ready: {self.addrs}")

  def _drain(self):
    for line in self.proc.stderr:
      self.log_file.write(line)

  def cpu_seconds(self):
    """User + system CPU time the server process has used so far."""
    with open(f"/proc/{self.proc.pid}/stat") as f:
      # Fields after the parenthesized command name; utime, stime are 14, 15.
      fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

  def rss_bytes(self):
    """VmRSS of the server process (not of taskset, which execs it)."""
    with open(f"/proc/{self.proc.pid}/status") as f:
      for line in f:
        if line.startswith("VmRSS:"):
          return int(line.split()[1]) * 1024
    raise ServiceRunError(f"{self.name}: no VmRSS in /proc status")

  def stop(self):
    if self.proc.poll() is None:
      self.proc.send_signal(signal.SIGTERM)
      try:
        self.proc.wait(timeout=30)
      except subprocess.TimeoutExpired:
        self.proc.kill()
        self.proc.wait()
    self.log_file.close()



def median(values):
  v = sorted(values)
  n = len(v)
  return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
