"""A real DNS server for Python tests: Debian's dnsmasq on 127.0.0.1.

    with Dnsmasq() as dns:                       # no records yet
        dns.set(txt={"_corsd-challenge.shop.example.test": ["TOKEN"]},
                hosts={"shop.example.test": "127.0.0.1"})
        dns.address                              # "127.0.0.1:PORT" (UDP and TCP)

The Python twin of dns_server.cc (same options, same checks): dnsmasq
(/usr/sbin/dnsmasq, package dnsmasq-base) runs in the foreground as a child
process on a port free for both UDP and TCP, answering only from a
configuration file this helper writes. Names under ".test" without a record
get NXDOMAIN (local=/test/); other names get REFUSED (no upstream servers).
dnsmasq does not reread these options on SIGHUP, so set() rewrites the file
and restarts it on the same port, and returns once it answers a query again.

dnsmasq gets SIGKILL when the thread that started it exits (setpriv
--pdeathsig, util-linux), so a killed test leaves none behind; stop() and
the context manager stop it with SIGTERM (SIGKILL after 5 s) and remove the
working directory when this helper made it.
"""
import ipaddress
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

DNSMASQ = "/usr/sbin/dnsmasq"
SETPRIV = shutil.which("setpriv")
PORT_ATTEMPTS = 5
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
# dnsmasq reads configuration lines of about 1KB at most.
MAX_LINE_BYTES = 1000
CONFIG_HEAD = ("# Written by corsd's service/dns/testing/dnsmasq.py.\n"
               "local=/test/\n")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,253}")


class DnsmasqError(RuntimeError):
    pass


def _check_name(what, name):
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"{what} {name!r} is not 1-253 letters, digits, '-', '_' and '.'")


def _check_txt_string(name, s):
    if (not isinstance(s, str) or len(s) > 255
            or any(not (0x20 <= ord(c) < 0x7f) or c in '"\\' for c in s)):
        raise ValueError(f"TXT string {s!r} of {name} is not at most 255 bytes of printable "
                         "ASCII without '\"' or '\\'")


def render_config(txt=None, hosts=None):
    """The dnsmasq configuration for these records (ValueError when one is bad).

    txt: {name: [value, ...]}: each value is one TXT record of `name` (an
    RRset of several records when there are several values); a value that
    is a tuple or list of strings is one multi-string record.
    hosts: {name: ip}: an A (IPv4) or AAAA (IPv6) record.
    """
    lines = [CONFIG_HEAD]
    for name, values in (txt or {}).items():
        _check_name("TXT name", name)
        if isinstance(values, str):
            raise ValueError(f"TXT values of {name} must be a list, not the string {values!r}")
        for value in values:
            strings = [value] if isinstance(value, str) else list(value)
            if not strings:
                raise ValueError(f"TXT record of {name} has no string")
            for s in strings:
                _check_txt_string(name, s)
            line = "txt-record=%s,%s" % (name, ",".join('"%s"' % s for s in strings))
            if len(line) > MAX_LINE_BYTES:
                raise ValueError(f"TXT record of {name} needs a {len(line)}-byte dnsmasq line, "
                                 f"over {MAX_LINE_BYTES}")
            lines.append(line + "\n")
    for name, address in (hosts or {}).items():
        _check_name("address name", name)
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise ValueError(f"address {address!r} of {name} is not an IP address") from None
        lines.append(f"host-record={name},{address}\n")
    return "".join(lines)


def _pick_port():
    """A port free for both UDP and TCP on 127.0.0.1 right now (a race with
    other processes remains: start() retries)."""
    for _ in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise DnsmasqError("no port free for both UDP and TCP on 127.0.0.1")


def _ready_query(query_id):
    """A DNS query for "corsd-ready.test" A (RD set) with this id."""
    header = struct.pack("!HHHHHH", query_id, 0x0100, 1, 0, 0, 0)
    qname = b"".join(bytes([len(label)]) + label for label in (b"corsd-ready", b"test")) + b"\0"
    return header + qname + struct.pack("!HH", 1, 1)


