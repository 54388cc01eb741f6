"""nginx in front of an app, corsd deciding CORS: deploy/nginx/nginx.conf for
real, and what its access log says.

Starts the real corsd (service/http/testing/corsd_harness.py, everything on
127.0.0.1 port 0, --decision-log FILE --decision-log-sample 1), a small app
on 127.0.0.1 (200 to everything), and nginx with deploy/nginx/nginx.conf, its
addresses substituted (corsd's --http-listen for 127.0.0.1:7702, the app for
127.0.0.1:3000, a free port for 8080) and deploy/nginx/corsd/ beside it. Then
an allowed GET, a refused PUT (R14) and a refused preflight (R6/R2) through
nginx, and checks that:
  * nginx's access log (log_format corsd, deploy/nginx/corsd/http.conf)
    names corsd's reason and decision id for each, through auth_request_set
    (protect.conf) and, for the preflight, /_corsd/preflight/'s headers;
  * each of those decision ids is in corsd's decision log with the same
    reason, and corsd's diagnostic headers never reach the client.

Usage: /usr/bin/python3 deploy/nginx/nginx_log_test.py /path/to/corsd
Needs Debian's nginx (scripts/deps.txt) and the harness's python3-grpcio,
python3-protobuf and protobuf-compiler. nginx, the app and corsd are stopped
at the end, also when a test or the set-up fails.
"""
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "service", "http", "testing"))
from corsd_harness import Corsd  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CORSD_BINARY = None

# The literals of deploy/nginx/nginx.conf this test replaces.
DEPLOY_CORSD = "server 127.0.0.1:7702;"
DEPLOY_APP = "server 127.0.0.1:3000;"
DEPLOY_LISTEN = "listen 8080;"

ALLOWED_ORIGIN = "https://app.acme.example"
EVIL_ORIGIN = "https://evil.example"
# corsd's access-log fields (log_format corsd).
LOG_FIELDS = re.compile(
    r'"(?P<request>[A-Z]+ [^ ]+) HTTP/1\.1" (?P<status>\d+) '
    r'origin="(?P<origin>[^"]*)" corsd_reason="(?P<reason>[^"]*)" '
    r'corsd_decision_id="(?P<decision_id>[^"]*)"$')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        body = b"app\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_OPTIONS = _answer

    def log_message(self, *args):
        pass


def render_conf(corsd_http, app_port, port):
    with open(os.path.join(HERE, "nginx.conf")) as f:
        text = f.read()
    for literal in (DEPLOY_CORSD, DEPLOY_APP, DEPLOY_LISTEN):
        if text.count(literal) != 1:
            raise RuntimeError(f"deploy/nginx/nginx.conf has {literal!r} "
                               f"{text.count(literal)} times, expected once")
    text = text.replace(DEPLOY_CORSD, f"server {corsd_http};")
    text = text.replace(DEPLOY_APP, f"server 127.0.0.1:{app_port};")
    text = text.replace(DEPLOY_LISTEN, f"listen 127.0.0.1:{port};")
    # As root, nginx's workers would switch to nobody, who cannot write the
    # temporary prefix.
    if os.geteuid() == 0:
        text = "user root;\n" + text
    return text


class NginxLogTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="corsd-nginx-log-")
        cls.nginx = None
        cls.app = None
        cls.decision_log = os.path.join(cls.tmp, "decisions.log")
        cls.corsd = Corsd(CORSD_BINARY, extra_args=[
            "--decision-log", cls.decision_log, "--decision-log-sample", "1",
            "--domain-verify-concurrency", "0"])
        try:
            cls.corsd.start()
            cls.corsd.put_tenant("acme", {"allowed_methods": ["PUT"],
                                          "enforce_unsafe_methods": True})
            cls.corsd.add_entries("acme", origins=[ALLOWED_ORIGIN])
            cls.app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), App)
            threading.Thread(target=cls.app.serve_forever, daemon=True).start()
            conf_dir = os.path.join(cls.tmp, "nginx")
            os.makedirs(os.path.join(conf_dir, "logs"))
            os.symlink(os.path.join(HERE, "corsd"), os.path.join(conf_dir, "corsd"))
            cls.access_log = os.path.join(conf_dir, "logs", "access.log")
            cls.nginx_err_path = os.path.join(cls.tmp, "nginx.err")
            # A free port can be taken by another process before nginx binds
            # it: try a few.
            for attempt in range(5):
                cls.port = free_port()
                conf = os.path.join(conf_dir, "nginx.conf")
                with open(conf, "w") as f:
                    f.write(render_conf(cls.corsd.http, cls.app.server_address[1],
                                        cls.port))
                args = [NGINX, "-p", conf_dir + "/", "-e", "stderr", "-c", conf]
                subprocess.run(args + ["-t", "-q"], check=True)
                cls.nginx_err = open(cls.nginx_err_path, "wb")
                cls.nginx = subprocess.Popen(args + ["-g", "daemon off;"],
                                             stdout=cls.nginx_err,
                                             stderr=cls.nginx_err,
                                             start_new_session=True)
                if cls.wait_nginx():
                    break
                cls.nginx.wait(timeout=10)
                cls.nginx_err.close()
                cls.nginx = None
            else:
                with open(cls.nginx_err_path, errors="replace") as f:
                    raise RuntimeError(f"nginx did not start:\n{f.read()}")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def wait_nginx(cls):
        """True once nginx accepts on cls.port; False when it exited."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if cls.nginx.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", cls.port), 0.5).close()
                return True
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx not listening on {cls.port} after 15 s")

    @classmethod
    def tearDownClass(cls):
        if cls.nginx is not None:
            if cls.nginx.poll() is None:
                cls.nginx.terminate()
                cls.nginx.wait(timeout=10)
            cls.nginx_err.close()
        if cls.app is not None:
            cls.app.shutdown()
        cls.corsd.stop()
        cls.corsd.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def request(self, method, headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, "/acme/items", headers=headers)
            res = conn.getresponse()
            res.read()
            return res.status, {k.lower(): v for k, v in res.getheaders()}
        finally:
            conn.close()

    def access_lines(self, count):
        deadline = time.monotonic() + 10
        while True:
            with open(self.access_log) as f:
                lines = [l.rstrip("\n") for l in f if l.strip()]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def decision_lines(self, count):
        deadline = time.monotonic() + 10
        while True:
            try:
                with open(self.decision_log) as f:
                    lines = [json.loads(l) for l in f if l.strip()]
            except FileNotFoundError:
                lines = []
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def test_access_log_names_corsds_reason_and_decision_id(self):
        status, _ = self.request("GET", {"Origin": ALLOWED_ORIGIN})
        self.assertEqual(status, 200)
        status, _ = self.request("PUT", {"Origin": EVIL_ORIGIN,
                                         "Cookie": "session=SECRET-COOKIE"})
        self.assertEqual(status, 403)
        status, headers = self.request("OPTIONS", {
            "Origin": EVIL_ORIGIN, "Access-Control-Request-Method": "PUT"})
        self.assertEqual(status, 403)
        for name in ("x-corsd-reason", "x-corsd-decision-id", "x-corsd-tenant"):
            self.assertNotIn(name, headers, "corsd's headers stay inside nginx")

        lines = self.access_lines(3)
        self.assertEqual(len(lines), 3, lines)
        fields = []
        for line in lines:
            m = LOG_FIELDS.search(line)
            self.assertIsNotNone(m, f"not log_format corsd: {line}")
            fields.append(m.groupdict())
        self.assertEqual(
            [(f["request"], f["status"], f["reason"]) for f in fields],
            [("GET /acme/items", "200", "REASON_R2_ORIGIN_ALLOWED"),
             ("PUT /acme/items", "403", "REASON_R14_UNSAFE_METHOD_DENIED"),
             ("OPTIONS /acme/items", "403", "REASON_R2_ORIGIN_NOT_ALLOWED")])
        for f in fields:
            self.assertRegex(f["decision_id"], r"^[0-9a-f]{16}$", f)

        decided = {d["decision_id"]: d for d in self.decision_lines(3)}
        for f in fields:
            self.assertIn(f["decision_id"], decided, f)
            d = decided[f["decision_id"]]
            self.assertEqual(d["reason"], f["reason"])
            self.assertEqual(d["door"], "http")
            self.assertEqual(d["tenant"], "acme")
            self.assertEqual(d["origin"], f["origin"])
        with open(self.decision_log) as f:
            self.assertNotIn("SECRET", f.read())


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: nginx_log_test.py /path/to/corsd", file=sys.stderr)
        sys.exit(2)
    CORSD_BINARY = sys.argv.pop(1)
    unittest.main()
