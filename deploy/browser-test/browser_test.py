"""The browser test: headless Chromium judges what corsd behind a gateway allows.

Setup, all on loopback:
  corsd      the real binary (--http-listen), tenants written through Admin
             (service/http/testing/corsd_harness.py);
  upstream   upstream.py: the app, HTTP and WebSocket on one port; it records
             every request that reaches it;
  gateways   nginx (nginx.conf.template + deploy/nginx/corsd/*.conf) and
             Caddy (Caddyfile.template + deploy/caddy/Caddyfile's `(corsd)`
             snippet), one after the other (gateways.py), each serving the API
             origin http://127.0.0.1:A in front of the upstream (/shop/ and
             /public/ name their tenant; /unowned/ names none and its Host
             is no tenant's, so corsd's default --unknown-host=deny applies);
  pages      http://127.0.0.1:B/page.html (an allowed origin of tenant "shop";
             same site as the API, so its cookie rides along credentialed
             fetches), which frames http://127.0.0.3:C/refused.html (an origin
             of no tenant) and B/null.html in a sandboxed frame (origin
             "null"); served by this script, which also collects the results
             the pages POST back;
  chromium   Debian's /usr/bin/chromium, headless, a fresh profile per gateway.
For each gateway it asserts what the browser did (fetch resolved or
rejected, a header readable or null, a WebSocket opened or not) and what the
upstream saw. Private Network Access preflights are checked with plain HTTP
requests through the gateway: Chromium 156 sends no
Access-Control-Request-Private-Network any more (README.md says what was
tried). Everything started is stopped in `finally`, on failure too.

Usage: /usr/bin/python3 browser_test.py /path/to/corsd [--gateway nginx,caddy]
                                        [--timeout SECONDS] [--keep]
Prints one `PASS|FAIL GATEWAY CASE: what` line per case. Exit 0 when every
case holds on every gateway; 1 when one fails; 2 on setup errors.
Needs: nginx, caddy, chromium, python3-grpcio, python3-protobuf,
protobuf-compiler (run.sh installs the missing ones).
"""
import argparse
import http.client
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "service", "http", "testing"))
from corsd_harness import Corsd  # noqa: E402
from gateways import GATEWAYS, read_tail, stop_group  # noqa: E402
from upstream import Upstream  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PAGE_HOST, REFUSED_HOST = "127.0.0.1", "127.0.0.3"
PAGES = ("page.html", "refused.html", "null.html", "cases.js")
GROUPS = ("allowed", "refused", "null")


# ---- pages and result collection ---------------------------------------------
class Results:
    """What the pages POSTed, by (gateway, group)."""

    def __init__(self):
        self.docs = {}
        self.cond = threading.Condition()

    def add(self, doc):
        with self.cond:
            self.docs[(doc.get("gw"), doc.get("group"))] = doc
            self.cond.notify_all()

    def wait(self, gw, timeout):
        with self.cond:
            self.cond.wait_for(lambda: all((gw, g) in self.docs for g in GROUPS), timeout)
            return {g: self.docs[(gw, g)] for g in GROUPS if (gw, g) in self.docs}


