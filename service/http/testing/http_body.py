"""Reads a request body in a test upstream (http.server handlers): the
Content-Length body, or a chunked one de-chunked, so the upstreams of the
gateway tests (deploy/caddy, deploy/browser-test) can assert what a gateway
forwarded. Test-only; trusts its input."""


def read_body(handler):
    """The body of the request `handler` (a BaseHTTPRequestHandler) is
    reading, as bytes; b"" when it has none."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(handler.rfile.read(size))
            handler.rfile.readline()
    n = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(n) if n else b""
