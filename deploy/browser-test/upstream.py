"""The app both gateways protect: plain HTTP and WebSocket on one loopback port.

It records every request that reaches it (method, path, the `case` and `gw`
query parameters the pages add, the session cookie, whether it was a
WebSocket upgrade), so the test can tell what got past the gateway, and
answers:
  .../error...   500 {"error":"boom"} with X-Request-ID: req-500;
  Upgrade: websocket
                 the RFC 6455 handshake by hand (101, Sec-WebSocket-Accept),
                 then one text frame "hello", then it waits for the client's
                 close frame and answers it;
  anything else  200 {"ok":true} with X-Request-ID: req-N (exposed by the
                 policy), X-Secret (not exposed), X-RateLimit-Remaining: 42
                 (exposed), X-RateLimit-Reset: 60 (not exposed), and its own
                 stale Access-Control-Allow-Origin: https://stale.example that
                 the gateway must drop (corsd is the one source of CORS
                 headers).
HTTP/1.1 with keep-alive; request bodies read by Content-Length or chunked.
Standard library only (Debian's python3).
"""
import base64
import hashlib
import http.server
import itertools
import os
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "service", "http", "testing"))
import http_body  # noqa: E402  (service/http/testing/http_body.py)

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Upstream:
    def __init__(self, host="127.0.0.1"):
        self.records = []
        self.lock = threading.Lock()
        self.counter = itertools.count(1)
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def read_body(self):
                return http_body.read_body(self)

            def answer(self):
                body = self.read_body()
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                cookie = ""
                for part in (self.headers.get("Cookie") or "").split(";"):
                    name, _, value = part.strip().partition("=")
                    if name == "session":
                        cookie = value
                upgrade = (self.headers.get("Upgrade") or "").lower() == "websocket"
                record = {"method": self.command, "path": self.path,
                          "case": query.get("case", [""])[0], "gw": query.get("gw", [""])[0],
                          "cookie": cookie, "websocket": upgrade,
                          "body": body.decode("utf-8", "replace")}
                with upstream.lock:
                    upstream.records.append(record)
                if upgrade:
                    self.websocket()
                    return
                if "/error" in self.path:
                    status, out = 500, b'{"error":"boom"}'
                    extra = [("X-Request-ID", "req-500")]
                else:
                    status, out = 200, b'{"ok":true}'
                    extra = [("X-Request-ID", f"req-{next(upstream.counter)}"),
                             ("X-Secret", "not-for-js"),
                             ("X-RateLimit-Remaining", "42"),
                             ("X-RateLimit-Reset", "60")]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in extra:
                    self.send_header(name, value)
                # The app's own CORS header: the gateway must drop it.
                self.send_header("Access-Control-Allow-Origin", "https://stale.example")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = answer

            def websocket(self):
                self.close_connection = True
                key = self.headers.get("Sec-WebSocket-Key")
                if not key:
                    self.send_error(400, "no Sec-WebSocket-Key")
                    return
                accept = base64.b64encode(hashlib.sha1(key.strip().encode() + WS_GUID).digest())
                self.wfile.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                 b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept +
                                 b"\r\n\r\n")
                self.wfile.write(b"\x81\x05hello")  # one unmasked text frame
                self.wfile.flush()
                self.connection.settimeout(10)
                try:
                    while True:  # client frames are masked; wait for a close
                        head = self.rfile.read(2)
                        if len(head) < 2:
                            return
                        length = head[1] & 0x7F
                        if length == 126:
                            length = int.from_bytes(self.rfile.read(2), "big")
                        elif length == 127:
                            length = int.from_bytes(self.rfile.read(8), "big")
                        self.rfile.read((4 if head[1] & 0x80 else 0) + length)
                        if head[0] & 0x0F == 0x8:
                            self.wfile.write(b"\x88\x00")
                            self.wfile.flush()
                            return
                except OSError:
                    pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self):
        return self.server.server_address[1]

    def seen(self, gw):
        """The requests that reached the upstream for gateway `gw`'s run."""
        with self.lock:
            return [r for r in self.records if r["gw"] == gw]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
