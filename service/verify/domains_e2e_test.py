"""Custom domains end to end with the real corsd: a real DNS server
(Debian's dnsmasq on loopback), SIGKILL in the middle of verification, and
two corsd replicas on one real PostgreSQL.

    /usr/bin/python3 domains_e2e_test.py /path/to/corsd

- SIGKILL: 40 domains being verified in the background; corsd is killed
  while attempts are in flight. Every state the Admin API acknowledged
  before the kill (verified domains, with their tokens) is there after the
  restart, nothing is half-written, and the rest are verified after it.
- Two replicas: a domain verified through replica A is approved by /ask on
  replica B within a second, and routed there; its removal through B
  reaches A the same way.
Everything it starts (dnsmasq, PostgreSQL, corsd) it stops.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "service", "http", "testing"))
sys.path.insert(0, os.path.join(REPO, "service", "dns", "testing"))

from corsd_harness import Corsd  # noqa: E402
from dnsmasq import Dnsmasq  # noqa: E402

CORSD = None
VERIFIED = 2  # corsd.v1.DOMAIN_STATE_VERIFIED


def ask(corsd, host):
    try:
        with urllib.request.urlopen(f"http://{corsd.http}/ask?domain={host}",
                                    timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def wait_for(predicate, timeout):
    """Seconds it took for predicate() to hold, or None after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.01)
    return None


class SigkillDuringVerification(unittest.TestCase):
    def test_no_acknowledged_transition_is_lost(self):
        with Dnsmasq() as dns:
            corsd = Corsd(CORSD, ["--dns-resolver", dns.address,
                                  "--domain-verify-concurrency", "2"])
            try:
                corsd.start()
                corsd.put_tenant("shop", {})
                hosts = [f"d{i}.kill-test.test" for i in range(40)]
                tokens = {}
                for h in hosts:
                    tokens[h] = corsd.add_domain("shop", h).domain.token
                # Published all at once: the verifier (woken by each add,
                # and due at once) proves them two at a time.
                dns.set(txt={f"_corsd-challenge.{h}": [tokens[h]] for h in hosts})
                acknowledged = set()
                deadline = time.monotonic() + 60
                while len(acknowledged) < 5 and time.monotonic() < deadline:
                    for d in corsd.list_domains("shop"):
                        if d.state == VERIFIED:
                            acknowledged.add(d.host)
                self.assertGreaterEqual(len(acknowledged), 5, corsd.log())
                corsd.kill()
                corsd.start()
                after = {d.host: d for d in corsd.list_domains("shop")}
                self.assertEqual(sorted(after), sorted(hosts), "all 40 domains, once each")
                for h in acknowledged:
                    self.assertEqual(after[h].state, VERIFIED, f"{h} lost its verification")
                    self.assertEqual(after[h].token, tokens[h])
                    self.assertEqual(ask(corsd, h), 200)
                # The verifier goes on after the restart.
                took = wait_for(lambda: all(d.state == VERIFIED
                                            for d in corsd.list_domains("shop")), 60)
                self.assertIsNotNone(took, corsd.log())
                for h in hosts:
                    self.assertEqual(ask(corsd, h), 200, h)
            finally:
                corsd.stop()
                if corsd.dir:
                    shutil.rmtree(corsd.dir, ignore_errors=True)


class TwoReplicasOnPostgres(unittest.TestCase):
    def setUp(self):
        self.pg_dir = tempfile.mkdtemp(prefix="corsd-pg-e2e-")
        os.chmod(self.pg_dir, 0o755)
        out = subprocess.run([os.path.join(REPO, "scripts", "postgres.sh"), "start",
                              os.path.join(self.pg_dir, "pg")],
                             capture_output=True, text=True)
        if out.returncode != 0:
            self.fail("scripts/postgres.sh could not start PostgreSQL:\n"
                      + out.stdout + out.stderr)
        self.url = out.stdout.strip().splitlines()[-1]

    def tearDown(self):
        script = os.path.join(REPO, "scripts", "postgres.sh")
        pg = os.path.join(self.pg_dir, "pg")
        if subprocess.run([script, "stop", pg], capture_output=True).returncode != 0:
            subprocess.run([script, "crash", pg], capture_output=True)
        shutil.rmtree(self.pg_dir, ignore_errors=True)

    def test_verified_through_a_is_approved_on_b_within_a_second(self):
        with Dnsmasq() as dns:
            common = ["--store", self.url, "--dns-resolver", dns.address]
            a = Corsd(CORSD, common)
            b = Corsd(CORSD, common)
            try:
                a.start()
                b.start()
                a.put_tenant("shop", {"custom_domain_origins": True})
                token = a.add_domain("shop", "shop.replica-test.test").domain.token
                dns.set(txt={"_corsd-challenge.shop.replica-test.test": [token]})
                self.assertEqual(ask(b, "shop.replica-test.test"), 404)
                verified = a.verify_domain("shop", "shop.replica-test.test")
                self.assertEqual(verified.domain.state, VERIFIED,
                                 verified.domain.attempts[0].reason)
                took = wait_for(lambda: ask(b, "shop.replica-test.test") == 200, 1.0)
                self.assertIsNotNone(took, "not approved on B within 1 s:\n" + b.log())
                print(f"A->B /ask approval: {took * 1000:.0f} ms")
                self.assertEqual(b.get_domain("shop", "shop.replica-test.test").domain.state,
                                 VERIFIED)
                b.remove_domain("shop", "shop.replica-test.test")
                took = wait_for(lambda: ask(a, "shop.replica-test.test") == 404, 1.0)
                self.assertIsNotNone(took, "removal not seen on A within 1 s")
            finally:
                for c in (a, b):
                    c.stop()
                    if c.dir:
                        shutil.rmtree(c.dir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: domains_e2e_test.py /path/to/corsd")
    CORSD = sys.argv.pop(1)
    unittest.main()