class Dnsmasq:
    """dnsmasq on 127.0.0.1; see the module docstring. Not thread-safe: one
    thread starts, changes and stops it; any number of clients may query it."""

    def __init__(self, work_dir=None):
        self._own_dir = work_dir is None
        self.dir = work_dir
        self.port = None
        self.proc = None
        self.config_path = None
        self.log_path = None

    # ---- life ---------------------------------------------------------------
    def start(self):
        """Starts with no records; returns self once dnsmasq answers."""
        if not os.access(DNSMASQ, os.X_OK):
            raise DnsmasqError(f"{DNSMASQ} is missing: install dnsmasq-base "
                               "(apt-get install dnsmasq-base; scripts/deps.txt lists it)")
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="corsd-dnsmasq-")
        os.makedirs(self.dir, exist_ok=True)
        self.config_path = os.path.join(self.dir, "dnsmasq.conf")
        self.log_path = os.path.join(self.dir, "dnsmasq.log")
        self._write_config(CONFIG_HEAD)
        last = None
        for _ in range(PORT_ATTEMPTS):
            self.port = _pick_port()
            try:
                self._launch()
                return self
            except DnsmasqError as e:
                last = e
        raise last

    def set(self, txt=None, hosts=None):
        """Replaces every record (render_config says what txt and hosts
        hold); restarts dnsmasq on the same port and returns once it answers.
        ValueError for a bad record (nothing changed then); DnsmasqError when
        dnsmasq does not come back (it stays stopped until a later set())."""
        if self.port is None:
            raise DnsmasqError("set() before start()")
        config = render_config(txt, hosts)
        self._write_config(config)
        self._stop_process()
        last = None
        # The port was ours a moment ago; a short wait covers a slow release.
        for _ in range(3):
            try:
                self._launch()
                return
            except DnsmasqError as e:
                last = e
                time.sleep(0.2)
        raise last

    def stop(self):
        self._stop_process()
        if self._own_dir and self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def address(self):
        """"127.0.0.1:PORT", what corsd's --dns-resolver takes."""
        return f"127.0.0.1:{self.port}"

    def log(self):
        """The end of dnsmasq's log (stdout and stderr), for error messages."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except (FileNotFoundError, TypeError):
            return ""
        return text[-2000:]

    # ---- internals -----------------------------------------------------------
    def _write_config(self, text):
        temporary = self.config_path + ".new"
        with open(temporary, "w") as f:
            f.write(text)
        os.replace(temporary, self.config_path)

    def _launch(self):
        cmd = [DNSMASQ, "--no-daemon", "--no-resolv", "--no-hosts", f"--port={self.port}",
               "--listen-address=127.0.0.1", "--bind-interfaces",
               f"--conf-file={self.config_path}", "--pid-file=", "--log-queries"]
        # As root dnsmasq would switch to "nobody"; stay as we are.
        if os.geteuid() == 0:
            cmd.append("--user=root")
        if SETPRIV:
            cmd = [SETPRIV, "--pdeathsig", "KILL", "--", *cmd]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
        query_id = random.randrange(1, 0x10000)
        query = _ready_query(query_id)
        deadline = time.monotonic() + READY_TIMEOUT
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("127.0.0.1", self.port))
            probe.settimeout(0.05)
            while True:
                code = self.proc.poll()
                if code is not None:
                    self.proc = None
                    raise DnsmasqError(f"dnsmasq exited with {code} before answering on "
                                       f"{self.address}; {self.log_path} ends with:\n{self.log()}")
                if time.monotonic() > deadline:
                    self._stop_process()
                    raise DnsmasqError(f"dnsmasq did not answer on {self.address} within "
                                       f"{READY_TIMEOUT}s; {self.log_path} ends with:\n"
                                       f"{self.log()}")
                try:
                    probe.send(query)
                    reply = probe.recv(512)
                    if len(reply) >= 12 and struct.unpack("!H", reply[:2])[0] == query_id:
                        return
                except OSError:
                    # ECONNREFUSED before dnsmasq binds, or no answer yet.
                    time.sleep(0.01)

    def _stop_process(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
