"""Runs the real corsd for Python integration tests and talks to its Admin API.

    with Corsd(binary) as corsd:          # corsd on loopback port 0
        corsd.put_tenant("shop", {"allowed_methods": ["GET"]})
        corsd.add_entries("shop", origins=["https://a.example"])
        corsd.http  # "127.0.0.1:PORT" of --http-listen
        info = corsd.add_domain("shop", "shop.customer.test")   # a DomainInfo
        corsd.verify_domain("shop", "shop.customer.test").domain.state

What it runs: BINARY --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0
--http-listen 127.0.0.1:0 --data-dir TMP --admin-token-file TMP/tokens, and
reads the startup lines HACKING.md promises ("corsd: listening NAME=ADDR",
then "corsd: ready"). stop() sends SIGTERM, then SIGKILL after 10 s; the
context manager always stops it and removes the temporary directory.

The Admin client compiles the project's .proto files at run time with the
system protoc (Debian protobuf-compiler; python3-protobuf 3.21 matches it)
and calls the RPCs with python3-grpcio's generic stubs, so it needs no
generated code in the tree and no corsctl. Run with /usr/bin/python3.
"""
import atexit
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import grpc

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
_PROTO_MODULES = None


def proto_modules():
    """corsd.v1 admin_pb2 and policy_pb2, compiled once per process (with
    every other corsd.v1 .proto, since admin.proto imports them)."""
    global _PROTO_MODULES
    if _PROTO_MODULES is None:
        out = tempfile.mkdtemp(prefix="corsd-pyproto-")
        # The generated modules are imported once; the folder goes at exit.
        atexit.register(shutil.rmtree, out, True)
        proto_dir = os.path.join(REPO, "proto")
        files = sorted(os.path.join("corsd", "v1", f)
                       for f in os.listdir(os.path.join(proto_dir, "corsd", "v1"))
                       if f.endswith(".proto"))
        subprocess.run(["protoc", "-I", proto_dir, "--python_out", out, *files],
                       check=True)
        sys.path.insert(0, out)
        from corsd.v1 import admin_pb2, policy_pb2  # noqa: E402
        _PROTO_MODULES = (admin_pb2, policy_pb2)
    return _PROTO_MODULES


class CorsdError(RuntimeError):
    """A failed start, or a failed Admin call (then `code` is its
    grpc.StatusCode and `details` the server's message; else both None)."""

    def __init__(self, message, code=None, details=None):
        super().__init__(message)
        self.code = code
        self.details = details


