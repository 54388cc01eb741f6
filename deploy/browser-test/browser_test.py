"""The browser test: headless Chromium judges what corsd behind nginx allows.

Setup, all on loopback:
  corsd      the real binary (--http-listen), tenants written through Admin;
  nginx      the API origin http://127.0.0.1:A, guarded by auth_request to
             corsd with the deploy/nginx/corsd/*.conf snippets; its upstream
             (another nginx server) serves JSON, a 500, an exposed and an
             unexposed header; /shop/ws goes to a WebSocket echo server;
  pages      http://127.0.0.1:B (an allowed origin of tenant "shop"; same
             site as the API, so its cookie rides along credentialed fetches) and
             http://127.0.0.3:C (refused), served by this script, which also
             collects the results the pages POST back;
  chromium   Debian's /usr/bin/chromium, headless, fresh profile, loads page B
             (which frames page C).
It asserts what the browser did (fetch resolved or rejected, a header
readable or null, a WebSocket opened or not), plus what the upstream saw.
Everything started is stopped in `finally`, on failure too.

Usage: /usr/bin/python3 browser_test.py /path/to/corsd [--timeout SECONDS]
Exit 0 when every case holds; 1 with the failing cases listed; 2 on setup
errors. Needs: nginx, chromium, python3-grpcio, python3-protobuf,
protobuf-compiler (scripts/browser-deps.sh installs them).
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(DEPLOY, "..", "service", "http", "testing"))
from corsd_harness import Corsd  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PAGE_HOST, REFUSED_HOST = "127.0.0.1", "127.0.0.3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


# ---- pages and result collection ---------------------------------------------
class Results:
    def __init__(self):
        self.by_group = {}
        self.cond = threading.Condition()

    def add(self, doc):
        with self.cond:
            self.by_group[doc["group"]] = doc
            self.cond.notify_all()

    def wait(self, groups, timeout):
        with self.cond:
            self.cond.wait_for(lambda: all(g in self.by_group for g in groups), timeout)
            return dict(self.by_group)


def page_server(host, results):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            name = self.path.split("?", 1)[0].lstrip("/")
            if name not in ("page.html", "refused.html", "cases.js"):
                self.send_error(404)
                return
            with open(os.path.join(HERE, name), "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript" if name.endswith(".js")
                             else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            if self.path != "/results":
                self.send_error(404)
                return
            doc = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            results.add(doc)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---- a minimal WebSocket upstream (RFC 6455 handshake, one text frame) --------
class WebSocketUpstream(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.handshakes = []  # request lines of handshakes that reached it
        super().__init__(("127.0.0.1", 0), self.Handler)

    class Handler(socketserver.BaseRequestHandler):
        GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

        def handle(self):
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = self.request.recv(4096)
                if not chunk:
                    return
                data += chunk
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            self.server.handshakes.append(head[0])
            key = next((line.split(":", 1)[1].strip() for line in head[1:]
                        if line.lower().startswith("sec-websocket-key:")), None)
            if key is None:
                self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                return
            accept = base64.b64encode(hashlib.sha1(key.encode() + self.GUID).digest())
            self.request.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                 b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept +
                                 b"\r\n\r\n")
            self.request.sendall(b"\x81\x05hello")  # one unmasked text frame
            self.request.settimeout(10)
            try:
                while True:
                    frame = self.request.recv(4096)
                    if not frame:
                        return
                    if frame[0] & 0x0F == 0x8:  # close: answer it, then end
                        self.request.sendall(b"\x88\x00")
                        return
            except OSError:
                pass


# ---- expectations ---------------------------------------------------------------
def check(results, upstream_log, ws_handshakes):
    """Returns a list of (case, ok, what) rows."""
    rows = []

    def expect(case, ok, what):
        rows.append((case, bool(ok), what))

    a = results.get("allowed", {}).get("results", {})
    r = results.get("refused", {}).get("results", {})
    get = a.get("simple_get", {})
    expect("simple_get", get.get("resolved") and get.get("status") == 200
           and '"ok":true' in get.get("body", ""), "GET from an allowed origin is readable")
    expect("exposed_header", (get.get("headers") or {}).get("x-request-id", "") and
           get["headers"]["x-request-id"].startswith("req-"),
           "X-Request-ID (in Expose-Headers) is readable from JS")
    expect("unexposed_header", get.get("resolved") and
           (get.get("headers") or {}).get("x-secret", "missing") is None,
           "X-Secret (not exposed) reads as null")
    expect("refused_get", r.get("refused_get", {}).get("resolved") is False,
           "the same GET from a refused origin is blocked")
    expect("credentialed_exact", a.get("credentialed_exact", {}).get("status") == 200
           and "case=credentialed_exact 200 cookie=browser-test" in upstream_log,
           "credentialed fetch (cookie sent) with an exact origin entry is readable")
    expect("public_plain", a.get("public_plain", {}).get("status") == 200,
           "non-credentialed fetch to a public (*) policy is readable")
    expect("credentialed_public", a.get("credentialed_public", {}).get("resolved") is False
           and "case=credentialed_public 200 cookie=browser-test" in upstream_log,
           "credentialed fetch (cookie sent) to a public (*) policy is blocked")
    post = a.get("json_post", {})
    expect("json_post", post.get("resolved") and post.get("status") == 200,
           "JSON POST is preflighted, allowed and readable")
    expect("json_post_preflighted", "POST /shop/data?case=json_post 200" in upstream_log
           and "OPTIONS" not in upstream_log,
           "the POST reached the upstream; no preflight did (corsd answered them)")
    expect("custom_header_allowed", a.get("custom_header_allowed", {}).get("status") == 200,
           "a header the policy lists passes the preflight")
    expect("custom_header_refused",
           a.get("custom_header_refused", {}).get("resolved") is False
           and "case=custom_header_refused" not in upstream_log,
           "a header the policy does not list is blocked at preflight (never sent)")
    err = a.get("error_500", {})
    expect("error_500", err.get("resolved") and err.get("status") == 500
           and "boom" in err.get("body", ""),
           "an upstream 500 keeps its CORS headers: JS reads status and body")
    wsa = a.get("ws_allowed", {})
    expect("ws_allowed", wsa.get("opened") and wsa.get("message") == "hello",
           "WebSocket from an allowed origin opens")
    wsr = r.get("ws_refused", {})
    expect("ws_refused", wsr.get("opened") is False
           and not any("case=ws_refused" in h for h in ws_handshakes),
           "WebSocket from a refused origin is closed before reaching the upstream")
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("corsd")
    parser.add_argument("--timeout", type=float, default=90.0,
                        help="seconds to wait for the pages' results")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    for tool in ("nginx", CHROMIUM, "protoc"):
        if shutil.which(tool) is None:
            print(f"browser_test: {tool} is missing; run scripts/browser-deps.sh", file=sys.stderr)
            return 2

    tmp = tempfile.mkdtemp(prefix="corsd-browser-")
    corsd = Corsd(args.corsd)
    nginx = chromium = None
    servers = []
    try:
        corsd.start()
        results = Results()
        page = page_server(PAGE_HOST, results)
        refused = page_server(REFUSED_HOST, results)
        ws = WebSocketUpstream()
        threading.Thread(target=ws.serve_forever, daemon=True).start()
        servers = [page, refused, ws]
        page_origin = f"http://{PAGE_HOST}:{page.server_address[1]}"
        refused_origin = f"http://{REFUSED_HOST}:{refused.server_address[1]}"

        corsd.put_tenant("shop", {
            "allowed_methods": ["GET", "POST", "PUT"],
            "allowed_headers": ["x-allowed"],
            "exposed_headers": ["x-request-id"],
            "allow_credentials": True,
            "enforce_websocket_origin": True,
            "enforce_unsafe_methods": True,
        })
        corsd.add_entries("shop", origins=[page_origin])
        corsd.put_tenant("public", {"public_origin": True})

        api_port, upstream_port = free_port(), free_port()
        conf = open(os.path.join(HERE, "nginx.conf.template")).read()
        for key, value in {
            "@USER@": "user root;" if os.geteuid() == 0 else "",
            "@TMP@": tmp, "@DEPLOY@": DEPLOY, "@CORSD_HTTP@": corsd.http,
            "@API_PORT@": str(api_port), "@UPSTREAM_PORT@": str(upstream_port),
            "@WS_PORT@": str(ws.server_address[1]),
        }.items():
            conf = conf.replace(key, value)
        conf_path = os.path.join(tmp, "nginx.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        subprocess.run(["nginx", "-t", "-q", "-p", tmp + "/", "-e", "stderr", "-c", conf_path],
                       check=True)
        nginx = subprocess.Popen(["nginx", "-p", tmp + "/", "-e", "stderr", "-c", conf_path,
                                  "-g", "daemon off;"], start_new_session=True)
        wait_port(api_port)
        wait_port(upstream_port)

        api = f"http://127.0.0.1:{api_port}"
        url = f"{page_origin}/page.html?api={api}&refused={refused_origin}/refused.html"
        profile = os.path.join(tmp, "chromium-profile")
        chromium = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
             f"--user-data-dir={profile}", url],
            stdout=open(os.path.join(tmp, "chromium.log"), "wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        got = results.wait(["allowed", "refused"], args.timeout)
        if len(got) < 2:
            print(f"browser_test: the pages reported {sorted(got)} within {args.timeout}s; "
                  f"chromium log:\n{open(os.path.join(tmp, 'chromium.log')).read()[-4000:]}",
                  file=sys.stderr)
        time.sleep(0.2)  # let nginx flush the upstream log line of the last request
        upstream_log = open(os.path.join(tmp, "upstream.log")).read()
        rows = check(got, upstream_log, ws.handshakes)
        ua = got.get("allowed", {}).get("userAgent", "?")
        print(f"browser: {ua}")
        for case, ok, what in rows:
            print(f"{'PASS' if ok else 'FAIL'} {case}: {what}")
        failed = [c for c, ok, _ in rows if not ok]
        if failed:
            print("results: " + json.dumps(got, indent=1))
            print("upstream log:\n" + upstream_log)
        print(f"browser_test: {len(rows) - len(failed)} passed, {len(failed)} failed")
        return 1 if failed else 0
    finally:
        for proc in (chromium, nginx):
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=10)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    proc.wait()
        for s in servers:
            s.shutdown()
            s.server_close()
        corsd.__exit__(None, None, None)
        if args.keep:
            print(f"browser_test: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
