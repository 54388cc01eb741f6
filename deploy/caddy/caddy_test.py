"""Caddy in front of an app, corsd deciding CORS: deploy/caddy/Caddyfile for real.

Starts the real corsd (service/http/testing/corsd_harness.py, everything on
127.0.0.1 port 0), a small app on 127.0.0.1 (200, or 500 under /boom; it
records every request it gets and answers with its own Access-Control-Allow-
Origin: * and Vary: Accept-Encoding, so the test sees Caddy drop the one and
keep the other), and `caddy run` with deploy/caddy/Caddyfile, its addresses
substituted (corsd's --http-listen for 127.0.0.1:7702, the app for
127.0.0.1:3000, a free port for :8080, `admin off`, `default_bind
127.0.0.1`). Caddy's HOME and XDG directories are a temporary directory.
Then plain HTTP requests through Caddy check what a browser would get.

Tenants: acme (by route /acme/, credentials, R13 (the default) and R14
enforced), shop (by Host api.shop.example, allow_cross_origin_websocket: R13
off, R14 off), pub (by Host, public), fwd (by Host, forwards refused
preflights). Hosts no tenant owns get corsd's default --unknown-host=deny.

Usage: /usr/bin/python3 deploy/caddy/caddy_test.py /path/to/corsd
Needs Debian's caddy (scripts/deps.txt), python3-grpcio, python3-protobuf
and protobuf-compiler (the harness). Caddy, the app and corsd are stopped
at the end, also when a test or the set-up fails.
"""
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEPLOY_CADDYFILE = os.path.join(HERE, "Caddyfile")
sys.path.insert(0, os.path.join(REPO, "service", "http", "testing"))
from corsd_harness import Corsd  # noqa: E402
import http_body  # noqa: E402

CADDY = shutil.which("caddy") or "/usr/bin/caddy"
CORSD_BINARY = None

# The literals of the deploy Caddyfile this test replaces (render_caddyfile
# fails, naming the literal, when the Caddyfile no longer has one).
DEPLOY_CORSD = "127.0.0.1:7702"
DEPLOY_APP = "127.0.0.1:3000"
DEPLOY_SITE = "http://:8080 {"
DEPLOY_ADMIN = "admin 127.0.0.1:2019"

ACME_ORIGIN = "https://app.acme.example"
SHOP_ORIGIN = "https://www.shop.example"
PUB_ORIGIN = "https://known.pub.example"
FWD_ORIGIN = "https://ok.fwd.example"
EVIL_ORIGIN = "https://evil.example"

CORS_RESPONSE_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
                         "Access-Control-Expose-Headers", "Access-Control-Allow-Methods",
                         "Access-Control-Allow-Headers", "Access-Control-Max-Age")


# ---- the app ---------------------------------------------------------------
class App:
    """The upstream: records requests, answers 200 (500 under /boom)."""

    def __init__(self):
        self.records = []
        self.lock = threading.Lock()
        app = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def read_body(self):
                return http_body.read_body(self)

            def answer(self):
                body = self.read_body()
                record = {"method": self.command, "path": self.path,
                          "headers": {k.lower(): v for k, v in self.headers.items()},
                          "body": body.decode("utf-8", "replace")}
                with app.lock:
                    app.records.append(record)
                out = json.dumps(record).encode()
                self.send_response(500 if "/boom" in self.path else 200)
                self.send_header("Content-Type", "application/json")
                # The app's own CORS headers: Caddy must drop them (corsd is
                # the one source) on actual requests.
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "*")
                self.send_header("Vary", "Accept-Encoding")
                self.send_header("X-Request-Id", "app-1")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = answer

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self):
        return "127.0.0.1:%d" % self.server.server_address[1]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def requests_for(self, path):
        with self.lock:
            return [r for r in self.records if r["path"] == path]