class Corsd:
    def __init__(self, binary, extra_args=(), ready_timeout=30.0):
        self.binary = binary
        self.extra_args = list(extra_args)
        self.ready_timeout = ready_timeout
        self.token = secrets.token_hex(16)
        self.dir = None
        self.proc = None
        self.addresses = {}
        self._channel = None

    # ---- process ----------------------------------------------------------
    def start(self):
        """Starts corsd; again after stop() or kill(), on the same data dir
        and token (a restart)."""
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="corsd-harness-")
            with open(os.path.join(self.dir, "tokens"), "w") as f:
                f.write(self.token + "\n")
            os.chmod(os.path.join(self.dir, "tokens"), 0o600)
            os.mkdir(os.path.join(self.dir, "data"))
        tokens = os.path.join(self.dir, "tokens")
        data = os.path.join(self.dir, "data")
        self.addresses = {}
        self.log_path = os.path.join(self.dir, "corsd.log")
        log = open(self.log_path, "wb")
        cmd = [self.binary, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
               "--http-listen", "127.0.0.1:0", "--data-dir", data,
               "--admin-token-file", tokens, *self.extra_args]
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            text = self.log()
            for line in text.splitlines():
                if line.startswith("corsd: listening ") and "=" in line:
                    name, addr = line[len("corsd: listening "):].split("=", 1)
                    self.addresses[name.strip()] = addr.strip()
            if "corsd: ready" in text:
                for want in ("decisions", "admin", "http"):
                    if want not in self.addresses:
                        raise CorsdError(f"corsd printed no 'listening {want}=' line:\n{text}")
                return self
            if self.proc.poll() is not None:
                raise CorsdError(f"corsd exited with {self.proc.returncode} before ready:\n{text}")
            time.sleep(0.05)
        self.stop()
        raise CorsdError(f"corsd not ready within {self.ready_timeout}s:\n{self.log()}")

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s. Returns the exit code."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        code = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                code = self.proc.wait()
        elif self.proc is not None:
            code = self.proc.returncode
        return code

    def kill(self):
        """SIGKILL, no drain: what a crash leaves. Returns the exit code."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        return self.proc.wait() if self.proc is not None else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def http(self):
        return self.addresses["http"]

    # ---- Admin ------------------------------------------------------------
    def _call(self, method, request, response_type):
        if self._channel is None:
            self._channel = grpc.insecure_channel(self.addresses["admin"])
        rpc = self._channel.unary_unary(
            f"/corsd.v1.Admin/{method}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_type.FromString)
        try:
            return rpc(request, metadata=[("authorization", f"Bearer {self.token}")],
                       timeout=10)
        except grpc.RpcError as e:
            raise CorsdError(f"Admin/{method} failed: {e.code()} {e.details()}",
                             code=e.code(), details=e.details()) from e

    def put_tenant(self, tenant_id, policy):
        """policy: a dict of corsd.v1.Policy fields."""
        admin_pb2, policy_pb2 = proto_modules()
        req = admin_pb2.PutTenantRequest(
            tenant=admin_pb2.Tenant(id=tenant_id, policy=policy_pb2.Policy(**policy)))
        return self._call("PutTenant", req, admin_pb2.PutTenantResponse)

    def add_entries(self, tenant_id, origins=(), wildcards=(), api_hosts=()):
        admin_pb2, _ = proto_modules()
        ops = []
        for kind, values in ((admin_pb2.ENTRY_KIND_ORIGIN, origins),
                             (admin_pb2.ENTRY_KIND_WILDCARD, wildcards),
                             (admin_pb2.ENTRY_KIND_API_HOST, api_hosts)):
            for v in values:
                ops.append(admin_pb2.EntryOp(op=admin_pb2.EntryOp.OP_ADD, kind=kind,
                                             tenant=tenant_id, value=v))
        return self._call("WriteEntries", admin_pb2.WriteEntriesRequest(ops=ops),
                          admin_pb2.WriteEntriesResponse)

    # ---- custom domains ------------------------------------------------------
    _DOMAIN_METHODS = {"dns": "DOMAIN_METHOD_DNS", "http": "DOMAIN_METHOD_HTTP",
                       "operator": "DOMAIN_METHOD_OPERATOR"}

    def add_domain(self, tenant_id, host, method="dns", dry_run=False):
        """AddDomain; method: "dns", "http", "operator" or a DomainMethod
        number. Returns the DomainInfo (domain.token is what to publish)."""
        admin_pb2, _ = proto_modules()
        if isinstance(method, str):
            if method.lower() not in self._DOMAIN_METHODS:
                raise ValueError(f"method {method!r}: expected one of "
                                 f"{sorted(self._DOMAIN_METHODS)} or a DomainMethod number")
            method = getattr(admin_pb2, self._DOMAIN_METHODS[method.lower()])
        req = admin_pb2.AddDomainRequest(tenant=tenant_id, host=host, method=method,
                                         dry_run=dry_run)
        return self._call("AddDomain", req, admin_pb2.DomainInfo)

    def verify_domain(self, tenant_id, host):
        """VerifyDomain: one attempt now; the DomainInfo after it."""
        admin_pb2, _ = proto_modules()
        return self._call("VerifyDomain", admin_pb2.DomainRequest(tenant=tenant_id, host=host),
                          admin_pb2.DomainInfo)

    def get_domain(self, tenant_id, host):
        admin_pb2, _ = proto_modules()
        return self._call("GetDomain", admin_pb2.DomainRequest(tenant=tenant_id, host=host),
                          admin_pb2.DomainInfo)

    def list_domains(self, tenant_id="", state=0):
        """Every CustomDomain of tenant_id ("": all tenants), in `state` (a
        DomainState number; 0: any), all pages followed."""
        admin_pb2, _ = proto_modules()
        domains, token = [], ""
        while True:
            req = admin_pb2.ListDomainsRequest(tenant=tenant_id, state=state, page_size=1000,
                                               page_token=token)
            resp = self._call("ListDomains", req, admin_pb2.ListDomainsResponse)
            domains.extend(resp.domains)
            token = resp.next_page_token
            if not token:
                return domains

    def remove_domain(self, tenant_id, host):
        """RemoveDomain (its grants go too); the RemoveDomainResponse."""
        admin_pb2, _ = proto_modules()
        return self._call("RemoveDomain", admin_pb2.DomainRequest(tenant=tenant_id, host=host),
                          admin_pb2.RemoveDomainResponse)
