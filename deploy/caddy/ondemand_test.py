"""Caddy's on-demand TLS asking corsd: deploy/caddy/Caddyfile.ondemand for real.

Starts dnsmasq (service/dns/testing/dnsmasq.py: the DNS the verifier asks,
TXT records published by the test), the real corsd (corsd_harness.py) with
--dns-resolver <dnsmasq> --domain-recheck 1s --domain-grace 2s --saas-hosts
app.saas.test, and `caddy run` with deploy/caddy/Caddyfile.ondemand, its
literals substituted: corsd's --http-listen in the `ask` URL, `tls internal`
for the public CA (Caddy's own local CA, no network), `respond "ok"` for the
app, and in the global options `admin off`, `default_bind 127.0.0.1`, free
`http_port`/`https_port`, `skip_install_trust` and storage in a temporary
directory. Everything is on 127.0.0.1.

Tenant customer-one allows the origins https://shop.customer-one.test and
https://cdn.thirdparty.test (plain origin entries) and brings the custom
domain shop.customer-one.test (DNS proof, verified in setUpClass). Each test
then makes TLS handshakes to Caddy with Python's ssl module (SNI = the name;
the handshake itself does not verify, so a failure can only be Caddy's
refusal) and asks /ask directly:
  * a verified domain, a name one label under a verified wildcard and a
    --saas-hosts host get a certificate, which chains to Caddy's local CA and
    names the host (a second handshake verifies it);
  * an origin the tenant merely allows, a pending domain, a failing domain,
    a suspended domain and a name two labels under a wildcard get none.
Caddy keeps certificates it obtained and does not ask again for them (one
test pins that, README.md documents it), so every other name is first asked
for in the state the test checks.

Usage: /usr/bin/python3 deploy/caddy/ondemand_test.py /path/to/corsd
Needs Debian's caddy and dnsmasq-base (scripts/deps.txt), python3-grpcio,
python3-protobuf and protobuf-compiler (the harness). Caddy, corsd and
dnsmasq are stopped at the end, also when a test or the set-up fails.
"""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEPLOY_CADDYFILE = os.path.join(HERE, "Caddyfile.ondemand")
sys.path.insert(0, os.path.join(REPO, "service", "http", "testing"))
sys.path.insert(0, os.path.join(REPO, "service", "dns", "testing"))
from corsd_harness import Corsd, CorsdError, proto_modules  # noqa: E402
import dnsmasq  # noqa: E402

CADDY = shutil.which("caddy") or "/usr/bin/caddy"
CORSD_BINARY = None

# The literals of the deploy Caddyfile this test replaces (render_caddyfile
# fails, naming the literal, when the Caddyfile no longer has exactly one).
DEPLOY_ASK = "ask http://127.0.0.1:7702/ask"
DEPLOY_ADMIN = "admin 127.0.0.1:2019"
DEPLOY_TLS = "\ttls {\n\t\ton_demand\n\t}"
DEPLOY_APP = "reverse_proxy 127.0.0.1:3000"

CHALLENGE = "_corsd-challenge"
TENANT = "customer-one"
SHOP = "shop.customer-one.test"
WILDCARD = "*.shop.customer-one.test"
THIRD_PARTY = "cdn.thirdparty.test"
SAAS = "app.saas.test"
GRACE_SECONDS = 2

admin_pb2, _ = proto_modules()
VERIFIED = admin_pb2.DOMAIN_STATE_VERIFIED
PENDING = admin_pb2.DOMAIN_STATE_PENDING
FAILING = admin_pb2.DOMAIN_STATE_FAILING
SUSPENDED = admin_pb2.DOMAIN_STATE_SUSPENDED


def state_name(state):
    return admin_pb2.DomainState.Name(state)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- Caddy -----------------------------------------------------------------