# ---- Caddy -----------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render_caddyfile(corsd_http, app, port):
    """The deploy Caddyfile with this test's addresses."""
    with open(DEPLOY_CADDYFILE) as f:
        text = f.read()
    for literal, at_least in ((DEPLOY_CORSD, 2), (DEPLOY_APP, 2), (DEPLOY_SITE, 1),
                              (DEPLOY_ADMIN, 1)):
        n = text.count(literal)
        if n < at_least:
            raise AssertionError(f"{DEPLOY_CADDYFILE} has {literal!r} {n} times, expected at "
                                 f"least {at_least}: update caddy_test.py with it")
    return (text.replace(DEPLOY_CORSD, corsd_http)
                .replace(DEPLOY_APP, app)
                .replace(DEPLOY_SITE, "http://:%d {" % port)
                .replace(DEPLOY_ADMIN, "admin off\n\tdefault_bind 127.0.0.1"))


class Caddy:
    def __init__(self, corsd_http, app):
        self.corsd_http = corsd_http
        self.app = app
        self.dir = tempfile.mkdtemp(prefix="corsd-caddy-test-")
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, "caddy.log")

    def env(self):
        env = dict(os.environ)
        for name, sub in (("HOME", "home"), ("XDG_DATA_HOME", "data"),
                          ("XDG_CONFIG_HOME", "config")):
            path = os.path.join(self.dir, sub)
            os.makedirs(path, exist_ok=True)
            env[name] = path
        return env

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def start(self, attempts=3):
        for _ in range(attempts):
            self.port = free_port()
            config = os.path.join(self.dir, "Caddyfile")
            with open(config, "w") as f:
                f.write(render_caddyfile(self.corsd_http, self.app, self.port))
            log = open(self.log_path, "wb")
            self.proc = subprocess.Popen(
                [CADDY, "run", "--adapter", "caddyfile", "--config", config],
                stdout=log, stderr=log, env=self.env(), cwd=self.dir,
                start_new_session=True)
            log.close()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return self
                except OSError:
                    time.sleep(0.05)
            text = self.log()
            self.stop()
            if "address already in use" not in text:
                raise RuntimeError(f"caddy did not start on 127.0.0.1:{self.port}:\n{text}")
        raise RuntimeError(f"caddy found no free port in {attempts} attempts:\n{self.log()}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def cleanup(self):
        self.stop()
        # Caddy's errors (a failed proxy round trip...) help read a failure.
        errors = [line for line in self.log().splitlines() if '"level":"error"' in line]
        if errors:
            sys.stderr.write("caddy logged errors:\n" + "\n".join(errors[-20:]) + "\n")
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- requests --------------------------------------------------------------
class Response:
    def __init__(self, r, body):
        self.status = r.status
        self.headers = r.msg
        self.body = body

    def all(self, name):
        return self.headers.get_all(name) or []

    def one(self, name):
        values = self.all(name)
        if len(values) != 1:
            raise AssertionError(f"expected exactly one {name}, got {values!r}")
        return values[0]

    def tokens(self, name):
        """The comma-separated values of every `name` header, lowercased."""
        return {t.strip().lower() for v in self.all(name) for t in v.split(",") if t.strip()}

    def json(self):
        return json.loads(self.body)


class CaddyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.corsd = Corsd(CORSD_BINARY)
        cls.addClassCleanup(cls.corsd.__exit__, None, None, None)
        cls.corsd.start()
        cls.corsd.put_tenant("acme", {
            "allowed_methods": ["GET", "POST", "PUT", "DELETE"],
            "allowed_headers": ["x-allowed"],
            "exposed_headers": ["x-request-id"],
            "allow_credentials": True,
            "max_age_seconds": 600,
            "enforce_unsafe_methods": True,
        })
        cls.corsd.add_entries("acme", origins=[ACME_ORIGIN], api_hosts=["api.acme.example"])
        cls.corsd.put_tenant("shop", {"allowed_methods": ["GET", "PATCH"],
                                      "allow_cross_origin_websocket": True,
                                      "exposed_headers": ["x-page"]})
        cls.corsd.add_entries("shop", origins=[SHOP_ORIGIN], api_hosts=["api.shop.example"])
        cls.corsd.put_tenant("pub", {"public_origin": True})
        cls.corsd.add_entries("pub", origins=[PUB_ORIGIN], api_hosts=["api.pub.example"])
        cls.corsd.put_tenant("fwd", {"forward_refused_preflight": True,
                                     "allowed_methods": ["PUT"]})
        cls.corsd.add_entries("fwd", origins=[FWD_ORIGIN], api_hosts=["api.fwd.example"])

        cls.app = App().start()
        cls.addClassCleanup(cls.app.stop)
        cls.caddy = Caddy(cls.corsd.http, cls.app.address)
        cls.addClassCleanup(cls.caddy.cleanup)
        cls.caddy.start()

    # Every request gets its own path, so the app's records tell whether
    # this very request reached it.
    def path(self, prefix):
        return f"{prefix}{self._testMethodName}-{uuid.uuid4().hex[:8]}"

    def send(self, method, path, host="api.example.com", headers=None, body=None,
             chunked=False):
        conn = http.client.HTTPConnection("127.0.0.1", self.caddy.port, timeout=10)
        try:
            all_headers = {"Host": host}
            all_headers.update(headers or {})
            if chunked:
                conn.request(method, path, body=iter([body]), headers=all_headers,
                             encode_chunked=True)
            else:
                conn.request(method, path, body=body, headers=all_headers)
            r = conn.getresponse()
            return Response(r, r.read())
        finally:
            conn.close()

    def assertNoCors(self, r, what):
        for name in CORS_RESPONSE_HEADERS:
            self.assertEqual(r.all(name), [], f"{what}: {name} must be absent")

    def assertNoDiagnostics(self, r):
        self.assertEqual(r.all("X-Corsd-Reason"), [])
        self.assertEqual(r.all("X-Corsd-Tenant"), [])

    # ---- the file itself ---------------------------------------------------
    def test_deploy_caddyfile_validates(self):
        out = subprocess.run([CADDY, "validate", "--adapter", "caddyfile",
                              "--config", DEPLOY_CADDYFILE],
                             capture_output=True, text=True, env=self.caddy.env(),
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("Valid configuration", out.stdout + out.stderr)

    # ---- actual requests ---------------------------------------------------
    def test_allowed_origin_reaches_app_with_exact_headers(self):
        path = self.path("/acme/") + "?q=1"
        r = self.send("GET", path, headers={"Origin": ACME_ORIGIN, "Cookie": "sid=1"})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.one("Access-Control-Allow-Origin"), ACME_ORIGIN)
        self.assertEqual(r.one("Access-Control-Allow-Credentials"), "true")
        self.assertEqual(r.one("Access-Control-Expose-Headers"), "x-request-id")
        # corsd's Vary and the app's, both.
        self.assertEqual(r.tokens("Vary"), {"origin", "accept-encoding"})
        # The app's own CORS header is dropped; its other headers stay.
        self.assertEqual(r.all("Access-Control-Allow-Methods"), [])
        self.assertEqual(r.one("X-Request-Id"), "app-1")
        self.assertNoDiagnostics(r)
        seen = self.app.requests_for(path)
        self.assertEqual(len(seen), 1)
        self.assertEqual(seen[0]["method"], "GET")
        self.assertEqual(seen[0]["headers"].get("cookie"), "sid=1")
        self.assertNotIn("x-corsd-tenant", seen[0]["headers"])
        self.assertEqual(r.json()["path"], path)

    def test_refused_origin_simple_get_reaches_app_without_acao(self):
        path = self.path("/acme/")
        r = self.send("GET", path, headers={"Origin": EVIL_ORIGIN})
        self.assertEqual(r.status, 200, r.body)
        self.assertNoCors(r, "refused origin")
        self.assertIn("origin", r.tokens("Vary"))
        self.assertEqual(len(self.app.requests_for(path)), 1)

    def test_no_origin_continues_with_vary(self):
        path = self.path("/acme/")
        r = self.send("GET", path)
        self.assertEqual(r.status, 200, r.body)
        self.assertNoCors(r, "no Origin (R1)")
        self.assertIn("origin", r.tokens("Vary"))
        self.assertEqual(len(self.app.requests_for(path)), 1)

    def test_refused_unsafe_method_denied_before_app(self):
        path = self.path("/acme/")
        r = self.send("PUT", path, headers={"Origin": EVIL_ORIGIN,
                                            "Content-Type": "application/json"},
                      body=b'{"x": 1}')
        self.assertEqual(r.status, 403, r.body)
        self.assertEqual(r.body, b"", "corsd's explanation must not reach the client")
        self.assertNoCors(r, "R14 denial")
        self.assertEqual(r.tokens("Vary"), {"origin"})
        self.assertNoDiagnostics(r)
        self.assertEqual(self.app.requests_for(path), [])

    def test_client_cannot_choose_what_corsd_reads(self):
        # A refused PUT dressed up as a GET, and as another tenant's request.
        spoof = {"Origin": EVIL_ORIGIN, "X-Original-Method": "GET",
                 "X-Forwarded-Method": "GET", "X-Original-URI": "/",
                 "X-Corsd-Tenant": "shop", "X-Corsd-Credentials": "0"}
        path = self.path("/acme/")
        r = self.send("PUT", path, headers=spoof, body=b"x")
        self.assertEqual(r.status, 403, "route tenant acme enforces R14")
        self.assertEqual(self.app.requests_for(path), [])
        # By host: the empty tenant from the Caddyfile replaces the client's.
        path = self.path("/")
        r = self.send("PUT", path, host="api.acme.example", headers=spoof, body=b"x")
        self.assertEqual(r.status, 403, "host api.acme.example is acme's, which enforces R14")
        self.assertEqual(self.app.requests_for(path), [])
        # The same request to shop's host is let through (shop enforces
        # nothing): the 403s above are acme's policy, not a blanket refusal.
        path = self.path("/")
        r = self.send("PUT", path, host="api.shop.example", headers=spoof, body=b"x")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(len(self.app.requests_for(path)), 1)

    def test_allowed_unsafe_method_keeps_its_body(self):
        for chunked in (False, True):
            path = self.path("/acme/")
            r = self.send("PUT", path, headers={"Origin": ACME_ORIGIN,
                                                "Content-Type": "text/plain"},
                          body=b"payload-123", chunked=chunked)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.one("Access-Control-Allow-Origin"), ACME_ORIGIN)
            seen = self.app.requests_for(path)
            self.assertEqual(len(seen), 1)
            self.assertEqual(seen[0]["method"], "PUT")
            self.assertEqual(seen[0]["body"], "payload-123", f"chunked={chunked}")

    def test_app_error_keeps_cors_headers(self):
        # R15: whatever the app answers carries corsd's headers.
        path = self.path("/acme/boom-")
        r = self.send("GET", path, headers={"Origin": ACME_ORIGIN})
        self.assertEqual(r.status, 500)
        self.assertEqual(r.one("Access-Control-Allow-Origin"), ACME_ORIGIN)
        self.assertEqual(r.one("Access-Control-Allow-Credentials"), "true")
        self.assertEqual(r.one("Access-Control-Expose-Headers"), "x-request-id")
        self.assertEqual(r.tokens("Vary"), {"origin", "accept-encoding"})
        self.assertEqual(r.json()["path"], path)

    # ---- preflights --------------------------------------------------------
    def preflight(self, path, origin, method, request_headers=None, host="api.example.com"):
        headers = {"Origin": origin, "Access-Control-Request-Method": method}
        if request_headers:
            headers["Access-Control-Request-Headers"] = request_headers
        return self.send("OPTIONS", path, host=host, headers=headers)

    def test_preflight_allowed_answered_by_corsd(self):
        path = self.path("/acme/")
        r = self.preflight(path, ACME_ORIGIN, "PUT", "x-allowed")
        self.assertEqual(r.status, 204, r.body)
        self.assertEqual(r.one("Access-Control-Allow-Origin"), ACME_ORIGIN)
        self.assertEqual(r.one("Access-Control-Allow-Credentials"), "true")
        methods = {m.strip() for m in r.one("Access-Control-Allow-Methods").split(",")}
        self.assertIn("PUT", methods)
        self.assertIn("x-allowed", r.tokens("Access-Control-Allow-Headers"))
        self.assertEqual(r.one("Access-Control-Max-Age"), "600")
        self.assertEqual(r.tokens("Vary"), {"origin", "access-control-request-method",
                                            "access-control-request-headers"})
        self.assertNoDiagnostics(r)
        self.assertEqual(self.app.requests_for(path), [], "a preflight must not reach the app")

    def test_preflight_refused_is_403(self):
        for origin, method, request_headers in ((EVIL_ORIGIN, "PUT", None),
                                                (ACME_ORIGIN, "PATCH", None),
                                                (ACME_ORIGIN, "PUT", "x-secret")):
            what = f"{origin} {method} {request_headers}"
            path = self.path("/acme/")
            r = self.preflight(path, origin, method, request_headers)
            self.assertEqual(r.status, 403, what)
            self.assertNoCors(r, what)
            self.assertIn("origin", r.tokens("Vary"), what)
            self.assertNoDiagnostics(r)
            self.assertEqual(self.app.requests_for(path), [], what)

    def test_preflight_forwarded_to_app_on_421(self):
        # fwd forwards refused preflights: corsd says 421, the app answers.
        path = self.path("/")
        r = self.preflight(path, EVIL_ORIGIN, "PUT", host="api.fwd.example")
        self.assertEqual(r.status, 200, r.body)
        seen = self.app.requests_for(path)
        self.assertEqual(len(seen), 1)
        self.assertEqual(seen[0]["method"], "OPTIONS")
        self.assertEqual(seen[0]["headers"].get("access-control-request-method"), "PUT")
        self.assertEqual(r.one("X-Request-Id"), "app-1")
        self.assertIn("origin", r.tokens("Vary"))
        # An allowed preflight on the same tenant is still answered by corsd.
        path = self.path("/")
        r = self.preflight(path, FWD_ORIGIN, "PUT", host="api.fwd.example")
        self.assertEqual(r.status, 204)
        self.assertEqual(r.one("Access-Control-Allow-Origin"), FWD_ORIGIN)
        self.assertEqual(self.app.requests_for(path), [])

    def test_options_without_cors_headers_reaches_app(self):
        path = self.path("/acme/")
        r = self.send("OPTIONS", path)
        self.assertEqual(r.status, 200)
        self.assertEqual(len(self.app.requests_for(path)), 1)

    # ---- WebSocket (R13) ---------------------------------------------------
    def websocket(self, path, origin, host="api.example.com"):
        return self.send("GET", path, host=host, headers={
            "Origin": origin, "Connection": "Upgrade", "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})

    def test_websocket_from_refused_origin_denied(self):
        path = self.path("/acme/ws-")
        r = self.websocket(path, EVIL_ORIGIN)
        self.assertEqual(r.status, 403, r.body)
        self.assertNoCors(r, "R13 denial")
        self.assertEqual(self.app.requests_for(path), [], "the app must not be dialled")

    def test_websocket_from_allowed_origin_reaches_app(self):
        path = self.path("/acme/ws-")
        r = self.websocket(path, ACME_ORIGIN)
        # The app is no WebSocket server: it answers 200, which Caddy relays.
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.one("Access-Control-Allow-Origin"), ACME_ORIGIN)
        seen = self.app.requests_for(path)
        self.assertEqual(len(seen), 1)
        self.assertEqual(seen[0]["headers"].get("upgrade"), "websocket")

    def test_websocket_refused_origin_passes_when_policy_allows_it(self):
        path = self.path("/ws-")
        r = self.websocket(path, EVIL_ORIGIN, host="api.shop.example")
        self.assertEqual(r.status, 200, r.body)
        self.assertNoCors(r, "shop, refused origin")
        self.assertEqual(len(self.app.requests_for(path)), 1)

    # ---- tenants -----------------------------------------------------------
    def test_tenant_by_host(self):
        path = self.path("/")
        r = self.send("GET", path, host="api.shop.example", headers={"Origin": SHOP_ORIGIN})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.one("Access-Control-Allow-Origin"), SHOP_ORIGIN)
        self.assertEqual(r.one("Access-Control-Expose-Headers"), "x-page")
        self.assertEqual(r.all("Access-Control-Allow-Credentials"), [])
        # acme's origin is not shop's.
        r = self.send("GET", self.path("/"), host="api.shop.example",
                      headers={"Origin": ACME_ORIGIN})
        self.assertEqual(r.status, 200)
        self.assertNoCors(r, "acme origin on shop's host")
        r = self.preflight(self.path("/"), SHOP_ORIGIN, "PATCH", host="api.shop.example")
        self.assertEqual(r.status, 204)
        methods = {m.strip() for m in r.one("Access-Control-Allow-Methods").split(",")}
        self.assertIn("PATCH", methods)

    def test_tenant_by_route_wins_over_host(self):
        # /acme/ sets X-Corsd-Tenant: acme, whatever the Host.
        r = self.send("GET", self.path("/acme/"), host="api.shop.example",
                      headers={"Origin": ACME_ORIGIN})
        self.assertEqual(r.one("Access-Control-Allow-Origin"), ACME_ORIGIN)
        r = self.send("GET", self.path("/acme/"), host="api.shop.example",
                      headers={"Origin": SHOP_ORIGIN})
        self.assertNoCors(r, "shop origin under /acme/")

    def test_unknown_host(self):
        # corsd falls back to X-Corsd-Tenant for a host no tenant owns; the
        # Caddyfile drops the client's, so a client cannot pick acme here.
        path = self.path("/")
        r = self.send("GET", path, host="api.nobody.example",
                      headers={"Origin": ACME_ORIGIN, "X-Corsd-Tenant": "acme"})
        self.assertEqual(r.status, 200)
        self.assertNoCors(r, "unknown tenant")
        self.assertIn("origin", r.tokens("Vary"))
        self.assertEqual(len(self.app.requests_for(path)), 1)
        r = self.preflight(self.path("/"), ACME_ORIGIN, "PUT", host="api.nobody.example")
        self.assertEqual(r.status, 403)
        # --unknown-host=deny (corsd's default): an unsafe method or a
        # WebSocket handshake with a cross-site Origin never reaches the app.
        path = self.path("/")
        r = self.send("PUT", path, host="api.nobody.example",
                      headers={"Origin": ACME_ORIGIN}, body=b"x")
        self.assertEqual(r.status, 403, r.body)
        self.assertNoCors(r, "unknown host, PUT")
        path_ws = self.path("/ws-")
        r = self.websocket(path_ws, EVIL_ORIGIN, host="api.nobody.example")
        self.assertEqual(r.status, 403, r.body)
        self.assertEqual(self.app.requests_for(path), [])
        self.assertEqual(self.app.requests_for(path_ws), [])
        # Without an Origin it is not cross-site: it reaches the app.
        r = self.send("PUT", path, host="api.nobody.example", body=b"x")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(len(self.app.requests_for(path)), 1)

    def test_credentials_flag_from_cookie_and_authorization(self):
        # pub is public: "*" without credentials, the exact origin with them
        # (R3). Caddy tells corsd through X-Corsd-Credentials.
        r = self.send("GET", self.path("/"), host="api.pub.example", headers={"Origin": PUB_ORIGIN})
        self.assertEqual(r.one("Access-Control-Allow-Origin"), "*")
        for creds in ({"Cookie": "sid=1"}, {"Authorization": "Bearer t"}):
            path = self.path("/")
            r = self.send("GET", path, host="api.pub.example",
                          headers={"Origin": PUB_ORIGIN, **creds})
            self.assertEqual(r.one("Access-Control-Allow-Origin"), PUB_ORIGIN, creds)
            self.assertEqual(r.all("Access-Control-Allow-Credentials"), [], creds)
            # The app still gets the credentials.
            name = next(iter(creds)).lower()
            self.assertEqual(self.app.requests_for(path)[0]["headers"].get(name),
                             next(iter(creds.values())))


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: caddy_test.py /path/to/corsd [unittest args]")
    if not os.access(CADDY, os.X_OK):
        sys.exit("caddy is not installed (apt-get install caddy; scripts/deps.txt lists it)")
    CORSD_BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
