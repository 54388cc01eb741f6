#!/usr/bin/python3
"""Second-language client test: Python grpcio (Debian's python3-grpcio and
python3-grpc-tools) against the real corsd.

The project's .proto files are compiled AT RUN TIME (protoc into a
temporary directory) and imported from there, so this test checks the wire
contract as any third-party client sees it, not the C++ generated code.

Usage: /usr/bin/python3 interop_test.py <path/to/corsd> [unittest args...]
It starts corsd on 127.0.0.1:0 with a temporary data dir and token file,
reads the "corsd: listening ..." lines for the ports, waits for
"corsd: ready", and runs the same decision and ext_authz cases as the C++
integration test.
"""

import glob
import importlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc
from grpc_tools import protoc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "..", "proto"))
CORSD = None  # set from argv in main

# grpc.health.v1 is not a project file; its (tiny, stable) definition is
# compiled beside the project's protos, under a path that does not clash
# with the grpc Python package (the wire name is the proto package).
HEALTH_PROTO = """
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2;
                       SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
}
"""


def compile_protos(out_dir):
    """Generates *_pb2.py / *_pb2_grpc.py for every project .proto.

    Debian 12's python3-grpc-tools is 1.14: its bundled protoc is 3.5.1, which
    rejects proto3 `optional` (decision.proto) and emits code the protobuf
    4.21 runtime (python3-protobuf 3.21) refuses. So the compiler is Debian's
    /usr/bin/protoc (3.21, the runtime's version) with Debian's
    /usr/bin/grpc_python_plugin (1.51, python3-grpcio's version); bundled
    grpc_tools.protoc is used only when those are missing and it is new
    enough.
    """
    extra = os.path.join(out_dir, "extra")
    os.makedirs(os.path.join(extra, "interop_health"))
    with open(os.path.join(extra, "interop_health", "health.proto"),
              "w") as f:
        f.write(HEALTH_PROTO)
    gen = os.path.join(out_dir, "gen")
    os.makedirs(gen)
    files = sorted(
        os.path.relpath(p, PROTO_DIR)
        for p in glob.glob(os.path.join(PROTO_DIR, "**", "*.proto"),
                           recursive=True))
    files.append("interop_health/health.proto")
    common = ["-I" + PROTO_DIR, "-I" + extra, "--python_out=" + gen,
              "--grpc_python_out=" + gen] + files
    protoc_bin = shutil.which("protoc", path="/usr/bin")
    plugin = shutil.which("grpc_python_plugin", path="/usr/bin")
    if protoc_bin and plugin:
        cmd = [protoc_bin, "--plugin=protoc-gen-grpc_python=" + plugin]
        done = subprocess.run(cmd + common, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError("protoc failed: " + done.stderr)
    else:
        wkt = os.path.join(os.path.dirname(protoc.__file__), "_proto")
        if protoc.main(["grpc_tools.protoc", "-I" + wkt] + common) != 0:
            raise RuntimeError("grpc_tools.protoc failed on " +
                               " ".join(files))
    sys.path.insert(0, gen)


class Corsd:
    """The real corsd on port 0, with a temp data dir and token."""

    def __init__(self, binary, extra_args=()):
        self.tmp = tempfile.mkdtemp(prefix="corsd_py_")
        self.token = secrets.token_hex(16)
        token_file = os.path.join(self.tmp, "tokens")
        with open(token_file, "w") as f:
            f.write("# interop test\n%s\n" % self.token)
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--admin-listen",
             "127.0.0.1:0", "--data-dir", os.path.join(self.tmp, "data"),
             "--admin-token-file", token_file] + list(extra_args),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.addresses = {}
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(30):
            self.proc.kill()
            raise RuntimeError("corsd not ready in 30 s; stderr:\n" +
                               "\n".join(self.lines))

    def _read(self):
        for line in self.proc.stderr:
            line = line.rstrip("\n")
            self.lines.append(line)
            sys.stderr.write("[corsd %d] %s\n" % (self.proc.pid, line))
            prefix = "corsd: listening "
            if line.startswith(prefix):
                name, _, address = line[len(prefix):].partition("=")
                self.addresses[name] = address
            elif line == "corsd: ready":
                self.ready.set()
        self.ready.set()  # EOF: let the waiter see the failure

    def terminate(self):
        self.proc.terminate()
        code = self.proc.wait(15)
        self.reader.join(5)
        self.proc.stderr.close()
        return code

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
            self.reader.join(5)
        if not self.proc.stderr.closed:
            self.proc.stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def mod(name):
    return importlib.import_module(name)


class InteropTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="corsd_py_gen_")
        compile_protos(cls.tmp)
        cls.pb = mod("corsd.v1.decision_pb2")
        cls.admin_pb = mod("corsd.v1.admin_pb2")
        cls.policy_pb = mod("corsd.v1.policy_pb2")
        cls.authz_pb = mod("envoy.service.auth.v3.external_auth_pb2")
        cls.status_pb = mod("google.rpc.status_pb2")
        cls.health_pb = mod("interop_health.health_pb2")
        cls.corsd = Corsd(CORSD, ["--tenant-header", "x-tenant"])
        cls.decision = grpc.insecure_channel(cls.corsd.addresses["decisions"])
        cls.admin = grpc.insecure_channel(cls.corsd.addresses["admin"])
        cls.decider = mod("corsd.v1.decision_pb2_grpc").DeciderStub(
            cls.decision)
        cls.authz = mod(
            "envoy.service.auth.v3.external_auth_pb2_grpc").AuthorizationStub(
                cls.decision)
        cls.admin_stub = mod("corsd.v1.admin_pb2_grpc").AdminStub(cls.admin)
        cls.auth = (("authorization", "Bearer " + cls.corsd.token),)

        a = cls.admin_pb
        policy = cls.policy_pb.Policy(
            allowed_methods=["PUT"], allowed_headers=["x-api-key"],
            allow_credentials=True, max_age_seconds=600,
            enforce_unsafe_methods=True)  # R13 is on by default
        cls.admin_stub.PutTenant(
            a.PutTenantRequest(tenant=a.Tenant(id="acme", policy=policy)),
            metadata=cls.auth, timeout=10)
        ops = [
            a.EntryOp(op=a.EntryOp.OP_ADD, kind=a.ENTRY_KIND_ORIGIN,
                      tenant="acme", value="https://shop.acme.com"),
            a.EntryOp(op=a.EntryOp.OP_ADD, kind=a.ENTRY_KIND_WILDCARD,
                      tenant="acme", value="https://*.apps.acme.com"),
            a.EntryOp(op=a.EntryOp.OP_ADD, kind=a.ENTRY_KIND_API_HOST,
                      tenant="acme", value="api.acme.com"),
        ]
        written = cls.admin_stub.WriteEntries(
            a.WriteEntriesRequest(ops=ops), metadata=cls.auth, timeout=10)
        assert written.added == 3, written

    @classmethod
    def tearDownClass(cls):
        cls.decision.close()
        cls.admin.close()
        cls.corsd.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # ---- helpers ----

    def actual(self, origin, method="GET", tenant="acme", **kw):
        return self.pb.DecideRequest(
            tenant=tenant,
            request=self.pb.HttpRequest(method=method, scheme="https",
                                        host="api.acme.com", path="/v1/items",
                                        origin=origin),
            **kw)

    def check(self, headers, tenant="acme"):
        ctx = mod("envoy.service.auth.v3.attribute_context_pb2").AttributeContext
        attrs = ctx(request=ctx.Request(http=ctx.HttpRequest(headers=headers)))
        if tenant:
            attrs.context_extensions["tenant"] = tenant
        return self.authz.Check(self.authz_pb.CheckRequest(attributes=attrs),
                                timeout=10)

    @staticmethod
    def header(decision, name):
        for h in decision.headers:
            if h.name == name:
                return h.value
        return None

    # ---- cases ----

    def test_health_serving(self):
        stub = mod("interop_health.health_pb2_grpc").HealthStub(self.decision)
        r = stub.Check(self.health_pb.HealthCheckRequest(), timeout=10)
        self.assertEqual(r.status, self.health_pb.HealthCheckResponse.SERVING)

    def test_admin_needs_token(self):
        for md in ((), (("authorization", "Bearer wrong"),)):
            with self.assertRaises(grpc.RpcError) as e:
                self.admin_stub.Stats(self.admin_pb.StatsRequest(),
                                      metadata=md, timeout=10)
            self.assertEqual(e.exception.code(),
                             grpc.StatusCode.UNAUTHENTICATED)

    def test_admin_not_on_decision_listener(self):
        stub = mod("corsd.v1.admin_pb2_grpc").AdminStub(self.decision)
        with self.assertRaises(grpc.RpcError) as e:
            stub.Stats(self.admin_pb.StatsRequest(), metadata=self.auth,
                       timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNIMPLEMENTED)

    def test_refused_batch_has_batch_errors(self):
        a = self.admin_pb
        ops = [a.EntryOp(op=a.EntryOp.OP_ADD, kind=a.ENTRY_KIND_ORIGIN,
                         tenant="acme", value=v)
               for v in ("https://ok.acme.com", "https://a.com/path")]
        with self.assertRaises(grpc.RpcError) as e:
            self.admin_stub.WriteEntries(a.WriteEntriesRequest(ops=ops),
                                         metadata=self.auth, timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        details = dict(e.exception.trailing_metadata()).get(
            "grpc-status-details-bin")
        self.assertIsNotNone(details, "no grpc-status-details-bin trailer")
        status = self.status_pb.Status.FromString(details)
        self.assertEqual(status.code, 3)
        self.assertEqual(len(status.details), 1)
        self.assertEqual(status.details[0].type_url,
                         "type.googleapis.com/corsd.v1.BatchErrors")
        errors = a.BatchErrors.FromString(status.details[0].value)
        self.assertEqual(errors.total, 1)
        self.assertEqual(errors.errors[0].index, 1)
        self.assertEqual(errors.errors[0].field, "value")

    def test_decide_unary(self):
        d = self.decider.Decide(self.actual("https://shop.acme.com"),
                                timeout=10).decision
        self.assertEqual(d.action, self.pb.ACTION_CONTINUE)
        self.assertEqual(d.reason, self.pb.REASON_R2_ORIGIN_ALLOWED)
        self.assertEqual(self.header(d, "access-control-allow-origin"),
                         "https://shop.acme.com")
        self.assertEqual(self.header(d, "vary"), "Origin")
        d = self.decider.Decide(self.actual("https://x.apps.acme.com"),
                                timeout=10).decision
        self.assertEqual(d.reason, self.pb.REASON_R2_WILDCARD_ALLOWED)
        d = self.decider.Decide(
            self.actual("https://shop.acme.com.evil.com", explain=True),
            timeout=10).decision
        self.assertEqual(d.reason, self.pb.REASON_R2_ORIGIN_NOT_ALLOWED)
        self.assertIsNone(self.header(d, "access-control-allow-origin"))
        self.assertTrue(d.message)
        d = self.decider.Decide(self.actual("https://evil.com", "DELETE"),
                                timeout=10).decision
        self.assertEqual(d.action, self.pb.ACTION_ANSWER)
        self.assertEqual(d.status, 403)
        self.assertEqual(d.reason, self.pb.REASON_R14_UNSAFE_METHOD_DENIED)

    def test_decide_batch_and_limit(self):
        reqs = [self.actual(o, id=i) for i, o in enumerate(
            ["https://shop.acme.com", "https://evil.com"])]
        r = self.decider.DecideBatch(self.pb.DecideBatchRequest(requests=reqs),
                                     timeout=10)
        self.assertEqual([d.id for d in r.decisions], [0, 1])
        self.assertEqual([d.reason for d in r.decisions],
                         [self.pb.REASON_R2_ORIGIN_ALLOWED,
                          self.pb.REASON_R2_ORIGIN_NOT_ALLOWED])
        with self.assertRaises(grpc.RpcError) as e:
            self.decider.DecideBatch(self.pb.DecideBatchRequest(
                requests=[self.actual("https://a.b")] * 1001), timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("1000", e.exception.details())

    def test_origin_limit(self):
        with self.assertRaises(grpc.RpcError) as e:
            self.decider.Decide(self.actual("https://" + "a" * 3000 + ".com"),
                                timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("2048", e.exception.details())

    def test_decide_stream(self):
        batches = [self.pb.DecideBatchRequest(requests=[
            self.actual("https://shop.acme.com", id=i)]) for i in range(3)]
        answers = list(self.decider.DecideStream(iter(batches), timeout=10))
        self.assertEqual(len(answers), 3)
        for i, a in enumerate(answers):
            self.assertEqual(a.decisions[0].id, i)
            self.assertEqual(a.decisions[0].reason,
                             self.pb.REASON_R2_ORIGIN_ALLOWED)

    def test_check_preflight_204(self):
        r = self.check({":method": "OPTIONS", ":authority": "api.acme.com",
                        ":path": "/v1/items", ":scheme": "https",
                        "origin": "https://shop.acme.com",
                        "access-control-request-method": "PUT",
                        "access-control-request-headers": "x-api-key"})
        self.assertEqual(r.status.code, 7)
        self.assertTrue(r.HasField("denied_response"))
        self.assertEqual(r.denied_response.status.code, 204)
        headers = {h.header.key: h.header.value
                   for h in r.denied_response.headers}
        for h in r.denied_response.headers:
            self.assertFalse(h.HasField("append"))
        self.assertEqual(headers["access-control-allow-origin"],
                         "https://shop.acme.com")
        self.assertIn("PUT", headers["access-control-allow-methods"])
        self.assertEqual(headers["access-control-max-age"], "600")

    def test_check_allowed_continues(self):
        r = self.check({":method": "GET", ":authority": "api.acme.com",
                        ":path": "/v1/items",
                        "origin": "https://shop.acme.com"}, tenant="")
        self.assertEqual(r.status.code, 0)
        self.assertTrue(r.HasField("ok_response"))
        add = {h.header.key: (h.header.value, h.append.value)
               for h in r.ok_response.response_headers_to_add}
        self.assertEqual(add["access-control-allow-origin"],
                         ("https://shop.acme.com", False))
        self.assertEqual(add["vary"], ("Origin", True))

    def test_check_websocket_denied_403(self):
        r = self.check({":method": "GET", ":authority": "api.acme.com",
                        ":path": "/ws", "origin": "https://evil.com",
                        "upgrade": "websocket", "connection": "Upgrade"})
        self.assertNotEqual(r.status.code, 0)
        self.assertEqual(r.denied_response.status.code, 403)

    def test_check_unknown_host_unsafe_method_denied_403(self):
        # --unknown-host defaults to deny: a PUT with a cross-site Origin to a
        # host no tenant owns never reaches the upstream; a GET does.
        r = self.check({":method": "PUT", ":authority": "other.example",
                        ":path": "/v1/items", "origin": "https://evil.com"},
                       tenant="")
        self.assertEqual(r.denied_response.status.code, 403)
        self.assertEqual(r.status.message, "REASON_UNKNOWN_HOST_DENIED")
        r = self.check({":method": "GET", ":authority": "other.example",
                        ":path": "/v1/items", "origin": "https://evil.com"},
                       tenant="")
        self.assertEqual(r.status.code, 0)

    def test_check_tenant_header_fallback(self):
        r = self.check({":method": "GET", ":authority": "other.example",
                        "x-tenant": "acme",
                        "origin": "https://shop.acme.com"}, tenant="")
        self.assertEqual(r.status.code, 0)
        keys = [h.header.key for h in r.ok_response.response_headers_to_add]
        self.assertIn("access-control-allow-origin", keys)


class LifecycleTest(unittest.TestCase):

    def test_sigterm_exits_zero(self):
        corsd = Corsd(CORSD)
        try:
            self.assertEqual(corsd.terminate(), 0, "\n".join(corsd.lines))
        finally:
            corsd.close()


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.stderr.write("usage: interop_test.py <path/to/corsd> "
                         "[unittest args]\n")
        sys.exit(2)
    CORSD = sys.argv[1]
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