def render_caddyfile(corsd_http, http_port, https_port, storage):
    """The deploy Caddyfile.ondemand with this test's addresses."""
    with open(DEPLOY_CADDYFILE) as f:
        text = f.read()
    for literal in (DEPLOY_ASK, DEPLOY_ADMIN, DEPLOY_TLS, DEPLOY_APP):
        n = text.count(literal)
        if n != 1:
            raise AssertionError(f"{DEPLOY_CADDYFILE} has {literal!r} {n} times, expected "
                                 "once: update ondemand_test.py with it")
    options = "\n\t".join([
        "admin off", "default_bind 127.0.0.1", f"http_port {http_port}",
        f"https_port {https_port}", "skip_install_trust",
        f"storage file_system {{\n\t\troot {storage}\n\t}}"])
    return (text.replace(DEPLOY_ASK, f"ask http://{corsd_http}/ask")
                .replace(DEPLOY_ADMIN, options)
                .replace(DEPLOY_TLS, "\ttls internal {\n\t\ton_demand\n\t}")
                .replace(DEPLOY_APP, 'respond "ok"'))


class Caddy:
    def __init__(self, corsd_http):
        self.corsd_http = corsd_http
        self.dir = tempfile.mkdtemp(prefix="corsd-ondemand-test-")
        self.storage = os.path.join(self.dir, "storage")
        self.proc = None
        self.https_port = None
        self.log_path = os.path.join(self.dir, "caddy.log")

    @property
    def root_certificate(self):
        """Caddy's local CA (tls internal), written before its first certificate."""
        return os.path.join(self.storage, "pki", "authorities", "local", "root.crt")

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
            self.https_port = free_port()
            http_port = free_port()
            config = os.path.join(self.dir, "Caddyfile")
            with open(config, "w") as f:
                f.write(render_caddyfile(self.corsd_http, http_port, self.https_port,
                                         self.storage))
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
                    socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                    return self
                except OSError:
                    time.sleep(0.05)
            text = self.log()
            self.stop()
            if "address already in use" not in text:
                raise RuntimeError(f"caddy did not start on 127.0.0.1:{self.https_port}:\n{text}")
        raise RuntimeError(f"caddy found no free ports in {attempts} attempts:\n{self.log()}")

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
        shutil.rmtree(self.dir, ignore_errors=True)


class Handshake:
    """What one TLS handshake to Caddy with SNI `name` gave."""

    def __init__(self, name, ok, error="", response=b""):
        self.name = name
        self.ok = ok
        self.error = error
        self.response = response