def page_server(host, results):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            name = self.path.split("?", 1)[0].lstrip("/")
            if name not in PAGES:
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
            # JSON from page.html and refused.html; a no-cors text/plain POST
            # from the sandboxed null.html.
            results.add(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---- Private Network Access preflights, as plain HTTP ----------------------------
def pna_preflight(port, path, origin):
    """The preflight Chromium sent for PNA (OPTIONS, Origin, ACRM: GET,
    Access-Control-Request-Private-Network: true); returns (status, headers)
    with lowercased names, repeated headers joined with ", "."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("OPTIONS", path, headers={
            "Origin": origin, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Private-Network": "true"})
        resp = conn.getresponse()
        resp.read()
        headers = {}
        for name, value in resp.getheaders():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return resp.status, headers
    finally:
        conn.close()


# ---- expectations ---------------------------------------------------------------
def check(gw, got, seen, probes, page_origin):
    """(case, ok, what) rows for one gateway's run.

    got: the pages' documents by group; seen: the upstream's records of this
    run; probes: the PNA preflight answers by case."""
    rows = []

    def expect(case, ok, what):
        rows.append((case, bool(ok), what))

    def reached(case, method=None):
        return [r for r in seen if r["case"] == case and method in (None, r["method"])]

    a = got.get("allowed", {}).get("results", {})
    r = got.get("refused", {}).get("results", {})
    n = got.get("null", {}).get("results", {})
    null_origin = got.get("null", {}).get("origin") == "null"

    get = a.get("simple_get", {})
    hdr = get.get("headers") or {}
    expect("simple_get", get.get("resolved") and get.get("status") == 200
           and '"ok":true' in get.get("body", ""), "GET from an allowed origin is readable")
    expect("exposed_header", (hdr.get("x-request-id") or "").startswith("req-"),
           "X-Request-ID (in Expose-Headers) is readable from JS")
    expect("unexposed_header", get.get("resolved") and hdr.get("x-secret", "missing") is None,
           "X-Secret (sent by the upstream, not exposed) reads as null")
    expect("ratelimit_exposed", hdr.get("x-ratelimit-remaining") == "42",
           "X-RateLimit-Remaining (exposed by the policy) is readable: 42")
    expect("ratelimit_unexposed", get.get("resolved")
           and hdr.get("x-ratelimit-reset", "missing") is None,
           "X-RateLimit-Reset (sent by the upstream, not exposed) reads as null")
    expect("refused_get", r.get("refused_get", {}).get("resolved") is False,
           "the same GET from a refused origin is blocked")
    expect("credentialed_exact", a.get("credentialed_exact", {}).get("status") == 200
           and any(x["cookie"] == "browser-test" for x in reached("credentialed_exact")),
           "credentialed fetch (cookie sent) with an exact origin entry is readable")
    expect("public_plain", a.get("public_plain", {}).get("status") == 200,
           "non-credentialed fetch to a public (*) policy is readable")
    expect("credentialed_public", a.get("credentialed_public", {}).get("resolved") is False
           and any(x["cookie"] == "browser-test" for x in reached("credentialed_public")),
           "credentialed fetch (cookie sent) to a public (*) policy is blocked")
    post = a.get("json_post", {})
    expect("json_post", post.get("resolved") and post.get("status") == 200,
           "JSON POST is preflighted, allowed and readable")
    expect("json_post_preflighted", reached("json_post", "POST")
           and not [x for x in seen if x["method"] == "OPTIONS"],
           "the POST reached the upstream; no preflight did (corsd answered them)")
    plain = a.get("unsafe_allowed", {})
    expect("unsafe_allowed", plain.get("status") == 200
           and any(x["body"] == "hello" for x in reached("unsafe_allowed", "POST")),
           "text/plain POST (no preflight) from an allowed origin reaches the upstream, readable")
    expect("put_allowed", a.get("put_allowed", {}).get("status") == 200
           and reached("put_allowed", "PUT"),
           "PUT (a listed method) passes its preflight, reaches the upstream, readable")
    expect("method_refused", a.get("method_refused", {}).get("resolved") is False
           and not reached("method_refused"),
           "PATCH (not a listed method) is blocked at preflight (never sent)")
    expect("custom_header_allowed", a.get("custom_header_allowed", {}).get("status") == 200,
           "a header the policy lists (X-Allowed) passes the preflight")
    expect("custom_header_refused",
           a.get("custom_header_refused", {}).get("resolved") is False
           and not reached("custom_header_refused"),
           "a header the policy does not list (X-Not-Allowed) is blocked at preflight "
           "(never sent)")
    err = a.get("error_500", {})
    expect("error_500", err.get("resolved") and err.get("status") == 500
           and "boom" in err.get("body", ""),
           "an upstream 500 keeps its CORS headers: JS reads status and body")
    wsa = a.get("ws_allowed", {})
    expect("ws_allowed", wsa.get("opened") and wsa.get("message") == "hello"
           and reached("ws_allowed", "GET"),
           "WebSocket from an allowed origin opens (the upstream's message arrives)")
    wsr = r.get("ws_refused", {})
    expect("ws_refused", wsr.get("opened") is False and not reached("ws_refused"),
           "WebSocket from a refused origin fails before reaching the upstream (R13)")
    expect("unsafe_refused", r.get("unsafe_refused", {}).get("resolved") is False
           and not reached("unsafe_refused"),
           "text/plain POST (no preflight) from a refused origin is denied before the "
           "upstream (R14)")
    expect("unsafe_unenforced", r.get("unsafe_unenforced", {}).get("resolved") is False
           and reached("unsafe_unenforced", "POST"),
           "the same POST on a route without R14 reaches the upstream; only the answer is "
           "hidden")
    expect("null_refused", null_origin and n.get("null_refused", {}).get("resolved") is False,
           "fetch from the null origin (sandboxed frame) is blocked where the policy "
           "refuses null (R11)")
    nullok = n.get("null_allowed", {})
    expect("null_allowed", null_origin and nullok.get("resolved")
           and nullok.get("status") == 200 and '"ok":true' in nullok.get("body", ""),
           "fetch from the null origin is readable on a route with allow_null_origin")
    wsx = r.get("ws_cross_allowed", {})
    expect("ws_cross_allowed", wsx.get("opened") and wsx.get("message") == "hello"
           and reached("ws_cross_allowed", "GET"),
           "the same WebSocket to a route with allow_cross_origin_websocket opens: the "
           "contrast that shows the default R13 is what stopped ws_refused")
    expect("unknown_host_unsafe_refused",
           r.get("unknown_host_unsafe_refused", {}).get("resolved") is False
           and not reached("unknown_host_unsafe_refused"),
           "text/plain POST (no preflight) to a host no tenant owns is denied before the "
           "upstream (--unknown-host=deny, the default)")
    wsu = r.get("unknown_host_ws_refused", {})
    expect("unknown_host_ws_refused", wsu.get("opened") is False
           and not reached("unknown_host_ws_refused"),
           "WebSocket to a host no tenant owns fails before reaching the upstream "
           "(--unknown-host=deny)")
    expect("unknown_host_get",
           r.get("unknown_host_get", {}).get("resolved") is False
           and reached("unknown_host_get", "GET"),
           "GET to a host no tenant owns still reaches the upstream (only its answer is "
           "hidden): the deny is for WebSocket and unsafe methods")
    wsn = n.get("ws_null_refused", {})
    expect("ws_null_refused", null_origin and wsn.get("opened") is False
           and not reached("ws_null_refused"),
           "WebSocket from the null origin fails before reaching the upstream (R13)")
    status, h = probes.get("pna_allowed", (None, {}))
    expect("pna_allowed", status == 204 and h.get("access-control-allow-origin") == page_origin
           and h.get("access-control-allow-private-network") == "true"
           and "access-control-request-private-network" in h.get("vary", "").lower()
           and not reached("pna_allowed"),
           "(HTTP, not the browser) PNA preflight on a route with allow_private_network: "
           "204, Allow-Private-Network: true, Vary names it, upstream not reached")
    status, h = probes.get("pna_refused", (None, {}))
    expect("pna_refused", status == 403 and "access-control-allow-origin" not in h
           and "access-control-allow-private-network" not in h
           and not reached("pna_refused"),
           "(HTTP, not the browser) PNA preflight where the policy does not allow it: 403, "
           "no CORS headers, upstream not reached")
    return rows


def run_gateway(gw_cls, tmp, corsd, upstream, results, origins, timeout):
    """Starts the gateway, lets Chromium run the pages through it, stops both.
    Returns (rows, got, seen)."""
    page_origin, refused_origin = origins
    gateway = gw_cls(tmp, corsd.http, upstream.port)
    chromium = None
    try:
        gateway.start()
        url = (f"{page_origin}/page.html?api={gateway.api}&gw={gateway.name}"
               f"&refused={refused_origin}/refused.html")
        chromium_log = os.path.join(gateway.dir, "chromium.log")
        with open(chromium_log, "wb") as log:
            chromium = subprocess.Popen(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-extensions",
                 "--disable-dev-shm-usage",
                 f"--user-data-dir={os.path.join(gateway.dir, 'chromium-profile')}", url],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        got = results.wait(gateway.name, timeout)
        if len(got) < len(GROUPS):
            print(f"browser_test: {gateway.name}: the pages reported {sorted(got)} within "
                  f"{timeout}s; chromium log:\n{read_tail(chromium_log)}", file=sys.stderr)
        probes = {
            case: pna_preflight(gateway.port, f"{path}?case={case}&gw={gateway.name}",
                                page_origin)
            for case, path in (("pna_allowed", "/shop/lan/data"),
                               ("pna_refused", "/shop/data"))}
        seen = upstream.seen(gateway.name)
        return check(gateway.name, got, seen, probes, page_origin), got, seen, probes
    finally:
        stop_group(chromium)
        gateway.stop()


def put_tenants(corsd, page_origin):
    shop_common = {
        "allowed_methods": ["GET", "POST", "PUT"],
        "allowed_headers": ["x-allowed"],
        "exposed_headers": ["x-request-id", "x-ratelimit-remaining"],
    }
    # No policy says anything to turn R13 on: it is corsd's default. Only
    # /shop/ws-cross turns it off (allow_cross_origin_websocket).
    corsd.put_tenant("shop", {
        **shop_common,
        "allow_credentials": True,
        "enforce_unsafe_methods": True,
        "routes": [
            # Embeddable widgets: sandboxed frames (origin "null") may call.
            {"path_prefix": "/shop/embed/",
             "policy": {**shop_common, "allow_null_origin": True,
                        "enforce_unsafe_methods": True}},
            # R14 off: a refused origin's POST reaches the upstream.
            {"path_prefix": "/shop/loose/", "policy": shop_common},
            # Called from public pages into the private network (R12).
            {"path_prefix": "/shop/lan/",
             "policy": {**shop_common, "allow_private_network": True,
                        "enforce_unsafe_methods": True}},
            # R13 off: a WebSocket endpoint that checks Origin itself.
            {"path_prefix": "/shop/ws-cross",
             "policy": {**shop_common, "allow_cross_origin_websocket": True,
                        "enforce_unsafe_methods": True}},
        ],
    })
    corsd.add_entries("shop", origins=[page_origin])
    corsd.put_tenant("public", {"public_origin": True})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("corsd")
    parser.add_argument("--gateway", default=",".join(GATEWAYS),
                        help="comma-separated gateways to run (default: all: %(default)s)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for one gateway's page results")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    gateways = [g for g in args.gateway.split(",") if g]
    unknown = [g for g in gateways if g not in GATEWAYS]
    if unknown or not gateways:
        print(f"browser_test: unknown gateway {unknown}; known: {sorted(GATEWAYS)}",
              file=sys.stderr)
        return 2
    for tool in ["protoc", CHROMIUM] + gateways:
        if shutil.which(tool) is None:
            print(f"browser_test: {tool} is missing; run deploy/browser-test/run.sh",
                  file=sys.stderr)
            return 2

    # `timeout` (run.sh) and CTest stop the test with SIGTERM: turn it into
    # SystemExit so the `finally` below still stops everything it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="corsd-browser-")
    corsd = Corsd(args.corsd)
    servers = []
    upstream = None
    totals = {}
    try:
        corsd.start()
        results = Results()
        page = page_server(PAGE_HOST, results)
        refused = page_server(REFUSED_HOST, results)
        servers = [page, refused]
        upstream = Upstream()
        page_origin = f"http://{PAGE_HOST}:{page.server_address[1]}"
        refused_origin = f"http://{REFUSED_HOST}:{refused.server_address[1]}"
        put_tenants(corsd, page_origin)

        for name in gateways:
            t0 = time.monotonic()
            rows, got, seen, probes = run_gateway(
                GATEWAYS[name], tmp, corsd, upstream, results,
                (page_origin, refused_origin), args.timeout)
            ua = got.get("allowed", {}).get("userAgent", "?")
            print(f"{name}: browser {ua}")
            for case, ok, what in rows:
                print(f"{'PASS' if ok else 'FAIL'} {name} {case}: {what}")
            failed = [c for c, ok, _ in rows if not ok]
            if failed:
                print(f"{name}: results: " + json.dumps(got, indent=1))
                print(f"{name}: the upstream saw: " + json.dumps(seen, indent=1))
                print(f"{name}: PNA preflight answers: " + json.dumps(probes, indent=1))
            totals[name] = (len(rows) - len(failed), len(failed))
            print(f"{name}: {len(rows) - len(failed)} passed, {len(failed)} failed "
                  f"({time.monotonic() - t0:.1f}s)")
        passed = sum(p for p, _ in totals.values())
        failed = sum(f for _, f in totals.values())
        print(f"browser_test: {passed} passed, {failed} failed ("
              + ", ".join(f"{g} {p}/{p + f}" for g, (p, f) in totals.items())
              + f"; {time.monotonic() - started:.1f}s)")
        return 1 if failed else 0
    except Exception as e:  # setup failed: say what, still clean up
        print(f"browser_test: setup error: {e}", file=sys.stderr)
        if corsd.proc is not None:
            print(f"corsd log:\n{corsd.log()[-2000:]}", file=sys.stderr)
        return 2
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
        if upstream is not None:
            upstream.stop()
        corsd.__exit__(None, None, None)
        if args.keep:
            print(f"browser_test: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
