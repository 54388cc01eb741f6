"""Integration test of corsd's HTTP listener, against the real corsd binary.

Starts corsd (--http-listen 127.0.0.1:0), writes tenants through Admin, then
checks /healthz, /readyz, /ask, /auth, /preflight over HTTP, and parses
/metrics with Prometheus' own parser (Debian python3-prometheus-client):
every family typed, the histogram consistent, the decisions just made
counted. Usage: /usr/bin/python3 corsd_http_test.py /path/to/corsd
"""
import os
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "testing"))
from corsd_harness import Corsd  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

CORSD = None


def request(url, method="GET", headers=None):
    """(status, headers, body) without raising on 4xx/5xx."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


class CorsdHttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.corsd = Corsd(CORSD).start()
        cls.corsd.put_tenant("shop", {
            "allowed_methods": ["GET", "POST", "PUT"],
            "allowed_headers": ["x-allowed"],
            "exposed_headers": ["x-request-id"],
            "allow_credentials": True,
            "enforce_unsafe_methods": True,
        })
        cls.corsd.add_entries("shop", origins=["https://app.shop.example"],
                              api_hosts=["api.shop.example"])
        cls.base = f"http://{cls.corsd.http}"

    @classmethod
    def tearDownClass(cls):
        code = cls.corsd.stop()
        cls.corsd.__exit__(None, None, None)
        assert code == 0, f"corsd exited {code} on SIGTERM (HACKING.md: drains, exits 0)"

    def test_health_and_ready(self):
        self.assertEqual(request(self.base + "/healthz")[0], 200)
        self.assertEqual(request(self.base + "/readyz")[0], 200)

    def test_ask(self):
        # An API host is approved; the host of an origin the tenant merely
        # allows is not (only verified custom domains, API hosts and
        # --saas-hosts are).
        for domain, want in (("api.shop.example", 200), ("app.shop.example", 404),
                             ("evil.example", 404), ("bad host", 400)):
            status, _, body = request(self.base + "/ask?domain=" + urllib.request.quote(domain))
            self.assertEqual(status, want, f"{domain}: {body}")

    def test_auth_and_preflight(self):
        status, headers, _ = request(self.base + "/auth", headers={
            "X-Original-Method": "GET", "X-Original-Host": "api.shop.example",
            "X-Original-URI": "/items", "Origin": "https://app.shop.example"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Access-Control-Allow-Origin"], "https://app.shop.example")
        status, _, body = request(self.base + "/auth", headers={
            "X-Original-Method": "PUT", "X-Original-Host": "api.shop.example",
            "Origin": "https://evil.example"})
        self.assertEqual(status, 403, body)
        status, headers, _ = request(self.base + "/preflight", method="OPTIONS", headers={
            "Host": "api.shop.example", "Origin": "https://app.shop.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-allowed"})
        self.assertEqual(status, 204)
        self.assertIn("PUT", headers["Access-Control-Allow-Methods"])
        status, _, _ = request(self.base + "/auth", headers={"X-Original-Host": "x"})
        self.assertEqual(status, 400)

    def test_metrics_parse(self):
        for _ in range(5):
            request(self.base + "/auth", headers={
                "X-Original-Method": "GET", "X-Original-Host": "api.shop.example",
                "Origin": "https://app.shop.example"})
        status, headers, text = request(self.base + "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        families = {f.name: f for f in text_string_to_metric_families(text)}
        want = {"corsd_decisions": "counter", "corsd_decision_latency_seconds": "histogram",
                "corsd_admin_writes": "counter", "corsd_admin_write_items": "counter",
                "corsd_table_entries": "gauge", "corsd_table_bytes": "gauge",
                "corsd_store_lag_milliseconds": "gauge", "corsd_ready": "gauge",
                "corsd_http_requests": "counter"}
        for name, kind in want.items():
            self.assertIn(name, families, f"{name} missing from /metrics:\n{text}")
            self.assertEqual(families[name].type, kind, name)

        allowed = [s for s in families["corsd_decisions"].samples
                   if s.name == "corsd_decisions_total"
                   and s.labels.get("reason") == "REASON_R2_ORIGIN_ALLOWED"]
        self.assertTrue(allowed, text)
        self.assertGreaterEqual(sum(s.value for s in allowed), 5)

        hist = families["corsd_decision_latency_seconds"].samples
        buckets = [s for s in hist if s.name.endswith("_bucket")]
        counts = [s.value for s in buckets]
        self.assertEqual(counts, sorted(counts), "buckets must be cumulative")
        self.assertEqual(buckets[-1].labels["le"], "+Inf")
        count = [s.value for s in hist if s.name.endswith("_count")][0]
        self.assertEqual(buckets[-1].value, count)
        total = sum(s.value for s in families["corsd_decisions"].samples
                    if s.name == "corsd_decisions_total")
        self.assertGreaterEqual(count, 5)
        self.assertLessEqual(count, total)

        entries = {s.labels["kind"]: s.value for s in families["corsd_table_entries"].samples}
        self.assertEqual(entries["tenants"], 1)
        self.assertEqual(entries["origins"], 1)
        self.assertEqual(entries["api_hosts"], 1)
        self.assertEqual(families["corsd_ready"].samples[0].value, 1)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: corsd_http_test.py /path/to/corsd")
    CORSD = sys.argv.pop(1)
    unittest.main(verbosity=2)