# ---- the test --------------------------------------------------------------
class OnDemandTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.txt = {}  # the TXT records dnsmasq serves: name -> [token, ...]
        cls.dns = dnsmasq.Dnsmasq()
        cls.addClassCleanup(cls.dns.stop)
        cls.dns.start()
        cls.corsd = Corsd(CORSD_BINARY, extra_args=[
            "--dns-resolver", cls.dns.address, "--domain-recheck", "1s",
            "--domain-grace", f"{GRACE_SECONDS}s", "--saas-hosts", SAAS])
        cls.addClassCleanup(cls.corsd.__exit__, None, None, None)
        cls.corsd.start()
        cls.caddy = Caddy(cls.corsd.http)
        cls.addClassCleanup(cls.caddy.cleanup)
        cls.caddy.start()

        cls.corsd.put_tenant(TENANT, {"allowed_methods": ["GET", "POST"]})
        cls.corsd.add_entries(TENANT, origins=[f"https://{SHOP}", f"https://{THIRD_PARTY}"])
        # An allowed origin is no reason for a certificate, before or after
        # the domain is added.
        cls.check_ask(SHOP, 404, "an allowed origin, no custom domain yet")
        info = cls.corsd.add_domain(TENANT, SHOP, "dns")
        if info.domain.state != PENDING:
            raise AssertionError(f"new domain: {info}")
        cls.check_ask(SHOP, 404, "a pending domain")
        cls.publish(SHOP, info.domain.token)
        cls.verified(SHOP)

    # ---- helpers -------------------------------------------------------------
    @classmethod
    def ask(cls, name):
        """corsd's /ask for `name`: (status, body)."""
        url = f"http://{cls.corsd.http}/ask?domain={urllib.parse.quote(name)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    @classmethod
    def check_ask(cls, name, want, what):
        status, body = cls.ask(name)
        if status != want:
            raise AssertionError(f"/ask?domain={name} ({what}): {status} {body!r}, "
                                 f"expected {want}")

    @classmethod
    def challenge_name(cls, host):
        return f"{CHALLENGE}.{host[2:] if host.startswith('*.') else host}"

    @classmethod
    def publish(cls, host, token):
        """Adds `token` to the TXT records of `host`'s challenge name."""
        cls.txt.setdefault(cls.challenge_name(host), []).append(token)
        cls.dns.set(txt=cls.txt)

    @classmethod
    def withdraw(cls, host, token):
        name = cls.challenge_name(host)
        cls.txt[name].remove(token)
        if not cls.txt[name]:
            del cls.txt[name]
        cls.dns.set(txt=cls.txt)

    @classmethod
    def verify(cls, host):
        """VerifyDomain; retried while the verifier's own attempt (a re-check
        every second) is in flight."""
        deadline = time.monotonic() + 15
        while True:
            try:
                return cls.corsd.verify_domain(TENANT, host)
            except CorsdError as e:
                if (e.code != grpc.StatusCode.FAILED_PRECONDITION
                        or time.monotonic() > deadline):
                    raise
                time.sleep(0.1)

    @classmethod
    def verified(cls, host):
        """VerifyDomain until VERIFIED (the proof is published). dnsmasq
        restarts at every change of records; a re-check that ran meanwhile
        may have found no answer and made the domain FAILING (within the
        grace): one attempt now makes it VERIFIED again."""
        deadline = time.monotonic() + 15
        while True:
            info = cls.verify(host)
            if info.domain.state == VERIFIED:
                return info
            if time.monotonic() > deadline:
                raise AssertionError(f"{host} not verified with its TXT published "
                                     f"({cls.txt}): {info}\ndnsmasq: {cls.dns.log()}")
            time.sleep(0.2)

    def handshake(self, name):
        """A TLS handshake to Caddy with SNI `name`, not verifying the
        certificate, then GET / on it."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            with socket.create_connection(("127.0.0.1", self.caddy.https_port),
                                          timeout=20) as raw:
                with context.wrap_socket(raw, server_hostname=name) as tls:
                    tls.sendall(f"GET / HTTP/1.1\r\nHost: {name}\r\n"
                                "Connection: close\r\n\r\n".encode())
                    response = b""
                    while chunk := tls.recv(65536):
                        response += chunk
                    return Handshake(name, True, response=response)
        except (ssl.SSLError, ConnectionError) as e:
            return Handshake(name, False, error=f"{type(e).__name__}: {e}")

    def peer_names(self, name):
        """The DNS names of the certificate Caddy serves for `name`, read
        from a handshake that verifies it against Caddy's local CA and
        checks that it is valid for `name`."""
        context = ssl.create_default_context(cafile=self.caddy.root_certificate)
        with socket.create_connection(("127.0.0.1", self.caddy.https_port), timeout=20) as raw:
            with context.wrap_socket(raw, server_hostname=name) as tls:
                cert = tls.getpeercert()
        return {value for kind, value in cert.get("subjectAltName", ()) if kind == "DNS"}

    def assertAsk(self, name, want):
        status, body = self.ask(name)
        self.assertEqual(status, want, f"/ask?domain={name}: {body!r}")

    def asks(self):
        """corsd_ask_total by outcome."""
        prefix = 'corsd_ask_total{outcome="'
        return {k[len(prefix):-2]: v for k, v in self.metrics().items() if k.startswith(prefix)}

    def assertCertificate(self, name):
        before = self.asks()
        h = self.handshake(name)
        self.assertTrue(h.ok, f"no certificate for {name}: {h.error}\ncaddy:\n"
                        f"{self.caddy.log()[-3000:]}")
        self.assertTrue(h.response.startswith(b"HTTP/1.1 200"), h.response[:200])
        self.assertTrue(h.response.endswith(b"ok"), h.response[-200:])
        self.assertIn(name, self.peer_names(name))
        self.assertRegex(self.caddy.log(),
                         r'"msg":"certificate obtained successfully","identifier":"%s"'
                         % re.escape(name))
        # Caddy asked corsd first, and was told yes.
        after = self.asks()
        self.assertEqual(sum(after.values()) - sum(before.values()), 1, (before, after))
        self.assertEqual(after.get("unknown") - before.get("unknown"), 0, (before, after))

    def assertNoCertificate(self, name):
        before = self.asks()
        h = self.handshake(name)
        self.assertFalse(h.ok, f"Caddy completed a handshake for {name}: "
                         f"{h.response[:200]!r}")
        self.assertNotRegex(self.caddy.log(), r'"identifier":"%s"' % re.escape(name))
        # Refused because corsd said no (Caddy logs refusals at debug only).
        after = self.asks()
        self.assertEqual(after.get("unknown") - before.get("unknown"), 1, (before, after))

    def metrics(self):
        """{metric line name with labels: value} of /metrics."""
        with urllib.request.urlopen(f"http://{self.corsd.http}/metrics", timeout=10) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                out[key] = float(value)
        return out

    # ---- tests -----------------------------------------------------------------
    def test_verified_domain_gets_certificate(self):
        self.verified(SHOP)
        self.assertAsk(SHOP, 200)
        self.assertCertificate(SHOP)

    def test_allowed_origin_host_gets_none(self):
        # https://cdn.thirdparty.test is an origin the tenant allows, nothing more.
        self.assertAsk(THIRD_PARTY, 404)
        self.assertNoCertificate(THIRD_PARTY)

    def test_unknown_name_gets_none(self):
        self.assertAsk("nobody.customer-one.test", 404)
        self.assertNoCertificate("nobody.customer-one.test")

    def test_saas_host_gets_certificate(self):
        self.assertAsk(SAAS, 200)
        self.assertCertificate(SAAS)

    def test_pending_domain_gets_none(self):
        host = "pending.customer-one.test"
        # Also an allowed origin: still no certificate before the proof.
        self.corsd.add_entries(TENANT, origins=[f"https://{host}"])
        info = self.corsd.add_domain(TENANT, host, "dns")
        self.assertEqual(state_name(info.domain.state), "DOMAIN_STATE_PENDING")
        self.assertAsk(host, 404)
        self.assertNoCertificate(host)
        # The verifier tries at once, finds no TXT record: FAILING, never verified.
        info = self.verify(host)
        self.assertEqual(state_name(info.domain.state), "DOMAIN_STATE_FAILING")
        self.assertEqual(info.domain.verified_unix_ms, 0)
        self.assertEqual(info.domain.attempts[0].outcome,
                         admin_pb2.DomainAttempt.OUTCOME_NXDOMAIN, info.domain.attempts[0])
        self.assertAsk(host, 404)
        self.assertNoCertificate(host)

    def test_wildcard_covers_one_label(self):
        self.verified(SHOP)
        info = self.corsd.add_domain(TENANT, WILDCARD, "dns")
        self.assertNotEqual(info.domain.token, self.corsd.get_domain(TENANT, SHOP).domain.token)
        # The wildcard's proof lives at its parent's challenge name, beside
        # the parent's own token.
        self.assertIn(f"{CHALLENGE}.{SHOP}", "\n".join(info.instructions))
        self.publish(WILDCARD, info.domain.token)
        self.assertEqual(len(self.txt[f"{CHALLENGE}.{SHOP}"]), 2)
        self.verified(WILDCARD)
        self.verified(SHOP)
        self.assertAsk("a.shop.customer-one.test", 200)
        self.assertAsk("b.c.shop.customer-one.test", 404)
        self.assertAsk("customer-one.test", 404)
        self.assertCertificate("a.shop.customer-one.test")
        self.assertNoCertificate("b.c.shop.customer-one.test")
        listed = {d.host: d.state for d in self.corsd.list_domains(TENANT, VERIFIED)}
        self.assertEqual(listed.get(WILDCARD), VERIFIED, listed)
        self.assertEqual(listed.get(SHOP), VERIFIED, listed)

    def test_failing_domain_gets_none(self):
        # Verified, then its proof gone: FAILING within the grace. /ask says
        # yes only for VERIFIED (PRODUCT.md, service/http/ask.h).
        host = "failing.customer-one.test"
        info = self.corsd.add_domain(TENANT, host, "dns")
        self.publish(host, info.domain.token)
        self.verified(host)
        self.withdraw(host, info.domain.token)
        info = self.verify(host)
        self.assertEqual(state_name(info.domain.state), "DOMAIN_STATE_FAILING")
        self.assertAsk(host, 404)
        self.assertNoCertificate(host)

    def test_suspended_domain_gets_none(self):
        # Never asked for over TLS while verified: Caddy would keep that
        # certificate whatever corsd says later.
        host = "old.customer-one.test"
        info = self.corsd.add_domain(TENANT, host, "dns")
        self.publish(host, info.domain.token)
        info = self.verified(host)
        self.assertTrue(info.domain.granted_api_host)
        self.assertAsk(host, 200)
        self.withdraw(host, info.domain.token)
        info = self.verify(host)
        self.assertEqual(state_name(info.domain.state), "DOMAIN_STATE_FAILING")
        time.sleep(GRACE_SECONDS + 0.5)
        info = self.verify(host)
        self.assertEqual(state_name(info.domain.state), "DOMAIN_STATE_SUSPENDED")
        self.assertFalse(info.domain.granted_api_host)
        self.assertEqual(self.corsd.get_domain(TENANT, host).domain.state, SUSPENDED)
        self.assertIn(host, {d.host for d in self.corsd.list_domains(TENANT, SUSPENDED)})
        self.assertAsk(host, 404)
        self.assertNoCertificate(host)

    def test_certificate_obtained_before_suspension_is_kept(self):
        # Caddy's behaviour, documented in README.md: it asks corsd only for a
        # name it holds no certificate for.
        host = "cached.customer-one.test"
        info = self.corsd.add_domain(TENANT, host, "dns")
        self.publish(host, info.domain.token)
        self.verified(host)
        self.assertCertificate(host)
        self.withdraw(host, info.domain.token)
        self.verify(host)
        time.sleep(GRACE_SECONDS + 0.5)
        self.assertEqual(state_name(self.verify(host).domain.state), "DOMAIN_STATE_SUSPENDED")
        self.assertAsk(host, 404)
        before = self.asks()
        h = self.handshake(host)
        self.assertTrue(h.ok, h.error)
        self.assertEqual(self.asks(), before, "Caddy asked corsd about a name it holds")

    def test_metrics(self):
        self.verified(SHOP)
        before = self.metrics()
        self.assertAsk(SHOP, 200)
        self.assertAsk(SAAS, 200)
        self.assertAsk(THIRD_PARTY, 404)
        after = self.metrics()
        for outcome in ("domain", "saas_host", "unknown"):
            key = f'corsd_ask_total{{outcome="{outcome}"}}'
            self.assertIn(key, after)
            self.assertEqual(after[key] - before.get(key, 0), 1, key)
        self.assertGreaterEqual(after.get('corsd_domains{state="verified"}', 0), 1, after)


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: ondemand_test.py /path/to/corsd [unittest args]")
    if not os.access(CADDY, os.X_OK):
        sys.exit("caddy is not installed (apt-get install caddy; scripts/deps.txt lists it)")
    if not os.access(dnsmasq.DNSMASQ, os.X_OK):
        sys.exit(f"{dnsmasq.DNSMASQ} is not installed (apt-get install dnsmasq-base; "
                 "scripts/deps.txt lists it)")
    CORSD_BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
