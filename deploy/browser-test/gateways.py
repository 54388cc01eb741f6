"""The gateways the browser test puts in front of the upstream, corsd deciding.

Each one serves the same API on http://127.0.0.1:PORT:
  /shop/...    tenant shop (corsd /auth/shop, /preflight/shop); /shop/ws is
               a WebSocket endpoint (the upstream upgrades it);
  /public/...  tenant public (corsd /auth/public, /preflight/public);
  /unowned/... no tenant named (corsd /auth, /preflight): the Host is no
               tenant's API host, so corsd's --unknown-host decides;
               /unowned/ws is a WebSocket endpoint.
Both proxy to the one upstream (upstream.py), and both use the files users
deploy:
  nginx   nginx.conf.template here, which includes deploy/nginx/corsd/*.conf
          (auth_request to corsd);
  caddy   Caddyfile.template here, into which the `(corsd)` snippet of
          deploy/caddy/Caddyfile is pasted (reverse_proxy to corsd /auth,
          CORS headers copied onto the client's response in handle_response,
          preflights to /preflight), its two addresses substituted.
start() returns once the API port accepts connections; stop() ends the
process group (SIGTERM, SIGKILL after 5 s) and is idempotent.
"""
import os
import signal
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.dirname(HERE)
DEPLOY_CADDYFILE = os.path.join(DEPLOY, "caddy", "Caddyfile")
# The addresses deploy/caddy/Caddyfile's snippet uses for corsd and the app.
CADDY_CORSD, CADDY_APP = "127.0.0.1:7702", "127.0.0.1:3000"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, log_path, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before listening on "
                               f"127.0.0.1:{port}:\n{read_tail(log_path)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s:\n"
                       f"{read_tail(log_path)}")


def read_tail(path, n=4000):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-n:]
    except FileNotFoundError:
        return "(no log)"


def stop_group(proc, grace=5.0):
    """Stops `proc`, started with start_new_session=True, and its process
    group: SIGTERM, SIGKILL after `grace` s; then SIGKILL to whatever is
    left in the group (helpers of Chromium that outlived their parent)."""
    if proc is None:
        return
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=grace)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def fill(template, values):
    text = open(os.path.join(HERE, template)).read()
    for key, value in values.items():
        if key not in text:
            raise RuntimeError(f"{template} has no {key}")
        text = text.replace(key, value)
    return text


def fill_once(template, values):
    """fill(), each placeholder present exactly once (a pasted snippet)."""
    text = open(os.path.join(HERE, template)).read()
    for key in values:
        if text.count(key) != 1:
            raise RuntimeError(f"{template} has {key} {text.count(key)} times, expected once")
    return fill(template, values)


class Gateway:
    name = "?"

    def __init__(self, tmp, corsd_http, upstream_port):
        self.dir = os.path.join(tmp, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.corsd_http = corsd_http
        self.upstream_port = upstream_port
        self.log_path = os.path.join(self.dir, f"{self.name}.log")
        self.proc = None
        self.port = None

    @property
    def api(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        stop_group(self.proc)

    def log(self):
        return read_tail(self.log_path)


class Nginx(Gateway):
    name = "nginx"

    def start(self):
        self.port = free_port()
        conf = fill("nginx.conf.template", {
            "@USER@": "user root;" if os.geteuid() == 0 else "",
            "@TMP@": self.dir, "@DEPLOY@": DEPLOY, "@CORSD_HTTP@": self.corsd_http,
            "@API_PORT@": str(self.port), "@UPSTREAM_PORT@": str(self.upstream_port),
        })
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        subprocess.run(["nginx", "-t", "-q", "-p", self.dir + "/", "-e", "stderr", "-c", path],
                       check=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["nginx", "-p", self.dir + "/", "-e", "stderr", "-c", path,
                 "-g", "daemon off;"], stdout=log, stderr=log, start_new_session=True)
        wait_port(self.port, self.proc, self.log_path)


def caddy_snippet(corsd_http, app):
    """deploy/caddy/Caddyfile's `(corsd) { ... }` snippet, addresses substituted."""
    lines = open(DEPLOY_CADDYFILE).read().split("\n")
    try:
        start = lines.index("(corsd) {")
        end = lines.index("}", start)
    except ValueError:
        raise RuntimeError(f"{DEPLOY_CADDYFILE} has no top-level '(corsd) {{' ... '}}' "
                           "snippet; update gateways.py")
    text = "\n".join(lines[start:end + 1])
    for literal in (CADDY_CORSD, CADDY_APP):
        if text.count(literal) < 2:
            raise RuntimeError(f"the (corsd) snippet of {DEPLOY_CADDYFILE} has {literal!r} "
                               f"{text.count(literal)} times, expected at least 2; update "
                               "gateways.py")
    return text.replace(CADDY_CORSD, corsd_http).replace(CADDY_APP, app)


class Caddy(Gateway):
    name = "caddy"

    def start(self):
        self.port = free_port()
        conf = fill_once("Caddyfile.template", {
            "@CORSD_SNIPPET@": caddy_snippet(self.corsd_http, f"127.0.0.1:{self.upstream_port}"),
            "@API_PORT@": str(self.port),
        })
        path = os.path.join(self.dir, "Caddyfile")
        with open(path, "w") as f:
            f.write(conf)
        env = dict(os.environ)
        for var, sub in (("HOME", "home"), ("XDG_DATA_HOME", "data"),
                         ("XDG_CONFIG_HOME", "config")):
            env[var] = os.path.join(self.dir, sub)
            os.makedirs(env[var], exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["caddy", "run", "--adapter", "caddyfile", "--config", path],
                stdout=log, stderr=log, env=env, cwd=self.dir, start_new_session=True)
        wait_port(self.port, self.proc, self.log_path)


GATEWAYS = {"nginx": Nginx, "caddy": Caddy}
